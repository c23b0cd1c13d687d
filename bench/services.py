"""Benchmark: 20 one-replica services with limits on the lab's swarm, measured side by side in one run.

    python3 bench/services.py [--repeat N] [--count N] [--no-community] [--keep-lab]

On the 5-node lab formed into a 3 + 2 swarm by the docker CLI, every round, the kinds interleaved:

  ping            `ansible lab_nodes -m ansible.builtin.ping` (the floor of any Ansible run on the lab)
  CLI create      `docker service create --detach` once per service, inside the first manager
  create          dockhand.docker.service with `services:` (all in one task), wait: false
  rerun           the same task again with nothing to change (changed=0 asserted)
  update          memory 64m -> 96m for all, wait: false
  create, wait    dockhand.docker.service from none, wait: true (every task running, monitor 1s)
  community ...   community.docker.docker_swarm_service in a loop: create, rerun, update

Every service: image dockhand-test/busybox:latest (in every node, not resolved: there is no registry
on the lab for all three to share), args sleep, endpoint_mode dnsrr (no IPVS here), limits 64m and
0.25 CPU. Between rows every service is removed, and before a rerun every task runs, both outside
the timing. Targets (issue 13): rerun >= 6x
faster than community.docker's rerun; create (wait: false) <= 1.5x the CLI's; create with wait:
true faster than community.docker's create. Writes bench/results/services-<timestamp>.json.
"""

import argparse
import statistics
import sys
import tempfile
import time

import harness  # first: importing it hands the process over to the venv's python, which has the SDK

# isort: split
from harness import cell, log, ratio
from swarm import MANAGERS, LabAnsible, check_formed, cli_formation, leave_all, node_docker

IMAGE = "dockhand-test/busybox:latest"
TARGET_RERUN_SPEEDUP = 6.0
TARGET_CREATE_OVER_CLI = 1.5


def names(count):
    return ["bench-svc-%02d" % index for index in range(count)]


def dockhand_play(count, memory, wait):
    return [{"name": "services", "hosts": MANAGERS[0], "gather_facts": False, "tasks": [{
        "name": "services", "dockhand.docker.service": {
            "image": IMAGE, "resolve_image": "never", "args": ["sleep", "3600"], "endpoint_mode": "dnsrr",
            "limits": {"memory": memory, "cpus": "0.25"}, "stop_grace_period": "1s", "wait": wait,
            "update_config": {"monitor": "1s"}, "parallel": 8,
            "services": [{"name": name} for name in names(count)]}}]}]


def community_play(count, memory):
    return [{"name": "services", "hosts": MANAGERS[0], "gather_facts": False, "tasks": [{
        "name": "services", "loop": names(count), "community.docker.docker_swarm_service": {
            "name": "{{ item }}", "image": IMAGE, "resolve_image": False, "args": ["sleep", "3600"],
            "endpoint_mode": "dnsrr", "limits": {"memory": memory, "cpus": 0.25}, "stop_grace_period": "1s"}}]}]


def remove_all():
    ids = node_docker(MANAGERS[0], "service", "ls", "-q").split()
    if ids:
        node_docker(MANAGERS[0], "service", "rm", *ids)


def settled(count):
    """Every service runs its one task (outside the timing: a rerun is measured on a quiet swarm)."""
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        replicas = node_docker(MANAGERS[0], "service", "ls", "--format", "{{.Replicas}}").split()
        if len(replicas) == count and all(value == "1/1" for value in replicas):
            return
        time.sleep(1)
    raise RuntimeError("the services did not settle: %s" % replicas)


def cli_create(count):
    start = time.monotonic()
    for name in names(count):
        node_docker(MANAGERS[0], "service", "create", "--detach", "--no-resolve-image", "--name", name,
                    "--endpoint-mode", "dnsrr", "--limit-memory", "64m", "--limit-cpu", "0.25",
                    "--stop-grace-period", "1s", IMAGE, "sleep", "3600")
    return time.monotonic() - start


def timed(ansible, plays, samples, changed, row, expect_changes=None):
    seconds, count = ansible.playbook(plays)
    samples[row].append(seconds)
    changed[row].append(count)
    if expect_changes is not None and bool(count) != expect_changes:
        raise RuntimeError("%s: changed=%d" % (row, count))


