from ansible_collections.dockhand.docker.plugins.modules.engine_package import parse_madison, shown

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
