# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Snapshots of a set of files on a managed host, to put them all back as they were.

A restart of the engine depends on several files at once (daemon.json, the TLS CA, certificate
and key, a systemd drop-in); when the engine does not come up, all of them go back together.
A snapshot records for each path what was there: a regular file (content, mode, owner), a
symbolic link (its target as written, and the same record for the file it points to), or
nothing (then restoring removes what was made since, and the directories made for it when they
are empty). Every file is written by the one atomic writer (:mod:`files`).

On the host a snapshot is a directory (mode 0700: it may hold a private key) with one copy per
file (mode 0600) and ``manifest.json``, written last: a directory without a manifest is no
snapshot.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import hashlib
import json
import os
import re
import shutil
import stat

from ansible_collections.dockhand.docker.plugins.module_utils.errors import DockerError, InvalidValue
from ansible_collections.dockhand.docker.plugins.module_utils.files import PRIVATE_FILE_MODE, write_atomically

DEFAULT_ROOT = '/var/lib/dockhand/snapshots'
MANIFEST = 'manifest.json'
FORMAT = 1
_NAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}\Z')


def _reason(exc):
    return exc.strerror or str(exc)


def checked_name(name):
    """The snapshot's name, which becomes a directory name: letters, digits, ``_.-``."""
    if not isinstance(name, str) or not _NAME.match(name) or name in ('.', '..'):
        raise InvalidValue('name: %r is not a snapshot name; use letters, digits, "_", "." and "-" (at most 100, '
                           'starting with a letter or digit)' % (name,))
    return name


def checked_paths(paths):
    """Absolute, normalised, distinct paths, in the order given."""
    seen = []
    for path in paths or []:
        if not isinstance(path, str) or not os.path.isabs(path):
            raise InvalidValue('paths: %r is not an absolute path' % (path,))
        path = os.path.normpath(path)
        if path not in seen:
            seen.append(path)
    if not seen:
        raise InvalidValue('paths: give at least one path to save')
    return seen


def missing_directories(path):
    """The directories above ``path`` that do not exist, nearest first."""
    missing = []
    directory = os.path.dirname(path)
    while directory and not os.path.lexists(directory):
        missing.append(directory)
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    return missing


def describe_file(path):
    """What is at ``path`` (no link): ``{'state': 'file', mode, uid, gid, sha256}`` or ``{'state': 'absent', ...}``.

    The content itself is read by :func:`save`; this is the part that compares.
    """
    try:
        info = os.lstat(path)
    except OSError as exc:
        if exc.errno not in (errno.ENOENT, errno.ENOTDIR):
            raise DockerError('cannot read %s: %s' % (path, _reason(exc)))
        return dict(state='absent', missing_dirs=missing_directories(path))
    if stat.S_ISLNK(info.st_mode):
        return dict(state='link', link=os.readlink(path))
    if not stat.S_ISREG(info.st_mode):
        raise DockerError('cannot snapshot %s: it is not a regular file, a symbolic link or absent' % path)
    return dict(state='file', mode=stat.S_IMODE(info.st_mode), uid=info.st_uid, gid=info.st_gid,
                sha256=_sha256(path))


def _sha256(path):
    digest = hashlib.sha256()
    try:
        with open(path, 'rb') as handle:
            for chunk in iter(lambda: handle.read(1024 * 1024), b''):
                digest.update(chunk)
    except OSError as exc:
        raise DockerError('cannot read %s: %s' % (path, _reason(exc)))
    return digest.hexdigest()


def describe(path):
    """The record of ``path``: a file, nothing, or a link with the record of the file it points to.

    A link's own target is kept as written (relative or not); the file it points to is
    recorded under ``target`` with its absolute path, as one that is not itself a link.
    """
    record = describe_file(path)
    if record['state'] == 'link':
        resolved = os.path.realpath(path)
        target = describe_file(resolved)
        if target['state'] == 'link':  # realpath stops at a loop
            raise DockerError('cannot snapshot %s: its symbolic links form a loop' % path)
        target['path'] = resolved
        record['target'] = target
    record['path'] = path
    return record


def same_state(recorded, current):
    """Whether ``current`` (from :func:`describe`) is what ``recorded`` says, content, mode and owner."""
    def essence(record):
        if record is None:
            return None
        kept = dict((key, value) for key, value in record.items() if key not in ('data', 'missing_dirs'))
        if 'target' in record:
            kept['target'] = essence(record['target'])
        return kept
    return essence(recorded) == essence(current)


def snapshot_dir(root, name):
    return os.path.join(root, checked_name(name))


def read_manifest(root, name):
    """The manifest of snapshot ``name``, or None when there is none."""
    path = os.path.join(snapshot_dir(root, name), MANIFEST)
    try:
        with open(path) as handle:
            manifest = json.load(handle)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return None
        raise DockerError('cannot read the snapshot %s: %s' % (path, _reason(exc)))
    except ValueError as exc:
        raise DockerError('the snapshot %s is not valid JSON (%s); remove it (state=discarded)' % (path, exc))
    if not isinstance(manifest, dict) or manifest.get('format') != FORMAT:
        raise DockerError('the snapshot %s has a format this module does not know; remove it (state=discarded)'
                          % path)
    return manifest


def _files_with_content(record):
    """The records within ``record`` (itself, or a link's target) whose content is saved."""
    for one in (record, record.get('target')):
        if one and one['state'] == 'file':
            yield one


