"""The swarm module's planner and its apply step, from what Docker 20.10 and 26.1 engines answered in the lab.

The recorded swarm (tests/unit/fixtures/README.md): managers node1 (20.10, leader), node2 (20.10) and
node4 (26.1), workers node3 (20.10) and node5 (26.1). engine-26.1/info-leader.json is node4 leading a
second swarm, made later the same way: the "other swarm" of these tests.
"""
import copy

import pytest

from ansible_collections.dockhand.docker.plugins.module_utils.diff import ChangeSet
from ansible_collections.dockhand.docker.plugins.module_utils.errors import DockerError, InvalidValue
from ansible_collections.dockhand.docker.plugins.module_utils.swarm import NO_LEADER, trust_root_digest
from ansible_collections.dockhand.docker.plugins.module_utils.swarm_membership import (
    DEMOTE_TIMEOUT,
    SwarmView,
    apply_plan,
    converge,
    needed_reads,
    plan_membership,
    predicted_facts,
    validate,
)
from ansible_collections.dockhand.docker.plugins.modules.swarm import argument_spec
from ansible_collections.dockhand.docker.tests.unit.engine_fixtures import ENGINES, load

DEFAULTS = dict((option, spec.get('default')) for option, spec in argument_spec().items())
LEADER_ADDR = '172.30.77.11:2377'
NO_LEADER_ERROR = ('Docker engine at unix:///var/run/docker.sock failed to inspect the swarm: rpc error: '
                   'The swarm does not have a leader. (HTTP 503)')
# What a manager whose Raft waits for a leader that never answers says after the engine's deadline.
NO_ANSWER_ERROR = ('Docker engine at unix:///var/run/docker.sock failed to inspect the swarm: rpc error: '
                   'code = DeadlineExceeded desc = context deadline exceeded (HTTP 500)')


def params(**given):
    return dict(DEFAULTS, **given)


def swarm(engine):
    return load(engine, 'swarm')


def token(engine, role='Worker'):
    return swarm(engine)['JoinTokens'][role]


def other_swarm_token():
    """A token of the second swarm (node4's), whose root CA is not the first swarm's."""
    trust_root = load('engine-26.1', 'info-leader')['Swarm']['Cluster']['TLSInfo']['TrustRoot']
    return 'SWMTKN-1-%s-%s' % (trust_root_digest(trust_root), 'fakeworkertoken0000000000')


def inactive(engine):
    return SwarmView(load(engine, 'info'))


def manager(engine, name='info-manager', nodes='nodes', swarm_doc='swarm'):
    """A manager that is not the leader (node2 on 20.10, node4 on 26.1), as the planner sees it."""
    return SwarmView(load(engine, name), swarm=load(engine, swarm_doc), nodes=load(engine, nodes))


def worker(engine):
    return SwarmView(load(engine, 'info-worker'))


def no_leader(engine):
    return SwarmView(load(engine, 'info-manager'), no_leader=DockerError(NO_LEADER_ERROR, status_code=503))


def no_answer(engine):
    return SwarmView(load(engine, 'info-manager'), no_leader=DockerError(NO_ANSWER_ERROR, status_code=500))


def join(engine, **given):
    return params(**dict(dict(state='join', remote_addrs=[LEADER_ADDR], join_token=token(engine)), **given))


def refusal(params_, view, done=()):
    with pytest.raises(InvalidValue) as caught:
        plan_membership(params_, view, done)
    assert '\n' not in caught.value.msg
    return caught.value.msg


def with_role(nodes, hostname, role):
    """``nodes`` (GET /nodes) with ``hostname`` made a reachable manager or a worker."""
    nodes = copy.deepcopy(nodes)
    for node in nodes:
        if node['Description']['Hostname'] == hostname:
            node['Spec']['Role'] = role
            if role == 'manager':
                node['ManagerStatus'] = {'Addr': node['Status']['Addr'] + ':2377', 'Reachability': 'reachable'}
            else:
                node.pop('ManagerStatus', None)
    return nodes


def recorded_nodes_view(engine, nodes):
    return SwarmView(load(engine, 'info-manager'), swarm=swarm(engine), nodes=nodes)


# ---- what the engines said, read as facts ----

@pytest.mark.parametrize('engine', ENGINES)
def test_the_recorded_states_read_as_expected(engine):
    assert inactive(engine).facts['state'] == 'inactive'
    assert manager(engine).facts['is_manager'] is True
    assert manager(engine).facts['cluster_id'] == swarm(engine)['ID']
    assert worker(engine).facts['is_manager'] is False and worker(engine).facts['state'] == 'active'
    locked = SwarmView(load(engine, 'info-locked')).facts
    # A locked manager says nothing of its role or ID until it is unlocked.
    assert (locked['state'], locked['is_manager'], locked['node_id']) == ('locked', False, '')


