# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The docker_host role's rules on engine_info's read: whether the engine's package is surely at
the wanted version and held (engine_version_in_sync), and what the role has to do on a host
(docker_host_state).

docker_host skips its package work on a host where engine_version_in_sync says so: no task, no apt
call. When it cannot be sure (a whole version with a Debian revision that a longer installed
version starts with: the repositories may offer the wanted one exactly), the role asks
engine_package, which changes nothing when the version is right.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.common._collections_compat import Mapping

from ansible_collections.dockhand.docker.plugins.filter.items import plan_in_sync


def engine_version_in_sync(package, wanted):
    """True when ``wanted`` is empty (the version is not managed), or ``package`` (engine_info's
    ``engine.host.package``) is held at a version that is surely the wanted one."""
    wanted = (wanted or '').strip() if isinstance(wanted, str) else ''
    if not wanted:
        return True
    if not isinstance(package, Mapping) or not package.get('held'):
        return False
    from ansible_collections.dockhand.docker.plugins.module_utils.debian_version import surely_in_sync
    return surely_in_sync(wanted, package.get('version'))


def _field(mapping, key, default=None):
    value = mapping.get(key) if isinstance(mapping, Mapping) else None
    return default if value is None else value


def docker_host_state(read, daemon_options, tls_listener=False, tls_marker=False, engine_version='',
                      restart_always=False, restart_needed=False, package_plan=None):
    """What the docker_host role has to do on a host, from ``read`` (engine_info's result, its own or
    site.yml's preflight) and the role's inputs: ``daemon_options`` (the daemon_config options that
    decide daemon.json), ``tls_listener``, ``tls_marker`` (whether the marker of a listener the role
    opened exists; read only when engine_info could not say), ``engine_version``, ``restart_always``,
    and what the run has found so far: ``restart_needed`` (a configuration changed) and
    ``package_plan`` (engine_package's plan). One call for what were a dozen chained variables:
    Ansible compiles a template at every mention of a variable.
    """
    return engine_work(read, plan_in_sync(read, 'daemon_config_plan', daemon_options), tls_listener=tls_listener,
                       tls_marker=tls_marker, engine_version=engine_version, restart_always=restart_always,
                       restart_needed=restart_needed, package_plan=package_plan)


def engine_work(read, daemon_in_sync, tls_listener=False, tls_marker=False, engine_version='', restart_always=False,
                restart_needed=False, package_plan=None):
    """docker_host_state once it is known whether daemon.json is as wanted (``daemon_in_sync``): the
    role checks its own options against the read's plan, site.yml's stages trust the plan the
    preflight made with the role's options."""
    engine_host = None
    if isinstance(read, Mapping) and isinstance(read.get('engine'), Mapping):
        engine_host = read['engine'].get('host')
    engine_host = engine_host if isinstance(engine_host, Mapping) else None
    if engine_host is not None:
        tls_was_on = bool(_field(engine_host, 'tls_listener_opened', False))
    else:
        tls_was_on = bool(tls_marker)
    version_in_sync = engine_version_in_sync(_field(engine_host, 'package'), engine_version)
    in_sync = bool(_field(engine_host, 'service_enabled', False) and not tls_listener and not tls_was_on
                   and daemon_in_sync and version_in_sync)
    restart_was_pending = bool(_field(engine_host, 'restart_pending', False))
    version_pending = bool(_field(package_plan, 'version_pending', False))
    restart_due = bool(restart_needed or restart_was_pending or restart_always or version_pending)
    return dict(in_sync=in_sync, tls_was_on=tls_was_on, version_in_sync=version_in_sync,
                restart_was_pending=restart_was_pending, version_pending=version_pending, restart_due=restart_due,
                config_may_change=bool(tls_listener or tls_was_on or not daemon_in_sync),
                work=not in_sync or restart_due)


class FilterModule(object):
    def filters(self):
        return dict(engine_version_in_sync=engine_version_in_sync, docker_host_state=docker_host_state)
