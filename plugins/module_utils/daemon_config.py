# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Manage some keys of the Docker engine's configuration file (``daemon.json``).

The engine reads ``daemon.json`` only when it starts, and refuses to start at all when one
key is unknown or has the wrong type: a bad edit is found only at the next restart, with the
engine down. This module checks every managed key against one table of the keys the engine
documents (value types and formats, the logging driver and its options through
:mod:`log_config`) before anything is written, keeps every other key of the file as it is,
and replaces the file atomically only when its data changes.

Pure logic apart from the file and the optional ``dockerd --validate`` run: the module
``dockhand.docker.daemon_config`` only passes its parameters to :func:`converge`.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import ipaddress
import json
import math
import os
import re
import shutil
import subprocess
import tempfile

from ansible_collections.dockhand.docker.plugins.module_utils.diff import ChangeSet
from ansible_collections.dockhand.docker.plugins.module_utils.files import make_backup, write_atomically
from ansible_collections.dockhand.docker.plugins.module_utils.frame import validated_options
from ansible_collections.dockhand.docker.plugins.module_utils.log_config import (
    BUILTIN_DRIVERS,
    normalise_log_options,
    validate_log_driver,
)
from ansible_collections.dockhand.docker.plugins.module_utils.plan import checked_plan
from ansible_collections.dockhand.docker.plugins.module_utils.secrets import (
    SECRET_MASK,
    is_secret_name,
    mask_url_credentials,
    scrub,
)
from ansible_collections.dockhand.docker.plugins.module_utils.units import InvalidValue, parse_size

DEFAULT_PATH = '/etc/docker/daemon.json'
DEFAULT_LOG_DRIVER = 'json-file'
DIRECTORY_MODE = 0o755
DEFAULT_BACKUP_KEEP = 5
DOCKERD_TIMEOUT = 60
# Where dockerd is looked for when it is not on PATH (Ansible's PATH may lack the sbin directories).
DOCKERD_FALLBACKS = ('/usr/sbin/dockerd', '/usr/bin/dockerd')
# Logging drivers a Linux engine has built in besides "none" (etwlogs exists on Windows only).
LINUX_LOG_DRIVERS = tuple(driver for driver in BUILTIN_DRIVERS if driver not in ('etwlogs', 'none'))
# The daemon_config module's options; engine_info's plan_daemon_config takes those that decide
# the file's content (PLANNED_OPTIONS), checked against the same spec.
ARGUMENT_SPEC = dict(
    path=dict(type='path', default=DEFAULT_PATH),
    settings=dict(type='dict', default={}),
    remove=dict(type='list', elements='str', default=[]),
    log_driver=dict(type='str'),
    log_opts=dict(type='dict'),
    allow_unknown_keys=dict(type='bool', default=False),
    validate=dict(type='bool', default=True),
    dockerd_path=dict(type='path'),
    backup=dict(type='bool', default=False),
    backup_keep=dict(type='int', default=DEFAULT_BACKUP_KEEP),
    force=dict(type='bool', default=False),
)
PLANNED_OPTIONS = ('path', 'settings', 'remove', 'log_driver', 'log_opts', 'allow_unknown_keys', 'force')
# Logging options whose values are credentials, besides every option whose name says so
# (secrets.is_secret_name): masked wherever the configuration is shown.
SECRET_LOG_OPTIONS = ('splunk-token', 'logentries-token')
# The engine reads integers into Go's 64-bit types; JSON nested deeper than this is not a configuration.
INT64_MIN, INT64_MAX = -2 ** 63, 2 ** 63 - 1
MAX_DEPTH = 32
# Values are cut to this many characters in messages (a 5,000-digit port says nothing more).
_SHOWN_LENGTH = 120


class DaemonConfigError(InvalidValue):
    """Bad input or an unusable file; the message is the task's one-line failure."""


# ---- secrets: how the configuration and values in messages may be shown ----

def _is_secret(name):
    """A key whose value is a secret: a logging token, any key whose name says so (secrets.is_secret_name).

    Documented top-level keys are not (``tlskey`` holds the path of a key, not a key).
    """
    return name not in KEYS and (name in SECRET_LOG_OPTIONS or is_secret_name(name))


def masked_value(value, name=None):
    """``value`` (of the key ``name``) as it may be shown: secret values and the passwords of URLs masked."""
    if name is not None and value is not None and _is_secret(name):
        return SECRET_MASK
    if isinstance(value, dict):
        return dict((key, masked_value(item, key)) for key, item in value.items())
    if isinstance(value, list):
        return [masked_value(item) for item in value]
    return mask_url_credentials(value)


def masked_config(config):
    """A copy of ``config`` (daemon.json data) with every secret masked, for results and diffs."""
    if not isinstance(config, dict):
        return masked_value(config)
    return dict((key, masked_value(value, key)) for key, value in config.items())


