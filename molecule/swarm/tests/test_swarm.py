"""The swarm the role formed, as the docker CLI on each node sees it."""
import json

MANAGERS = ["dh-swarm-node1", "dh-swarm-node2", "dh-swarm-node3"]
ALL_NODES = MANAGERS + ["dh-swarm-node4", "dh-swarm-node5"]


def swarm_info(host):
    return json.loads(host.check_output("docker info --format '{{json .Swarm}}'"))


def test_every_node_is_active_in_one_swarm_with_its_inventory_role(host):
    info = swarm_info(host)
    name = host.check_output("hostname")
    assert info["LocalNodeState"] == "active"
    assert info["ControlAvailable"] is (name in MANAGERS)


def test_every_manager_lists_all_nodes_ready_with_one_leader(host):
    name = host.check_output("hostname")
    if name not in MANAGERS:
        return
    lines = host.check_output("docker node ls --format '{{json .}}'").splitlines()
    nodes = [json.loads(line) for line in lines]
    assert sorted(node["Hostname"] for node in nodes) == ALL_NODES
    assert all(node["Status"] == "Ready" for node in nodes)
    statuses = sorted(node["ManagerStatus"] for node in nodes if node["ManagerStatus"])
    assert statuses == ["Leader", "Reachable", "Reachable"]
    assert sorted(node["Hostname"] for node in nodes if node["ManagerStatus"]) == MANAGERS


def test_nodes_carry_their_labels(host):
    name = host.check_output("hostname")
    if name not in MANAGERS:
        return
    for node in ALL_NODES:
        labels = json.loads(host.check_output("docker node inspect --format '{{json .Spec.Labels}}' %s" % node))
        assert labels == {"lab.role": "manager" if node in MANAGERS else "worker"}
