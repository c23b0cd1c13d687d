"""dockhand.docker.swarm_maintenance on a 3 + 2 swarm of the lab, watched from outside: the running
containers of each service on every node, sampled several times a second through the engines' sockets
(tests/integration/swarm_sampler.py). The services are made with the docker CLI; their specs are read
back with `docker service inspect`.
"""
import json
import subprocess
import time

import pytest
from swarm_sampler import SwarmSampler

from ansible_runner import run_playbook
from swarm_tools import cli_swarm, node_docker, node_list, reset_swarm, wait_for

pytestmark = pytest.mark.lab

NODES = ["dockhand-node%d" % i for i in range(1, 6)]
MANAGER = NODES[0]
IMAGE = "dockhand-test/busybox:latest"
SERVICE = ["service", "create", "--detach", "--no-resolve-image", "--endpoint-mode", "dnsrr",
           "--stop-grace-period", "1s"]
WEB, GLOBAL = "maint-web", "maint-global"


def node_ids():
    return dict((node["Hostname"], node["ID"]) for node in node_list(MANAGER))


def spec_of(name):
    return json.loads(node_docker(MANAGER, "service", "inspect", name, "--format", "{{json .Spec}}"))


def inspect(name):
    return json.loads(node_docker(MANAGER, "service", "inspect", name))[0]


def availability(node):
    return node_docker(MANAGER, "node", "inspect", node, "--format", "{{.Spec.Availability}}")


def running_on(service, node):
    out = node_docker(MANAGER, "service", "ps", service, "--filter", "node=%s" % node, "--filter",
                      "desired-state=running", "--format", "{{.CurrentState}}", check=False)
    return [line for line in out.splitlines() if line.startswith("Running")]


def running_count(service):
    out = node_docker(MANAGER, "service", "ps", service, "--filter", "desired-state=running", "--format",
                      "{{.CurrentState}}")
    return len([line for line in out.splitlines() if line.startswith("Running")])


def maintenance(swarm, args, extra_args=(), host=MANAGER):
    run = run_playbook([{"name": "maintenance", "dockhand.docker.swarm_maintenance": args}], hosts=host,
                       inventory=swarm["inventory"], extra_args=extra_args, timeout=900)
    return run, run.result(host)


def wait_converged(service, count):
    wait_for("%s running %d tasks" % (service, count), lambda: running_count(service) == count, timeout=120)


@pytest.fixture(scope="module")
def swarm(lab_nodes, test_image):
    """node1 (leader), node2, node3 managers; node4, node5 workers (Docker 26.1). The 3-replica service
    is placed on the workers (managers paused while it is created), a global service everywhere."""
    address = dict((node["name"], node["address"]) for node in lab_nodes["nodes"])
    reset_swarm(NODES)
    cli_swarm(address, NODES[:3], NODES[3:])
    wait_for("5 nodes ready", lambda: len([n for n in node_list(MANAGER) if n["Status"] == "Ready"]) == 5)
    for manager in NODES[:3]:
        node_docker(MANAGER, "node", "update", "--availability", "pause", manager)
    node_docker(MANAGER, *SERVICE, "--name", WEB, "--replicas", "3", "--update-order", "start-first", IMAGE,
                "sleep", "3600")
    wait_converged(WEB, 3)
    for manager in NODES[:3]:
        node_docker(MANAGER, "node", "update", "--availability", "active", manager)
    node_docker(MANAGER, *SERVICE, "--name", GLOBAL, "--mode", "global", IMAGE, "sleep", "3600")
    wait_converged(GLOBAL, 5)
    yield dict(inventory=lab_nodes)
    reset_swarm(NODES)


def differences(left, right, path=""):
    """The paths where two inspected specs differ, each with both values (readable where == is not)."""
    if isinstance(left, dict) and isinstance(right, dict):
        return [found for key in sorted(set(left) | set(right))
                for found in differences(left.get(key), right.get(key), "%s.%s" % (path, key))]
    return [] if left == right else ["%s: %r != %r" % (path or ".", left, right)]