def masked_options(options):
    """A copy of the module's options (or engine_info's ``plan_daemon_config``) with secrets masked.

    For ``invocation`` and the host's log (``DockhandModule(masked_params=...)``): the logging
    tokens in ``log_opts`` and ``settings``, and the credentials in any URL among the values.
    Takes anything, since the invocation is also shown when the options are malformed.
    """
    if not isinstance(options, dict):
        return masked_value(options)
    shown = dict((key, masked_value(value)) for key, value in options.items())
    if 'settings' in shown:
        shown['settings'] = masked_config(options['settings'])
    if 'log_opts' in shown:
        shown['log_opts'] = masked_value(options['log_opts'], 'log-opts')
    return shown


_MISSING = object()


def _shown_change(before, after, name=None):
    """``after`` masked, with " (changed)" on a masked part whose secret differs from ``before``'s."""
    shown = masked_value(after, name)
    if isinstance(after, dict) and isinstance(before, dict) and isinstance(shown, dict):
        return dict((key, _shown_change(before.get(key, _MISSING), item, key)) for key, item in after.items())
    if isinstance(after, list) and isinstance(before, list) and len(after) == len(before):
        return [_shown_change(old, new) for old, new in zip(before, after)]
    if (isinstance(shown, str) and before is not _MISSING and shown == masked_value(before, name)
            and not same_value(before, after)):
        return shown + ' (changed)'
    return shown


def _repr(value):
    """``repr(value)`` for a message: the passwords of URLs in it masked, cut short."""
    try:
        text = mask_url_credentials(repr(value))
    except ValueError:  # an integer beyond Python's digit limit for str()
        return 'a %s too large to show' % _type_name(value)
    return text if len(text) <= _SHOWN_LENGTH else text[:_SHOWN_LENGTH] + '...'


def _shown(where, value):
    """``value`` for a message about ``where`` (settings.proxies.http-proxy...): secrets masked, cut short."""
    name = re.sub(r'\[[0-9]+\]\Z', '', str(where).rsplit('.', 1)[-1])
    return _repr(masked_value(value, name))


def _fail(where, value, reason):
    raise DaemonConfigError('%s: %s %s' % (where, _shown(where, value), reason))


def _type_name(value):
    if value is None:
        return 'null'
    return {bool: 'boolean', int: 'integer', float: 'number', str: 'string', list: 'list',
            dict: 'dictionary'}.get(type(value), type(value).__name__)


def _with_article(value):
    name = _type_name(value)
    return ('an ' if name[0] in 'aeiou' else 'a ') + name


def _wrong_type(where, value, expected):
    raise DaemonConfigError('%s: %s is %s; it must be %s' % (where, _shown(where, value), _with_article(value),
                                                             expected))


# Value checks: each takes (where, value) and raises DaemonConfigError; none changes the value.

def _boolean(where, value):
    if not isinstance(value, bool):
        _wrong_type(where, value, 'a boolean (true or false)')


def _string(where, value):
    if not isinstance(value, str):
        _wrong_type(where, value, 'a string')
    if not value.strip():
        _fail(where, value, "is empty; remove the key to use the engine's default")


def _integer(minimum=None, maximum=None):
    # Beyond these the engine cannot read the number at all (Go's int64), whatever the key.
    low = INT64_MIN if minimum is None else minimum
    high = INT64_MAX if maximum is None else maximum
    if minimum is not None and maximum is not None:
        what = 'an integer from %d to %d' % (minimum, maximum)
    elif minimum == 1:
        what = 'a positive integer'
    elif minimum is not None:
        what = 'an integer of %d or more' % minimum
    else:
        what = 'an integer'

    def check(where, value):
        if isinstance(value, bool) or not isinstance(value, int):
            _wrong_type(where, value, what)
        if (value < low and minimum is None) or (value > high and maximum is None):
            _fail(where, value, 'is out of range; the engine reads integers from %d to %d' % (INT64_MIN, INT64_MAX))
        if value < low or value > high:
            _fail(where, value, 'is out of range; it must be %s' % what)
    return check


def _choice(*choices):
    def check(where, value):
        _string(where, value)
        if value not in choices:
            _fail(where, value, 'is not one of: %s' % ', '.join(choices))
    return check


def _absolute_path(where, value):
    _string(where, value)
    if not value.startswith('/'):
        _fail(where, value, 'is not an absolute path; the engine does not resolve relative paths for you')


def _key_value(where, value):
    _string(where, value)
    if '=' not in value or value.startswith('='):
        _fail(where, value, 'is not of the form name=value')


def _ip_address(version=None):
    def check(where, value):
        _string(where, value)
        try:
            address = ipaddress.ip_address(value)
        except ValueError:
            _fail(where, value, 'is not an IP address')
        if version and address.version != version:
            _fail(where, value, 'is not an IPv%d address' % version)
    return check


def _network(version, with_host=False):
    """A CIDR: with ``with_host`` an interface address (``bip``), else a subnet (host bits allowed)."""
    def check(where, value):
        _string(where, value)
        if '/' not in value:
            _fail(where, value, 'has no prefix length; use CIDR notation such as %s'
                  % ('192.168.1.1/24' if version == 4 else '2001:db8::1/64'))
        try:
            network = (ipaddress.ip_interface(value) if with_host else ipaddress.ip_network(value, strict=False))
        except ValueError:
            _fail(where, value, 'is not an IPv%d CIDR' % version)
        if network.version != version:
            _fail(where, value, 'is not an IPv%d CIDR' % version)
    return check


