# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one way dockhand.docker writes a file on a managed host: atomically, keeping what the file was.

A reader (the engine starting, the docker CLI, a backup job) must see the old file or the new
one, never half of either, and a crash must not leave an empty file behind: the data goes to a
temporary file in the target's own directory, is flushed to disk, and is renamed over the
target; the directory is then flushed too, so that the rename itself survives a power cut.

Writing must not change who may read the file: an existing file keeps its mode and owner (a
daemon.json at 0600 because it holds a token stays 0600), a symbolic link stays a link and the
file it points to is replaced. Pure standard library; every failure is one
:class:`DockerError` line naming the path.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import binascii
import errno
import os
import re
import shutil
import stat
import tempfile
import time

from ansible_collections.dockhand.docker.plugins.module_utils.errors import DockerError, DockhandError

#: Mode of a new file that anyone may read (daemon.json, an image archive).
PUBLIC_FILE_MODE = 0o644
#: Mode of a new file that holds credentials (the docker client's config.json).
PRIVATE_FILE_MODE = 0o600
#: Mode of directories created for a new file, unless the caller says otherwise.
DIRECTORY_MODE = 0o755
_COPY_CHUNK = 1024 * 1024


def _reason(exc):
    return exc.strerror or str(exc)


def _fsync_directory(directory):
    # Some file systems cannot open or fsync a directory; the rename has happened by then.
    try:
        handle = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


def _make_directories(directory, mode, owner):
    """Create ``directory`` and its missing parents, each with exactly ``mode`` (umask aside)."""
    missing = []
    while not os.path.isdir(directory):
        if os.path.lexists(directory):
            raise OSError(errno.ENOTDIR, 'Not a directory: %s' % directory)
        missing.append(directory)
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    for created in reversed(missing):
        os.mkdir(created, mode)
        os.chmod(created, mode)
        if owner is not None:
            os.chown(created, *owner)


def _keep_owner(handle, temp_info, owner, path):
    if owner is None or (temp_info.st_uid, temp_info.st_gid) == tuple(owner):
        return
    try:
        os.fchown(handle, *owner)
    except OSError as exc:
        raise DockerError('cannot keep the owner %d:%d of %s as user %d (%s); it was left as it is: run as root '
                          'or as its owner' % (owner[0], owner[1], path, os.geteuid(), _reason(exc)))


def write_atomically(path, data=None, write=None, private=False, new_file_mode=None, directory_mode=DIRECTORY_MODE,
                     new_owner=None, mode=None, owner=None):
    """Replace the file at ``path`` with ``data``, or with what ``write`` writes; return the path written.

    Give exactly one of:

    - ``data``: the whole content, ``bytes`` or text (written as UTF-8);
    - ``write``: a function called as ``write(stream)`` with the temporary file open for binary
      writing, for content too large to hold in memory (an image archive streamed from the
      engine: ``write=lambda out: client.stream(action, 'get_image', out.write, name)``). What
      it returns is ignored.

    The target keeps its mode and owner when it exists. A new file gets ``new_file_mode``
    whatever the umask (by default :data:`PUBLIC_FILE_MODE`, or :data:`PRIVATE_FILE_MODE` with
    ``private``) and the ``new_owner`` ``(uid, gid)`` when given (else the process's); missing
    directories are created with ``directory_mode`` and ``new_owner``. ``private`` is for files
    that hold credentials: an existing one also loses any access by group and others, so that a
    password is never written into a file others can read. ``mode`` and ``owner`` ``(uid, gid)``
    give the file exactly that mode and owner whether it exists or not (putting back a file as a
    snapshot recorded it); they win over all of the above. A symbolic link at ``path`` (also one whose
    target does not exist yet) is followed: the file it points to is replaced, the link stays.

    On any failure the temporary file is removed and the target is as it was. A
    :class:`DockhandError` raised by ``write`` is passed on as it is; an ``OSError`` (from the
    file system, or from ``write``'s own writes: a full disk) becomes one :class:`DockerError`
    line naming ``path``.
    """
    if (data is None) == (write is None):
        raise TypeError('write_atomically takes data or write, not both or neither')
    if data is not None and not isinstance(data, bytes):
        try:
            data = data.encode('utf-8')
        except UnicodeError:
            raise DockerError('cannot write %s: its text cannot be encoded as UTF-8' % path)
    temp = None
    try:
        target = os.path.realpath(path)
        if os.path.isdir(target):
            raise DockerError('cannot write %s: it is a directory' % path)
        directory = os.path.dirname(target)
        _make_directories(directory, directory_mode, new_owner)
        try:
            current = os.stat(target)
        except OSError as exc:
            if exc.errno != errno.ENOENT:
                raise
            current = None
        if new_file_mode is None:
            new_file_mode = PRIVATE_FILE_MODE if private else PUBLIC_FILE_MODE
        if mode is None:
            mode = stat.S_IMODE(current.st_mode) if current else new_file_mode
            if private:
                mode &= ~0o077
        if owner is None:
            owner = (current.st_uid, current.st_gid) if current else new_owner
        handle, temp = tempfile.mkstemp(prefix='.%s.' % os.path.basename(target), suffix='.tmp', dir=directory)
        with os.fdopen(handle, 'wb') as stream:
            if data is not None:
                stream.write(data)
            else:
                write(stream)
            stream.flush()
            # Mode and owner before the rename: the file never exists under its name with others.
            _keep_owner(stream.fileno(), os.fstat(stream.fileno()), owner, path)
            os.fchmod(stream.fileno(), mode)
            os.fsync(stream.fileno())
        os.rename(temp, target)
        temp = None
        _fsync_directory(directory)
        return target
    except DockhandError:
        raise
    except OSError as exc:
        raise DockerError('cannot write %s: %s' % (path, _reason(exc)))
    except ValueError as exc:  # a path with a NUL byte, or one that cannot be encoded
        raise DockerError('cannot write %r: %s' % (path, exc))
    finally:
        if temp is not None:
            try:
                os.unlink(temp)
            except OSError:
                pass


