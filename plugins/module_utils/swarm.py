# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Swarm facts and the quorum arithmetic every swarm decision rests on.

Raft needs a majority of managers to agree: with N managers, floor(N/2)+1 must be reachable,
so the cluster survives floor((N-1)/2) manager failures. An even N adds a manager without
adding fault tolerance, which is why the collection keeps manager counts odd.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import hashlib
import re

from ansible_collections.dockhand.docker.plugins.module_utils.engine import swarm_facts as local_swarm_facts
from ansible_collections.dockhand.docker.plugins.module_utils.errors import DockerError
from ansible_collections.dockhand.docker.plugins.module_utils.fields import Field, table_spec
from ansible_collections.dockhand.docker.plugins.module_utils.units import InvalidValue, format_duration, parse_duration

# What a manager answers while its swarm has no leader (the majority of managers is lost).
NO_LEADER = 'does not have a leader'
# What a manager answers when its Raft still waits for a leader that never answers: the engine ends
# the read at its own deadline (20 s). A manager that force_new_cluster on another one removed from
# Raft, back from a restart, answers so.
NO_ANSWER_IN_TIME = 'code = DeadlineExceeded'


def leader_missing(error, timeout_counts=True):
    """Whether ``error`` (a DockerError from a manager's read of its swarm) says no leader answered:
    the engine's "no leader", or (``timeout_counts``) its deadline passing with no answer. Decisions
    that only a lost majority justifies (force_new_cluster) pass ``timeout_counts=False``."""
    return NO_LEADER in error.msg or (timeout_counts and NO_ANSWER_IN_TIME in error.msg)


def majority(managers):
    """Managers that must be reachable for the swarm to make decisions."""
    return managers // 2 + 1


def fault_tolerance(managers):
    """Managers the swarm can lose and still have a majority."""
    return (managers - 1) // 2 if managers > 0 else 0


def majority_lost_without(node_id, nodes, doing, outcome):
    """The line saying why the manager ``node_id`` must not go down now, or None: the other managers
    that are reachable would be fewer than the majority of all managers (``nodes`` in the shape of
    node_facts). ``doing`` names the act (\"restarting manager node2\"), ``outcome`` what then holds."""
    managers = [node for node in nodes if node.get('role') == 'manager']
    others = [node for node in managers if node.get('id') != node_id]
    reachable = [node for node in others if node.get('reachability') == 'reachable']
    if not managers or len(reachable) >= majority(len(managers)):
        return None
    missing = ', '.join('%s (%s)' % (node.get('hostname') or node.get('id'), node.get('reachability') or 'unknown')
                        for node in others if node not in reachable)
    return ('%s would leave %d of %d managers reachable, fewer than the majority of %d the swarm needs; not '
            'reachable now: %s. Bring them back first; %s'
            % (doing, len(reachable), len(managers), majority(len(managers)), missing, outcome))


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


# Facts of GET /swarm outside its spec: fact -> key.
SWARM_FIELDS = (('id', 'ID'), ('created_at', 'CreatedAt'), ('updated_at', 'UpdatedAt'),
                ('default_addr_pool', 'DefaultAddrPool'), ('subnet_size', 'SubnetSize'),
                ('data_path_port', 'DataPathPort'))


def swarm_facts(swarm):
    """GET /swarm (as a manager sees it) without the join tokens: its fields, and every cluster
    setting of the SETTINGS table as the spec holds it (in the API's units)."""
    facts = dict((fact, swarm.get(key)) for fact, key in SWARM_FIELDS)
    spec = swarm.get('Spec') or {}
    facts.update((setting.name, setting.raw(spec)) for setting in SETTINGS)
    facts.update(external_ca=facts['external_ca'] or [], autolock=bool(facts['autolock']))
    return facts


# ---- join tokens ----

# SWMTKN-1-<sha256 of the root CA certificate (PEM) in base 36, 50 digits>-<secret, 25 digits>
_JOIN_TOKEN = re.compile(r'^SWMTKN-1-([0-9a-z]{50})-([0-9a-z]{25})\Z')
_BASE36 = '0123456789abcdefghijklmnopqrstuvwxyz'


def token_ca_digest(token):
    """The root CA digest a join token carries; InvalidValue (never quoting the token) when malformed."""
    match = _JOIN_TOKEN.match((token or '').strip())
    if not match:
        raise InvalidValue('join_token: is not a swarm join token (SWMTKN-1-...); read it on a manager with '
                           'dockhand.docker.swarm_info join_tokens=true or `docker swarm join-token -q worker`')
    return match.group(1)


def trust_root_digest(trust_root_pem):
    """The digest of a swarm's root CA certificate as its join tokens spell it."""
    number = int(hashlib.sha256(trust_root_pem.encode('utf-8')).hexdigest(), 16)
    digits = ''
    while number:
        number, rest = divmod(number, 36)
        digits = _BASE36[rest] + digits
    return digits.rjust(50, '0')


# ---- cluster settings: one table drives the argument spec, the comparison and the API spec ----