def _list_of(item_check, what='a list of strings'):
    def check(where, value):
        if not isinstance(value, list):
            _wrong_type(where, value, what)
        for index, item in enumerate(value):
            item_check('%s[%d]' % (where, index), item)
    return check


def _dict_of(value_check=None, what='a dictionary'):
    def check(where, value):
        if not isinstance(value, dict):
            _wrong_type(where, value, what)
        for key in value:
            if not isinstance(key, str) or not key:
                _fail(where, key, 'is not a usable key; keys must be non-empty strings')
            if value_check is not None:
                value_check('%s.%s' % (where, key), value[key])
    return check


def _fields(where, value, required=(), optional=()):
    """A dictionary with only the named fields, as the engine's JSON structure has them."""
    if not isinstance(value, dict):
        _wrong_type(where, value, 'a dictionary with %s' % ', '.join(required + optional))
    unknown = sorted(set(value) - set(required) - set(optional))
    if unknown:
        _fail(where, unknown[0], 'is not a field here; the fields are: %s' % ', '.join(required + optional))
    for name in required:
        if name not in value:
            raise DaemonConfigError('%s: the field %r is missing' % (where, name))


def _size(where, value):
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        _wrong_type(where, value, 'a size such as "64m" or a number of bytes')
    if isinstance(value, int) and not INT64_MIN <= value <= INT64_MAX:
        _fail(where, value, 'is too large; the maximum is %d bytes' % INT64_MAX)
    try:
        parse_size(value, name=where)
    except InvalidValue as exc:
        raise DaemonConfigError(str(exc))


_HOST_PORT = re.compile(r'^(?P<host>\[[0-9A-Fa-f:.%]+\]|[^\s:/\[\]@]*)(?::(?P<port>[0-9]*))?\Z')


def _host_port(where, value, text, port_required):
    match = _HOST_PORT.match(text)
    if not match:
        _fail(where, value, 'is not of the form host:port')
    port = match.group('port')
    if port is None or port == '':
        if port_required:
            _fail(where, value, 'has no port; use host:port such as 127.0.0.1:9323')
        return
    if len(port) > 5 or not 0 < int(port) < 65536:
        _fail(where, value, 'has an invalid port %s; use a number from 1 to 65535' % _repr(port))


def _daemon_host(where, value):
    _string(where, value)
    hint = 'use unix:///path/to/socket, tcp://host:port or fd://'
    scheme, sep, rest = value.partition('://')
    if not sep:
        _fail(where, value, 'has no scheme; ' + hint)
    if scheme == 'unix':
        if rest and not rest.startswith('/'):
            _fail(where, value, 'needs an absolute socket path; ' + hint)
    elif scheme == 'tcp':
        _host_port(where, value, rest[:-1] if rest.endswith('/') else rest, port_required=False)
    elif scheme == 'fd':
        if rest and not re.match(r'[0-9]+\Z', rest):
            _fail(where, value, 'is not fd:// or fd://<number>')
    else:
        _fail(where, value, 'has the scheme %r, which the engine does not listen on; %s' % (scheme, hint))


def _metrics_address(where, value):
    _string(where, value)
    _host_port(where, value, value, port_required=True)


def _registry_mirror(where, value):
    _string(where, value)
    scheme, sep, rest = value.partition('://')
    if not sep or scheme not in ('http', 'https') or not rest or rest.startswith('/'):
        _fail(where, value, 'is not a mirror URL; use https://host[:port] or http://host[:port]')
    if '@' in rest.split('/', 1)[0]:
        _fail(where, value, 'contains credentials; the engine refuses them in a mirror URL')


def _insecure_registry(where, value):
    _string(where, value)
    scheme, sep, rest = value.partition('://')
    if sep and scheme not in ('http', 'https'):
        _fail(where, value, 'has a scheme; give host[:port] or a CIDR such as 10.0.0.0/8')
    if re.search(r'\s', value):
        _fail(where, value, 'contains white space')


def _seccomp_profile(where, value):
    _string(where, value)
    if value not in ('builtin', 'unconfined') and not value.startswith('/'):
        _fail(where, value, "is not 'builtin', 'unconfined' or the absolute path of a profile")


_ULIMITS = ('core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss',
            'rtprio', 'rttime', 'sigpending', 'stack')


def _default_ulimits(where, value):
    _dict_of(what='a dictionary of ulimit names to {"Name": ..., "Soft": ..., "Hard": ...}')(where, value)
    limit = _integer(minimum=-1)
    for name, item in value.items():
        here = '%s.%s' % (where, name)
        if name not in _ULIMITS:
            _fail(where, name, 'is not a ulimit; use one of: %s' % ', '.join(_ULIMITS))
        _fields(here, item, required=('Soft', 'Hard'), optional=('Name',))
        if 'Name' in item and item['Name'] != name:
            _fail(here + '.Name', item['Name'], 'differs from its key %r' % name)
        limit(here + '.Soft', item['Soft'])
        limit(here + '.Hard', item['Hard'])
        soft, hard = (float('inf') if item[field] == -1 else item[field] for field in ('Soft', 'Hard'))
        if soft > hard:
            raise DaemonConfigError('%s: the soft limit %s is above the hard limit %s'
                                    % (here, item['Soft'], item['Hard']))


