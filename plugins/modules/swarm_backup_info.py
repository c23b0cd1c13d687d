#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: swarm_backup_info
short_description: Read what a swarm backup records, and check a restored swarm against its manifest
description:
  - Reports this engine's part in a swarm and whether that swarm has a leader, on any host (a
    fresh one too), with RV(restore_refusal) saying whether a restore onto it would overwrite a
    live cluster, and RV(rejoined) saying whether this manager is back (ready, reachable, with a leader).
  - On a manager of a swarm with a leader, also the draft of a backup's manifest (cluster ID, node
    ID, hostname, advertise address, engine version, autolock, the IDs and names of the networks,
    secrets, configs and services) and the swarm's declarative state in the variables of the
    P(dockhand.docker.services#role) role (secrets by name only, without data).
  - With O(manifest), also what differs between the objects the manifest lists and those the swarm has.
  - Never returns a join token, the unlock key or secret data. Changes nothing.
author:
  - dockhand.docker maintainers (@dockhand)
version_added: 0.1.0
extends_documentation_fragment:
  - dockhand.docker.connection
  - dockhand.docker.connection.ATTRIBUTES
  - dockhand.docker.connection.INFO_ATTRIBUTES
options:
  manifest:
    description:
      - A backup's manifest (as C(dockhand.docker.swarm_backup) writes it) to compare the swarm's objects with.
    type: dict
seealso:
  - module: dockhand.docker.swarm_backup_store
  - module: dockhand.docker.swarm_archive
'''

EXAMPLES = r'''
- name: Read what a backup of this manager would record
  dockhand.docker.swarm_backup_info:
  register: backup_view

- name: Check a restored swarm against the backup's manifest
  dockhand.docker.swarm_backup_info:
    manifest: "{{ checked.manifest }}"
  register: restored

- name: Show what differs
  ansible.builtin.debug:
    var: restored.differences
'''

RETURN = r'''
local:
  description: This engine's part in a swarm.
  returned: always
  type: dict
  contains:
    state:
      description: C(inactive), C(pending), C(active), C(locked) or C(error).
      type: str
    node_id:
      description: This node's ID; empty when not in a swarm.
      type: str
    node_address:
      description: The address this node is known by in the swarm.
      type: str
    is_manager:
      description: Whether this engine is a manager.
      type: bool
    cluster_id:
      description: The swarm's ID, on a manager.
      type: str
has_leader:
  description: Whether this manager's swarm has a leader (false on a worker or outside a swarm).
  returned: always
  type: bool
rejoined:
  description: Whether this engine is an active manager whose node is ready and reachable, in a swarm with a leader.
  returned: always
  type: bool
restore_refusal:
  description: Why a restore here would overwrite a live cluster (a manager of a swarm with a leader) or null.
  returned: always
  type: str
manifest:
  description: The manifest's fields this manager knows before a backup (the backup adds the time and the SHA-256).
  returned: on a manager of a swarm with a leader
  type: dict
  contains:
    cluster_id:
      description: The swarm's ID.
      type: str
    node_id:
      description: This node's ID.
      type: str
    hostname:
      description: This node's hostname.
      type: str
    advertise_address:
      description: The address this manager advertises.
      type: str
    engine_version:
      description: The engine's version.
      type: str
    autolock:
      description: Whether the swarm is locked (its archive is useless without the unlock key).
      type: bool
    objects:
      description: V(networks), V(secrets), V(configs) and V(services), each a list of C(id) and C(name).
      type: dict
declarative_state:
  description:
    - The swarm in the P(dockhand.docker.services#role) role's variables C(services_networks),
      C(services_secrets) (names and labels, no data), C(services_configs) and C(services_list).
    - Environment values whose names say they are secrets, and such logging options, are shown as C(********).
  returned: on a manager of a swarm with a leader
  type: dict
differences:
  description: What differs from O(manifest) (an object missing, renamed, or not in the backup), one line each.
  returned: with O(manifest), on a manager of a swarm with a leader
  type: list
  elements: str
  sample: [secret demo_token-3f1c2a (x1bw0zt4fsr3e9p5m2q7c8d6a) is missing]
'''

from ansible_collections.dockhand.docker.plugins.module_utils import bytecode_cache  # noqa: F401 pylint: disable=unused-import
from ansible_collections.dockhand.docker.plugins.module_utils.engine import swarm_facts
from ansible_collections.dockhand.docker.plugins.module_utils.errors import DockerError
from ansible_collections.dockhand.docker.plugins.module_utils.module import DockhandModule
from ansible_collections.dockhand.docker.plugins.module_utils.swarm import leader_missing, node_facts
from ansible_collections.dockhand.docker.plugins.module_utils.swarm import swarm_facts as cluster_facts
from ansible_collections.dockhand.docker.plugins.module_utils.swarm_backup import (
    check_manifest,
    manifest_draft,
    object_index,
    rejoined,
    restore_differences,
    restore_refusal,
)
from ansible_collections.dockhand.docker.plugins.module_utils.swarm_export import declarative_state


def gather(module):
    client = module.client
    local = swarm_facts(client.info())
    manifest = check_manifest(module.params['manifest']) if module.params['manifest'] is not None else None
    swarm = None
    if local['is_manager']:
        try:
            swarm = client.call('inspect the swarm', 'inspect_swarm')
        except DockerError as exc:
            # A read that timed out proves no lost majority: no restore over what may be a live swarm.
            if not leader_missing(exc, timeout_counts=False):
                raise
    shown = ('state', 'node_id', 'node_address', 'is_manager', 'cluster_id')
    result = dict(local=dict((key, local[key]) for key in shown),
                  has_leader=swarm is not None, rejoined=False,
                  restore_refusal=restore_refusal(local, swarm is not None, 'this host'))
    if swarm is None:
        return result
    nodes = [node_facts(node) for node in client.call('list the swarm nodes', 'nodes')]
    networks = client.call('list the networks', 'networks')
    secrets = client.call('list the secrets', 'secrets')
    configs = client.call('list the configs', 'configs')
    services = client.call('list the services', 'services')
    objects = object_index(networks, secrets, configs, services)
    own = [node for node in nodes if node['id'] == local['node_id']]
    result.update(rejoined=rejoined(local, nodes),
                  manifest=manifest_draft(cluster_facts(swarm), local, own[0] if own else {}, objects),
                  declarative_state=declarative_state(networks, secrets, configs, services))
    if manifest is not None:
        result['differences'] = restore_differences(manifest['objects'], objects)
    return result


def main():
    module = DockhandModule(argument_spec=dict(manifest=dict(type='dict')), supports_check_mode=True)
    module.run(gather)


if __name__ == '__main__':
    main()
