"""dockhand.docker.service and service_info on a 3 + 2 swarm of the lab (Docker 20.10 and 26.1 nodes).

The images are pushed to the loopback registry, which the lab relays into every node, so the module
resolves and pins them as users' registries would. The checks read the swarm with the docker CLI in the
nodes, and each task's cgroup files in its own container.
"""
import json
import subprocess

import pytest

from ansible_runner import run_playbook
from swarm_tools import cli_swarm, node_docker, reset_swarm, wait_for

pytestmark = pytest.mark.lab

NODES = ["dockhand-node%d" % i for i in range(1, 6)]
MANAGER = NODES[0]
NETWORK = "svc-net"
SLEEP = ["sleep", "3600"]
MIB = 1024 * 1024


@pytest.fixture(scope="module")
def swarm(lab_nodes, lab_tool_module, test_image):
    """A 3 + 2 swarm formed with the CLI, an overlay network, the test image in the relayed registry."""
    lab = lab_tool_module
    address = dict((node["name"], node["address"]) for node in lab_nodes["nodes"])
    reset_swarm(NODES)
    cli_swarm(address, NODES[:3], NODES[3:])
    for worker in NODES[3:]:
        node_docker(MANAGER, "node", "update", "--label-add", "tier=app", worker)
    node_docker(MANAGER, "network", "create", "--driver", "overlay", "--attachable", NETWORK)
    registries = lab.registry_info() or lab.registry_up()
    lab.registry_bridge()
    image = "%s/dockhand/svc" % registries["plain"]
    for tag in ("1", "2"):
        subprocess.run(["docker", "tag", test_image, "%s:%s" % (image, tag)], check=True)
        subprocess.run(["docker", "push", "%s:%s" % (image, tag)], check=True, capture_output=True)
    yield dict(inventory=lab_nodes, image=image)
    reset_swarm(NODES)


def service_task(swarm, args, extra_args=(), module="service"):
    run = run_playbook([{"name": module, "dockhand.docker." + module: args}], hosts=MANAGER,
                       inventory=swarm["inventory"], extra_args=extra_args, timeout=900)
    return run, run.result(MANAGER)


def tasks_of(name):
    lines = node_docker(MANAGER, "service", "ps", name, "--no-trunc", "--format", "{{json .}}").splitlines()
    return [json.loads(line) for line in lines]


def running_containers(name):
    """(node, container ID) of every task of the service that is to run and runs (not the old tasks
    of an update, whose containers may still be stopping)."""
    ids = node_docker(MANAGER, "service", "ps", name, "-q", "--filter", "desired-state=running", check=False).split()
    if not ids:
        return []
    hostnames = dict(line.split() for line in node_docker(MANAGER, "node", "ls", "--format",
                                                          "{{.ID}} {{.Hostname}}").splitlines())
    found = []
    for line in node_docker(MANAGER, "inspect", "--format",
                            "{{.NodeID}} {{.Status.State}} {{.Status.ContainerStatus.ContainerID}}", *ids).splitlines():
        node, state, container = line.split()
        if state == "running":
            found.append((hostnames[node], container))
    return found


def cgroup(node, container, path):
    return node_docker(node, "exec", container, "cat", "/sys/fs/cgroup/" + path)


def remove(name):
    node_docker(MANAGER, "service", "rm", name, check=False)


def test_limits_in_every_task_an_update_in_place_and_a_re_run_that_changes_nothing(swarm):
    name = "svc-web"
    remove(name)
    args = {"name": name, "image": swarm["image"] + ":1", "args": SLEEP, "replicas": 3,
            "limits": {"memory": "64m", "cpus": "0.25"}, "reservations": {"memory": "16m", "cpus": "0.1"},
            "networks": [NETWORK], "endpoint_mode": "dnsrr",
            "update_config": {"order": "start-first", "parallelism": 1, "monitor": "1s"}}
    run, result = service_task(swarm, args)
    assert run.returncode == 0, run.failed_messages()
    assert result["service"]["action"] == "created" and result["service"]["rollout"]["running"] == 3
    assert "@sha256:" in result["service"]["image"]
    containers = running_containers(name)
    assert len(containers) == 3
    for node, container in containers:
        assert cgroup(node, container, "memory/memory.limit_in_bytes") == str(64 * MIB)
        assert cgroup(node, container, "cpu/cpu.cfs_quota_us") == "25000"
    spec = json.loads(node_docker(MANAGER, "service", "inspect", name, "--format", "{{json .Spec}}"))
    assert spec["TaskTemplate"]["Resources"]["Reservations"] == {"MemoryBytes": 16 * MIB, "NanoCPUs": 100000000}

    again = service_task(swarm, args)[1]
    ids = sorted(task["ID"] for task in tasks_of(name))
    assert again["changed"] is False and again["service"]["action"] == "unchanged", again["service"]

    run, updated = service_task(swarm, dict(args, limits={"memory": "96m", "cpus": "0.25"}), extra_args=["--diff"])
    assert updated["service"]["action"] == "updated" and updated["service"]["changes"] == ["limits"]
    assert updated["service"]["diff"]["before"]["limits"]["memory"] == "64m"
    assert updated["service"]["diff"]["after"]["limits"]["memory"] == "96m"
    for node, container in running_containers(name):
        assert cgroup(node, container, "memory/memory.limit_in_bytes") == str(96 * MIB)
    settled = sorted(task["ID"] for task in tasks_of(name))
    assert settled != ids
    rerun = service_task(swarm, dict(args, limits={"memory": "96m", "cpus": "0.25"}))[1]
    assert rerun["changed"] is False and sorted(task["ID"] for task in tasks_of(name)) == settled

    info = service_task(swarm, {"name": name}, module="service_info")[1]["service"]
    assert info["converged"] == {"converged": True, "running": 3, "desired": 3}
    assert info["options"]["limits"] == {"memory": "96m", "cpus": "0.25"}
    remove(name)


