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
    for name, result in hosts.items():
        engine = result["engine"]
        assert engine["name"] == name
        assert engine["sdk_version"] == "5.0.3"
        assert engine["server_version"].startswith("20.10.")
        # SDK 5.0.3 speaks at most API 1.41, which is also what a 20.10 engine offers.
        assert engine["api_version_used"] == "1.41"
        assert engine["swarm"]["state"] == "inactive"
        assert engine["storage_driver"]
        assert engine["images"] >= 1  # the test image the lab loads into every node
        assert result["changed"] is False
