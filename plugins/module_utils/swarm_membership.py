# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""This engine's membership in a swarm (the swarm module): a pure planner and the code that applies it.

1. ``read_view``: what the engine says: ``GET /info`` and, when the plan needs them, ``GET /swarm``
   (on a manager that is to be configured; a swarm without a leader answers with an error, kept for
   the planner) and ``GET /nodes`` (a manager that is to leave).
2. ``plan_membership``: params and that view -> the ordered steps (unlock, force a new cluster,
   create, join, demote this manager, leave, update the settings), the change set for diff mode,
   the ``actions`` the module reports, warnings, and every refusal (InvalidValue) before any step.
3. ``apply_plan``: the steps against the engine, with the waits some of them need.

Some steps change what the next decision must be based on: an unlocked manager shows its swarm
only afterwards, and a forced new cluster has new settings to compare. Such a plan ends there and
says ``replan``: it is applied, the engine read again and the rest planned from that (in check
mode nothing can be read ahead, so the prediction stops there).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.dockhand.docker.plugins.module_utils.diff import ChangeSet
from ansible_collections.dockhand.docker.plugins.module_utils.engine import swarm_facts as local_swarm_facts
from ansible_collections.dockhand.docker.plugins.module_utils.errors import DockerError, InvalidValue
from ansible_collections.dockhand.docker.plugins.module_utils.swarm import (
    init_only_conflicts,
    leader_missing,
    manager_set_problems,
    node_facts,
    plan_settings,
    token_ca_digest,
    trust_root_digest,
    wanted_settings,
)

# Rotation options and the update_swarm arguments they set.
ROTATIONS = (('rotate_worker_token', 'rotate_worker_token'), ('rotate_manager_token', 'rotate_manager_token'),
             ('rotate_unlock_key', 'rotate_manager_unlock_key'))

# How long a demoted manager may take to hand over its Raft membership before it leaves.
DEMOTE_TIMEOUT = 60
# How long a forced new cluster may take to elect this manager its leader.
LEADER_TIMEOUT = 60
# Rounds of plan and apply: an unlock, then a forced new cluster, then the settings.
MAX_ROUNDS = 3

# What a manager's failed read of its swarm is followed by: the way out of a lost majority, or why a
# timeout is not taken for one.
LOST_MAJORITY_HINT = ('; the swarm has lost the majority of its managers: bring them back, or recover with '
                      'force_new_cluster=true on one surviving manager')
NO_ANSWER_HINT = ('; no leader answered this manager in time, which does not prove the majority of managers lost, '
                  'so nothing was changed: run again, and if the engine then says the swarm has no leader, '
                  'recover with force_new_cluster=true')

# Engine states the planner refuses to work from.
UNUSABLE_STATES = ('pending', 'error')


class SwarmView(object):
    """What the engine said, read before planning.

    ``info`` is ``GET /info``; ``swarm`` is ``GET /swarm`` and ``nodes`` ``GET /nodes`` when they
    were read (see :func:`needed_reads`); ``no_leader`` is the DockerError a manager answered
    ``GET /swarm`` (or ``GET /nodes``) with because its swarm has no leader.
    """

    def __init__(self, info, swarm=None, nodes=None, no_leader=None):
        self.info = info
        self.section = info.get('Swarm') or {}
        self.facts = local_swarm_facts(info)
        self.swarm = swarm
        self.nodes = nodes
        self.no_leader = no_leader


class Step(object):
    """One engine call of a plan: ``action`` is what the module reports, ``todo`` names it in errors."""

    def __init__(self, kind, action, todo, method, *args, **kwargs):
        self.kind = kind
        self.action = action
        self.todo = todo
        self.method = method
        self.args = args
        self.kwargs = kwargs

    def __repr__(self):
        return 'Step(%s)' % self.kind  # the arguments may hold a join token or an unlock key


class MembershipPlan(object):
    """The steps of one round, in order, with their change set and warnings."""

    def __init__(self, facts):
        self.facts = facts
        self.steps = []
        self.changes = ChangeSet(secret_keys=('signing_ca_cert',))
        self.warnings = []
        self.replan = False

    def add(self, step):
        self.steps.append(step)

    @property
    def actions(self):
        return [step.action for step in self.steps]

    @property
    def kinds(self):
        return [step.kind for step in self.steps]


# ---- the planner (pure: params and what the engine said) ----

def validate(params):
    """Refuse bad input before the engine is reached; returns the wanted cluster settings."""
    wanted = wanted_settings(params)
    if params['state'] == 'join':
        token_ca_digest(params['join_token'])
    return wanted


