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


class HostvarsOnce(Mapping):
    """``hostvars`` that reads each host's variables once. Ansible works out all of a host's
    variables again at every ``hostvars[host]``, and a filter over every host of a site (the
    hazards, the summary) names each host in several places."""

    def __init__(self, hostvars):
        self._hostvars = hostvars
        self._read = {}

    def __getitem__(self, host):
        if host not in self._read:
            self._read[host] = self._hostvars[host]
        return self._read[host]

    def __contains__(self, host):
        return host in self._read or host in self._hostvars

    def __iter__(self):
        return iter(self._hostvars)

    def __len__(self):
        return len(self._hostvars)
