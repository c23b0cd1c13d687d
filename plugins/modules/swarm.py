#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: swarm
short_description: Create, join, configure and leave a Docker swarm, never two by mistake
description:
  - V(present) creates a swarm on an engine that is in none (this engine becomes its first
    manager, leader and root CA) and, on a manager, brings the cluster settings to the values given.
    Settings that are not given are left as they are.
  - V(join) joins the swarm at O(remote_addrs) with O(join_token), as the role the token grants.
    An engine already in that swarm is left alone. An engine in another swarm is refused with both
    swarm IDs named, unless O(force=true), which makes it leave the other swarm first.
  - V(absent) makes the engine leave its swarm. A manager is first demoted, so the swarm's managers
    stay in agreement; leaving is refused when the managers left behind would be an even number,
    too few for a majority, or none (O(force=true) overrides).
  - The join token, the unlock key and the signing CA key are never shown, also not in diffs.
author:
  - dockhand.docker maintainers (@dockhand)
version_added: 0.1.0
extends_documentation_fragment:
  - dockhand.docker.connection
  - dockhand.docker.connection.ATTRIBUTES
options:
  state:
    description:
      - V(present) creates a swarm or updates its settings (on a manager).
      - V(join) joins an existing swarm.
      - V(absent) leaves the swarm.
    type: str
    choices: [present, join, absent]
    default: present
  advertise_addr:
    description:
      - Address (or interface name, such as V(eth0)) other nodes use to reach this one, optionally with
        a port (default port 2377). The engine picks one when it has a single address.
      - Used when creating or joining; never changes a node already in a swarm.
    type: str
  listen_addr:
    description: Address the swarm's cluster traffic listens on, when creating or joining.
    type: str
    default: 0.0.0.0:2377
  data_path_addr:
    description: Address or interface for the data traffic of overlay networks, when creating or joining.
    type: str
  remote_addrs:
    description:
      - Addresses (V(host:port), port 2377 if left out) of managers of the swarm to join.
      - Required with V(join).
    type: list
    elements: str
  join_token:
    description:
      - The worker or manager join token of the swarm to join. Required with V(join). Never shown.
      - Read it on a manager with M(dockhand.docker.swarm_info) and
        O(dockhand.docker.swarm_info#module:join_tokens=true).
    type: str
  cluster_id:
    description:
      - With V(join), the ID of the swarm the token belongs to. A manager already in a swarm with
        another ID is refused; the message names both IDs.
    type: str
  force:
    description:
      - With V(join), leave another swarm this engine is in before joining, or a swarm it cannot use
        (state C(pending) or C(error), or a manager that no leader answers, as one removed from Raft by
        O(force_new_cluster) on another manager).
      - With V(absent), leave even when the managers left would be unsafe or none (the last manager).
    type: bool
    default: false
  force_new_cluster:
    description:
      - Disaster recovery. When this engine is a manager of a swarm that has lost the majority of its
        managers for good, make it the only manager of the swarm, keeping services, secrets and
        the other nodes (which rejoin on their own). Re-add managers afterwards.
      - Done only while the engine says the swarm has no leader, so a second run changes nothing. A read
        of the swarm that ends at the engine's deadline proves no lost majority and forces nothing (the
        task fails and says so). A manager whose engine started without the majority of its managers
        (a swarm state restored from a backup) stays V(pending) and is forced too.
    type: bool
    default: false
  unlock_key:
    description:
      - The key to unlock this manager when the swarm is locked (autolock) and the engine has restarted. Never shown.
    type: str
  default_addr_pool:
    description: Address pools for overlay networks (CIDR), set when the swarm is created. Cannot be changed later.
    type: list
    elements: str
  subnet_size:
    description: Prefix length of each overlay network carved from O(default_addr_pool). Set at creation only.
    type: int
  cert_expiry:
    description: Validity of node certificates, as a duration (V(2160h) is the engine's default of 90 days).
    type: str
  external_ca:
    description: External CAs that sign node certificates instead of the swarm's own CA.
    type: list
    elements: dict
    suboptions:
      protocol:
        description: Protocol of the CA.
        type: str
        choices: [cfssl]
        default: cfssl
      url:
        description: URL of the CA's signing endpoint.
        type: str
        required: true
      ca_cert:
        description: The CA's certificate (PEM), when it is not the swarm's root CA.
        type: str
      options:
        description: Options for the CA driver.
        type: dict
  signing_ca_cert:
    description:
      - A CA certificate (PEM) for the swarm to sign node certificates with; starts a root CA rotation.
        Needs O(signing_ca_key).
    type: str
  signing_ca_key:
    description: The key (PEM) of O(signing_ca_cert). Never shown.
    type: str
  autolock:
    description:
      - Lock the managers' keys at rest; a restarted manager then needs the unlock key
        (read it with M(dockhand.docker.swarm_info) O(dockhand.docker.swarm_info#module:unlock_key=true),
        under C(no_log), and keep it safe).
    type: bool
  task_history_limit:
    description: Finished tasks kept per service slot.
    type: int
  dispatcher_heartbeat:
    description: How often nodes report to the managers, as a duration (V(5s)).
    type: str
  election_tick:
    description: Raft ticks without a leader before a manager calls an election; larger than O(heartbeat_tick).
    type: int
  heartbeat_tick:
    description: Raft ticks between leader heartbeats.
    type: int
  snapshot_interval:
    description: Raft log entries between snapshots.
    type: int
  rotate_worker_token:
    description: Replace the worker join token (always a change). Nodes already joined are not affected.
    type: bool
    default: false
  rotate_manager_token:
    description: Replace the manager join token (always a change).
    type: bool
    default: false
  rotate_unlock_key:
    description: Replace the unlock key of a locked swarm (always a change).
    type: bool
    default: false
attributes:
  check_mode:
    description:
      - Reports what would change and changes nothing.
      - On a locked manager the prediction ends with the unlock, and with O(force_new_cluster) on a
        swarm without a leader it ends with the recovery; what follows depends on what the engine
        shows only afterwards.
    support: full
  diff_mode:
    description: Shows the swarm state and each setting that changes, before and after; secrets masked.
    support: full
  platform:
    description: Runs on the host that reaches the engine set by O(docker_host).
    support: full
    platforms: posix
notes:
  - Keep managers at an odd number (1, 3, 5 or 7) and add or remove them one at a time; the role
    C(dockhand.docker.swarm) does that for a whole inventory.
seealso:
  - module: dockhand.docker.swarm_info
  - module: dockhand.docker.swarm_node
'''

EXAMPLES = r'''
- name: Create the swarm on the first manager
  dockhand.docker.swarm:
    advertise_addr: 10.0.0.11
    cert_expiry: 720h
    default_addr_pool: [10.20.0.0/16]
    subnet_size: 24

- name: Read the join tokens on a manager
  dockhand.docker.swarm_info:
    join_tokens: true
  register: first_manager
  no_log: true

- name: Join the others as managers
  dockhand.docker.swarm:
    state: join
    advertise_addr: "{{ ansible_default_ipv4.address }}"
    remote_addrs: [10.0.0.11:2377]
    join_token: "{{ first_manager.join_tokens.manager }}"
    cluster_id: "{{ first_manager.swarm.id }}"

- name: Lock the managers' keys and rotate the worker token
  dockhand.docker.swarm:
    autolock: true
    rotate_worker_token: true

- name: Recover the last surviving manager after the others are lost for good
  dockhand.docker.swarm:
    force_new_cluster: true
    advertise_addr: 10.0.0.12

- name: Take a worker out of the swarm
  dockhand.docker.swarm:
    state: absent
'''

RETURN = r'''
state:
  description: This engine's swarm state afterwards (C(inactive), C(active), C(locked)); the prediction in check mode.
  returned: always
  type: str
  sample: active
node_id:
  description: This node's ID; empty when not in a swarm (or not yet, in check mode).
  returned: always
  type: str
cluster_id:
  description: The swarm's ID, when this engine is a manager.
  returned: always
  type: str
is_manager:
  description: Whether this engine is a manager afterwards.
  returned: always
  type: bool
actions:
  description: What was done, in order (or would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: [demoted this manager before leaving, left the swarm]
'''

from ansible_collections.dockhand.docker.plugins.module_utils import bytecode_cache  # noqa: F401 pylint: disable=unused-import
from ansible_collections.dockhand.docker.plugins.module_utils.module import DockhandModule
from ansible_collections.dockhand.docker.plugins.module_utils.swarm import settings_argspec
from ansible_collections.dockhand.docker.plugins.module_utils.swarm_membership import converge


def argument_spec():
    spec = dict(
        state=dict(type='str', default='present', choices=['present', 'join', 'absent']),
        advertise_addr=dict(type='str'),
        listen_addr=dict(type='str', default='0.0.0.0:2377'),
        data_path_addr=dict(type='str'),
        remote_addrs=dict(type='list', elements='str'),
        join_token=dict(type='str', no_log=True),
        cluster_id=dict(type='str'),
        force=dict(type='bool', default=False),
        force_new_cluster=dict(type='bool', default=False),
        unlock_key=dict(type='str', no_log=True),
        default_addr_pool=dict(type='list', elements='str'),
        subnet_size=dict(type='int'),
        signing_ca_cert=dict(type='str'),
        signing_ca_key=dict(type='str', no_log=True),
        rotate_worker_token=dict(type='bool', default=False),
        rotate_manager_token=dict(type='bool', default=False),
        rotate_unlock_key=dict(type='bool', default=False),
    )
    spec.update(settings_argspec())
    return spec


def main():
    module = DockhandModule(argument_spec=argument_spec(), supports_check_mode=True,
                            required_if=[('state', 'join', ('remote_addrs', 'join_token'))])
    module.run(converge)


if __name__ == '__main__':
    main()
