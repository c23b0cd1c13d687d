# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Waiting for a service's rollout, by the rules the docker CLI uses to say a service converged.

:func:`assess` is pure: from the service, its tasks of the current spec and the nodes, it says
whether every slot (replicated), every eligible node (global) or every job task (jobs) is
done, leaving out tasks on nodes that are down. :func:`wait_for_rollout` polls it; once the
service has converged it keeps watching for the update's monitor period (5 s unless the spec
says otherwise), as the CLI does, so a task that dies right after it started is not taken for
success. A rollback, a paused update or the time running out fails with one line that names
every failed task, its node and the engine's error.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.dockhand.docker.plugins.module_utils.errors import DockerError

# Task states in the order a task goes through them; after 'running' they are final.
TASK_STATES = ('new', 'allocated', 'pending', 'assigned', 'accepted', 'preparing', 'ready', 'starting', 'running',
               'complete', 'shutdown', 'failed', 'rejected', 'remove', 'orphaned')
STATE_RANK = dict((state, rank) for rank, state in enumerate(TASK_STATES, start=1))
DEFAULT_MONITOR = 5 * 10 ** 9
PAUSED = {'paused': 'its update was paused after tasks failed',
          'rollback_paused': 'its rollback was paused after tasks failed'}
POLL_SECONDS = 0.3


def _rank(state):
    return STATE_RANK.get(state or '', 0)


def _final(state):
    return _rank(state) > STATE_RANK['running']


def _preferred(existing, task):
    """Of two tasks in one slot (or on one node), the one that speaks for it: the lower desired
    state, then the lower observed state (a start-first update has two for a while)."""
    if existing is None:
        return task
    key = (_rank(task.get('DesiredState')), _rank((task.get('Status') or {}).get('State')))
    old = (_rank(existing.get('DesiredState')), _rank((existing.get('Status') or {}).get('State')))
    return task if key < old else existing


def _state(task):
    return (task.get('Status') or {}).get('State')


def _known(task):
    return _rank(task.get('DesiredState')) and _rank(_state(task))


def assess(service, tasks, active_nodes):
    """(converged, running, desired) of ``service`` from its up-to-date ``tasks``; pure.

    ``active_nodes`` are the IDs of nodes that are not down. For jobs ``running`` counts the
    completed tasks.
    """
    mode = (service.get('Spec') or {}).get('Mode') or {}
    if 'Replicated' in mode:
        desired = (mode['Replicated'] or {}).get('Replicas') or 0
        by_slot = {}
        for task in tasks:
            if not _known(task) or (task.get('NodeID') and task['NodeID'] not in active_nodes):
                continue
            by_slot[task.get('Slot')] = _preferred(by_slot.get(task.get('Slot')), task)
        running = sum(1 for task in by_slot.values()
                      if not _final(task.get('DesiredState')) and _state(task) == 'running')
        return running == desired, running, desired
    if 'Global' in mode:
        by_node = {}
        for task in tasks:
            if _known(task) and task.get('NodeID') in active_nodes:
                by_node[task['NodeID']] = _preferred(by_node.get(task['NodeID']), task)
        running = sum(1 for task in by_node.values()
                      if not _final(task.get('DesiredState')) and _state(task) == 'running')
        # The orchestrator makes the tasks of every eligible node at once: none yet, keep waiting.
        return bool(by_node) and running == len(by_node), running, len(by_node)
    iteration = ((service.get('JobStatus') or {}).get('JobIteration') or {}).get('Index')
    current = [task for task in tasks if ((task.get('JobIteration') or {}).get('Index')) == iteration]
    if 'ReplicatedJob' in mode:
        desired = (mode['ReplicatedJob'] or {}).get('TotalCompletions') or 0
    else:
        desired = len(set(task.get('NodeID') for task in current if task.get('NodeID') in active_nodes))
    complete = sum(1 for task in current if _state(task) == 'complete')
    return bool(desired) and complete >= desired, complete, desired


