# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Before/after bookkeeping for check mode and diff mode, shared by every module.

A module records each setting it compares in a :class:`ChangeSet`; the change set says
whether anything differs and renders Ansible's ``diff`` (only the keys that differ, secrets
masked), so every module reports changes the same way.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.dockhand.docker.plugins.module_utils.secrets import SECRET_MASK


class ChangeSet(object):
    """Differences between the current and the wanted state, keyed by setting name."""

    def __init__(self, secret_keys=()):
        self._before = {}
        self._after = {}
        self._secret_keys = frozenset(secret_keys)

    def compare(self, key, before, after):
        """Record ``key`` when ``before != after``; return True when it differs."""
        if before == after:
            return False
        self._before[key] = before
        self._after[key] = after
        return True

    def add(self, key, before, after):
        """Record ``key`` unconditionally (for changes the caller has already detected)."""
        self._before[key] = before
        self._after[key] = after

    def merge(self, other, prefix=None):
        """Take over every difference of ``other``, optionally under ``prefix.``."""
        for key in other.keys():
            name = '%s.%s' % (prefix, key) if prefix else key
            self.add(name, other._before[key], other._after[key])
            if key in other._secret_keys:
                self._secret_keys = self._secret_keys | {name}

    def keys(self):
        return sorted(self._before)

    def __bool__(self):
        return bool(self._before)

    __nonzero__ = __bool__

    def __len__(self):
        return len(self._before)

    def _visible(self, values):
        return dict((key, SECRET_MASK if key in self._secret_keys and value is not None else value)
                    for key, value in values.items())

    def before(self):
        return self._visible(self._before)

    def after(self):
        return self._visible(self._after)

    def as_diff(self, header=None):
        """Ansible's diff dict; ``header`` (e.g. a container name) labels both sides."""
        return whole_diff(self.before(), self.after(), header)


def whole_diff(before, after, header=None):
    """Diff for a whole object appearing or disappearing (``None`` on the missing side)."""
    diff = dict(before=before if before is not None else {}, after=after if after is not None else {})
    if header:
        diff['before_header'] = '%s (current)' % header
        diff['after_header'] = '%s (wanted)' % header
    return diff
