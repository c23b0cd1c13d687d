# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's module_utils, compiled once per managed host instead of once per module call.

Ansible sends a module with its module_utils in a zip (AnsiballZ), and Python imports from a zip
without any bytecode cache: each module call compiled the collection's module_utils from source
again, about 60 ms of CPU on a small host, as much as all the rest engine_info does on a re-run.
Importing this module first (every module of the collection does) keeps each compiled file in a
private directory of the remote user, ``~/.cache/dockhand.docker/bytecode``, named by the hash of
the interpreter's bytecode version, the module's name and its source; the next call loads it from
there. It does what Python's own ``__pycache__`` does for files on disk.

Only the collection's module_utils, only when they come from a zip. A cache it cannot trust (not
the user's own, open to group or others) or use (no home, a read-only or full disk, a damaged
entry) is passed over: the module compiles as before, and never fails because of the cache.
``DOCKHAND_BYTECODE_CACHE=off`` in the module's environment turns it off.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import marshal
import os
import stat
import sys
import zipimport
from importlib.machinery import ModuleSpec
from importlib.util import MAGIC_NUMBER

PACKAGE = 'ansible_collections.dockhand.docker.plugins.module_utils.'
DIRECTORY = os.path.join('~', '.cache', 'dockhand.docker', 'bytecode')
# Entries kept: a collection version writes about 40; the oldest written go beyond this.
KEEP = 300
SWITCH = 'DOCKHAND_BYTECODE_CACHE'


def entry_name(module_name, source):
    """The cache file's name for ``module_name`` compiled from ``source`` (bytes) by this interpreter."""
    digest = hashlib.sha256(MAGIC_NUMBER)
    digest.update(module_name.encode('utf-8') + b'\0')
    digest.update(source)
    return digest.hexdigest()


def own_directory(path, others_may=0):
    """Whether ``path`` is a directory (not a link) of this user, with no access by group and others
    beyond the ``others_may`` mode bits."""
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid() and not info.st_mode & 0o077 & ~others_may


class CachedLoader:
    """Loads one module_utils file from the zip, its code from the cache when there."""

    def __init__(self, zip_loader, origin, finder):
        self.zip_loader = zip_loader
        self.origin = origin
        self.finder = finder

    def create_module(self, spec):
        return None  # the default module object

    def exec_module(self, module):
        source = self.get_source(module.__name__)
        if source is None:  # compiled files only in the zip: not Ansible's payload
            exec(self.zip_loader.get_code(module.__name__), module.__dict__)
            return
        source = source.encode('utf-8')
        path = os.path.join(self.finder.directory, entry_name(module.__name__, source))
        code = self.read(path)
        if code is None:
            code = compile(source, self.origin, 'exec', dont_inherit=True)
            self.finder.unwritten.append((path, code))
        self.finder.depth += 1
        try:
            exec(code, module.__dict__)
        finally:
            self.finder.depth -= 1
        if not self.finder.depth:
            self.finder.write_unwritten()

    def get_source(self, name):  # for tracebacks (linecache)
        return self.zip_loader.get_source(name)

    def read(self, path):
        try:
            with open(path, 'rb') as stream:
                info = os.fstat(stream.fileno())
                if info.st_uid != os.geteuid() or info.st_mode & 0o077:
                    return None
                code = marshal.loads(stream.read())
        except (OSError, EOFError, ValueError, TypeError):
            return None
        # The file names in tracebacks are this call's (the payload's path changes every call).
        fix_filename = getattr(sys.modules.get('_imp'), '_fix_co_filename', None)
        if fix_filename is not None:
            fix_filename(code, self.origin)
        return code


def prune(directory, keep=KEEP):
    """Remove the oldest written entries beyond ``keep``."""
    entries = []
    for name in os.listdir(directory):
        try:
            entries.append((os.lstat(os.path.join(directory, name)).st_mtime, name))
        except OSError:
            pass
    for _mtime, name in sorted(entries)[:-keep] if len(entries) > keep else []:
        try:
            os.unlink(os.path.join(directory, name))
        except OSError:
            pass


class CacheFinder:
    """Wraps the loader of the collection's module_utils found in a zip; leaves all else alone."""

    def __init__(self, directory):
        self.directory = directory
        # Compiled, to write once the outermost import is done: the writer (files) and what it
        # imports may be among them, and a module can only be used once whole.
        self.unwritten = []
        self.depth = 0

    # The spec is made here rather than by zipimport's own find_spec, which compiles the module to
    # learn its file name (and its loader compiles it again to run it).
    def find_spec(self, name, path=None, target=None):
        if not name.startswith(PACKAGE) or not path:
            return None
        leaf = name.rpartition('.')[2]
        for entry in path:
            importer = sys.path_importer_cache.get(entry)
            if not isinstance(importer, zipimport.zipimporter):
                continue
            try:
                if importer.is_package(name):
                    return None
            except zipimport.ZipImportError:
                continue
            origin = os.path.join(entry, leaf + '.py')
            spec = ModuleSpec(name, CachedLoader(importer, origin, self), origin=origin)
            spec.has_location = True
            return spec
        return None

    def write_unwritten(self):
        unwritten, self.unwritten = self.unwritten, []
        if not unwritten:
            return
        try:
            # Imported here, through this cache: most calls write nothing.
            from ansible_collections.dockhand.docker.plugins.module_utils.files import write_atomically
            for path, code in unwritten:
                write_atomically(path, data=marshal.dumps(code), private=True, directory_mode=0o700)
            prune(self.directory)
        except Exception:  # pylint: disable=broad-except
            pass  # a cache that cannot be written only costs the compile next time


def install(directory=DIRECTORY, environ=None):
    """Put the finder first on ``sys.meta_path`` unless turned off or the directory is not safe to use."""
    environ = os.environ if environ is None else environ
    if environ.get(SWITCH, '').lower() in ('0', 'off', 'false', 'no'):
        return None
    if any(isinstance(finder, CacheFinder) for finder in sys.meta_path):
        return None
    directory = os.path.expanduser(directory)
    if not os.path.isabs(directory):
        return None  # no home directory
    # Created private; one that exists must be the user's and private too (it is trusted with code),
    # in a directory nobody else can write (or they could rename it away and put theirs).
    try:
        os.makedirs(os.path.dirname(directory), mode=0o700, exist_ok=True)
        os.mkdir(directory, 0o700)
    except OSError:
        pass
    if not own_directory(directory) or not own_directory(os.path.dirname(directory), others_may=0o055):
        return None
    finder = CacheFinder(directory)
    sys.meta_path.insert(0, finder)
    return finder


# Only in a module running from Ansible's zip: imported anywhere else (tests, the controller), nothing.
if isinstance(globals().get('__loader__'), zipimport.zipimporter):
    install()
