"""Day-2 host changes on the converged 3 + 2 lab swarm while it runs work, measured from outside
(tests/integration/swarm_sampler.py): site.yml with one changed log option restarts every engine
once, one swarm member at a time, the leader last, with the swarm's managers, leader and the
services' running tasks sampled several times a second throughout."""
import json
import os
import shutil
import signal
import subprocess

import pytest
from swarm_sampler import SwarmSampler
from test_site_lab import LAB_SITE_VARS, NODES, site

from ansible_runner import REPO_ROOT, VENV_BIN, ansible_env
from swarm_tools import node_docker, wait_for

pytestmark = pytest.mark.lab

MANAGERS, WORKERS = NODES[:3], NODES[3:]
IMAGE = "dockhand-test/busybox:latest"
REPLICATED, GLOBAL = "roll-web", "roll-agent"


def node_sh(node, *command):
    return subprocess.run(["docker", "exec", node] + list(command), capture_output=True, text=True,
                          check=True, timeout=60).stdout.strip()


def site_process(inventory, *extra_args, site_vars=LAB_SITE_VARS):
    """site.yml started in its own process group (to be killed in the middle), its output discarded."""
    cmd = [os.path.join(VENV_BIN, "ansible-playbook"), os.path.join(REPO_ROOT, "site.yml"),
           "-i", str(inventory), "-i", str(site_vars), *extra_args]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ansible_env(),
                            cwd=REPO_ROOT, start_new_session=True)


def dockerd_pid(node):
    return node_sh(node, "pidof", "dockerd")


def log_setting(node):
    """The engine's logging driver, and the log options in its daemon.json."""
    return node_docker(node, "info", "--format", "{{.LoggingDriver}}"), json.loads(
        node_sh(node, "cat", "/etc/docker/daemon.json"))["log-opts"]


@pytest.fixture(scope="module")
def working_swarm(site_lab):
    """The lab converged by site.yml (conftest's site_lab), running a 3-replica service (start-first)
    and a global one."""
    node_docker(NODES[0], "service", "create", "--detach", "--name", REPLICATED, "--replicas", "3",
                "--endpoint-mode", "dnsrr", "--update-order", "start-first", "--stop-grace-period", "1s",
                IMAGE, "sleep", "100000")
    node_docker(NODES[0], "service", "create", "--detach", "--name", GLOBAL, "--mode", "global",
                "--endpoint-mode", "dnsrr", "--stop-grace-period", "1s", IMAGE, "sleep", "100000")
    wait_for("the services to run", lambda: all(
        node_docker(NODES[0], "service", "ls", "--filter", "name=%s" % name, "--format", "{{.Replicas}}")
        in ("3/3", "5/5") for name in (REPLICATED, GLOBAL)))
    return site_lab["inventory"]


def test_a_changed_log_option_rolls_one_member_at_a_time_while_the_swarm_keeps_running(working_swarm, tmp_path):
    changed_vars = tmp_path / "lab"
    shutil.copytree(LAB_SITE_VARS, changed_vars)
    hosts_vars = changed_vars / "group_vars" / "docker_hosts.yml"
    hosts_vars.write_text(hosts_vars.read_text().replace("max-size: 10m", "max-size: 20m"))
    assert "max-size: 20m" in hosts_vars.read_text()
    before = dict((node, dockerd_pid(node)) for node in NODES)

    with SwarmSampler(NODES, services=[REPLICATED, GLOBAL], managers=MANAGERS) as sampler:
        run = site(working_swarm, "--tags", "docker_host", site_vars=changed_vars)
    figures = sampler.figures()
    print("rolling restart figures:", json.dumps(figures))
    assert run.returncode == 0, run.failed_messages()

    assert figures["per_second"] >= 4, figures
    assert figures["fewest_managers_up"] >= 2, figures
    assert figures["leaderless_stretches"] <= 1, figures
    assert figures["fewest_running"][REPLICATED] >= 3, figures
    # Every engine restarted once, and runs with the new option.
    after = dict((node, dockerd_pid(node)) for node in NODES)
    assert all(after[node] != before[node] for node in NODES), (before, after)
    for node in NODES:
        assert log_setting(node) == ("local", {"max-size": "20m", "max-file": "3"})
    downs = dict((node, sum(1 for previous, sample in zip(sampler.samples, sampler.samples[1:])
                            if node in previous["up"] and node not in sample["up"])) for node in NODES)
    assert all(count <= 1 for count in downs.values()), downs

    again = site(working_swarm, "--tags", "docker_host", site_vars=changed_vars)
    assert again.returncode == 0, again.failed_messages()
    assert all(stats["changed"] == 0 for stats in again.stats.values()), again.stats


def test_a_run_killed_before_the_restart_is_finished_by_the_next(working_swarm, tmp_path):
    """The play dies while the node is drained for maintenance, after daemon.json changed and before
    the restart: the next run restarts that engine once, gives the node back, and removes the mark."""
    worker = WORKERS[0]
    changed_vars = tmp_path / "lab"
    shutil.copytree(LAB_SITE_VARS, changed_vars)
    hosts_vars = changed_vars / "group_vars" / "docker_hosts.yml"
    hosts_vars.write_text(hosts_vars.read_text().replace("max-file: \"3\"", "max-file: \"4\""))
    maintenance = tmp_path / "maintenance.yml"
    maintenance.write_text("- name: Long maintenance\n  ansible.builtin.command: sleep 300\n  changed_when: false\n")
    before = dockerd_pid(worker)

    args = ["--tags", "docker_host", "--limit", "%s,%s" % (MANAGERS[0], worker),
            "-e", "docker_host_maintenance_tasks=%s" % maintenance]
    proc = site_process(working_swarm, *args, site_vars=changed_vars)
    try:
        wait_for("the maintenance to start on %s" % worker,
                 lambda: "sleep 300" in node_sh(worker, "ps", "-eo", "args"), timeout=300, interval=0.5)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        subprocess.run(["docker", "exec", worker, "pkill", "-f", "sleep 300"], check=False)
    assert dockerd_pid(worker) == before
    assert '"max-file": "4"' in node_sh(worker, "cat", "/etc/docker/daemon.json")
    assert node_sh(worker, "ls", "/var/lib/dockhand") == "restart-pending"

    run = site(working_swarm, "--tags", "docker_host", "--limit", "%s,%s" % (MANAGERS[0], worker),
               site_vars=changed_vars)
    assert run.returncode == 0, run.failed_messages()
    assert dockerd_pid(worker) != before
    assert node_sh(worker, "ls", "/var/lib/dockhand") == ""
    assert node_docker(MANAGERS[0], "node", "inspect", "--format", "{{.Spec.Availability}}", worker) == "active"
    restarted = dockerd_pid(worker)
    again = site(working_swarm, "--tags", "docker_host", "--limit", "%s,%s" % (MANAGERS[0], worker),
                 site_vars=changed_vars)
    assert again.returncode == 0 and all(stats["changed"] == 0 for stats in again.stats.values()), again.stats
    assert dockerd_pid(worker) == restarted
