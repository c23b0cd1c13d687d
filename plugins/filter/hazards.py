# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hazards found before any change, on the controller, from each host's engine_info read.

``swarm_probe_targets`` says which swarm ports a member must reach (from the inventory;
``swarm_probe_map`` the same for every member at once);
``site_hazards`` turns every host's ``checks`` into one line per hazard: errors that stop the run
before it touches a host, and warnings. Both are pure: the caller passes the controller's clock.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

from ansible.module_utils.common._collections_compat import Mapping
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.dockhand.docker.plugins.plugin_utils.facts import HostvarsOnce, dig

# Ansible loads every filter file of the collection in each forked worker that templates one of
# them, compiling their imports from source: module_utils are imported where they are used.

SWARM_PORT = 2377     # managers: cluster management and raft
GOSSIP_PORT = 7946    # every member: the network control plane
CLOCK_LIMIT = 30      # seconds a host's clock may be from the controller's
_DIGITS = re.compile(r'^[0-9]{1,5}$')
PORT_ROLES = {SWARM_PORT: "the managers' swarm port", GOSSIP_PORT: "the members' gossip port"}

# Measured on the lab's engines (see the README): both exit at start, at level fatal.
LIVE_RESTORE_REASON = ('Docker 20.10 and 26.1 refuse to run a swarm node with it (the engine exits at start: '
                       '"--live-restore daemon configuration is incompatible with swarm mode")')


def _split_address(text):
    """(IP, port or None) when ``text`` is an IP address with or without a port, else None
    (an interface name, which is all swarm_advertise_addr may be besides an address)."""
    text = (text or '').strip()
    candidates = [(text, '')]
    if ':' in text:
        head, _sep, tail = text.rpartition(':')
        candidates.append((head.strip('[]'), tail))
    for candidate, port in candidates:
        if port and not _DIGITS.match(port):
            continue
        try:
            address = str(ipaddress.ip_address(candidate))
        except ValueError:
            continue
        return address, int(port) if port else None
    return None


def _port_of(text):
    port = (text or '').rpartition(':')[2]
    return int(port) if ':' in (text or '') and _DIGITS.match(port) else None


def member_address(host_vars, host):
    """(address, swarm port) other members reach ``host`` on: its swarm_advertise_addr when that is
    an address, else the address Ansible reaches it on (ansible_host, else its inventory name)."""
    advertised = _split_address(dig(host_vars, 'swarm_advertise_addr', default=''))
    listen_port = _port_of(dig(host_vars, 'swarm_listen_addr', default=''))
    if advertised:
        return advertised[0], advertised[1] or listen_port or SWARM_PORT
    return dig(host_vars, 'ansible_host', default='') or host, listen_port or SWARM_PORT


def _members(managers, workers):
    return list(managers) + [host for host in workers if host not in managers]


def swarm_probe_targets(hostvars, host, managers=(), workers=()):
    """The TCP ports ``host`` must reach when it is a swarm member: every other manager's swarm
    port (2377) and every other member's gossip port (7946). [] for a host outside the swarm groups."""
    members = _members(managers, workers)
    if host not in members:
        return []
    return _probe_targets(host, members, managers, _member_addresses(hostvars, members))


def swarm_probe_map(hostvars, managers=(), workers=()):
    """{member: its swarm_probe_targets} for every member, each member's variables read once: a play
    computes it once instead of swarm_probe_targets on each host, which reads every member's
    variables for each host (quadratic in the swarm's size, and a host's variables cost a lookup)."""
    members = _members(managers, workers)
    addresses = _member_addresses(hostvars, members)
    return dict((host, _probe_targets(host, members, managers, addresses)) for host in members)


def _member_addresses(hostvars, members):
    return dict((host, member_address(dig(hostvars, host, default={}), host)) for host in members)


def _probe_targets(host, members, managers, addresses):
    own = addresses[host][0]
    targets = []
    for other in members:
        address, swarm_port = addresses[other]
        if other == host or address == own:
            continue
        if other in managers:
            targets.append(dict(address=address, port=swarm_port, proto='tcp'))
        targets.append(dict(address=address, port=GOSSIP_PORT, proto='tcp'))
    return targets


def _group_of(host, managers, workers):
    return 'swarm_managers' if host in managers else 'swarm_workers'


def _inventory_lines(managers, workers, docker_hosts):
    members = _members(managers, workers)
    missing = [host for host in members if host not in docker_hosts]
    if not missing:
        return []
    if not docker_hosts:
        return ['the inventory has no docker_hosts group: site.yml takes the hosts of swarm_managers and '
                'swarm_workers (%s) as its Docker hosts; add them to a docker_hosts group to say so'
                % ', '.join(members)]
    named = ', '.join('%s (%s)' % (host, _group_of(host, managers, workers)) for host in missing)
    return ['%s not in docker_hosts: site.yml takes them as Docker hosts too (every stage runs on them); '
            'add them to docker_hosts to say so' % named]


