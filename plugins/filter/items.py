# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The roles' item formula and the plans' digest, written once for the roles and site.yml.

A role hands its module ``items_with_defaults(list, defaults)``; site.yml's preflight hands
engine_info's plan the very same list, and the role checks that the plan is for its items by
``plan_digest``, which is the function the module side uses (module_utils/plan.py).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common._collections_compat import Mapping, Sequence

from ansible_collections.dockhand.docker.plugins.module_utils.plan import data_digest


def _merged(base, override, recursive):
    merged = dict(base)
    for key, value in override.items():
        if recursive and isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merged(merged[key], value, recursive)
        else:
            merged[key] = value
    return merged


def items_with_defaults(items, defaults=None, recursive=False):
    """Each item of ``items`` over ``defaults``: the item's options win (dicts merged key by key with ``recursive``)."""
    if items is None:
        return []
    if isinstance(items, (str, Mapping)) or not isinstance(items, Sequence):
        raise AnsibleFilterError('items_with_defaults: the items must be a list of dictionaries, not %s'
                                 % type(items).__name__)
    defaults = defaults or {}
    if not isinstance(defaults, Mapping):
        raise AnsibleFilterError('items_with_defaults: the defaults must be a dictionary, not %s'
                                 % type(defaults).__name__)
    merged = []
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise AnsibleFilterError('items_with_defaults: item %d is a %s, not a dictionary of options'
                                     % (index, type(item).__name__))
        merged.append(_merged(defaults, item, recursive))
    return merged


def plan_digest(data):
    """The digest a plan of engine_info carries for the options or items it planned."""
    return data_digest(data)


def plan_in_sync(read, plan_key, planned):
    """Whether ``read`` (an engine_info result) holds under ``plan_key`` a plan made for exactly
    ``planned`` (the same digest) that found nothing to change. Anything else - no read, no such
    plan, another digest, an error - is False, so the module runs."""
    if not isinstance(read, Mapping) or read.get('failed'):
        return False
    plan = read.get(plan_key)
    if not isinstance(plan, Mapping) or plan.get('in_sync') is not True:
        return False
    digest = plan.get('items_digest', plan.get('options_digest'))
    return digest == data_digest(planned)


class FilterModule(object):
    def filters(self):
        return dict(items_with_defaults=items_with_defaults, plan_digest=plan_digest, plan_in_sync=plan_in_sync)
