"""Hazards found before any change, on the converged 5-node lab: a blocked swarm port, live-restore on
a member, a certificate read from a real swarm, and an inventory without a docker_hosts group."""
import json
import os
import shutil
import subprocess
import textwrap
import time

import pytest

from ansible_runner import REPO_ROOT, VENV_BIN, PlaybookRun, ansible_env
from swarm_tools import node_docker

pytestmark = pytest.mark.lab

NODES = ["dockhand-node%d" % i for i in range(1, 6)]
MANAGERS, WORKERS = NODES[:3], NODES[3:]
LAB_SITE_VARS = os.path.join(REPO_ROOT, "inventories", "lab")
STOP_TASK = "Stop before any change when a hazard would break the site"


def site(inventory, *extra_args, site_vars=LAB_SITE_VARS):
    cmd = [os.path.join(VENV_BIN, "ansible-playbook"), os.path.join(REPO_ROOT, "site.yml"), "-i", str(inventory)]
    if site_vars:
        cmd += ["-i", str(site_vars)]
    started = time.monotonic()
    proc = subprocess.run(cmd + list(extra_args), capture_output=True, text=True, check=False, env=ansible_env(),
                          cwd=REPO_ROOT, timeout=900)
    run = PlaybookRun(proc)
    run.seconds = time.monotonic() - started
    return run


