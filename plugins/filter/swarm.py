# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters the swarm role decides with: which swarm, which manager leads, who joins, what is stale.

They read what dockhand.docker.swarm_info returned on each host and never talk to an engine,
so the decisions that keep a swarm single and its quorum safe are plain, unit-tested code.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.common._collections_compat import Mapping

# Ansible loads every filter file of the collection in each forked worker that templates one of
# them, compiling their imports from source: module_utils are imported where they are used.


def swarm_survey(states, managers, workers=(), rereads=None):
    """Decide how a play proceeds from ``{host: swarm_info result}`` of the hosts in the play.

    ``rereads`` holds newer results for some hosts (read again after unlocking them); results
    of tasks that were skipped are ignored.

    Returns ``lead`` (the manager the cluster-wide tasks run on), ``create`` (no swarm yet:
    the lead creates one), ``cluster_id``, ``joining_managers``/``joining_workers`` (hosts not
    in the lead's swarm, in inventory order), ``rejoining`` (those of them that must leave a
    leaderless Raft first, see _cut_off_managers) and ``problems`` (non-empty: stop, change nothing).
    """
    states = dict(states)
    states.update((host, result) for host, result in (rereads or {}).items()
                  if host in states and result and not result.get('skipped'))
    hosts = [host for host in list(managers) + list(workers) if host in states]
    hosts += [host for host in states if host not in hosts]
    leading = [host for host in hosts if states[host].get('is_manager') and states[host].get('swarm')]
    problems = []
    clusters = {}
    for host in leading:
        clusters.setdefault(states[host]['swarm']['id'], []).append(host)
    if len(clusters) > 1:
        problems.append('the managers are in %d different swarms (%s); a host belongs to one swarm only: make the '
                        'hosts of the wrong one leave it (dockhand.docker.swarm state=absent) and run again'
                        % (len(clusters), '; '.join('%s: %s' % (cluster_id, ', '.join(members))
                                                    for cluster_id, members in sorted(clusters.items()))))
    lead = _pick_lead(states, leading, managers)
    create = not leading
    if create:
        problems.extend(_why_not_create(states, hosts))
        lead = next((host for host in managers if host in states), None)
        if lead is None:
            problems.append('no host of the managers group is reachable in this play, so there is no manager to '
                            'create or lead the swarm')
    known_ids = set()
    if lead and not create:
        known_ids = set(node['id'] for node in states[lead].get('nodes') or [])
    rejoining = [] if create else _cut_off_managers(states, hosts, lead)
    joining = [host for host in hosts if host != lead and (create or states[host].get('node_id') not in known_ids
                                                           or host in rejoining)]
    return dict(
        lead=lead,
        create=create and not problems,
        cluster_id=states[lead]['swarm']['id'] if lead and not create else None,
        joining_managers=[host for host in joining if host in managers],
        joining_workers=[host for host in joining if host not in managers],
        rejoining=rejoining,
        problems=problems,
    )


def _cut_off_managers(states, hosts, lead):
    """Hosts whose engine still runs as a manager without a leader while the lead's swarm, which has
    one, counts their node in no Raft membership: managers removed from Raft by force_new_cluster
    that came back (their agent may even be connected again, the node ready). Such an engine can
    wait for its old peers for good; it rejoins (leaves by force and joins again). A manager that
    merely restarts keeps its Raft membership (the lead sees it unreachable): never one of these.
    """
    if lead is None:
        return []
    by_id = dict((node.get('id'), node) for node in states[lead].get('nodes') or [])
    cut_off = []
    for host in hosts:
        own = states[host]
        node = by_id.get(own.get('node_id'))
        if host == lead or not own.get('is_manager') or own.get('swarm') or node is None:
            continue
        if node.get('reachability') is None:
            cut_off.append(host)
    return cut_off


def _pick_lead(states, leading, managers):
    """The Raft leader if it is a wanted manager, else another wanted manager, else any manager."""
    def is_leader(host):
        own_id = states[host].get('node_id')
        return any(node.get('leader') and node.get('id') == own_id for node in states[host].get('nodes') or [])
    ranked = sorted(leading, key=lambda host: (host not in managers, not is_leader(host)))
    return ranked[0] if ranked else None


def _why_not_create(states, hosts):
    """Reasons a new swarm must not be created although no manager in the play leads one."""
    leaderless = [host for host in hosts if states[host].get('is_manager')]
    locked = [host for host in hosts if states[host].get('state') == 'locked']
    in_swarm = [host for host in hosts if states[host].get('state') not in (None, 'inactive')]
    if locked:
        return ['%s: the swarm is locked since the engine restarted; set swarm_unlock_key (from a vault) so the '
                'role unlocks it' % ', '.join(locked)]
    if leaderless:
        return ['%s %s of a swarm that has no leader (the majority of its managers is lost): bring the '
                'managers back, or recover with dockhand.docker.swarm force_new_cluster=true on one surviving manager'
                % (', '.join(leaderless), 'is a manager' if len(leaderless) == 1 else 'are managers')]
    if in_swarm:
        return ['%s %s in a swarm but no manager of it is in this play; refusing to create a second swarm. Bring '
                'its managers into the inventory (or make these hosts leave it) and run again'
                % (', '.join(in_swarm), 'is' if len(in_swarm) == 1 else 'are')]
    return []


