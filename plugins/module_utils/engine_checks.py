# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a preflight needs to find hazards before any change: engine_info's ``checks``.

The clocks, the swarm node certificate's expiry and TCP connects to the swarm's ports, read on
the managed host. The verdicts are the controller's (the site_hazards filter); this only reports.

The certificate is read with a small DER walk over the standard library (base64): the
``cryptography`` package is not on every node (Debian's python3-docker does not need it),
``ssl`` has no public parser of certificate files, and ``openssl`` is not a dependency of the
engine either. Only the validity dates are read, from a layout fixed by RFC 5280.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import calendar
import errno
import os
import re
import socket
import threading
import time

from ansible_collections.dockhand.docker.plugins.module_utils.errors import InvalidValue

# Seconds a TCP connect may take before its port counts as blocked. A LAN answers in
# milliseconds; 3 s also covers one lost SYN (Linux resends it after 1 s).
PROBE_TIMEOUT = 3.0
# Connects run in parallel threads, at most this many at once.
PROBE_THREADS = 32
# A refused connect is tried again this often, this many seconds apart (see probe_ports). The error
# text is the one _connect reports for ECONNREFUSED, not a copy of it.
REFUSED = os.strerror(errno.ECONNREFUSED).lower()
REFUSED_RETRIES = 2
REFUSED_RETRY_DELAY = 1.5

SWARM_NODE_CERT = os.path.join('swarm', 'certificates', 'swarm-node.crt')

_RFC3339 = re.compile(r'^([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?'
                      r'([Zz]|[+-][0-9]{2}:?[0-9]{2})$')


def parse_rfc3339(text):
    """Seconds since the epoch of an RFC 3339 time as the engine writes ``SystemTime``
    (nanoseconds, ``Z`` or an offset); None when it is not one."""
    match = _RFC3339.match(text or '')
    if not match:
        return None
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    fraction, zone = match.group(7), match.group(8)
    if not (1 <= month <= 12 and 1 <= day <= 31 and hour <= 23 and minute <= 59 and second <= 60):
        return None
    seconds = calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))
    if zone not in ('Z', 'z'):
        sign = -1 if zone[0] == '-' else 1
        digits = zone[1:].replace(':', '')
        seconds -= sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
    return seconds + (float(fraction) if fraction else 0.0)


def format_utc(seconds):
    """``2026-03-01T12:00:00Z`` for seconds since the epoch."""
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(int(seconds)))


def _der_item(data, pos):
    """(tag, start of content, end of content) of the DER item at ``pos``."""
    if pos + 2 > len(data):
        raise InvalidValue('the certificate ends early')
    tag, length = data[pos], data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or pos + count > len(data):
            raise InvalidValue('the certificate has a bad length field')
        length = int.from_bytes(data[pos:pos + count], 'big')
        pos += count
    if pos + length > len(data):
        raise InvalidValue('the certificate ends early')
    return tag, pos, pos + length


def _der_time(tag, text):
    """Seconds since the epoch of an ASN.1 UTCTime (tag 0x17) or GeneralizedTime (0x18) in UTC."""
    if tag == 0x17 and re.match(r'^[0-9]{12}Z$', text):
        year = int(text[:2])
        text = ('19' if year >= 50 else '20') + text  # RFC 5280: YY >= 50 is 19YY
    elif not (tag == 0x18 and re.match(r'^[0-9]{14}Z$', text)):
        raise InvalidValue('the certificate has a validity time that is not UTC: %r' % text)
    fields = [int(text[i:i + 2]) for i in range(4, 14, 2)]
    return calendar.timegm((int(text[:4]), fields[0], fields[1], fields[2], fields[3], fields[4], 0, 0, 0))


def certificate_not_after(pem):
    """Seconds since the epoch of ``notAfter`` of the first certificate in PEM text."""
    match = re.search(r'-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----', pem, re.S)
    if not match:
        raise InvalidValue('no PEM certificate in the file')
    try:
        data = bytearray(base64.b64decode(''.join(match.group(1).split()), validate=True))
    except (ValueError, TypeError):
        raise InvalidValue('the certificate is not valid base64')
    tag, start, _end = _der_item(data, 0)            # Certificate
    tag_tbs, pos, _end = _der_item(data, start)       # tbsCertificate
    if tag != 0x30 or tag_tbs != 0x30:
        raise InvalidValue('the file does not hold an X.509 certificate')
    if data[pos] == 0xA0:                             # [0] version, optional
        pos = _der_item(data, pos)[2]
    for _field in ('serialNumber', 'signature', 'issuer'):
        pos = _der_item(data, pos)[2]
    tag, pos, _end = _der_item(data, pos)             # validity
    if tag != 0x30:
        raise InvalidValue('the certificate has no validity dates')
    pos = _der_item(data, pos)[2]                     # notBefore
    tag, start, end = _der_item(data, pos)            # notAfter
    return _der_time(tag, bytes(data[start:end]).decode('ascii', 'replace'))


