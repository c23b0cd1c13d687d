# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Taking one swarm member out for maintenance and giving it back, without losing a replica.

The swarm's own drain stops a node's tasks before their replacements run. Here the replicated
tasks are moved first, start-first, by an update of their service that changes nothing but one
placement constraint (``node.id!=<node>``), with the update order forced to start-first for that
one update. The orchestrator takes a task whose spec differs from its service's only in its
placement as up to date when its node still satisfies the new constraints (swarmkit's
``IsTaskDirty``, the same rule behind the API's ``_up-to-date`` task filter), so exactly the tasks
on the node are replaced, each started elsewhere before it is stopped. Then the node is drained
(nothing of those services is left on it), and the spec is put back as it was, twice: the first
write gives the spec back (the tasks that moved differ from it only in placement and their node
satisfies it, so nothing restarts), the second makes the service's previous spec that same spec,
so that a ``docker service rollback`` afterwards changes nothing instead of putting the
constraint back.

:func:`plan_drain` and :func:`plan_restore` are pure (the node list, services and tasks in,
the checks' verdicts and the writes out); :class:`Maintenance` reads, applies and waits, through
the one engine client, with :mod:`rollout`'s waiter for the services.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import time
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.dockhand.docker.plugins.module_utils.engine import swarm_facts as local_swarm_facts
from ansible_collections.dockhand.docker.plugins.module_utils.errors import DockerError, InvalidValue
from ansible_collections.dockhand.docker.plugins.module_utils.rollout import POLL_SECONDS, assess, wait_for_rollout
from ansible_collections.dockhand.docker.plugins.module_utils.swarm import (
    majority_lost_without,
    node_facts,
    resolve_node,
)

MOVES = ('start-first', 'none')
# Update states in which another update would take over an operator's rollout (or resume a paused one).
BUSY_UPDATES = ('updating', 'paused', 'rollback_started', 'rollback_paused')
FINAL_STATES = ('complete', 'shutdown', 'failed', 'rejected', 'remove', 'orphaned')
WAIT_THREADS = 4


# ---- pure: facts, checks and plans ----

def hostname(node):
    return (node.get('Description') or {}).get('Hostname') or node.get('ID')


def mode_of(service):
    mode = (service.get('Spec') or {}).get('Mode') or {}
    for key, name in (('Replicated', 'replicated'), ('Global', 'global'), ('ReplicatedJob', 'replicated-job'),
                      ('GlobalJob', 'global-job')):
        if key in mode:
            return name
    return 'unknown'


def is_live(task):
    """A task that is to run and has not ended: it holds its slot on its node."""
    return task.get('DesiredState') == 'running' and (task.get('Status') or {}).get('State') not in FINAL_STATES


def runs(task):
    return task.get('DesiredState') == 'running' and (task.get('Status') or {}).get('State') == 'running'


def quorum_facts(nodes):
    """{managers, reachable, leader} of the node list (GET /nodes)."""
    managers = [node for node in nodes if node.get('ManagerStatus')]
    leaders = [hostname(node) for node in managers if node['ManagerStatus'].get('Leader')]
    return dict(managers=len(managers),
                reachable=len([node for node in managers if node['ManagerStatus'].get('Reachability') == 'reachable']),
                leader=leaders[0] if leaders else None)


def drain_refusals(node, nodes):
    """Why ``node`` must not be taken out now ([] when it may): no leader, or the managers left
    without it would not be a majority of all managers."""
    facts = quorum_facts(nodes)
    if not facts['leader']:
        return ['the swarm has no leader (%d of %d managers reachable); nothing was changed'
                % (facts['reachable'], facts['managers'])]
    if not node.get('ManagerStatus'):
        return []
    managers = [other for other in nodes if other.get('ManagerStatus')]
    if len(managers) == 1:
        return ['%s is the only manager of the swarm: without it the swarm cannot be managed; add managers '
                'first (3 tolerate one down); nothing was changed' % hostname(node)]
    refusal = majority_lost_without(node['ID'], [node_facts(other) for other in nodes],
                                    'taking manager %s out' % hostname(node), 'nothing was changed')
    return [refusal] if refusal else []


def _constraint(text):
    """(key, operator, value) of one placement constraint, or None when it cannot be read."""
    for operator in ('==', '!='):
        if operator in text:
            key, value = text.split(operator, 1)
            return key.strip().lower(), operator, value.strip()
    return None


def _node_value(node, key):
    """What ``node`` has for a constraint key; None when the node has no such value; KeyError for a
    key this code does not know (then the node is taken to satisfy it: the scheduler decides)."""
    spec, description = node.get('Spec') or {}, node.get('Description') or {}
    platform = description.get('Platform') or {}
    if key == 'node.id':
        return node.get('ID')
    if key == 'node.hostname':
        return description.get('Hostname')
    if key == 'node.role':
        return spec.get('Role')
    if key == 'node.platform.os':
        return platform.get('OS')
    if key == 'node.platform.arch':
        return platform.get('Architecture')
    if key.startswith('node.labels.'):
        return _label(spec.get('Labels'), key[len('node.labels.'):])
    if key.startswith('engine.labels.'):
        return _label((description.get('Engine') or {}).get('Labels'), key[len('engine.labels.'):])
    raise KeyError(key)


def _label(labels, name):
    for key, value in (labels or {}).items():
        if key.lower() == name:
            return value
    return None


def satisfies(node, constraints):
    """Whether ``node`` satisfies every placement constraint (compared without case, as swarmkit does)."""
    for text in constraints or ():
        parsed = _constraint(text)
        if parsed is None:
            continue
        key, operator, value = parsed
        try:
            have = _node_value(node, key)
        except KeyError:
            continue
        equal = have is not None and str(have).lower() == value.lower()
        if equal != (operator == '=='):
            return False
    return True


def constraints_of(spec):
    return list(((spec.get('TaskTemplate') or {}).get('Placement') or {}).get('Constraints') or [])


def eligible_elsewhere(spec, node, nodes):
    """Hostnames of the other nodes that take tasks (ready, active) and satisfy the spec's constraints.

    Resources and max_replicas_per_node are left to the scheduler: a move they block fails
    within the timeout with the scheduler's reason."""
    return [hostname(other) for other in nodes
            if other['ID'] != node['ID'] and (other.get('Status') or {}).get('State') == 'ready'
            and (other.get('Spec') or {}).get('Availability') == 'active'
            and satisfies(other, constraints_of(spec))]


def move_spec(spec, node_id):
    """The service's spec with its tasks kept off ``node_id``, updated start-first all at once.

    Only the placement of the task template changes, so only the tasks on that node are
    replaced; the update settings are the service's own for everything else (monitor, failure
    ratio), but pause on failure so that a move that fails is seen at once."""
    moved = copy.deepcopy(spec)
    placement = moved.setdefault('TaskTemplate', {}).setdefault('Placement', {})
    placement['Constraints'] = list(placement.get('Constraints') or []) + ['node.id!=%s' % node_id]
    update = dict(moved.get('UpdateConfig') or {})
    update.update(Order='start-first', Parallelism=0, Delay=0, FailureAction='pause')
    moved['UpdateConfig'] = update
    return moved


# The availability a node had before the drain, kept on the node itself while it is drained: a run
# that dies with the node drained (a killed pipeline) lets the next run give back the right one.
AVAILABILITY_LABEL = 'dockhand.maintenance.availability-before'


def remembered_availability(node):
    """The node's availability before a drain this module made, else its availability now."""
    spec = node.get('Spec') or {}
    current = spec.get('Availability')
    remembered = (spec.get('Labels') or {}).get(AVAILABILITY_LABEL)
    return remembered if current == 'drain' and remembered in ('active', 'pause') else current


class DrainPlan(object):
    """What ``state: drained`` does: refusals, moves (service, its tasks on the node, the body),
    the services left to the swarm's drain and why, and the services to wait for afterwards."""

    def __init__(self, node, nodes, move):
        self.node = node
        self.nodes = nodes
        self.move = move
        self.refusals = drain_refusals(node, nodes)
        self.availability_before = remembered_availability(node)
        self.drain = (node.get('Spec') or {}).get('Availability') != 'drain'
        self.moves = []     # dict(service, id, tasks, body, spec)
        self.stays = []     # dict(service, tasks, reason)
        self.waits = []     # replicated services the drain moves: wait until they run their count elsewhere
        self.pinned = []    # replicated services that cannot run elsewhere (not waited for)

    @property
    def changed(self):
        return self.drain or bool(self.moves)


def plan_drain(node, nodes, services, tasks, move='start-first'):
    """The plan for draining ``node`` (a GET /nodes entry of ``nodes``). Pure.

    ``services`` is GET /services, ``tasks`` GET /tasks (at least the node's tasks).
    """
    plan = DrainPlan(node, nodes, move)
    on_node = {}
    for task in tasks:
        if task.get('NodeID') == node['ID'] and is_live(task):
            on_node.setdefault(task.get('ServiceID'), []).append(task)
    for service in sorted(services, key=lambda found: found['Spec']['Name']):
        mine = on_node.get(service['ID'])
        if not mine:
            continue
        name, spec = service['Spec']['Name'], service['Spec']
        mode = mode_of(service)
        ids = sorted(task['ID'] for task in mine)
        if mode != 'replicated':
            if mode == 'global':
                reason = 'a global service: its task stops with the drain and starts again when the node is back'
            else:
                reason = 'a %s: its task is not moved; it stops with the drain' % mode
            plan.stays.append(dict(service=name, tasks=len(ids), reason=reason))
            continue
        elsewhere = eligible_elsewhere(spec, node, nodes)
        if not elsewhere:
            plan.stays.append(dict(service=name, tasks=len(ids), reason=(
                'no other node that takes tasks satisfies its constraints (%s): its %d task(s) stop with the drain '
                'and wait for %s' % (', '.join(constraints_of(spec)) or 'none', len(ids), hostname(node)))))
            plan.pinned.append(name)
            continue
        state = (service.get('UpdateStatus') or {}).get('State')
        if state in BUSY_UPDATES:
            # A move would take over (or resume) the operator's rollout, and the rollout rule cannot
            # judge a service in the middle of one: left to the drain, not waited for.
            plan.stays.append(dict(service=name, tasks=len(ids), reason=(
                'its own update is %s: not moved (an update would take it over) and not waited for; the drain '
                'stops its task(s) on %s before their replacements run' % (state, hostname(node)))))
            continue
        if not plan.drain or move == 'none':
            # The swarm's drain moves these; wait until they run their count elsewhere.
            plan.waits.append(dict(service=name, id=service['ID']))
            continue
        plan.moves.append(dict(service=name, id=service['ID'], tasks=ids, spec=spec,
                               body=move_spec(spec, node['ID'])))
    return plan


def node_result(node, availability_before=None):
    facts = node_facts(node)
    return dict(id=facts['id'], hostname=facts['hostname'], role=facts['role'],
                availability_before=availability_before or facts['availability'],
                availability=facts['availability'], status=facts['status'], reachability=facts['reachability'])


def restore_waiting_for(node, nodes):
    """What the node still lacks to be back ([] when it is): ready, and for a manager reachable with a leader."""
    lacking = []
    status = (node.get('Status') or {}).get('State')
    if status != 'ready':
        lacking.append('%s is %s, not ready' % (hostname(node), status))
    manager = node.get('ManagerStatus')
    if manager and manager.get('Reachability') != 'reachable':
        lacking.append('manager %s is %s, not reachable' % (hostname(node), manager.get('Reachability')))
    if not quorum_facts(nodes)['leader']:
        lacking.append('the swarm has no leader')
    return lacking


def left_on_node(node_id, services, tasks, replicated_only=True):
    """'service (N)' for every service that still runs tasks on the node."""
    modes = dict((service['ID'], mode_of(service)) for service in services)
    names = dict((service['ID'], service['Spec']['Name']) for service in services)
    counts = {}
    for task in tasks:
        if task.get('NodeID') != node_id or (task.get('Status') or {}).get('State') in FINAL_STATES:
            continue
        if replicated_only and modes.get(task.get('ServiceID')) != 'replicated':
            continue
        name = names.get(task.get('ServiceID'), task.get('ServiceID'))
        counts[name] = counts.get(name, 0) + 1
    return ['%s (%d)' % (name, count) for name, count in sorted(counts.items())]


def services_summary(services, tasks, nodes):
    """[{name, running, desired}] of every service, by the rollout rule (tasks of the current spec)."""
    active = set(node['ID'] for node in nodes if (node.get('Status') or {}).get('State') != 'down')
    summary = []
    for service in sorted(services, key=lambda found: found['Spec']['Name']):
        mine = [task for task in tasks if task.get('ServiceID') == service['ID']
                and task.get('DesiredState') not in ('shutdown', 'remove')]
        converged, running, desired = assess(service, mine, active)
        summary.append(dict(name=service['Spec']['Name'], running=running, desired=desired, converged=converged))
    return summary


# ---- reading, applying, waiting ----

class Maintenance(object):
    """Drains or restores one node of the swarm this engine manages."""

    def __init__(self, client, check_mode=False, timeout=300, clock=time.time, sleep=time.sleep):
        self.client = client
        self.check_mode = check_mode
        self.timeout = timeout
        self.clock = clock
        self.sleep = sleep
        self.warnings = []

    # -- reads --

    def nodes(self):
        return self.client.call('list the swarm nodes', 'nodes') or []

    def services(self):
        return self.client.call('list the services', 'services') or []

    def tasks(self, **filters):
        return self.client.call('list the tasks', 'tasks', filters=filters or None) or []

    def find(self, name, nodes=None):
        nodes = self.nodes() if nodes is None else nodes
        node = resolve_node(nodes, name)
        if node is None:
            raise InvalidValue('node: there is no node %r in this swarm (give its hostname or ID as '
                               '`docker node ls` shows it)' % name)
        return node, nodes

    def check_manager(self):
        local = local_swarm_facts(self.client.info())
        if not local['is_manager']:
            raise InvalidValue('swarm_maintenance runs on a swarm manager; this engine is %s' % (
                'a worker' if local['state'] == 'active' else 'not in a swarm (%s)' % local['state']))

    # -- writes --

    def set_availability(self, node_id, availability, remember=None):
        """Set the node's availability; ``remember`` keeps the one it had in a node label (see
        AVAILABILITY_LABEL), which any other availability takes away."""
        current = self.client.call('inspect node %s' % node_id, 'inspect_node', node_id)
        labels = dict(current['Spec'].get('Labels') or {})
        if remember:
            labels[AVAILABILITY_LABEL] = remember
        else:
            labels.pop(AVAILABILITY_LABEL, None)
        spec = dict(current['Spec'], Availability=availability, Labels=labels)
        self.client.call('set the availability of node %s to %s' % (hostname(current), availability),
                         'update_node', node_id, current['Version']['Index'], spec)

    def update_service(self, service_id, name, spec):
        """Send ``spec`` at the service's current version (read again: our own updates change it)."""
        current = self.client.call('inspect service %s' % name, 'inspect_service', service_id)
        self.client.send_json('update service %s' % name, 'POST', '/services/{0}/update', [service_id],
                              body=spec, params={'version': current['Version']['Index']})

    def put_back(self, move):
        """The spec as it was, then once more so that the previous spec is that spec as well."""
        self.update_service(move['id'], move['service'], move['spec'])
        self.update_service(move['id'], move['service'], move['spec'])

    # -- waits --

    def remaining(self, deadline):
        return max(1, int(deadline - self.clock()))

    def poll(self, lacking, deadline):
        """Poll ``lacking()`` (a list of what is missing) until it is empty; the last list when time runs out."""
        while True:
            missing = lacking()
            if not missing or self.clock() > deadline:
                return missing
            self.sleep(POLL_SECONDS)

    def wait_services(self, services, deadline):
        """wait_for_rollout for each (service, id), a few at a time; the first failure is raised."""
        def wait(entry):
            return wait_for_rollout(self.client, entry['id'], entry['service'], self.remaining(deadline),
                                    clock=self.clock, sleep=self.sleep)
        if len(services) < 2:
            return [wait(entry) for entry in services]
        with ThreadPoolExecutor(max_workers=min(WAIT_THREADS, len(services))) as pool:
            return list(pool.map(wait, services))

    # -- the two states --

    def drained(self, name, move):
        self.check_manager()
        node, nodes = self.find(name)
        services, tasks = self.services(), self.tasks(node=node['ID'])
        plan = plan_drain(node, nodes, services, tasks, move)
        if plan.refusals:
            raise DockerError(plan.refusals[0])
        for stay in plan.stays:
            self.warnings.append('service %s: %s' % (stay['service'], stay['reason']))
        result = dict(changed=plan.changed, quorum=quorum_facts(nodes))
        moved = [dict(service=entry['service'], tasks=len(entry['tasks']), seconds=0) for entry in plan.moves]
        if self.check_mode:
            after = dict(node_result(node, plan.availability_before), availability='drain')
            return dict(result, node=after, moved=moved, services=services_summary(services, self.tasks(), nodes))
        deadline = self.clock() + self.timeout
        self.move(plan, moved, deadline)
        try:
            if plan.drain:
                self.set_availability(node['ID'], 'drain', remember=plan.availability_before)
            self.wait_drained(plan, deadline)
        except DockerError:
            self.undo(plan, plan.moves)
            raise
        for entry in plan.moves:
            self.put_back(entry)
        return self.finish(result, node['ID'], plan.availability_before, moved)

    def move(self, plan, moved, deadline):
        sent, current = [], None
        try:
            for entry, record in zip(plan.moves, moved):
                current = entry
                record['started'] = self.clock()
                self.update_service(entry['id'], entry['service'], entry['body'])
                sent.append(entry)
            for entry, record in zip(plan.moves, moved):
                current = entry
                wait_for_rollout(self.client, entry['id'], entry['service'], self.remaining(deadline),
                                 clock=self.clock, sleep=self.sleep)
                record['seconds'] = round(self.clock() - record.pop('started'), 1)
        except DockerError as exc:
            self.undo(plan, sent, drained=False)
            raise DockerError('moving service %s off %s start-first failed: %s. Its spec is put back, and %s keeps '
                              'availability %s' % (current['service'], hostname(plan.node), exc.msg,
                                                   hostname(plan.node), plan.availability_before))

    def wait_drained(self, plan, deadline):
        node_id = plan.node['ID']

        def lacking():
            return left_on_node(node_id, self.services(), self.tasks(node=node_id))
        still = self.poll(lacking, deadline)
        if still:
            raise DockerError('%s was drained, but tasks of replicated services still run on it after %d s: %s; '
                              'its availability is given back (%s)' % (hostname(plan.node), self.timeout,
                                                                       ', '.join(still), plan.availability_before))
        try:
            self.wait_services(plan.waits, deadline)
        except DockerError as exc:
            raise DockerError('%s was drained, but its replicated tasks do not all run elsewhere: %s; its '
                              'availability is given back (%s)' % (hostname(plan.node), exc.msg,
                                                                   plan.availability_before))

    def undo(self, plan, sent, drained=True):
        """Put back the specs sent and the node's availability; errors here would hide the first one."""
        for entry in sent:
            try:
                self.put_back(entry)
            except DockerError as exc:
                self.warnings.append('could not put back the spec of service %s: %s' % (entry['service'], exc.msg))
        if drained and plan.drain:
            try:
                self.set_availability(plan.node['ID'], plan.availability_before)
            except DockerError as exc:
                self.warnings.append('could not give %s its availability back: %s' % (hostname(plan.node), exc.msg))

    def restored(self, name, availability):
        self.check_manager()
        node, nodes = self.find(name)
        before = (node.get('Spec') or {}).get('Availability')
        labelled = AVAILABILITY_LABEL in ((node.get('Spec') or {}).get('Labels') or {})
        result = dict(changed=before != availability or labelled)
        if self.check_mode:
            return dict(result, node=dict(node_result(node, before), availability=availability),
                        quorum=quorum_facts(nodes), moved=[],
                        services=services_summary(self.services(), self.tasks(), nodes))
        deadline = self.clock() + self.timeout
        state = {}

        def lacking():
            found, state['nodes'] = self.find(node['ID'])
            return restore_waiting_for(found, state['nodes'])
        still = self.poll(lacking, deadline)
        if still:
            raise DockerError('%s is not back after %d s: %s; its availability is left %s'
                              % (hostname(node), self.timeout, '; '.join(still), before))
        if result['changed']:
            self.set_availability(node['ID'], availability)
        self.wait_services([dict(service=service['Spec']['Name'], id=service['ID'])
                            for service in self.services()], deadline)
        return dict(self.finish(result, node['ID'], before, []))

    def finish(self, result, node_id, availability_before, moved):
        nodes = self.nodes()
        node = next(found for found in nodes if found['ID'] == node_id)
        return dict(result, node=node_result(node, availability_before), quorum=quorum_facts(nodes), moved=moved,
                    services=services_summary(self.services(), self.tasks(), nodes))
