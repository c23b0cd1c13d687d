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
from swarm_tools import node_docker, swarm_report, wait_for

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
def base_vars(tmp_path_factory):
    """The lab's site variables with max-size 20m: the first test rolls the lab to it, and the later
    tests change hosts from there and put them back to it."""
    base = tmp_path_factory.mktemp("rolling") / "lab"
    shutil.copytree(LAB_SITE_VARS, base)
    hosts_vars = base / "group_vars" / "docker_hosts.yml"
    hosts_vars.write_text(hosts_vars.read_text().replace("max-size: 10m", "max-size: 20m"))
    assert "max-size: 20m" in hosts_vars.read_text()
    return base


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


def test_a_changed_log_option_rolls_one_member_at_a_time_while_the_swarm_keeps_running(working_swarm, base_vars):
    changed_vars = base_vars
    before = dict((node, dockerd_pid(node)) for node in NODES)

    with SwarmSampler(NODES, services=[REPLICATED, GLOBAL], managers=MANAGERS) as sampler:
        run = site(working_swarm, "--tags", "docker_host", site_vars=changed_vars)
    figures = sampler.figures()
    print("rolling restart figures:", json.dumps(figures))
    assert run.returncode == 0, run.failed_messages() + "\n" + swarm_report(NODES)

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


def test_a_run_killed_before_the_restart_is_finished_by_the_next(working_swarm, base_vars, tmp_path):
    """The play dies while the node is drained for maintenance, after daemon.json changed and before
    the restart: the next run restarts that engine once, gives the node back, and removes the mark."""
    worker = WORKERS[0]
    changed_vars = changed_site_vars(tmp_path, base_vars, {
        worker: "docker_host_log_opts:\n  max-size: 20m\n  max-file: \"4\"\n"})
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
    assert "restart-pending" in node_sh(worker, "ls", "/var/lib/dockhand").split()

    run = site(working_swarm, "--tags", "docker_host", "--limit", "%s,%s" % (MANAGERS[0], worker),
               site_vars=changed_vars)
    assert run.returncode == 0, run.failed_messages() + "\n" + swarm_report(NODES)
    assert dockerd_pid(worker) != before
    assert "restart-pending" not in node_sh(worker, "ls", "/var/lib/dockhand").split()
    assert node_docker(MANAGERS[0], "node", "inspect", "--format", "{{.Spec.Availability}}", worker) == "active"
    restarted = dockerd_pid(worker)
    again = site(working_swarm, "--tags", "docker_host", "--limit", "%s,%s" % (MANAGERS[0], worker),
                 site_vars=changed_vars)
    assert again.returncode == 0 and all(stats["changed"] == 0 for stats in again.stats.values()), again.stats
    assert dockerd_pid(worker) == restarted
    converge_back(working_swarm, base_vars, MANAGERS[0], worker)


def changed_site_vars(tmp_path, base_vars, host_vars):
    """A copy of the lab's site variables with host_vars files ({host: yaml text}): only those hosts'
    configuration changes, so only they restart, and putting them back costs as few restarts."""
    changed = tmp_path / "lab"
    shutil.copytree(base_vars, changed)
    (changed / "host_vars").mkdir(exist_ok=True)
    for host, text in host_vars.items():
        (changed / "host_vars" / ("%s.yml" % host)).write_text(text)
    return changed


def log_opts(max_size):
    return "docker_host_log_opts:\n  max-size: %s\n  max-file: \"3\"\n" % max_size


def converge_back(inventory, base_vars, *hosts):
    """site.yml's docker_host stage with the base variables: the engines a test changed back as they
    were (they restart once more)."""
    limit = ["--limit", ",".join(hosts)] if hosts else []
    run = site(inventory, "--tags", "docker_host", *limit, site_vars=base_vars)
    assert run.returncode == 0, run.failed_messages() + "\n" + swarm_report(NODES)


def leader_host():
    lines = node_docker(MANAGERS[0], "node", "ls", "--filter", "role=manager", "--format",
                        "{{.Hostname}} {{.ManagerStatus}}").split("\n")
    return next(line.split()[0] for line in lines if line.endswith("Leader"))