def _positive_int(name, minimum):
    def parse(value, ctx=None):
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise InvalidValue('%s: %r must be a whole number of at least %d' % (name, value, minimum))
        return value
    return parse


def _duration(name):
    return lambda value, ctx=None: parse_duration(value, name)


def _external_cas(value, ctx=None):
    cas = []
    for index, entry in enumerate(value):
        if not entry.get('url'):
            raise InvalidValue('external_ca[%d]: needs a url (the CFSSL signing endpoint)' % index)
        cas.append(dict(Protocol=entry.get('protocol') or 'cfssl', URL=entry['url'],
                        CACert=(entry.get('ca_cert') or '').strip(), Options=entry.get('options') or {}))
    return cas


def _comparable_cas(cas, ctx=None):
    return [dict(Protocol=ca.get('Protocol') or 'cfssl', URL=ca.get('URL'), CACert=(ca.get('CACert') or '').strip(),
                 Options=ca.get('Options') or {}) for ca in (cas or [])]


def _show_cas(cas):
    return [dict(protocol=ca['Protocol'], url=ca['URL'], ca_cert='(%d bytes)' % len(ca['CACert'])
                 if ca['CACert'] else '', options=ca['Options']) for ca in _comparable_cas(cas)]


def _as_bool(value, ctx=None):
    return bool(value)


# One Field per cluster setting; the path is under the swarm's Spec.
SETTINGS = (
    Field('cert_expiry', dict(type='str'), ('CAConfig', 'NodeCertExpiry'), _duration('cert_expiry'),
          show=format_duration),
    Field('external_ca', dict(type='list', elements='dict', options=dict(
        protocol=dict(type='str', default='cfssl', choices=['cfssl']),
        url=dict(type='str', required=True),
        ca_cert=dict(type='str'),
        options=dict(type='dict'))),
        ('CAConfig', 'ExternalCAs'), _external_cas, show=_show_cas, normalise=_comparable_cas),
    Field('autolock', dict(type='bool'), ('EncryptionConfig', 'AutoLockManagers'), _as_bool, normalise=_as_bool),
    Field('task_history_limit', dict(type='int'), ('Orchestration', 'TaskHistoryRetentionLimit'),
          _positive_int('task_history_limit', 0)),
    Field('dispatcher_heartbeat', dict(type='str'), ('Dispatcher', 'HeartbeatPeriod'),
          _duration('dispatcher_heartbeat'), show=format_duration),
    Field('election_tick', dict(type='int'), ('Raft', 'ElectionTick'), _positive_int('election_tick', 2)),
    Field('heartbeat_tick', dict(type='int'), ('Raft', 'HeartbeatTick'), _positive_int('heartbeat_tick', 1)),
    Field('snapshot_interval', dict(type='int'), ('Raft', 'SnapshotInterval'), _positive_int('snapshot_interval', 1)),
)

# Fixed when the swarm is created: top-level fields of GET /swarm, not part of its spec.
INIT_ONLY = (('default_addr_pool', 'DefaultAddrPool'), ('subnet_size', 'SubnetSize'))


def settings_argspec():
    return table_spec(SETTINGS)


def wanted_settings(params):
    """{option: API value} for every setting given; raises InvalidValue before anything is touched."""
    wanted = {}
    for setting in SETTINGS:
        if params.get(setting.name) is not None:
            wanted[setting.name] = setting.parse(params[setting.name], None)
    cert, key = params.get('signing_ca_cert'), params.get('signing_ca_key')
    if bool(cert) != bool(key):
        raise InvalidValue('signing_ca_cert and signing_ca_key go together: give both (PEM) or neither')
    return wanted


def plan_settings(current_spec, wanted, changes, trust_root=None, signing_ca=None):
    """The spec to send (``current_spec`` with ``wanted`` applied); differences go into ``changes``.

    ``signing_ca`` is (cert, key) in PEM. It counts as applied when the cert is the swarm's
    trust root, or is already the spec's signing cert (a root rotation still in progress).
    """
    spec = copy.deepcopy(current_spec or {})
    for setting in SETTINGS:
        if setting.name not in wanted:
            continue
        before = setting.current(spec)
        after = setting.normalise(wanted[setting.name], None)
        if before != after:
            changes.add(setting.name, setting.show(before), setting.show(after))
            setting.put(spec, wanted[setting.name])
    raft = spec.get('Raft') or {}
    if raft.get('ElectionTick') and raft.get('HeartbeatTick') and raft['ElectionTick'] <= raft['HeartbeatTick']:
        raise InvalidValue('election_tick (%d) must be larger than heartbeat_tick (%d)'
                           % (raft['ElectionTick'], raft['HeartbeatTick']))
    if signing_ca:
        cert = signing_ca[0].strip()
        current_cert = ((spec.get('CAConfig') or {}).get('SigningCACert') or '').strip()
        if cert not in ((trust_root or '').strip(), current_cert):
            changes.add('signing_ca_cert', _fingerprint(current_cert or trust_root), _fingerprint(cert))
            ca_config = spec.setdefault('CAConfig', {})
            ca_config['SigningCACert'] = cert + '\n'
            ca_config['SigningCAKey'] = signing_ca[1].strip() + '\n'
    return spec


