# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Swarm nodes on the item frame (see :mod:`frame`): role, availability, labels, removal.

The node list is read once for every item; each item is planned from it (pure); the plans
are checked together (the managers the whole task leaves must be safe) and applied with
promotions first, demotions and removals last, and the manager running the task last of all.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.dockhand.docker.plugins.module_utils.engine import swarm_facts as local_swarm_facts
from ansible_collections.dockhand.docker.plugins.module_utils.errors import DockerError, InvalidValue
from ansible_collections.dockhand.docker.plugins.module_utils.frame import UNCHANGED, ItemForm, Plan, Resource
from ansible_collections.dockhand.docker.plugins.module_utils.swarm import (
    manager_set_problems,
    node_facts,
    node_spec_changes,
    resolve_node,
)

NODE_SPEC = dict(
    name=dict(type='str'),
    role=dict(type='str', choices=['manager', 'worker']),
    availability=dict(type='str', choices=['active', 'pause', 'drain']),
    labels=dict(type='dict'),
    labels_state=dict(type='str', default='merge', choices=['merge', 'replace']),
    state=dict(type='str', default='present', choices=['present', 'absent']),
)
FORM = ItemForm(NODE_SPEC, 'nodes', 'node', result_key='items', module_only=dict(
    force=dict(type='bool', default=False),
    timeout=dict(type='int', default=60),
))


# What the engine answers when asked to demote a manager entry that is not in the Raft group.
NOT_A_RAFT_MEMBER = "can't find manager in raft memberlist"


class NodeWanted(object):
    def __init__(self, item, label):
        self.item = item
        self.label = label
        self.name = item['name']


class NodePlan(Plan):
    """What to do to one node: the spec to send, removal, and the differences."""

    def __init__(self, wanted, raw):
        super(NodePlan, self).__init__(wanted.name, wanted=wanted, current=raw)
        self.facts = node_facts(raw)
        self.remove = wanted.item['state'] == 'absent'
        if self.remove:
            self.changes.add('state', 'in the swarm (%s)' % self.facts['status'], 'removed')
            self.role = 'worker'
            self.spec = raw['Spec']
        else:
            self.spec = node_spec_changes(raw['Spec'], wanted.item, self.changes)
            self.role = self.spec.get('Role')
        self.action = describe_action(self) if self.changes else UNCHANGED

    @property
    def node_id(self):
        return self.facts['id']

    def promotes(self):
        return self.facts['role'] != 'manager' and self.role == 'manager'

    def demotes(self):
        return self.facts['role'] == 'manager' and (self.role == 'worker' or self.remove)

    def actions(self):
        if not self.changed:
            return []
        if self.remove:
            return ['demoted', 'removed'] if self.facts['role'] == 'manager' else ['removed']
        names = {'role': 'promoted' if self.promotes() else 'demoted', 'availability': 'set availability',
                 'labels': 'set labels'}
        return [names[key] for key in self.changes.keys()]


def describe_action(node_plan):
    if node_plan.remove:
        return 'removed'
    if node_plan.promotes():
        return 'promoted'
    if node_plan.demotes():
        return 'demoted'
    return 'updated'


class AbsentNode(Plan):
    """A node to remove that is not in the swarm: nothing to do."""

    def __init__(self, wanted):
        super(AbsentNode, self).__init__(wanted.name, wanted=wanted)
        self.node_id = None

    def promotes(self):
        return False

    demotes = promotes

    def actions(self):
        return []


def plan_node(wanted, nodes_raw):
    """The plan of one item against the swarm's node list (GET /nodes). Pure."""
    raw = resolve_node(nodes_raw, wanted.name)
    if raw is None:
        if wanted.item['state'] == 'absent':
            return AbsentNode(wanted)
        raise InvalidValue('no node %r in this swarm; join it first (dockhand.docker.swarm state=join)' % wanted.name)
    return NodePlan(wanted, raw)


def refusals(plans, facts, force=False):
    """Why the plans must not be applied ([] when they may): a ready node removed, unsafe managers."""
    if force:
        return []
    for node_plan in plans:
        if node_plan.changed and node_plan.remove and node_plan.facts['status'] == 'ready':
            return ['node %s (%s) is ready, not down; only nodes that are not ready are removed (make it leave '
                    'with dockhand.docker.swarm state=absent, or set force=true)' % (node_plan.name, node_plan.node_id)]
    changing = [node_plan for node_plan in plans if node_plan.changed]
    # Demoting or removing a manager entry that is in no Raft membership (no manager status: one that
    # force_new_cluster left behind) changes no quorum, even while other managers are still joining.
    if not any(node_plan.promotes() or (node_plan.demotes() and node_plan.facts['reachability'] is not None)
               for node_plan in changing):
        return []
    roles = dict((node_plan.node_id, node_plan.role) for node_plan in changing)
    removed = set(node_plan.node_id for node_plan in changing if node_plan.remove)
    problems = manager_set_problems(facts, roles, removed)
    if not problems:
        return []
    return ['refusing to change the managers (%s): %s; nothing was changed. Change them in one task so the '
            'result is safe, or set force=true' % (describe_manager_changes(changing), '; '.join(problems))]


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
        group = 0 if node_plan.promotes() else 2 if node_plan.demotes() or getattr(node_plan, 'remove', False) else 1
        return (node_plan.node_id == local_id, group)
    return sorted(plans, key=rank)


