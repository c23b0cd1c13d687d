# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Running a command inside a container and reading its output streams.

The SDK's ``exec_start(demux=True)`` keeps the API call timeout while the command runs and
cannot send standard input on both SDK 5.0.3 and 7.x, so the session reads the engine's framed
stream from the socket itself. It is part of the client layer: the engine is reached only
through :class:`EngineClient`.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import shlex
import socket
import struct
import threading
import time

from ansible_collections.dockhand.docker.plugins.module_utils.container_options import string_pairs
from ansible_collections.dockhand.docker.plugins.module_utils.errors import DockerError, InvalidValue
from ansible_collections.dockhand.docker.plugins.module_utils.secrets import SECRET_MASK

STDOUT, STDERR = 1, 2
# Seconds to wait for the engine to record the exit code once the output has ended.
EXIT_CODE_WAIT = 10


def masked_exec_params(params):
    """container_exec's parameters as they may be shown (``invocation``, the host's log).

    Every ``env`` value is masked, whatever its name, since an exec's environment typically
    carries credentials (a database password for a migration); the names stay visible. ``stdin``
    is masked whole (a SQL script, a key). Not ``no_log``: Ansible would then mask every
    occurrence of a short value such as ``1`` in all of the task's output.
    """
    if not isinstance(params, dict):
        return params
    shown = dict(params)
    env = shown.get('env')
    if isinstance(env, dict):
        shown['env'] = dict((name, SECRET_MASK) for name in env)
    elif env is not None:
        shown['env'] = SECRET_MASK
    if shown.get('stdin') is not None:
        shown['stdin'] = SECRET_MASK
    return shown


def build_env(env):
    """The ``env`` option as the engine's NAME=value list (values made strings like the container module's).

    Messages name a bad variable, never a value.
    """
    pairs = string_pairs('env', variables=True)(env or {}, None)
    return ['%s=%s' % pair for pair in pairs.items()]


def _stdin_bytes(stdin):
    try:
        return stdin.encode('utf-8')
    except UnicodeError:
        raise InvalidValue('stdin is not valid text (it cannot be encoded as UTF-8); its content is not shown')


def _raw_socket(sock):
    # The SDK hands out a SocketIO (plain connections) or the socket itself.
    return getattr(sock, '_sock', sock)


def _feed(raw, data):
    try:
        raw.sendall(data)
    except OSError:
        pass  # the command exited without reading all of its input
    finally:
        try:
            raw.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def read_multiplexed(raw):
    """(stdout bytes, stderr bytes) from the engine's framed stream until it ends.

    Each frame is an 8-byte header (stream number, 3 unused bytes, big-endian length) and data.
    """
    streams = {STDOUT: bytearray(), STDERR: bytearray()}
    pending = bytearray()
    while True:
        chunk = raw.recv(65536)
        if not chunk:
            break
        pending.extend(chunk)
        offset = 0
        while len(pending) - offset >= 8:
            kind = pending[offset]
            size = struct.unpack('>I', bytes(pending[offset + 4:offset + 8]))[0]
            if len(pending) - offset - 8 < size:
                break
            streams[STDERR if kind == STDERR else STDOUT].extend(pending[offset + 8:offset + 8 + size])
            offset += 8 + size
        del pending[:offset]
    return bytes(streams[STDOUT]), bytes(streams[STDERR])


def run_in_container(client, container_id, name, argv, user=None, env=None, workdir=None, stdin=None):
    """Run ``argv`` in a running container; return (exit code, stdout bytes, stderr bytes)."""
    data = _stdin_bytes(stdin) if stdin is not None else None
    if stdin is not None and client.api.base_url.startswith('https://'):
        raise DockerError('stdin is not supported over a TLS connection to the engine (%s): the command '
                          'could never see the end of its input; pass the data another way' % client.docker_host)
    action = 'run %s in container %r' % (' '.join(shlex.quote(arg) for arg in argv), name)
    created = client.call(action, 'exec_create', container_id, argv, stdout=True, stderr=True,
                          stdin=stdin is not None, tty=False, user=user or '',
                          environment=env or None, workdir=workdir)
    exec_id = created['Id']
    sock = client.call(action, 'exec_start', exec_id, socket=True)
    raw = _raw_socket(sock)
    # The command may run longer than the connection timeout, which is meant for API calls.
    raw.settimeout(None)
    feeder = None
    try:
        if stdin is not None:
            feeder = threading.Thread(target=_feed, args=(raw, data))
            feeder.daemon = True
            feeder.start()
        stdout, stderr = read_multiplexed(raw)
    except OSError as exc:
        raise DockerError('Lost the connection to the Docker engine at %s while reading the output of %r in '
                          'container %r: %s' % (client.docker_host, argv[0], name, exc))
    finally:
        if feeder is not None:
            feeder.join(5)
        for closable in (sock, raw):
            try:
                closable.close()
            except OSError:
                pass
    deadline = time.time() + EXIT_CODE_WAIT
    while True:
        details = client.call(action, 'exec_inspect', exec_id)
        if not details.get('Running') and details.get('ExitCode') is not None:
            return details['ExitCode'], stdout, stderr
        if time.time() > deadline:
            raise DockerError('Docker engine at %s did not report the exit code of %r in container %r'
                              % (client.docker_host, argv[0], name))
        time.sleep(0.1)
