# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Debian package versions: their order (as dpkg orders them), and which one a wanted version means.

A wanted version is a whole Debian version (``20.10.24+dfsg1-1+deb12u1``) or a prefix of one that
ends where a part of the version ends (``20.10.24`` and ``20.10`` match ``20.10.24+dfsg1-1+deb12u1``;
``20.10.2`` does not). A version the repositories offer exactly is taken as it is, even when longer
versions start with it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# The characters that end a part of a version: a prefix matches only up to one of them.
SEPARATORS = '.+-~:'
DIGITS = '0123456789'
LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'


def _order(char):
    """dpkg's weight of one non-digit character: ~ sorts before everything, even the end."""
    if char == '~':
        return -1
    if char in LETTERS:
        return ord(char)
    return ord(char) + 256


def _digit(text, i):
    return i < len(text) and text[i] in DIGITS


def _compare_part(left, right):
    """dpkg's comparison of an upstream version or a revision: alternating non-digit and digit runs."""
    i = j = 0
    while i < len(left) or j < len(right):
        first_diff = 0
        while (i < len(left) and not _digit(left, i)) or (j < len(right) and not _digit(right, j)):
            ac = _order(left[i]) if i < len(left) and not _digit(left, i) else 0
            bc = _order(right[j]) if j < len(right) and not _digit(right, j) else 0
            if ac != bc:
                return -1 if ac < bc else 1
            i += 1
            j += 1
        while i < len(left) and left[i] == '0':
            i += 1
        while j < len(right) and right[j] == '0':
            j += 1
        while _digit(left, i) and _digit(right, j):
            if not first_diff:
                first_diff = (left[i] > right[j]) - (left[i] < right[j])
            i += 1
            j += 1
        if _digit(left, i):
            return 1
        if _digit(right, j):
            return -1
        if first_diff:
            return first_diff
    return 0


def split_version(version):
    """(epoch, upstream version, revision) of a Debian version."""
    epoch, colon, rest = version.partition(':')
    if not colon:
        epoch, rest = '0', version
    upstream, dash, revision = rest.rpartition('-')
    if not dash:
        upstream, revision = rest, ''
    return int(epoch) if epoch and all(c in DIGITS for c in epoch) else 0, upstream, revision


def compare_versions(left, right):
    """-1, 0 or 1 as Debian version ``left`` sorts before, with or after ``right`` (dpkg's order)."""
    left_epoch, left_upstream, left_revision = split_version(left)
    right_epoch, right_upstream, right_revision = split_version(right)
    if left_epoch != right_epoch:
        return -1 if left_epoch < right_epoch else 1
    return _compare_part(left_upstream, right_upstream) or _compare_part(left_revision, right_revision)


def _prefix_matches(wanted, version):
    if not version.startswith(wanted):
        return False
    return len(version) == len(wanted) or wanted[-1] in SEPARATORS or version[len(wanted)] in SEPARATORS


def version_matches(wanted, version):
    """Whether ``version`` is ``wanted`` or starts with it up to the end of one of its parts (an
    epoch of ``version`` may be left out of ``wanted``)."""
    if not wanted or not version:
        return False
    return _prefix_matches(wanted, version) or (':' in version and _prefix_matches(wanted, version.partition(':')[2]))


def newest(versions):
    """The highest of ``versions`` in dpkg's order, None when there is none."""
    best = None
    for version in versions:
        if best is None or compare_versions(version, best) > 0:
            best = version
    return best


def wanted_version(wanted, installed, available):
    """The version the package must have: ``installed`` when it is the wanted one, else the version
    the repositories offer (``available``) that is ``wanted`` exactly, else an installed version
    that matches ``wanted``, else the newest offered one that matches it; None when none does."""
    if installed and installed == wanted:
        return installed
    if wanted in available:
        return wanted
    if installed and version_matches(wanted, installed):
        return installed
    return newest(version for version in available if version_matches(wanted, version))


def surely_in_sync(wanted, installed):
    """Whether ``installed`` is the wanted version whatever the repositories offer: it is ``wanted``
    itself, or it has a Debian revision (so every version of its package has one, as docker.io's do)
    and ``wanted``, a prefix of it, has none, so no repository offers ``wanted`` exactly. A wanted
    version with a revision may be offered exactly (and then a longer installed version is not it),
    which only the repositories can tell."""
    if not wanted or not installed:
        return False
    return installed == wanted or ('-' in installed and '-' not in wanted and version_matches(wanted, installed))