@pytest.mark.parametrize('engine', ENGINES)
@pytest.mark.parametrize('info, given, reads', [
    ('info', {}, ()),
    ('info-manager', {}, ('swarm',)),
    ('info-manager', {'force_new_cluster': True}, ('swarm',)),
    ('info-manager', {'state': 'absent'}, ('nodes',)),
    ('info-worker', {'state': 'absent'}, ()),
    ('info-worker', {}, ()),
    ('info-locked', {'unlock_key': 'SWMKEY-1-fake'}, ()),
    ('info-locked', {'state': 'absent'}, ()),
])
def test_needed_reads(engine, info, given, reads):
    assert needed_reads(params(**given), load(engine, info)) == reads


@pytest.mark.parametrize('engine', ENGINES)
def test_needed_reads_of_a_join(engine):
    info = load(engine, 'info-manager')
    assert needed_reads(join(engine), info) == ()  # the same swarm: nothing to do
    assert needed_reads(join(engine, join_token=other_swarm_token()), info) == ()  # refused without force
    assert needed_reads(join(engine, join_token=other_swarm_token(), force=True), info) == ('nodes',)


# ---- create ----

@pytest.mark.parametrize('engine', ENGINES)
def test_create_on_an_inactive_engine(engine):
    given = params(advertise_addr='172.30.77.11', cert_expiry='720h', task_history_limit=3, autolock=True,
                   default_addr_pool=['10.20.0.0/16'], subnet_size=24)
    plan = plan_membership(given, inactive(engine))
    assert plan.actions == ['created the swarm'] and plan.kinds == ['create'] and not plan.replan
    step = plan.steps[0]
    assert step.method == 'init_swarm'
    assert step.kwargs['advertise_addr'] == '172.30.77.11' and step.kwargs['listen_addr'] == '0.0.0.0:2377'
    assert step.kwargs['default_addr_pool'] == ['10.20.0.0/16'] and step.kwargs['subnet_size'] == 24
    assert step.kwargs['swarm_spec'] == {'CAConfig': {'NodeCertExpiry': 720 * 3600 * 10 ** 9},
                                         'Orchestration': {'TaskHistoryRetentionLimit': 3},
                                         'EncryptionConfig': {'AutoLockManagers': True}}
    assert plan.changes.before() == {'state': 'inactive'}
    assert plan.changes.after() == {'state': 'active (new swarm, this node its first manager)'}
    predicted = predicted_facts(plan.facts, plan.actions)
    assert (predicted['state'], predicted['is_manager'], predicted['node_id']) == ('active', True, '')


@pytest.mark.parametrize('engine', ENGINES)
def test_create_with_a_signing_ca_masks_it(engine):
    plan = plan_membership(params(signing_ca_cert='CERT', signing_ca_key='KEY'), inactive(engine))
    ca_config = plan.steps[0].kwargs['swarm_spec']['CAConfig']
    assert ca_config == {'SigningCACert': 'CERT\n', 'SigningCAKey': 'KEY\n'}
    assert 'KEY' not in repr(plan.changes.as_diff()) and 'KEY' not in repr(plan.steps)


def test_bad_input_is_refused_before_the_engine_is_read():
    with pytest.raises(InvalidValue, match='join_token: is not a swarm join token'):
        validate(params(state='join', remote_addrs=[LEADER_ADDR], join_token='SWMTKN-1-short-secret'))
    with pytest.raises(InvalidValue, match='signing_ca_cert and signing_ca_key go together'):
        validate(params(signing_ca_cert='CERT'))
    with pytest.raises(InvalidValue, match='election_tick'):
        validate(params(election_tick=1))
    assert validate(params(cert_expiry='1h')) == {'cert_expiry': 3600 * 10 ** 9}


# ---- join ----

@pytest.mark.parametrize('engine', ENGINES)
@pytest.mark.parametrize('role', ['Worker', 'Manager'])
def test_join_from_an_inactive_engine(engine, role):
    given = join(engine, join_token=token(engine, role), advertise_addr='172.30.77.13',
                 cluster_id=swarm(engine)['ID'])
    plan = plan_membership(given, inactive(engine))
    assert plan.actions == ['joined the swarm at %s' % LEADER_ADDR] and plan.kinds == ['join']
    assert plan.steps[0].kwargs == dict(remote_addrs=[LEADER_ADDR], join_token=token(engine, role),
                                        listen_addr='0.0.0.0:2377', advertise_addr='172.30.77.13',
                                        data_path_addr=None)
    assert plan.changes.before() == {'state': 'inactive'} and plan.changes.after() == {'state': 'active (joined)'}
    assert token(engine, role) not in repr(plan.steps) + repr(plan.changes.as_diff())
    predicted = predicted_facts(plan.facts, plan.actions)
    # The token does not say the role; the prediction keeps what the engine was (not a manager).
    assert predicted['state'] == 'active' and predicted['is_manager'] is False


