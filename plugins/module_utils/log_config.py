# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check a logging driver and its options before the engine sees them.

The engine checks option *names* when a container is created, but most option *values*
only when the container starts ("failed to initialize logging driver"), after the old
container may already be gone. This module finds those mistakes up front, with one line
that says what is wrong and what to do. Pure logic: used for a container's ``log_driver``
and ``log_options`` and for the daemon's ``log-driver``/``log-opts``.

The accepted names are the union of what the Docker documentation lists and what engines
from 20.10 on accept, so that options of a newer engine are not refused here (the engine
itself still refuses what it does not know).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.dockhand.docker.plugins.module_utils.secrets import (
    SECRET_MASK,
    is_secret_name,
    mask_url_credentials,
)
from ansible_collections.dockhand.docker.plugins.module_utils.units import InvalidValue, parse_size

BUILTIN_DRIVERS = ('json-file', 'local', 'syslog', 'journald', 'gelf', 'fluentd', 'awslogs', 'splunk',
                   'gcplogs', 'logentries', 'etwlogs', 'none')

# Go's strconv.ParseBool, which the engine uses for every boolean option.
_GO_BOOLS = {'1': True, 't': True, 'T': True, 'true': True, 'TRUE': True, 'True': True,
             '0': False, 'f': False, 'F': False, 'false': False, 'FALSE': False, 'False': False}
_SYSLOG_FACILITIES = ('kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron',
                      'authpriv', 'ftp', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5',
                      'local6', 'local7')
_HOST_PORT = re.compile(r'^(?P<host>\[[0-9A-Fa-f:.%]+\]|[^\s:/\[\]]+)(?::(?P<port>[^:/]*))?\Z')


class InvalidLogConfig(InvalidValue):
    """A logging driver or option the engine would refuse; the message says what to do."""


def _fail(where, value, reason):
    raise InvalidLogConfig('%s: %s %s' % (where, _shown(where, value), reason))


# Value checks: each takes (where, value) and raises InvalidLogConfig.

def _any(where, value):
    return None


def _size(where, value):
    try:
        parse_size(value, name=where)
    except InvalidValue as exc:
        raise InvalidLogConfig(str(exc))


def _integer(minimum=None, maximum=None, what='an integer'):
    def check(where, value):
        if not re.match(r'^-?[0-9]+\Z', value):
            _fail(where, value, 'is not %s' % what)
        number = int(value)
        if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
            _fail(where, value, 'is out of range; use %s' % what)
    return check


_positive = _integer(minimum=1, what='a positive integer (1, 2, 3...)')
_non_negative = _integer(minimum=0, what='an integer of 0 or more')
_compression_level = _integer(minimum=-1, maximum=9, what='an integer from -1 to 9')


def _boolean(where, value):
    if value not in _GO_BOOLS:
        _fail(where, value, "is not a boolean; use 'true' or 'false'")


def _choice(*choices):
    def check(where, value):
        if value not in choices:
            _fail(where, value, 'is not one of: %s' % ', '.join(choices))
    return check


def _check_port(where, value, port, required):
    if port is None or port == '':
        if required:
            _fail(where, value, 'has no port; use host:port (e.g. udp://192.0.2.10:12201)')
        return
    # ASCII digits only, and few: int() takes '²' and refuses thousands of digits.
    if not re.match(r'[0-9]{1,5}\Z', port) or not 0 < int(port) < 65536:
        _fail(where, value, 'has an invalid port %r; use a number from 1 to 65535' % _cut(port))


def _host_port(where, value, rest, port_required):
    if '@' in rest:
        # A port parsed out of user:password@host would echo the password.
        _fail(where, value, 'contains user credentials (user:password@), which this address does not take')
    match = _HOST_PORT.match(rest)
    if not match:
        _fail(where, value, 'is not an address of the form host:port')
    _check_port(where, value, match.group('port'), port_required)


def _split_scheme(value):
    if '://' in value:
        scheme, rest = value.split('://', 1)
        return scheme, rest
    return None, value