def _address_pool(where, value):
    _fields(where, value, required=('base', 'size'))
    base = value['base']
    _string(where + '.base', base)
    if '/' not in base:
        _fail(where + '.base', base, 'has no prefix length; use a CIDR such as 172.30.0.0/16')
    try:
        network = ipaddress.ip_network(base, strict=False)
    except ValueError:
        _fail(where + '.base', base, 'is not a CIDR such as 172.30.0.0/16')
    _integer(minimum=network.prefixlen, maximum=network.max_prefixlen)(where + '.size', value['size'])


def _runtime(where, value):
    _fields(where, value, optional=('path', 'runtimeArgs', 'runtimeType', 'options'))
    if 'path' not in value and 'runtimeType' not in value:
        raise DaemonConfigError('%s: a runtime needs "path" (an OCI runtime binary) or "runtimeType" '
                                '(a containerd shim)' % where)
    if 'path' in value:
        _string(where + '.path', value['path'])
    if 'runtimeType' in value:
        _string(where + '.runtimeType', value['runtimeType'])
    if 'runtimeArgs' in value:
        _list_of(_string)(where + '.runtimeArgs', value['runtimeArgs'])
    if 'options' in value:
        _dict_of()(where + '.options', value['options'])


def _proxies(where, value):
    keys = ('http-proxy', 'https-proxy', 'no-proxy')
    _fields(where, value, optional=keys)
    for key in value:
        _string('%s.%s' % (where, key), value[key])


def _plain_string(where, value):
    if not isinstance(value, str):
        _wrong_type(where, value, 'a string')


def _log_driver_type(where, value):
    _string(where, value)


def _log_opts_type(where, value):
    # Names and values are checked per driver in _check_logging, after the merge.
    _dict_of(what='a dictionary of option names to string values')(where, value)


_BOOLEAN_KEYS = ('allow-direct-routing', 'cri-containerd', 'debug', 'experimental', 'icc', 'init', 'ip-forward',
                 'ip-masq', 'ip6tables', 'iptables', 'ipv6', 'live-restore', 'no-new-privileges', 'raw-logs',
                 'rootless', 'selinux-enabled', 'tls', 'tlsverify', 'userland-proxy')
_STRING_KEYS = ('api-cors-header', 'bridge', 'bridge-accept-fwmark', 'cgroup-parent', 'containerd-namespace',
                'containerd-plugin-namespace', 'default-runtime', 'group', 'min-api-version', 'storage-driver',
                'swarm-default-advertise-addr', 'userns-remap')
_PATH_KEYS = ('data-root', 'exec-root', 'init-path', 'pidfile', 'tlscacert', 'tlscert', 'tlskey',
              'userland-proxy-path', 'containerd')
_STRING_LIST_KEYS = ('allow-nondistributable-artifacts', 'authorization-plugins', 'dns-opts', 'dns-search')
_KEY_VALUE_LIST_KEYS = ('exec-opts', 'labels', 'node-generic-resources', 'storage-opts')

#: Every key the engine documents for daemon.json on Linux (from 20.10 on), with its value check.
KEYS = dict(
    [(key, _boolean) for key in _BOOLEAN_KEYS]
    + [(key, _string) for key in _STRING_KEYS]
    + [(key, _absolute_path) for key in _PATH_KEYS]
    + [(key, _list_of(_string)) for key in _STRING_LIST_KEYS]
    + [(key, _list_of(_key_value, 'a list of name=value strings')) for key in _KEY_VALUE_LIST_KEYS]
)
KEYS.update({
    'log-driver': _log_driver_type,
    'log-opts': _log_opts_type,
    'log-level': _choice('debug', 'info', 'warn', 'error', 'fatal'),
    'log-format': _choice('text', 'json'),
    'hosts': _list_of(_daemon_host),
    'insecure-registries': _list_of(_insecure_registry),
    'registry-mirrors': _list_of(_registry_mirror, 'a list of URLs'),
    'max-concurrent-downloads': _integer(minimum=1),
    'max-concurrent-uploads': _integer(minimum=1),
    'max-download-attempts': _integer(minimum=1),
    'shutdown-timeout': _integer(minimum=0),
    'mtu': _integer(minimum=0, maximum=65535),
    'network-control-plane-mtu': _integer(minimum=0, maximum=65535),
    'oom-score-adjust': _integer(minimum=-1000, maximum=1000),
    'cpu-rt-period': _integer(minimum=0),
    'cpu-rt-runtime': _integer(minimum=0),
    'default-shm-size': _size,
    'default-ulimits': _default_ulimits,
    'default-address-pools': _list_of(_address_pool, 'a list of {"base": CIDR, "size": prefix length}'),
    'default-cgroupns-mode': _choice('private', 'host'),
    'default-ipc-mode': _choice('private', 'shareable'),
    'default-network-opts': _dict_of(_dict_of(_plain_string)),
    'dns': _list_of(_ip_address(), 'a list of IP addresses'),
    'bip': _network(4, with_host=True),
    'bip6': _network(6, with_host=True),
    'fixed-cidr': _network(4),
    'fixed-cidr-v6': _network(6),
    'default-gateway': _ip_address(4),
    'default-gateway-v6': _ip_address(6),
    'ip': _ip_address(),
    'host-gateway-ip': _ip_address(),
    'host-gateway-ips': _list_of(_ip_address(), 'a list of IP addresses'),
    'metrics-addr': _metrics_address,
    'features': _dict_of(_boolean, 'a dictionary of feature names to true or false'),
    'builder': _dict_of(),
    'runtimes': _dict_of(_runtime, 'a dictionary of runtime names to {"path": ...}'),
    'proxies': _proxies,
    'seccomp-profile': _seccomp_profile,
    'firewall-backend': _choice('iptables', 'nftables'),
    'cdi-spec-dirs': _list_of(_absolute_path, 'a list of absolute paths'),
    # Known to 20.10 but removed in Docker Engine 23.0, which refuses to start with them.
    'cluster-store': _string,
    'cluster-store-opts': _dict_of(_plain_string),
    'cluster-advertise': _string,
    'graph': _absolute_path,
})

