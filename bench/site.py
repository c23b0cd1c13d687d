"""Benchmark: site.yml re-run with nothing to change on the 5-node lab, next to a ping and a peer.

    python3 bench/site.py [--repeat N] [--keep-lab]

Brings up the lab (5 nodes: 3 Docker 20.10, 2 Docker 26.1, the last without systemd), relays the
loopback registry into it, runs site.yml once with the lab's site variables (inventories/lab) and
once more to be sure it has converged, then every round, interleaved:

  ping        `ansible lab_nodes -m ansible.builtin.ping` on the lab inventory
  site        `ansible-playbook site.yml -i .lab/inventory.yml -i inventories/lab`; changed=0 asserted
  community   a community.docker playbook doing less: fact gathering, daemon.json (log driver) with
              ansible.builtin.copy, docker_swarm init/join for 3+2, one docker_container with limits
              on the workers (converged once before the rounds)

Target (from the site issue): site re-run <= 2.5x ping. Every figure is the median of --repeat
rounds (default 3). Prints a table and writes JSON to bench/results/site-<timestamp>.json.
"""

import argparse
import json
import statistics
import sys
import tempfile

import harness  # first: importing it hands the process over to the venv's python, which has the SDK

# isort: split
import swarm as swarm_bench
from harness import REPO_ROOT, VENV_BIN, cell, log, ratio

TARGET_RERUN_RATIO = 2.5
SITE = [str(VENV_BIN / "ansible-playbook"), str(REPO_ROOT / "site.yml"), "-i", str(swarm_bench.INVENTORY),
        "-i", str(REPO_ROOT / "inventories" / "lab")]

COMMUNITY_PLAYS = [
    {"name": "hosts", "hosts": "lab_nodes", "gather_facts": True, "tasks": [
        {"name": "daemon.json", "ansible.builtin.copy": {
            "dest": "/etc/docker/daemon.json", "mode": "0644",
            "content": "{{ daemon_json | to_nice_json }}"},
         "vars": {"daemon_json": {"log-driver": "local", "log-opts": {"max-size": "10m", "max-file": "3"}}}}]},
] + swarm_bench.COMMUNITY_PLAYS + [
    {"name": "containers", "hosts": "swarm_workers", "gather_facts": False, "tasks": [
        {"name": "demo", "community.docker.docker_container": {
            "name": "cd-demo-web", "image": "127.0.0.1:5000/dockhand/demo-app:1.0", "memory": "64m",
            "memory_reservation": "32m", "cpus": 0.25, "pids_limit": 64, "restart_policy": "unless-stopped",
            "state": "started"}}]},
]


def run_site(ansible):
    seconds, proc = ansible.run_timed(SITE, env=dict(ansible.env, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json"))
    if proc.returncode != 0:
        raise RuntimeError("site.yml failed:\n%s\n%s" % (proc.stdout[-3000:], proc.stderr[-2000:]))
    return seconds, json.loads(proc.stdout[proc.stdout.find("{"):])["stats"]


def measure(args):
    ansible = swarm_bench.LabAnsible(tempfile.mkdtemp(prefix="dockhand-bench-site-"))
    ansible.ping()
    log("first site.yml run (converges the lab)")
    first = run_site(ansible)[0]
    run_site(ansible)
    log("community.docker playbook, first run")
    community_first = ansible.playbook(COMMUNITY_PLAYS)[0]
    rows = dict(ping=[], site=[], community=[])
    changed = dict(site=[], community=[])
    for round_no in range(1, args.repeat + 1):
        log("round %d of %d" % (round_no, args.repeat))
        rows["ping"].append(ansible.ping())
        seconds, stats = run_site(ansible)
        count = sum(host["changed"] for host in stats.values())
        if count:
            raise RuntimeError("site.yml's re-run changed %d things" % count)
        rows["site"].append(seconds)
        changed["site"].append(count)
        seconds, count = ansible.playbook(COMMUNITY_PLAYS)
        rows["community"].append(seconds)
        changed["community"].append(count)
    result = dict((row, {"median": round(statistics.median(values), 3), "samples": [round(v, 3) for v in values],
                         "changed": changed.get(row, [])}) for row, values in rows.items())
    result["site_first_run"] = {"seconds": round(first, 3)}
    result["community_first_run"] = {"seconds": round(community_first, 3)}
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--repeat", type=int, default=3, help="rounds (default 3)")
    parser.add_argument("--keep-lab", action="store_true", help="leave the lab running afterwards")
    args = parser.parse_args(argv)
    api = harness.ensure_engine()
    meta = harness.versions(api)
    meta["repeat"] = args.repeat
    with harness.five_node_lab(keep=args.keep_lab, bridge_registry=True):
        rows = measure(args)
    ping = rows["ping"]["median"]
    summary = {"site_rerun_over_ping": ratio(rows["site"]["median"], ping),
               "community_rerun_over_ping": ratio(rows["community"]["median"], ping)}
    summary["target_rerun_met"] = summary["site_rerun_over_ping"] <= TARGET_RERUN_RATIO
    problems = [] if summary["target_rerun_met"] else [
        "site.yml re-run is %sx ping (target <= %.1fx)" % (summary["site_rerun_over_ping"], TARGET_RERUN_RATIO)]

    print()
    print("site.yml on the 5-node lab; median of %d rounds; ansible-core %s, community.docker %s"
          % (args.repeat, meta["ansible_core"], meta["community_docker"]))
    for row, label in (("ping", "ansible -m ping, 5 nodes"), ("site", "site.yml re-run, nothing to change"),
                       ("community", "community.docker playbook re-run (less work)")):
        entry = rows[row]
        print("%-46s%9s  %s" % (label, cell(entry["median"], "%.2f s"), " ".join("%.2f" % s for s in entry["samples"])))
    print("first runs: site.yml %.2f s, community.docker playbook %.2f s"
          % (rows["site_first_run"]["seconds"], rows["community_first_run"]["seconds"]))
    print("site re-run / ping: %s (target <= %.1fx: %s); community.docker re-run / ping: %s"
          % (cell(summary["site_rerun_over_ping"], "%.2fx"), TARGET_RERUN_RATIO,
             "met" if summary["target_rerun_met"] else "MISSED", cell(summary["community_rerun_over_ping"], "%.2fx")))
    return harness.finish("site", meta, problems, rows=rows, summary=summary)


if __name__ == "__main__":
    sys.exit(main())
