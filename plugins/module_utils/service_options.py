# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one table of service options: where each lives in a swarm ServiceSpec, how it is parsed.

Options a service shares with containers (command, env, mounts, health check, ulimits,
capabilities, ...) are the container table's own Fields moved to their place in the spec
(``Field.at``), so they are parsed, checked and shown by the same code. Dictionary options
(limits, placement, update_config, ...) are compared and set key by key: only the keys given
are managed, the others stay as the engine has them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.dockhand.docker.plugins.module_utils.container_options import (
    ENGINE_MIN_MEMORY,
    string_pairs,
)
from ansible_collections.dockhand.docker.plugins.module_utils.container_options import (
    OPTIONS_BY_NAME as CONTAINER_OPTIONS,
)
from ansible_collections.dockhand.docker.plugins.module_utils.errors import InvalidValue
from ansible_collections.dockhand.docker.plugins.module_utils.fields import Field, table_spec
from ansible_collections.dockhand.docker.plugins.module_utils.units import (
    INT64_MAX,
    format_cpus,
    format_duration,
    format_size,
    parse_cpus,
    parse_duration,
    parse_size,
    short_repr,
)

CONTAINER_SPEC_PATH = ('TaskTemplate', 'ContainerSpec')
MODES = ('replicated', 'global', 'replicated-job', 'global-job')
# Seconds and durations the engine stores as nanoseconds.
DURATION_KEYS = ('Delay', 'Monitor', 'Window', 'StopGracePeriod')
SECRET_FILE_MODE = 0o444


def _fail(name, value, reason):
    raise InvalidValue('%s: %s %s' % (name, short_repr(value), reason))


def _container(option, key, **changes):
    """A container option, at its place in the service's ContainerSpec."""
    return CONTAINER_OPTIONS[option].at(CONTAINER_SPEC_PATH + (key,), **changes)


def _whole_number(name, minimum=0, maximum=INT64_MAX):
    def parse(value, ctx=None):
        if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
            _fail(name, value, 'must be a whole number from %d to %d' % (minimum, maximum))
        return value
    return parse


def _duration(name):
    return lambda value, ctx=None: parse_duration(value, name)


def _ratio(name):
    def parse(value, ctx=None):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            _fail(name, value, 'must be a number from 0 to 1')
        return float(value)
    return parse


def _size(name):
    return lambda value, ctx=None: parse_size(value, name, minimum=ENGINE_MIN_MEMORY)


def _cpus(name):
    return lambda value, ctx=None: parse_cpus(value, name)


def keyed(name, keys):
    """Parser of a dictionary option whose keys map to API keys: {option key: (API key, parser)}.

    Only the keys given are in the result; the argument spec has already refused unknown keys.
    """
    def parse(value, ctx=None):
        result = {}
        for key, (api_key, parser) in keys.items():
            if value.get(key) is not None:
                result[api_key] = parser(value[key], ctx) if parser else value[key]
        return result
    return parse


def shown_keyed(keys):
    """What the user would write for a keyed API dictionary (sizes, CPUs, durations in their units)."""
    def show(value):
        shown = {}
        for key, (api_key, _parser) in keys.items():
            if (value or {}).get(api_key) is None:
                continue
            item = value[api_key]
            if key in ('memory',):
                item = format_size(item) if item else item
            elif key in ('cpus',):
                item = format_cpus(item) if item else item
            elif api_key in DURATION_KEYS:
                item = format_duration(item)
            shown[key] = item
        return shown
    return show


LIMITS = dict(memory=('MemoryBytes', _size('limits.memory')), cpus=('NanoCPUs', _cpus('limits.cpus')),
              pids=('Pids', _whole_number('limits.pids')))
RESERVATIONS = dict(memory=('MemoryBytes', _size('reservations.memory')),
                    cpus=('NanoCPUs', _cpus('reservations.cpus')))
RESTART_POLICY = dict(condition=('Condition', None), delay=('Delay', _duration('restart_policy.delay')),
                      max_attempts=('MaxAttempts', _whole_number('restart_policy.max_attempts')),
                      window=('Window', _duration('restart_policy.window')))


