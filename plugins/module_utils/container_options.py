# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one table of container options.

Each :class:`Field` says how the user writes a setting (its argument spec), where it lives
in the Engine API (``Config`` or ``HostConfig`` key, the same in the create body and in
``inspect``), how a user value becomes an API value, how the current value is normalised
for comparison, how it is shown in diffs, and whether the engine can change it in place.
The module's argument spec, the comparison and the API mapping are all derived from it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import shlex

from ansible_collections.dockhand.docker.plugins.module_utils.errors import InvalidValue
from ansible_collections.dockhand.docker.plugins.module_utils.fields import Field, table_spec
from ansible_collections.dockhand.docker.plugins.module_utils.log_config import (
    normalise_log_options,
    validate_log_driver,
)
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

INT32_MAX = 2 ** 31 - 1
MILLISECOND = 10 ** 6  # in nanoseconds, as the engine counts durations
# The engine refuses smaller memory limits (6 MiB since Docker 1.x, still in 26.x).
ENGINE_MIN_MEMORY = 6 * 1024 * 1024

CAPABILITIES = frozenset((
    'AUDIT_CONTROL', 'AUDIT_READ', 'AUDIT_WRITE', 'BLOCK_SUSPEND', 'BPF', 'CHECKPOINT_RESTORE', 'CHOWN',
    'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'IPC_LOCK', 'IPC_OWNER', 'KILL', 'LEASE',
    'LINUX_IMMUTABLE', 'MAC_ADMIN', 'MAC_OVERRIDE', 'MKNOD', 'NET_ADMIN', 'NET_BIND_SERVICE', 'NET_BROADCAST',
    'NET_RAW', 'PERFMON', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_CHROOT',
    'SYS_MODULE', 'SYS_NICE', 'SYS_PACCT', 'SYS_PTRACE', 'SYS_RAWIO', 'SYS_RESOURCE', 'SYS_TIME',
    'SYS_TTY_CONFIG', 'SYSLOG', 'WAKE_ALARM',
))

RESTART_POLICIES = ('no', 'always', 'unless-stopped', 'on-failure')
# Resource names the engine takes for ulimits (Linux RLIMIT_*).
ULIMIT_NAMES = ('as', 'core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc',
                'rss', 'rtprio', 'rttime', 'sigpending', 'stack')
MOUNT_KEYS = ('type', 'source', 'target', 'read_only')
HEALTHCHECK_KEYS = ('test', 'interval', 'timeout', 'start_period', 'retries')
ULIMIT_KEYS = ('name', 'soft', 'hard')
_PORT = re.compile(r'^[0-9]{1,5}\Z')
_INT = re.compile(r'^-?[0-9]{1,19}\Z')


class Context(object):
    """What the parsers may need beyond the user's value: the item, the engine, the image."""

    def __init__(self, item, engine_info=None, image=None):
        self.item = item                # the container's options after defaults are applied
        self.engine_info = engine_info  # GET /info, fetched only when an option needs it
        self.image = image              # inspect of the wanted image (None when it is missing)

    def image_config(self, key):
        return ((self.image or {}).get('Config') or {}).get(key)


# ---- parsers: user value -> API value; raise InvalidValue with a one-line message ----

def _fail(name, value, reason):
    raise InvalidValue('%s: %s %s' % (name, _shown(value), reason))


def _shown(value):
    """A user value for a message: cut short, so it stays one readable line (short_repr never raises)."""
    text = short_repr(value)
    return text if len(text) <= 100 else text[:97] + '...'


def _no_nul(name, text):
    if '\x00' in text:
        raise InvalidValue('%s: contains a NUL character, which the engine cannot pass on' % name)
    return text