def swarm_unready(nodes, node_ids, managers_ids=()):
    """What keeps the play's nodes from being healthy: not ready, or managers not reachable."""
    wanted = set(node_ids)
    problems = []
    for node in nodes or []:
        if node.get('id') not in wanted:
            continue
        if node.get('status') != 'ready':
            problems.append('%s is %s' % (node.get('hostname'), node.get('status')))
        elif node.get('id') in managers_ids and node.get('role') != 'manager':
            problems.append('%s is not yet a manager' % node.get('hostname'))
        elif node.get('role') == 'manager' and node.get('reachability') != 'reachable':
            problems.append('manager %s is %s' % (node.get('hostname'), node.get('reachability') or 'joining'))
    return problems


def swarm_stale_nodes(nodes, node_ids, inventory_names=(), prune_departed=False, remove_replaced=True):
    """Stale node entries, as ``state: absent`` items for dockhand.docker.swarm_node.

    Replaced: not ready, and the hostname is now carried by a node of the play with another ID
    (a host rebuilt and joined afresh). Departed (only with ``prune_departed``): down, and the
    hostname is not in the inventory (by full or short name). A down node whose host is in the inventory but out of
    the play (unreachable) is never stale: it may come back.
    """
    live = set(node_ids)
    live_hostnames = set(node.get('hostname') for node in nodes or [] if node.get('id') in live)
    names = set(inventory_names) | set(name.split('.')[0] for name in inventory_names)
    stale = []
    for node in nodes or []:
        if node.get('status') == 'ready' or node.get('id') in live:
            continue
        hostname = node.get('hostname') or ''
        if hostname in live_hostnames:
            # Not ready (down, or unknown: a replaced manager's entry can stay unknown, and even
            # reachable, since its successor answers on the same address).
            if remove_replaced:
                stale.append(node)
        elif prune_departed and node.get('status') == 'down' and hostname not in names \
                and hostname.split('.')[0] not in names:
            stale.append(node)
    return [dict(name=node['id'], state='absent') for node in stale]


def swarm_node_changes(nodes, items):
    """The dockhand.docker.swarm_node items that would change a node (or name no known node).

    Lets a play skip the swarm_node task when the node facts it already has show nothing to do.
    """
    from ansible_collections.dockhand.docker.plugins.module_utils.diff import ChangeSet
    from ansible_collections.dockhand.docker.plugins.module_utils.swarm import node_spec_changes, spec_from_facts
    by_id = dict((node.get('id'), node) for node in nodes or [])
    pending = []
    for item in items:
        node = by_id.get(item.get('name'))
        if node is None or item.get('state', 'present') == 'absent':
            pending.append(item)
            continue
        changes = ChangeSet()
        node_spec_changes(spec_from_facts(node), item, changes)
        if changes:
            pending.append(item)
    return pending


def swarm_work(states, managers, workers=(), wanted=None, cluster_settings=None, default_addr_pool=None,
               prune_down_nodes=False, remove_replaced_nodes=True):
    """Why the swarm role would do anything, from the reads the role itself decides with (``states``,
    ``{host: swarm_info result}``) and ``wanted`` (``{host: the role's swarm node item without its
    ID}``). Empty: the role would create, join, unlock, set, remove and wait for nothing, and its
    health check would pass; site.yml then skips the swarm stage whole.

    The same filters as the role's tasks decide it (swarm_survey, swarm_node_changes,
    swarm_stale_nodes, swarm_unready); anything not read makes it not empty.
    """
    managers, workers, wanted = list(managers), list(workers), dict(wanted or {})
    hosts = managers + workers
    if not hosts:
        return []
    unread = [host for host in hosts if not isinstance(states.get(host), Mapping) or host not in wanted]
    if unread:
        return ['%s not read' % ', '.join(unread)]
    reasons = []
    if cluster_settings or default_addr_pool:
        reasons.append('cluster settings are given (the swarm module compares them)')
    locked = [host for host in hosts if states[host].get('state') == 'locked']
    if locked:
        reasons.append('%s locked' % ', '.join(locked))
    survey = swarm_survey(dict((host, states[host]) for host in hosts), managers, workers)
    reasons.extend(survey['problems'])
    if survey['create']:
        reasons.append('no swarm yet')
    joining = survey['joining_managers'] + survey['joining_workers']
    if joining:
        reasons.append('%s to join' % ', '.join(joining))
    if reasons or not survey['lead']:
        return reasons or ['no manager leads']
    lead = states[survey['lead']]
    nodes = lead.get('nodes') or []
    items = [dict(wanted[host], name=states[host].get('node_id')) for host in hosts]
    node_ids = [item['name'] for item in items]
    manager_ids = [item['name'] for item in items if item.get('role') == 'manager']
    reasons.extend('node %s to change' % item['name'] for item in swarm_node_changes(nodes, items))
    reasons.extend('node %s to remove' % item['name'] for item in swarm_stale_nodes(
        nodes, node_ids, hosts, prune_departed=prune_down_nodes, remove_replaced=remove_replaced_nodes))
    reasons.extend(swarm_unready(nodes, node_ids, manager_ids))
    quorum = lead.get('quorum') or {}
    if quorum.get('leader') is None or not quorum.get('has_quorum') or quorum.get('managers') != len(managers):
        reasons.append('the swarm has %s managers (leader %s) where the inventory has %d'
                       % (quorum.get('managers'), quorum.get('leader'), len(managers)))
    return reasons


class FilterModule(object):
    def filters(self):
        return dict(swarm_survey=swarm_survey, swarm_unready=swarm_unready, swarm_stale_nodes=swarm_stale_nodes,
                    swarm_node_changes=swarm_node_changes, swarm_work=swarm_work)
