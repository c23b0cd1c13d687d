# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The swarm's state directory as an archive, on the managed host: made, checked and put back.

The engine must be stopped while either runs (the playbooks do that): only then is the Raft
store in ``/var/lib/docker/swarm`` consistent. The archive is written through the collection's
atomic writer (readable by its owner only: it holds the swarm's keys). Putting one back checks
its sha256 and every member before anything changes, unpacks it beside the directory and swaps
the two with renames, so a failure leaves the old directory where it was.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import os
import shutil
import tarfile
import time

from ansible_collections.dockhand.docker.plugins.module_utils.errors import DockerError, InvalidValue
from ansible_collections.dockhand.docker.plugins.module_utils.files import PRIVATE_FILE_MODE, write_atomically

DEFAULT_STATE_DIR = '/var/lib/docker/swarm'
_CHUNK = 1024 * 1024


def sha256_of(path):
    """The sha256 (hex) of the file at ``path``; DockerError naming it when it cannot be read."""
    digest = hashlib.sha256()
    try:
        with open(path, 'rb') as stream:
            for chunk in iter(lambda: stream.read(_CHUNK), b''):
                digest.update(chunk)
    except OSError as exc:
        raise DockerError('cannot read %s: %s' % (path, exc.strerror or exc))
    return digest.hexdigest()


def create_archive(src, path, check_mode=False):
    """Archive the directory ``src`` (under its own base name) into ``path`` (gzip); returns {path, sha256, size}."""
    if not os.path.isdir(src):
        raise DockerError('%s is not a directory: this engine holds no swarm state to back up' % src)
    if check_mode:
        return dict(path=path, sha256=None, size=None)

    def write(stream):
        with tarfile.open(fileobj=stream, mode='w:gz') as tar:
            tar.add(src, arcname=os.path.basename(src.rstrip('/')))
    try:
        write_atomically(path, write=write, private=True, new_file_mode=PRIVATE_FILE_MODE, directory_mode=0o700)
    except (OSError, tarfile.TarError) as exc:
        raise DockerError('cannot archive %s into %s: %s' % (src, path, exc))
    return dict(path=path, sha256=sha256_of(path), size=os.path.getsize(path))


def checked_members(tar, top):
    """The archive's members when each is a file or directory under ``top``/ (no absolute path, no
    ``..``, no link or device); InvalidValue naming the first that is not."""
    members = tar.getmembers()
    for member in members:
        name = member.name
        parts = name.split('/')
        if name.startswith('/') or '..' in parts or parts[0] != top:
            raise InvalidValue('the archive holds %r, outside %s/; it is not a swarm state archive' % (name, top))
        if not (member.isfile() or member.isdir()):
            raise InvalidValue('the archive holds %r, which is neither a file nor a directory; refused' % name)
    return members


def extract_archive(path, dest, sha256, check_mode=False):
    """Replace the directory ``dest`` with the archive at ``path`` after checking its sha256 and its
    members. Returns {replaced: whether a directory was there}. Nothing changes on a failed check."""
    actual = sha256_of(path)
    if actual != sha256:
        raise InvalidValue('the archive %s has sha256 %s, not %s as its manifest says; nothing was changed'
                           % (path, actual, sha256))
    top = os.path.basename(dest.rstrip('/'))
    parent = os.path.dirname(dest.rstrip('/'))
    try:
        with tarfile.open(path, mode='r:gz') as tar:
            members = checked_members(tar, top)
            replaced = os.path.lexists(dest)
            if check_mode:
                return dict(replaced=replaced)
            stamp = '%d.%d' % (time.time(), os.getpid())
            unpacked = os.path.join(parent, '.%s.restore-%s' % (top, stamp))
            os.makedirs(unpacked, 0o700)
            tar.extractall(unpacked, members=members, numeric_owner=True)
    except (tarfile.TarError, EOFError) as exc:
        raise InvalidValue('the archive %s cannot be read (%s); nothing was changed' % (path, exc))
    except OSError as exc:
        raise DockerError('cannot unpack %s beside %s: %s' % (path, dest, exc.strerror or exc))
    old = os.path.join(parent, '.%s.replaced-%s' % (top, stamp))
    try:
        if replaced:
            os.rename(dest, old)
        os.rename(os.path.join(unpacked, top), dest)
    except OSError as exc:
        raise DockerError('cannot put the unpacked state at %s: %s' % (dest, exc.strerror or exc))
    shutil.rmtree(unpacked, ignore_errors=True)
    shutil.rmtree(old, ignore_errors=True)
    return dict(replaced=replaced)