#: Keys that older engines take but Docker Engine 23.0 and newer refuse: a warning each.
DEPRECATED_KEYS = {
    'cluster-store': 'the cluster store was removed in Docker Engine 23.0, which refuses to start with it',
    'cluster-store-opts': 'the cluster store was removed in Docker Engine 23.0, which refuses to start with it',
    'cluster-advertise': 'the cluster store was removed in Docker Engine 23.0, which refuses to start with it',
    'graph': 'use data-root; Docker Engine 23.0 and newer refuse to start with graph',
}


def check_json(where, value, depth=0):
    """Refuse what JSON cannot hold or the engine cannot read, naming ``where``.

    NaN and the infinities have no JSON form, integers beyond 64 bits no Go type, keys must be
    strings, text must be encodable as UTF-8 (a lone surrogate is not), and nothing else than
    JSON's own types (strings, numbers, booleans, null, lists, dictionaries) can be written.
    """
    if depth > MAX_DEPTH:
        raise DaemonConfigError('%s is nested more than %d levels deep; that is not a daemon configuration'
                                % (where, MAX_DEPTH))
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, int):
        if not INT64_MIN <= value <= 2 ** 64 - 1:
            _fail(where, value, 'is beyond the 64-bit integers the engine reads')
    elif isinstance(value, float):
        if not math.isfinite(value):
            _fail(where, value, 'is not a number JSON can hold (NaN and infinities have no JSON form); '
                                'give a finite number')
    elif isinstance(value, str):
        _check_text(where, value)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_json('%s[%d]' % (where, index), item, depth + 1)
    elif isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                _fail(where, key, 'is not a usable key; keys in JSON are strings')
            _check_text(where, key)
            check_json('%s.%s' % (where, key), item, depth + 1)
    else:
        _wrong_type(where, value, 'JSON data (a string, number, boolean, list or dictionary)')


def _check_text(where, text):
    try:
        text.encode('utf-8')
    except UnicodeError:
        _fail(where, text, 'is not valid text (it holds a lone surrogate, which UTF-8 cannot encode)')


def unknown_key_message(key, where='settings'):
    """The one line for a key the engine does not document, with the closest known keys."""
    import difflib  # only for this message; engine_info imports this file on every host
    close = difflib.get_close_matches(key, sorted(KEYS), n=3, cutoff=0.6)
    hint = ('did you mean %s? ' % ' or '.join(repr(name) for name in close)) if close else ''
    return ('%s: %s is not a daemon.json key the engine documents; %sset allow_unknown_keys=true to write it '
            'anyway (an engine that does not know a key refuses to start)' % (where, _repr(key), hint))


def validate_settings(settings, allow_unknown_keys=False, names=None):
    """Check the keys and value types of ``settings``; return a list of warnings.

    Raises :class:`DaemonConfigError` for the first key that is unknown (unless
    ``allow_unknown_keys``) or whose value does not fit. ``names`` maps a key to the name the
    user gave it (``log_driver`` for ``log-driver``), for messages. The logging driver and its
    options are checked by :func:`check_logging`, which needs the merged configuration.
    """
    if not isinstance(settings, dict):
        raise DaemonConfigError('settings must be a dictionary of daemon.json keys to values, not %s'
                                % _with_article(settings))
    names = names or {}
    warnings = []
    for key in settings:
        if not isinstance(key, str) or not key.strip():
            raise DaemonConfigError('settings: %s is not a usable key; keys are non-empty strings' % _repr(key))
        _check_text('settings', key)
        value = settings[key]
        here = names.get(key, 'settings.%s' % key)
        if value is None:
            raise DaemonConfigError('%s has no value; give it a value, or list the key in remove to delete it' % here)
        check_json(here, value)
        check = KEYS.get(key)
        if check is None:
            if not allow_unknown_keys:
                raise DaemonConfigError(unknown_key_message(key))
            warnings.append('%s is not a key the engine documents; it was written as given because '
                            'allow_unknown_keys=true' % here)
            continue
        check(here, value)
        if key in DEPRECATED_KEYS:
            warnings.append('%s: %s' % (here, DEPRECATED_KEYS[key]))
    return warnings


