import pytest

from ansible_collections.dockhand.docker.plugins.filter.engine_version import engine_version_in_sync

ORIGINAL = "20.10.24+dfsg1-1+deb12u1+b6"
BUMPED = ORIGINAL + "+dockhand1"


def package(version, held=True):
    return {"name": "docker.io", "version": version, "held": held}


@pytest.mark.parametrize("read, wanted, expected", [
    (package(ORIGINAL), "", True),
    (None, "", True),
    (None, None, True),
    (package(ORIGINAL), "20.10.24", True),
    (package(ORIGINAL), " 20.10.24 ", True),
    (package(ORIGINAL), ORIGINAL, True),
    (package(BUMPED), BUMPED, True),
    (package(ORIGINAL, held=False), ORIGINAL, False),
    (None, "20.10.24", False),
    (package(ORIGINAL), "26.1", False),
    # the repositories may offer ORIGINAL exactly: engine_package decides
    (package(BUMPED), ORIGINAL, False),
    ({"version": ORIGINAL}, ORIGINAL, False),
    ("20.10.24", "20.10.24", False),
])
def test_engine_version_in_sync(read, wanted, expected):
    assert engine_version_in_sync(read, wanted) is expected
