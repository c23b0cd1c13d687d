# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether the engine's package is surely at the wanted version and held, from engine_info's read.

docker_host skips its package work on a host where this says so: no task, no apt call. When it
cannot be sure (a whole version with a Debian revision that a longer installed version starts
with: the repositories may offer the wanted one exactly), the role asks engine_package, which
changes nothing when the version is right.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.common._collections_compat import Mapping

from ansible_collections.dockhand.docker.plugins.module_utils.debian_version import surely_in_sync


def engine_version_in_sync(package, wanted):
    """True when ``wanted`` is empty (the version is not managed), or ``package`` (engine_info's
    ``engine.host.package``) is held at a version that is surely the wanted one."""
    wanted = (wanted or '').strip() if isinstance(wanted, str) else ''
    if not wanted:
        return True
    if not isinstance(package, Mapping) or not package.get('held'):
        return False
    return surely_in_sync(wanted, package.get('version'))


class FilterModule(object):
    def filters(self):
        return dict(engine_version_in_sync=engine_version_in_sync)