def _wanted_live_restore(host_vars, checks, settings_var, remove_var):
    """(on, where from): live-restore as the host will run after docker_host (its settings win
    over what the engine runs with; a removed key means off)."""
    settings = dig(host_vars, settings_var, default={})
    if isinstance(settings, Mapping) and 'live-restore' in settings:
        value = settings['live-restore']
        return value is True or str(value).lower() in ('true', 'yes', 'on', '1'), 'docker_host_daemon_settings sets it'
    if 'live-restore' in (dig(host_vars, remove_var, default=[]) or []):
        return False, ''
    return bool(dig(checks, 'live_restore', default=False)), 'the engine runs with it (daemon.json)'


def _live_restore_lines(hostvars, hosts, managers, workers, result, settings_var, remove_var):
    lines = []
    for host in hosts:
        if host not in managers and host not in workers:
            continue
        host_vars = dig(hostvars, host, default={})
        on, source = _wanted_live_restore(host_vars, dig(host_vars, result, 'checks', default={}),
                                          settings_var, remove_var)
        if on:
            lines.append('%s (%s): live-restore is on, %s; %s. Leave it out of docker_host_daemon_settings '
                         '(docker_host_daemon_remove: [live-restore] takes it out of daemon.json)'
                         % (host, _group_of(host, managers, workers), source, LIVE_RESTORE_REASON))
    return lines


def _listens(peer_read, port):
    """Whether the peer's engine serves ``port`` now: 2377 on an active manager, 7946 on an active
    member. A port nobody serves cannot be tested by a connect (a site whose swarm is still to be
    made is checked on its next run). Nor can the ports of a manager whose swarm read found no
    leader (swarm_info without its swarm): cut off from its Raft group, as after force_new_cluster
    on another manager, it restarts its swarm listeners while it rejoins."""
    peer_checks = dig(peer_read, 'checks')
    if not isinstance(peer_checks, Mapping) or peer_checks.get('swarm_state') != 'active':
        return False
    swarm_read = dig(peer_read, 'swarm_info')
    if isinstance(swarm_read, Mapping) and swarm_read.get('is_manager') and not swarm_read.get('swarm'):
        return False
    return port != SWARM_PORT or bool(peer_checks.get('is_manager'))


def _port_lines(hostvars, hosts, managers, workers, result):
    names = {}
    for member in _members(managers, workers):
        names.setdefault(member_address(dig(hostvars, member, default={}), member)[0], member)
    lines = []
    for host in hosts:
        for probe in dig(hostvars, host, result, 'checks', 'ports', default=[]) or []:
            if probe.get('open'):
                continue
            peer = names.get(probe['address'])
            # A peer that was read counts when it serves the port now; one outside the reads (a
            # --limit, the role run on one host) when the prober's own engine knows it as a manager.
            if peer in hosts and not _listens(dig(hostvars, peer, result), probe['port']):
                continue
            if peer and peer not in hosts and probe.get('source') != 'swarm':
                continue
            where = ('%s (%s)' % (peer, probe['address']) if peer else
                     'the manager at %s (known to the swarm, not in the inventory)' % probe['address'])
            role = PORT_ROLES.get(probe['port'])
            lines.append('%s cannot reach %s on %s/%s%s: %s'
                         % (host, where, probe['port'], probe.get('proto') or 'tcp', ', %s' % role if role else '',
                            probe.get('error') or 'not open'))
    return lines


def _cert_lines(hostvars, hosts, managers, now, warn_days, result):
    from ansible_collections.dockhand.docker.plugins.module_utils.engine_checks import parse_rfc3339
    errors, warnings = [], []
    expired_managers = []
    for host in hosts:
        cert = dig(hostvars, host, result, 'checks', 'swarm_cert')
        if not isinstance(cert, Mapping):
            continue
        if cert.get('error'):
            warnings.append('%s: the swarm node certificate could not be checked: %s' % (host, cert['error']))
            continue
        not_after = parse_rfc3339(cert.get('not_after'))
        if not_after is None:
            continue
        days = (not_after - now) / 86400.0
        if days <= 0:
            if host in managers:
                expired_managers.append(host)
            errors.append(
                '%s: its swarm node certificate expired on %s, so it cannot talk to the swarm and cannot renew it '
                '(docker swarm ca --rotate does not reach a node whose certificate has expired). Recover: '
                'run `docker swarm leave --force` on %s%s, remove its old entry (`docker node rm`) from a healthy '
                'manager, then run site.yml again, which joins it afresh'
                % (host, cert['not_after'], host,
                   ' after `docker node demote %s` from another manager' % host if host in managers else ''))
        elif days < warn_days:
            warnings.append(
                '%s: its swarm node certificate expires in %.1f days (%s, swarm_cert_warn_days %s). Nodes renew '
                'theirs while they reach a manager: find out why this one did not, or run `docker swarm ca --rotate` '
                'on a manager, which gives every node a new certificate' % (host, days, cert['not_after'], warn_days))
    read_managers = [host for host in managers if host in hosts
                     and isinstance(dig(hostvars, host, result, 'checks'), Mapping)]
    if expired_managers and read_managers and set(read_managers) <= set(expired_managers):
        errors.append('every manager read (%s) has an expired swarm certificate: no manager can take the others '
                      'back; run `docker swarm init --force-new-cluster` on one of them (it starts with its expired '
                      'certificate and renews it), then let the others leave and rejoin' % ', '.join(read_managers))
    return errors, warnings