def needed_reads(params, info):
    """Which reads beyond ``GET /info`` the plan needs: 'swarm' and/or 'nodes'."""
    view = SwarmView(info)
    facts = view.facts
    if not facts['is_manager'] or facts['state'] in UNUSABLE_STATES:
        return ()
    if params['state'] == 'present':
        return ('swarm',)
    if params['state'] == 'absent':
        return ('nodes',)
    if params['force']:
        return ('nodes',)  # this manager may leave its swarm first (another one, or one with no leader)
    return ()


def plan_membership(params, view, done=()):
    """The plan for ``params`` from ``view`` (a SwarmView); raises InvalidValue for what it refuses.

    ``done`` holds the kinds of steps applied in earlier rounds (see the module docstring).
    """
    wanted = wanted_settings(params)
    facts = view.facts
    plan = MembershipPlan(facts)
    if recovering_from_pending(params, facts, done):
        _add_force_new_cluster(plan, params)
        return plan
    if facts['state'] in UNUSABLE_STATES and not (params['state'] == 'join' and params['force']):
        raise InvalidValue(cut_off(view) + '; fix or leave it first')
    state = params['state']
    if state != 'absent' and facts['state'] == 'locked':
        _plan_unlock(plan, params)
    elif state == 'present':
        _plan_present(plan, params, view, wanted, done)
    elif state == 'join':
        _plan_join(plan, params, view)
    elif facts['state'] != 'inactive':
        _plan_leave(plan, view, force=params['force'])
    return plan


def _plan_unlock(plan, params):
    if not params['unlock_key']:
        raise InvalidValue('the swarm on this engine is locked (autolock) since the engine restarted; '
                           'give unlock_key to unlock it')
    plan.add(Step('unlock', 'unlocked the swarm', 'unlock the swarm', 'unlock_swarm',
                  {'UnlockKey': params['unlock_key']}))
    plan.changes.add('state', 'locked', 'active')
    plan.replan = True  # a locked manager shows neither its role nor its swarm


def _plan_present(plan, params, view, wanted, done):
    facts = view.facts
    if facts['state'] == 'inactive':
        spec = plan_settings({}, wanted, ChangeSet(), signing_ca=_signing_ca(params))
        plan.changes.add('state', 'inactive', 'active (new swarm, this node its first manager)')
        plan.add(Step('create', 'created the swarm', 'create the swarm', 'init_swarm',
                      advertise_addr=params['advertise_addr'], listen_addr=params['listen_addr'], swarm_spec=spec,
                      default_addr_pool=params['default_addr_pool'], subnet_size=params['subnet_size'],
                      data_path_addr=params['data_path_addr']))
        return
    if not facts['is_manager']:
        raise InvalidValue('this engine is a worker of a swarm; cluster settings can only be changed on a manager '
                           '(run the task on a host of the swarm_managers group)')
    lost_majority = view.no_leader is not None and leader_missing(view.no_leader, timeout_counts=False)
    if params['force_new_cluster'] and 'force_new_cluster' not in done:
        if view.no_leader is None:
            plan.warnings.append('force_new_cluster: the swarm has a leader, so nothing was forced')
        elif lost_majority:
            _add_force_new_cluster(plan, params)
            return
    if view.no_leader is not None:
        # A timeout is no proof that the majority is lost: nothing is forced on it.
        raise DockerError(view.no_leader.msg + (LOST_MAJORITY_HINT if lost_majority else NO_ANSWER_HINT),
                          **view.no_leader.details)
    _plan_settings(plan, params, view.swarm, wanted)


def recovering_from_pending(params, facts, done=()):
    """Whether this is a manager that restarted without the majority of its managers (a swarm state
    restored from a backup, or every other manager lost): the engine then stays ``pending``, never
    reaching a leader, and only a forced new cluster starts it. Asked for with force_new_cluster."""
    return (params['state'] == 'present' and params['force_new_cluster'] and facts['state'] == 'pending'
            and 'force_new_cluster' not in done)


def _add_force_new_cluster(plan, params):
    plan.add(Step('force_new_cluster', 'forced a new cluster with this manager as the only one',
                  'force a new cluster', 'init_swarm', advertise_addr=params['advertise_addr'],
                  listen_addr=params['listen_addr'], force_new_cluster=True))
    plan.changes.add('managers', 'no leader', 'this node only')
    plan.replan = True  # the settings are compared with the new cluster's


