# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Property tests for log_config.py: any driver and options give string options and warnings, or one
InvalidLogConfig line naming the option; secret values never show."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.dockhand.docker.plugins.module_utils.log_config import (
    _DRIVER_OPTIONS,
    BUILTIN_DRIVERS,
    InvalidLogConfig,
    is_plugin_reference,
    normalise_log_options,
    validate_log_driver,
)
from ansible_collections.dockhand.docker.tests.unit.strategies import (
    PROPERTY,
    assert_one_line,
    hostile_text,
    joined,
    json_like,
    mappings,
    number_text,
    scalars,
    weighted,
)

EXAMPLES = 1500
SECRET = 'TOPSECRET'  # marks generated credential values; it must never reach a message or a warning

PLUGINS = ['grafana/loki-docker-driver:latest', 'loki:2.9', 'example.com/x/y@sha256:' + 'a' * 64]
driver_names = st.sampled_from(list(BUILTIN_DRIVERS) + PLUGINS)
drivers = weighted((6, driver_names), (1, st.none()), (1, hostile_text()), (1, scalars()))

_sign = st.sampled_from(['', '', '-', '+'])
addresses = joined(
    st.sampled_from(['tcp://', 'udp://', 'unix://', 'unixgram://', 'tcp+tls://', 'tls://', 'http://', 'https://', '',
                     'ftp://', 'TCP://']),
    st.sampled_from(['h', 'graylog', 'log_host-1.example.com', '192.0.2.1', '[::1]', '[fe80::1%eth0]', '[:::::]',
                     '[::ffff:1.2.3.4]', 'h\u00f4st', 'h\x00', 'h\n', '', '/dev/log', 'user:pw@h']),
    st.one_of(st.just(''), joined(st.just(':'), number_text())),
    st.sampled_from(['', '', '/', '/services/collector', '?x=1', '#f', '/a:b']),
)
_duration_units = st.sampled_from(['s', 'ms', 'm', 'h', 'us', 'ns', '', 'sec'])
_anything = st.one_of(hostile_text(), scalars(), json_like(max_leaves=4))
_templates = st.sampled_from(['{{.Name}}', '{{.ID}}/{{.ImageName}}', 'app', '', '{{.Name', '{{}}', 'a{{.ID}}b{{',
                              '{{ }}', '}}{{'])
# Values shaped for each kind of check, so that generated options pass as often as they fail.
_KIND_VALUES = {
    'size': joined(_sign, number_text(), st.sampled_from(['', 'k', 'm', 'g', 'KiB', 'mb', 'x', ' m'])),
    'integer': joined(_sign, number_text()),
    'boolean': st.sampled_from(['true', 'false', '1', '0', 't', 'F', 'TRUE', 'True', 'yes', '', ' true']),
    'duration': joined(_sign, st.lists(joined(number_text(), _duration_units), min_size=1, max_size=3).map(''.join)),
    'address': addresses,
    'facility': st.one_of(st.sampled_from(['kern', 'local7', 'LOCAL0', 'daemon', 'x']), number_text()),
    'template': _templates,
    'text': hostile_text(),
}


def _kind(key, check):
    name = getattr(check, '__qualname__', '')
    if name.startswith('_choice'):
        return st.sampled_from(list(check.__closure__[0].cell_contents) + ['', 'other'])
    for prefix, kind in (('_integer', 'integer'), ('_go_duration', 'duration'), ('_boolean', 'boolean'),
                         ('_size', 'size'), ('_syslog_facility', 'facility'), ('_go_template', 'template'),
                         ('_any', 'text')):
        if name.startswith(prefix):
            return _KIND_VALUES[kind]
    assert name.endswith('_address') or name == '_splunk_url', (key, name)
    return _KIND_VALUES['address']


def _value_for(key, check):
    return weighted((6, _kind(key, check)), (1, _anything))


values = st.one_of(*(list(_KIND_VALUES.values()) + [_anything]))
secret_values = st.one_of(joined(st.just(SECRET), hostile_text()), st.lists(st.just(SECRET), max_size=2),
                          st.builds(lambda n: int(SECRET.encode().hex(), 16) + n, st.integers(0, 10)))