def test_check_mode_creates_updates_and_removes_nothing(swarm):
    name = "svc-check"
    remove(name)
    args = {"name": name, "image": swarm["image"] + ":1", "args": SLEEP, "endpoint_mode": "dnsrr"}
    run, result = service_task(swarm, args, extra_args=["--check"])
    assert result["changed"] is True and result["service"]["action"] == "created"
    assert node_docker(MANAGER, "service", "ls", "-q", "--filter", "name=" + name) == ""
    service_task(swarm, args)
    before = node_docker(MANAGER, "service", "inspect", name, "--format", "{{.Version.Index}}")
    assert service_task(swarm, dict(args, replicas=2), extra_args=["--check"])[1]["service"]["action"] == "updated"
    assert service_task(swarm, dict(args, state="absent"), extra_args=["--check"])[1]["changed"] is True
    assert node_docker(MANAGER, "service", "inspect", name, "--format", "{{.Version.Index}}") == before
    result = service_task(swarm, dict(args, state="absent"))[1]
    assert result["service"]["action"] == "removed", result["service"]
    assert node_docker(MANAGER, "service", "ls", "-q", "--filter", "name=" + name) == ""
    assert running_containers(name) == []


def test_an_image_the_registry_lacks_fails_naming_it(swarm):
    name = "svc-missing"
    remove(name)
    run, result = service_task(swarm, {"name": name, "image": swarm["image"] + ":no-such-tag", "args": SLEEP})
    assert run.returncode != 0 and swarm["image"] + ":no-such-tag" in result["msg"], result["msg"]
    assert node_docker(MANAGER, "service", "ls", "-q", "--filter", "name=" + name) == ""


def test_a_failing_update_rolls_back_and_says_so(swarm):
    name = "svc-rollback"
    remove(name)
    args = {"name": name, "image": swarm["image"] + ":1", "args": SLEEP, "replicas": 2, "endpoint_mode": "dnsrr",
            "update_config": {"failure_action": "rollback", "monitor": "5s", "parallelism": 1},
            "restart_policy": {"condition": "on-failure", "max_attempts": 1}}
    assert service_task(swarm, args)[0].returncode == 0
    # The new spec's process exits at once: the update fails within the monitor period and rolls back.
    run, result = service_task(swarm, dict(args, args=["false"]))
    assert run.returncode != 0 and "rolled back" in result.get("msg", ""), result
    spec = json.loads(node_docker(MANAGER, "service", "inspect", name, "--format", "{{json .Spec}}"))
    assert spec["TaskTemplate"]["ContainerSpec"]["Image"].startswith(swarm["image"] + ":1@sha256:")
    wait_for("the previous spec running", lambda: len(running_containers(name)) == 2)
    remove(name)


def test_global_mode_a_job_and_placement_by_label(swarm):
    remove("svc-global")
    remove("svc-job")
    base = {"image": swarm["image"] + ":1", "endpoint_mode": "dnsrr"}
    run, result = service_task(swarm, dict(base, name="svc-global", args=SLEEP, mode="global",
                                           placement={"constraints": ["node.labels.tier == app"]}))
    assert run.returncode == 0, run.failed_messages()
    assert result["service"]["rollout"] == dict(result["service"]["rollout"], running=2, desired=2)
    assert sorted(node for node, _container in running_containers("svc-global")) == sorted(NODES[3:])
    run, result = service_task(swarm, dict(base, name="svc-job", args=["true"], mode="replicated-job", replicas=2))
    assert run.returncode == 0, run.failed_messages()
    assert result["service"]["rollout"]["running"] == 2
    info = service_task(swarm, {"names": ["svc-job", "svc-global"]}, module="service_info")[1]["services"]
    assert [service["mode"] for service in info] == ["replicated-job", "global"]
    assert all(task["state"] == "complete" for task in info[0]["tasks"])
    remove("svc-global")
    remove("svc-job")
