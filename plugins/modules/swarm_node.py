#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: swarm_node
short_description: Set swarm nodes' role, availability and labels, or remove nodes that are down, keeping quorum
description:
  - Run on a manager. Changes one node (O(name)) or many (O(nodes)) in one task. It sets the role
    (promote, demote), the availability (active, pause, drain) and labels, or removes a node that is down.
  - Before changing anything it checks the managers the whole task leaves behind, and refuses,
    unless O(force=true), when they would be an even number, fewer reachable managers than a
    majority, or none. Changing several nodes in one task lets it pass through an even count
    (promoting two workers of a 3-manager swarm), which never stays so at rest.
  - Promotions are done first, demotions last, and the manager running the task (the leader,
    often) last of all; a manager is demoted before it is removed.
author:
  - dockhand.docker maintainers (@dockhand)
version_added: 0.1.0
extends_documentation_fragment:
  - dockhand.docker.connection
  - dockhand.docker.connection.ATTRIBUTES
options:
  name:
    description:
      - The node's ID or hostname. A hostname that several nodes share (a host replaced
        without removing its old entry) must be given as an ID.
      - Required unless O(nodes) is given.
    type: str
  nodes:
    description:
      - Several nodes at once; each item takes the options O(name), O(role), O(availability),
        O(labels), O(labels_state) and O(state). Options given at the top level are the defaults of every item.
    type: list
    elements: dict
  role:
    description: V(manager) or V(worker); left as it is when not given.
    type: str
    choices: [manager, worker]
  availability:
    description: V(active) takes tasks, V(pause) keeps its tasks but takes no new ones, V(drain) moves its tasks away.
    type: str
    choices: [active, pause, drain]
  labels:
    description: Node labels (values are turned into strings).
    type: dict
  labels_state:
    description: V(merge) adds and updates the labels given; V(replace) also removes every other label.
    type: str
    choices: [merge, replace]
    default: merge
  state:
    description:
      - V(present) the node is in the swarm with the settings given; a node that is not fails the task.
      - V(absent) the node is removed from the swarm's node list; it must not be ready (down or
        unknown), unless O(force=true). A manager is demoted first.
    type: str
    choices: [present, absent]
    default: present
  force:
    description: Change managers even when the result is unsafe; remove a node that is ready.
    type: bool
    default: false
  timeout:
    description: Seconds to wait for a demoted manager to leave the Raft group before it is removed.
    type: int
    default: 60
attributes:
  check_mode:
    description: Reports what would change, and refuses the same unsafe changes, without changing anything.
    support: full
  diff_mode:
    description: Each changed node's role, availability and labels, before and after.
    support: full
  platform:
    description: Runs on the host that reaches the engine (a swarm manager) set by O(docker_host).
    support: full
    platforms: posix
seealso:
  - module: dockhand.docker.swarm
  - module: dockhand.docker.swarm_info
'''

EXAMPLES = r'''
- name: Drain a node before maintenance
  dockhand.docker.swarm_node:
    name: worker-3
    availability: drain

- name: Grow from 3 to 5 managers in one quorum-checked step
  dockhand.docker.swarm_node:
    role: manager
    nodes:
      - name: worker-1
      - name: worker-2

- name: Labels for placement constraints, replacing any others
  dockhand.docker.swarm_node:
    name: worker-1
    labels: {zone: a, disk: ssd}
    labels_state: replace

- name: Remove the entry of a node that died for good
  dockhand.docker.swarm_node:
    name: 5a7rz2lq1n8y9tj0qv3xk6d1e
    state: absent
'''

RETURN = r'''
items:
  description: One entry per node asked for, in order.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The node as it was named (ID or hostname).
      type: str
    id:
      description: The node's ID; null for a node to remove that is not in the swarm.
      type: str
    action:
      description: V(promoted), V(demoted), V(removed), V(updated) or V(unchanged); V(failed) when it failed.
      type: str
    changed:
      description: Whether this node changed (in check mode, would change).
      type: bool
    actions:
      description: What was done to the node, in order.
      type: list
      elements: str
      sample: [promoted]
    changes:
      description: The settings that differed (C(role), C(availability), C(labels), C(state)).
      type: list
      elements: str
    diff:
      description: Before and after of what differed.
      type: dict
      returned: in diff mode, when something differed
node:
  description: The entry of RV(items) for O(name), when O(name) was used.
  returned: when O(name) is given
  type: dict
changes:
  description: Each node that changed (or would), with what was done.
  returned: always
  type: list
  elements: dict
  sample: [{node: worker-1, id: 5a7rz2lq1n8y9tj0qv3xk6d1e, actions: [promoted]}]
nodes:
  description:
    - Every node afterwards (predicted in check mode, and when the manager running the task
      demoted itself), in the shape of M(dockhand.docker.swarm_info)'s
      RV(dockhand.docker.swarm_info#module:nodes).
  returned: always
  type: list
  elements: dict
quorum:
  description: The quorum block afterwards, as M(dockhand.docker.swarm_info) returns it.
  returned: always
  type: dict
'''

from ansible_collections.dockhand.docker.plugins.module_utils import bytecode_cache  # noqa: F401 pylint: disable=unused-import
from ansible_collections.dockhand.docker.plugins.module_utils.frame import converge, module_result
from ansible_collections.dockhand.docker.plugins.module_utils.module import DockhandModule
from ansible_collections.dockhand.docker.plugins.module_utils.swarm import quorum
from ansible_collections.dockhand.docker.plugins.module_utils.swarm_nodes import FORM, SwarmNodes


def run(module):
    params = module.params
    nodes = SwarmNodes(module.client, module.check_mode, diff=module._diff, force=params['force'],
                       timeout=params['timeout'])
    results = converge(nodes, params)
    output = module_result(module, FORM, results)
    facts = nodes.nodes_after()
    output.update(changes=[dict(node=result['name'], id=result['id'], actions=result['actions'])
                           for result in results if result['changed']],
                  nodes=facts, quorum=quorum(facts))
    return output


def main():
    module = DockhandModule(**FORM.module_kwargs())
    module.run(run)


if __name__ == '__main__':
    main()