ALL_KEYS = sorted(set(key for table in _DRIVER_OPTIONS.values() for key in table) | {'loki-url', 'bogus'})
_hostile_keys = hostile_text()
_odd_options = json_like(max_leaves=6)


def _options_with_keys(keys):
    keys = st.sampled_from(keys)
    return weighted((3, mappings(keys, values, odd_keys=False)), (1, mappings(st.one_of(keys, _hostile_keys), values)),
                    (1, _odd_options))


def _options_for(table):
    # A few options at a time, each with a value shaped for its check, so that many pass.
    pairs = [st.tuples(st.just(key), _value_for(key, check)) for key, check in sorted(table.items())]
    shaped = st.lists(st.sampled_from(pairs).flatmap(lambda pair: pair), max_size=4).map(dict)
    return weighted((4, shaped), (1, _options_with_keys(sorted(table))))


# Built once: a strategy made inside a draw is validated again on every example, which is slow.
OPTIONS_FOR = dict((driver, _options_for(table)) for driver, table in _DRIVER_OPTIONS.items() if table)
ANY_OPTIONS = _options_with_keys(ALL_KEYS)
_secret_keys = st.sampled_from(['splunk-token', 'logentries-token', 'syslog-tls-key', 'x-password'])
_secret_urls = st.sampled_from(['https://user:%s@h:8088/x' % SECRET, 'https://u:%s@h\x00' % SECRET])


@st.composite
def driver_and_options(draw):
    driver = draw(drivers)
    options = draw(OPTIONS_FOR.get(driver, ANY_OPTIONS) if isinstance(driver, str) else ANY_OPTIONS)
    if isinstance(options, dict) and draw(st.booleans()):
        options[draw(_secret_keys)] = draw(secret_values)
        if draw(st.booleans()):
            options['splunk-url'] = draw(_secret_urls)
    return driver, options


@settings(PROPERTY, max_examples=EXAMPLES)
@given(case=driver_and_options(), option_name=st.sampled_from(['log_options', 'log_opts']))
def test_normalise_log_options_returns_strings_or_refuses(case, option_name):
    driver, options = case
    before = list(options.items()) if isinstance(options, dict) else None
    try:
        result, warnings = normalise_log_options(driver, options, option_name=option_name)
    except InvalidLogConfig as error:
        message = assert_one_line(error, option_name)
        assert SECRET not in message and SECRET.encode().hex() not in message
        return
    finally:
        if before is not None:  # the caller's dict is left as it was
            assert all(a is b and v is w for (a, v), (b, w) in zip(before, options.items()))
    assert isinstance(result, dict) and set(result) == set(options or {})
    assert all(isinstance(key, str) and key and isinstance(value, str) for key, value in result.items())
    assert isinstance(warnings, list) and all(isinstance(warning, str) and '\n' not in warning for warning in warnings)
    assert not any(SECRET in warning or str(int(SECRET.encode().hex(), 16))[:12] in warning for warning in warnings)
    if isinstance(driver, str) and driver in _DRIVER_OPTIONS:
        assert set(result) <= set(_DRIVER_OPTIONS[driver])
        # What passed once passes again as it came out, without warnings.
        assert normalise_log_options(driver, result, option_name=option_name) == (result, [])


@settings(PROPERTY, max_examples=EXAMPLES)
@given(driver=drivers,
       available=st.one_of(st.none(), st.lists(st.one_of(driver_names, scalars()), max_size=5), scalars()))
def test_validate_log_driver_returns_the_name_or_refuses(driver, available):
    try:
        result = validate_log_driver(driver, available=available)
    except InvalidLogConfig as error:
        assert_one_line(error, 'log_driver')
        return
    assert result is driver and isinstance(result, str) and result.strip() == result
    assert isinstance(is_plugin_reference(driver), bool)


@settings(PROPERTY, max_examples=EXAMPLES)
@given(driver=st.one_of(drivers, json_like()))
def test_is_plugin_reference_is_a_plain_answer(driver):
    assert is_plugin_reference(driver) in (True, False)
