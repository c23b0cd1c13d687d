# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Engine-level facts: the stable shape engine_info returns and later preflight checks read."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import os

# docker_host writes it before it changes what the engine reads at start, and removes it after the
# restart: a run that died in between leaves it, and the next run restarts the engine.
RESTART_MARKER = '/var/lib/dockhand/restart-pending'
# docker_host writes it when it opens the TLS listener; with the listener turned off, the role
# takes away what it opened only where this is.
TLS_LISTENER_MARKER = '/var/lib/dockhand/docker_host/tls-listener'
# The Debian package of the engine whose version docker_host manages (docker_host_engine_version).
ENGINE_PACKAGE = 'docker.io'
DPKG_STATUS = '/var/lib/dpkg/status'


def swarm_facts(info):
    """This engine's part in a swarm, from ``GET /info``."""
    swarm = info.get('Swarm') or {}
    state = swarm.get('LocalNodeState') or 'inactive'
    is_manager = bool(swarm.get('ControlAvailable'))
    cluster = swarm.get('Cluster') or {}
    return dict(
        state=state,
        node_id=swarm.get('NodeID') or '',
        node_address=swarm.get('NodeAddr') or '',
        is_manager=is_manager,
        cluster_id=cluster.get('ID') or None,
        managers=swarm.get('Managers') if is_manager else None,
        nodes=swarm.get('Nodes') if is_manager else None,
        error=swarm.get('Error') or '',
    )


def engine_facts(info, version, client):
    """Flatten ``GET /info`` and ``GET /version`` into what an operator asks about."""
    plugins = info.get('Plugins') or {}
    running = info.get('ContainersRunning') or 0
    paused = info.get('ContainersPaused') or 0
    stopped = info.get('ContainersStopped') or 0
    return dict(
        docker_host=client.docker_host,
        name=info.get('Name'),
        id=info.get('ID'),
        server_version=version.get('Version') or info.get('ServerVersion'),
        api_version=version.get('ApiVersion'),
        min_api_version=version.get('MinAPIVersion'),
        api_version_used=client.api_version,
        sdk_version=client.sdk_version,
        os=version.get('Os') or info.get('OSType'),
        arch=version.get('Arch'),
        operating_system=info.get('OperatingSystem'),
        kernel_version=info.get('KernelVersion') or version.get('KernelVersion'),
        storage_driver=info.get('Driver'),
        docker_root_dir=info.get('DockerRootDir'),
        logging_driver=info.get('LoggingDriver'),
        log_drivers=sorted(plugins.get('Log') or []),
        cgroup_driver=info.get('CgroupDriver'),
        cgroup_version=info.get('CgroupVersion') or None,
        cpus=info.get('NCPU'),
        memory_bytes=info.get('MemTotal'),
        live_restore=bool(info.get('LiveRestoreEnabled')),
        containers=dict(total=info.get('Containers') or (running + paused + stopped),
                        running=running, paused=paused, stopped=stopped),
        images=info.get('Images'),
        swarm=swarm_facts(info),
        host=local_host_facts() if client.docker_host.startswith('unix://') else None,
    )


def host_facts(root='/'):
    """How the local engine is run: init system, and whether its service starts at boot."""
    def path(*parts):
        return os.path.join(root, *parts)
    if os.path.isdir(path('run', 'systemd', 'system')):
        wants = [path(base, 'multi-user.target.wants', 'docker.service')
                 for base in ('etc/systemd/system', 'lib/systemd/system')]
        return dict(init_system='systemd', service_enabled=any(os.path.lexists(want) for want in wants))
    return dict(init_system='sysv', service_enabled=bool(glob.glob(path('etc', 'rc[2-5].d', 'S[0-9][0-9]docker'))))


def local_host_facts():
    """The host block of a local engine: how it is run, and whether a restart is due."""
    return dict(host_facts(), restart_pending=restart_pending(),
                tls_listener_opened=os.path.lexists(TLS_LISTENER_MARKER),
                package=installed_package(ENGINE_PACKAGE))


def restart_pending(root='/'):
    """Whether a run changed the engine's configuration and has not restarted it yet (the marker is there)."""
    return os.path.lexists(os.path.join(root, RESTART_MARKER.lstrip('/')))


def installed_package(name, root='/'):
    """``{name, version, held}`` of Debian package ``name`` as dpkg's status file has it installed;
    None when it is not installed or the host has no dpkg. Read from the file: no process to start."""
    try:
        with open(os.path.join(root, DPKG_STATUS.lstrip('/')), 'rb') as status_file:
            text = status_file.read().decode('utf-8', 'replace')
    except OSError:
        return None
    first_line = 'Package: %s\n' % name
    for stanza in text.split('\n\n'):
        # dpkg writes Package first: only the package's own stanza is parsed (engine_info reads this
        # on every host of every site run, and the file holds hundreds of stanzas).
        if not stanza.lstrip('\n').startswith(first_line):
            continue
        fields = {}
        for line in stanza.splitlines():
            if line[:1] not in ('', ' ', '\t') and ':' in line:
                key, _colon, value = line.partition(':')
                fields[key] = value.strip()
        if fields.get('Package') != name:
            continue
        # Status: want flag state, e.g. "hold ok installed" or "install ok installed"
        status = fields.get('Status', '').split()
        if len(status) != 3 or status[2] != 'installed' or not fields.get('Version'):
            continue
        return dict(name=name, version=fields['Version'], held=status[0] == 'hold')
    return None