def _rollout(name):
    return dict(parallelism=('Parallelism', _whole_number(name + '.parallelism')),
                delay=('Delay', _duration(name + '.delay')), order=('Order', None),
                failure_action=('FailureAction', None), monitor=('Monitor', _duration(name + '.monitor')),
                max_failure_ratio=('MaxFailureRatio', _ratio(name + '.max_failure_ratio')))


UPDATE_CONFIG = _rollout('update_config')
ROLLBACK_CONFIG = _rollout('rollback_config')
DNS = dict(nameservers=('Nameservers', None), search=('Search', None), options=('Options', None))


def _parse_placement(value, ctx=None):
    placement = {}
    if value.get('constraints') is not None:
        placement['Constraints'] = list(value['constraints'])
    if value.get('preferences') is not None:
        preferences = []
        for index, preference in enumerate(value['preferences']):
            if not isinstance(preference, dict) or list(preference) != ['spread'] \
                    or not isinstance(preference['spread'], str) or not preference['spread']:
                _fail('placement.preferences[%d]' % index, preference,
                      "must be {spread: <node attribute>}, such as {spread: node.labels.zone}")
            preferences.append({'Spread': {'SpreadDescriptor': preference['spread']}})
        placement['Preferences'] = preferences
    if value.get('max_replicas_per_node') is not None:
        placement['MaxReplicas'] = _whole_number('placement.max_replicas_per_node')(value['max_replicas_per_node'])
    return placement


def _show_placement(value):
    value = value or {}
    shown = {}
    if value.get('Constraints') is not None:
        shown['constraints'] = value['Constraints']
    if value.get('Preferences') is not None:
        shown['preferences'] = [dict(spread=(p.get('Spread') or {}).get('SpreadDescriptor'))
                                for p in value['Preferences']]
    if value.get('MaxReplicas') is not None:
        shown['max_replicas_per_node'] = value['MaxReplicas']
    return shown


def _parse_publish(value, ctx=None):
    ports = []
    for index, entry in enumerate(value):
        where = 'publish[%d]' % index
        target = _whole_number(where + '.target', 1, 65535)(entry.get('target'))
        port = {'Protocol': entry.get('protocol') or 'tcp', 'TargetPort': target,
                'PublishMode': entry.get('mode') or 'ingress'}
        if entry.get('published') is not None:
            port['PublishedPort'] = _whole_number(where + '.published', 1, 65535)(entry['published'])
        ports.append(port)
    return normalise_ports(ports)


def normalise_ports(value, ctx=None):
    return sorted(({'Protocol': port.get('Protocol') or 'tcp', 'TargetPort': port.get('TargetPort'),
                    'PublishedPort': port.get('PublishedPort'), 'PublishMode': port.get('PublishMode') or 'ingress'}
                   for port in (value or [])), key=lambda port: (port['TargetPort'] or 0, port['Protocol']))


def _show_publish(value):
    return [dict(target=port['TargetPort'], published=port['PublishedPort'], protocol=port['Protocol'],
                 mode=port['PublishMode']) for port in value or []]


def _normalise_capabilities(value, ctx=None):
    # Services keep the names as sent; the CLI sends CAP_ names. Compare without the prefix.
    return sorted(set((cap[4:] if cap.upper().startswith('CAP_') else cap).upper() for cap in value or []))


def _api_capabilities(name):
    parse = CONTAINER_OPTIONS[name].parse

    def as_api(value, ctx=None):
        return ['CAP_' + cap if cap != 'ALL' else cap for cap in parse(value, ctx)]
    return as_api


def _normalise_sysctls(value, ctx=None):
    return dict(value or {})