def apply_shortcuts(settings, log_driver=None, log_opts=None):
    """Return ``(settings, names)``: a copy of ``settings`` with the shortcuts as their keys.

    ``log_driver`` and ``log_opts`` become ``log-driver`` and ``log-opts``; ``names`` maps each
    key to the name the user gave it, for messages. A shortcut and its key may both be given
    only when they are equal.
    """
    if not isinstance(settings or {}, dict):
        raise DaemonConfigError('settings must be a dictionary of daemon.json keys to values, not %s'
                                % _with_article(settings))
    merged = dict(settings or {})
    names = dict((key, 'settings.%s' % key) for key in merged if isinstance(key, str))
    for option, key, value in (('log_driver', 'log-driver', log_driver), ('log_opts', 'log-opts', log_opts)):
        if value is None:
            continue
        if key in merged and merged[key] != value:
            raise DaemonConfigError('%s and settings.%s are both given and differ (%s and %s); give one of them'
                                    % (option, key, _repr(masked_value(value, key)),
                                       _repr(masked_value(merged[key], key))))
        merged[key] = value
        names[key] = option
    return merged, names


def check_logging(config, managed, names=None, path=None):
    """Check the logging driver and options of the merged ``config``; return (log-opts, warnings).

    Runs when ``log-driver`` or ``log-opts`` is among the ``managed`` keys (set or removed),
    because options kept from the file must also suit a new driver (``json-file`` when the
    configuration names none). Returns the options converted to strings (None when the
    configuration has none) and a warning for each value that was converted. Options kept
    from the file are not converted: a value there that is not a string is an error.
    """
    names = names or {}
    if not {'log-driver', 'log-opts'} & set(managed):
        return config.get('log-opts'), []
    kept = 'log-opts (kept from %s)' % (path or 'the file')
    driver = config.get('log-driver')
    if driver is not None:
        validate_log_driver(driver, available=LINUX_LOG_DRIVERS,
                            option_name=names.get('log-driver', 'log-driver (kept from %s)' % (path or 'the file')))
    if 'log-opts' not in config:
        normalise_log_options(driver or DEFAULT_LOG_DRIVER, {}, option_name='log_opts')
        return None, []
    options_name = names.get('log-opts', kept)
    options, warnings = normalise_log_options(driver or DEFAULT_LOG_DRIVER, config['log-opts'],
                                              option_name=options_name)
    if warnings and options_name == kept:
        raise DaemonConfigError('%s has values that are not strings, which the engine refuses (%s); give '
                                'log_opts to replace them' % (kept, ', '.join(sorted(
                                    key for key, value in config['log-opts'].items() if not isinstance(value, str)))))
    return options, warnings


def same_value(first, second):
    """Equal as JSON data: unlike ``==``, ``true`` differs from ``1`` and ``1.0`` from ``1``."""
    try:
        return json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)
    except (TypeError, ValueError):  # not JSON data (refused by check_json before it matters)
        return first == second


def merge(current, settings, remove=()):
    """Return ``(config, changed_keys)``: ``current`` with ``settings`` set and ``remove`` deleted.

    Keys keep their place in ``current``; new keys are appended in the order given.
    """
    config = copy.deepcopy(current)
    changed = []
    for key, value in settings.items():
        if key not in config or not same_value(config[key], value):
            changed.append(key)
        config[key] = copy.deepcopy(value)
    for key in remove:
        if key in config:
            del config[key]
            changed.append(key)
    return config, sorted(changed)


def render(config):
    """The file's text: 2-space indented JSON and a trailing newline.

    Raises :class:`DaemonConfigError` naming the key of a value JSON cannot hold (NaN...).
    """
    for key, value in config.items():
        if not isinstance(key, str):
            _fail('daemon.json', key, 'is not a usable key; keys in JSON are strings')
        check_json(key, value)
    return json.dumps(config, indent=2, ensure_ascii=False, allow_nan=False) + '\n'


class ConfigFile(object):
    """What is at ``path`` now: ``data`` (dict or None when missing) or ``error`` (unparseable)."""

    def __init__(self, path, data=None, error=None, exists=False):
        self.path = path
        self.data = data
        self.error = error
        self.exists = exists


def _refuse_constant(name):
    raise ValueError('%s is not allowed in JSON' % name)