def _plan_settings(plan, params, swarm, wanted):
    conflicts = init_only_conflicts(swarm, params)
    if conflicts:
        raise InvalidValue('; '.join(conflicts) + '; a different value needs a new swarm')
    settings = ChangeSet(secret_keys=('signing_ca_cert',))
    spec = plan_settings(swarm.get('Spec'), wanted, settings,
                         trust_root=(swarm.get('TLSInfo') or {}).get('TrustRoot'), signing_ca=_signing_ca(params))
    if params['rotate_unlock_key'] and not spec.get('EncryptionConfig', {}).get('AutoLockManagers'):
        raise InvalidValue('rotate_unlock_key needs a locked swarm (autolock: true)')
    rotate = {}
    for option, sdk_argument in ROTATIONS:
        rotate[sdk_argument] = params[option]
        if params[option]:
            settings.add(option, 'current', 'new')
    if not settings:
        return
    plan.changes.merge(settings)
    names = ', '.join(settings.keys())
    plan.add(Step('update', 'updated the cluster settings: %s' % names, 'update the cluster settings (%s)' % names,
                  'update_swarm', version=swarm['Version']['Index'], swarm_spec=spec, **rotate))


def _plan_join(plan, params, view):
    if not params['remote_addrs'] or not params['join_token']:
        raise InvalidValue('state=join needs remote_addrs (managers of the swarm) and join_token')
    if view.facts['state'] != 'inactive':
        other = cut_off(view) or other_swarm(params, view)
        if not other:
            return
        if not params['force']:
            raise InvalidValue(other + '; make it leave first (state=absent) or set force=true to leave and join')
        _plan_leave(plan, view, force=True)
    plan.changes.add('state', 'inactive', 'active (joined)')
    addresses = ', '.join(params['remote_addrs'])
    plan.add(Step('join', 'joined the swarm at %s' % addresses, 'join the swarm at %s' % addresses, 'join_swarm',
                  remote_addrs=params['remote_addrs'], join_token=params['join_token'],
                  listen_addr=params['listen_addr'], advertise_addr=params['advertise_addr'],
                  data_path_addr=params['data_path_addr']))


def cut_off(view):
    """Why this engine cannot use the swarm it is in (None when it can): a broken state, or a manager
    with no leader (as one that force_new_cluster on another manager removed from Raft)."""
    facts = view.facts
    if facts['state'] in UNUSABLE_STATES:
        return 'the engine reports swarm state %r (%s)' % (facts['state'], facts['error'] or 'no detail')
    if view.no_leader is not None:
        return 'this engine is a manager of a swarm that has no leader (none answered it)'
    return None


def other_swarm(params, view):
    """Why this engine's swarm is not the one to join (None when it is the same swarm).

    A manager knows its swarm's ID and root CA, which the join token's digest must match. A worker
    knows only the managers it talks to: it is in the swarm to join when one of them is asked for.
    """
    facts = view.facts
    if facts['is_manager']:
        cluster = view.section.get('Cluster') or {}
        trust_root = (cluster.get('TLSInfo') or {}).get('TrustRoot') or ''
        same_ca = trust_root_digest(trust_root) == token_ca_digest(params['join_token'])
        if same_ca and params['cluster_id'] in (None, facts['cluster_id']):
            return None
        return ('this engine is a manager of swarm %s, not of swarm %s that the join token belongs to'
                % (facts['cluster_id'], params['cluster_id'] or '(its CA differs)'))
    managers = [entry.get('Addr') or '' for entry in view.section.get('RemoteManagers') or []]
    wanted_hosts = set(_host(addr) for addr in params['remote_addrs'])
    if wanted_hosts & set(_host(addr) for addr in managers):
        return None
    return ('this engine is a worker of another swarm (managers %s), not of swarm %s at %s'
            % (', '.join(managers) or 'unknown', params['cluster_id'] or '(ID not given)',
               ', '.join(params['remote_addrs'])))


def _plan_leave(plan, view, force):
    """Leave the swarm; a manager is demoted first, and only when the managers left behind stay safe."""
    facts = view.facts
    if facts['is_manager']:
        nodes = [node_facts(node) for node in view.nodes or []]
        problems = manager_set_problems(nodes, removed={facts['node_id']})
        if problems and not force:
            raise InvalidValue('refusing to take this manager out of the swarm: %s; set force=true to do it anyway'
                               % '; '.join(problems))
        if len([node for node in nodes if node['role'] == 'manager']) > 1:
            own = [node for node in view.nodes if node.get('ID') == facts['node_id']]
            if not own:
                raise DockerError('this node (%s) is not in the node list of its swarm; run the task again'
                                  % facts['node_id'])
            spec = dict(own[0]['Spec'], Role='worker')
            plan.add(Step('demote', 'demoted this manager before leaving', 'demote this manager', 'update_node',
                          facts['node_id'], own[0]['Version']['Index'], spec))
    plan.changes.add('state', facts['state'], 'inactive')
    plan.add(Step('leave', 'left the swarm', 'leave the swarm', 'leave_swarm', force=True))