def _syslog_address(where, value):
    scheme, rest = _split_scheme(value)
    hint = 'use tcp://, udp:// or tcp+tls://host[:port], unix:///path or unixgram:///path'
    if scheme in ('unix', 'unixgram'):
        if not rest.startswith('/'):
            _fail(where, value, 'needs an absolute socket path; ' + hint)
    elif scheme in ('tcp', 'udp', 'tcp+tls'):
        _host_port(where, value, rest, port_required=False)
    else:
        _fail(where, value, 'is not a syslog address; ' + hint)


def _gelf_address(where, value):
    scheme, rest = _split_scheme(value)
    if scheme not in ('udp', 'tcp'):
        _fail(where, value, 'is not a GELF address; use udp://host:port or tcp://host:port')
    _host_port(where, value, rest, port_required=True)


def _fluentd_address(where, value):
    scheme, rest = _split_scheme(value)
    if scheme == 'unix' or (scheme is None and value.startswith('/')):
        if not (rest if scheme else value).startswith('/'):
            _fail(where, value, 'needs an absolute socket path (unix:///path/to/fluentd.sock)')
        return
    if scheme not in (None, 'tcp', 'tls'):
        _fail(where, value, 'is not a fluentd address; use host:port, tcp://host:port, tls://host:port, '
                            'unix:///path or an absolute socket path')
    _host_port(where, value, rest, port_required=False)


def _splunk_url(where, value):
    scheme, rest = _split_scheme(value)
    if scheme not in ('http', 'https') or not rest or rest.startswith('/'):
        _fail(where, value, 'is not a Splunk HTTP Event Collector URL; use https://host:8088')


def _syslog_facility(where, value):
    if value.isdigit() and 0 <= int(value) <= 23:
        return
    if value not in _SYSLOG_FACILITIES:
        _fail(where, value, 'is not a syslog facility; use a number from 0 to 23 or one of: %s'
              % ', '.join(_SYSLOG_FACILITIES))


# Options every driver but "none" takes: delivery mode and the dual-logging cache.
_COMMON = {
    'mode': _choice('blocking', 'non-blocking'),
    'max-buffer-size': _size,
    'cache-disabled': _boolean,
    'cache-max-size': _size,
    'cache-max-file': _positive,
    'cache-compress': _boolean,
}
_TAG = {'tag': _any}
_ATTRIBUTES = {'labels': _any, 'labels-regex': _any, 'env': _any, 'env-regex': _any}
_ROTATION = {'max-size': _size, 'max-file': _positive, 'compress': _boolean}


def _options(*parts, **extra):
    table = dict(_COMMON)
    for part in parts:
        table.update(part)
    table.update(dict((key.replace('_', '-'), check) for key, check in extra.items()))
    return table


