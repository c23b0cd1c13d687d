# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Property tests for units.py: any input gives an int in range or one InvalidValue line, and
what the formatters write reads back to the same number."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.dockhand.docker.plugins.module_utils.units import (
    INT64_MAX,
    MAX_DURATION,
    InvalidValue,
    format_cpus,
    format_duration,
    format_size,
    parse_cpus,
    parse_duration,
    parse_go_duration,
    parse_size,
    short_repr,
)
from ansible_collections.dockhand.docker.tests.unit.strategies import (
    PROPERTY,
    any_float,
    any_int,
    assert_one_line,
    fragments_text,
    joined,
    json_like,
    number_text,
    scalars,
)

EXAMPLES = 1500

_sign = st.sampled_from(['', '', '', '-', '+', ' ', '\n'])
size_text = st.one_of(
    joined(_sign, number_text(), st.sampled_from(['', '', ' ']),
           st.sampled_from(['', 'b', 'k', 'm', 'g', 't', 'p', 'KiB', 'MB', 'mib', 'e', 'kk', 'ki', '\u00b2', ' '])),
    fragments_text(['0', '1', '64', '1.5', '.', '-', ' ', 'k', 'm', 'g', 't', 'p', 'b', 'ib', 'KiB', 'MB', 'e3',
                    '8191', '8192', '9' * 19, '9' * 64, '9' * 65]))
cpus_text = st.one_of(
    joined(_sign, number_text()),
    fragments_text(['0', '1', '0.5', '.', '-', '000000001', '0000000001', '9' * 10, '9' * 64, 'nan', 'inf']))
_duration_unit = st.sampled_from(['s', 'm', 'h', 'ms', 'us', 'ns', '\u00b5s', '\u03bcs', '', 'x', 'sec', ' s'])
duration_text = st.one_of(
    joined(_sign, st.lists(joined(number_text(), _duration_unit), min_size=1, max_size=4).map(''.join)),
    fragments_text(['0', '1', '30', '1.5', '.', '-', '+', ' ', 's', 'm', 'h', 'ms', 'us', 'ns', '\u00b5s',
                    '\u03bcs', '2562047', '9223372036', '9223372036854775807', '9' * 64, '9' * 65]))
positive_int64 = st.one_of(st.integers(1, INT64_MAX), st.integers(1, 10 ** 6),
                           st.sampled_from([1, 1023, 1024, 1025, 10 ** 9, INT64_MAX - 1, INT64_MAX]))


def _int(result):
    return isinstance(result, int) and not isinstance(result, bool)


@settings(PROPERTY, max_examples=EXAMPLES)
@given(value=st.one_of(size_text, scalars(), json_like()), allow_zero=st.booleans(),
       minimum=st.sampled_from([None, 4 * 1024 * 1024]))
def test_parse_size_returns_bytes_or_refuses(value, allow_zero, minimum):
    try:
        result = parse_size(value, 'memory', allow_zero=allow_zero, minimum=minimum)
    except InvalidValue as error:
        assert_one_line(error, 'memory: ')
        return
    assert _int(result) and 0 <= result <= INT64_MAX
    assert result > 0 or allow_zero
    if result:
        assert minimum is None or result >= minimum
        assert parse_size(format_size(result)) == result


@settings(PROPERTY, max_examples=EXAMPLES)
@given(value=st.one_of(cpus_text, scalars(), json_like()))
def test_parse_cpus_returns_nano_cpus_or_refuses(value):
    try:
        result = parse_cpus(value, 'cpus')
    except InvalidValue as error:
        assert_one_line(error, 'cpus: ')
        return
    assert _int(result) and 0 < result <= INT64_MAX
    assert parse_cpus(format_cpus(result)) == result


@settings(PROPERTY, max_examples=EXAMPLES)
@given(value=st.one_of(duration_text, scalars(), json_like()), minimum=st.sampled_from([None, 10 ** 6]))
def test_parse_duration_returns_nanoseconds_or_refuses(value, minimum):
    try:
        result = parse_duration(value, 'healthcheck.interval', minimum=minimum)
    except InvalidValue as error:
        assert_one_line(error, 'healthcheck.interval: ')
        return
    # What Go's time.Duration holds, and never 0 (which the engine reads as "not set").
    assert _int(result) and 0 < result <= MAX_DURATION
    assert minimum is None or result >= minimum
    assert parse_duration(format_duration(result)) == result


@settings(PROPERTY, max_examples=EXAMPLES)
@given(value=st.one_of(duration_text, scalars()))
def test_parse_go_duration_returns_a_duration_or_none(value):
    result = parse_go_duration(value)
    assert result is None or (_int(result) and -MAX_DURATION - 1 <= result <= MAX_DURATION)


@settings(PROPERTY, max_examples=EXAMPLES)
@given(num_bytes=positive_int64)
def test_format_size_reads_back(num_bytes):
    assert parse_size(format_size(num_bytes)) == num_bytes


@settings(PROPERTY, max_examples=EXAMPLES)
@given(nano_cpus=positive_int64)
def test_format_cpus_reads_back(nano_cpus):
    assert parse_cpus(format_cpus(nano_cpus)) == nano_cpus


@settings(PROPERTY, max_examples=EXAMPLES)
@given(nanoseconds=st.one_of(positive_int64, st.integers(1, 10 ** 6).map(lambda n: n * 10 ** 6),
                             st.integers(1, 2562047).map(lambda n: n * 3600 * 10 ** 9)))
def test_format_duration_reads_back(nanoseconds):
    assert parse_duration(format_duration(nanoseconds)) == nanoseconds
    assert parse_go_duration(format_duration(nanoseconds)) == nanoseconds


@settings(PROPERTY, max_examples=EXAMPLES)
@given(value=st.one_of(json_like(), any_int(), any_float()))
def test_short_repr_never_raises_and_stays_short(value):
    shown = short_repr(value)
    assert isinstance(shown, str) and len(shown) <= 1500