def _signing_ca(params):
    if params['signing_ca_cert']:
        return params['signing_ca_cert'], params['signing_ca_key']
    return None


def _host(addr):
    addr = addr.strip()
    if addr.startswith('['):
        return addr[1:].split(']')[0]
    return addr.rsplit(':', 1)[0] if addr.count(':') == 1 else addr


def predicted_facts(facts, actions):
    """This engine's swarm facts after ``actions`` (check mode: nothing was done)."""
    facts = dict(facts)
    if any(action.startswith(('created', 'joined')) for action in actions):
        facts.update(state='active', is_manager=actions[-1].startswith('created') or facts['is_manager'])
    elif 'left the swarm' in actions:
        facts.update(state='inactive', node_id='', cluster_id=None, is_manager=False)
    elif 'unlocked the swarm' in actions:
        facts.update(state='active', is_manager=True)  # only a manager locks
    return facts


# ---- reading and applying ----

def read_view(client, params):
    """GET /info and, as needed_reads says, GET /swarm (a missing leader kept for the planner) and GET /nodes."""
    info = client.info()
    needs = needed_reads(params, info)
    swarm = nodes = no_leader = None
    if 'swarm' in needs:
        swarm, no_leader = _read_or_no_leader(client, 'inspect the swarm', 'inspect_swarm')
    if 'nodes' in needs and no_leader is None:
        # A manager cut off from its leader lists no nodes; leaving by force needs none.
        nodes, no_leader = _read_or_no_leader(client, 'list the swarm nodes', 'nodes')
    return SwarmView(info, swarm=swarm, nodes=nodes, no_leader=no_leader)


def _read_or_no_leader(client, todo, method):
    """(answer, None), or (None, the error) when the swarm has no leader to answer."""
    try:
        return client.call(todo, method), None
    except DockerError as exc:
        if not leader_missing(exc):
            raise
        return None, exc


def apply_plan(client, plan, sleep=time.sleep, clock=time.time):
    """Run the plan's steps in order, waiting where the engine needs time before the next step."""
    for step in plan.steps:
        client.call(step.todo, step.method, *step.args, **step.kwargs)
        if step.kind == 'demote':
            # The next step (leave) must not start while Raft still counts this node as a manager.
            _wait(lambda: not local_swarm_facts(client.info())['is_manager'], DEMOTE_TIMEOUT, sleep, clock,
                  'this manager was demoted but is still a manager after %ds; run the task again' % DEMOTE_TIMEOUT)
        elif step.kind == 'force_new_cluster':
            _wait(lambda: _has_leader(client), LEADER_TIMEOUT, sleep, clock,
                  'the forced new cluster has no leader after %ds' % LEADER_TIMEOUT)


def _has_leader(client):
    try:
        client.call('inspect the swarm', 'inspect_swarm')
    except DockerError as exc:
        if leader_missing(exc):
            return False
        raise
    return True


def _wait(done, timeout, sleep, clock, message):
    deadline = clock() + timeout
    while not done():
        if clock() > deadline:
            raise DockerError(message)
        sleep(1)


def converge(module):
    """The swarm module's work: validate, then read, plan and apply until no step needs a fresh read."""
    params = module.params
    validate(params)  # bad input fails here, before the engine is reached
    client = module.client
    view = read_view(client, params)
    first_facts = view.facts
    actions, done, changes = [], [], ChangeSet(secret_keys=('signing_ca_cert',))
    for _round in range(MAX_ROUNDS):
        plan = plan_membership(params, view, done)
        for warning in plan.warnings:
            module.warn(warning)
        changes.merge(plan.changes)
        actions.extend(plan.actions)
        if module.check_mode:
            break
        apply_plan(client, plan)
        done.extend(plan.kinds)
        if not plan.replan:
            break
        view = read_view(client, params)
    if module.check_mode:
        facts = predicted_facts(first_facts, actions)
    else:
        facts = local_swarm_facts(client.info()) if actions else view.facts
    result = dict(changed=bool(changes), actions=actions, state=facts['state'], node_id=facts['node_id'],
                  cluster_id=facts['cluster_id'], is_manager=facts['is_manager'])
    return module.diff_if_wanted(result, changes)
