# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parse and format byte sizes and CPU amounts for container options."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math
import re
import reprlib
from fractions import Fraction

from ansible_collections.dockhand.docker.plugins.module_utils.errors import InvalidValue  # noqa: F401 (re-exported: the parsers raise it)
from ansible_collections.dockhand.docker.plugins.module_utils.secrets import mask_url_credentials

# The Docker API stores sizes and NanoCpus as signed 64-bit integers.
INT64_MAX = 2 ** 63 - 1
NANO = 10 ** 9

_UNITS = (('p', 1024 ** 5), ('t', 1024 ** 4), ('g', 1024 ** 3), ('m', 1024 ** 2), ('k', 1024))
# Every unit may be written bare, with 'b' or with 'ib' ('m', 'mb', 'mib'); all are binary.
_MULTIPLIER = {spelling: factor
               for letter, factor in _UNITS
               for spelling in (letter, letter + 'b', letter + 'ib')}
_MULTIPLIER.update({'': 1, 'b': 1})

# \Z, not $: $ would let a trailing newline through.
_SIZE = re.compile(r'^(?P<number>[0-9]+(?:\.[0-9]+)?)(?P<space> ?)(?P<unit>[A-Za-z]*)\Z')
_CPUS = re.compile(r'^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)\Z')
# Longer numbers cannot be valid and would hit Python's int-parsing digit limit.
_MAX_DIGITS = 64
_SIZE_HINT = 'use a number of bytes or a number with a unit b, k, m, g, t, p (e.g. 512k, 64m, 1g)'
_CPUS_HINT = 'use a positive number of CPUs such as 0.5, 1 or 2.25'
_TOO_LARGE = f'is too large; the maximum is {INT64_MAX} bytes'


# Values whose repr() is longer than this are cut in messages: a one-line error must stay readable.
_SHOWN_MAX = 700
_SHOWN_HEAD = 100


class _ShortRepr(reprlib.Repr):
    def __init__(self):
        reprlib.Repr.__init__(self)
        self.maxlevel = 3
        self.maxdict = self.maxlist = self.maxtuple = self.maxset = self.maxfrozenset = 6
        self.maxother = _SHOWN_MAX

    def repr_str(self, x, level):
        text = repr(x) if len(x) <= _SHOWN_MAX else None
        if text is not None and len(text) <= _SHOWN_MAX:
            return text
        head = _SHOWN_HEAD
        while len(repr(x[:head])) > 3 * _SHOWN_HEAD:  # escapes ('\x00', '\ud800') take up to 6 characters
            head //= 2
        return '%s... (%d characters)' % (repr(x[:head]), len(x))

    def repr_int(self, x, level):
        # repr() of an int with more than 4300 digits raises ValueError (Python 3.11+).
        if -10 ** _MAX_DIGITS < x < 10 ** _MAX_DIGITS:
            return repr(x)
        return '<an integer of about %d digits>' % int(x.bit_length() * math.log10(2) + 1)


def short_repr(value):
    """repr() for error messages: long strings, huge numbers and big containers cut short, the password of
    a URL masked (a wrong value in the wrong option can still hold one); it never raises."""
    if isinstance(value, bool) or value is None:
        return repr(value)
    # Masked before and after the cut: a string cut inside its password no longer looks like a URL.
    text = mask_url_credentials(_ShortRepr().repr(mask_url_credentials(value)))
    if len(text) > 2 * _SHOWN_MAX:
        text = text[:_SHOWN_MAX] + '...'
    return text


def _fail(name, value, reason):
    raise InvalidValue(f'{name}: {short_repr(value)} {reason}')


def _size_from_string(value, name):
    if value.startswith('-') and _SIZE.match(value[1:]):
        _fail(name, value, 'is negative; negative sizes are not allowed')
    match = _SIZE.match(value)
    if not match or (match.group('space') and not match.group('unit')):
        _fail(name, value, 'is not a size; ' + _SIZE_HINT)
    unit = match.group('unit').lower()
    multiplier = _MULTIPLIER.get(unit)
    if multiplier is None:
        _fail(name, value, f"is not a size (unknown unit {match.group('unit')!r}); {_SIZE_HINT}")
    if len(match.group('number')) > _MAX_DIGITS:
        _fail(name, value, _TOO_LARGE)
    # Fraction is exact at any length, unlike Decimal's 28-digit default context.
    number = Fraction(match.group('number'))
    if multiplier == 1 and number.denominator != 1:
        _fail(name, value, 'is a fraction of a byte; use a whole number of bytes or a larger unit (e.g. 1.5k)')
    # Truncate like docker does: '1.5k' is exactly 1536, '0.3k' is 307 bytes.
    return int(number * multiplier)


