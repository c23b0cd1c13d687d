"""Quorum arithmetic and the shape of swarm facts (no engine needed)."""
import pytest

from ansible_collections.dockhand.docker.plugins.module_utils.swarm import (
    fault_tolerance,
    majority,
    node_facts,
    quorum,
)


@pytest.mark.parametrize("managers, needed, tolerated", [
    (1, 1, 0), (2, 2, 0), (3, 2, 1), (4, 3, 1), (5, 3, 2), (6, 4, 2), (7, 4, 3), (0, 1, 0),
])
def test_majority_and_fault_tolerance(managers, needed, tolerated):
    assert majority(managers) == needed
    assert fault_tolerance(managers) == tolerated


def api_node(hostname, role, reachability=None, leader=False, state="ready"):
    node = {"ID": hostname.upper(), "Spec": {"Role": role, "Availability": "active", "Labels": {"zone": "a"}},
            "Description": {"Hostname": hostname, "Engine": {"EngineVersion": "26.1.5"}},
            "Status": {"State": state, "Addr": "172.30.77.1"}}
    if role == "manager":
        node["ManagerStatus"] = {"Reachability": reachability, "Leader": leader, "Addr": "172.30.77.1:2377"}
    return node


def test_node_facts_shape():
    facts = node_facts(api_node("n1", "manager", "reachable", leader=True))
    assert facts == {"id": "N1", "hostname": "n1", "role": "manager", "availability": "active", "status": "ready",
                     "address": "172.30.77.1", "labels": {"zone": "a"}, "engine_version": "26.1.5",
                     "leader": True, "reachability": "reachable", "manager_address": "172.30.77.1:2377"}
    worker = node_facts(api_node("w1", "worker"))
    assert worker["leader"] is False and worker["reachability"] is None


def test_healthy_three_managers():
    nodes = [node_facts(api_node("n%d" % i, "manager", "reachable", leader=i == 2)) for i in (1, 2, 3)]
    nodes.append(node_facts(api_node("w1", "worker")))
    assert quorum(nodes) == {"managers": 3, "reachable_managers": 3, "majority": 2, "fault_tolerance": 1,
                             "has_quorum": True, "leader": "n2", "healthy": True}


def test_one_manager_down_keeps_quorum_but_is_not_healthy():
    nodes = [node_facts(api_node("n1", "manager", "unreachable", state="down")),
             node_facts(api_node("n2", "manager", "reachable", leader=True)),
             node_facts(api_node("n3", "manager", "reachable"))]
    block = quorum(nodes)
    assert block["has_quorum"] is True and block["healthy"] is False and block["reachable_managers"] == 2


def test_lost_majority():
    nodes = [node_facts(api_node("n%d" % i, "manager", "unreachable" if i > 1 else "reachable")) for i in (1, 2, 3)]
    block = quorum(nodes)
    assert block == {"managers": 3, "reachable_managers": 1, "majority": 2, "fault_tolerance": 1,
                     "has_quorum": False, "leader": None, "healthy": False}