def measure(args):
    ansible = LabAnsible(tempfile.mkdtemp(prefix="dockhand-bench-services-"))
    samples = dict((row, []) for row in ROWS)
    changed = dict((row, []) for row in ROWS)
    leave_all()
    cli_formation()
    check_formed()
    ansible.ping()  # warm-up
    for round_no in range(1, args.repeat + 1):
        log("round %d of %d" % (round_no, args.repeat))
        samples["ping"].append(ansible.ping())
        remove_all()
        samples["cli_create"].append(cli_create(args.count))
        remove_all()
        timed(ansible, dockhand_play(args.count, "64m", False), samples, changed, "create", True)
        settled(args.count)
        timed(ansible, dockhand_play(args.count, "64m", False), samples, changed, "rerun", False)
        timed(ansible, dockhand_play(args.count, "96m", False), samples, changed, "update", True)
        remove_all()
        timed(ansible, dockhand_play(args.count, "64m", True), samples, changed, "create_wait", True)
        if args.community:
            remove_all()
            timed(ansible, community_play(args.count, "64m"), samples, changed, "community_create", True)
            settled(args.count)
            timed(ansible, community_play(args.count, "64m"), samples, changed, "community_rerun")
            timed(ansible, community_play(args.count, "96m"), samples, changed, "community_update", True)
    remove_all()
    return dict((row, {"median": round(statistics.median(values), 3) if values else None,
                       "samples": [round(value, 3) for value in values], "changed": changed[row]})
                for row, values in samples.items())


ROWS = ["ping", "cli_create", "create", "rerun", "update", "create_wait", "community_create", "community_rerun",
        "community_update"]
LABELS = {
    "ping": "ansible -m ping, 5 nodes",
    "cli_create": "docker service create --detach, one by one",
    "create": "dockhand service, create (wait: false)",
    "rerun": "dockhand service, rerun",
    "update": "dockhand service, memory for all (wait: false)",
    "create_wait": "dockhand service, create (wait: true)",
    "community_create": "community.docker loop, create",
    "community_rerun": "community.docker loop, rerun",
    "community_update": "community.docker loop, memory for all",
}


def summarize(rows):
    median = dict((row, rows[row]["median"]) for row in ROWS)
    speedup = ratio(median["community_rerun"], median["rerun"])
    over_cli = ratio(median["create"], median["cli_create"])
    wait_vs_peer = ratio(median["create_wait"], median["community_create"])
    return {
        "rerun_speedup_over_community": speedup,
        "create_over_cli": over_cli,
        "create_wait_over_community_create": wait_vs_peer,
        "update_speedup_over_community": ratio(median["community_update"], median["update"]),
        "rerun_over_ping": ratio(median["rerun"], median["ping"]),
        "target_rerun_met": speedup is not None and speedup >= TARGET_RERUN_SPEEDUP,
        "target_create_met": over_cli is not None and over_cli <= TARGET_CREATE_OVER_CLI,
        "target_wait_met": wait_vs_peer is not None and wait_vs_peer < 1,
    }


def print_report(meta, rows, summary, count):
    print()
    print("%d one-replica services with limits on the lab's 3 + 2 swarm; median of %d rounds; ansible-core %s, "
          "community.docker %s" % (count, meta["repeat"], meta["ansible_core"], meta["community_docker"]))
    print("%-48s%10s  %-10s  %s" % ("", "seconds", "changed", "samples"))
    for row in ROWS:
        entry = rows[row]
        print("%-48s%10s  %-10s  %s" % (LABELS[row], cell(entry["median"], "%.2f s"),
                                        ",".join(str(c) for c in entry["changed"]) or "-",
                                        " ".join("%.2f" % s for s in entry["samples"]) or "skipped"))
    print()
    print("rerun: community.docker / dockhand = %s (target >= %.0fx: %s); dockhand rerun / ping = %s"
          % (cell(summary["rerun_speedup_over_community"], "%.2fx"), TARGET_RERUN_SPEEDUP,
             "met" if summary["target_rerun_met"] else "MISSED", cell(summary["rerun_over_ping"], "%.2fx")))
    print("create (wait: false) / CLI = %s (target <= %.1fx: %s)"
          % (cell(summary["create_over_cli"], "%.2fx"), TARGET_CREATE_OVER_CLI,
             "met" if summary["target_create_met"] else "MISSED"))
    print("create (wait: true) / community.docker create = %s (target < 1: %s)"
          % (cell(summary["create_wait_over_community_create"], "%.2fx"),
             "met" if summary["target_wait_met"] else "MISSED"))
    print("update: community.docker / dockhand = %s" % cell(summary["update_speedup_over_community"], "%.2fx"))


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--repeat", type=int, default=3, help="rounds (default 3)")
    parser.add_argument("--count", type=int, default=20, help="services (default 20)")
    parser.add_argument("--no-community", dest="community", action="store_false",
                        help="leave out the community.docker peer")
    parser.add_argument("--keep-lab", action="store_true", help="leave the lab running afterwards")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    api = harness.ensure_engine()
    meta = harness.versions(api)
    meta["repeat"] = args.repeat
    problems = []
    with harness.five_node_lab(keep=args.keep_lab):
        rows = measure(args)
    summary = summarize(rows)
    if args.community:
        for key, what in (("target_rerun_met", "rerun is not 6x faster than community.docker's"),
                          ("target_create_met", "create (wait: false) is over 1.5x the CLI's"),
                          ("target_wait_met", "create with wait is not faster than community.docker's create")):
            if not summary[key]:
                problems.append(what)
    print_report(meta, rows, summary, args.count)
    return harness.finish("services", meta, problems, rows=rows, summary=summary)


if __name__ == "__main__":
    sys.exit(main())
