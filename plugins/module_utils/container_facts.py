# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shape one ``GET /containers/{id}/json`` answer into the flat facts the modules report.

Pure functions of the inspect dict (no engine calls), shared by ``container_info`` and the
``container`` module, so both report a container the same way. Limits come back in the
units the ``container`` module takes: sizes as ``'64m'``, CPUs as ``'0.5'``, and ``None``
for "not set / unlimited" whatever spelling the engine version uses for that.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.dockhand.docker.plugins.module_utils.secrets import masked_mapping
from ansible_collections.dockhand.docker.plugins.module_utils.units import format_cpus, format_size

# Go's zero time: what the engine reports for "never started" / "never finished".
_ZERO_TIMES = ('0001-01-01T00:00:00Z', '')
# States in which ExitCode describes a run that has ended.
_EXITED_STATES = ('exited', 'dead', 'restarting')
UNLIMITED = 'unlimited'


def _positive_int(value):
    """The engine's number when it sets a limit; None for 0, negative (unlimited) or absent."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return None
    return value


def _size_or_none(value):
    value = _positive_int(value)
    return format_size(value) if value is not None else None


def _time_or_none(value):
    return None if value in _ZERO_TIMES or value is None else value


def limits_facts(host_config):
    """Resource limits of a container's ``HostConfig`` in the container module's units.

    ``memory``, ``memory_reservation``: ``'64m'`` or None. ``memory_swap``: ``'128m'``,
    ``'unlimited'`` (the engine's -1) or None (not set: the engine's default of twice
    ``memory``). ``cpus``: ``'0.5'`` from NanoCpus or None. ``cpu_shares``, ``pids_limit``:
    int or None (0 and -1 both mean unlimited for pids). ``cpuset_cpus``: str or None.
    ``ulimits``: list of ``{name, soft, hard}``.
    """
    host_config = host_config or {}
    swap = host_config.get('MemorySwap')
    if swap == -1:
        memory_swap = UNLIMITED
    else:
        memory_swap = _size_or_none(swap)
    nano_cpus = _positive_int(host_config.get('NanoCpus'))
    ulimits = [dict(name=item.get('Name'), soft=item.get('Soft'), hard=item.get('Hard'))
               for item in host_config.get('Ulimits') or []]
    return dict(
        memory=_size_or_none(host_config.get('Memory')),
        memory_reservation=_size_or_none(host_config.get('MemoryReservation')),
        memory_swap=memory_swap,
        cpus=format_cpus(nano_cpus) if nano_cpus is not None else None,
        cpu_shares=_positive_int(host_config.get('CpuShares')),
        cpuset_cpus=host_config.get('CpusetCpus') or None,
        pids_limit=_positive_int(host_config.get('PidsLimit')),
        ulimits=ulimits,
    )


def _env_dict(env_list):
    env = {}
    for item in env_list or []:
        key, sep, value = item.partition('=')
        env[key] = value if sep else ''
    return env


def _port_number(text):
    return int(text) if text and str(text).isdigit() else None


def ports_facts(inspect):
    """Published ports: ``{container_port, protocol, host_ip, host_port}`` each.

    A running container reports the ports it really got (random host ports resolved);
    otherwise the configured bindings are reported, with ``host_port`` None when the engine
    will pick one. Exposed ports that are not published are not listed.
    """
    actual = (inspect.get('NetworkSettings') or {}).get('Ports') or {}
    configured = (inspect.get('HostConfig') or {}).get('PortBindings') or {}
    source = actual if any(actual.values()) else configured
    ports = []
    for key in sorted(source, key=lambda k: (_port_number(k.partition('/')[0]) or 0, k.partition('/')[2])):
        port, dummy, protocol = key.partition('/')
        for binding in source[key] or []:
            ports.append(dict(container_port=_port_number(port), protocol=protocol or 'tcp',
                              host_ip=binding.get('HostIp') or None,
                              host_port=_port_number(binding.get('HostPort'))))
    return ports


def mounts_facts(inspect):
    """Mounts as ``{type, source, target, read_only}``; a volume's source is its name."""
    mounts = []
    for mount in inspect.get('Mounts') or []:
        kind = mount.get('Type')
        source = mount.get('Name') if kind == 'volume' and mount.get('Name') else mount.get('Source')
        mounts.append(dict(type=kind, source=source or None, target=mount.get('Destination'),
                           read_only=not mount.get('RW', True)))
    # --tmpfs mounts are only in HostConfig.Tmpfs, not in Mounts.
    for target, options in sorted(((inspect.get('HostConfig') or {}).get('Tmpfs') or {}).items()):
        if any(m['target'] == target for m in mounts):
            continue
        mounts.append(dict(type='tmpfs', source=None, target=target,
                           read_only='ro' in (options or '').split(',')))
    return mounts


def addresses_facts(inspect):
    """Network name to IPv4 address (None while the container is not running)."""
    networks = (inspect.get('NetworkSettings') or {}).get('Networks') or {}
    return dict((name, (settings or {}).get('IPAddress') or None) for name, settings in networks.items())


def container_facts(inspect, secret_env=()):
    """The facts of one container from its inspect dict (see container_info's RETURN)."""
    state = inspect.get('State') or {}
    config = inspect.get('Config') or {}
    host_config = inspect.get('HostConfig') or {}
    status = state.get('Status')
    restart = host_config.get('RestartPolicy') or {}
    log_config = host_config.get('LogConfig') or {}
    health = (state.get('Health') or {}).get('Status') or 'none'
    return dict(
        name=(inspect.get('Name') or '').lstrip('/'),
        exists=True,
        id=inspect.get('Id'),
        state=status,
        running=status == 'running',
        paused=bool(state.get('Paused')),
        health=health,
        exit_code=state.get('ExitCode') if status in _EXITED_STATES else None,
        oom_killed=bool(state.get('OOMKilled')),
        error=state.get('Error') or None,
        created=inspect.get('Created'),
        started_at=_time_or_none(state.get('StartedAt')),
        finished_at=_time_or_none(state.get('FinishedAt')),
        restart_count=inspect.get('RestartCount') or 0,
        image=config.get('Image'),
        image_id=inspect.get('Image'),
        command=list(config.get('Cmd') or []),
        entrypoint=list(config.get('Entrypoint') or []),
        user=config.get('User') or None,
        workdir=config.get('WorkingDir') or None,
        restart_policy=restart.get('Name') or 'no',
        restart_retries=restart.get('MaximumRetryCount') or 0,
        limits=limits_facts(host_config),
        log_driver=log_config.get('Type'),
        log_options=masked_mapping(dict(log_config.get('Config') or {})),
        addresses=addresses_facts(inspect),
        ports=ports_facts(inspect),
        mounts=mounts_facts(inspect),
        labels=dict(config.get('Labels') or {}),
        env=masked_mapping(_env_dict(config.get('Env')), secret_env),
    )


def missing_container_facts(name):
    """What is reported for a name no container has."""
    return dict(name=name, exists=False)
