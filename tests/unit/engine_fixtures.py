"""Recorded engine answers (tests/unit/fixtures/, see its README.md) for the planners' unit tests.

    from ansible_collections.dockhand.docker.tests.unit.engine_fixtures import ENGINES, load
    container = load('engine-20.10', 'limits')

Each call returns a fresh copy, so a test may change what it gets.
"""
import importlib.util
import json
import os

FIXTURES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fixtures')

# One directory per engine version of the lab: Docker 20.10 (Debian 12 nodes), Docker 26.1 (Debian 13 nodes).
ENGINES = ('engine-20.10', 'engine-26.1')


def load(engine, name):
    """The engine's JSON answer recorded as ``<engine>/<name>.json`` (e.g. 'engine-26.1', 'info-leader')."""
    with open(os.path.join(FIXTURES_DIR, engine, name + '.json')) as handle:
        return json.load(handle)


def names(engine):
    """Every fixture recorded for ``engine``, without the .json."""
    return sorted(entry[:-5] for entry in os.listdir(os.path.join(FIXTURES_DIR, engine)) if entry.endswith('.json'))


_RECORDING = []


def recording():
    """tools/record_fixtures.py as a module (loaded once): the items and options the fixtures were made with."""
    if not _RECORDING:
        path = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                            'tools', 'record_fixtures.py')
        spec = importlib.util.spec_from_file_location('record_fixtures', path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _RECORDING.append(module)
    return _RECORDING[0]