@pytest.mark.parametrize('engine', ENGINES)
@pytest.mark.parametrize('role', ['Worker', 'Manager'])
def test_a_manager_of_the_same_swarm_is_left_alone(engine, role):
    for cluster_id in (None, swarm(engine)['ID']):
        plan = plan_membership(join(engine, join_token=token(engine, role), cluster_id=cluster_id), manager(engine))
        assert plan.steps == [] and not plan.changes


@pytest.mark.parametrize('engine', ENGINES)
def test_a_worker_of_the_same_swarm_is_known_by_its_managers(engine):
    for addresses in ([LEADER_ADDR], ['172.30.77.12'], ['10.1.1.1:2377', '172.30.77.14:2377']):
        plan = plan_membership(join(engine, remote_addrs=addresses), worker(engine))
        assert plan.steps == [] and not plan.changes


@pytest.mark.parametrize('engine', ENGINES)
def test_a_manager_of_another_swarm_is_refused_naming_both_ids(engine):
    ours = swarm(engine)['ID']
    theirs = load('engine-26.1', 'info-leader')['Swarm']['Cluster']['ID']
    assert ours != theirs
    message = refusal(join(engine, join_token=other_swarm_token(), cluster_id=theirs), manager(engine))
    assert message == ('this engine is a manager of swarm %s, not of swarm %s that the join token belongs to; '
                       'make it leave first (state=absent) or set force=true to leave and join' % (ours, theirs))
    # The same swarm ID with a token of another CA, and a token of the right CA for another ID: refused too.
    assert '(its CA differs)' in refusal(join(engine, join_token=other_swarm_token()), manager(engine))
    assert theirs in refusal(join(engine, cluster_id=theirs), manager(engine))


def test_the_leader_of_the_second_swarm_is_refused_the_first():
    first = swarm('engine-20.10')['ID']
    second = load('engine-26.1', 'info-leader')['Swarm']['Cluster']['ID']
    view = SwarmView(load('engine-26.1', 'info-leader'))
    message = refusal(join('engine-20.10', cluster_id=first), view)
    assert first in message and second in message


@pytest.mark.parametrize('engine', ENGINES)
def test_a_worker_of_another_swarm_is_refused(engine):
    message = refusal(join(engine, remote_addrs=['10.9.9.9:2377'], cluster_id='abc'), worker(engine))
    assert message.startswith('this engine is a worker of another swarm (managers 172.30.77.')
    assert 'not of swarm abc at 10.9.9.9:2377' in message and 'force=true' in message


@pytest.mark.parametrize('engine', ENGINES)
def test_force_makes_a_manager_of_another_swarm_demote_leave_and_join(engine):
    view = manager(engine)
    plan = plan_membership(join(engine, join_token=other_swarm_token(), force=True), view)
    assert plan.kinds == ['demote', 'leave', 'join']
    assert plan.actions == ['demoted this manager before leaving', 'left the swarm',
                            'joined the swarm at %s' % LEADER_ADDR]
    demote = plan.steps[0]
    own = [node for node in view.nodes if node['ID'] == view.facts['node_id']][0]
    assert demote.method == 'update_node'
    assert demote.args == (own['ID'], own['Version']['Index'], dict(own['Spec'], Role='worker'))
    assert plan.steps[1].kwargs == {'force': True}
    assert plan.changes.before() == {'state': 'inactive'} and plan.changes.after() == {'state': 'active (joined)'}


@pytest.mark.parametrize('engine', ENGINES)
def test_force_makes_a_worker_of_another_swarm_leave_and_join(engine):
    plan = plan_membership(join(engine, remote_addrs=['10.9.9.9:2377'], force=True), worker(engine))
    assert plan.kinds == ['leave', 'join']


@pytest.mark.parametrize('engine', ENGINES)
@pytest.mark.parametrize('state', ['pending', 'error'])
def test_force_makes_a_manager_in_a_broken_state_leave_and_join(engine, state):
    # A manager that force_new_cluster elsewhere removed from Raft: pending, its cluster unknown.
    info = load(engine, 'info-manager')
    info['Swarm'].update(LocalNodeState=state, Error='The swarm does not have a leader.', Cluster={})
    plan = plan_membership(join(engine, force=True), SwarmView(info))
    assert plan.kinds == ['leave', 'join'] and plan.steps[0].kwargs == {'force': True}
    assert "swarm state %r" % state in refusal(join(engine), SwarmView(info))


@pytest.mark.parametrize('engine', ENGINES)
def test_force_makes_a_manager_without_a_leader_leave_and_join_even_of_the_same_swarm(engine):
    # Its /info still names the swarm to join, but it lists no nodes: it is in a Raft with no leader.
    plan = plan_membership(join(engine, force=True), no_leader(engine))
    assert plan.kinds == ['leave', 'join']
    assert plan_membership(join(engine, force=True), manager(engine)).kinds == []