def worker_with_most(service):
    return max(NODES[3:], key=lambda node: len(running_on(service, node)))


def test_drain_moves_replicas_start_first_leaves_the_spec_and_restore_gives_the_node_back(swarm):
    node = worker_with_most(WEB)
    on_node = len(running_on(WEB, node))
    assert on_node >= 1
    before = inspect(WEB)

    check_run, check = maintenance(swarm, {"node": node, "state": "drained"}, extra_args=["--check", "--diff"])
    assert check_run.returncode == 0, check_run.failed_messages()
    assert check["changed"] is True and check["moved"] == [{"service": WEB, "tasks": on_node, "seconds": 0}]
    assert check["diff"]["before"] == {"availability": "active"} and check["diff"]["after"] == {"availability": "drain"}
    assert availability(node) == "active" and inspect(WEB)["Version"] == before["Version"]

    with SwarmSampler(NODES, services=[WEB], managers=NODES[:3]) as sampler:
        started = time.monotonic()
        run, drained = maintenance(swarm, {"node": node, "state": "drained", "timeout": 120})
        seconds = time.monotonic() - started
    figures = sampler.figures()
    assert run.returncode == 0, run.failed_messages()
    assert drained["changed"] is True
    assert drained["node"]["availability_before"] == "active" and drained["node"]["availability"] == "drain"
    assert [entry["service"] for entry in drained["moved"]] == [WEB] and drained["moved"][0]["tasks"] == on_node
    assert drained["quorum"] == {"managers": 3, "reachable": 3, "leader": MANAGER}
    assert any(GLOBAL in warning for warning in run.result(MANAGER).get("warnings", []))
    fewest = figures["fewest_running"][WEB]
    assert fewest >= 3, "the 3-replica service fell to %d running tasks" % fewest
    assert figures["longest_gap_s"] < 0.5, figures
    assert running_on(WEB, node) == []
    assert running_count(WEB) == 3
    after = inspect(WEB)
    changed = differences(before["Spec"], after["Spec"])
    assert not changed, "\n".join(changed)
    # What the move leaves behind, measured: a newer version (the store's index, not a count of updates),
    # the previous spec equal to the spec, no update status.
    assert after["Version"]["Index"] > before["Version"]["Index"]
    # The engine (20.10, measured after a plain `docker service update --env-add` as well) reports every
    # PreviousSpec without RollbackConfig and TaskTemplate.RestartPolicy: nothing else may differ.
    changed = [found for found in differences(after["PreviousSpec"], after["Spec"])
               if not found.startswith((".RollbackConfig: None", ".TaskTemplate.RestartPolicy: None"))]
    assert not changed, "\n".join(changed)
    assert "UpdateStatus" not in after
    print("\nstart-first drain of %s (%d of %s's tasks): %.1f s, fewest running %d, %d samples, longest gap %.2f s"
          % (node, on_node, WEB, seconds, fewest, figures["samples"], figures["longest_gap_s"]))

    again, repeat = maintenance(swarm, {"node": node, "state": "drained"})
    assert again.returncode == 0 and repeat["changed"] is False and repeat["moved"] == []

    run, restored = maintenance(swarm, {"node": node, "state": "restored",
                                        "availability": drained["node"]["availability_before"]}, extra_args=["--diff"])
    assert run.returncode == 0, run.failed_messages()
    assert restored["changed"] is True and restored["node"]["availability"] == "active"
    assert restored["diff"]["after"] == {"availability": "active"}
    assert availability(node) == "active"
    assert all(entry["running"] == entry["desired"] for entry in restored["services"]), restored["services"]
    assert len(running_on(GLOBAL, node)) == 1
    run, again = maintenance(swarm, {"node": node, "state": "restored"})
    assert run.returncode == 0 and again["changed"] is False


