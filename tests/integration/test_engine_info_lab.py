"""engine_info on every lab node: Debian's Docker SDK 5.0.3, reached through community.docker.docker."""
import pytest

from ansible_runner import run_playbook

pytestmark = pytest.mark.lab


def test_engine_info_on_every_node(lab_nodes):
    tasks = [{"name": "engine", "dockhand.docker.engine_info": {}}]
    run = run_playbook(tasks, hosts="lab_nodes", inventory=lab_nodes)
    assert run.returncode == 0, run.stdout[-3000:]
    hosts = run.hosts()
    assert sorted(hosts) == ["dockhand-node%d" % i for i in range(1, 6)]
    release = dict((node["name"], node["release"]) for node in lab_nodes["nodes"])
    assert sorted(release.values()) == ["bookworm"] * 3 + ["trixie"] * 2
    # (SDK, engine, API spoken): SDK 5.0.3 and a 20.10 engine both top out at API 1.41;
    # SDK 7.1 speaks at most 1.44, below the 1.45 a Docker 26 engine offers.
    expected = {"bookworm": ("5.0.3", "20.10.", "1.41"), "trixie": ("7.1.0", "26.1.", "1.44")}
    for name, result in hosts.items():
        engine = result["engine"]
        sdk, server, api = expected[release[name]]
        assert engine["name"] == name
        assert engine["sdk_version"] == sdk
        assert engine["server_version"].startswith(server)
        assert engine["api_version_used"] == api
        assert engine["swarm"]["state"] == "inactive"
        assert engine["storage_driver"]
        assert engine["images"] >= 1  # the test image the lab loads into every node
        assert result["changed"] is False