def argv_parser(name):
    """Parser for a command given as a list or as a string split like a shell would."""
    def parse(value, ctx):
        if isinstance(value, list):
            for part in value:
                if isinstance(part, bool) or not isinstance(part, (str, int, float)):
                    _fail(name, value, 'is not a valid argument list: every argument must be a string')
            return [_no_nul(name, str(part)) for part in value]
        if isinstance(value, str):
            try:
                return shlex.split(_no_nul(name, value))
            except ValueError as exc:
                _fail(name, value, 'cannot be split into arguments (%s)' % exc)
        _fail(name, value, 'must be a string or a list of arguments, not a %s' % type(value).__name__)
    return parse


def string_pairs(name, variables=False):
    """A dict of names to values; values become strings (YAML numbers and booleans included).

    Values are never quoted in messages (they may be secrets). ``variables``: the names are
    environment variables, so they cannot be empty or contain '='.
    """
    def parse(value, ctx):
        if not isinstance(value, dict):
            raise InvalidValue('%s: must be a dictionary of names to values, not a %s' % (name, type(value).__name__))
        result = {}
        for key, item in value.items():
            if isinstance(key, bool) or not isinstance(key, (str, int)) or not str(key):
                raise InvalidValue('%s: %s is not a name; names are non-empty strings' % (name, _shown(key)))
            key = _no_nul(name, str(key))
            if variables and '=' in key:
                raise InvalidValue('%s: %s is not a variable name (it contains "=")' % (name, _shown(key)))
            if isinstance(item, bool):
                item = 'true' if item else 'false'
            elif item is None:
                item = ''
            elif not isinstance(item, (str, int, float)):
                raise InvalidValue('%s.%s: the value is a %s; give a string' % (name, key, type(item).__name__))
            result[key] = _no_nul('%s.%s' % (name, key), str(item))
        return result
    return parse


def _parse_env(value, ctx):
    return sorted('%s=%s' % pair for pair in string_pairs('env', variables=True)(value, ctx).items())


def _env_with_image(wanted, ctx):
    # The engine merges the image's environment under the container's own.
    merged = dict(entry.split('=', 1) if '=' in entry else (entry, '') for entry in (ctx.image_config('Env') or []))
    merged.update(entry.split('=', 1) for entry in wanted)
    return sorted('%s=%s' % pair for pair in merged.items())


def _labels_with_image(wanted, ctx):
    merged = dict(ctx.image_config('Labels') or {})
    merged.update(wanted)
    return merged


def _size(name, minimum=None):
    def parse(value, ctx):
        return parse_size(value, name, minimum=minimum)
    return parse


def _parse_memory_swap(value, ctx):
    if str(value).strip().lower() in ('-1', 'unlimited'):
        return -1
    swap = parse_size(value, 'memory_swap')
    memory = ctx.item.get('memory')
    if memory is not None and swap < parse_size(memory, 'memory'):
        _fail('memory_swap', value, 'is smaller than memory (%s); memory_swap is memory plus swap, '
                                    'so it must be at least as large, or -1 for unlimited swap' % memory)
    return swap


def _cpu_count(ctx):
    return (ctx.engine_info or {}).get('NCPU') or 0


def _parse_cpus(value, ctx):
    nano = parse_cpus(value, 'cpus')
    available = _cpu_count(ctx)
    if available and nano > available * 10 ** 9:
        _fail('cpus', value, 'is more than the %d CPUs the engine has' % available)
    return nano


# Linux numbers CPUs below this (NR_CPUS is at most 8192); larger numbers are refused before
# any range is looked at, so '0-10000000' costs nothing.
MAX_CPU_NUMBER = 8192
_CPUSET_PART = re.compile(r'^([0-9]{1,6})(?:-([0-9]{1,6}))?\Z')


def cpuset_ranges(text):
    """'0-2,5,3' -> [(0, 3), (5, 5)]: sorted, merged ranges; ValueError when it is not a CPU list."""
    ranges = []
    for part in str(text).split(','):
        match = _CPUSET_PART.match(part.strip())
        if not match:
            raise ValueError(part)
        low = int(match.group(1))
        high = int(match.group(2)) if match.group(2) is not None else low
        if high < low or high >= MAX_CPU_NUMBER:
            raise ValueError(part)
        ranges.append((low, high))
    merged = []
    for low, high in sorted(ranges):
        if merged and low <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return merged


