"""The bytecode cache of module_utils imported from a zip (module_utils/bytecode_cache.py).

Each case runs a fresh interpreter that imports the collection's module_utils from a zip laid out
as Ansible's AnsiballZ payload is, with HOME in a temporary directory, and reports which files it
compiled (builtins.compile watched) and what the cache directory holds.
"""
import json
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from ansible_collections.dockhand.docker.plugins.module_utils import bytecode_cache

MODULE_UTILS = Path(bytecode_cache.__file__).parent
PACKAGE_DIR = 'ansible_collections/dockhand/docker/plugins/module_utils/'

# Imports daemon_config (and through it frame, files, errors, ...) as engine_info does, after the
# cache module; prints what was compiled from the zip and the cache directory's entries and modes.
RUNNER = r'''
import builtins, json, os, stat, sys
sys.path.insert(0, sys.argv[1])
compiled = []
real_compile = builtins.compile
def watching(source, filename, *args, **kwargs):
    # The packages' empty __init__ files and the cache module itself come through zipimport.
    if '.zip' in str(filename) and os.path.basename(str(filename)) not in ('__init__.py', 'bytecode_cache.py'):
        compiled.append(os.path.basename(str(filename)))
    return real_compile(source, filename, *args, **kwargs)
builtins.compile = watching
import importlib
for name in sys.argv[2].split(','):
    importlib.import_module('ansible_collections.dockhand.docker.plugins.module_utils.' + name)
directory = os.path.expanduser('~/.cache/dockhand.docker/bytecode')
entries = sorted(os.listdir(directory)) if os.path.isdir(directory) else None
modes = dict((name, stat.S_IMODE(os.stat(os.path.join(directory, name)).st_mode)) for name in entries or [])
print(json.dumps(dict(compiled=sorted(compiled), entries=entries, modes=modes,
                      directory_mode=stat.S_IMODE(os.stat(directory).st_mode) if entries is not None else None)))
'''


def write_payload(path, changed=None):
    """A zip holding the collection's module_utils under ansible_collections/... (as AnsiballZ does),
    with the ``changed`` {file name: source} in place of theirs."""
    changed = changed or {}
    with zipfile.ZipFile(str(path), 'w') as archive:
        for package in ('ansible_collections/', 'ansible_collections/dockhand/', 'ansible_collections/dockhand/docker/',
                        'ansible_collections/dockhand/docker/plugins/', PACKAGE_DIR):
            archive.writestr(package + '__init__.py', '')
        for source in sorted(MODULE_UTILS.glob('*.py')):
            if source.name in changed:
                archive.writestr(PACKAGE_DIR + source.name, changed[source.name])
            elif source.name != '__init__.py':
                archive.write(str(source), PACKAGE_DIR + source.name)
    return path


@pytest.fixture
def payload(tmp_path):
    return write_payload(tmp_path / 'payload.zip')


