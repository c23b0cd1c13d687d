# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One row of a resource's option table: how a user writes a setting and where the API keeps it.

A resource declares its options once, as a tuple of :class:`Field`; its argument spec, the
comparison with what the engine reports and the API body all come from that table
(container options, swarm cluster settings, and the resources that follow).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def _as_is(value, ctx=None):
    return value


def _shown_as_is(value):
    return value


class Field(object):
    """One setting: its option name and argument spec, its place in the API object, conversions.

    ``path`` is the keys under the API object (``('HostConfig', 'Memory')``); ``parse`` turns
    the user's value into the API value and raises InvalidValue; ``normalise`` turns a value as
    the engine reports it into the comparable form; ``show`` turns an API value into what the
    user would write (for diffs); ``compare_form`` turns the wanted API value into the form the
    engine will report (e.g. with the image's environment merged in); ``updatable`` says the
    engine can change it in place. ``parse``, ``normalise`` and ``compare_form`` take
    ``(value, ctx)``: ctx is whatever else the resource needs to decide (the item, the engine).
    """

    def __init__(self, name, spec, path=(), parse=None, normalise=None, show=None, updatable=False,
                 compare_form=None):
        self.name = name
        self.spec = spec
        self.path = tuple(path)
        self.parse = parse or _as_is
        self.normalise = normalise or _as_is
        self.show = show or _shown_as_is
        self.updatable = updatable
        self.compare_form = compare_form or _as_is

    @property
    def key(self):
        """The last key of the path: the name of the setting in the API."""
        return self.path[-1] if self.path else None

    def raw(self, api_object):
        """The value at ``path`` in ``api_object`` (None where any level is missing)."""
        value = api_object
        for key in self.path:
            value = value.get(key) if isinstance(value, dict) else None
        return value

    def current(self, api_object, ctx=None):
        """The comparable form of what ``api_object`` holds for this setting."""
        return self.normalise(self.raw(api_object), ctx)

    def at(self, path, **changes):
        """This setting elsewhere (another resource's API object), with ``changes`` to its attributes.

        How services take the container options they share (same parsing, same units)."""
        copy = Field(self.name, dict(self.spec), path, self.parse, self.normalise, self.show, self.updatable,
                     self.compare_form)
        for attribute, value in changes.items():
            setattr(copy, attribute, value)
        return copy

    def put(self, body, value, path=None):
        """Set ``value`` at ``path`` (default: this field's) in ``body``, making the levels above it."""
        path = tuple(path) if path is not None else self.path
        section = body
        for key in path[:-1]:
            section = section.setdefault(key, {})
        section[path[-1]] = value


def table_spec(fields):
    """The argument spec of a table: {option name: a copy of its spec}."""
    return dict((field.name, dict(field.spec)) for field in fields)
