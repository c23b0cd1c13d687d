"""dockhand.docker.network with overlay networks on the 5-node lab formed into a 3 + 2 swarm by the collection's
swarm role: managers node1, node2 (Docker 20.10) and node4 (Docker 26.1), workers node3 (20.10) and node5 (26.1).
The docker CLI inside the nodes is the independent check. Services use endpoint_mode dnsrr: no IPVS here."""
import json
import subprocess
import time

import pytest

from ansible_runner import run_playbook
from swarm_tools import node_docker, reset_swarm, wait_for

pytestmark = pytest.mark.lab

NODES = ["dockhand-node%d" % i for i in range(1, 6)]
NODE1, NODE2, NODE3, NODE4, NODE5 = NODES
IMAGE = "dockhand-test/busybox:latest"
NET = "dockhand-net-overlay"
SERVICE = "dockhand-net-svc"
LOCAL = "dockhand-net-local"
OVERLAY = {"name": NET, "driver": "overlay", "attachable": True, "encrypted": True, "labels": {"tier": "app"},
           "ipam": {"config": [{"subnet": "10.232.0.0/24", "gateway": "10.232.0.1"}]}}


@pytest.fixture(scope="module")
def swarm(lab_nodes, tmp_path_factory):
    """One 3 + 2 swarm for the whole module, formed by the swarm role, with managers of both versions."""
    reset_swarm(NODES)
    address = dict((node["name"], node["address"]) for node in lab_nodes["nodes"])

    def hosts(names):
        return dict((host, {"lab_address": address[host]}) for host in names)
    inventory = tmp_path_factory.mktemp("network-lab") / "inventory.json"
    inventory.write_text(json.dumps({"all": {"children": {"lab_nodes": {
        "vars": {"ansible_connection": "community.docker.docker", "ansible_python_interpreter": "/usr/bin/python3",
                 "swarm_advertise_addr": "{{ lab_address }}"},
        "children": {"swarm_managers": {"hosts": hosts([NODE1, NODE2, NODE4])},
                     "swarm_workers": {"hosts": hosts([NODE3, NODE5])}}}}}}))
    formed = run_playbook(None, inventory=str(inventory), plays=[{
        "name": "swarm", "hosts": "lab_nodes", "gather_facts": False, "roles": ["dockhand.docker.swarm"]}])
    assert formed.returncode == 0, formed.failed_messages()
    yield str(inventory)
    node_docker(NODE1, "service", "rm", SERVICE, check=False)
    reset_swarm(NODES)


def run(inventory, host, args, extra_args=()):
    done = run_playbook([{"name": "network", "dockhand.docker.network": args}], hosts=host, inventory=inventory,
                        extra_args=extra_args)
    return done, done.result(host)


AMBIGUOUS = []  # seconds a name stayed ambiguous after a recreate (a node's stale copy of the old network)


def inspect(node, name):
    """`docker network inspect` in ``node``: None when there is no such network; any other error fails.

    Just after a recreate, a node that ran tasks on the old network still has it for a while and the
    name is ambiguous there; that is waited out (and the time kept in AMBIGUOUS)."""
    started = time.monotonic()
    while True:
        proc = subprocess.run(["docker", "exec", node, "docker", "network", "inspect", name], capture_output=True,
                              text=True, check=False, timeout=60)
        found = json.loads(proc.stdout or "[]")
        if found or "not found" in proc.stderr or "No such network" in proc.stderr:
            break
        if "ambiguous" not in proc.stderr or time.monotonic() - started > 90:
            raise AssertionError("%s: docker network inspect %s: %s" % (node, name, proc.stderr))
        time.sleep(1)
    if time.monotonic() - started > 1:
        AMBIGUOUS.append(time.monotonic() - started)
    return found[0] if found else None


def service_networks(node):
    spec = json.loads(node_docker(node, "service", "inspect", SERVICE))[0]["Spec"]
    return spec["TaskTemplate"].get("Networks") or []


def tasks_running_on(node, network_id):
    """The service's running tasks, when all 2 are running attached to ``network_id``."""
    tasks = [json.loads(line) for line in node_docker(node, "service", "ps", SERVICE, "--filter",
                                                      "desired-state=running", "--format", "{{json .}}").splitlines()]
    if len(tasks) != 2 or any(not task["CurrentState"].startswith("Running") for task in tasks):
        return False
    attached = [json.loads(node_docker(node, "inspect", "--format", "{{json .NetworksAttachments}}", task["ID"]))
                for task in tasks]
    return all(any(entry["Network"]["ID"] == network_id for entry in entries or ()) for entries in attached)


def test_an_overlay_on_a_worker_fails_in_one_line(swarm):
    done, result = run(swarm, NODE3, OVERLAY)
    assert done.returncode != 0 and "\n" not in result["msg"]
    assert result["msg"] == ("%s: an overlay network is made on a swarm manager, and this engine is a swarm worker; "
                             "run the task on a manager (dockhand.docker.swarm makes one)" % NET)
    assert inspect(NODE1, NET) is None