def failed_tasks(tasks, node_names):
    """One line per task of the current spec that failed or cannot be placed: its slot or node and the error."""
    lines = []
    for task in sorted(tasks, key=lambda task: (task.get('Slot') or 0, task.get('NodeID') or '')):
        status = task.get('Status') or {}
        error = ' '.join(str(status.get('Err') or '').split())
        exit_code = (status.get('ContainerStatus') or {}).get('ExitCode')
        if not error and status.get('State') not in ('failed', 'rejected'):
            continue
        if exit_code and 'exit' not in error:
            error = '%s (exit code %s)' % (error or 'exited', exit_code)
        if exit_code == 137:
            error += ' - killed: out of memory, or by a signal'
        where = 'slot %s' % task['Slot'] if task.get('Slot') else 'a task'
        node = node_names.get(task.get('NodeID')) or task.get('NodeID')
        lines.append('%s on %s: %s' % (where, node or 'no node', error or status.get('State')))
    unique = []
    for line in lines:
        if line not in unique:
            unique.append(line)
    return unique


class Rollout(object):
    """What one service's rollout looks like now, read from the engine."""

    def __init__(self, client, service_id):
        self.client = client
        self.service_id = service_id

    def read(self):
        service = self.client.call('inspect service %s' % self.service_id, 'inspect_service', self.service_id)
        tasks = self.client.call('list the tasks of service %s' % self.service_id, 'tasks',
                                 filters={'service': self.service_id, '_up-to-date': 'true'})
        nodes = self.client.call('list the swarm nodes', 'nodes')
        active = set(node['ID'] for node in nodes if (node.get('Status') or {}).get('State') != 'down')
        names = dict((node['ID'], (node.get('Description') or {}).get('Hostname')) for node in nodes)
        return service, tasks or [], active, names


def wait_for_rollout(client, service_id, name, timeout, clock=time.time, sleep=time.sleep):
    """Wait until the service runs its current spec everywhere; return {running, desired, seconds}.

    Raises DockerError (one line) when the update pauses, rolls back, or does not converge in
    ``timeout`` seconds, naming the failed tasks.
    """
    rollout = Rollout(client, service_id)
    start = clock()
    converged_at = None
    while True:
        service, tasks, active, names = rollout.read()
        status = service.get('UpdateStatus') or {}
        state = status.get('State')
        if state in PAUSED:
            raise DockerError(_failure(name, PAUSED[state], status, tasks, names))
        converged, running, desired = assess(service, tasks, active)
        if state == 'rollback_completed' and converged:
            raise DockerError(_failure(name, 'the update failed and the service rolled back to its previous spec',
                                       status, tasks, names))
        if converged:
            if service.get('JobStatus') is not None:
                return dict(running=running, desired=desired, seconds=round(clock() - start, 1))
            converged_at = converged_at or clock()
            monitor = ((service.get('Spec') or {}).get('UpdateConfig') or {}).get('Monitor') or DEFAULT_MONITOR
            if clock() - converged_at >= monitor / 1e9 and state not in ('updating', 'rollback_started'):
                return dict(running=running, desired=desired, seconds=round(clock() - start, 1))
        else:
            converged_at = None
        if clock() - start > timeout:
            what = 'complete' if service.get('JobStatus') is not None else 'running'
            if converged:
                why = 'its update did not complete within %d s (%d of %d tasks %s)' % (timeout, running, desired, what)
            else:
                why = 'it did not converge within %d s (%d of %d tasks %s)' % (timeout, running, desired, what)
            raise DockerError(_failure(name, why, status, tasks, names))
        sleep(POLL_SECONDS)


def _failure(name, what, status, tasks, names):
    details = failed_tasks(tasks, names)
    message = 'service %s: %s' % (name, what)
    if status.get('Message'):
        message += ' (%s)' % ' '.join(str(status['Message']).split())
    if details:
        message += '; ' + '; '.join(details)
    return message


def wait_for_removal(client, service_id, name, timeout, clock=time.time, sleep=time.sleep):
    """Wait until a removed service has no task left that runs."""
    start = clock()
    while True:
        # Every task, filtered here: the engine refuses a service filter once the service is gone.
        tasks = [task for task in client.call('list the tasks of service %s' % name, 'tasks') or []
                 if task.get('ServiceID') == service_id]
        if not [task for task in tasks if not _final(_state(task))]:
            return
        if clock() - start > timeout:
            raise DockerError('service %s was removed, but %d of its tasks still run after %d s'
                              % (name, len(tasks), timeout))
        sleep(POLL_SECONDS)