# The options compared with the service's spec, each at its place. Options the planner handles
# itself (image, mode, networks, secrets, configs, logging, lifecycle) are in PLANNER_OPTIONS.
SPEC_OPTIONS = (
    Field('labels', dict(type='dict'), ('Labels',), parse=string_pairs('labels'), normalise=_normalise_sysctls),
    _container('command', 'Command'),
    _container('command', 'Args', name='args', parse=CONTAINER_OPTIONS['command'].parse),
    _container('env', 'Env', compare_form=lambda value, ctx=None: value),
    _container('labels', 'Labels', name='container_labels', compare_form=lambda value, ctx=None: value),
    Field('hostname', dict(type='str'), CONTAINER_SPEC_PATH + ('Hostname',),
          normalise=lambda value, ctx=None: value or ''),
    _container('user', 'User'),
    _container('working_dir', 'Dir', name='workdir'),
    _container('mounts', 'Mounts'),
    _container('healthcheck', 'Healthcheck'),
    Field('stop_grace_period', dict(type='str'), CONTAINER_SPEC_PATH + ('StopGracePeriod',),
          parse=_duration('stop_grace_period'), show=format_duration),
    _container('stop_signal', 'StopSignal'),
    _container('read_only', 'ReadOnly'),
    _container('init', 'Init'),
    _container('cap_add', 'CapabilityAdd', parse=_api_capabilities('cap_add'), normalise=_normalise_capabilities,
               compare_form=_normalise_capabilities),
    _container('cap_drop', 'CapabilityDrop', parse=_api_capabilities('cap_drop'), normalise=_normalise_capabilities,
               compare_form=_normalise_capabilities),
    Field('sysctls', dict(type='dict'), CONTAINER_SPEC_PATH + ('Sysctls',), parse=string_pairs('sysctls'),
          normalise=_normalise_sysctls),
    _container('ulimits', 'Ulimits'),
    Field('dns', dict(type='dict', options=dict(nameservers=dict(type='list', elements='str'),
                                                 search=dict(type='list', elements='str'),
                                                 options=dict(type='list', elements='str'))),
          CONTAINER_SPEC_PATH + ('DNSConfig',), parse=keyed('dns', DNS), show=shown_keyed(DNS)),
    Field('limits', dict(type='dict', options=dict(memory=dict(type='str'), cpus=dict(type='str'),
                                                    pids=dict(type='int'))),
          ('TaskTemplate', 'Resources', 'Limits'), parse=keyed('limits', LIMITS), show=shown_keyed(LIMITS)),
    Field('reservations', dict(type='dict', options=dict(memory=dict(type='str'), cpus=dict(type='str'))),
          ('TaskTemplate', 'Resources', 'Reservations'), parse=keyed('reservations', RESERVATIONS),
          show=shown_keyed(RESERVATIONS)),
    Field('restart_policy', dict(type='dict', options=dict(
        condition=dict(type='str', choices=['none', 'on-failure', 'any']), delay=dict(type='str'),
        max_attempts=dict(type='int'), window=dict(type='str'))),
        ('TaskTemplate', 'RestartPolicy'), parse=keyed('restart_policy', RESTART_POLICY),
        show=shown_keyed(RESTART_POLICY)),
    Field('placement', dict(type='dict', options=dict(
        constraints=dict(type='list', elements='str'), preferences=dict(type='list', elements='dict'),
        max_replicas_per_node=dict(type='int'))),
        ('TaskTemplate', 'Placement'), parse=_parse_placement, show=_show_placement),
    Field('publish', dict(type='list', elements='dict', options=dict(
        target=dict(type='int', required=True), published=dict(type='int'),
        protocol=dict(type='str', default='tcp', choices=['tcp', 'udp', 'sctp']),
        mode=dict(type='str', default='ingress', choices=['ingress', 'host']))),
        ('EndpointSpec', 'Ports'), parse=_parse_publish, normalise=normalise_ports, show=_show_publish),
    Field('endpoint_mode', dict(type='str', choices=['vip', 'dnsrr']), ('EndpointSpec', 'Mode'),
          normalise=lambda value, ctx=None: value or 'vip'),
    Field('update_config', dict(type='dict', options=dict(
        parallelism=dict(type='int'), delay=dict(type='str'), order=dict(type='str', choices=['start-first',
                                                                                            'stop-first']),
        failure_action=dict(type='str', choices=['pause', 'continue', 'rollback']), monitor=dict(type='str'),
        max_failure_ratio=dict(type='float'))),
        ('UpdateConfig',), parse=keyed('update_config', UPDATE_CONFIG), show=shown_keyed(UPDATE_CONFIG)),
    Field('rollback_config', dict(type='dict', options=dict(
        parallelism=dict(type='int'), delay=dict(type='str'), order=dict(type='str', choices=['start-first',
                                                                                            'stop-first']),
        failure_action=dict(type='str', choices=['pause', 'continue']), monitor=dict(type='str'),
        max_failure_ratio=dict(type='float'))),
        ('RollbackConfig',), parse=keyed('rollback_config', ROLLBACK_CONFIG), show=shown_keyed(ROLLBACK_CONFIG)),
)
# Dictionary options: only the keys given are compared and set.
KEYED = ('dns', 'limits', 'reservations', 'restart_policy', 'placement', 'update_config', 'rollback_config')