# ---- backups beside the file ----

_BACKUP_TIME = '%Y-%m-%d@%H:%M:%S'
# name.<time with microseconds>.<pid>-<random>~ (this module's), name.<pid>.<time>~ (earlier
# versions of the collection, and ansible.builtin's backup=true).
_BACKUP_NAME = re.compile(r'^(?:(?P<time>\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d\.\d{6})\.\d+-[0-9a-f]+'
                          r'|\d+\.(?P<legacy>\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d))~\Z')


def _backup_suffix(now=None):
    now = time.time() if now is None else now
    micro = int(round((now % 1) * 1000000)) % 1000000
    return '%s.%06d.%d-%s~' % (time.strftime(_BACKUP_TIME, time.localtime(now)), micro, os.getpid(),
                               binascii.hexlify(os.urandom(3)).decode('ascii'))


def backups_of(path):
    """The backups beside ``path`` (made by :func:`make_backup`, or in Ansible's own name form), oldest first."""
    directory, name = os.path.split(path)
    prefix = name + '.'
    found = []
    try:
        entries = os.listdir(directory or '.')
    except OSError:
        return []
    for entry in entries:
        if not entry.startswith(prefix):
            continue
        match = _BACKUP_NAME.match(entry[len(prefix):])
        if match:
            when = match.group('time') or match.group('legacy') + '.000000'
            found.append((when, entry))
    return [os.path.join(directory, entry) for _when, entry in sorted(found)]


def make_backup(path, keep=None):
    """Copy the file at ``path`` beside itself under a unique name; return ``(backup, removed)``.

    The copy has the original's content, mode and owner (through a symbolic link: the file it
    points to), so that putting it back restores the file exactly. The name is the path with
    the time to the microsecond, the process id and a random part: two backups never collide.
    With ``keep`` (1 or more), only the newest ``keep`` backups of the file are kept, the new one
    among them; ``removed`` lists those deleted. Failures are one :class:`DockerError` line.
    """
    try:
        info = os.stat(path)
        source = open(path, 'rb')
    except OSError as exc:
        raise DockerError('cannot back up %s: %s' % (path, _reason(exc)))
    backup = '%s.%s' % (path, _backup_suffix())
    with source:
        write_atomically(backup, write=lambda out: shutil.copyfileobj(source, out, _COPY_CHUNK),
                         new_file_mode=stat.S_IMODE(info.st_mode), new_owner=(info.st_uid, info.st_gid))
    removed = []
    if keep:
        for old in backups_of(path)[:-keep]:
            if old == backup:
                continue
            try:
                os.unlink(old)
            except OSError as exc:
                raise DockerError('cannot remove the old backup %s (keeping the newest %d): %s'
                                  % (old, keep, _reason(exc)))
            removed.append(old)
    return backup, removed
