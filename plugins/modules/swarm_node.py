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

import time

from ansible_collections.dockhand.docker.plugins.module_utils.diff import ChangeSet
from ansible_collections.dockhand.docker.plugins.module_utils.engine import swarm_facts as local_swarm_facts
from ansible_collections.dockhand.docker.plugins.module_utils.errors import DockerError
from ansible_collections.dockhand.docker.plugins.module_utils.items import merge_items
from ansible_collections.dockhand.docker.plugins.module_utils.module import DockhandModule
from ansible_collections.dockhand.docker.plugins.module_utils.swarm import (
    manager_set_problems,
    node_facts,
    node_spec_changes,
    quorum,
    resolve_node,
)
from ansible_collections.dockhand.docker.plugins.module_utils.units import InvalidValue

ITEM_SPEC = dict(
    name=dict(type='str'),
    role=dict(type='str', choices=['manager', 'worker']),
    availability=dict(type='str', choices=['active', 'pause', 'drain']),
    labels=dict(type='dict'),
    labels_state=dict(type='str', choices=['merge', 'replace']),
    state=dict(type='str', choices=['present', 'absent']),
)


class NodePlan(object):
    """What to do to one node: the spec to send, removal, and the differences."""

    def __init__(self, raw, facts, item):
        self.raw = raw
        self.facts = facts
        self.name = item['name']
        self.changes = ChangeSet()
        self.remove = item['state'] == 'absent'
        if self.remove:
            self.changes.add('state', 'in the swarm (%s)' % facts['status'], 'removed')
            self.role = 'worker'
            self.spec = raw['Spec']
        else:
            self.spec = node_spec_changes(raw['Spec'], item, self.changes)
            self.role = self.spec.get('Role')

    @property
    def node_id(self):
        return self.facts['id']

    def promotes(self):
        return self.facts['role'] != 'manager' and self.role == 'manager'

    def demotes(self):
        return self.facts['role'] == 'manager' and (self.role == 'worker' or self.remove)


def plan(module, nodes_raw, facts):
    items = merge_items(module.params, ITEM_SPEC, 'nodes', defaults=dict(state='present', labels_state='merge'))
    plans = []
    for name, item in items:
        raw = resolve_node(nodes_raw, name)
        if raw is None:
            if item['state'] == 'absent':
                continue
            raise InvalidValue('no node %r in this swarm; join it first (dockhand.docker.swarm state=join)' % name)
        node_plan = NodePlan(raw, node_facts(raw), item)
        if node_plan.remove and node_plan.facts['status'] == 'ready' and not module.params['force']:
            raise InvalidValue('node %s (%s) is ready, not down; only nodes that are not ready are removed '
                               '(make it leave with dockhand.docker.swarm state=absent, or set force=true)'
                               % (name, node_plan.node_id))
        if node_plan.changes:
            plans.append(node_plan)
    if any(node_plan.promotes() or node_plan.demotes() for node_plan in plans):
        roles = dict((node_plan.node_id, node_plan.role) for node_plan in plans)
        removed = set(node_plan.node_id for node_plan in plans if node_plan.remove)
        problems = manager_set_problems(facts, roles, removed)
        if problems and not module.params['force']:
            raise InvalidValue('refusing to change the managers (%s): %s; nothing was changed. Change them in '
                               'one task so the result is safe, or set force=true'
                               % (describe_manager_changes(plans), '; '.join(problems)))
    return plans


def describe_manager_changes(plans):
    words = []
    for node_plan in plans:
        if node_plan.promotes():
            words.append('promote %s' % node_plan.name)
        elif node_plan.demotes():
            words.append('%s %s' % ('remove manager' if node_plan.remove else 'demote', node_plan.name))
    return ', '.join(words)


def apply_order(plans, local_id):
    """Promotions, then other changes, then demotions and removals; this engine's own node last."""
    def rank(node_plan):
        group = 0 if node_plan.promotes() else 2 if node_plan.demotes() or node_plan.remove else 1
        return (node_plan.node_id == local_id, group)
    return sorted(plans, key=rank)