def _canonical_cpuset(ranges):
    """Merged ranges -> the shortest list-and-range form ('0-2,5')."""
    return ','.join('%d' % low if low == high else '%d-%d' % (low, high) for low, high in ranges)


def _parse_cpuset(value, ctx):
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        _fail('cpuset_cpus', value, "is not a CPU list; use numbers and ranges such as '0', '0-1' or '0,2-3'")
    try:
        ranges = cpuset_ranges(value)
    except ValueError:
        _fail('cpuset_cpus', value, "is not a CPU list; use numbers and ranges such as '0', '0-1' or '0,2-3' "
                                    "(CPU numbers below %d)" % MAX_CPU_NUMBER)
    available = _cpu_count(ctx)
    highest = ranges[-1][1]
    if available and highest >= available:
        _fail('cpuset_cpus', value, 'names CPU %d, but the engine has CPUs 0-%d only' % (highest, available - 1))
    return _canonical_cpuset(ranges)


def _normalise_cpuset(value, ctx):
    if not value:
        return None
    try:
        return _canonical_cpuset(cpuset_ranges(value))
    except ValueError:
        return value


def _parse_cpu_shares(value, ctx):
    if isinstance(value, bool) or not isinstance(value, int) or not 2 <= value <= 262144:
        _fail('cpu_shares', value, 'must be a whole number from 2 to 262144 (the default weight is 1024)')
    return value


def _parse_pids_limit(value, ctx):
    if isinstance(value, bool) or not isinstance(value, int) or not -1 <= value <= INT64_MAX:
        _fail('pids_limit', value, 'must be a positive whole number, or 0 or -1 for no limit')
    return -1 if value == 0 else value


def _normalise_pids_limit(value, ctx):
    # Engines report "no limit" as null, 0 or -1 depending on version.
    return -1 if not value or value < 0 else value


def _normalise_cpu_shares(value, ctx):
    return value or 1024  # 0 means the default weight


def _capabilities(name):
    def parse(value, ctx):
        if not isinstance(value, list):
            _fail(name, value, 'must be a list of capability names')
        result = set()
        for cap in value:
            bare = str(cap).strip().upper()
            bare = bare[4:] if bare.startswith('CAP_') else bare
            if bare != 'ALL' and bare not in CAPABILITIES:
                _fail(name, cap, 'is not a Linux capability; use names such as NET_ADMIN or CAP_SYS_TIME, or ALL')
            result.add(bare)
        return sorted(result)
    return parse


def _normalise_capabilities(value, ctx):
    if not value:
        return []
    return sorted(set(cap[4:] if cap.upper().startswith('CAP_') else cap.upper() for cap in value))


def _parse_restart_policy(value, ctx):
    retries = ctx.item.get('restart_retries')
    if retries is not None and value != 'on-failure':
        _fail('restart_retries', retries, "applies only to restart_policy 'on-failure'")
    return {'Name': value, 'MaximumRetryCount': retries or 0}


def _normalise_restart_policy(value, ctx):
    value = value or {}
    return {'Name': value.get('Name') or 'no', 'MaximumRetryCount': value.get('MaximumRetryCount') or 0}


def _show_restart_policy(value):
    if value['Name'] == 'on-failure' and value['MaximumRetryCount']:
        return 'on-failure:%d' % value['MaximumRetryCount']
    return value['Name']