def test_join_needs_managers_and_a_token():
    assert 'needs remote_addrs' in refusal(params(state='join', join_token=token('engine-20.10')),
                                           inactive('engine-20.10'))


# ---- cluster settings ----

# option, value, before and after in the diff, where the spec holds it and the value sent.
SETTINGS = [
    ('cert_expiry', '720h', '2160h', '720h', ('CAConfig', 'NodeCertExpiry'), 720 * 3600 * 10 ** 9),
    ('task_history_limit', 2, 5, 2, ('Orchestration', 'TaskHistoryRetentionLimit'), 2),
    ('dispatcher_heartbeat', '10s', '5s', '10s', ('Dispatcher', 'HeartbeatPeriod'), 10 * 10 ** 9),
    ('election_tick', 20, 10, 20, ('Raft', 'ElectionTick'), 20),
    ('heartbeat_tick', 2, 1, 2, ('Raft', 'HeartbeatTick'), 2),
    ('snapshot_interval', 5000, 10000, 5000, ('Raft', 'SnapshotInterval'), 5000),
    ('autolock', True, False, True, ('EncryptionConfig', 'AutoLockManagers'), True),
    ('external_ca', [{'url': 'https://ca.example/sign'}], [],
     [{'protocol': 'cfssl', 'url': 'https://ca.example/sign', 'ca_cert': '', 'options': {}}],
     ('CAConfig', 'ExternalCAs'), [{'Protocol': 'cfssl', 'URL': 'https://ca.example/sign', 'CACert': '',
                                    'Options': {}}]),
]


@pytest.mark.parametrize('engine', ENGINES)
@pytest.mark.parametrize('option, value, before, after, path, sent', SETTINGS, ids=[s[0] for s in SETTINGS])
def test_each_setting_is_updated_alone(engine, option, value, before, after, path, sent):
    plan = plan_membership(params(**{option: value}), manager(engine))
    assert plan.actions == ['updated the cluster settings: %s' % option]
    step = plan.steps[0]
    assert step.method == 'update_swarm' and step.kwargs['version'] == swarm(engine)['Version']['Index']
    assert step.kwargs['swarm_spec'][path[0]][path[1]] == sent
    assert (step.kwargs['rotate_worker_token'], step.kwargs['rotate_manager_token'],
            step.kwargs['rotate_manager_unlock_key']) == (False, False, False)
    expected = copy.deepcopy(swarm(engine)['Spec'])
    expected[path[0]][path[1]] = sent
    assert step.kwargs['swarm_spec'] == expected  # every other setting sent back as it is
    assert plan.changes.before() == {option: before} and plan.changes.after() == {option: after}


@pytest.mark.parametrize('engine', ENGINES)
def test_the_recorded_defaults_change_nothing(engine):
    given = params(cert_expiry='2160h', task_history_limit=5, dispatcher_heartbeat='5s', election_tick=10,
                   heartbeat_tick=1, snapshot_interval=10000, autolock=False, external_ca=[],
                   default_addr_pool=['10.0.0.0/8'], subnet_size=24)
    plan = plan_membership(given, manager(engine))
    assert plan.steps == [] and not plan.changes and plan.warnings == []


@pytest.mark.parametrize('engine', ENGINES)
def test_several_settings_in_one_update(engine):
    plan = plan_membership(params(cert_expiry='720h', autolock=True, election_tick=20), manager(engine))
    assert plan.actions == ['updated the cluster settings: autolock, cert_expiry, election_tick']
    assert plan.steps[0].todo == 'update the cluster settings (autolock, cert_expiry, election_tick)'


@pytest.mark.parametrize('engine', ENGINES)
@pytest.mark.parametrize('option, argument', [('rotate_worker_token', 'rotate_worker_token'),
                                              ('rotate_manager_token', 'rotate_manager_token')])
def test_a_token_rotation_is_always_a_change(engine, option, argument):
    plan = plan_membership(params(**{option: True}), manager(engine))
    assert plan.actions == ['updated the cluster settings: %s' % option]
    assert plan.steps[0].kwargs[argument] is True
    assert plan.steps[0].kwargs['swarm_spec'] == swarm(engine)['Spec']
    assert plan.changes.before() == {option: 'current'} and plan.changes.after() == {option: 'new'}


@pytest.mark.parametrize('engine', ENGINES)
def test_rotate_unlock_key_needs_autolock(engine):
    assert refusal(params(rotate_unlock_key=True), manager(engine)) == \
        'rotate_unlock_key needs a locked swarm (autolock: true)'
    locked = plan_membership(params(rotate_unlock_key=True), manager(engine, swarm_doc='swarm-autolock'))
    assert locked.steps[0].kwargs['rotate_manager_unlock_key'] is True
    turned_on = plan_membership(params(rotate_unlock_key=True, autolock=True), manager(engine))
    assert turned_on.actions == ['updated the cluster settings: autolock, rotate_unlock_key']