def read_config(path):
    """Read ``path``; an empty file counts as ``{}``, a missing one gives ``data=None``."""
    if not os.path.exists(path):
        return ConfigFile(path)
    if os.path.isdir(path):
        raise DaemonConfigError('%s is a directory, not a daemon.json file' % path)
    try:
        with open(path, 'rb') as handle:
            raw = handle.read()
    except OSError as exc:
        raise DaemonConfigError('cannot read %s: %s' % (path, exc.strerror or exc))
    try:
        text = raw.decode('utf-8-sig')
    except UnicodeDecodeError as exc:
        return ConfigFile(path, error='it is not UTF-8 text (byte %d)' % exc.start, exists=True)
    if not text.strip():
        return ConfigFile(path, data={}, exists=True)
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        return ConfigFile(path, error='line %d, column %d: %s' % (exc.lineno, exc.colno, exc.msg), exists=True)
    except ValueError as exc:
        return ConfigFile(path, error=str(exc), exists=True)
    except RecursionError:
        return ConfigFile(path, error='it is nested too deeply to read', exists=True)
    if not isinstance(data, dict):
        return ConfigFile(path, error='it holds a JSON %s, not an object' % _type_name(data), exists=True)
    return ConfigFile(path, data=data, exists=True)


def find_dockerd(dockerd_path=None):
    """The dockerd binary to validate with: ``dockerd_path``, else on PATH, else /usr/sbin/dockerd."""
    if dockerd_path:
        if not (os.path.isfile(dockerd_path) and os.access(dockerd_path, os.X_OK)):
            raise DaemonConfigError('dockerd_path: %s is not an executable file' % _repr(dockerd_path))
        return dockerd_path
    found = shutil.which('dockerd')
    if found:
        return found
    for candidate in DOCKERD_FALLBACKS:
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def _one_line(text):
    return ' '.join(text.split())


def secret_values(value, name=None, inside=False):
    """The secret texts in daemon.json data: every scalar of a value :func:`masked_value` masks whole."""
    inside = inside or (name is not None and _is_secret(name))
    if isinstance(value, dict):
        return [secret for key, item in value.items() for secret in secret_values(item, key, inside)]
    if isinstance(value, list):
        return [secret for item in value for secret in secret_values(item, None, inside)]
    # Logging options are strings by then; other scalars (true, 3) would mask unrelated words.
    return [value] if inside and isinstance(value, str) and value else []