def run(payload, home, modules='bytecode_cache,daemon_config', **environ):
    env = dict(os.environ, HOME=str(home), **environ)
    env.pop('PYTHONPATH', None)
    proc = subprocess.run([sys.executable, '-I', '-c', RUNNER, str(payload), modules], env=env,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_the_second_import_compiles_nothing_of_the_collection(payload, tmp_path):
    first = run(payload, tmp_path)
    assert 'daemon_config.py' in first['compiled'] and 'files.py' in first['compiled']
    # Each file compiled once (zipimport alone compiles twice: once to name the file) and kept, the
    # writer's own modules (files, errors) included.
    assert len(first['entries']) == len(first['compiled']) == len(set(first['compiled']))
    assert first['directory_mode'] == 0o700
    assert set(first['modes'].values()) == {0o600}
    second = run(payload, tmp_path)
    assert second['compiled'] == []
    assert second['entries'] == first['entries']


def test_a_changed_source_gets_its_own_entry(payload, tmp_path):
    first = run(payload, tmp_path)
    write_payload(payload, {'plan.py': (MODULE_UTILS / 'plan.py').read_text() + '\n# changed\n'})
    second = run(payload, tmp_path)
    assert second['compiled'] == ['plan.py']
    assert set(second['entries']) > set(first['entries'])


def test_turned_off_by_the_environment(payload, tmp_path):
    result = run(payload, tmp_path, DOCKHAND_BYTECODE_CACHE='off')
    assert result['entries'] is None
    assert 'daemon_config.py' in run(payload, tmp_path, DOCKHAND_BYTECODE_CACHE='off')['compiled']


@pytest.mark.parametrize('mode', [0o777, 0o755, 0o720])
def test_a_directory_others_can_reach_is_not_used(payload, tmp_path, mode):
    directory = tmp_path / '.cache' / 'dockhand.docker' / 'bytecode'
    directory.mkdir(parents=True)
    directory.chmod(mode)
    run(payload, tmp_path)
    assert os.listdir(str(directory)) == []
    assert 'daemon_config.py' in run(payload, tmp_path)['compiled']


def test_a_parent_others_can_write_is_not_used(payload, tmp_path):
    parent = tmp_path / '.cache' / 'dockhand.docker'
    parent.mkdir(parents=True)
    parent.chmod(0o777)
    run(payload, tmp_path)
    assert not (parent / 'bytecode').exists() or os.listdir(str(parent / 'bytecode')) == []


def test_an_entry_open_to_others_or_damaged_is_compiled_again(payload, tmp_path):
    first = run(payload, tmp_path)
    directory = tmp_path / '.cache' / 'dockhand.docker' / 'bytecode'
    entries = [directory / name for name in first['entries']]
    entries[0].chmod(0o644)
    entries[1].write_bytes(b'not marshal data')
    second = run(payload, tmp_path)
    assert len(second['compiled']) == 2  # the two entries it could not use
    # Both were written again, private.
    assert run(payload, tmp_path)['compiled'] == []
    assert stat.S_IMODE(entries[0].stat().st_mode) == 0o600


def test_no_home_directory_means_no_cache():
    # Here, not in a payload's interpreter: there the import has installed the finder already, and
    # install() would answer None for that reason instead of this one.
    meta_path = list(sys.meta_path)
    assert bytecode_cache.install(directory='relative/dir', environ={}) is None
    assert sys.meta_path == meta_path


def test_tracebacks_name_this_call_s_payload(payload, tmp_path):
    run(payload, tmp_path)
    moved = tmp_path / 'elsewhere.zip'
    payload.rename(moved)
    script = ('import sys; sys.path.insert(0, sys.argv[1]); '
              'from ansible_collections.dockhand.docker.plugins.module_utils import bytecode_cache; '
              'from ansible_collections.dockhand.docker.plugins.module_utils import units; '
              'print(units.__loader__.__class__.__name__, units.parse_size.__code__.co_filename)')
    env = dict(os.environ, HOME=str(tmp_path))
    env.pop('PYTHONPATH', None)
    proc = subprocess.run([sys.executable, '-I', '-c', script, str(moved)], env=env, capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    loader, filename = proc.stdout.split()
    assert loader == 'CachedLoader'
    assert filename.startswith(str(moved))


def test_prune_keeps_the_newest(tmp_path):
    for index in range(5):
        entry = tmp_path / ('entry%d' % index)
        entry.write_bytes(b'')
        os.utime(str(entry), (1000 + index, 1000 + index))
    bytecode_cache.prune(str(tmp_path), keep=3)
    assert sorted(os.listdir(str(tmp_path))) == ['entry2', 'entry3', 'entry4']


def test_entry_names_depend_on_name_source_and_interpreter():
    assert bytecode_cache.entry_name('a', b'x') != bytecode_cache.entry_name('b', b'x')
    assert bytecode_cache.entry_name('a', b'x') != bytecode_cache.entry_name('a', b'y')
    assert len(bytecode_cache.entry_name('a', b'x')) == 64


def test_own_directory(tmp_path):
    assert bytecode_cache.own_directory(str(tmp_path)) is (not stat.S_IMODE(tmp_path.stat().st_mode) & 0o077)
    tmp_path.chmod(0o700)
    assert bytecode_cache.own_directory(str(tmp_path))
    tmp_path.chmod(0o755)
    assert not bytecode_cache.own_directory(str(tmp_path))
    assert bytecode_cache.own_directory(str(tmp_path), others_may=0o055)
    assert not bytecode_cache.own_directory(str(tmp_path / 'missing'))