def test_a_manager_whose_restart_fails_is_rolled_back_given_back_and_the_roll_stops_there(working_swarm, base_vars,
                                                                                          tmp_path):
    """A manager that is not the leader gets a data-root its engine cannot use: its restart fails, daemon.json is put
    back, the engine runs again and the node is active; the leader (restarted last) is not restarted."""
    leading = leader_host()
    bad = next(node for node in MANAGERS if node != leading)
    # The leader changes too: it would restart last, so it must not restart at all.
    changed = changed_site_vars(tmp_path, base_vars, {
        bad: log_opts("30m") + "docker_host_daemon_settings:\n  data-root: /proc/dockhand-data\n",
        leading: log_opts("30m")})
    before = dict((node, dockerd_pid(node)) for node in NODES)
    daemon_json = node_sh(bad, "cat", "/etc/docker/daemon.json")
    try:
        with SwarmSampler(NODES, services=[REPLICATED, GLOBAL], managers=MANAGERS) as sampler:
            run = site(working_swarm, "--tags", "docker_host", site_vars=changed)
        figures = sampler.figures()
        print("failed manager restart figures:", json.dumps(figures))
        assert run.returncode != 0
        messages = run.failed_messages()
        assert "The roll stopped at %s" % bad in messages, messages
        assert "/proc/dockhand-data" in messages, messages  # the engine's own words
        assert node_sh(bad, "cat", "/etc/docker/daemon.json") == daemon_json
        assert node_docker(bad, "info", "--format", "{{.DockerRootDir}}") == "/var/lib/docker"
        assert node_docker(MANAGERS[0], "node", "inspect", "--format", "{{.Spec.Availability}}", bad) == "active"
        assert dockerd_pid(leading) == before[leading], "the leader restarts last: never, after a failure"
        assert figures["fewest_managers_up"] >= 2, figures
        assert figures["fewest_running"][REPLICATED] >= 2, figures
    finally:
        converge_back(working_swarm, base_vars)


def test_a_stopped_manager_stops_the_roll_before_any_engine_restarts(working_swarm, base_vars, tmp_path):
    """A manager's engine is stopped and that host left out of the play: restarting either other manager
    would leave one of three, so no engine restarts and the message names the stopped one."""
    leading = leader_host()
    stopped = next(node for node in reversed(MANAGERS) if node != leading)
    playing = [node for node in NODES if node != stopped]
    due = [node for node in MANAGERS if node != stopped]
    changed = changed_site_vars(tmp_path, base_vars, dict((node, log_opts("40m")) for node in due))
    before = dict((node, dockerd_pid(node)) for node in playing)
    node_sh(stopped, "systemctl", "stop", "docker.service", "docker.socket")
    try:
        wait_for("%s to be unreachable" % stopped, lambda: "Unreachable" in node_docker(
            leading, "node", "ls", "--filter", "name=%s" % stopped, "--format", "{{.ManagerStatus}}"),
            timeout=60)
        run = site(working_swarm, "--tags", "docker_host", "--limit", ",".join(playing), site_vars=changed)
        assert run.returncode != 0
        messages = run.failed_messages()
        assert "%s (unreachable)" % stopped in messages and "no engine was restarted" in messages, messages
        assert dict((node, dockerd_pid(node)) for node in playing) == before
        # The configuration was written and the restart left due: the next run, with the manager back,
        # restarts those engines.
        assert all("restart-pending" in node_sh(node, "ls", "/var/lib/dockhand").split() for node in due)
    finally:
        node_sh(stopped, "systemctl", "start", "docker.service")
        wait_for("%s to be reachable" % stopped, lambda: "Reachable" in node_docker(
            leading, "node", "ls", "--filter", "name=%s" % stopped, "--format", "{{.ManagerStatus}}"),
            timeout=120)
        converge_back(working_swarm, base_vars)
    assert all("restart-pending" not in node_sh(node, "ls", "/var/lib/dockhand").split() for node in NODES)


def test_rolling_restart_playbook_with_maintenance_tasks_keeps_the_swarm_running(working_swarm, base_vars, tmp_path):
    """playbooks/rolling_restart.yml with nothing to change: every engine restarts once, the maintenance
    tasks run on each drained node, with the same sampler figures as a changed option."""
    maintenance = tmp_path / "maintenance.yml"
    maintenance.write_text("- name: Note the maintenance\n  ansible.builtin.command: touch /tmp/dockhand-maintained\n"
                           "  changed_when: true\n")
    for node in NODES:
        node_sh(node, "rm", "-f", "/tmp/dockhand-maintained")
    before = dict((node, dockerd_pid(node)) for node in NODES)
    with SwarmSampler(NODES, services=[REPLICATED, GLOBAL], managers=MANAGERS) as sampler:
        run = site(working_swarm, "-e", "docker_host_maintenance_tasks=%s" % maintenance,
                   playbook=os.path.join(REPO_ROOT, "playbooks", "rolling_restart.yml"), site_vars=base_vars)
    figures = sampler.figures()
    print("rolling_restart.yml figures:", json.dumps(figures))
    assert run.returncode == 0, run.failed_messages() + "\n" + swarm_report(NODES)
    assert all(dockerd_pid(node) != before[node] for node in NODES)
    assert all(node_sh(node, "ls", "/tmp/dockhand-maintained") for node in NODES)
    assert figures["per_second"] >= 4, figures
    assert figures["fewest_managers_up"] >= 2, figures
    assert figures["leaderless_stretches"] <= 1, figures
    assert figures["fewest_running"][REPLICATED] >= 3, figures