def node_sh(node, command, check=True):
    proc = subprocess.run(["docker", "exec", node, "sh", "-c", command], capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        raise AssertionError("%s: %s: %s" % (node, command, proc.stderr))
    return proc.stdout


def snapshot():
    """What a run could change: each daemon.json (bytes), each engine's process, each node's swarm
    spec and membership, the demo service's version and the containers."""
    nodes = {}
    for node in NODES:
        nodes[node] = dict(daemon_json=node_sh(node, "cat /etc/docker/daemon.json"),
                           dockerd=node_sh(node, "pidof dockerd").strip(),
                           swarm={k: v for k, v in json.loads(node_docker(node, "info", "--format", "{{json .Swarm}}"))
                                  .items() if k in ("NodeID", "LocalNodeState", "ControlAvailable")},
                           containers=node_docker(node, "ps", "-aq", "--no-trunc"))
    # The specs, not their version index: the swarm itself bumps that when a node's status changes.
    specs = node_docker(MANAGERS[0], "node", "inspect", "--format", "{{.ID}} {{json .Spec}}",
                        *[nodes[n]["swarm"]["NodeID"] for n in NODES])
    service = node_docker(MANAGERS[0], "service", "inspect", "--format", "{{.Version.Index}}", "demo-svc")
    return dict(nodes=nodes, node_specs=specs, service=service)


def plays_with_results(run):
    """Names of the plays (up to ' - ') in which some task ran on some host."""
    return [play["play"]["name"].split(" - ")[0] for play in run.data["plays"]
            if any(not result.get("skipped") for task in play["tasks"] for result in task["hosts"].values())]


def task_result(run, name):
    for play in run.data["plays"]:
        for task in play["tasks"]:
            if task["task"]["name"].split(" : ")[-1] == name:
                return task["hosts"]
    raise AssertionError("no task %r in the run" % name)


def stop_message(run):
    results = task_result(run, STOP_TASK)
    failed = [result for result in results.values() if result.get("failed")]
    assert failed, results
    return failed[0]["msg"]


@pytest.mark.parametrize("node", ["dockhand-node1", "dockhand-node4"])  # Docker 20.10, Docker 26.1
def test_what_an_engine_outside_a_swarm_does_with_live_restore(lab_nodes, node):
    """The lab notes measured a member: the engine exits at start. A host about to join: measured here."""
    node_docker(node, "swarm", "leave", "--force", check=False)
    original = node_sh(node, "cat /etc/docker/daemon.json 2>/dev/null || true")
    node_sh(node, "cp -a /etc/docker/daemon.json /etc/docker/daemon.json.hz 2>/dev/null || true; "
                  "echo '{\"live-restore\": true}' > /etc/docker/daemon.json; systemctl restart docker")
    try:
        assert node_docker(node, "info", "--format", "{{.LiveRestoreEnabled}}") == "true"
        init = subprocess.run(["docker", "exec", node, "docker", "swarm", "init", "--advertise-addr", "eth0"],
                              capture_output=True, text=True, check=False)
        print("%s, live-restore, swarm init: rc=%d %s" % (node, init.returncode, (init.stderr or init.stdout).strip()))
        assert init.returncode != 0
        assert "--live-restore daemon configuration is incompatible with swarm mode" in init.stderr
    finally:
        node_docker(node, "swarm", "leave", "--force", check=False)
        node_sh(node, "if [ -e /etc/docker/daemon.json.hz ]; then mv /etc/docker/daemon.json.hz "
                      "/etc/docker/daemon.json; else rm -f /etc/docker/daemon.json; fi; systemctl restart docker")
    assert node_sh(node, "cat /etc/docker/daemon.json 2>/dev/null || true") == original


@pytest.fixture(scope="module")
def converged(site_lab):
    """The lab converged by site.yml (conftest's site_lab)."""
    return site_lab


def test_a_converged_site_reads_its_certificates_and_ports(converged):
    again = site(converged["inventory"])
    assert again.returncode == 0, again.failed_messages()
    reads = task_result(again, "Read the engine and its swarm state, and plan every stage")
    for node in NODES:
        checks = reads[node]["checks"]
        assert checks["swarm_state"] == "active" and checks["live_restore"] is False
        cert = checks["swarm_cert"]
        # The engine's own certificate, 90 days by default, read without openssl or cryptography.
        expected = node_sh(node, "openssl x509 -noout -enddate -in /var/lib/docker/swarm/certificates/swarm-node.crt",
                           check=False)
        assert cert["error"] is None and 89 < cert["days_left"] <= 90, cert
        if expected:
            when = time.strptime(expected.split("=", 1)[1].strip(), "%b %d %H:%M:%S %Y GMT")
            assert cert["not_after"] == time.strftime("%Y-%m-%dT%H:%M:%SZ", when)
        assert all(probe["open"] for probe in checks["ports"]), checks["ports"]
        wanted = 2 * 2 + 2 if node in MANAGERS else 3 * 2 + 1
        assert len([p for p in checks["ports"] if p["source"] == "given"]) == wanted
        assert abs(checks["clock"]["engine_time"] - checks["clock"]["host_time"]) < 5
        print("%s: %d ports probed in %.3f s" % (node, len(checks["ports"]), checks["ports_seconds"]))
    assert task_result(again, STOP_TASK)[NODES[0]].get("failed") is not True


def test_a_blocked_manager_port_stops_the_run_before_any_change(converged):
    worker, manager = WORKERS[0], MANAGERS[0]
    address = "172.30.77.11"
    before = snapshot()
    rule = "OUTPUT -p tcp -d %s --dport 2377 -j DROP" % address
    node_sh(worker, "iptables -I " + rule)
    try:
        run = site(converged["inventory"])
    finally:
        node_sh(worker, "iptables -D " + rule)
    assert run.returncode != 0
    message = stop_message(run)
    line = "%s cannot reach %s (%s) on 2377/tcp, the managers' swarm port: no answer within 3 s" % (
        worker, manager, address)
    assert message == [line], message
    assert plays_with_results(run) == ["Preflight"]
    assert snapshot() == before
    print("preflight with a blocked port: %.1f s" % run.seconds)


def test_live_restore_on_a_member_is_refused_before_any_change(converged, tmp_path):
    site_vars = tmp_path / "lab"
    shutil.copytree(LAB_SITE_VARS, site_vars)
    (site_vars / "host_vars").mkdir()
    (site_vars / "host_vars" / ("%s.yml" % WORKERS[1])).write_text(
        "docker_host_daemon_settings:\n  live-restore: true\n")
    before = snapshot()
    run = site(converged["inventory"], site_vars=site_vars)
    assert run.returncode != 0
    (line,) = stop_message(run)
    assert line.startswith("%s (swarm_workers): live-restore is on, docker_host_daemon_settings sets it; "
                           % WORKERS[1]), line
    assert "--live-restore daemon configuration is incompatible with swarm mode" in line
    assert plays_with_results(run) == ["Preflight"]
    assert snapshot() == before


def test_the_role_on_its_own_refuses_live_restore_on_a_member(converged):
    from ansible_runner import run_playbook
    node = MANAGERS[1]
    before = snapshot()
    plays = [dict(name="docker_host", hosts=":".join(NODES), gather_facts=False,
                  roles=[dict(role="dockhand.docker.docker_host",
                              vars=dict(docker_host_log_driver="local",
                                        docker_host_log_opts={"max-size": "10m", "max-file": "3"},
                                        docker_host_daemon_settings="{{ {'live-restore': true} if inventory_hostname"
                                                                    " == '%s' else {} }}" % node))])]
    run = run_playbook(None, plays=plays, inventory=converged["inventory"])
    assert run.returncode != 0
    results = task_result(run, "Hazards - stop before any change when one would break the site")
    (message,) = [result["msg"] for result in results.values() if result.get("failed")]
    assert len(message) == 1 and message[0].startswith("%s (swarm_managers): live-restore is on" % node), message
    reads = task_result(run, "Hazards - read the engine's checks and probe the other swarm members' ports")
    assert all(all(probe["open"] for probe in reads[n]["checks"]["ports"]) for n in NODES)
    assert snapshot() == before


def test_an_inventory_without_docker_hosts_runs_every_stage(converged, tmp_path):
    hosts = {}
    for node in converged["inventory"]["nodes"]:
        hosts[node["name"]] = node
    lines = ["all:", "  vars:", "    ansible_connection: community.docker.docker",
             "    ansible_python_interpreter: /usr/bin/python3", "  children:"]
    for group, members in (("swarm_managers", MANAGERS), ("swarm_workers", WORKERS)):
        lines += ["    %s:" % group, "      hosts:"]
        for name in members:
            lines += ["        %s:" % name, "          swarm_advertise_addr: %s" % hosts[name]["address"]]
    inventory = tmp_path / "inventory"
    (inventory / "group_vars").mkdir(parents=True)
    (inventory / "hosts.yml").write_text("\n".join(lines) + "\n")
    # What the lab sets for every Docker host goes to all; the swarm groups keep their own files.
    shutil.copy(os.path.join(LAB_SITE_VARS, "group_vars", "docker_hosts.yml"), inventory / "group_vars" / "all.yml")
    for group in ("swarm_managers", "swarm_workers"):
        shutil.copy(os.path.join(LAB_SITE_VARS, "group_vars", group + ".yml"), inventory / "group_vars")
    # Asked for by their tags, the stages run although the site has nothing to change.
    run = site(inventory, "--tags", "docker_host,swarm,containers,summary", site_vars=None)
    assert run.returncode == 0, run.failed_messages()
    ran_on = dict((play["play"]["name"].split(" - ")[0],
                   set(host for task in play["tasks"] for host in task["hosts"])) for play in run.data["plays"])
    for stage in ("Preflight", "Docker hosts", "Swarm", "Containers"):
        assert ran_on[stage] == set(NODES), (stage, ran_on[stage])
    shown = task_result(run, STOP_TASK)[NODES[0]]["msg"]
    assert shown == [textwrap.dedent("""\
        the inventory has no docker_hosts group: site.yml takes the hosts of swarm_managers and swarm_workers
        (%s) as its Docker hosts; add them to a docker_hosts group to say so""" % ", ".join(NODES)).replace("\n", " ")]
    # The site was converged with the same variables: nothing to change, on every host.
    assert all(stats["changed"] == 0 for stats in run.stats.values()), run.stats
    summary = task_result(run, "The site at a glance")[NODES[0]]["msg"]
    assert len([line for line in summary if line.startswith("engine ")]) == 5
