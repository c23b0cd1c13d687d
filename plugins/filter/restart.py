# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The order in which docker_host restarts engines: who goes together, and which manager watches.

Each host of the play has set ``docker_host_restart_state`` (see roles/docker_host/tasks/main.yml):
whether its engine must restart, its part in a swarm as its engine read it, and, on a manager, the
swarm's nodes. Engines outside a swarm restart together; swarm workers in batches; managers one at
a time with the leader last, so the swarm loses at most one manager at a time and elects once.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common._collections_compat import Mapping

# Ansible loads every filter file of the collection in each forked worker that templates one of
# them, compiling their imports from source: module_utils are imported where they are used.

MEMBER_STATES = ('active', 'pending', 'locked', 'error')


def _state(hostvars, host):
    state = hostvars[host].get('docker_host_restart_state') if host in hostvars else None
    return state if isinstance(state, Mapping) else {}


def _swarm(state):
    swarm = state.get('swarm')
    return swarm if isinstance(swarm, Mapping) else {}


def _leader_id(states):
    """The leader's node ID, as any manager's read of the swarm's nodes says."""
    for state in states.values():
        for node in state.get('nodes') or []:
            if isinstance(node, Mapping) and node.get('leader'):
                return node.get('id')
    return None


def _watcher(managers, batch, leader_host):
    """A manager outside ``batch`` to drain and watch from: the leader when it is not restarting (it
    stays up longest), else the first other manager."""
    others = [host for host in managers if host not in batch]
    if leader_host in others:
        return leader_host
    return others[0] if others else None


def _quorum_refusals(states, restarting):
    """One line for each manager of ``restarting`` whose engine going down would leave the other
    reachable managers short of a majority (the swarm's nodes as the managers read them)."""
    from ansible_collections.dockhand.docker.plugins.module_utils.swarm import majority_lost_without
    nodes = next((state.get('nodes') for state in states.values() if state.get('nodes')), None) or []
    nodes = [node for node in nodes if isinstance(node, Mapping)]
    refusals = [majority_lost_without(_swarm(states[host]).get('node_id'), nodes, 'restarting manager %s' % host,
                                      'no engine was restarted') for host in restarting]
    return [refusal for refusal in refusals if refusal]


def restart_plan(hostvars, hosts, worker_batch=1, spare_managers=()):
    """The restart batches of ``hosts``, in order: ``[{hosts, swarm, via}]``.

    ``swarm`` says the batch's engines are swarm members (drained and watched around the restart,
    through the manager ``via``); engines outside a swarm form one batch without it. Hosts that need
    no restart are in no batch. ``via`` is a manager of the play, else one of ``spare_managers``
    (the inventory's managers, for a play limited to some hosts), never a host of the batch.

    When a manager due to restart would take the swarm below a majority of reachable managers, the
    plan is one batch ``{hosts: every host due, refused: [one line per manager]}`` instead: the roll
    stops before any engine restarts.
    """
    if not isinstance(hosts, (list, tuple)):
        raise AnsibleFilterError('restart_plan: hosts must be a list of inventory hosts')
    if isinstance(worker_batch, bool) or not isinstance(worker_batch, int) or worker_batch < 1:
        raise AnsibleFilterError('restart_plan: the worker batch must be a whole number of 1 or more, not %r'
                                 % (worker_batch,))
    states = dict((host, _state(hostvars, host)) for host in hosts)
    members = [host for host in hosts if _swarm(states[host]).get('state') in MEMBER_STATES]
    managers = [host for host in members if _swarm(states[host]).get('is_manager')]
    if spare_managers is None or isinstance(spare_managers, (str, Mapping)):
        raise AnsibleFilterError('restart_plan: spare_managers must be a list of inventory hosts')
    # The play's hosts are judged by their engines' reads; the others by the inventory.
    watchers = managers + [host for host in spare_managers if host not in hosts]
    leader_id = _leader_id(states)
    leader_host = next((host for host in managers if _swarm(states[host]).get('node_id') == leader_id), None)
    due = [host for host in hosts if states[host].get('restart')]

    refused = _quorum_refusals(states, [host for host in due if host in managers])
    if refused:
        return [dict(hosts=due, swarm=True, via=None, refused=refused)]

    batches = []
    alone = [host for host in due if host not in members]
    if alone:
        batches.append(dict(hosts=alone, swarm=False, via=None))
    workers = [host for host in due if host in members and host not in managers]
    for start in range(0, len(workers), worker_batch):
        chunk = workers[start:start + worker_batch]
        batches.append(dict(hosts=chunk, swarm=True, via=_watcher(watchers, chunk, leader_host)))
    restarting = [host for host in due if host in managers]
    restarting.sort(key=lambda host: host == leader_host)  # stable: inventory order, the leader last
    for host in restarting:
        batches.append(dict(hosts=[host], swarm=True, via=_watcher(watchers, [host], leader_host)))
    return batches


class FilterModule(object):
    def filters(self):
        return dict(restart_plan=restart_plan)