def _fingerprint(pem):
    if not pem:
        return None
    return 'sha256:' + hashlib.sha256(pem.strip().encode('utf-8')).hexdigest()[:16]


def init_only_conflicts(swarm, params):
    """Messages for init-only settings that differ from the swarm's (they cannot be changed)."""
    conflicts = []
    for option, field in INIT_ONLY:
        wanted, current = params.get(option), swarm.get(field)
        if wanted is not None and wanted != current:
            conflicts.append('%s is %r and can only be set when a swarm is created (wanted %r)'
                             % (option, current, wanted))
    return conflicts


# ---- quorum-safe node changes ----

def manager_set_problems(nodes, roles=None, removed=()):
    """Why the manager set after a change would be unsafe ([] when it is safe).

    ``nodes`` are node facts, ``roles`` maps node ID -> wanted role, ``removed`` holds node IDs.
    A manager counts as reachable when the swarm says so; a worker being promoted when it is ready.
    """
    roles = roles or {}
    managers_after = 0
    reachable_after = 0
    for node in nodes:
        if node['id'] in removed or roles.get(node['id'], node['role']) != 'manager':
            continue
        managers_after += 1
        if node['role'] == 'manager':
            reachable_after += node['reachability'] == 'reachable'
        else:
            reachable_after += node['status'] == 'ready'
    if managers_after == 0:
        return ['no manager would be left, and a swarm without managers cannot be managed or recovered']
    problems = []
    if managers_after % 2 == 0:
        problems.append('%d managers would be left; an even number tolerates no more failures than %d '
                        '(keep 1, 3, 5 or 7)' % (managers_after, managers_after - 1))
    if reachable_after < majority(managers_after):
        problems.append('only %d of %d managers would be reachable, fewer than the majority of %d the swarm '
                        'needs to make decisions' % (reachable_after, managers_after, majority(managers_after)))
    return problems


def resolve_node(nodes, name):
    """The node (raw GET /nodes entry) whose ID or hostname is ``name``; None when there is none.

    A hostname that several entries share (a host replaced before its old entry was removed)
    is refused: only the ID says which entry is meant.
    """
    for node in nodes:
        if node.get('ID') == name:
            return node
    matches = [node for node in nodes if (node.get('Description') or {}).get('Hostname') == name]
    if len(matches) > 1:
        entries = ', '.join('%s: %s' % (node['ID'], (node.get('Status') or {}).get('State')) for node in matches)
        raise InvalidValue('%d nodes have the hostname %r (%s); name the node by its ID'
                           % (len(matches), name, entries))
    return matches[0] if matches else None


def node_spec_changes(spec, item, changes):
    """``spec`` (a node's Spec) with ``item``'s role, availability and labels; differences go into ``changes``.

    ``item`` holds the options of dockhand.docker.swarm_node (None: leave as it is).
    """
    spec = dict(spec)
    for key, option in (('Role', 'role'), ('Availability', 'availability')):
        if item.get(option) and changes.compare(option, spec.get(key), item[option]):
            spec[key] = item[option]
    if item.get('labels') is not None:
        labels = dict((str(key), str(value)) for key, value in item['labels'].items())
        current = spec.get('Labels') or {}
        wanted = labels if item.get('labels_state') == 'replace' else dict(current, **labels)
        if changes.compare('labels', current, wanted):
            spec['Labels'] = wanted
    return spec


def spec_from_facts(node):
    """The parts of a node's Spec that node facts (see node_facts) carry."""
    return dict(Role=node['role'], Availability=node['availability'], Labels=node['labels'])


def read_swarm(client, info, join_tokens=False, unlock_key=False):
    """What swarm_info returns, from ``GET /info`` (given) and, on a manager, the swarm and its nodes.

    A manager whose swarm has no leader gets an ``error`` and a quorum block instead of failing:
    a playbook must be able to see that the majority is lost.
    """
    local = local_swarm_facts(info)
    result = dict(state=local['state'], is_manager=local['is_manager'], node_id=local['node_id'])
    if not local['is_manager']:
        return result
    try:
        swarm = client.call('inspect the swarm', 'inspect_swarm')
        nodes = [node_facts(node) for node in client.call('list the swarm nodes', 'nodes')]
    except DockerError as exc:
        if not leader_missing(exc):
            raise
        result.update(error=exc.msg, quorum=dict(quorum([]), managers=local['managers']))
        return result
    nodes.sort(key=lambda node: (node['role'] != 'manager', node['hostname'] or ''))
    result.update(swarm=swarm_facts(swarm), nodes=nodes, quorum=quorum(nodes))
    if join_tokens:
        tokens = swarm.get('JoinTokens') or {}
        result['join_tokens'] = dict(worker=tokens.get('Worker'), manager=tokens.get('Manager'))
    if unlock_key:
        result['unlock_key'] = None
        if swarm_facts(swarm)['autolock']:
            result['unlock_key'] = client.call('read the unlock key', 'get_unlock_key').get('UnlockKey')
    return result