def validate_with_dockerd(dockerd, text, path, timeout=DOCKERD_TIMEOUT, secrets=()):
    """Run ``dockerd --validate`` on ``text`` in a temporary file; return ``(validated, message)``.

    ``validated`` is False (with the reason) when this dockerd has no ``--validate`` (before
    Docker Engine 23.0). Raises :class:`DaemonConfigError` when dockerd refuses the configuration.
    dockerd may quote the file: ``secrets`` and the passwords of URLs are masked in what it says.
    """
    workdir = tempfile.mkdtemp(prefix='dockhand-daemon-json-')
    candidate = os.path.join(workdir, os.path.basename(path) or 'daemon.json')
    try:
        with open(candidate, 'w', encoding='utf-8') as handle:
            handle.write(text)
        try:
            proc = subprocess.run([dockerd, '--validate', '--config-file', candidate], stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise DaemonConfigError('%s --validate did not finish within %d seconds; set validate=false to skip '
                                    'this check' % (dockerd, timeout))
        except OSError as exc:
            raise DaemonConfigError('cannot run %s --validate: %s' % (dockerd, exc.strerror or exc))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    output = _one_line(proc.stdout.decode('utf-8', 'replace')).replace(candidate, path)
    output = mask_url_credentials(scrub(output, [str(secret) for secret in secrets]))
    if 'unknown flag: --validate' in output:
        return False, ('%s has no --validate (Docker Engine 23.0 and newer have it); only the checks of this '
                       'module were made' % dockerd)
    if proc.returncode != 0:
        raise DaemonConfigError('%s --validate refused the new %s (nothing was written): %s'
                                % (dockerd, path, output or 'exit code %d' % proc.returncode))
    return True, output or 'configuration OK'


def _check_remove(remove, settings, names):
    if not isinstance(remove, list):
        raise DaemonConfigError('remove must be a list of keys, not %s' % _with_article(remove))
    for key in remove:
        if not isinstance(key, str) or not key:
            raise DaemonConfigError('remove: %s is not a key; keys are non-empty strings' % _repr(key))
        if key in settings:
            raise DaemonConfigError('%s is both set (%s) and listed in remove; do one of them'
                                    % (_repr(key), names.get(key, 'settings.' + key)))


def checked_path(params):
    """The file ``params`` name: ``path`` (default /etc/docker/daemon.json), an absolute path."""
    path = params.get('path') or DEFAULT_PATH
    if not isinstance(path, str):
        raise DaemonConfigError('path must be the absolute path of the file, not %s' % _with_article(path))
    if '\x00' in path:
        raise DaemonConfigError('path: %s contains a NUL character, which no file name can hold' % _repr(path))
    _check_text('path', path)
    if not path.startswith('/'):
        raise DaemonConfigError('path: %s is not an absolute path; give the file as /etc/docker/daemon.json does'
                                % _repr(path))
    return path


def checked_backup_keep(params):
    """``backup_keep``: how many backups of the file to keep (0: all of them)."""
    keep = params.get('backup_keep', DEFAULT_BACKUP_KEEP)
    if keep is None:
        return DEFAULT_BACKUP_KEEP
    if isinstance(keep, bool) or not isinstance(keep, int) or keep < 0:
        raise DaemonConfigError('backup_keep: %s is not a number of backups; give 1 or more to keep the newest '
                                'ones, or 0 to keep them all' % _repr(keep))
    return keep


def plan(params, current_file):
    """What :func:`converge` would do to ``current_file`` (a :class:`ConfigFile`); changes nothing.

    Returns ``(config, changed_keys, warnings, current)``: the configuration to write, the keys
    that differ (every key when the file is unparseable and ``force`` is set), the warnings to
    show and the file's data as read. Raises :class:`DaemonConfigError` for bad input, or for
    an unparseable file without ``force``.
    """
    path = checked_path(params)
    settings, names = apply_shortcuts(params.get('settings') or {}, params.get('log_driver'),
                                      params.get('log_opts'))
    remove = params.get('remove') or []
    _check_remove(remove, settings, names)
    warnings = validate_settings(settings, allow_unknown_keys=params.get('allow_unknown_keys'), names=names)

    if current_file.error is not None and not params.get('force'):
        raise DaemonConfigError('%s is not valid JSON (%s); it was left as it is: fix it, or set force=true to '
                                'replace it' % (path, current_file.error))
    current = current_file.data if current_file.data is not None else {}

    merged = merge(current, settings, remove)[0]
    log_opts, log_warnings = check_logging(merged, list(settings) + list(remove), names, path)
    warnings.extend(log_warnings)
    if 'log-opts' in settings:
        settings['log-opts'] = log_opts
    config, changed_keys = merge(current, settings, remove)
    if current_file.error is not None:
        changed_keys = sorted(config)
    return config, changed_keys, warnings, current


def plan_options(options):
    """What :func:`converge` would do with ``options``, from the file as it is now; changes nothing.

    For a preflight read (see :mod:`plan`). ``options`` are the module's that decide the file's
    content (PLANNED_OPTIONS); an empty ``log_driver`` or ``log_opts`` means not managed, as when
    a task omits them. ``in_sync`` is true only when the file would stay as it is with no warning
    to give; ``changed_keys`` are the keys that would change.
    """
    def work():
        params = validated_options(options, dict((key, ARGUMENT_SPEC[key]) for key in PLANNED_OPTIONS),
                                   'plan_daemon_config')
        for key in ('log_driver', 'log_opts'):
            params[key] = params.get(key) or None
        current_file = read_config(checked_path(params))
        changed_keys, warnings = plan(params, current_file)[1:3]
        return dict(in_sync=not changed_keys and not warnings and current_file.error is None,
                    changed_keys=changed_keys)
    return checked_plan(options, 'options_digest', work, changed_keys=[])


def converge(params, check_mode=False, warn=None):
    """Bring the file to the wanted state; return ``(result, changes)``.

    ``params`` are the module's parameters (``path``, ``settings``, ``remove``, ``log_driver``,
    ``log_opts``, ``allow_unknown_keys``, ``validate``, ``dockerd_path``, ``backup``,
    ``backup_keep``, ``force``). Everything is checked before the file is touched; in check mode
    nothing is written. ``changes`` is a :class:`ChangeSet` of the changed keys, for diff mode;
    it and the result show secrets masked (:func:`masked_config`).
    """
    warn = warn or (lambda message: None)
    path = checked_path(params)
    backup_keep = checked_backup_keep(params)
    current_file = read_config(path)
    config, changed_keys, warnings, current = plan(params, current_file)
    for message in warnings:
        warn(message)

    replace_invalid = current_file.error is not None
    changed = bool(changed_keys) or replace_invalid
    text = render(config)

    result = dict(changed=changed, restart_required=changed, changed_keys=changed_keys,
                  config=masked_config(config), path=path, validated_by_dockerd=False)
    if not changed:
        result['dockerd_validation'] = 'not run: the configuration is unchanged'
    elif not params.get('validate', True):
        result['dockerd_validation'] = 'not run: validate=false'
    else:
        dockerd = find_dockerd(params.get('dockerd_path'))
        if dockerd is None:
            result['dockerd_validation'] = 'not run: no dockerd was found on PATH or as %s' % ' or '.join(
                DOCKERD_FALLBACKS)
        else:
            result['validated_by_dockerd'], result['dockerd_validation'] = validate_with_dockerd(
                dockerd, text, path, secrets=secret_values(config))

    changes = ChangeSet()
    for key in changed_keys:
        # Added even when the shown sides are equal: a change of a masked secret is still a change.
        changes.add(key, masked_value(current.get(key), key),
                    _shown_change(current.get(key, _MISSING), config.get(key), key))
    if replace_invalid:
        changes.add('(unparseable file)', current_file.error, None)

    if changed and not check_mode:
        if params.get('backup') and current_file.exists:
            result['backup_file'] = make_backup(path, keep=backup_keep)[0]
        write_atomically(path, text)
    return result, changes