@pytest.mark.parametrize('engine', ENGINES)
def test_autolock_recorded_on_is_not_changed_again(engine):
    plan = plan_membership(params(autolock=True), manager(engine, swarm_doc='swarm-autolock'))
    assert plan.steps == []


@pytest.mark.parametrize('engine', ENGINES)
@pytest.mark.parametrize('given, message', [
    ({'default_addr_pool': ['10.99.0.0/16']},
     "default_addr_pool is ['10.0.0.0/8'] and can only be set when a swarm is created (wanted ['10.99.0.0/16']); "
     "a different value needs a new swarm"),
    ({'subnet_size': 26},
     "subnet_size is 24 and can only be set when a swarm is created (wanted 26); a different value needs a new swarm"),
])
def test_init_only_settings_are_refused_on_an_existing_swarm(engine, given, message):
    assert refusal(params(cert_expiry='720h', **given), manager(engine)) == message


@pytest.mark.parametrize('engine', ENGINES)
def test_settings_on_a_worker_are_refused(engine):
    assert refusal(params(cert_expiry='720h'), worker(engine)).startswith(
        'this engine is a worker of a swarm; cluster settings can only be changed on a manager')


@pytest.mark.parametrize('engine', ENGINES)
def test_a_signing_ca_that_is_the_trust_root_is_no_change(engine):
    trust_root = swarm(engine)['TLSInfo']['TrustRoot']
    assert plan_membership(params(signing_ca_cert=trust_root, signing_ca_key='KEY'), manager(engine)).steps == []
    plan = plan_membership(params(signing_ca_cert='OTHER', signing_ca_key='KEY'), manager(engine))
    assert plan.actions == ['updated the cluster settings: signing_ca_cert']
    assert plan.changes.after() == {'signing_ca_cert': '********'}


# ---- leave ----

@pytest.mark.parametrize('engine', ENGINES)
def test_a_worker_leaves(engine):
    plan = plan_membership(params(state='absent'), worker(engine))
    assert plan.kinds == ['leave'] and plan.actions == ['left the swarm']
    assert plan.changes.before() == {'state': 'active'} and plan.changes.after() == {'state': 'inactive'}
    predicted = predicted_facts(plan.facts, plan.actions)
    assert predicted == dict(plan.facts, state='inactive', node_id='', cluster_id=None, is_manager=False)


@pytest.mark.parametrize('engine', ENGINES)
def test_an_inactive_engine_has_nothing_to_leave(engine):
    plan = plan_membership(params(state='absent'), inactive(engine))
    assert plan.steps == [] and not plan.changes


@pytest.mark.parametrize('engine', ENGINES)
def test_a_manager_leaving_three_is_refused(engine):
    message = refusal(params(state='absent'), manager(engine))
    assert message == ('refusing to take this manager out of the swarm: 2 managers would be left; an even number '
                       'tolerates no more failures than 1 (keep 1, 3, 5 or 7); set force=true to do it anyway')


@pytest.mark.parametrize('engine', ENGINES)
def test_a_manager_leaving_four_is_demoted_first(engine):
    nodes = with_role(load(engine, 'nodes'), 'dockhand-node3', 'manager')
    view = recorded_nodes_view(engine, nodes)
    plan = plan_membership(params(state='absent'), view)
    assert plan.kinds == ['demote', 'leave']
    assert plan.steps[0].args[0] == view.facts['node_id'] and plan.steps[0].args[2]['Role'] == 'worker'


@pytest.mark.parametrize('engine', ENGINES)
def test_a_manager_leaving_while_another_is_down_is_refused_for_both_reasons(engine):
    # engine-*/nodes-manager-down: node2 (a 20.10 manager) is down. node4 leaves on 26.1; on 20.10 the
    # view is node2's own, so make node1 the one that leaves.
    info = load(engine, 'info-manager' if engine == 'engine-26.1' else 'info-leader')
    message = refusal(params(state='absent'), SwarmView(info, nodes=load(engine, 'nodes-manager-down')))
    assert '2 managers would be left' in message
    assert 'only 1 of 2 managers would be reachable, fewer than the majority of 2' in message


@pytest.mark.parametrize('engine', ENGINES)
def test_the_last_manager_leaves_only_with_force(engine):
    view = manager(engine)
    own = view.facts['node_id']
    nodes = copy.deepcopy(view.nodes)
    for node in nodes:
        if node['ID'] != own:
            node['Spec']['Role'] = 'worker'
            node.pop('ManagerStatus', None)
    last = SwarmView(view.info, nodes=nodes)
    message = refusal(params(state='absent'), last)
    assert 'no manager would be left' in message
    forced = plan_membership(params(state='absent', force=True), last)
    assert forced.kinds == ['leave']  # nobody to hand over to: no demotion


@pytest.mark.parametrize('engine', ENGINES)
def test_force_takes_a_manager_out_of_three(engine):
    plan = plan_membership(params(state='absent', force=True), manager(engine))
    assert plan.kinds == ['demote', 'leave']


