"""docker_host_engine_version on a lab node: the engine's package up- and downgraded from a local apt
repository (tools/lab.py apt_repo_up: the host's docker.io and a copy with a higher version), held,
the engine restarted once and answering; a re-run changes nothing; a version no repository offers
is refused in one line before any change; check mode and diff mode tell the versions."""
import subprocess
import time

import pytest

from ansible_runner import run_playbook

pytestmark = pytest.mark.lab

SOURCES = "/etc/apt/sources.list.d/dockhand-lab.list"


def node_sh(node, command, check=True):
    proc = subprocess.run(["docker", "exec", node, "sh", "-c", command], capture_output=True, text=True,
                          check=False, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError("%s: %s: %s" % (node, command, proc.stderr))
    return proc.stdout.strip()


def role(inventory, host, version, extra_args=()):
    plays = [dict(name="docker_host", hosts=host, gather_facts=False,
                  roles=[dict(role="dockhand.docker.docker_host", vars={"docker_host_engine_version": version})])]
    started = time.monotonic()
    run = run_playbook(None, plays=plays, inventory=inventory, extra_args=extra_args)
    print("docker_host_engine_version=%s %s: %.1f s" % (version, " ".join(extra_args), time.monotonic() - started))
    return run


def package(node):
    """(version, held) of docker.io in the node, as dpkg and apt-mark tell."""
    version = node_sh(node, "dpkg-query -W -f '${Version}' docker.io")
    held = "docker.io" in node_sh(node, "apt-mark showhold").split()
    return version, held


def dockerd(node):
    """The engine's pid and its program; a program replaced by the package but still running shows
    as '(deleted)'. Also that the engine answers."""
    pid = node_sh(node, "pidof dockerd")
    exe = node_sh(node, "readlink /proc/%s/exe" % pid)
    version = node_sh(node, "docker version --format '{{.Server.Version}}'")
    return pid, exe, version


def engine_starts(node):
    """How many times dockerd has started in the node (its journal's 'API listen on' lines)."""
    return int(node_sh(node, "journalctl -u docker.service -o cat --no-pager | grep -c 'API listen on' || true"))


def failure_messages(run, host):
    return [(task["hosts"].get(host) or {}).get("msg", "") for task in run.data["plays"][0]["tasks"]
            if (task["hosts"].get(host) or {}).get("failed")]


def task_result(run, host, name_part):
    for task in run.data["plays"][0]["tasks"]:
        if name_part in task["task"]["name"] and host in task["hosts"]:
            return task["hosts"][host]
    return None


@pytest.fixture(scope="module")
def apt_node(lab_nodes, lab_tool_module):
    """A bookworm node with systemd that reaches the local apt repository; afterwards its package
    is unheld at the host's version and its sources are gone again."""
    node = [node["name"] for node in lab_nodes["nodes"]
            if node["release"] == "bookworm" and node.get("init", "systemd") == "systemd"][0]
    repo = lab_tool_module.apt_repo_up()
    node_sh(node, "echo '%s' > %s && rm -rf /var/lib/apt/lists/*" % (repo["sources"], SOURCES))
    try:
        yield node, repo["versions"]
    finally:
        node_sh(node, "apt-mark unhold docker.io; rm -f %s /usr/sbin/policy-rc.d.dockhand-saved" % SOURCES,
                check=False)
        lab_tool_module.apt_repo_down()


def test_engine_version_up_down_held_and_refused(lab_nodes, apt_node):
    node, (original, bumped) = apt_node
    assert package(node) == (original, False)
    pid_before, _exe, _version = dockerd(node)

    # Check mode with diff: the versions told, nothing installed or held.
    run = role(lab_nodes, node, bumped, extra_args=["--check", "--diff"])
    assert run.returncode == 0, run.stdout[-3000:]
    result = task_result(run, node, "Install the engine version asked for")
    assert result and result.get("changed"), run.stdout[-3000:]
    assert result["diff"]["before"] == "docker.io %s\n" % original
    assert result["diff"]["after"] == "docker.io %s (held)\n" % bumped
    assert package(node) == (original, False)
    assert dockerd(node)[0] == pid_before

    # Upgrade: installed while (here: no swarm) in the restart batch, held, the engine restarted once
    # and running the program the package installed.
    starts = engine_starts(node)
    run = role(lab_nodes, node, bumped, extra_args=["--diff"])
    assert run.returncode == 0, run.stdout[-3000:]
    assert engine_starts(node) == starts + 1
    assert package(node) == (bumped, True)
    pid_after, exe, version = dockerd(node)
    assert pid_after != pid_before and not exe.endswith("(deleted)") and version.startswith("20.10.24"), exe
    # The package's own restart was held back: the policy-rc.d it used is gone, nothing left in its place.
    assert node_sh(node, "ls /usr/sbin/policy-rc.d* 2>/dev/null || true") == ""

    # Nothing to change: no package task runs at all.
    again = role(lab_nodes, node, bumped)
    assert again.returncode == 0 and again.stats[node]["changed"] == 0, again.stdout[-3000:]
    assert task_result(again, node, "Find the engine version") in (None, {}) or \
        task_result(again, node, "Find the engine version").get("skipped")
    assert dockerd(node)[0] == pid_after

    # A prefix that the installed version matches: nothing to change either.
    prefix = role(lab_nodes, node, "20.10.24")
    assert prefix.returncode == 0 and prefix.stats[node]["changed"] == 0, prefix.stdout[-3000:]

    # Back to the host's version, given whole (the bumped one starts with it): a downgrade, held.
    down = role(lab_nodes, node, original)
    assert down.returncode == 0, down.stdout[-3000:]
    assert package(node) == (original, True)
    pid_down, exe, _version = dockerd(node)
    assert pid_down != pid_after and not exe.endswith("(deleted)")

    # A version no repository offers: one line naming the host, the version and the versions offered;
    # nothing changed (package, hold, engine, daemon.json).
    daemon_json = node_sh(node, "cat /etc/docker/daemon.json 2>/dev/null || echo none")
    refused = role(lab_nodes, node, "99.1")
    assert refused.returncode != 0
    messages = failure_messages(refused, node)
    assert len(messages) == 1, messages
    message = messages[0]
    assert "\n" not in message and "99.1" in message and node in message, message
    assert original in message and bumped in message, message
    assert package(node) == (original, True)
    assert dockerd(node)[0] == pid_down
    assert node_sh(node, "cat /etc/docker/daemon.json 2>/dev/null || echo none") == daemon_json


HOOK = "/etc/apt/apt.conf.d/99dockhand-test-tasks"
TASKS_AT_PACKAGE_WORK = "/tmp/dockhand-tasks-at-package-work"
SERVICE = "enginever-web"


def test_a_swarm_worker_changes_version_while_drained(lab_nodes, apt_node, lab_tool_module, test_image):
    """The package work of a swarm member runs in its drained window: a dpkg hook in the worker counts
    the service's tasks running there when apt starts (none), and the node is active again after."""
    from swarm_tools import node_docker, reset_swarm, wait_for

    worker, (original, bumped) = apt_node
    address = dict((node["name"], node["address"]) for node in lab_nodes["nodes"])
    manager = [name for name, node in sorted(address.items()) if name != worker
               and next(n for n in lab_nodes["nodes"] if n["name"] == name)["release"] == "bookworm"][0]
    reset_swarm([manager, worker])
    lab_tool_module.load_images([test_image])
    node_docker(manager, "swarm", "init", "--advertise-addr", address[manager])
    token = node_docker(manager, "swarm", "join-token", "-q", "worker")
    node_docker(worker, "swarm", "join", "--advertise-addr", address[worker], "--token", token,
                "%s:2377" % address[manager])
    try:
        node_docker(manager, "service", "create", "--detach", "--name", SERVICE, "--replicas", "2",
                    "--endpoint-mode", "dnsrr", "--no-resolve-image", "--stop-grace-period", "1s",
                    "--update-order", "start-first", test_image, "sleep", "100000")
        wait_for("a task of %s on %s" % (SERVICE, worker), lambda: node_sh(worker, "docker ps -q --filter "
                 "label=com.docker.swarm.service.name=%s" % SERVICE))
        count = "docker ps -q --filter label=com.docker.swarm.service.name=%s | wc -l > %s" % (
            SERVICE, TASKS_AT_PACKAGE_WORK)
        node_sh(worker, "rm -f %s; echo 'DPkg::Pre-Invoke {\"%s\";};' > %s" % (TASKS_AT_PACKAGE_WORK, count, HOOK))
        plays = [dict(name="docker_host", hosts="%s,%s" % (manager, worker), gather_facts=False,
                      roles=[dict(role="dockhand.docker.docker_host", vars={
                          "docker_host_engine_version": "{{ '%s' if inventory_hostname == '%s' else '' }}"
                          % (bumped, worker)})])]
        started = time.monotonic()
        run = run_playbook(None, plays=plays, inventory=lab_nodes)
        print("swarm worker upgraded in its drained window: %.1f s" % (time.monotonic() - started))
        assert run.returncode == 0, run.stdout[-3000:]
        assert package(worker) == (bumped, True)
        assert node_sh(worker, "cat %s" % TASKS_AT_PACKAGE_WORK) == "0"
        assert task_result(run, worker, "Drain the node") is not None
        assert node_docker(manager, "node", "inspect", worker, "--format", "{{.Spec.Availability}}") == "active"
        assert run.stats[manager]["changed"] == 0, run.stdout[-3000:]
    finally:
        node_sh(worker, "rm -f %s %s" % (HOOK, TASKS_AT_PACKAGE_WORK), check=False)
        reset_swarm([manager, worker])
