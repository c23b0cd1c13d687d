# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading registered results and facts on the controller, for the collection's filters."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.common._collections_compat import Mapping


def dig(mapping, *keys, **kwargs):
    """``mapping[key1][key2]...``, or ``default`` where any level is missing, null or not a mapping."""
    value = mapping
    for key in keys:
        if not isinstance(value, Mapping) or key not in value:
            return kwargs.get('default')
        value = value[key]
    return value if value is not None else kwargs.get('default')
