"""Benchmark: one changed log option on the 5-node lab's 3 + 2 swarm while it runs work - the rolling
restart next to the parallel restart docker_host did before it, in one run, sampled from outside.

    python3 bench/rolling_restart.py [--before REV] [--keep-lab]

Brings up the lab, converges it with site.yml (inventories/lab), puts a 3-replica service (dnsrr,
update order start-first) and a global service on the swarm, then:

  parallel   site.yml --tags docker_host from the collection as it was at REV (default: the last
             commit before rolling restarts), with max-size 20m: every engine restarts at once
  rolling    site.yml --tags docker_host from this tree, with max-size 30m: one member at a time,
             drained first, the leader last

Each row: the wall time of the run, and what tests/integration/swarm_sampler.py saw every 200 ms -
the fewest managers answering, the most engines down at once, the stretches without a leader and
the longest, the fewest running containers of each service. Between the rows the swarm settles
(every service converged, a leader), outside the timing. Writes bench/results/rolling_restart-<ts>.json.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import harness  # first: importing it hands the process over to the venv's python, which has the SDK

# isort: split
import swarm as swarm_bench
from harness import REPO_ROOT, VENV_BIN, log

sys.path.insert(0, str(REPO_ROOT / "tests" / "integration"))
from swarm_sampler import SwarmSampler  # noqa: E402

BEFORE = "566df55"  # main before the rolling restarts: docker_host restarted every engine at once
NODES = swarm_bench.NODES
MANAGERS = NODES[:3]
IMAGE = "dockhand-test/busybox:latest"
REPLICATED, GLOBAL = "bench-roll-web", "bench-roll-agent"


def collection_at(rev, workdir):
    """The collection as it was at ``rev``, unpacked where ANSIBLE_COLLECTIONS_PATH can find it."""
    root = Path(workdir) / "collections"
    target = root / "ansible_collections" / "dockhand" / "docker"
    target.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(REPO_ROOT), "archive", rev], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return root, target


def site_vars(workdir, max_size):
    """inventories/lab with the log option's max-size changed."""
    path = Path(workdir) / ("lab-%s" % max_size)
    shutil.copytree(REPO_ROOT / "inventories" / "lab", path)
    hosts = path / "group_vars" / "docker_hosts.yml"
    hosts.write_text(hosts.read_text().replace("max-size: 10m", "max-size: %s" % max_size))
    return path


def run_site(playbook, variables, collections, *extra):
    venv_site = Path(sys.prefix) / "lib" / ("python%d.%d" % sys.version_info[:2]) / "site-packages"
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH="%s:%s" % (collections, venv_site),
               PATH="%s:%s" % (VENV_BIN, os.environ.get("PATH", "")))
    cmd = [str(VENV_BIN / "ansible-playbook"), str(playbook), "-i", str(swarm_bench.INVENTORY),
           "-i", str(variables), *extra]
    start = time.monotonic()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False, timeout=1800)
    seconds = time.monotonic() - start
    if proc.returncode != 0:
        raise RuntimeError("%s failed:\n%s" % (" ".join(cmd), proc.stdout[-4000:]))
    return seconds


def settle():
    """Every service converged and a leader (outside the timing)."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        out = swarm_bench.node_docker(MANAGERS[0], "service", "ls", "--format", "{{.Name}} {{.Replicas}}",
                                      check=False)
        replicas = dict(line.split()[:2] for line in out.splitlines() if line.strip())
        if replicas.get(REPLICATED) == "3/3" and replicas.get(GLOBAL) == "5/5":
            return
        time.sleep(1)
    raise RuntimeError("the services did not settle: %s" % out)


def measure(args, workdir):
    collections = harness.Ansible(workdir)._collections_path()
    log("converging the lab with site.yml")
    run_site(REPO_ROOT / "site.yml", REPO_ROOT / "inventories" / "lab", collections)
    swarm_bench.node_docker(MANAGERS[0], "service", "create", "--detach", "--name", REPLICATED, "--replicas", "3",
                            "--endpoint-mode", "dnsrr", "--update-order", "start-first", "--stop-grace-period",
                            "1s", IMAGE, "sleep", "100000")
    swarm_bench.node_docker(MANAGERS[0], "service", "create", "--detach", "--name", GLOBAL, "--mode", "global",
                            "--endpoint-mode", "dnsrr", "--stop-grace-period", "1s", IMAGE, "sleep", "100000")
    settle()
    old_collections, old_tree = collection_at(args.before, workdir)
    rows = {}
    for row, playbook, paths, max_size in (
            ("parallel", old_tree / "playbooks" / "site.yml", old_collections, "20m"),
            ("rolling", REPO_ROOT / "site.yml", collections, "30m")):
        log("%s: site.yml --tags docker_host with max-size %s" % (row, max_size))
        with SwarmSampler(NODES, services=[REPLICATED, GLOBAL], managers=MANAGERS) as sampler:
            seconds = run_site(playbook, site_vars(workdir, max_size), paths, "--tags", "docker_host")
        rows[row] = dict(seconds=round(seconds, 1), **sampler.figures())
        log("%s: %s" % (row, json.dumps(rows[row])))
        settle()
    return rows


def print_report(rows):
    print()
    print("%-10s %8s %9s %12s %11s %15s %12s %10s" % (
        "row", "wall s", "samples/s", "managers up", "engines down", "leaderless", "longest s", "web/agent"))
    for row, figures in rows.items():
        print("%-10s %8.1f %9s %12s %11s %15s %12s %10s" % (
            row, figures["seconds"], figures["per_second"], figures["fewest_managers_up"],
            figures["most_engines_down"], figures["leaderless_stretches"], figures["longest_leaderless_s"],
            "%s/%s" % (figures["fewest_running"][REPLICATED], figures["fewest_running"][GLOBAL])))
    print("(fewest managers answering, most engines down in one sample, stretches without a leader, the longest,"
          " fewest running containers of the 3-replica / global service)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--before", default=BEFORE, help="the commit whose docker_host restarts in parallel")
    parser.add_argument("--keep-lab", action="store_true")
    args = parser.parse_args(argv)
    api = harness.ensure_engine()
    meta = harness.versions(api)
    problems = []
    workdir = tempfile.mkdtemp(prefix="dockhand-bench-roll-")
    with harness.five_node_lab(keep=args.keep_lab, bridge_registry=True):
        rows = measure(args, workdir)
    rolling = rows["rolling"]
    if rolling["fewest_managers_up"] < 2:
        problems.append("rolling: fewer than 2 managers answered in some sample")
    if rolling["leaderless_stretches"] > 1:
        problems.append("rolling: more than one stretch without a leader")
    if rolling["fewest_running"][REPLICATED] < 3:
        problems.append("rolling: the 3-replica service ran fewer than 3 containers in some sample")
    print_report(rows)
    return harness.finish("rolling_restart", meta, problems, rows=rows)


if __name__ == "__main__":
    sys.exit(main())