def _parse_ports(value, ctx):
    """'8080:80', '127.0.0.1:8080:80/udp', '80' -> PortBindings (container port -> host bindings)."""
    if not isinstance(value, list):
        _fail('ports', value, 'must be a list such as ["8080:80", "127.0.0.1:5353:53/udp"]')
    bindings = {}
    for entry in value:
        text = str(entry)
        spec, slash, proto = text.partition('/')
        proto = proto or 'tcp'
        if proto not in ('tcp', 'udp', 'sctp'):
            _fail('ports', entry, 'has protocol %r; use tcp, udp or sctp' % proto)
        parts = spec.rsplit(':', 2)
        host_ip, host_port, container_port = ([''] * (3 - len(parts)) + parts)
        if host_ip.startswith('[') and host_ip.endswith(']'):
            host_ip = host_ip[1:-1]
        for port in (container_port, host_port):
            if port and not (_PORT.match(port) and 1 <= int(port) <= 65535):
                _fail('ports', entry, "is not a port mapping; use 'CONTAINER', 'HOST:CONTAINER' or "
                                      "'IP:HOST:CONTAINER' with ports 1-65535, optionally '/udp'")
        if not container_port:
            _fail('ports', entry, 'has no container port')
        key = '%s/%s' % (int(container_port), proto)
        bindings.setdefault(key, []).append({'HostIp': host_ip, 'HostPort': host_port})
    return _normalise_ports(bindings, ctx)


def _normalise_ports(value, ctx):
    result = {}
    for port, binds in (value or {}).items():
        normal = []
        for bind in binds or [{}]:
            host_ip = bind.get('HostIp') or ''
            normal.append({'HostIp': '' if host_ip in ('0.0.0.0', '::') else host_ip,
                           'HostPort': str(bind.get('HostPort') or '')})
        result[port] = sorted(normal, key=lambda b: (b['HostIp'], b['HostPort']))
    return result


def _show_ports(value):
    shown = []
    for port, binds in sorted(value.items()):
        number, proto = port.split('/')
        suffix = '' if proto == 'tcp' else '/' + proto
        for bind in binds:
            host = ':'.join(part for part in (bind['HostIp'], bind['HostPort']) if part)
            shown.append('%s%s%s' % (host + ':' if host else '', number, suffix))
    return shown


def _check_keys(where, entry, known):
    unknown = sorted(str(key) for key in entry if key not in known)
    if unknown:
        raise InvalidValue('%s: unknown key%s %s; known keys: %s'
                           % (where, 's' if len(unknown) > 1 else '', ', '.join(unknown), ', '.join(known)))


def _parse_mounts(value, ctx):
    """Bind mounts, named volumes and tmpfs: dicts, or 'SOURCE:TARGET[:ro]' strings."""
    if not isinstance(value, list):
        _fail('mounts', value, 'must be a list')
    mounts = []
    for index, entry in enumerate(value):
        where = 'mounts[%d]' % index
        if isinstance(entry, str):
            parts = entry.split(':')
            if len(parts) not in (2, 3) or (len(parts) == 3 and parts[2] not in ('ro', 'rw')):
                _fail(where, entry, "is not a mount; use 'SOURCE:TARGET' or 'SOURCE:TARGET:ro'")
            entry = {'source': parts[0], 'target': parts[1], 'read_only': len(parts) == 3 and parts[2] == 'ro'}
        if not isinstance(entry, dict):
            _fail(where, entry, "is not a mount; use a dictionary with type, source, target, read_only")
        _check_keys(where, entry, MOUNT_KEYS)
        for key in ('type', 'source', 'target'):
            if entry.get(key) is not None and not isinstance(entry[key], str):
                _fail('%s.%s' % (where, key), entry[key], 'must be a string')
        if entry.get('read_only') is not None and not isinstance(entry['read_only'], bool):
            _fail('%s.read_only' % where, entry['read_only'], 'must be true or false')
        target, source = entry.get('target') or '', entry.get('source') or ''
        kind = entry.get('type') or ('bind' if source.startswith('/') else 'tmpfs' if not source else 'volume')
        if kind not in ('bind', 'volume', 'tmpfs'):
            _fail(where, entry, "has type %r; use bind, volume or tmpfs" % kind)
        if not target.startswith('/'):
            _fail(where, entry, 'needs a target that is an absolute path')
        if kind == 'bind' and not source.startswith('/'):
            _fail(where, entry, 'is a bind mount whose source is not an absolute path')
        if kind == 'tmpfs' and source:
            _fail(where, entry, 'is a tmpfs mount, which takes no source')
        _no_nul(where, source + target)
        mounts.append({'Type': kind, 'Source': source, 'Target': target, 'ReadOnly': bool(entry.get('read_only'))})
    targets = [mount['Target'] for mount in mounts]
    duplicate = sorted(set(target for target in targets if targets.count(target) > 1))
    if duplicate:
        raise InvalidValue('mounts: %s is mounted twice' % duplicate[0])
    return _normalise_mounts(mounts, ctx)


