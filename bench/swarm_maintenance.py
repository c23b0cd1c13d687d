"""Benchmark: taking a swarm worker out for maintenance, the swarm's own drain against the start-first move.

    python3 bench/swarm_maintenance.py [--repeat N] [--keep-lab]

On the lab of tools/lab.py (5 docker-in-docker nodes: 3 Debian 12 with Docker 20.10, 2 Debian 13 with
Docker 26.1, the last without systemd) formed into a swarm of 3 managers and 2 workers by the CLI, with
a 3-replica service (update order start-first, endpoint mode dnsrr) placed on the workers and a global
service on every node. Each round, the ways interleaved, on the worker that holds most replicas:

  swarm drain        `docker node update --availability drain`, until the node runs none of the
                     service's tasks and the service runs 3 again (polled every 0.2 s)
  module none        dockhand.docker.swarm_maintenance state=drained move=none (the same drain, and
                     the module's waits), the whole ansible-playbook process
  module start-first dockhand.docker.swarm_maintenance state=drained (move=start-first), the whole
                     ansible-playbook process

A sampler outside the lab (tests/integration/swarm_sampler.py, through every node's engine socket)
counts the running containers of each service several times a second; the report gives the fewest running tasks of the
3-replica service during each way, the seconds each took, and what the move left in the service
(version, previous spec, update status). Between ways the node is made active again and the replicas
are put back on the workers (managers paused, the service updated with --force), outside the timing.
Prints a table and writes JSON to bench/results/swarm_maintenance-<timestamp>.json. See bench/README.md.
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import harness  # first: importing it hands the process over to the venv's python, which has the SDK

# isort: split
from harness import REPO_ROOT, VENV_BIN, cell, log
from swarm import cli_formation, node_docker

sys.path.insert(0, str(REPO_ROOT / "tests" / "integration"))
from swarm_sampler import SwarmSampler  # noqa: E402

INVENTORY = REPO_ROOT / ".lab" / "inventory.yml"
NODES = ["dockhand-node%d" % i for i in range(1, 6)]
MANAGERS, WORKERS = NODES[:3], NODES[3:]
FIRST = MANAGERS[0]
WEB, GLOBAL = "bench-web", "bench-global"
SERVICE = ["service", "create", "--detach", "--no-resolve-image", "--endpoint-mode", "dnsrr",
           "--stop-grace-period", "1s"]
WAYS = ("swarm drain", "module none", "module start-first")


def wait_until(what, predicate, timeout=120, interval=0.2):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError("timed out waiting for %s" % what)
        time.sleep(interval)


def reported_previous(spec):
    """The spec as the engine reports it as a PreviousSpec: without RollbackConfig and the task's
    RestartPolicy (20.10 leaves both out of every previous spec, after a plain CLI update too)."""
    previous = json.loads(json.dumps(spec))
    previous.pop("RollbackConfig", None)
    previous.get("TaskTemplate", {}).pop("RestartPolicy", None)
    return previous


def running_on(node):
    out = node_docker(FIRST, "service", "ps", WEB, "--filter", "node=%s" % node, "--filter", "desired-state=running",
                      "--format", "{{.CurrentState}}", check=False)
    return len([line for line in out.splitlines() if line.startswith("Running")])


def running():
    out = node_docker(FIRST, "service", "ps", WEB, "--filter", "desired-state=running", "--format",
                      "{{.CurrentState}}")
    return len([line for line in out.splitlines() if line.startswith("Running")])


def form_swarm():
    for node in reversed(NODES):
        node_docker(node, "swarm", "leave", "--force", check=False)
    cli_formation()  # bench/swarm.py's: the same 3 + 2 lab, formed with the CLI
    wait_until("5 nodes ready", lambda: node_docker(FIRST, "node", "ls", "--format", "{{.Status}}").split()
               == ["Ready"] * 5, interval=0.5)
    set_managers("pause")
    node_docker(FIRST, *SERVICE, "--name", WEB, "--replicas", "3", "--update-order", "start-first",
                harness.BASE_IMAGE, "sleep", "3600")
    wait_until("%s at 3" % WEB, lambda: running() == 3)
    set_managers("active")
    node_docker(FIRST, *SERVICE, "--name", GLOBAL, "--mode", "global", harness.BASE_IMAGE, "sleep", "3600")
    wait_until("%s on 5 nodes" % GLOBAL, lambda: node_docker(
        FIRST, "service", "ls", "--filter", "name=%s" % GLOBAL, "--format", "{{.Replicas}}") == "5/5")


def update_state():
    return node_docker(FIRST, "service", "inspect", WEB, "--format",
                       "{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}")


def set_managers(availability):
    for manager in MANAGERS:
        node_docker(FIRST, "node", "update", "--availability", availability, manager)


def back_on_workers(node):
    node_docker(FIRST, "node", "update", "--availability", "active", node)
    set_managers("pause")
    node_docker(FIRST, "service", "update", "--detach", "--force", WEB)
    # Until the update is over: a drain within its monitor period would stop tasks it has just started,
    # which the swarm counts as failures (it pauses the update).
    wait_until("%s back on the workers" % WEB, lambda: running() == 3 and not any(
        running_on(manager) for manager in MANAGERS) and update_state() == "completed", interval=0.5)
    set_managers("active")


def maintenance_playbook(workdir, node, move):
    path = workdir / ("drain-%s-%s.yml" % (node, move))
    path.write_text(json.dumps([{"name": "drain", "hosts": FIRST, "gather_facts": False, "tasks": [
        {"name": "drain", "dockhand.docker.swarm_maintenance": {"node": node, "state": "drained", "move": move,
                                                                "timeout": 120}}]}]))
    return path


def one_way(way, workdir, env):
    node = max(WORKERS, key=running_on)
    on_node = running_on(node)
    before = json.loads(node_docker(FIRST, "service", "inspect", WEB))[0]
    with SwarmSampler(NODES, services=[WEB], managers=NODES[:3]) as sampler:
        start = time.monotonic()
        if way == "swarm drain":
            node_docker(FIRST, "node", "update", "--availability", "drain", node)
            wait_until("%s empty, %s at 3" % (node, WEB), lambda: not running_on(node) and running() == 3)
        else:
            move = way.split()[-1]
            proc = subprocess.run([str(VENV_BIN / "ansible-playbook"), "-i", str(INVENTORY),
                                   str(maintenance_playbook(workdir, node, move))], capture_output=True, text=True,
                                  env=env, check=False, timeout=600)
            if proc.returncode != 0:
                raise RuntimeError("%s failed:\n%s" % (way, proc.stdout[-3000:]))
        seconds = time.monotonic() - start
    figures = sampler.figures()
    sampled = dict(fewest=figures["fewest_running"][WEB], samples=figures["samples"],
                   longest_gap=figures["longest_gap_s"])
    after = json.loads(node_docker(FIRST, "service", "inspect", WEB))[0]
    left = dict(spec_identical=after["Spec"] == before["Spec"],
                version_added=after["Version"]["Index"] - before["Version"]["Index"],
                previous_spec_is_spec=reported_previous(after["Spec"]) == after.get("PreviousSpec"),
                update_status=(after.get("UpdateStatus") or {}).get("State"))
    back_on_workers(node)
    return dict(sampled, seconds=round(seconds, 2), node=node, tasks_on_node=on_node, left=left)


def measure(args):
    env = dict(harness.Ansible(tempfile.mkdtemp(prefix="dockhand-bench-maint-")).env)
    workdir = Path(tempfile.mkdtemp(prefix="dockhand-bench-maint-plays-"))
    rounds = dict((way, []) for way in WAYS)
    for number in range(args.repeat):
        for way in WAYS:
            log("round %d: %s" % (number + 1, way))
            rounds[way].append(one_way(way, workdir, env))
    return rounds


def summarize(rounds):
    return dict((way, dict(median_seconds=round(statistics.median(entry["seconds"] for entry in entries), 2),
                           fewest_running=min(entry["fewest"] for entry in entries),
                           left=entries[-1]["left"]))
                for way, entries in rounds.items())


def print_report(meta, rounds, summary):
    print()
    print("Draining a worker holding replicas of a 3-replica service, 3 + 2 swarm on the lab; median of %d rounds; "
          "ansible-core %s" % (meta["repeat"], meta["ansible_core"]))
    print("%-22s%10s  %-15s  %-14s  %s" % ("", "seconds", "fewest running", "tasks moved", "spec afterwards"))
    for way in WAYS:
        left = summary[way]["left"]
        after = "identical, index +%d, previous spec %s, update status %s" % (
            left["version_added"], "= spec" if left["previous_spec_is_spec"] else "differs", left["update_status"])
        print("%-22s%10s  %-15s  %-14s  %s" % (
            way, cell(summary[way]["median_seconds"], "%.2f s"), "%d of 3" % summary[way]["fewest_running"],
            ",".join(str(entry["tasks_on_node"]) for entry in rounds[way]),
            after if left["spec_identical"] else "CHANGED"))
    gaps = [entry["longest_gap"] for entries in rounds.values() for entry in entries if entry["longest_gap"]]
    print("sampler (tests/integration/swarm_sampler.py, running containers on every node, from outside): "
          "longest gap between samples %.2f s" % max(gaps))


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--repeat", type=int, default=3, help="rounds (default 3)")
    parser.add_argument("--keep-lab", action="store_true", help="leave the lab running afterwards")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    api = harness.ensure_engine()
    harness.ensure_base_image(api)
    meta = harness.versions(api)
    meta["repeat"] = args.repeat
    problems = []
    with harness.five_node_lab(keep=args.keep_lab):
        form_swarm()
        rounds = measure(args)
    summary = summarize(rounds)
    if summary["module start-first"]["fewest_running"] < 3:
        problems.append("the start-first move let the 3-replica service fall to %d running tasks"
                        % summary["module start-first"]["fewest_running"])
    if not summary["module start-first"]["left"]["spec_identical"]:
        problems.append("the start-first move changed the service's spec")
    print_report(meta, rounds, summary)
    return harness.finish("swarm_maintenance", meta, problems, rounds=rounds, summary=summary)


if __name__ == "__main__":
    sys.exit(main())