def parse_size(value, name='size', allow_zero=False, minimum=None):
    """Return ``value`` as an int number of bytes or raise InvalidValue.

    Accepts an int, an integral float, a string of digits, or a number with a
    binary unit (``64m``, ``1.5g``, ``512 KiB``). Zero is refused unless
    ``allow_zero``; a zero that is allowed skips the ``minimum`` check because
    docker treats 0 as "unset/unlimited".
    """
    # bool is a subclass of int: True would silently mean 1 byte.
    if isinstance(value, bool) or value is None:
        _fail(name, value, 'is not a size; ' + _SIZE_HINT)
    if isinstance(value, int):
        result = value
    elif isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            _fail(name, value, 'is not a finite number; ' + _SIZE_HINT)
        if value < 0:
            _fail(name, value, 'is negative; negative sizes are not allowed')
        if not value.is_integer():
            _fail(name, value, 'is a fraction of a byte; use whole bytes or a string with a unit (e.g. "1.5k")')
        result = int(value)
    elif isinstance(value, str):
        result = _size_from_string(value, name)
    else:
        _fail(name, value, f'is a {type(value).__name__}, not a size; {_SIZE_HINT}')

    if result < 0:
        _fail(name, value, 'is negative; negative sizes are not allowed')
    if result == 0:
        if allow_zero:
            return 0
        _fail(name, value, 'is zero bytes; use a positive size (e.g. 64m)')
    if result > INT64_MAX:
        _fail(name, value, _TOO_LARGE)
    if minimum is not None and result < minimum:
        _fail(name, value, f'is {result} bytes, below the minimum of {format_size(minimum)} ({minimum} bytes)')
    return result


def format_size(num_bytes):
    """Compact form for diffs: the largest unit that divides exactly, else bytes.

    67108864 -> '64m', 1536 -> '1536', 0 -> '0'. parse_size() reads it back.
    """
    if isinstance(num_bytes, bool) or not isinstance(num_bytes, int):
        raise TypeError(f'format_size() needs an int number of bytes, got {num_bytes!r}')
    if num_bytes < 0:
        raise ValueError(f'format_size() needs a non-negative number of bytes, got {num_bytes}')
    # Exact units only, so the shown value never hides a rounding difference.
    for letter, factor in _UNITS:
        if num_bytes and num_bytes % factor == 0:
            return f'{num_bytes // factor}{letter}'
    return str(num_bytes)


def parse_cpus(value, name='cpus'):
    """Return ``value`` (CPUs as int, float or string) as int NanoCpus.

    Exact rational arithmetic keeps '0.1' exact; more than 9 decimal places
    cannot be expressed in nano-CPUs and is refused rather than rounded.
    """
    if isinstance(value, bool) or value is None:
        _fail(name, value, 'is not a number of CPUs; ' + _CPUS_HINT)
    if isinstance(value, int):
        amount = Fraction(value)
    elif isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            _fail(name, value, 'is not a finite number; ' + _CPUS_HINT)
        # repr() is the shortest text that round-trips, so 0.1 means exactly 1/10
        # rather than the binary float's 0.1000000000000000055...
        amount = Fraction(repr(value))
    elif isinstance(value, str):
        # Strip one '-' so '-1' gets the 'greater than 0' message, not 'not a number'.
        body = value[1:] if value[:1] == '-' else value
        if not _CPUS.match(body):
            if body.lower() in ('nan', 'inf', 'infinity'):
                _fail(name, value, 'is not a finite number; ' + _CPUS_HINT)
            _fail(name, value, 'is not a number of CPUs; ' + _CPUS_HINT)
        if len(body) > _MAX_DIGITS:
            _fail(name, value, 'is too large or too precise; ' + _CPUS_HINT)
        amount = Fraction(value)
    else:
        _fail(name, value, f'is a {type(value).__name__}, not a number of CPUs; {_CPUS_HINT}')

    if amount <= 0:
        _fail(name, value, 'must be greater than 0; ' + _CPUS_HINT)
    nano = amount * NANO
    if nano.denominator != 1:
        _fail(name, value, 'has more than 9 decimal places; the smallest step is 0.000000001 CPU')
    result = nano.numerator
    if result > INT64_MAX:
        _fail(name, value, f'is too large; the maximum is {format_cpus(INT64_MAX)} CPUs')
    return result


def format_cpus(nano_cpus):
    """Render NanoCpus as CPUs without trailing zeros: 500000000 -> '0.5'."""
    if isinstance(nano_cpus, bool) or not isinstance(nano_cpus, int):
        raise TypeError(f'format_cpus() needs an int number of NanoCpus, got {nano_cpus!r}')
    if nano_cpus < 0:
        raise ValueError(f'format_cpus() needs a non-negative number of NanoCpus, got {nano_cpus}')
    whole, fraction = divmod(nano_cpus, NANO)
    if not fraction:
        return str(whole)
    return f'{whole}.{fraction:09d}'.rstrip('0')


# Go's time.ParseDuration grammar (units ns, us/µs/μs, ms, s, m, h); one number per unit.
_DURATION_PART = re.compile('([0-9]*(?:\\.[0-9]*)?)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)')
_DURATION_NS = {'ns': 1, 'us': 10 ** 3, '\u00b5s': 10 ** 3, '\u03bcs': 10 ** 3, 'ms': 10 ** 6, 's': NANO,
                'm': 60 * NANO, 'h': 3600 * NANO}