def _normalise_mounts(value, ctx):
    return sorted(({'Type': m.get('Type'), 'Source': m.get('Source') or '', 'Target': m.get('Target'),
                    'ReadOnly': bool(m.get('ReadOnly'))} for m in (value or [])), key=lambda m: m['Target'])


def _limit_number(where, value):
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not _INT.match(str(value).strip()):
        _fail(where, value, 'is not a whole number')
    number = int(str(value).strip())
    if not -1 <= number <= INT64_MAX:
        _fail(where, value, 'is out of range; use -1 (unlimited) or a number from 0 up')
    return number


def _parse_ulimits(value, ctx):
    """'nofile=4096:8192' or {name, soft, hard} -> [{Name, Soft, Hard}]."""
    if not isinstance(value, list):
        _fail('ulimits', value, 'must be a list')
    result, names = [], set()
    for index, entry in enumerate(value):
        where = 'ulimits[%d]' % index
        if isinstance(entry, str):
            name, eq, limits = entry.partition('=')
            soft, colon, hard = limits.partition(':')
            if not eq or not soft:
                _fail(where, entry, "is not a ulimit; use 'NAME=SOFT[:HARD]' such as 'nofile=4096:8192'")
            entry = {'name': name, 'soft': soft, 'hard': hard if colon else soft}
        if not isinstance(entry, dict):
            _fail(where, entry, "is not a ulimit; use 'NAME=SOFT[:HARD]' or a dictionary with name, soft, hard")
        _check_keys(where, entry, ULIMIT_KEYS)
        name = entry.get('name')
        if name not in ULIMIT_NAMES:
            _fail('%s.name' % where, name, 'is not a resource limit; use one of: %s' % ', '.join(ULIMIT_NAMES))
        if name in names:
            _fail(where, name, 'is given twice')
        names.add(name)
        if entry.get('soft') is None:
            _fail(where, entry, 'needs a soft limit')
        soft = _limit_number('%s.soft' % where, entry['soft'])
        hard = _limit_number('%s.hard' % where, entry['hard']) if entry.get('hard') is not None else soft
        if soft > hard and hard != -1 or soft == -1 and hard != -1:
            _fail(where, entry, 'has a soft limit above its hard limit')
        result.append({'Name': name, 'Soft': soft, 'Hard': hard})
    return _normalise_ulimits(result, ctx)


def _normalise_ulimits(value, ctx):
    return sorted(({'Name': u['Name'], 'Soft': u['Soft'], 'Hard': u['Hard']} for u in (value or [])),
                  key=lambda u: u['Name'])


def _parse_healthcheck(value, ctx):
    if not isinstance(value, dict) or 'test' not in value:
        _fail('healthcheck', value, "must be a dictionary with at least 'test'")
    _check_keys('healthcheck', value, HEALTHCHECK_KEYS)
    test = value['test']
    if isinstance(test, str):
        test = ['NONE'] if test.upper() == 'NONE' else ['CMD-SHELL', test]
    elif isinstance(test, list) and test and test[0] in ('CMD', 'CMD-SHELL', 'NONE'):
        test = [str(part) for part in test]
    elif isinstance(test, list) and test:
        test = ['CMD'] + [str(part) for part in test]
    else:
        _fail('healthcheck.test', test, 'must be a command (string or list) or NONE')
    check = {'Test': test}
    for option, key in (('interval', 'Interval'), ('timeout', 'Timeout'), ('start_period', 'StartPeriod')):
        if value.get(option) is not None:
            # The engine refuses health check durations below one millisecond.
            check[key] = parse_duration(value[option], 'healthcheck.' + option, minimum=MILLISECOND)
    if value.get('retries') is not None:
        retries = value['retries']
        if isinstance(retries, bool) or not isinstance(retries, int) or not 1 <= retries <= INT32_MAX:
            _fail('healthcheck.retries', retries, 'must be a positive whole number')
        check['Retries'] = retries
    return check