def predicted(facts, plans):
    """Node facts as they will be after ``plans`` (check mode, or when this manager demoted itself)."""
    by_id = dict((node_plan.node_id, node_plan) for node_plan in plans if node_plan.changed)
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


class SwarmNodes(Resource):
    """Changes nodes of the swarm this engine manages; all checked together, applied in order."""

    form = FORM
    all_or_nothing = True
    parallel_apply = False

    def __init__(self, client, check_mode, diff=False, force=False, timeout=60):
        super(SwarmNodes, self).__init__(client, check_mode, diff=diff, parallel=1)
        self.force = force
        self.timeout = timeout
        self.local = None
        self.facts = []
        self.plans = []

    def prepare(self, items):
        self.local = local_swarm_facts(self.client.info())
        if not self.local['is_manager']:
            raise InvalidValue('swarm_node runs on a swarm manager; this engine is %s' % (
                'a worker' if self.local['state'] == 'active' else 'not in a swarm (%s)' % self.local['state']))
        return [NodeWanted(item, label) for label, item in items]

    def read_all(self, wanted):
        nodes_raw = self.client.call('list the swarm nodes', 'nodes')
        self.facts = [node_facts(node) for node in nodes_raw]
        return [nodes_raw] * len(wanted)

    def plan(self, wanted, current):
        return plan_node(wanted, current)  # current: the swarm's node list (read_all)

    def check(self, plans):
        self.plans = plans
        problems = refusals([node_plan for node_plan in plans if node_plan.node_id], self.facts, self.force)
        if problems:
            raise InvalidValue(problems[0])

    def order(self, plans):
        return apply_order(plans, self.local['node_id'])

    def result(self, plan):
        result = super(SwarmNodes, self).result(plan)
        result.update(id=plan.node_id, actions=plan.actions())
        return result

    def apply(self, plan):
        if plan.remove:
            self.remove(plan)
        else:
            self.update(plan, plan.spec)

    def inspect(self, node_id):
        return self.client.call('inspect node %s' % node_id, 'inspect_node', node_id)

    def update(self, node_plan, spec, current=None):
        """Send ``spec`` with the node's current version (read again: earlier updates change it)."""
        current = current or self.inspect(node_plan.node_id)
        self.client.call('update node %s' % node_plan.name, 'update_node', node_plan.node_id,
                         current['Version']['Index'], spec)

    def remove(self, node_plan):
        force = self.force
        if node_plan.facts['role'] == 'manager':
            current = self.inspect(node_plan.node_id)
            try:
                self.update(node_plan, dict(current['Spec'], Role='worker'), current)
            except DockerError as exc:
                if NOT_A_RAFT_MEMBER not in exc.msg:
                    raise
                # The entry of a manager that is no longer in the Raft group (a forced new cluster, as
                # after a restore, leaves the others' entries): it cannot be demoted, and removing it
                # changes no quorum; the engine removes such an entry only with force.
                force = True
        # A demoted manager stays in the Raft group for a moment; the engine refuses removal until then.
        deadline = time.time() + self.timeout
        while True:
            try:
                self.client.call('remove node %s' % node_plan.name, 'remove_node', node_plan.node_id, force=force)
                return
            except DockerError as exc:
                if 'demote' not in exc.msg and 'raft' not in exc.msg.lower() or time.time() > deadline:
                    raise
                time.sleep(1)

    def nodes_after(self):
        """Every node afterwards: read again, or predicted in check mode and when this manager
        demoted itself (it can no longer read the node list)."""
        changed = [node_plan for node_plan in self.plans if node_plan.changed]
        if self.check_mode or self.local['node_id'] in [p.node_id for p in changed if p.demotes()]:
            facts = predicted(self.facts, changed)
        elif changed:
            facts = [node_facts(node) for node in self.client.call('list the swarm nodes', 'nodes')]
        else:
            facts = list(self.facts)
        return sorted(facts, key=lambda node: (node['role'] != 'manager', node['hostname'] or ''))