def swarm_cert_facts(docker_root_dir, now):
    """The swarm node certificate's expiry: {path, not_after, days_left, error}; None when the
    host has no such file (not a swarm member, or the engine's data is not on this host)."""
    path = os.path.join(docker_root_dir or '/var/lib/docker', SWARM_NODE_CERT)
    if not os.path.exists(path):
        return None
    try:
        with open(path) as handle:
            not_after = certificate_not_after(handle.read())
    except OSError as exc:
        return dict(path=path, not_after=None, days_left=None, error='cannot read %s: %s' % (path, exc.strerror or exc))
    except InvalidValue as exc:
        return dict(path=path, not_after=None, days_left=None, error='cannot read %s: %s' % (path, exc))
    return dict(path=path, not_after=format_utc(not_after), days_left=round((not_after - now) / 86400.0, 2), error=None)


def _connect(address, port, timeout):
    """(open, error) of one TCP connect."""
    try:
        sock = socket.create_connection((address, port), timeout=timeout)
    except socket.timeout:
        return False, 'no answer within %g s' % timeout
    except socket.gaierror as exc:
        return False, 'cannot resolve %s: %s' % (address, exc.strerror or exc)
    except OSError as exc:
        return False, (exc.strerror or str(exc)).lower()
    sock.close()
    return True, None


def probe_ports(targets, timeout=PROBE_TIMEOUT, connect=_connect, refused_retries=REFUSED_RETRIES,
                retry_delay=REFUSED_RETRY_DELAY, sleep=time.sleep):
    """TCP connects to each target ({address, port, proto, ...}), in parallel threads: each
    target with ``open`` and ``error`` (null when open), in the order given. A refused connect is
    tried again ``refused_retries`` times, ``retry_delay`` s apart: an engine that restarts its
    swarm components (a node rejoining) closes its ports for a moment. A connect that times out
    is not (a firewall that drops would only cost that much again)."""
    results = [None] * len(targets)
    pending = list(enumerate(targets))
    lock = threading.Lock()

    def work():
        while True:
            with lock:
                if not pending:
                    return
                index, target = pending.pop()
            is_open, error = connect(target['address'], int(target['port']), timeout)
            for _retry in range(refused_retries):
                if is_open or error != REFUSED:
                    break
                sleep(retry_delay)
                is_open, error = connect(target['address'], int(target['port']), timeout)
            results[index] = dict(target, open=is_open, error=error)

    threads = [threading.Thread(target=work) for _index in range(min(PROBE_THREADS, len(targets)))]
    for thread in threads:
        thread.daemon = True
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _split_host_port(addr):
    """('172.30.77.11', 2377) from '172.30.77.11:2377' or '[fd00::1]:2377'."""
    host, _sep, port = addr.rpartition(':')
    if not host or not port.isdigit():
        return None
    return host.strip('[]'), int(port)


def probe_targets(wanted, info):
    """The targets to probe: those given, then each remote manager the engine knows (a member's
    own view of its swarm) that is not given already and is not this node."""
    targets = [dict(address=item['address'], port=int(item['port']), proto=item.get('proto') or 'tcp',
                    source='given') for item in wanted]
    seen = set((target['address'], target['port']) for target in targets)
    swarm = info.get('Swarm') or {}
    own = swarm.get('NodeAddr') or ''
    for manager in swarm.get('RemoteManagers') or []:
        split = _split_host_port(manager.get('Addr') or '')
        if split and split not in seen and split[0] != own:
            seen.add(split)
            targets.append(dict(address=split[0], port=split[1], proto='tcp', source='swarm'))
    return targets


def read_checks(info, version, local, wanted_ports=None, controller_time=None, clock=time.time, **probe_kwargs):
    """engine_info's ``checks``: the cheap facts always, the port probes when asked for.

    ``local`` says whether the engine runs on this host (its data directory is readable here).
    """
    host_time = clock()
    swarm = info.get('Swarm') or {}
    state = swarm.get('LocalNodeState') or 'inactive'
    checks = dict(
        engine_version=version.get('Version') or info.get('ServerVersion'),
        live_restore=bool(info.get('LiveRestoreEnabled')),
        swarm_state=state,
        is_manager=bool(swarm.get('ControlAvailable')),
        node_address=swarm.get('NodeAddr') or '',
        clock=dict(engine_system_time=info.get('SystemTime'), engine_time=parse_rfc3339(info.get('SystemTime')),
                   host_time=host_time, controller_time=controller_time),
        swarm_cert=swarm_cert_facts(info.get('DockerRootDir'), host_time)
        if local and state != 'inactive' else None,
        ports=None,
    )
    if wanted_ports is not None:
        started = clock()
        checks['ports'] = probe_ports(probe_targets(wanted_ports, info), **probe_kwargs)
        checks['ports_seconds'] = round(clock() - started, 3)
    return checks