# ---- force_new_cluster ----

@pytest.mark.parametrize('engine', ENGINES)
def test_force_new_cluster_with_a_leader_forces_nothing(engine):
    plan = plan_membership(params(force_new_cluster=True, cert_expiry='720h'), manager(engine))
    assert plan.warnings == ['force_new_cluster: the swarm has a leader, so nothing was forced']
    assert plan.kinds == ['update']


@pytest.mark.parametrize('engine', ENGINES)
def test_force_new_cluster_without_a_leader(engine):
    given = params(force_new_cluster=True, advertise_addr='172.30.77.12', cert_expiry='720h')
    plan = plan_membership(given, no_leader(engine))
    assert plan.kinds == ['force_new_cluster'] and plan.replan and plan.warnings == []
    assert plan.actions == ['forced a new cluster with this manager as the only one']
    assert plan.steps[0].kwargs == dict(advertise_addr='172.30.77.12', listen_addr='0.0.0.0:2377',
                                        force_new_cluster=True)
    assert plan.changes.before() == {'managers': 'no leader'} and plan.changes.after() == {'managers': 'this node only'}
    # The next round, with the new cluster's leader, compares the settings and does not warn.
    after = plan_membership(given, manager(engine), done=['force_new_cluster'])
    assert after.kinds == ['update'] and after.warnings == []


@pytest.mark.parametrize('engine', ENGINES)
def test_no_leader_without_force_new_cluster_says_how_to_recover(engine):
    with pytest.raises(DockerError) as caught:
        plan_membership(params(), no_leader(engine))
    assert caught.value.msg.startswith(NO_LEADER_ERROR)
    assert NO_LEADER in caught.value.msg and 'recover with force_new_cluster=true' in caught.value.msg
    assert caught.value.details == {'status_code': 503}


@pytest.mark.parametrize('engine', ENGINES)
@pytest.mark.parametrize('force_new_cluster', [False, True])
def test_a_read_that_timed_out_forces_nothing_and_says_so(engine, force_new_cluster):
    # No leader answered in time: that does not prove the majority lost, so no new cluster is forced.
    with pytest.raises(DockerError) as caught:
        plan_membership(params(force_new_cluster=force_new_cluster), no_answer(engine))
    assert caught.value.msg.startswith(NO_ANSWER_ERROR)
    assert 'does not prove the majority of managers lost, so nothing was changed' in caught.value.msg
    assert caught.value.details == {'status_code': 500}


@pytest.mark.parametrize('engine', ENGINES)
def test_a_forced_join_of_a_manager_no_leader_answered_in_time_leaves_then_joins(engine):
    plan = plan_membership(join(engine, force=True), no_answer(engine))
    assert plan.kinds == ['leave', 'join']


# ---- a locked manager ----

@pytest.mark.parametrize('engine', ENGINES)
@pytest.mark.parametrize('state', ['present', 'join'])
def test_a_locked_manager_needs_its_unlock_key(engine, state):
    given = params(state=state, remote_addrs=[LEADER_ADDR], join_token=token(engine))
    assert refusal(given, SwarmView(load(engine, 'info-locked'))) == (
        'the swarm on this engine is locked (autolock) since the engine restarted; give unlock_key to unlock it')


@pytest.mark.parametrize('engine', ENGINES)
def test_a_locked_manager_is_unlocked_then_planned_again(engine):
    locked = SwarmView(load(engine, 'info-locked'))
    plan = plan_membership(params(unlock_key='SWMKEY-1-fake', cert_expiry='720h'), locked)
    assert plan.kinds == ['unlock'] and plan.replan and plan.actions == ['unlocked the swarm']
    assert plan.steps[0].args == ({'UnlockKey': 'SWMKEY-1-fake'},) and 'SWMKEY' not in repr(plan.steps)
    assert plan.changes.before() == {'state': 'locked'} and plan.changes.after() == {'state': 'active'}
    predicted = predicted_facts(plan.facts, plan.actions)
    assert predicted['state'] == 'active' and predicted['is_manager'] is True


@pytest.mark.parametrize('engine', ENGINES)
def test_a_locked_manager_leaves_without_unlocking(engine):
    plan = plan_membership(params(state='absent'), SwarmView(load(engine, 'info-locked')))
    assert plan.kinds == ['leave']
    assert plan.changes.before() == {'state': 'locked'} and plan.changes.after() == {'state': 'inactive'}


@pytest.mark.parametrize('state', ['pending', 'error'])
def test_an_engine_in_a_broken_state_is_refused(state):
    info = load('engine-26.1', 'info-worker')
    info['Swarm'].update(LocalNodeState=state, Error='raft: no peers')
    assert refusal(params(), SwarmView(info)) == \
        "the engine reports swarm state %r (raft: no peers); fix or leave it first" % state