def save(root, name, paths, check_mode=False):
    """Record ``paths`` as snapshot ``name`` (replacing one of that name); return the records."""
    directory = snapshot_dir(root, name)
    records = [describe(path) for path in checked_paths(paths)]
    if check_mode:
        return records
    if os.path.lexists(directory) and not os.path.isdir(directory):
        raise DockerError('cannot save the snapshot %s: it exists and is not a directory' % directory)
    try:
        if not os.path.isdir(directory):
            os.makedirs(directory, 0o700)
        os.chmod(directory, 0o700)
    except OSError as exc:
        raise DockerError('cannot make the snapshot directory %s: %s' % (directory, _reason(exc)))
    copies = []
    for index, record in enumerate(records):
        for number, one in enumerate(_files_with_content(record)):
            source = record['path'] if one is record else one['path']
            one['data'] = '%d.%d.data' % (index, number)
            copies.append(one['data'])
            try:
                with open(source, 'rb') as handle:
                    write_atomically(os.path.join(directory, one['data']),
                                     write=lambda out, handle=handle: shutil.copyfileobj(handle, out),
                                     mode=PRIVATE_FILE_MODE, owner=(os.geteuid(), os.getegid()))
            except OSError as exc:
                raise DockerError('cannot save %s: %s' % (source, _reason(exc)))
            if _sha256(os.path.join(directory, one['data'])) != one['sha256']:
                raise DockerError('%s changed while it was being saved; run again' % source)
    manifest = dict(format=FORMAT, name=name, paths=records)
    write_atomically(os.path.join(directory, MANIFEST), json.dumps(manifest, indent=2, sort_keys=True) + '\n',
                     mode=PRIVATE_FILE_MODE, owner=(os.geteuid(), os.getegid()))
    for entry in os.listdir(directory):
        if entry not in copies and entry != MANIFEST:
            _remove(os.path.join(directory, entry))
    return records


def _remove(path):
    try:
        os.unlink(path)
    except OSError as exc:
        if exc.errno != errno.ENOENT:
            raise DockerError('cannot remove %s: %s' % (path, _reason(exc)))


def _remove_empty_directories(directories, check_mode=False):
    """Remove the directories made for a file since the snapshot, nearest first, while empty; return whether any was."""
    removed = False
    for directory in directories:
        if not _is_directory(directory):
            continue
        if os.listdir(directory):
            break
        removed = True
        if check_mode:
            continue
        try:
            os.rmdir(directory)
        except OSError as exc:
            if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOENT):
                raise DockerError('cannot remove the directory %s: %s' % (directory, _reason(exc)))
            break
    return removed


def _put_back_file(directory, record, path):
    """Make ``path`` (not a link) what ``record`` says: that content, mode and owner, or nothing."""
    if record['state'] == 'absent':
        if os.path.isdir(path) and not os.path.islink(path):
            raise DockerError('cannot restore %s: it did not exist, and now it is a directory; remove it' % path)
        _remove(path)
        return
    if os.path.islink(path):  # a file that became a link goes back to being a file
        _remove(path)
    source = os.path.join(directory, record['data'])
    try:
        with open(source, 'rb') as handle:
            write_atomically(path, write=lambda out: shutil.copyfileobj(handle, out),
                             mode=record['mode'], owner=(record['uid'], record['gid']))
    except OSError as exc:
        raise DockerError('cannot restore %s from %s: %s' % (path, source, _reason(exc)))


def restore(root, name, check_mode=False):
    """Put every path of snapshot ``name`` back as recorded; return ``(found, restored paths)``."""
    manifest = read_manifest(root, name)
    if manifest is None:
        return False, []
    directory = snapshot_dir(root, name)
    for record in manifest['paths']:
        for one in _files_with_content(record):
            copy = os.path.join(directory, one['data'])
            if not os.path.isfile(copy) or _sha256(copy) != one['sha256']:
                raise DockerError('the saved copy %s of %s is missing or damaged; nothing was restored'
                                  % (copy, one.get('path', record['path'])))
    restored = []
    for record in manifest['paths']:
        path = record['path']
        current = describe(path) if not _is_directory(path) else dict(state='directory', path=path)
        if same_state(record, current):
            absent = record['target'] if record['state'] == 'link' else record
            made = (absent.get('missing_dirs') or []) if absent['state'] == 'absent' else []
            if _remove_empty_directories(made, check_mode):
                restored.append(path)
            continue
        restored.append(path)
        if check_mode:
            continue
        if record['state'] == 'link':
            if not (current['state'] == 'link' and current['link'] == record['link']):
                if current['state'] == 'directory':
                    raise DockerError('cannot restore the link %s: a directory is there now; remove it' % path)
                _remove(path)
                try:
                    os.symlink(record['link'], path)
                except OSError as exc:
                    raise DockerError('cannot restore the link %s -> %s: %s' % (path, record['link'], _reason(exc)))
            _put_back_file(directory, record['target'], record['target']['path'])
        else:
            _put_back_file(directory, record, path)
        absent = record['target'] if record['state'] == 'link' else record
        if absent['state'] == 'absent':
            _remove_empty_directories(absent.get('missing_dirs') or [])
    return True, restored


def _is_directory(path):
    return os.path.isdir(path) and not os.path.islink(path)


def discard(root, name, check_mode=False):
    """Remove snapshot ``name``; return whether there was one."""
    directory = snapshot_dir(root, name)
    if not os.path.lexists(directory):
        return False
    if not check_mode:
        try:
            shutil.rmtree(directory)
        except OSError as exc:
            raise DockerError('cannot remove the snapshot %s: %s' % (directory, _reason(exc)))
    return True


def shown(records):
    """The records as a result shows them: no names of copies, nothing of the content but its checksum."""
    def one(record):
        kept = dict((key, value) for key, value in record.items() if key not in ('data', 'missing_dirs'))
        if 'mode' in kept:
            kept['mode'] = '%04o' % kept['mode']
        if 'target' in record:
            kept['target'] = one(record['target'])
        return kept
    return [one(record) for record in records]
