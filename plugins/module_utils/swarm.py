# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Swarm facts and the quorum arithmetic every swarm decision rests on.

Raft needs a majority of managers to agree: with N managers, floor(N/2)+1 must be reachable,
so the cluster survives floor((N-1)/2) manager failures. An even N adds a manager without
adding fault tolerance, which is why the collection keeps manager counts odd.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def majority(managers):
    """Managers that must be reachable for the swarm to make decisions."""
    return managers // 2 + 1


def fault_tolerance(managers):
    """Managers the swarm can lose and still have a majority."""
    return (managers - 1) // 2 if managers > 0 else 0


def node_facts(node):
    """One entry of GET /nodes in the shape swarm_info returns."""
    spec = node.get('Spec') or {}
    description = node.get('Description') or {}
    status = node.get('Status') or {}
    manager = node.get('ManagerStatus')
    return dict(
        id=node.get('ID'),
        hostname=description.get('Hostname'),
        role=spec.get('Role'),
        availability=spec.get('Availability'),
        status=status.get('State'),
        address=status.get('Addr'),
        labels=spec.get('Labels') or {},
        engine_version=(description.get('Engine') or {}).get('EngineVersion'),
        leader=bool(manager and manager.get('Leader')),
        reachability=manager.get('Reachability') if manager else None,
        manager_address=manager.get('Addr') if manager else None,
    )


def quorum(nodes):
    """The quorum block from node facts (see node_facts)."""
    managers = [node for node in nodes if node['role'] == 'manager']
    reachable = [node for node in managers if node['reachability'] == 'reachable']
    leaders = [node['hostname'] for node in managers if node['leader']]
    count = len(managers)
    return dict(
        managers=count,
        reachable_managers=len(reachable),
        majority=majority(count),
        fault_tolerance=fault_tolerance(count),
        has_quorum=len(reachable) >= majority(count) if count else False,
        leader=leaders[0] if leaders else None,
        # Healthy: a leader, and every manager reachable (nothing already eats into the tolerance).
        healthy=bool(leaders) and count > 0 and len(reachable) == count,
    )


def swarm_facts(swarm):
    """GET /swarm (as a manager sees it) without the join tokens."""
    spec = swarm.get('Spec') or {}
    orchestration = spec.get('Orchestration') or {}
    raft = spec.get('Raft') or {}
    dispatcher = spec.get('Dispatcher') or {}
    ca_config = spec.get('CAConfig') or {}
    encryption = spec.get('EncryptionConfig') or {}
    return dict(
        id=swarm.get('ID'),
        created_at=swarm.get('CreatedAt'),
        updated_at=swarm.get('UpdatedAt'),
        default_addr_pool=swarm.get('DefaultAddrPool'),
        subnet_size=swarm.get('SubnetSize'),
        data_path_port=swarm.get('DataPathPort'),
        task_history_limit=orchestration.get('TaskHistoryRetentionLimit'),
        snapshot_interval=raft.get('SnapshotInterval'),
        election_tick=raft.get('ElectionTick'),
        heartbeat_tick=raft.get('HeartbeatTick'),
        dispatcher_heartbeat=dispatcher.get('HeartbeatPeriod'),
        cert_expiry=ca_config.get('NodeCertExpiry'),
        external_ca=ca_config.get('ExternalCAs') or [],
        autolock=bool(encryption.get('AutoLockManagers')),
    )
