# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The swarm_backup role's choice of the manager whose engine is stopped for the copy.

Reads what dockhand.docker.engine_info (swarm_info=true) returned on each manager of the play and
hands the decision to module_utils/swarm_backup.choose_backup_manager; never talks to an engine.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.common._collections_compat import Mapping

# Ansible loads every filter file of the collection in each forked worker that templates one of
# them, compiling their imports from source: module_utils are imported where they are used.


def _swarm_read(hostvars, host, var):
    result = hostvars[host].get(var) if host in hostvars else None
    if not isinstance(result, Mapping):
        return {}
    read = result.get('swarm_info')
    return read if isinstance(read, Mapping) else {}


def swarm_backup_choice(hostvars, hosts, var, wanted_host=''):
    """``{host, node_id, problem}``: the manager of ``hosts`` to stop for the copy (see
    choose_backup_manager), from each host's registered ``var`` (an engine_info result with swarm_info)."""
    from ansible_collections.dockhand.docker.plugins.module_utils.swarm_backup import choose_backup_manager
    reads = dict((host, _swarm_read(hostvars, host, var)) for host in hosts)
    nodes = next((read['nodes'] for read in reads.values() if read.get('nodes')), [])
    host_node_ids = dict((host, read.get('node_id')) for host, read in reads.items() if read.get('is_manager'))
    return choose_backup_manager([dict(node) for node in nodes], host_node_ids, wanted_host or None)


def swarm_restore_choice(manifest, hostvars, hosts, var='swarm_restore_advertise_addr', wanted_host=''):
    """``{host, problem}``: the host of ``hosts`` to restore the archive of ``manifest`` onto (see
    choose_restore_target), each host's advertised address read from its variable ``var``."""
    from ansible_collections.dockhand.docker.plugins.module_utils.swarm_backup import choose_restore_target
    addresses = dict((host, str(hostvars[host].get(var) or '') if host in hostvars else '') for host in hosts)
    return choose_restore_target(dict(manifest or {}), addresses, wanted_host or None)


class FilterModule(object):
    def filters(self):
        return dict(swarm_backup_choice=swarm_backup_choice, swarm_restore_choice=swarm_restore_choice)
