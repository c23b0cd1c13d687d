# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hypothesis strategies for hostile input, shared by the property tests.

Import as ``from ansible_collections.dockhand.docker.tests.unit.strategies import ...``.

* ``hostile_text()``: any text, weighted towards what breaks parsers: digits that are digits
  only to ``str.isdigit`` ('²', '٣', '５'), control characters (NUL, newlines, DEL, U+2028),
  lone surrogates, white space at either end, and now and then a very long string.
* ``fragments_text(fragments)``: text joined from a parser's own vocabulary (``'tcp://'``,
  ``':'``, ``'64'``, ``'m'``...) and hostile characters, so that generated input gets past
  the first checks and reaches the deep ones.
* ``number_text()``: decimal numbers as text (with a fraction now and then, up to 70 digits,
  sometimes with a unicode digit or 5,000 digits), and ``joined(*parts)`` to build a parser's
  grammar from such parts: ``joined(number_text(), st.sampled_from(['s', 'ms', 'x']))``.
* ``any_int()``, ``any_float()``: integers of any size (around the int64 edges and beyond
  Python's 4,300-digit ``str()`` limit) and floats including nan, infinities and -0.0.
* ``scalars()``: None, bools, ``any_int``, ``any_float``, ``hostile_text`` and bytes.
* ``json_like()``: scalars nested in lists and dicts, dict keys of any scalar type (YAML
  allows non-string keys), which is what a module option can receive from a playbook.
* ``mappings(keys, values)``: dicts for options that take a name -> value mapping.
* ``weighted((3, good), (1, bad))``: draws from each strategy in proportion to its weight.
  ``st.one_of(good, good, bad)`` does not do that: Hypothesis flattens nested one_of()s and
  drops repeats, so a one_of() of scalars() with a few names mostly gives scalars.
* ``assert_one_line(error, starts=...)``: what every refusal must look like: one line of
  bounded length (long values are cut short), naming the option first.

Build strategies once, at module level: a strategy made inside a draw (``st.composite``) is
validated again on every example, which made one test eight times slower.

Every property test states its settings with ``settings(PROPERTY, max_examples=N)``: no deadline
(the CI machine is shared and slow) and derandomised, so a run is reproducible.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# Reproducible across runs and machines; no wall-clock deadline per example.
PROPERTY = settings(deadline=None, derandomize=True, database=None, print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

INT64_MAX = 2 ** 63 - 1

# Characters that look harmless to a reader or to str methods and are not.
UNICODE_DIGITS = '²³¹٣۴߅६০੭૯୫௮౪೭൬๓໒༣၅႖០᠑᥇᧑᪃᭓᮱᱂꘡꣑꤃꧒꩓꯹０５９𝟎𝟗'
CONTROL = '\x00\x01\x07\x08\t\n\x0b\x0c\r\x1b\x1f\x7f\x85\xa0\u2028\u2029\u200b\ufeff'
SURROGATES = '\ud800\udbff\udc00\udcff\udfff'
ASCII_PUNCTUATION = ' !"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~'

_special_chars = st.sampled_from(UNICODE_DIGITS + CONTROL + SURROGATES + ASCII_PUNCTUATION)
_any_char = st.characters(exclude_categories=())  # every code point, surrogates included


def _long(text, size):
    return (text or 'x') * (size // max(len(text), 1) + 1)


def long_text(min_size=300, max_size=20000):
    """A long string (a few hundred to tens of thousands of characters) built from a short seed."""
    return st.builds(_long, st.text(_special_chars | st.sampled_from('0123456789abc'), max_size=4),
                     st.integers(min_size, max_size)).map(lambda text: text[:max_size])


def hostile_text():
    """Text that parsers get wrong: unicode digits, control characters, surrogates, padding, length."""
    return st.one_of(
        st.text(_any_char, max_size=30),
        st.text(_special_chars | st.sampled_from('0123456789'), max_size=30),
        st.sampled_from(['', ' ', '0', '-0', '-1', '1', '+1', '00', '1e3', 'nan', 'inf', '-inf', 'NaN',
                         'Infinity', 'true', 'false', 'None', 'null', '²', '٣', '\x00', '\n', '\ud800']),
        st.builds(lambda pad, text: pad + text + pad, st.sampled_from([' ', '\t', '\n', '\x00', '\u3000']),
                  st.text(max_size=10)),
        long_text(),
    )


def fragments_text(fragments, max_parts=8):
    """Text joined from ``fragments`` (a parser's vocabulary) and hostile pieces."""
    piece = st.one_of(st.sampled_from(list(fragments)), _special_chars, st.text(max_size=3),
                      st.integers(0, 10 ** 6).map(str))
    joined = st.lists(piece, max_size=max_parts).map(''.join)
    return st.one_of(joined, joined, hostile_text())


def weighted(*pairs):
    """Draw from the strategies of ``pairs`` ((weight, strategy), ...) in proportion to their weights."""
    return st.sampled_from([strategy for weight, strategy in pairs for _copy in range(weight)]).flatmap(lambda s: s)


def number_text():
    """Decimal numbers as text: mostly well-formed, sometimes huge or with a digit only str.isdigit() takes."""
    return st.one_of(
        st.integers(0, 10 ** 20).map(str),
        st.from_regex(r'\A[0-9]{0,25}(\.[0-9]{0,12})?\Z'),
        st.from_regex(r'\A[0-9]{1,3}\.[0-9]{1,3}\Z'),
        st.sampled_from(['0', '00', '.5', '5.', '.', '9' * 19, '9' * 20, '9' * 64, '9' * 65, '1' * 5000, '\u00b2',
                         '3\u00b2', '\u0663', '1\u0663', '\uff15']),
    )


def joined(*parts):
    """Text made of one draw from each of ``parts`` (strategies of text), in order."""
    return st.tuples(*parts).map(''.join)


def any_int():
    """Integers of any size: small, around the int64 and uint64 edges, and with thousands of digits."""
    edges = [0, 1, -1, 2 ** 31 - 1, 2 ** 31, 2 ** 32, INT64_MAX, INT64_MAX + 1, -INT64_MAX - 1, 2 ** 64,
             10 ** 18, 10 ** 19, 10 ** 30]
    # Built, not listed: Hypothesis prints sampled_from's elements, and str() of these raises.
    huge = st.builds(lambda sign, digits: sign * 10 ** digits, st.sampled_from([1, -1]), st.integers(4290, 5000))
    return st.one_of(st.integers(-1000, 100000), st.integers(), st.sampled_from(edges),
                     st.integers(-(2 ** 70), 2 ** 70), huge)


def any_float():
    """Floats including nan, both infinities, -0.0, subnormals and the largest finite values."""
    return st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                     st.sampled_from([0.0, -0.0, 0.5, 1.0, 1e-9, 1e-10, 5e-324, 1e16, 1e19, 1e300,
                                      1.7976931348623157e308, float('nan'), float('inf'), float('-inf')]))


def scalars():
    """Every scalar a playbook (or a careless caller) can hand over."""
    return st.one_of(st.none(), st.booleans(), any_int(), any_float(), hostile_text(), st.binary(max_size=8))


def json_like(max_leaves=12):
    """Scalars, lists and dicts nested a few levels; dict keys may be any hashable scalar."""
    keys = st.one_of(hostile_text(), st.integers(), st.booleans(), st.none(), st.floats(allow_nan=False))
    return st.recursive(scalars(), lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(keys, children, max_size=4),
    ), max_leaves=max_leaves)


def mappings(keys, values, max_size=6, odd_keys=True):
    """Dicts from ``keys`` to ``values``; with ``odd_keys``, now and then a key of another type."""
    if odd_keys:
        keys = st.one_of(keys, keys, keys, keys, keys, st.integers(), st.booleans(), st.none(),
                         st.floats(allow_nan=False))
    return st.dictionaries(keys, values, max_size=max_size)


def assert_one_line(error, starts='', limit=2000):
    """``error`` (an exception) reads as one line of at most ``limit`` characters that starts with ``starts``."""
    message = str(error)
    assert message, 'empty error message'
    assert '\n' not in message and '\r' not in message, message
    assert len(message) <= limit, 'message of %d characters: %s...' % (len(message), message[:200])
    assert message.startswith(starts), message[:200]
    return message
