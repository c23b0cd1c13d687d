#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: swarm_info
short_description: Report a swarm, its nodes and whether its managers have quorum
description:
  - Reports this engine's part in a swarm. On a manager it also reports the swarm's ID,
    creation time and settings, every node (hostname, ID, role, availability, status,
    manager reachability, leader flag, address, labels, engine version) and a C(quorum) block.
  - Join tokens are returned only with O(join_tokens=true); run such a task with C(no_log) so
    they never reach the output.
  - Changes nothing.
author:
  - dockhand.docker maintainers (@dockhand)
version_added: 0.1.0
extends_documentation_fragment:
  - dockhand.docker.connection
  - dockhand.docker.connection.ATTRIBUTES
  - dockhand.docker.connection.INFO_ATTRIBUTES
options:
  join_tokens:
    description: Also return the worker and manager join tokens (managers only).
    type: bool
    default: false
  unlock_key:
    description:
      - Also return the unlock key of a locked swarm (managers only; V(null) when autolock is off).
        Run such a task with C(no_log).
    type: bool
    default: false
notes:
  - With N managers, a majority of floor(N/2)+1 must be reachable for the swarm to make any
    decision; it survives floor((N-1)/2) manager failures. Even counts add no tolerance.
'''

EXAMPLES = r'''
- name: Read the swarm from a manager
  dockhand.docker.swarm_info:
  register: swarm

- name: Refuse to go on without a healthy quorum
  ansible.builtin.assert:
    that: swarm.quorum.healthy
    fail_msg: "{{ swarm.quorum.reachable_managers }} of {{ swarm.quorum.managers }} managers reachable"

- name: Hostnames of the nodes that are down
  ansible.builtin.debug:
    msg: "{{ swarm.nodes | selectattr('status', 'equalto', 'down') | map(attribute='hostname') | list }}"

- name: The same with JMESPath (community.general.json_query, when that collection is installed)
  ansible.builtin.debug:
    msg: "{{ swarm | community.general.json_query('nodes[?status==`down`].hostname') }}"

- name: Read the join tokens without printing them
  dockhand.docker.swarm_info:
    join_tokens: true
  register: swarm_tokens
  no_log: true
'''

RETURN = r'''
state:
  description: C(inactive), C(pending), C(active), C(locked) or C(error).
  returned: always
  type: str
  sample: active
is_manager:
  description: Whether this engine is a manager.
  returned: always
  type: bool
node_id:
  description: This node's ID; empty when not in a swarm.
  returned: always
  type: str
swarm:
  description: The swarm and its settings.
  returned: on a manager
  type: dict
  contains:
    id:
      description: The cluster ID.
      type: str
    created_at:
      description: Creation time.
      type: str
    cert_expiry:
      description: Validity of node certificates, in nanoseconds.
      type: int
    autolock:
      description: Whether managers lock their keys at rest.
      type: bool
    task_history_limit:
      description: Task history kept per service.
      type: int
nodes:
  description: Every node of the swarm.
  returned: on a manager
  type: list
  elements: dict
  contains:
    hostname:
      description: Host name.
      type: str
    id:
      description: Node ID.
      type: str
    role:
      description: C(manager) or C(worker).
      type: str
    availability:
      description: C(active), C(pause) or C(drain).
      type: str
    status:
      description: C(ready), C(down), C(unknown) or C(disconnected).
      type: str
    reachability:
      description: For managers, C(reachable), C(unreachable) or C(unknown).
      type: str
    leader:
      description: Whether the node is the Raft leader.
      type: bool
    address:
      description: The node's address.
      type: str
    labels:
      description: Node labels.
      type: dict
    engine_version:
      description: Docker version on the node.
      type: str
quorum:
  description: Whether the managers can make decisions and how many failures they survive.
  returned: on a manager
  type: dict
  contains:
    managers:
      description: Number of managers.
      type: int
    reachable_managers:
      description: Managers that are reachable.
      type: int
    majority:
      description: Reachable managers needed for decisions, floor(managers/2)+1.
      type: int
    fault_tolerance:
      description: Managers the swarm can lose, floor((managers-1)/2).
      type: int
    has_quorum:
      description: Whether at least a majority is reachable.
      type: bool
    leader:
      description: Hostname of the leader.
      type: str
    healthy:
      description: A leader, and every manager reachable.
      type: bool
join_tokens:
  description: The join tokens.
  returned: with O(join_tokens=true) on a manager
  type: dict
  contains:
    worker:
      description: Token that joins a node as a worker.
      type: str
    manager:
      description: Token that joins a node as a manager.
      type: str
unlock_key:
  description: The key that unlocks a restarted manager of a locked swarm; V(null) when autolock is off.
  returned: with O(unlock_key=true) on a manager
  type: str
error:
  description:
    - Why the swarm could not be read on this manager, as no leader answered it. Either the engine says the swarm
      has no leader (the majority of managers is lost), or the engine's deadline for the read passed while it
      waited for one (as on a manager that O(dockhand.docker.swarm#module:force_new_cluster) on another manager
      removed from Raft).
  returned: on a manager whose swarm has no leader that answers
  type: str
'''

from ansible_collections.dockhand.docker.plugins.module_utils import bytecode_cache  # noqa: F401 pylint: disable=unused-import
from ansible_collections.dockhand.docker.plugins.module_utils.module import DockhandModule
from ansible_collections.dockhand.docker.plugins.module_utils.swarm import read_swarm


def gather(module):
    return read_swarm(module.client, module.client.info(), join_tokens=module.params['join_tokens'],
                      unlock_key=module.params['unlock_key'])


def main():
    module = DockhandModule(argument_spec=dict(join_tokens=dict(type='bool', default=False),
                                               unlock_key=dict(type='bool', default=False)),
                            supports_check_mode=True)
    module.run(gather)


if __name__ == '__main__':
    main()
