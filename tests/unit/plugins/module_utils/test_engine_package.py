import pytest

from ansible_collections.dockhand.docker.plugins.module_utils import engine_package
from ansible_collections.dockhand.docker.plugins.module_utils.engine_package import parse_madison, shown
from ansible_collections.dockhand.docker.plugins.module_utils.errors import InvalidValue

MADISON = """ docker.io | 20.10.24+dfsg1-1+deb12u1+b6 | http://172.30.77.1:8790 ./ Packages
 docker.io | 20.10.24+dfsg1-1+deb12u1+b6+dockhand1 | http://172.30.77.1:8790 ./ Packages
 docker.io | 20.10.24+dfsg1-1+deb12u1+b6 | http://deb.debian.org/debian bookworm/main amd64 Packages
docker-doc | 20.10.24+dfsg1-1+deb12u1 | http://deb.debian.org/debian bookworm/main amd64 Packages
 docker.io | 1:0.9-1 | http://example.org ./ Packages
N: something else
"""


def test_parse_madison_newest_first_each_once():
    assert parse_madison(MADISON, "docker.io") == [
        "1:0.9-1", "20.10.24+dfsg1-1+deb12u1+b6+dockhand1", "20.10.24+dfsg1-1+deb12u1+b6"]
    assert parse_madison("", "docker.io") == []


def test_shown():
    assert shown("docker.io", None, False) == "docker.io not installed\n"
    assert shown("docker.io", "1.0-1", True) == "docker.io 1.0-1 (held)\n"
    assert shown("docker.io", "1.0-1", False) == "docker.io 1.0-1\n"


ORIGINAL = "20.10.24+dfsg1-1+deb12u1+b6"
BUMPED = ORIGINAL + "+dockhand1"


class FakeHost(object):
    """The module's view of a host: dpkg's record of the package, what apt offers, the commands run.
    restart=True: the module then writes no policy-rc.d (which would be this machine's)."""

    def __init__(self, version, held, offered, offered_after_update=None, check_mode=False):
        self.version, self.held, self.offered = version, held, list(offered)
        self.offered_after_update = offered_after_update
        self.check_mode, self._diff, self.commands = check_mode, True, []
        self.params = dict(name="docker.io", version=None, change_version=True, restart=True)

    def run_command(self, args, environ_update=None):
        self.commands.append(args[0] if args[0] != "apt-get" else " ".join(args[:2]))
        if args[0] == "dpkg-query":
            if self.version is None:
                return 1, "", "no packages found"
            return 0, "%s ok installed\t%s" % ("hold" if self.held else "install", self.version), ""
        if args[0] == "apt-cache":
            return 0, "".join(" docker.io | %s | http://repo ./ Packages\n" % v for v in self.offered), ""
        if args[:2] == ["apt-get", "update"]:
            if self.offered_after_update is not None:
                self.offered = self.offered_after_update
            return 0, "", ""
        if args[:2] == ["apt-get", "install"]:
            self.version = args[-1].partition("=")[2]
            return 0, "", ""
        if args[0] == "apt-mark":
            self.held = True
            return 0, "", ""
        raise AssertionError(args)


def work(host, **params):
    host.params.update(params)
    return engine_package.work(host)


def test_upgrade_to_the_newest_matching_and_hold():
    host = FakeHost(ORIGINAL, False, [ORIGINAL, BUMPED])
    result = work(host, version="20.10.24+dfsg1-1+deb12u1+b6+")
    assert result["changed"] and result["version"] == BUMPED and host.version == BUMPED and host.held
    assert result["diff"]["before"] == "docker.io %s\n" % ORIGINAL
    assert result["diff"]["after"] == "docker.io %s (held)\n" % BUMPED


def test_a_version_offered_exactly_is_taken_though_a_longer_one_is_installed():
    host = FakeHost(BUMPED, True, [ORIGINAL, BUMPED])
    result = work(host, version=ORIGINAL)
    assert result["changed"] and host.version == ORIGINAL


def test_the_wanted_version_installed_and_held_asks_no_repository():
    host = FakeHost(BUMPED, True, [])
    result = work(host, version=BUMPED)
    assert not result["changed"] and host.commands == ["dpkg-query", "dpkg-query"]


def test_plan_only_holds_and_reports_the_pending_version():
    host = FakeHost(ORIGINAL, False, [ORIGINAL, BUMPED])
    result = work(host, version=BUMPED, change_version=False)
    assert result["version_pending"] and result["version"] == BUMPED and result["installed"] == ORIGINAL
    assert host.version == ORIGINAL and host.held and result["changed"]
    assert result["diff"]["after"] == "docker.io %s (held)\n" % ORIGINAL


def test_check_mode_changes_nothing_and_tells_the_versions():
    host = FakeHost(ORIGINAL, False, [ORIGINAL, BUMPED], check_mode=True)
    result = work(host, version=BUMPED)
    assert result["changed"] and host.version == ORIGINAL and not host.held
    assert "apt-get install" not in host.commands and "apt-mark" not in host.commands


def test_the_index_is_refreshed_once_before_a_refusal():
    host = FakeHost(ORIGINAL, False, [ORIGINAL], offered_after_update=[ORIGINAL, BUMPED])
    assert work(host, version=BUMPED)["version"] == BUMPED
    assert host.commands.count("apt-get update") == 1


def test_a_version_no_repository_offers_is_refused_in_one_line_changing_nothing():
    host = FakeHost(ORIGINAL, False, [ORIGINAL, BUMPED])
    with pytest.raises(InvalidValue) as refused:
        work(host, version="99.1")
    message = refused.value.msg
    assert "\n" not in message and "99.1" in message and ORIGINAL in message and BUMPED in message
    assert "nothing was changed" in message
    assert host.version == ORIGINAL and not host.held
    assert "apt-get install" not in host.commands and "apt-mark" not in host.commands


def test_an_empty_version_is_refused():
    with pytest.raises(InvalidValue, match="version"):
        work(FakeHost(ORIGINAL, False, []), version=" ")