_DRIVER_OPTIONS = {
    'json-file': _options(_ROTATION, _TAG, _ATTRIBUTES),
    'local': _options(_ROTATION),
    'syslog': _options(_TAG, _ATTRIBUTES, syslog_address=_syslog_address, syslog_facility=_syslog_facility,
                       syslog_tls_ca_cert=_any, syslog_tls_cert=_any, syslog_tls_key=_any,
                       syslog_tls_skip_verify=_boolean,
                       syslog_format=_choice('rfc3164', 'rfc5424', 'rfc5424micro')),
    'journald': _options(_TAG, _ATTRIBUTES),
    'gelf': _options(_TAG, _ATTRIBUTES, gelf_address=_gelf_address,
                     gelf_compression_type=_choice('gzip', 'zlib', 'none'),
                     gelf_compression_level=_compression_level, gelf_tcp_max_reconnect=_non_negative,
                     gelf_tcp_reconnect_delay=_positive),
    'fluentd': _options(_TAG, _ATTRIBUTES, fluentd_address=_fluentd_address, fluentd_async=_boolean,
                        fluentd_async_connect=_boolean, fluentd_async_reconnect_interval=_any,
                        fluentd_buffer_limit=_any, fluentd_retry_wait=_any, fluentd_max_retries=_non_negative,
                        fluentd_sub_second_precision=_boolean, fluentd_request_ack=_boolean,
                        fluentd_write_timeout=_any),
    'awslogs': _options(_TAG, awslogs_region=_any, awslogs_endpoint=_any, awslogs_group=_any,
                        awslogs_stream=_any, awslogs_create_group=_boolean, awslogs_create_stream=_boolean,
                        awslogs_datetime_format=_any, awslogs_multiline_pattern=_any,
                        awslogs_credentials_endpoint=_any, awslogs_force_flush_interval_seconds=_positive,
                        awslogs_max_buffered_events=_positive, awslogs_format=_any),
    'splunk': _options(_TAG, _ATTRIBUTES, splunk_token=_any, splunk_url=_splunk_url, splunk_source=_any,
                       splunk_sourcetype=_any, splunk_index=_any, splunk_capath=_any, splunk_caname=_any,
                       splunk_insecureskipverify=_boolean, splunk_format=_choice('inline', 'json', 'raw'),
                       splunk_verify_connection=_boolean, splunk_gzip=_boolean,
                       splunk_gzip_level=_compression_level, splunk_index_acknowledgment=_boolean),
    'gcplogs': _options(_ATTRIBUTES, gcp_project=_any, gcp_log_cmd=_boolean, gcp_meta_zone=_any,
                        gcp_meta_name=_any, gcp_meta_id=_any),
    'logentries': _options(_TAG, _ATTRIBUTES, logentries_token=_any, line_only=_boolean),
    'etwlogs': _options(),
    'none': {},
}

_REQUIRED = {
    'gelf': ('gelf-address',),
    'awslogs': ('awslogs-group',),
    'splunk': ('splunk-url', 'splunk-token'),
    'logentries': ('logentries-token',),
}


def is_plugin_reference(driver):
    """A name that can only be a logging plugin (``grafana/loki-docker-driver:latest``), not a built-in."""
    return driver not in BUILTIN_DRIVERS and ('/' in driver or ':' in driver)


def _as_string(where, value, warnings):
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        text = 'true' if value else 'false'
    elif isinstance(value, (int, float)):
        try:
            text = str(value)
        except ValueError:  # beyond Python's digit limit for str()
            raise InvalidLogConfig('%s: the number is too large to be an option value; logging options take '
                                   'strings' % where)
    elif value is None:
        raise InvalidLogConfig('%s has no value; give it a string value or leave the option out' % where)
    else:
        raise InvalidLogConfig('%s: %s is a %s; logging options take strings'
                               % (where, _shown(where, value), type(value).__name__))
    warnings.append('%s: the %s %s was passed as the string %s; quote it to avoid this warning'
                    % (where, type(value).__name__, _shown(where, value), _shown(where, text)))
    return text


def _cut(text, length=120):
    return text if len(text) <= length else text[:length] + '...'


def _shown(where, value):
    """``value`` of the option ``where`` for a message: a secret (a token) not at all, the password of
    an address (tcp://user:password@host) masked, and cut short."""
    if is_secret_name(where.rsplit('.', 1)[-1]):
        return SECRET_MASK
    try:
        return _cut(mask_url_credentials(repr(value)))
    except ValueError:  # an integer beyond Python's digit limit for str()
        return 'a number too large to show'