_DURATION_HINT = 'use seconds (30) or a duration such as 30s, 1m30s, 500ms or 1h'
# The engine keeps durations as Go's time.Duration: a signed 64-bit count of nanoseconds.
MAX_DURATION = INT64_MAX
_MAX_DURATION_SHOWN = '2562047h47m16.854775807s (about 292 years)'
# Longer text cannot be a sensible duration, and findall() over it would take quadratic time.
_MAX_DURATION_TEXT_LENGTH = 200
_TOO_MANY_DIGITS = object()


def _duration_from_text(text, bare_seconds=True):
    """Nanoseconds as a Fraction, None when ``text`` is no duration, or _TOO_MANY_DIGITS."""
    if bare_seconds and _CPUS.match(text):  # a bare number means seconds
        text += 's'
    parts = _DURATION_PART.findall(text)
    if not parts or ''.join(number + unit for number, unit in parts) != text:
        return None
    total = Fraction(0)
    for number, unit in parts:
        if number in ('', '.'):
            return None
        if len(number) > _MAX_DIGITS:
            return _TOO_MANY_DIGITS
        total += Fraction(number) * _DURATION_NS[unit]
    return total


def _duration_from_string(value, name):
    """Nanoseconds (a Fraction) of a duration written as text; raises InvalidValue."""
    text = value.strip()
    if len(text) > _MAX_DURATION_TEXT_LENGTH:
        _fail(name, value, f'is not a duration (it is {len(text)} characters long); {_DURATION_HINT}')
    if text.startswith('-') and _duration_from_text(text[1:]) is not None:
        _fail(name, value, 'is negative, which is not a duration here; ' + _DURATION_HINT)
    total = _duration_from_text(text)
    if total is None:
        _fail(name, value, 'is not a duration; ' + _DURATION_HINT)
    if total is _TOO_MANY_DIGITS:
        _fail(name, value, f'has a number of more than {_MAX_DIGITS} digits; the maximum is {_MAX_DURATION_SHOWN}')
    return total


def parse_duration(value, name='duration', minimum=None):
    """Seconds (int, float or numeric text) or a Go-style duration ('1m30s') -> int nanoseconds.

    The result is what the engine stores: at least 1ns (and at least ``minimum`` ns when
    given), a whole number of nanoseconds, and at most MAX_DURATION. Raises InvalidValue.
    """
    if isinstance(value, bool) or value is None:
        _fail(name, value, 'is not a duration; ' + _DURATION_HINT)
    if isinstance(value, int):
        total = Fraction(value) * NANO
    elif isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            _fail(name, value, 'is not a finite number; ' + _DURATION_HINT)
        # repr() is the shortest text that round-trips: 0.1 means exactly a tenth of a second.
        total = Fraction(repr(value)) * NANO
    elif isinstance(value, str):
        total = _duration_from_string(value, name)
    else:
        _fail(name, value, f'is a {type(value).__name__}, not a duration; {_DURATION_HINT}')
    if total < 0:
        _fail(name, value, 'is negative, which is not a duration here; ' + _DURATION_HINT)
    if total == 0:
        _fail(name, value, 'must be longer than zero; ' + _DURATION_HINT)
    if total > MAX_DURATION:
        _fail(name, value, f'is too long; the maximum is {_MAX_DURATION_SHOWN}')
    if total.denominator != 1:
        _fail(name, value, 'is not a whole number of nanoseconds; the smallest step is 1ns')
    result = total.numerator
    if minimum is not None and result < minimum:
        _fail(name, value, f'is shorter than the minimum of {format_duration(minimum)}')
    return result


def parse_go_duration(text):
    """Signed int nanoseconds of ``text`` in Go's time.ParseDuration syntax, or None where Go refuses it.

    That syntax is stricter than parse_duration's: every number needs a unit (only '0' may go
    without), a sign is allowed, fractions of a nanosecond are dropped. For options the engine
    parses itself (logging driver options), so they are checked as the engine will.
    """
    if not isinstance(text, str) or len(text) > _MAX_DURATION_TEXT_LENGTH:
        return None
    negative = text[:1] == '-'
    body = text[1:] if text[:1] in ('-', '+') else text
    if body == '0':
        return 0
    total = _duration_from_text(body, bare_seconds=False) if body else None
    if total is None or total is _TOO_MANY_DIGITS:
        return None
    nanoseconds = int(total)
    if nanoseconds > MAX_DURATION + negative:  # Go allows one more nanosecond below zero
        return None
    return -nanoseconds if negative else nanoseconds


def format_duration(nanoseconds):
    """Nanoseconds -> the shortest exact form among h/m/s/ms ('90s' for 90e9, '1m' for 60e9)."""
    if not nanoseconds:
        return None
    for unit in ('h', 'm', 's', 'ms', 'us'):
        factor = _DURATION_NS[unit]
        if nanoseconds % factor == 0:
            return '%d%s' % (nanoseconds // factor, unit)
    return '%dns' % nanoseconds