def test_a_manager_is_not_taken_out_when_another_is_down(swarm):
    stopped, target = NODES[1], NODES[2]
    version = inspect(WEB)["Version"]
    subprocess.run(["docker", "exec", stopped, "systemctl", "stop", "docker.socket", "docker"], check=True)
    try:
        wait_for("%s unreachable" % stopped, lambda: [n for n in node_list(MANAGER)
                                                      if n["Hostname"] == stopped and n["Status"] == "Down"])
        run, result = maintenance(swarm, {"node": target, "state": "drained"})
        assert run.returncode != 0
        message = result["msg"]
        assert "\n" not in message and stopped in message and target in message and "nothing was changed" in message
        assert availability(target) == "active" and inspect(WEB)["Version"] == version
    finally:
        subprocess.run(["docker", "exec", stopped, "systemctl", "start", "docker"], check=True)
        wait_for("%s back" % stopped, lambda: [n for n in node_list(MANAGER) if n["Hostname"] == stopped
                                               and n["Status"] == "Ready" and n["ManagerStatus"] == "Reachable"])


def test_a_move_that_cannot_complete_puts_the_spec_and_availability_back(swarm):
    name, node = "maint-tight", NODES[3]
    node_docker(MANAGER, *SERVICE, "--name", name, "--replicas", "2", "--constraint", "node.role==worker",
                "--replicas-max-per-node", "1", IMAGE, "sleep", "3600")
    wait_converged(name, 2)
    before = dict((service, inspect(service)) for service in (name, WEB))
    try:
        run, result = maintenance(swarm, {"node": node, "state": "drained", "timeout": 20})
        assert run.returncode != 0
        message = result["msg"]
        assert "\n" not in message and name in message and node in message, message
        assert "max replicas per node" in message, message
        assert availability(node) == "active"
        for service, found in before.items():
            assert inspect(service)["Spec"] == found["Spec"], service
        assert len(running_on(name, node)) == 1 and running_count(name) == 2
    finally:
        node_docker(MANAGER, "service", "rm", name, check=False)


def test_measure_the_start_first_move_against_the_swarms_own_drain(swarm):
    """Figures for the README and the report: fewest running tasks of the 3-replica service and seconds."""
    figures = {}
    for way in ("swarm drain", "start-first move"):
        node = worker_with_most(WEB)
        on_node = len(running_on(WEB, node))
        with SwarmSampler(NODES, services=[WEB], managers=NODES[:3]) as sampler:
            started = time.monotonic()
            if way == "swarm drain":
                node_docker(MANAGER, "node", "update", "--availability", "drain", node)
                wait_for("%s empty and %s at 3" % (node, WEB),
                         lambda node=node: not running_on(WEB, node) and running_count(WEB) == 3, timeout=120,
                         interval=0.2)
            else:
                run = maintenance(swarm, {"node": node, "state": "drained", "timeout": 120})[0]
                assert run.returncode == 0, run.failed_messages()
            seconds = time.monotonic() - started
        sampled = sampler.figures()
        figures[way] = dict(node=node, tasks_on_node=on_node, seconds=round(seconds, 1),
                            fewest_running=sampled["fewest_running"][WEB], samples=sampled["samples"],
                            longest_gap=sampled["longest_gap_s"])
        node_docker(MANAGER, "node", "update", "--availability", "active", node)
        # Put replicas back on the workers for the next way: managers paused, the service forced.
        for manager in NODES[:3]:
            node_docker(MANAGER, "node", "update", "--availability", "pause", manager)
        node_docker(MANAGER, "service", "update", "--detach", "--force", WEB)
        # Until the update is over: a drain within its monitor period would stop tasks it has just started,
        # which the swarm counts as failures (it pauses the update).
        wait_for("%s back on the workers" % WEB, lambda: running_count(WEB) == 3 and all(
            not running_on(WEB, manager) for manager in NODES[:3])
            and (inspect(WEB).get("UpdateStatus") or {}).get("State") == "completed", timeout=120)
        for manager in NODES[:3]:
            node_docker(MANAGER, "node", "update", "--availability", "active", manager)
    print("\n" + json.dumps(figures, indent=1))
    assert figures["start-first move"]["fewest_running"] >= 3