def _cross_checks(driver, result, option_name):
    def where(key):
        return '%s.%s' % (option_name, key)

    if 'max-buffer-size' in result and result.get('mode') != 'non-blocking':
        raise InvalidLogConfig("%s only applies with mode 'non-blocking'; set %s to 'non-blocking' "
                               "or drop max-buffer-size" % (where('max-buffer-size'), where('mode')))
    for key in _REQUIRED.get(driver, ()):
        if not result.get(key):
            raise InvalidLogConfig('%s: the %s logging driver needs the %r option'
                                   % (option_name, driver, key))
    compress = _GO_BOOLS.get(result.get('compress', ''))
    max_file = int(result.get('max-file', '1' if driver == 'json-file' else '5'))
    if driver == 'json-file' and compress and ('max-size' not in result or max_file < 2):
        raise InvalidLogConfig("%s: compress=true with the json-file driver needs max-size and a max-file "
                               "of 2 or more (only rotated files are compressed)" % option_name)
    if driver == 'local' and max_file == 1 and compress is not False:
        raise InvalidLogConfig("%s: the local driver compresses rotated files by default, which needs a "
                               "max-file of 2 or more; raise max-file or set compress to 'false'" % option_name)
    if driver == 'gelf' and not result['gelf-address'].startswith('tcp://'):
        for key in ('gelf-tcp-max-reconnect', 'gelf-tcp-reconnect-delay'):
            if key in result:
                raise InvalidLogConfig('%s only applies to a tcp:// gelf-address' % where(key))
    if driver == 'awslogs' and 'awslogs-datetime-format' in result and 'awslogs-multiline-pattern' in result:
        raise InvalidLogConfig('%s: awslogs-datetime-format and awslogs-multiline-pattern cannot be used '
                               'together; keep one' % option_name)


def normalise_log_options(driver, options, option_name='log_options'):
    """Check ``options`` for logging driver ``driver``; return ``(options, warnings)``.

    ``options`` comes back as a new dict of str to str. Values that are int, float or bool
    are converted (bools to ``'true'``/``'false'``) with one warning each, because the engine
    takes strings only. For a built-in driver the option names, value formats, required
    options and combinations are checked; a plugin, an unknown name or ``driver=None`` (the
    engine's default driver, unknown here) gets the type checks only. ``none`` takes no
    options. Raises :class:`InvalidLogConfig` with one line naming ``option_name``.
    """
    warnings = []
    if options is None:
        options = {}
    if not isinstance(options, dict):
        raise InvalidLogConfig('%s must be a dictionary of option names to string values, not a %s'
                               % (option_name, type(options).__name__))
    result = {}
    for key, value in options.items():
        if not isinstance(key, str) or not key:
            raise InvalidLogConfig('%s: option names must be non-empty strings, got %r' % (option_name, key))
        result[key] = _as_string('%s.%s' % (option_name, key), value, warnings)

    table = _DRIVER_OPTIONS.get(driver) if isinstance(driver, str) else None
    if table is None:
        return result, warnings
    if driver == 'none' and result:
        raise InvalidLogConfig('%s: the none logging driver takes no options (it keeps no logs); remove %s'
                               % (option_name, ', '.join(sorted(result))))
    for key in sorted(result):
        check = table.get(key)
        if check is None:
            raise InvalidLogConfig('%s: unknown option %r for the %s logging driver; it accepts: %s'
                                   % (option_name, key, driver, ', '.join(sorted(table))))
        check('%s.%s' % (option_name, key), result[key])
    _cross_checks(driver, result, option_name)
    return result, warnings


def validate_log_driver(driver, available=None, option_name='log_driver'):
    """Return ``driver`` when it can name a logging driver; raise :class:`InvalidLogConfig` otherwise.

    A built-in name or a plugin reference passes. With ``available`` (the engine's
    ``info()['Plugins']['Log']``), a name that is in neither that list nor ``none`` and does
    not look like a plugin reference is refused, naming the drivers the engine offers.
    """
    if not isinstance(driver, str) or not driver.strip():
        raise InvalidLogConfig('%s must be a logging driver name such as json-file or local, not %r'
                               % (option_name, driver))
    if driver != driver.strip() or re.search(r'\s', driver):
        raise InvalidLogConfig('%s: %r contains white space; use a driver name such as json-file'
                               % (option_name, driver))
    if driver == 'none' or is_plugin_reference(driver):
        return driver
    if available is None:
        return driver
    offered = sorted(set(available or ()))
    if driver in offered:
        return driver
    if driver in BUILTIN_DRIVERS:
        reason = 'is not available on this engine (etwlogs exists on Windows only)' if driver == 'etwlogs' \
            else 'is not available on this engine'
    else:
        reason = 'is not a logging driver this engine knows (install the plugin first)'
    raise InvalidLogConfig('%s: %r %s; available: %s'
                           % (option_name, driver, reason, ', '.join(offered + ['none'])))