class NodeUpdater(object):
    def __init__(self, module):
        self.module = module
        self.client = module.client
        self.timeout = module.params['timeout']

    def inspect(self, node_id):
        return self.client.call('inspect node %s' % node_id, 'inspect_node', node_id)

    def update(self, node_plan, spec, current=None):
        """Send ``spec`` with the node's current version (read again: earlier updates change it)."""
        current = current or self.inspect(node_plan.node_id)
        self.client.call('update node %s' % node_plan.name, 'update_node', node_plan.node_id,
                         current['Version']['Index'], spec)

    def remove(self, node_plan):
        if node_plan.facts['role'] == 'manager':
            current = self.inspect(node_plan.node_id)
            self.update(node_plan, dict(current['Spec'], Role='worker'), current)
        # A demoted manager stays in the Raft group for a moment; the engine refuses removal until then.
        deadline = time.time() + self.timeout
        while True:
            try:
                self.client.call('remove node %s' % node_plan.name, 'remove_node', node_plan.node_id,
                                 force=self.module.params['force'])
                return
            except DockerError as exc:
                if 'demote' not in exc.msg and 'raft' not in exc.msg.lower() or time.time() > deadline:
                    raise
                time.sleep(1)


def actions_of(node_plan):
    if node_plan.remove:
        return ['demoted', 'removed'] if node_plan.facts['role'] == 'manager' else ['removed']
    names = {'role': 'promoted' if node_plan.promotes() else 'demoted', 'availability': 'set availability',
             'labels': 'set labels'}
    return [names[key] for key in node_plan.changes.keys()]


def predicted(facts, plans):
    """Node facts as they will be after ``plans`` (check mode, or when this manager demoted itself)."""
    by_id = dict((node_plan.node_id, node_plan) for node_plan in plans)
    nodes = []
    for node in facts:
        node_plan = by_id.get(node['id'])
        if node_plan is None:
            nodes.append(node)
            continue
        if node_plan.remove:
            continue
        node = dict(node, role=node_plan.spec.get('Role'), availability=node_plan.spec.get('Availability'),
                    labels=node_plan.spec.get('Labels') or {})
        if node_plan.promotes():
            node.update(reachability='reachable' if node['status'] == 'ready' else 'unreachable')
        elif node_plan.demotes():
            node.update(reachability=None, leader=False, manager_address=None)
        nodes.append(node)
    return nodes


def converge(module):
    client = module.client
    local = local_swarm_facts(client.info())
    if not local['is_manager']:
        raise InvalidValue('swarm_node runs on a swarm manager; this engine is %s'
                           % ('a worker' if local['state'] == 'active' else 'not in a swarm (%s)' % local['state']))
    nodes_raw = client.call('list the swarm nodes', 'nodes')
    facts = [node_facts(node) for node in nodes_raw]
    plans = plan(module, nodes_raw, facts)
    changes = [dict(node=node_plan.name, id=node_plan.node_id, actions=actions_of(node_plan)) for node_plan in plans]
    if plans and not module.check_mode:
        updater = NodeUpdater(module)
        for node_plan in apply_order(plans, local['node_id']):
            if node_plan.remove:
                updater.remove(node_plan)
            else:
                updater.update(node_plan, node_plan.spec)
    if module.check_mode or local['node_id'] in [node_plan.node_id for node_plan in plans if node_plan.demotes()]:
        facts = predicted(facts, plans)  # a demoted manager can no longer read the node list
    elif plans:
        facts = [node_facts(node) for node in client.call('list the swarm nodes', 'nodes')]
    facts.sort(key=lambda node: (node['role'] != 'manager', node['hostname'] or ''))
    result = dict(changed=bool(plans), changes=changes, nodes=facts, quorum=quorum(facts))
    if module._diff:
        diff = ChangeSet()
        for node_plan in plans:
            diff.merge(node_plan.changes, prefix='%s (%s)' % (node_plan.name, node_plan.node_id))
        result['diff'] = diff.as_diff()
    return result


def main():
    spec = dict(ITEM_SPEC)
    spec.update(
        nodes=dict(type='list', elements='dict'),
        labels_state=dict(type='str', default='merge', choices=['merge', 'replace']),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        force=dict(type='bool', default=False),
        timeout=dict(type='int', default=60),
    )
    module = DockhandModule(argument_spec=spec, supports_check_mode=True,
                            mutually_exclusive=[('name', 'nodes')], required_one_of=[('name', 'nodes')])
    module.run(converge)


if __name__ == '__main__':
    main()