def test_attachable_encrypted_overlay_idempotent_on_both_versions(swarm):
    check, result = run(swarm, NODE1, OVERLAY, extra_args=["--check"])
    assert result["network"]["action"] == "created" and inspect(NODE1, NET) is None
    made, result = run(swarm, NODE1, OVERLAY)
    assert made.returncode == 0, made.failed_messages()
    network = inspect(NODE4, NET)
    assert result["network"]["id"] == network["Id"] and network["Scope"] == "swarm"
    assert network["Attachable"] is True and "encrypted" in network["Options"]
    assert network["Labels"] == {"tier": "app"}
    assert network["IPAM"]["Config"] == [{"Subnet": "10.232.0.0/24", "Gateway": "10.232.0.1"}]
    for manager in (NODE1, NODE4, NODE2):
        again, result = run(swarm, manager, OVERLAY)
        assert result["changed"] is False and result["network"]["id"] == network["Id"], (manager, result)


def test_a_service_on_the_overlay_makes_a_change_refused_and_force_moves_it(swarm, lab_nodes):
    run(swarm, NODE1, OVERLAY)
    before = inspect(NODE1, NET)["Id"]
    node_docker(NODE1, "service", "create", "--detach", "--no-resolve-image", "--name", SERVICE, "--endpoint-mode",
                "dnsrr", "--replicas", "2", "--network", "name=%s,alias=web" % NET, IMAGE, "sleep", "3600")
    wait_for("the service's 2 tasks on the overlay", lambda: tasks_running_on(NODE1, before), timeout=120)
    node_docker(NODE4, "run", "-d", "--name", LOCAL, "--network", NET, "--network-alias", "local", IMAGE,
                "sleep", "3600")
    changed = dict(OVERLAY, labels={"tier": "app", "v": "2"})

    refused, result = run(swarm, NODE4, changed)
    assert refused.returncode != 0 and "\n" not in result["msg"]
    assert "must be recreated to change labels, but it is in use by container %s (aliases local; 10.232.0." % LOCAL \
        in result["msg"] and "service %s; nothing was changed" % SERVICE in result["msg"]
    assert inspect(NODE1, NET)["Id"] == before and service_networks(NODE1)[0]["Target"] == before

    started = time.monotonic()
    forced, result = run(swarm, NODE4, dict(changed, force=True))
    took = time.monotonic() - started
    assert forced.returncode == 0, forced.failed_messages()
    entry = result["network"]
    now = inspect(NODE1, NET)
    assert entry["action"] == "recreated" and entry["id"] == now["Id"] != before
    assert now["Labels"] == {"tier": "app", "v": "2"} and "encrypted" in now["Options"] and now["Attachable"]
    assert [(item["type"], item["name"]) for item in entry["detached"]] == [("container", LOCAL), ("service", SERVICE)]
    assert [(item["type"], item["name"], item.get("aliases")) for item in entry["reattached"]] == [
        ("container", LOCAL, ["local"]), ("service", SERVICE, ["web"])]
    assert service_networks(NODE1) == [{"Target": now["Id"], "Aliases": ["web"]}]
    local = json.loads(node_docker(NODE4, "inspect", LOCAL))[0]["NetworkSettings"]["Networks"][NET]
    assert local["NetworkID"] == now["Id"] and local["Aliases"][0] == "local"
    wait_for("the service's tasks back on the new overlay", lambda: tasks_running_on(NODE1, now["Id"]), timeout=120)
    print("\nforced recreate of an overlay with a 2-task service and a container: %.1f s; the name ambiguous on a "
          "manager for %s s afterwards" % (took, ", ".join("%.0f" % seconds for seconds in AMBIGUOUS) or "0"))

    again, result = run(swarm, NODE1, dict(changed, force=True))
    assert result["changed"] is False and result["network"]["id"] == now["Id"]

    absent, result = run(swarm, NODE1, {"name": NET, "state": "absent"})
    assert absent.returncode != 0 and "is to be removed, but it is in use by service %s" % SERVICE in result["msg"]
    # From node1, the container on node4 is not seen before the removal; the swarm names its attachment, and
    # the task fails at once, the service back on the network, which stays.
    started = time.monotonic()
    blocked, result = run(swarm, NODE1, {"name": NET, "state": "absent", "force": True})
    local_id = json.loads(node_docker(NODE4, "inspect", LOCAL))[0]["Id"]
    assert blocked.returncode != 0 and result["msg"] == (
        "%s: network %s is in use by container %s on node %s, which this task did not detach; disconnect it first; "
        "the network stays as it was; reattached service %s" % (NET, NET, local_id[:12], NODE4, SERVICE))
    assert time.monotonic() - started < 60
    assert inspect(NODE1, NET)["Id"] == now["Id"]
    assert service_networks(NODE1) == [{"Target": now["Id"], "Aliases": ["web"]}]
    node_docker(NODE4, "rm", "-f", LOCAL)
    removed, result = run(swarm, NODE1, {"name": NET, "state": "absent", "force": True})
    assert removed.returncode == 0, removed.failed_messages()
    assert result["network"]["action"] == "removed" and result["network"]["reattached"] == []
    assert result["network"]["detached"] == [{"type": "service", "name": SERVICE, "id": result["network"][
        "detached"][0]["id"], "aliases": ["web"]}]
    # The swarm's store no longer has it; node1, whose tasks were attached a moment ago, may still show its
    # own copy of the network until their attachments are cleaned up (one CI run saw it right after the
    # removal): it must be gone within a minute.
    assert service_networks(NODE1) == []
    started = time.monotonic()
    wait_for("%s gone from %s's view" % (NET, NODE1), lambda: inspect(NODE1, NET) is None, timeout=60)
    print("the removed overlay left %s's view after %.1f s" % (NODE1, time.monotonic() - started))