@pytest.mark.parametrize('engine', ENGINES)
def test_a_manager_pending_without_its_majority_is_forced_only_when_asked(engine):
    # A manager whose engine started without the majority (a restored swarm state) stays pending.
    info = load(engine, 'info-manager')
    info['Swarm'].update(LocalNodeState='pending', ControlAvailable=False)
    given = params(force_new_cluster=True, advertise_addr='172.30.77.11')
    plan = plan_membership(given, SwarmView(info))
    assert plan.kinds == ['force_new_cluster'] and plan.replan
    assert plan.steps[0].kwargs == dict(advertise_addr='172.30.77.11', listen_addr='0.0.0.0:2377',
                                        force_new_cluster=True)
    assert refusal(params(), SwarmView(info)).startswith("the engine reports swarm state 'pending'")
    # Forced once: still pending afterwards is refused as before.
    assert "swarm state 'pending'" in refusal(given, SwarmView(info), done=['force_new_cluster'])


# ---- applying a plan, and the rounds of converge ----

class FakeClient(object):
    """Answers GET /info from a list of recorded answers (the last one repeats) and records every call."""

    def __init__(self, infos, swarm=None, nodes=None, no_leader_answers=0, no_leader_error=NO_LEADER_ERROR):
        self.infos = list(infos)
        self.swarm = swarm
        self.nodes_answer = nodes
        self.no_leader_answers = no_leader_answers
        self.no_leader_error = no_leader_error
        self.calls = []

    def info(self):
        return self.infos.pop(0) if len(self.infos) > 1 else self.infos[0]

    def call(self, todo, method, *args, **kwargs):
        self.calls.append(method)
        if method == 'inspect_swarm':
            if self.no_leader_answers:
                self.no_leader_answers -= 1
                raise DockerError(self.no_leader_error, status_code=503)
            return self.swarm
        if method == 'nodes':
            return self.nodes_answer
        return None


class FakeModule(object):
    def __init__(self, given, client, check_mode=False, diff=False):
        self.params = given
        self.client = client
        self.check_mode = check_mode
        self.diff = diff
        self.warnings = []

    def warn(self, message):
        self.warnings.append(message)

    def diff_if_wanted(self, result, changes):
        if self.diff:
            result['diff'] = changes.as_diff()
        return result


