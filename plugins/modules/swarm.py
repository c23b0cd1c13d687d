#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: swarm
short_description: Create, join, configure and leave a Docker swarm, never two by mistake
description:
  - V(present) creates a swarm on an engine that is in none (this engine becomes its first
    manager, leader and root CA) and, on a manager, brings the cluster settings to the values given.
    Settings that are not given are left as they are.
  - V(join) joins the swarm at O(remote_addrs) with O(join_token), as the role the token grants.
    An engine already in that swarm is left alone. An engine in another swarm is refused with both
    swarm IDs named, unless O(force=true), which makes it leave the other swarm first.
  - V(absent) makes the engine leave its swarm. A manager is first demoted, so the swarm's managers
    stay in agreement; leaving is refused when the managers left behind would be an even number,
    too few for a majority, or none (O(force=true) overrides).
  - The join token, the unlock key and the signing CA key are never shown, also not in diffs.
author:
  - dockhand.docker maintainers (@dockhand)
version_added: 0.1.0
extends_documentation_fragment:
  - dockhand.docker.connection
  - dockhand.docker.connection.ATTRIBUTES
options:
  state:
    description:
      - V(present) creates a swarm or updates its settings (on a manager).
      - V(join) joins an existing swarm.
      - V(absent) leaves the swarm.
    type: str
    choices: [present, join, absent]
    default: present
  advertise_addr:
    description:
      - Address (or interface name, such as V(eth0)) other nodes use to reach this one, optionally with
        a port (default port 2377). The engine picks one when it has a single address.
      - Used when creating or joining; never changes a node already in a swarm.
    type: str
  listen_addr:
    description: Address the swarm's cluster traffic listens on, when creating or joining.
    type: str
    default: 0.0.0.0:2377
  data_path_addr:
    description: Address or interface for the data traffic of overlay networks, when creating or joining.
    type: str
  remote_addrs:
    description:
      - Addresses (V(host:port), port 2377 if left out) of managers of the swarm to join.
      - Required with V(join).
    type: list
    elements: str
  join_token:
    description:
      - The worker or manager join token of the swarm to join. Required with V(join). Never shown.
      - Read it on a manager with M(dockhand.docker.swarm_info) and
        O(dockhand.docker.swarm_info#module:join_tokens=true).
    type: str
  cluster_id:
    description:
      - With V(join), the ID of the swarm the token belongs to. A manager already in a swarm with
        another ID is refused; the message names both IDs.
    type: str
  force:
    description:
      - With V(join), leave another swarm this engine is in before joining.
      - With V(absent), leave even when the managers left would be unsafe or none (the last manager).
    type: bool
    default: false
  force_new_cluster:
    description:
      - Disaster recovery. When this engine is a manager of a swarm that has lost the majority of its
        managers for good, make it the only manager of the swarm, keeping services, secrets and
        the other nodes (which rejoin on their own). Re-add managers afterwards.
      - Done only while the swarm has no leader, so a second run changes nothing.
    type: bool
    default: false
  unlock_key:
    description:
      - The key to unlock this manager when the swarm is locked (autolock) and the engine has restarted. Never shown.
    type: str
  default_addr_pool:
    description: Address pools for overlay networks (CIDR), set when the swarm is created. Cannot be changed later.
    type: list
    elements: str
  subnet_size:
    description: Prefix length of each overlay network carved from O(default_addr_pool). Set at creation only.
    type: int
  cert_expiry:
    description: Validity of node certificates, as a duration (V(2160h) is the engine's default of 90 days).
    type: str
  external_ca:
    description: External CAs that sign node certificates instead of the swarm's own CA.
    type: list
    elements: dict
    suboptions:
      protocol:
        description: Protocol of the CA.
        type: str
        choices: [cfssl]
        default: cfssl
      url:
        description: URL of the CA's signing endpoint.
        type: str
        required: true
      ca_cert:
        description: The CA's certificate (PEM), when it is not the swarm's root CA.
        type: str
      options:
        description: Options for the CA driver.
        type: dict
  signing_ca_cert:
    description:
      - A CA certificate (PEM) for the swarm to sign node certificates with; starts a root CA rotation.
        Needs O(signing_ca_key).
    type: str
  signing_ca_key:
    description: The key (PEM) of O(signing_ca_cert). Never shown.
    type: str
  autolock:
    description:
      - Lock the managers' keys at rest; a restarted manager then needs the unlock key
        (read it with M(dockhand.docker.swarm_info) O(dockhand.docker.swarm_info#module:unlock_key=true),
        under C(no_log), and keep it safe).
    type: bool
  task_history_limit:
    description: Finished tasks kept per service slot.
    type: int
  dispatcher_heartbeat:
    description: How often nodes report to the managers, as a duration (V(5s)).
    type: str
  election_tick:
    description: Raft ticks without a leader before a manager calls an election; larger than O(heartbeat_tick).
    type: int
  heartbeat_tick:
    description: Raft ticks between leader heartbeats.
    type: int
  snapshot_interval:
    description: Raft log entries between snapshots.
    type: int
  rotate_worker_token:
    description: Replace the worker join token (always a change). Nodes already joined are not affected.
    type: bool
    default: false
  rotate_manager_token:
    description: Replace the manager join token (always a change).
    type: bool
    default: false
  rotate_unlock_key:
    description: Replace the unlock key of a locked swarm (always a change).
    type: bool
    default: false
attributes:
  check_mode:
    description: Reports what would change and changes nothing.
    support: full
  diff_mode:
    description: Shows the swarm state and each setting that changes, before and after; secrets masked.
    support: full
  platform:
    description: Runs on the host that reaches the engine set by O(docker_host).
    support: full
    platforms: posix
notes:
  - Keep managers at an odd number (1, 3, 5 or 7) and add or remove them one at a time; the role
    C(dockhand.docker.swarm) does that for a whole inventory.
seealso:
  - module: dockhand.docker.swarm_info
  - module: dockhand.docker.swarm_node
'''

EXAMPLES = r'''
- name: Create the swarm on the first manager
  dockhand.docker.swarm:
    advertise_addr: 10.0.0.11
    cert_expiry: 720h
    default_addr_pool: [10.20.0.0/16]
    subnet_size: 24

- name: Read the join tokens on a manager
  dockhand.docker.swarm_info:
    join_tokens: true
  register: first_manager
  no_log: true

- name: Join the others as managers
  dockhand.docker.swarm:
    state: join
    advertise_addr: "{{ ansible_default_ipv4.address }}"
    remote_addrs: [10.0.0.11:2377]
    join_token: "{{ first_manager.join_tokens.manager }}"
    cluster_id: "{{ first_manager.swarm.id }}"

- name: Lock the managers' keys and rotate the worker token
  dockhand.docker.swarm:
    autolock: true
    rotate_worker_token: true

- name: Recover the last surviving manager after the others are lost for good
  dockhand.docker.swarm:
    force_new_cluster: true
    advertise_addr: 10.0.0.12

- name: Take a worker out of the swarm
  dockhand.docker.swarm:
    state: absent
'''

RETURN = r'''
state:
  description: This engine's swarm state afterwards (C(inactive), C(active), C(locked)); the prediction in check mode.
  returned: always
  type: str
  sample: active
node_id:
  description: This node's ID; empty when not in a swarm (or not yet, in check mode).
  returned: always
  type: str
cluster_id:
  description: The swarm's ID, when this engine is a manager.
  returned: always
  type: str
is_manager:
  description: Whether this engine is a manager afterwards.
  returned: always
  type: bool
actions:
  description: What was done, in order (or would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: [created the swarm, set cert_expiry]
'''

import time

from ansible_collections.dockhand.docker.plugins.module_utils.diff import ChangeSet
from ansible_collections.dockhand.docker.plugins.module_utils.engine import swarm_facts as local_swarm_facts
from ansible_collections.dockhand.docker.plugins.module_utils.errors import DockerError
from ansible_collections.dockhand.docker.plugins.module_utils.module import DockhandModule
from ansible_collections.dockhand.docker.plugins.module_utils.swarm import (
    NO_LEADER,
    init_only_conflicts,
    manager_set_problems,
    node_facts,
    plan_settings,
    settings_argspec,
    token_ca_digest,
    trust_root_digest,
    wanted_settings,
)
from ansible_collections.dockhand.docker.plugins.module_utils.units import InvalidValue

# Rotation options and the update_swarm arguments they set.
ROTATIONS = (('rotate_worker_token', 'rotate_worker_token'), ('rotate_manager_token', 'rotate_manager_token'),
             ('rotate_unlock_key', 'rotate_manager_unlock_key'))

# How long a demoted manager may take to hand over its Raft membership before it leaves.
DEMOTE_TIMEOUT = 60


class SwarmMembership(object):
    """Plans and applies one state of this engine in a swarm."""

    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.client = module.client
        self.check_mode = module.check_mode
        self.changes = ChangeSet()
        self.actions = []
        self.facts = None
        self.swarm_section = {}  # the Swarm part of the last GET /info, for the other-swarm check

    def refresh(self):
        info = self.client.info()
        self.swarm_section = info.get('Swarm') or {}
        self.facts = local_swarm_facts(info)
        return self.facts

    def act(self, done, todo, method, *args, **kwargs):
        """Record ``done`` (what was done); outside check mode run the SDK call (``todo`` names it in errors)."""
        self.actions.append(done)
        if not self.check_mode:
            return self.client.call(todo, method, *args, **kwargs)
        return None

    def fail(self, msg):
        raise InvalidValue(msg)

    # ---- states ----

    def present(self, wanted):
        facts = self.facts
        if facts['state'] == 'inactive':
            return self.create(wanted)
        if not facts['is_manager']:
            self.fail('this engine is a worker of a swarm; cluster settings can only be changed on a manager '
                      '(run the task on a host of the swarm_managers group)')
        if self.params['force_new_cluster']:
            self.force_new_cluster()
        self.update_settings(wanted)

    def force_new_cluster(self):
        if not self.leaderless():
            self.module.warn('force_new_cluster: the swarm has a leader, so nothing was forced')
            return
        self.act('forced a new cluster with this manager as the only one', 'force a new cluster', 'init_swarm',
                 advertise_addr=self.params['advertise_addr'], listen_addr=self.params['listen_addr'],
                 force_new_cluster=True)
        self.changes.add('managers', 'no leader', 'this node only')
        self.wait_for_leader()

    def create(self, wanted):
        spec = plan_settings({}, wanted, ChangeSet(), signing_ca=self.signing_ca())
        self.changes.add('state', 'inactive', 'active (new swarm, this node its first manager)')
        self.act('created the swarm', 'create the swarm', 'init_swarm', advertise_addr=self.params['advertise_addr'],
                 listen_addr=self.params['listen_addr'], swarm_spec=spec,
                 default_addr_pool=self.params['default_addr_pool'], subnet_size=self.params['subnet_size'],
                 data_path_addr=self.params['data_path_addr'])

    def update_settings(self, wanted):
        if self.check_mode and self.actions:
            return  # a forced new cluster would come first; its settings cannot be read ahead
        try:
            swarm = self.client.call('inspect the swarm', 'inspect_swarm')
        except DockerError as exc:
            if NO_LEADER in exc.msg:
                exc.msg += ('; the swarm has lost the majority of its managers: bring them back, or recover '
                            'with force_new_cluster=true on one surviving manager')
            raise
        conflicts = init_only_conflicts(swarm, self.params)
        if conflicts:
            self.fail('; '.join(conflicts) + '; a different value needs a new swarm')
        settings = ChangeSet(secret_keys=('signing_ca_cert',))
        spec = plan_settings(swarm.get('Spec'), wanted, settings,
                             trust_root=(swarm.get('TLSInfo') or {}).get('TrustRoot'), signing_ca=self.signing_ca())
        if self.params['rotate_unlock_key'] and not spec.get('EncryptionConfig', {}).get('AutoLockManagers'):
            self.fail('rotate_unlock_key needs a locked swarm (autolock: true)')
        rotate = {}
        for option, sdk_argument in ROTATIONS:
            rotate[sdk_argument] = self.params[option]
            if self.params[option]:
                settings.add(option, 'current', 'new')
        if not settings:
            return
        self.changes.merge(settings)
        self.act('updated the cluster settings: %s' % ', '.join(settings.keys()),
                 'update the cluster settings (%s)' % ', '.join(settings.keys()), 'update_swarm',
                 version=swarm['Version']['Index'], swarm_spec=spec, **rotate)

    def join(self):
        params = self.params
        if not params['remote_addrs'] or not params['join_token']:
            self.fail('state=join needs remote_addrs (managers of the swarm) and join_token')
        token_digest = token_ca_digest(params['join_token'])
        facts = self.facts
        if facts['state'] != 'inactive':
            other = self.other_swarm(token_digest)
            if not other:
                return
            if not params['force']:
                self.fail(other + '; make it leave first (state=absent) or set force=true to leave and join')
            self.leave(force=True)
        self.changes.add('state', facts['state'] if not self.actions else 'inactive', 'active (joined)')
        self.act('joined the swarm at %s' % ', '.join(params['remote_addrs']),
                 'join the swarm at %s' % ', '.join(params['remote_addrs']), 'join_swarm',
                 remote_addrs=params['remote_addrs'], join_token=params['join_token'],
                 listen_addr=params['listen_addr'], advertise_addr=params['advertise_addr'],
                 data_path_addr=params['data_path_addr'])

    def other_swarm(self, token_digest):
        """Why this engine's swarm is not the one to join (None when it is the same swarm)."""
        facts, params = self.facts, self.params
        if facts['is_manager']:
            cluster = self.swarm_section.get('Cluster') or {}
            trust_root = (cluster.get('TLSInfo') or {}).get('TrustRoot') or ''
            same_ca = trust_root_digest(trust_root) == token_digest
            if same_ca and params['cluster_id'] in (None, facts['cluster_id']):
                return None
            return ('this engine is a manager of swarm %s, not of swarm %s that the join token belongs to'
                    % (facts['cluster_id'], params['cluster_id'] or '(its CA differs)'))
        managers = [entry.get('Addr') or '' for entry in self.swarm_section.get('RemoteManagers') or []]
        wanted_hosts = set(_host(addr) for addr in params['remote_addrs'])
        if wanted_hosts & set(_host(addr) for addr in managers):
            return None
        return ('this engine is a worker of another swarm (managers %s), not of swarm %s at %s'
                % (', '.join(managers) or 'unknown', params['cluster_id'] or '(ID not given)',
                   ', '.join(params['remote_addrs'])))

    def absent(self):
        if self.facts['state'] == 'inactive':
            return
        self.leave(force=self.params['force'])

    def leave(self, force):
        facts = self.facts
        if facts['is_manager']:
            nodes = [node_facts(node) for node in self.client.call('list the swarm nodes', 'nodes')]
            problems = manager_set_problems(nodes, removed={facts['node_id']})
            if problems and not force:
                self.fail('refusing to take this manager out of the swarm: %s; set force=true to do it anyway'
                          % '; '.join(problems))
            if len([node for node in nodes if node['role'] == 'manager']) > 1:
                self.demote_self()
        self.changes.add('state', facts['state'], 'inactive')
        self.act('left the swarm', 'leave the swarm', 'leave_swarm', force=True)

    def demote_self(self):
        node = self.client.call('inspect this node', 'inspect_node', self.facts['node_id'])
        spec = dict(node['Spec'], Role='worker')
        self.act('demoted this manager before leaving', 'demote this manager', 'update_node', self.facts['node_id'],
                 node['Version']['Index'], spec)
        if self.check_mode:
            return
        deadline = time.time() + DEMOTE_TIMEOUT
        while self.refresh()['is_manager']:
            if time.time() > deadline:
                raise DockerError('this manager was demoted but is still a manager after %ds; run the task again'
                                  % DEMOTE_TIMEOUT)
            time.sleep(1)

    # ---- helpers ----

    def leaderless(self):
        """True when this manager's swarm has no leader (the majority of managers is lost)."""
        try:
            self.client.call('inspect the swarm', 'inspect_swarm')
        except DockerError as exc:
            if NO_LEADER in exc.msg:
                return True
            raise
        return False

    def wait_for_leader(self, timeout=60):
        if self.check_mode:
            return
        deadline = time.time() + timeout
        while self.leaderless():
            if time.time() > deadline:
                raise DockerError('the forced new cluster has no leader after %ds' % timeout)
            time.sleep(1)

    def signing_ca(self):
        if self.params['signing_ca_cert']:
            return self.params['signing_ca_cert'], self.params['signing_ca_key']
        return None

    def unlock_if_locked(self):
        if self.facts['state'] != 'locked':
            return
        if not self.params['unlock_key']:
            self.fail('the swarm on this engine is locked (autolock) since the engine restarted; '
                      'give unlock_key to unlock it')
        self.act('unlocked the swarm', 'unlock the swarm', 'unlock_swarm', {'UnlockKey': self.params['unlock_key']})
        self.changes.add('state', 'locked', 'active')
        if not self.check_mode:
            self.refresh()

    def result(self):
        facts = self.facts if not self.check_mode else self.predicted()
        result = dict(changed=bool(self.changes), actions=self.actions, state=facts['state'],
                      node_id=facts['node_id'], cluster_id=facts['cluster_id'], is_manager=facts['is_manager'])
        return self.module.diff_if_wanted(result, self.changes)

    def predicted(self):
        facts = dict(self.facts)
        if any(action.startswith(('created', 'joined')) for action in self.actions):
            facts.update(state='active', is_manager=self.actions[-1].startswith('created') or facts['is_manager'])
        elif any(action == 'left the swarm' for action in self.actions):
            facts.update(state='inactive', node_id='', cluster_id=None, is_manager=False)
        return facts


def _host(addr):
    addr = addr.strip()
    if addr.startswith('['):
        return addr[1:].split(']')[0]
    return addr.rsplit(':', 1)[0] if addr.count(':') == 1 else addr


def converge(module):
    params = module.params
    wanted = wanted_settings(params)  # bad input fails here, before the engine is touched
    if params['state'] == 'join':
        token_ca_digest(params['join_token'])
    membership = SwarmMembership(module)
    facts = membership.refresh()
    if facts['state'] in ('pending', 'error'):
        membership.fail('the engine reports swarm state %r (%s); fix or leave it first'
                        % (facts['state'], facts['error'] or 'no detail'))
    if params['state'] != 'absent':
        membership.unlock_if_locked()
    if params['state'] == 'present':
        membership.present(wanted)
    elif params['state'] == 'join':
        membership.join()
    else:
        membership.absent()
    if membership.actions and not module.check_mode:
        membership.refresh()
    return membership.result()


def main():
    spec = dict(
        state=dict(type='str', default='present', choices=['present', 'join', 'absent']),
        advertise_addr=dict(type='str'),
        listen_addr=dict(type='str', default='0.0.0.0:2377'),
        data_path_addr=dict(type='str'),
        remote_addrs=dict(type='list', elements='str'),
        join_token=dict(type='str', no_log=True),
        cluster_id=dict(type='str'),
        force=dict(type='bool', default=False),
        force_new_cluster=dict(type='bool', default=False),
        unlock_key=dict(type='str', no_log=True),
        default_addr_pool=dict(type='list', elements='str'),
        subnet_size=dict(type='int'),
        signing_ca_cert=dict(type='str'),
        signing_ca_key=dict(type='str', no_log=True),
        rotate_worker_token=dict(type='bool', default=False),
        rotate_manager_token=dict(type='bool', default=False),
        rotate_unlock_key=dict(type='bool', default=False),
    )
    spec.update(settings_argspec())
    module = DockhandModule(argument_spec=spec, supports_check_mode=True,
                            required_if=[('state', 'join', ('remote_addrs', 'join_token'))])
    module.run(converge)


if __name__ == '__main__':
    main()
