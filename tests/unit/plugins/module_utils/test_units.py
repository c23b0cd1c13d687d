# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for size and CPU parsing and formatting."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.dockhand.docker.plugins.module_utils.units import (
    NANO,
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

K, M, G, T, P = 1024, 1024 ** 2, 1024 ** 3, 1024 ** 4, 1024 ** 5
INT64_MAX = 2 ** 63 - 1
SIZE_HINT = 'use a number of bytes or a number with a unit b, k, m, g, t, p (e.g. 512k, 64m, 1g)'

GOOD_SIZES = [
    (1, 1),
    (1024, 1024),
    (INT64_MAX, INT64_MAX),
    (1024.0, 1024),
    ('1', 1),
    ('007', 7),
    ('1.0', 1),
    ('1048576', M),
    ('2b', 2),
    ('2B', 2),
    ('512k', 512 * K),
    ('512K', 512 * K),
    ('1kb', K),
    ('1KiB', K),
    ('64m', 64 * M),
    ('64M', 64 * M),
    ('64mb', 64 * M),
    ('64MB', 64 * M),
    ('64MiB', 64 * M),
    ('64mIb', 64 * M),
    ('64 m', 64 * M),
    ('64 MiB', 64 * M),
    ('1g', G),
    ('1.5g', 3 * G // 2),
    ('0.5k', 512),
    ('0.3k', 307),  # 307.2 bytes, truncated
    ('2t', 2 * T),
    ('1p', P),
    ('8191p', 8191 * P),
]

# (value, fragment of the message after "size: <value!r> ")
BAD_SIZES = [
    (True, 'is not a size; ' + SIZE_HINT),
    (False, 'is not a size'),
    (None, 'is not a size'),
    ('', 'is not a size'),
    ('12x', "is not a size (unknown unit 'x'); " + SIZE_HINT),
    ('64mm', "unknown unit 'mm'"),
    ('64ki', "unknown unit 'ki'"),
    ('64bb', "unknown unit 'bb'"),
    ('64e', "unknown unit 'e'"),
    ('64 ', 'is not a size'),
    ('64  m', 'is not a size'),
    (' 64m', 'is not a size'),
    ('64m ', 'is not a size'),
    ('64m\n', 'is not a size'),
    ('.5g', 'is not a size'),
    ('5.g', 'is not a size'),
    ('1e3', 'is not a size'),
    ('+5', 'is not a size'),
    ('1,000', 'is not a size'),
    ('1_000', 'is not a size'),
    ('0x10', 'is not a size'),
    ('m', 'is not a size'),
    (-1, 'is negative; negative sizes are not allowed'),
    (-1.0, 'is negative'),
    ('-1', 'is negative'),
    ('-64m', 'is negative'),
    (0, 'is zero bytes; use a positive size'),
    (0.0, 'is zero bytes'),
    ('0', 'is zero bytes'),
    ('0m', 'is zero bytes'),
    ('0.0001k', 'is zero bytes'),
    ('1.5', 'is a fraction of a byte'),
    ('1.5b', 'is a fraction of a byte'),
    (1.5, 'is a fraction of a byte'),
    (float('nan'), 'is not a finite number'),
    (float('inf'), 'is not a finite number'),
    (INT64_MAX + 1, 'is too large; the maximum is 9223372036854775807 bytes'),
    ('8192p', 'is too large'),
    ('1' * 65, 'is too large'),
    ([64], 'is a list, not a size'),
    ({'m': 64}, 'is a dict, not a size'),
]


@pytest.mark.parametrize('value, expected', GOOD_SIZES, ids=[repr(g[0]) for g in GOOD_SIZES])
def test_parse_size_good(value, expected):
    result = parse_size(value)
    assert result == expected
    assert isinstance(result, int) and not isinstance(result, bool)


@pytest.mark.parametrize('value, fragment', BAD_SIZES, ids=[repr(b[0]) for b in BAD_SIZES])
def test_parse_size_bad(value, fragment):
    with pytest.raises(InvalidValue) as exc_info:
        parse_size(value)
    message = str(exc_info.value)
    assert message.startswith(f'size: {value!r} ')
    assert fragment in message
    assert '\n' not in message


def test_parse_size_names_the_option():
    with pytest.raises(InvalidValue) as exc_info:
        parse_size('12x', name='memory')
    assert str(exc_info.value) == (
        "memory: '12x' is not a size (unknown unit 'x'); use a number of bytes or a number with a unit "
        'b, k, m, g, t, p (e.g. 512k, 64m, 1g)')


@pytest.mark.parametrize('value', [0, '0', '0k', 0.0])
def test_parse_size_allow_zero(value):
    assert parse_size(value, allow_zero=True) == 0


def test_parse_size_allow_zero_still_rejects_negative():
    with pytest.raises(InvalidValue, match='is negative'):
        parse_size(-1, allow_zero=True)


def test_parse_size_minimum():
    assert parse_size('6m', minimum=6 * M) == 6 * M
    assert parse_size('1g', minimum=6 * M) == G
    with pytest.raises(InvalidValue) as exc_info:
        parse_size('4m', name='memory', minimum=6 * M)
    assert str(exc_info.value) == "memory: '4m' is 4194304 bytes, below the minimum of 6m (6291456 bytes)"
    with pytest.raises(InvalidValue, match=r'below the minimum of 6291457 \(6291457 bytes\)'):
        parse_size(6 * M, minimum=6 * M + 1)


def test_parse_size_allowed_zero_skips_minimum():
    # docker reads 0 as "unset", so the minimum applies only to real limits.
    assert parse_size(0, allow_zero=True, minimum=6 * M) == 0
    with pytest.raises(InvalidValue, match='below the minimum'):
        parse_size(1, allow_zero=True, minimum=6 * M)


def test_invalid_value_is_a_value_error():
    assert issubclass(InvalidValue, ValueError)


@pytest.mark.parametrize('num_bytes, text', [
    (0, '0'),
    (1, '1'),
    (1023, '1023'),
    (1024, '1k'),
    (1536, '1536'),
    (512 * K, '512k'),
    (1536 * K, '1536k'),
    (64 * M, '64m'),
    (67108864, '64m'),
    (G, '1g'),
    (3 * G // 2, '1536m'),
    (3 * G + 1, '3221225473'),
    (T, '1t'),
    (P, '1p'),
    (1024 * P, '1024p'),
])
def test_format_size(num_bytes, text):
    assert format_size(num_bytes) == text


@pytest.mark.parametrize('value, error', [
    (-1, ValueError),
    (True, TypeError),
    (1.0, TypeError),
    ('1k', TypeError),
    (None, TypeError),
])
def test_format_size_rejects(value, error):
    with pytest.raises(error):
        format_size(value)


@pytest.mark.parametrize('num_bytes', [1, 7, 1000, 1024, 1536, 4095, 64 * M, 64 * M + 1, 3 * G // 2, 5 * T, 8191 * P,
                                       INT64_MAX])
def test_size_round_trip_from_bytes(num_bytes):
    assert parse_size(format_size(num_bytes)) == num_bytes


@pytest.mark.parametrize('text, canonical', [
    ('64MiB', '64m'),
    ('1.5g', '1536m'),
    ('1048576', '1m'),
    ('0.5k', '512'),
    ('2048 KB', '2m'),
])
def test_size_round_trip_from_text(text, canonical):
    assert format_size(parse_size(text)) == canonical
    assert parse_size(canonical) == parse_size(text)


GOOD_CPUS = [
    (1, 1000000000),
    (2, 2000000000),
    (64, 64000000000),
    ('2', 2000000000),
    ('007', 7000000000),
    ('0.5', 500000000),
    (0.5, 500000000),
    ('.5', 500000000),
    ('2.', 2000000000),
    (1.0, 1000000000),
    (1.25, 1250000000),
    ('1.25', 1250000000),
    ('0.1', 100000000),
    (0.1, 100000000),
    (0.3, 300000000),
    ('0.000000001', 1),
    (1e-9, 1),
    ('0.123456789', 123456789),
    ('0.5000000000', 500000000),  # ten places, but still an exact nano-CPU amount
    (9223372036, 9223372036000000000),
]

# (value, fragment of the message after "cpus: <value!r> ")
BAD_CPUS = [
    (True, 'is not a number of CPUs; use a positive number of CPUs such as 0.5, 1 or 2.25'),
    (False, 'is not a number of CPUs'),
    (None, 'is not a number of CPUs'),
    ('', 'is not a number of CPUs'),
    ('abc', 'is not a number of CPUs'),
    (' 1', 'is not a number of CPUs'),
    ('1 ', 'is not a number of CPUs'),
    ('1\n', 'is not a number of CPUs'),
    ('1/2', 'is not a number of CPUs'),
    ('1e3', 'is not a number of CPUs'),
    ('0x1', 'is not a number of CPUs'),
    ('1,5', 'is not a number of CPUs'),
    ('+1', 'is not a number of CPUs'),
    ('.', 'is not a number of CPUs'),
    (0, 'must be greater than 0'),
    ('0', 'must be greater than 0'),
    ('0.0', 'must be greater than 0'),
    (0.0, 'must be greater than 0'),
    (-1, 'must be greater than 0'),
    ('-1', 'must be greater than 0'),
    ('-0.5', 'must be greater than 0'),
    (-0.5, 'must be greater than 0'),
    (float('nan'), 'is not a finite number'),
    (float('inf'), 'is not a finite number'),
    (float('-inf'), 'is not a finite number'),
    ('nan', 'is not a finite number'),
    ('Infinity', 'is not a finite number'),
    ('-inf', 'is not a finite number'),
    ('0.0000000001', 'has more than 9 decimal places; the smallest step is 0.000000001 CPU'),
    ('1.2345678901', 'has more than 9 decimal places'),
    (1e-10, 'has more than 9 decimal places'),
    (0.1 + 0.2, 'has more than 9 decimal places'),  # the float is 0.30000000000000004
    ('9223372037', 'is too large'),
    ('1' * 70, 'is too large or too precise'),
    ([1], 'is a list, not a number of CPUs'),
]


@pytest.mark.parametrize('value, expected', GOOD_CPUS, ids=[repr(g[0]) for g in GOOD_CPUS])
def test_parse_cpus_good(value, expected):
    result = parse_cpus(value)
    assert result == expected
    assert isinstance(result, int) and not isinstance(result, bool)


@pytest.mark.parametrize('value, fragment', BAD_CPUS, ids=[repr(b[0]) for b in BAD_CPUS])
def test_parse_cpus_bad(value, fragment):
    with pytest.raises(InvalidValue) as exc_info:
        parse_cpus(value)
    message = str(exc_info.value)
    assert message.startswith(f'cpus: {value!r} ')
    assert fragment in message
    assert '\n' not in message


def test_parse_cpus_names_the_option():
    with pytest.raises(InvalidValue) as exc_info:
        parse_cpus('lots', name='limits.cpus')
    assert str(exc_info.value) == (
        "limits.cpus: 'lots' is not a number of CPUs; use a positive number of CPUs such as 0.5, 1 or 2.25")


@pytest.mark.parametrize('nano_cpus, text', [
    (0, '0'),
    (1, '0.000000001'),
    (100000000, '0.1'),
    (123456789, '0.123456789'),
    (500000000, '0.5'),
    (1000000000, '1'),
    (1250000000, '1.25'),
    (2000000000, '2'),
    (2000000010, '2.00000001'),
    (10 ** 10, '10'),
])
def test_format_cpus(nano_cpus, text):
    assert format_cpus(nano_cpus) == text


@pytest.mark.parametrize('value, error', [
    (-1, ValueError),
    (True, TypeError),
    (1.5, TypeError),
    ('1', TypeError),
    (None, TypeError),
])
def test_format_cpus_rejects(value, error):
    with pytest.raises(error):
        format_cpus(value)


@pytest.mark.parametrize('nano_cpus', [1, 7, 100000000, 123456789, 500000000, 1000000000, 1250000000, 2000000010,
                                       9223372036000000000])
def test_cpus_round_trip_from_nano(nano_cpus):
    assert parse_cpus(format_cpus(nano_cpus)) == nano_cpus


@pytest.mark.parametrize('value, canonical', [
    ('0.50', '0.5'),
    ('2.000', '2'),
    (1.25, '1.25'),
    ('.1', '0.1'),
    (3, '3'),
])
def test_cpus_round_trip_from_value(value, canonical):
    assert format_cpus(parse_cpus(value)) == canonical


@pytest.mark.parametrize('value, expected', [
    (30, 30 * NANO), ('30', 30 * NANO), ('30s', 30 * NANO), ('1m30s', 90 * NANO), ('500ms', NANO // 2),
    ('1h', 3600 * NANO), ('0.5s', NANO // 2), (1.5, 3 * NANO // 2), ('2m', 120 * NANO),
])
def test_parse_duration(value, expected):
    assert parse_duration(value, 'interval') == expected


@pytest.mark.parametrize('value, fragment', [
    ('', 'is not a duration'), ('10x', 'is not a duration'), ('s', 'is not a duration'), (True, 'is not a duration'),
    (None, 'is not a duration'), ('1m 30s', 'is not a duration'), (0, 'longer than zero'), ('-5s', 'not a duration'),
])
def test_parse_duration_rejects(value, fragment):
    with pytest.raises(InvalidValue) as err:
        parse_duration(value, 'interval')
    assert str(err.value).startswith('interval: ')
    assert fragment in str(err.value)


@pytest.mark.parametrize('ns, text', [(90 * NANO, '90s'), (60 * NANO, '1m'), (3600 * NANO, '1h'),
                                      (NANO // 2, '500ms'), (0, None), (1500, '1500ns')])
def test_format_duration(ns, text):
    assert format_duration(ns) == text


# --- hostile input (issue 12): one line naming the option, never another exception -----------

HUGE = 10 ** 5000  # str() of it raises ValueError on Python 3.11+ (the 4,300-digit limit)
MAX_NS = INT64_MAX  # Go's time.Duration, in nanoseconds


def _deeply_nested(depth=100000):
    value = []
    for _level in range(depth):
        value = [value]
    return value


# (parser, value, fragment of the message after "<name>: <value> ")
REFUSED = [
    (parse_size, HUGE, 'is too large; the maximum is 9223372036854775807 bytes'),
    (parse_size, -HUGE, 'is negative'),
    (parse_cpus, HUGE, 'is too large'),
    (parse_duration, HUGE, 'is too long; the maximum is 2562047h47m16.854775807s'),
    (parse_duration, 10 ** 30, 'is too long; the maximum is 2562047h47m16.854775807s'),
    (parse_duration, '1e30', 'is not a duration'),
    (parse_duration, 9223372037, 'is too long'),
    (parse_duration, '2562048h', 'is too long'),
    (parse_duration, '9223372036854775808ns', 'is too long'),
    (parse_duration, 1e16, 'is too long'),
    (parse_duration, '1' * 5000 + 's', 'is not a duration (it is 5001 characters long)'),
    (parse_duration, '1' * 100 + 's', 'has a number of more than 64 digits'),
    (parse_duration, '0.5ns', 'is not a whole number of nanoseconds; the smallest step is 1ns'),
    (parse_duration, '1.5ns', 'is not a whole number of nanoseconds'),
    (parse_duration, 1e-10, 'is not a whole number of nanoseconds'),
    (parse_duration, -1, 'is negative'),
    (parse_duration, '-1m', 'is negative'),
    (parse_duration, -0.5, 'is negative'),
    (parse_duration, float('nan'), 'is not a finite number'),
    (parse_duration, float('-inf'), 'is not a finite number'),
    (parse_duration, ['30s'], 'is a list, not a duration'),
    (parse_duration, {'s': 30}, 'is a dict, not a duration'),
    (parse_duration, _deeply_nested(), 'is a list, not a duration'),
    (parse_duration, '3²s', 'is not a duration'),
    (parse_duration, '٣s', 'is not a duration'),
    (parse_duration, '.s', 'is not a duration'),
    (parse_duration, '1s\x00', 'is not a duration'),
    (parse_cpus, '²', 'is not a number of CPUs'),
    (parse_size, '٣m', 'is not a size'),
]


@pytest.mark.parametrize('parser, value, fragment', REFUSED,
                         ids=['%s-%d' % (case[0].__name__, index) for index, case in enumerate(REFUSED)])
def test_hostile_input_is_refused_in_one_line(parser, value, fragment):
    with pytest.raises(InvalidValue) as err:
        parser(value, 'opt')
    message = str(err.value)
    assert message.startswith('opt: ')
    assert fragment in message
    assert '\n' not in message and len(message) < 1000


@pytest.mark.parametrize('value, expected', [
    (MAX_NS // NANO, MAX_NS // NANO * NANO),  # the largest whole number of seconds
    ('2562047h47m16.854775807s', MAX_NS),
    ('9223372036854775807ns', MAX_NS),
    (5e-05, 50000),  # repr() is '5e-05': once refused as 'not a duration'
    (1e-09, 1),
    ('.5s', NANO // 2),  # Go's syntax allows a number without a leading or trailing digit
    ('5.s', 5 * NANO),
    ('1us', 1000), ('1\u00b5s', 1000), ('1\u03bcs', 1000),
    ('1h1m1s1ms1us1ns', 3661001001001),
])
def test_parse_duration_edges(value, expected):
    assert parse_duration(value, 'interval') == expected


def test_parse_duration_minimum():
    assert parse_duration('1ms', 'healthcheck.interval', minimum=10 ** 6) == 10 ** 6
    with pytest.raises(InvalidValue) as err:
        parse_duration('999us', 'healthcheck.interval', minimum=10 ** 6)
    assert str(err.value) == "healthcheck.interval: '999us' is shorter than the minimum of 1ms"


@pytest.mark.parametrize('text, expected', [
    ('0', 0), ('-0', 0), ('+0', 0), ('0s', 0), ('1s', NANO), ('-1s', -NANO), ('+1.5m', 90 * NANO), ('.5s', NANO // 2),
    ('0.5ns', 0), ('9223372036854775807ns', MAX_NS), ('-9223372036854775808ns', -MAX_NS - 1),
    ('9223372036854775808ns', None), ('5', None), ('1.5', None), ('', None), ('-', None), ('s', None), ('.s', None),
    ('1sec', None), ('1m1', None), ('1 s', None), ('²s', None), (5, None), (None, None), ('1' * 300 + 's', None),
])
def test_parse_go_duration(text, expected):
    assert parse_go_duration(text) == expected


@pytest.mark.parametrize('value, shown', [
    ('abc', "'abc'"),
    ('x' * 698, repr('x' * 698)),
    ('x' * 699, repr('x' * 100) + '... (699 characters)'),
    ('\x00' * 200, repr('\x00' * 50) + '... (200 characters)'),
    (HUGE, '<an integer of about 5001 digits>'),
    (-HUGE, '<an integer of about 5001 digits>'),
    ([HUGE], '[<an integer of about 5001 digits>]'),
    (True, 'True'), (None, 'None'), (1.5, '1.5'),
], ids=lambda value: short_repr(value)[:40])
def test_short_repr(value, shown):
    assert short_repr(value) == shown


def test_short_repr_of_deep_nesting_is_bounded():
    assert len(short_repr(_deeply_nested())) < 100


def test_long_values_are_cut_short_in_messages():
    with pytest.raises(InvalidValue) as err:
        parse_size('x' * 100000, 'memory')
    assert str(err.value).startswith("memory: 'xxxx")
    assert '... (100000 characters) is not a size' in str(err.value)
    assert len(str(err.value)) < 400


@pytest.mark.parametrize("value", [
    "http://u:S3cr3t@proxy:3128",
    ["http://u:S3cr3t@proxy:3128"],
    {"k": "tcp://user:S3cr3t@host:1"},
    "https://u:S3cr3t@" + "h" * 500,
])
def test_short_repr_masks_the_password_of_a_url_given_in_the_wrong_place(value):
    assert "S3cr3t" not in short_repr(value)