class FakeClock(object):
    def __init__(self):
        self.now = 0.0

    def time(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


@pytest.mark.parametrize('engine', ENGINES)
def test_a_demoted_manager_leaves_only_once_it_is_a_worker(engine):
    client = FakeClient([load(engine, 'info-manager')] * 3 + [load(engine, 'info-worker')])
    plan = plan_membership(params(state='absent', force=True), manager(engine))
    clock = FakeClock()
    apply_plan(client, plan, sleep=clock.sleep, clock=clock.time)
    assert client.calls == ['update_node', 'leave_swarm'] and clock.now == 3


def test_a_demotion_that_never_completes_fails_before_leaving():
    client = FakeClient([load('engine-20.10', 'info-manager')])
    plan = plan_membership(params(state='absent', force=True), manager('engine-20.10'))
    clock = FakeClock()
    with pytest.raises(DockerError, match='still a manager after %ds' % DEMOTE_TIMEOUT):
        apply_plan(client, plan, sleep=clock.sleep, clock=clock.time)
    assert client.calls == ['update_node']


@pytest.mark.parametrize('answer', [NO_LEADER_ERROR, NO_ANSWER_ERROR])
def test_a_forced_new_cluster_is_waited_for_until_it_has_a_leader(answer):
    client = FakeClient([load('engine-20.10', 'info-manager')], swarm=swarm('engine-20.10'), no_leader_answers=2,
                        no_leader_error=answer)
    plan = plan_membership(params(force_new_cluster=True), no_leader('engine-20.10'))
    clock = FakeClock()
    apply_plan(client, plan, sleep=clock.sleep, clock=clock.time)
    assert client.calls == ['init_swarm', 'inspect_swarm', 'inspect_swarm', 'inspect_swarm'] and clock.now == 2


@pytest.mark.parametrize('engine', ENGINES)
def test_converge_unlocks_reads_again_then_updates_the_settings(engine):
    client = FakeClient([load(engine, 'info-locked'), load(engine, 'info-manager')], swarm=swarm(engine))
    module = FakeModule(params(unlock_key='SWMKEY-1-fake', cert_expiry='720h'), client, diff=True)
    result = converge(module)
    assert client.calls == ['unlock_swarm', 'inspect_swarm', 'update_swarm']
    assert result['actions'] == ['unlocked the swarm', 'updated the cluster settings: cert_expiry']
    assert result['changed'] is True and result['state'] == 'active' and result['is_manager'] is True
    assert result['diff'] == {'before': {'state': 'locked', 'cert_expiry': '2160h'},
                              'after': {'state': 'active', 'cert_expiry': '720h'}}


class LeaderlessNodesClient(FakeClient):
    """A manager whose swarm has no leader: GET /nodes fails as GET /swarm does."""

    def call(self, todo, method, *args, **kwargs):
        if method == 'nodes':
            self.calls.append(method)
            raise DockerError(NO_LEADER_ERROR, status_code=503)
        return FakeClient.call(self, todo, method, *args, **kwargs)


@pytest.mark.parametrize('engine', ENGINES)
def test_converge_a_forced_join_of_a_manager_without_a_leader_leaves_then_joins(engine):
    # Its /info names the swarm to join; the node list says the Raft group it is in has no leader.
    client = LeaderlessNodesClient([load(engine, 'info-manager'), load(engine, 'info')])
    result = converge(FakeModule(join(engine, force=True), client))
    assert client.calls == ['nodes', 'leave_swarm', 'join_swarm']
    assert result['actions'] == ['left the swarm', 'joined the swarm at %s' % LEADER_ADDR]


@pytest.mark.parametrize('engine', ENGINES)
def test_converge_in_check_mode_stops_the_prediction_at_the_unlock(engine):
    client = FakeClient([load(engine, 'info-locked')])
    module = FakeModule(params(unlock_key='SWMKEY-1-fake', cert_expiry='720h'), client, check_mode=True)
    result = converge(module)
    assert client.calls == [] and result['actions'] == ['unlocked the swarm']
    assert (result['changed'], result['state'], result['is_manager']) == (True, 'active', True)


@pytest.mark.parametrize('engine', ENGINES)
def test_converge_forces_a_new_cluster_then_compares_the_settings(engine):
    client = FakeClient([load(engine, 'info-manager')], swarm=swarm(engine), no_leader_answers=1)
    module = FakeModule(params(force_new_cluster=True, cert_expiry='720h'), client)
    result = converge(module)
    assert client.calls == ['inspect_swarm', 'init_swarm', 'inspect_swarm', 'inspect_swarm', 'update_swarm']
    assert result['actions'] == ['forced a new cluster with this manager as the only one',
                                 'updated the cluster settings: cert_expiry']
    assert module.warnings == []
    check = FakeModule(module.params, FakeClient([load(engine, 'info-manager')], no_leader_answers=1),
                       check_mode=True)
    assert converge(check)['actions'] == ['forced a new cluster with this manager as the only one']


@pytest.mark.parametrize('engine', ENGINES)
def test_converge_warns_when_force_new_cluster_finds_a_leader(engine):
    module = FakeModule(params(force_new_cluster=True), FakeClient([load(engine, 'info-manager')],
                                                                   swarm=swarm(engine)))
    result = converge(module)
    assert result['changed'] is False and result['actions'] == []
    assert module.warnings == ['force_new_cluster: the swarm has a leader, so nothing was forced']


@pytest.mark.parametrize('engine', ENGINES)
def test_converge_in_check_mode_predicts_and_calls_nothing(engine):
    client = FakeClient([load(engine, 'info')])
    result = converge(FakeModule(params(advertise_addr='172.30.77.11'), client, check_mode=True, diff=True))
    assert client.calls == []
    assert result == {'changed': True, 'actions': ['created the swarm'], 'state': 'active', 'node_id': '',
                      'cluster_id': None, 'is_manager': True,
                      'diff': {'before': {'state': 'inactive'},
                               'after': {'state': 'active (new swarm, this node its first manager)'}}}
    leave = FakeClient([load(engine, 'info-manager')], nodes=load(engine, 'nodes'))
    result = converge(FakeModule(params(state='absent', force=True), leave, check_mode=True))
    assert leave.calls == ['nodes']  # read, never changed
    assert result['actions'] == ['demoted this manager before leaving', 'left the swarm']
    assert (result['state'], result['is_manager'], result['node_id']) == ('inactive', False, '')


@pytest.mark.parametrize('engine', ENGINES)
def test_converge_reports_the_engine_after_the_change(engine):
    client = FakeClient([load(engine, 'info'), load(engine, 'info-leader')])
    result = converge(FakeModule(params(), client))
    leader = load(engine, 'info-leader')['Swarm']
    assert client.calls == ['init_swarm']
    assert (result['node_id'], result['cluster_id'], result['is_manager']) == \
        (leader['NodeID'], leader['Cluster']['ID'], True)


def test_an_unchanged_run_reads_once():
    client = FakeClient([load('engine-26.1', 'info-worker')])
    result = converge(FakeModule(join('engine-26.1'), client))
    assert client.calls == [] and result['changed'] is False and result['state'] == 'active'


def test_changes_of_the_rounds_keep_their_secret_keys_masked():
    changes = ChangeSet()
    plan = plan_membership(params(signing_ca_cert='OTHER', signing_ca_key='KEY'), manager('engine-20.10'))
    changes.merge(plan.changes)
    assert changes.after() == {'signing_ca_cert': '********'}