def _normalise_healthcheck(value, ctx):
    value = value or {}
    return dict((key, item) for key, item in value.items() if item)


def _show_healthcheck(value):
    return dict((key, format_duration(item) if key in ('Interval', 'Timeout', 'StartPeriod') else item)
                for key, item in value.items())


def _parse_stop_timeout(value, ctx):
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= INT32_MAX:
        _fail('stop_timeout', value, 'must be a whole number of seconds, 0 or more')
    return value


def _parse_working_dir(value, ctx):
    if not isinstance(value, str) or not value.startswith('/'):
        _fail('working_dir', value, 'is not an absolute path (the engine needs one, such as /srv/app)')
    return _no_nul('working_dir', value)


def _parse_bool(value, ctx):
    return bool(value)


def _normalise_bool(value, ctx):
    return bool(value)


def _normalise_mapping(value, ctx):
    return dict(value or {})


def _normalise_list(value, ctx):
    return list(value) if value else None


def _normalise_env(value, ctx):
    return sorted(value or [])


def _normalise_string(value, ctx):
    return value or ''


# Options the planner handles itself (identity, image, networks, lifecycle, logging) rather
# than through one API key. Listed here so the argument spec still comes from this one table;
# defaults apply at the top level of the module (items inherit them).
PLANNER_OPTIONS = (
    Field('name', dict(type='str')),
    Field('image', dict(type='str')),
    Field('networks', dict(type='list', elements='raw')),
    Field('state', dict(type='str', default='started',
                        choices=['present', 'started', 'stopped', 'restarted', 'absent'])),
    Field('recreate', dict(type='bool', default=False)),
    Field('pull', dict(type='str', default='missing', choices=['missing', 'always', 'never'])),
    Field('restart_retries', dict(type='int')),
    Field('log_driver', dict(type='str')),
    Field('log_options', dict(type='dict')),
    Field('secret_env', dict(type='list', elements='str', no_log=False)),
)

