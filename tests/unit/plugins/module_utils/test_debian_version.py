import shutil
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.dockhand.docker.plugins.module_utils.debian_version import (
    compare_versions,
    newest,
    surely_in_sync,
    version_matches,
    wanted_version,
)

ORIGINAL = "20.10.24+dfsg1-1+deb12u1+b6"
BUMPED = ORIGINAL + "+dockhand1"
OFFERED = [ORIGINAL, BUMPED]


@pytest.mark.parametrize("left, right, expected", [
    ("1.0", "1.0", 0),
    ("1.0", "1.1", -1),
    ("1.10", "1.9", 1),
    ("1.0~rc1", "1.0", -1),
    ("1.0", "1.0+b1", -1),
    ("1:0.1", "2.0", 1),
    ("1.0-1", "1.0-2", -1),
    ("1.0-1", "1.0", 1),
    ("1.0a", "1.0+", -1),
    ("1.001", "1.1", 0),
    (ORIGINAL, BUMPED, -1),
    ("20.10.24+dfsg1-1+deb12u1", ORIGINAL, -1),
    ("26.1.5+dfsg1-9+b1", ORIGINAL, 1),
])
def test_compare_versions(left, right, expected):
    assert compare_versions(left, right) == expected


@pytest.mark.parametrize("first, second", [
    ("1.0~rc1", "1.0"), ("1.9", "1.10"), ("1.0", "1:0.1"), (ORIGINAL, BUMPED),
])
def test_compare_versions_is_antisymmetric(first, second):
    assert compare_versions(first, second) == -1
    assert compare_versions(second, first) == 1


@pytest.mark.parametrize("wanted, version, expected", [
    ("20.10.24", ORIGINAL, True),
    ("20.10", ORIGINAL, True),
    ("20", ORIGINAL, True),
    ("20.10.24+dfsg1-1", ORIGINAL, True),
    ("20.10.24+", ORIGINAL, True),
    (ORIGINAL, ORIGINAL, True),
    (ORIGINAL, BUMPED, True),
    ("20.10.2", ORIGINAL, False),
    ("20.10.24+dfsg", ORIGINAL, False),
    ("2", ORIGINAL, False),
    ("26.1", ORIGINAL, False),
    ("", ORIGINAL, False),
    ("1.2", "3:1.2.0-1", True),
    ("3:1.2", "3:1.2.0-1", True),
    ("1.2", None, False),
])
def test_version_matches(wanted, version, expected):
    assert version_matches(wanted, version) is expected


@pytest.mark.parametrize("wanted, installed, available, expected", [
    # a prefix: the newest offered version that matches, unless the installed one matches
    ("20.10.24", None, OFFERED, BUMPED),
    ("20.10.24", "20.10.5+dfsg1-1", OFFERED, BUMPED),
    ("20.10.24", ORIGINAL, OFFERED, ORIGINAL),
    # a version offered exactly is that version, though a longer one starts with it
    (ORIGINAL, BUMPED, OFFERED, ORIGINAL),
    (BUMPED, ORIGINAL, OFFERED, BUMPED),
    # installed and wanted, though no repository offers it (any more)
    ("20.10.5+dfsg1-1", "20.10.5+dfsg1-1", OFFERED, "20.10.5+dfsg1-1"),
    ("20.10.24+dfsg1-1+deb12u1", ORIGINAL, [], ORIGINAL),
    # nothing matches
    ("99.1", ORIGINAL, OFFERED, None),
    ("20.10.2", None, OFFERED, None),
    ("20.10.24", None, [], None),
])
def test_wanted_version(wanted, installed, available, expected):
    assert wanted_version(wanted, installed, available) == expected


@pytest.mark.parametrize("wanted, installed, expected", [
    ("20.10.24", ORIGINAL, True),
    ("20.10.24", BUMPED, True),
    (ORIGINAL, ORIGINAL, True),
    (BUMPED, BUMPED, True),
    # a whole version with a revision might be offered exactly: only the repositories can tell
    (ORIGINAL, BUMPED, False),
    (BUMPED, ORIGINAL, False),
    ("26.1", ORIGINAL, False),
    ("20.10.24", None, False),
    ("", ORIGINAL, False),
    # a native package (no revision): "1" may be offered exactly
    ("1", "1.0", False),
])
def test_surely_in_sync(wanted, installed, expected):
    assert surely_in_sync(wanted, installed) is expected


def test_newest():
    assert newest([]) is None
    assert newest([ORIGINAL, BUMPED, "20.10.24+dfsg1-1"]) == BUMPED
    assert newest(["1.0~rc1", "1.0"]) == "1.0"


PART = st.text(alphabet="0123456789abz.+~", min_size=1, max_size=8).filter(lambda text: text[0] in "0123456789")
VERSIONS = st.builds(
    lambda epoch, upstream, revision: "%s%s%s" % ("%d:" % epoch if epoch else "", upstream,
                                                  "-" + revision if revision else ""),
    st.integers(min_value=0, max_value=3), PART, st.one_of(st.just(""), PART))


@given(VERSIONS, VERSIONS, VERSIONS)
def test_compare_is_a_total_order(a, b, c):
    assert compare_versions(a, a) == 0
    assert compare_versions(a, b) == -compare_versions(b, a)
    if compare_versions(a, b) <= 0 and compare_versions(b, c) <= 0:
        assert compare_versions(a, c) <= 0


@pytest.mark.skipif(shutil.which("dpkg") is None, reason="dpkg is not installed")
@settings(max_examples=60, deadline=None)
@given(VERSIONS, VERSIONS)
def test_compare_agrees_with_dpkg(a, b):
    def dpkg(op):
        return subprocess.run(["dpkg", "--compare-versions", a, op, b], check=False).returncode == 0
    expected = -1 if dpkg("lt") else 1 if dpkg("gt") else 0
    assert compare_versions(a, b) == expected


@given(VERSIONS, st.lists(VERSIONS, max_size=5), st.one_of(st.none(), VERSIONS))
def test_wanted_version_matches_or_is_none(wanted, available, installed):
    chosen = wanted_version(wanted, installed, available)
    if chosen is None:
        assert not any(version_matches(wanted, version) for version in available)
    else:
        assert chosen == installed or chosen in available
        assert version_matches(wanted, chosen)
        if chosen != installed and wanted not in available:
            assert all(compare_versions(chosen, version) >= 0
                       for version in available if version_matches(wanted, version))


@given(VERSIONS, VERSIONS, st.lists(VERSIONS, max_size=5))
def test_surely_in_sync_means_no_change(wanted, installed, available):
    # the versions of one package all have a Debian revision, or none has
    available = [version for version in available if ("-" in version) == ("-" in installed)]
    if surely_in_sync(wanted, installed):
        assert wanted_version(wanted, installed, available) == installed
