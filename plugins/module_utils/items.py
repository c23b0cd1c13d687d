# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The many-items form shared by modules that take a list (``containers:``, ``images:``).

Options given at the top level are defaults for every item; each item is checked against the
item argument spec and named; names must be unique. Everything is validated before any item
is worked on, so one bad item changes nothing.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.dockhand.docker.plugins.module_utils.units import InvalidValue


def validated_options(raw, spec, label, unknown_hint):
    """``raw`` checked against the argument ``spec`` (types converted, defaults added).

    Raises :class:`InvalidValue` naming ``label`` for anything but a dict, an option the spec
    lacks (``unknown_hint`` says what is taken instead) or a value it refuses.
    """
    if not isinstance(raw, dict):
        raise InvalidValue('%s: each item must be a dictionary of options' % label)
    unknown = sorted(set(raw) - set(spec))
    if unknown:
        raise InvalidValue('%s: unknown option(s) %s; %s' % (label, ', '.join(unknown), unknown_hint))
    result = ArgumentSpecValidator(spec).validate(raw)
    if result.error_messages:
        raise InvalidValue('%s: %s' % (label, result.error_messages[0]))
    return result.validated_parameters


def merge_items(params, item_spec, list_key, defaults=None):
    """[(name, item)]: one per entry of ``params[list_key]``, or the top level alone."""
    top = dict((key, params.get(key)) for key in item_spec)
    for key, default in (defaults or {}).items():
        if top.get(key) is None:
            top[key] = default
    if params.get(list_key) is None:
        return [(top['name'], top)]
    merged, seen = [], {}
    for index, raw in enumerate(params[list_key]):
        label = '%s[%d]' % (list_key, index)
        checked = validated_options(raw, item_spec, label, 'items take the options of the module itself')
        item = dict(top)
        item.update((key, value) for key, value in checked.items() if value is not None)
        name = item.get('name')
        if not name:
            raise InvalidValue('%s: every item needs a name' % label)
        if name in seen:
            raise InvalidValue('%s: the name %r is used twice in %s (also by %s[%d])'
                               % (label, name, list_key, list_key, seen[name]))
        seen[name] = index
        merged.append((name, item))
    return merged