def _unmanaged_lines(hostvars, hosts, result, install_var):
    """An engine the read could not reach (no engine block) on a host where docker_host would not
    install one. An unreachable host (no read at all) is Ansible's to report."""
    lines = []
    for host in hosts:
        read = dig(hostvars, host, result)
        if not isinstance(read, Mapping) or read.get('unreachable') or 'engine' in read:
            continue
        if boolean(dig(hostvars, host, install_var, default=True), strict=False):
            continue
        lines.append('%s: %s; %s is false, so nothing would install it: install docker.io and python3-docker, '
                     'or set %s: true' % (host, read.get('msg') or 'the engine could not be read', install_var,
                                          install_var))
    return lines


def _clock_lines(hostvars, hosts, now, result):
    """A clock off by more than CLOCK_LIMIT. The engine was read after ``controller_time`` (when
    given) and before ``now``: only a clock outside that window by more than the limit is named."""
    lines = []
    for host in hosts:
        clock = dig(hostvars, host, result, 'checks', 'clock')
        if not isinstance(clock, Mapping):
            continue
        sent = clock.get('controller_time')
        for name, seen in (('engine', clock.get('engine_time')), ('host', clock.get('host_time'))):
            if seen is None:
                continue
            behind = (sent - seen) if sent is not None else 0
            ahead = seen - now
            off, direction = (behind, 'behind') if behind > ahead else (ahead, 'ahead of')
            if off > CLOCK_LIMIT:
                lines.append("%s: its %s clock is %d s %s the controller's (more than %d s): swarm TLS certificates "
                             "and raft need close clocks; sync it (NTP, chrony or systemd-timesyncd)"
                             % (host, name, off, direction, CLOCK_LIMIT))
                break
    return lines


def _version_lines(hostvars, hosts, managers, result):
    versions = {}
    for host in managers:
        version = dig(hostvars, host, result, 'checks', 'engine_version') if host in hosts else None
        if version:
            versions.setdefault(version, []).append(host)
    if len(versions) < 2:
        return []
    return ['the managers run different engine versions: %s. A swarm may mix them while an upgrade rolls, not to '
            'stay: bring every manager to one version'
            % ', '.join('%s (%s)' % (version, ', '.join(names)) for version, names in sorted(versions.items()))]


def site_hazards(hostvars, hosts, managers=(), workers=(), now=None, warn_days=14, docker_hosts=None,
                 result='docker_host_preflight', settings_var='docker_host_daemon_settings',
                 remove_var='docker_host_daemon_remove', install_var=None):
    """{errors: [...], warnings: [...]}, one line each naming the host(s) and the cause, from each
    host's engine_info read registered as ``result`` (hosts whose read failed give only what the
    inventory says). ``now``: the controller's clock (seconds since the epoch) after the reads.
    ``docker_hosts``: that group's hosts, to check the swarm groups against (None: not checked).
    ``settings_var``, ``remove_var``: the host variables with docker_host's daemon.json keys.
    ``install_var``: the host variable that lets docker_host install an engine (default true); given,
    an engine that could not be read where nothing would install one is an error."""
    if now is None:
        raise ValueError('site_hazards needs now, the controller clock in seconds since the epoch')
    hostvars = HostvarsOnce(hostvars)
    hosts = [host for host in hosts if host in hostvars]
    managers, workers = list(managers or []), list(workers or [])
    warnings = [] if docker_hosts is None else _inventory_lines(managers, workers, list(docker_hosts))
    errors = [] if install_var is None else _unmanaged_lines(hostvars, hosts, result, install_var)
    errors += _live_restore_lines(hostvars, hosts, managers, workers, result, settings_var, remove_var)
    errors += _port_lines(hostvars, hosts, managers, workers, result)
    cert_errors, cert_warnings = _cert_lines(hostvars, hosts, managers, float(now), float(warn_days), result)
    errors += cert_errors
    warnings += cert_warnings
    errors += _clock_lines(hostvars, hosts, float(now), result)
    warnings += _version_lines(hostvars, hosts, managers, result)
    return dict(errors=errors, warnings=warnings)


class FilterModule(object):
    def filters(self):
        return dict(site_hazards=site_hazards, swarm_probe_targets=swarm_probe_targets,
                    swarm_probe_map=swarm_probe_map)
