"""dockhand.docker.container on every lab node: Debian's SDK and engine, reached through the
community.docker connection, with limits read back from the node's own cgroups."""
import subprocess

import pytest

from ansible_runner import run_playbook

pytestmark = pytest.mark.lab

NAME = "dockhand-lab-limits"


def node_docker(node, *args):
    return subprocess.run(["docker", "exec", node, "docker"] + list(args), capture_output=True, text=True,
                          check=True).stdout.strip()


def converge(inventory, memory):
    task = {"name": "limits", "dockhand.docker.container": {
        "name": NAME, "image": "dockhand-test/busybox:latest", "command": ["sleep", "1000"], "init": True,
        "memory": memory, "cpus": "0.5", "pids_limit": 64, "pull": "never"}}
    return run_playbook([task], hosts="lab_nodes", inventory=inventory)


def test_limits_on_every_node_in_place(lab_nodes):
    run = converge(lab_nodes, "64m")
    assert run.returncode == 0, run.stdout[-3000:]
    nodes = sorted(run.hosts())
    assert len(nodes) == 5
    assert {run.result(node)["container"]["action"] for node in nodes} == {"created"}
    ids = {}
    for node in nodes:
        limits = node_docker(node, "exec", NAME, "sh", "-c",
                             "cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpu/cpu.cfs_quota_us "
                             "/sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/memory.max "
                             "/sys/fs/cgroup/cpu.max /sys/fs/cgroup/pids.max")
        assert limits.split()[0] == "67108864" and "50000" in limits.split()[1:3] and limits.split()[-1] == "64", limits
        ids[node] = node_docker(node, "inspect", "-f", "{{.Id}}", NAME)

    again = converge(lab_nodes, "64m")
    assert {again.result(node)["changed"] for node in nodes} == {False}

    updated = converge(lab_nodes, "96m")
    assert {updated.result(node)["container"]["action"] for node in nodes} == {"updated"}
    for node in nodes:
        assert node_docker(node, "inspect", "-f", "{{.Id}} {{.HostConfig.Memory}}", NAME) == \
            "%s %d" % (ids[node], 96 * 1024 * 1024)