_OBJECT_REFERENCE = dict(name=dict(type='str', required=True), target=dict(type='str'), uid=dict(type='str'),
                         gid=dict(type='str'), mode=dict(type='int'))
PLANNER_OPTIONS = (
    Field('name', dict(type='str')),
    Field('state', dict(type='str', default='present', choices=['present', 'absent'])),
    Field('image', dict(type='str')),
    Field('resolve_image', dict(type='str', default='always', choices=['always', 'never'])),
    Field('with_registry_auth', dict(type='bool')),
    Field('registry_auth', dict(type='dict', no_log=False, options=dict(
        username=dict(type='str', required=True), password=dict(type='str', required=True, no_log=True)))),
    Field('mode', dict(type='str', default='replicated', choices=list(MODES))),
    Field('replicas', dict(type='int')),
    Field('max_concurrent', dict(type='int')),
    Field('networks', dict(type='list', elements='raw')),
    Field('secrets', dict(type='list', elements='dict', no_log=False, options=_OBJECT_REFERENCE)),
    Field('configs', dict(type='list', elements='dict', options=_OBJECT_REFERENCE)),
    Field('log_driver', dict(type='str')),
    Field('log_options', dict(type='dict')),
    Field('secret_env', dict(type='list', elements='str', no_log=False)),
    Field('force_update', dict(type='bool', default=False)),
    Field('wait', dict(type='bool', default=True)),
    Field('wait_timeout', dict(type='int', default=300)),
)
OPTIONS = PLANNER_OPTIONS + SPEC_OPTIONS
SERVICE_SPEC = table_spec(OPTIONS)


def mode_spec(mode, replicas=None, max_concurrent=None):
    """The spec's Mode for ``mode`` ('replicated', 'global', 'replicated-job', 'global-job')."""
    if mode == 'replicated':
        return {'Replicated': {'Replicas': 1 if replicas is None else replicas}}
    if mode == 'global':
        return {'Global': {}}
    if mode == 'replicated-job':
        job = {'TotalCompletions': 1 if replicas is None else replicas}
        job['MaxConcurrent'] = max_concurrent if max_concurrent is not None else job['TotalCompletions']
        return {'ReplicatedJob': job}
    return {'GlobalJob': {}}


def mode_name(mode):
    """'replicated', 'global', 'replicated-job' or 'global-job' of a spec's Mode."""
    for name, key in (('replicated', 'Replicated'), ('global', 'Global'), ('replicated-job', 'ReplicatedJob'),
                      ('global-job', 'GlobalJob')):
        if key in (mode or {}):
            return name
    return None


def keyed_current(field, spec, wanted):
    """The part of the current value of a keyed option that the wanted value manages."""
    current = field.raw(spec) or {}
    return dict((key, current.get(key)) for key in wanted)


def merged(field, spec, wanted):
    """The spec's dictionary for ``field`` with the wanted keys set (the others kept)."""
    value = copy.deepcopy(field.raw(spec) or {})
    value.update(wanted)
    return value
