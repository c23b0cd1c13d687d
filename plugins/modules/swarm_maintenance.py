#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: swarm_maintenance
short_description: Take a swarm node out for maintenance without losing a replica, and give it back
description:
  - Run on a swarm manager; for a manager node, on another manager (C(delegate_to)).
  - O(state=drained) checks first and changes nothing when a check fails - the swarm has a leader,
    the node exists, and for a manager node the other managers that are reachable are still a
    majority of all managers (the message names the managers that are not reachable). The only
    manager of a swarm is refused.
  - It then records the node's availability (RV(node.availability_before)), moves the node's
    replicated tasks away start-first (O(move=start-first)), drains the node and waits until no
    task of a replicated service runs on it and each replicated service that had tasks there runs
    its tasks elsewhere. A node already drained is only waited for.
  - The start-first move is an update of each such service that adds the placement constraint
    C(node.id!=<node>) and makes that one update start-first, all the node's tasks at once, pausing
    on failure. The swarm takes a task that differs from its service only in placement as up to
    date when its node satisfies the new constraints, so exactly the tasks on the node are
    replaced, each one started elsewhere before it is stopped. After the drain the spec is put back
    as it was, and sent once more so that the service's previous spec is that same spec (a
    C(docker service rollback) afterwards changes nothing). What stays behind is in the notes.
  - Not moved, and left to the drain - global services (their task stops with the drain and
    starts again when the node is back), jobs, services that no other ready and active node can
    take by their placement constraints (their tasks stop and wait for the node; a warning says
    so), and services whose own update is in progress or paused (a move would take it over, or
    resume it; the drain moves them the swarm's way, and they are not waited for, since the rollout
    rule cannot judge a service in the middle of an update).
  - A move that does not complete within O(timeout) - no room elsewhere (C(max_replicas_per_node),
    resources), a task that fails to start - puts every spec back and fails naming the service and
    the scheduler's reason. A drain that does not complete gives the node its availability back
    and fails naming what still runs there.
  - O(state=restored) waits until the node is ready, and for a manager reachable with a leader in
    the swarm, sets O(availability), and waits until every service has converged (the rule of
    M(dockhand.docker.service)'s O(dockhand.docker.service#module:wait)).
author:
  - dockhand.docker maintainers (@dockhand)
version_added: 0.1.0
extends_documentation_fragment:
  - dockhand.docker.connection
  - dockhand.docker.connection.ATTRIBUTES
options:
  node:
    description: The node's hostname or ID. A hostname that several nodes share must be given as an ID.
    type: str
    required: true
  state:
    description:
      - V(drained) before the node's engine restarts; V(restored) after.
    type: str
    required: true
    choices: [drained, restored]
  move:
    description:
      - V(start-first) moves replicated tasks off the node, each started elsewhere before it is
        stopped, before the drain.
      - V(none) leaves it to the swarm's drain, which stops each task before its replacement runs.
      - Only used with O(state=drained).
    type: str
    choices: [start-first, none]
    default: start-first
  availability:
    description:
      - The availability to give the node with O(state=restored); pass the RV(node.availability_before)
        that O(state=drained) returned to give back what the node had.
    type: str
    choices: [active, pause, drain]
    default: active
  timeout:
    description:
      - Seconds for the whole task - the moves and the drain, or the node's return and the services' convergence.
      - Also the longest wait for one answer of the engine.
    type: int
    default: 300
notes:
  - What a start-first move leaves in each moved service - three updates (its C(Version.Index)
    moves on); its previous spec is the spec as the engine returned it to the module (so the spec
    before its last real change is gone); its update status is cleared (C(docker service inspect)
    shows none); tasks that moved keep the extra constraint in their own task spec until they are
    replaced. The service spec itself is the one it had.
  - Tasks do not move back when the node is restored; the swarm places new tasks on it.
  - While a node is drained by this module, the availability it had is kept in its label
    C(dockhand.maintenance.availability-before); a run that stopped with the node drained lets the
    next O(state=drained) return it as RV(node.availability_before). O(state=restored) removes the label.
attributes:
  check_mode:
    description:
      - Runs the checks and reports what would change (the services to move, the availability);
        writes nothing and waits for nothing.
    support: full
  diff_mode:
    description: The node's availability before and after.
    support: full
  platform:
    description: Runs on the host that reaches a manager's engine set by O(docker_host).
    support: full
    platforms: posix
seealso:
  - module: dockhand.docker.swarm_node
  - module: dockhand.docker.service
'''

EXAMPLES = r'''
- name: Take node2 out, its replicas moved start-first
  dockhand.docker.swarm_maintenance:
    node: dockhand-node2
    state: drained
    timeout: 300
  delegate_to: dockhand-node1
  register: before

- name: Restart its engine
  ansible.builtin.service:
    name: docker
    state: restarted

- name: Give it back what it had
  dockhand.docker.swarm_maintenance:
    node: dockhand-node2
    state: restored
    availability: "{{ before.node.availability_before }}"
  delegate_to: dockhand-node1
'''

RETURN = r'''
node:
  description: The node afterwards (predicted in check mode).
  returned: success
  type: dict
  contains:
    id:
      description: The node's ID.
      type: str
    hostname:
      description: Its hostname.
      type: str
    role:
      description: V(manager) or V(worker).
      type: str
    availability_before:
      description: Its availability when the task started.
      type: str
    availability:
      description: Its availability now.
      type: str
    status:
      description: V(ready), V(down), V(unknown) or V(disconnected).
      type: str
    reachability:
      description: For a manager, V(reachable) or V(unreachable); null for a worker.
      type: str
quorum:
  description: The managers as the task found them.
  returned: success
  type: dict
  contains:
    managers:
      description: How many managers the swarm has.
      type: int
    reachable:
      description: How many of them are reachable.
      type: int
    leader:
      description: The leader's hostname; null without one.
      type: str
moved:
  description: The services whose tasks were moved start-first (would be, in check mode).
  returned: success
  type: list
  elements: dict
  contains:
    service:
      description: The service's name.
      type: str
    tasks:
      description: How many of its tasks were on the node.
      type: int
    seconds:
      description: How long the move took (0 in check mode).
      type: float
services:
  description: Every service afterwards, by the rollout rule (tasks of its current spec on nodes that are not down).
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: The service's name.
      type: str
    running:
      description: Its running tasks (completed tasks for a job).
      type: int
    desired:
      description: The tasks it should run.
      type: int
    converged:
      description: Whether running equals desired.
      type: bool
'''

from ansible_collections.dockhand.docker.plugins.module_utils import bytecode_cache  # noqa: F401 pylint: disable=unused-import
from ansible_collections.dockhand.docker.plugins.module_utils.diff import ChangeSet
from ansible_collections.dockhand.docker.plugins.module_utils.errors import InvalidValue
from ansible_collections.dockhand.docker.plugins.module_utils.module import DockhandModule
from ansible_collections.dockhand.docker.plugins.module_utils.swarm_maintenance import MOVES, Maintenance

ARGUMENT_SPEC = dict(
    node=dict(type='str', required=True),
    state=dict(type='str', required=True, choices=['drained', 'restored']),
    move=dict(type='str', default='start-first', choices=list(MOVES)),
    availability=dict(type='str', default='active', choices=['active', 'pause', 'drain']),
    timeout=dict(type='int', default=300),
)


def run(module):
    params = module.params
    if not params['node'].strip():
        raise InvalidValue('node: give the hostname or ID of a swarm node')
    if params['timeout'] < 1:
        raise InvalidValue('timeout: %d is not a number of seconds; give 1 or more' % params['timeout'])
    maintenance = Maintenance(module.client, check_mode=module.check_mode, timeout=params['timeout'])
    if params['state'] == 'drained':
        result = maintenance.drained(params['node'].strip(), params['move'])
    else:
        result = maintenance.restored(params['node'].strip(), params['availability'])
    changes = ChangeSet()
    changes.compare('availability', result['node']['availability_before'], result['node']['availability'])
    module.diff_if_wanted(result, changes, result['node']['hostname'])
    for warning in maintenance.warnings:
        module.warn(warning)
    return result


def main():
    module = DockhandModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    module.run(run)


if __name__ == '__main__':
    main()
