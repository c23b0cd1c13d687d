"""swarm_info on a real 3-manager + 1-worker swarm of lab nodes, formed here with the CLI."""
import json

import jmespath
import pytest

from ansible_runner import run_playbook
from swarm_tools import node_docker

pytestmark = pytest.mark.lab


@pytest.fixture(scope="module")
def swarm(lab_nodes):
    """Managers: nodes 1-3 (the first 20.10, the third 26.1 when the lab is mixed); worker: node 4."""
    nodes = lab_nodes["nodes"]
    managers, worker = nodes[:3], nodes[3]
    first = managers[0]
    try:
        node_docker(first["name"], "swarm", "init", "--advertise-addr", first["address"])
        manager_token = node_docker(first["name"], "swarm", "join-token", "-q", "manager")
        worker_token = node_docker(first["name"], "swarm", "join-token", "-q", "worker")
        for node in managers[1:]:
            node_docker(node["name"], "swarm", "join", "--advertise-addr", node["address"], "--token",
                        manager_token, "%s:2377" % first["address"])
        node_docker(worker["name"], "swarm", "join", "--advertise-addr", worker["address"], "--token",
                    worker_token, "%s:2377" % first["address"])
        yield dict(managers=[node["name"] for node in managers], worker=worker["name"],
                   tokens=(manager_token, worker_token))
    finally:
        for node in nodes:
            node_docker(node["name"], "swarm", "leave", "--force", check=False)


def test_quorum_and_nodes_from_every_manager(lab_nodes, swarm):
    task = {"name": "swarm", "dockhand.docker.swarm_info": {}}
    run = run_playbook([task], hosts=":".join(swarm["managers"] + [swarm["worker"]]), inventory=lab_nodes)
    assert run.returncode == 0, run.stdout[-3000:]
    cluster_ids = set()
    for manager in swarm["managers"]:
        result = run.result(manager)
        assert result["state"] == "active" and result["is_manager"] is True
        assert result["quorum"] == {"managers": 3, "reachable_managers": 3, "majority": 2, "fault_tolerance": 1,
                                    "has_quorum": True, "leader": swarm["managers"][0], "healthy": True}
        assert sorted(node["hostname"] for node in result["nodes"]) == sorted(swarm["managers"] + [swarm["worker"]])
        assert [node["role"] for node in result["nodes"]] == ["manager"] * 3 + ["worker"]
        # The selection operators write with json_query (JMESPath) works on the result as it is.
        assert jmespath.search("nodes[?role=='manager' && reachability=='reachable'].hostname", result) \
            == swarm["managers"]
        assert jmespath.search("nodes[?leader].hostname | [0]", result) == result["quorum"]["leader"]
        assert "join_tokens" not in result
        cluster_ids.add(result["swarm"]["id"])
    assert len(cluster_ids) == 1
    cli = json.loads(node_docker(swarm["managers"][0], "info", "--format", "{{json .Swarm.Cluster.ID}}"))
    assert cluster_ids == {cli}
    worker = run.result(swarm["worker"])
    assert worker["state"] == "active" and worker["is_manager"] is False and "nodes" not in worker


def test_join_tokens_only_when_asked_and_hidden_with_no_log(lab_nodes, swarm):
    manager = swarm["managers"][1]
    task = {"name": "tokens", "dockhand.docker.swarm_info": {"join_tokens": True}, "no_log": True,
            "register": "swarm_tokens"}
    check = {"name": "check", "ansible.builtin.assert": {"that": [
        "swarm_tokens.join_tokens.manager == '%s'" % swarm["tokens"][0],
        "swarm_tokens.join_tokens.worker == '%s'" % swarm["tokens"][1]], "quiet": True}, "no_log": True}
    run = run_playbook([task, check], hosts=manager, inventory=lab_nodes, extra_args=["-vvv"])
    assert run.returncode == 0, run.stdout[-3000:]
    for token in swarm["tokens"]:
        assert token not in run.stdout + run.stderr