API_OPTIONS = (
    Field('command', dict(type='raw'), ('Config', 'Cmd'), parse=argv_parser('command'), normalise=_normalise_list),
    Field('entrypoint', dict(type='raw'), ('Config', 'Entrypoint'), parse=argv_parser('entrypoint'),
          normalise=_normalise_list),
    Field('env', dict(type='dict'), ('Config', 'Env'), parse=_parse_env, normalise=_normalise_env,
          compare_form=_env_with_image,
          show=lambda env: dict(entry.split('=', 1) if '=' in entry else (entry, '') for entry in env)),
    Field('labels', dict(type='dict'), ('Config', 'Labels'), parse=string_pairs('labels'),
          normalise=_normalise_mapping, compare_form=_labels_with_image),
    Field('user', dict(type='str'), ('Config', 'User'), normalise=_normalise_string),
    Field('working_dir', dict(type='str'), ('Config', 'WorkingDir'), parse=_parse_working_dir,
          normalise=_normalise_string),
    Field('healthcheck', dict(type='dict'), ('Config', 'Healthcheck'), parse=_parse_healthcheck,
          normalise=_normalise_healthcheck, show=_show_healthcheck),
    Field('stop_signal', dict(type='str'), ('Config', 'StopSignal'), normalise=_normalise_string),
    Field('stop_timeout', dict(type='int'), ('Config', 'StopTimeout'), parse=_parse_stop_timeout),
    Field('ports', dict(type='list', elements='raw'), ('HostConfig', 'PortBindings'), parse=_parse_ports,
          normalise=_normalise_ports, show=_show_ports),
    Field('mounts', dict(type='list', elements='raw'), ('HostConfig', 'Mounts'), parse=_parse_mounts,
          normalise=_normalise_mounts),
    Field('read_only', dict(type='bool'), ('HostConfig', 'ReadonlyRootfs'), parse=_parse_bool,
          normalise=_normalise_bool),
    Field('init', dict(type='bool'), ('HostConfig', 'Init'), parse=_parse_bool, normalise=_normalise_bool),
    Field('cap_add', dict(type='list', elements='str'), ('HostConfig', 'CapAdd'), parse=_capabilities('cap_add'),
          normalise=_normalise_capabilities),
    Field('cap_drop', dict(type='list', elements='str'), ('HostConfig', 'CapDrop'),
          parse=_capabilities('cap_drop'), normalise=_normalise_capabilities),
    Field('ulimits', dict(type='list', elements='raw'), ('HostConfig', 'Ulimits'), parse=_parse_ulimits,
          normalise=_normalise_ulimits),
    # Limits and the restart policy: the engine's update API changes these in place.
    Field('memory', dict(type='str'), ('HostConfig', 'Memory'), updatable=True,
          parse=_size('memory', minimum=ENGINE_MIN_MEMORY), show=format_size),
    Field('memory_reservation', dict(type='str'), ('HostConfig', 'MemoryReservation'), updatable=True,
          parse=_size('memory_reservation'), show=format_size),
    Field('memory_swap', dict(type='str'), ('HostConfig', 'MemorySwap'), updatable=True,
          parse=_parse_memory_swap, show=lambda v: v if v == -1 else format_size(v)),
    Field('cpus', dict(type='str'), ('HostConfig', 'NanoCpus'), updatable=True, parse=_parse_cpus,
          show=format_cpus),
    Field('cpu_shares', dict(type='int'), ('HostConfig', 'CpuShares'), updatable=True, parse=_parse_cpu_shares,
          normalise=_normalise_cpu_shares),
    Field('cpuset_cpus', dict(type='str'), ('HostConfig', 'CpusetCpus'), updatable=True, parse=_parse_cpuset,
          normalise=_normalise_cpuset),
    Field('pids_limit', dict(type='int'), ('HostConfig', 'PidsLimit'), updatable=True, parse=_parse_pids_limit,
          normalise=_normalise_pids_limit),
    Field('restart_policy', dict(type='str', choices=list(RESTART_POLICIES)), ('HostConfig', 'RestartPolicy'),
          updatable=True, parse=_parse_restart_policy, normalise=_normalise_restart_policy,
          show=_show_restart_policy),
)

OPTIONS = PLANNER_OPTIONS + API_OPTIONS
OPTIONS_BY_NAME = dict((option.name, option) for option in OPTIONS)

# Options whose validation needs GET /info (host CPUs, the engine's log drivers).
NEEDS_ENGINE_INFO = ('cpus', 'cpuset_cpus', 'log_driver', 'log_options')

# The argument spec of one container, with the top level's defaults.
CONTAINER_SPEC = table_spec(OPTIONS)


def parse_log_config(item, ctx, warnings):
    """log_driver + log_options -> LogConfig; options are validated for the driver."""
    driver = item.get('log_driver')
    options = item.get('log_options')
    if driver is None and options is None:
        return None
    if driver is None:
        driver = ((ctx.engine_info or {}).get('LoggingDriver')) or 'json-file'
    else:
        validate_log_driver(driver, ((ctx.engine_info or {}).get('Plugins') or {}).get('Log'))
    config, notes = normalise_log_options(driver, options or {})
    warnings.extend(notes)
    return {'Type': driver, 'Config': config}


def normalise_log_config(value, ctx):
    value = value or {}
    return {'Type': value.get('Type') or '', 'Config': dict(value.get('Config') or {})}
