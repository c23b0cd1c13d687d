"""Benchmark: forming a 3-manager + 2-worker swarm on the 5-node lab, measured side by side in one run.

    python3 bench/swarm.py [--repeat N] [--no-community] [--keep-lab]

On the lab of tools/lab.py (5 docker-in-docker nodes: 3 Debian 12 with Docker 20.10, 2 Debian 13 with
Docker 26.1, the last without systemd), every round, the kinds interleaved:

  ping          `ansible lab_nodes -m ansible.builtin.ping` on the lab inventory (the floor of any
                Ansible run on these nodes, start-up included)
  CLI           the same formation by the plain docker CLI inside the nodes: `swarm init` on the first
                manager, `join-token`, then one `swarm join` after the other
  role          the dockhand.docker.swarm role from bare engines
  role rerun    the role again with nothing to change (changed=0 asserted)
  community     a community.docker playbook doing the same formation (docker_swarm init on the first
                manager, docker_swarm join on the others, managers one at a time) and its rerun

Before each formation every node leaves its swarm (`docker swarm leave --force`), outside the timing.
Targets (from the swarm issue): role formation <= 3x (ping + CLI); role rerun <= 2x ping.
Every figure is the median of --repeat rounds (default 3). Prints a table and writes JSON to
bench/results/swarm-<timestamp>.json. See bench/README.md.
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import harness  # first: importing it hands the process over to the venv's python, which has the SDK

# isort: split
from harness import REPO_ROOT, VENV_BIN, cell, log, ratio

INVENTORY = REPO_ROOT / ".lab" / "inventory.yml"
NODES = ["dockhand-node%d" % i for i in range(1, 6)]
MANAGERS, WORKERS = NODES[:3], NODES[3:]
ADDRESS = dict((name, "172.30.77.%d" % (11 + i)) for i, name in enumerate(NODES))
TARGET_FORM_RATIO = 3.0
TARGET_RERUN_RATIO = 2.0

ROLE_PLAY = [{"name": "swarm", "hosts": "lab_nodes", "gather_facts": False, "roles": ["dockhand.docker.swarm"]}]

# The peer: what an operator writes with community.docker (no quorum checks, no second-swarm guard).
COMMUNITY_PLAYS = [
    {"name": "create", "hosts": "swarm_managers[0]", "gather_facts": False, "tasks": [
        {"name": "init", "community.docker.docker_swarm": {"state": "present", "advertise_addr": "{{ lab_address }}"},
         "register": "swarm_init"}]},
    {"name": "join", "hosts": "lab_nodes:!swarm_managers[0]", "gather_facts": False, "tasks": [
        {"name": "join managers one at a time", "throttle": 1, "when": "inventory_hostname in groups.swarm_managers",
         "community.docker.docker_swarm": {
             "state": "join", "advertise_addr": "{{ lab_address }}",
             "join_token": "{{ hostvars[groups.swarm_managers[0]].swarm_init.swarm_facts.JoinTokens.Manager }}",
             "remote_addrs": ["{{ hostvars[groups.swarm_managers[0]].lab_address }}:2377"]},
         "no_log": True},
        {"name": "join workers", "when": "inventory_hostname in groups.swarm_workers",
         "community.docker.docker_swarm": {
             "state": "join", "advertise_addr": "{{ lab_address }}",
             "join_token": "{{ hostvars[groups.swarm_managers[0]].swarm_init.swarm_facts.JoinTokens.Worker }}",
             "remote_addrs": ["{{ hostvars[groups.swarm_managers[0]].lab_address }}:2377"]},
         "no_log": True}]},
]


def node_docker(node, *args, check=True):
    proc = subprocess.run(["docker", "exec", node, "docker", *args], capture_output=True, text=True, check=False,
                          timeout=120)
    if check and proc.returncode != 0:
        raise RuntimeError("%s: docker %s: %s" % (node, " ".join(args), proc.stderr.strip()))
    return proc.stdout.strip()


def leave_all():
    with ThreadPoolExecutor(len(NODES)) as pool:
        list(pool.map(lambda node: node_docker(node, "swarm", "leave", "--force", check=False), NODES))


def check_formed():
    """The swarm is 3 managers + 2 workers, all Ready, as the first manager's CLI sees it."""
    deadline = time.monotonic() + 60
    while True:
        lines = node_docker(MANAGERS[0], "node", "ls", "--format", "{{json .}}").splitlines()
        nodes = [json.loads(line) for line in lines]
        managers = sorted(n["Hostname"] for n in nodes if n["ManagerStatus"] in ("Leader", "Reachable"))
        if managers == MANAGERS and len(nodes) == 5 and all(n["Status"] == "Ready" for n in nodes):
            return
        if time.monotonic() > deadline:
            raise RuntimeError("the swarm is not 3 reachable managers + 2 ready workers: %s" % nodes)
        time.sleep(0.5)


def cli_formation():
    first = MANAGERS[0]
    start = time.monotonic()
    node_docker(first, "swarm", "init", "--advertise-addr", ADDRESS[first])
    tokens = dict((role, node_docker(first, "swarm", "join-token", "-q", role)) for role in ("manager", "worker"))
    for role, names in (("manager", MANAGERS[1:]), ("worker", WORKERS)):
        for name in names:
            node_docker(name, "swarm", "join", "--advertise-addr", ADDRESS[name], "--token", tokens[role],
                        "%s:2377" % ADDRESS[first])
    return time.monotonic() - start


class LabAnsible(harness.Ansible):
    """ansible and ansible-playbook on the lab inventory."""

    def ping(self):
        cmd = [str(VENV_BIN / "ansible"), "-i", str(INVENTORY), "lab_nodes", "-m", "ansible.builtin.ping"]
        seconds, proc = self.run_timed(cmd)
        if proc.returncode != 0:
            raise RuntimeError("ping failed: %s" % proc.stdout[-1000:])
        return seconds

    def playbook(self, plays):
        path = self.write_playbook(plays)
        cmd = [str(VENV_BIN / "ansible-playbook"), "-i", str(INVENTORY), str(path)]
        seconds, proc = self.run_timed(cmd, env=dict(self.env, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json"))
        if proc.returncode != 0:
            raise RuntimeError("playbook failed:\n%s\n%s" % (proc.stdout[-3000:], proc.stderr[-2000:]))
        stats = json.loads(proc.stdout[proc.stdout.find("{"):])["stats"]
        return seconds, sum(host["changed"] for host in stats.values())


def form_and_rerun(ansible, plays, row, samples, changed):
    """From bare engines: form the swarm with ``plays`` (checked), then run them again."""
    leave_all()
    for name in (row, row + "_rerun"):
        seconds, count = ansible.playbook(plays)
        if name == row:
            check_formed()
        samples[name].append(seconds)
        changed[name].append(count)


def measure(args):
    ansible = LabAnsible(tempfile.mkdtemp(prefix="dockhand-bench-swarm-"))
    samples = dict((row, []) for row in ROWS)
    changed = dict((row, []) for row in ROWS)
    ansible.ping()  # warm-up: caches, connection plugin
    for round_no in range(1, args.repeat + 1):
        log("round %d of %d" % (round_no, args.repeat))
        samples["ping"].append(ansible.ping())
        leave_all()
        samples["cli"].append(cli_formation())
        check_formed()
        form_and_rerun(ansible, ROLE_PLAY, "role", samples, changed)
        if changed["role_rerun"][-1]:
            raise RuntimeError("the role's rerun changed %d things" % changed["role_rerun"][-1])
        if args.community:
            form_and_rerun(ansible, COMMUNITY_PLAYS, "community", samples, changed)
    leave_all()
    return dict((row, {"median": round(statistics.median(values), 3) if values else None,
                       "samples": [round(value, 3) for value in values], "changed": changed[row]})
                for row, values in samples.items())


ROWS = ["ping", "cli", "role", "role_rerun", "community", "community_rerun"]
LABELS = {
    "ping": "ansible -m ping, 5 nodes",
    "cli": "docker CLI formation",
    "role": "dockhand swarm role, formation",
    "role_rerun": "dockhand swarm role, rerun",
    "community": "community.docker playbook, formation",
    "community_rerun": "community.docker playbook, rerun",
}


def summarize(rows):
    ping, cli = rows["ping"]["median"], rows["cli"]["median"]
    form = ratio(rows["role"]["median"], ping + cli)
    rerun = ratio(rows["role_rerun"]["median"], ping)
    return {
        "role_over_ping_plus_cli": form,
        "role_rerun_over_ping": rerun,
        "community_over_role": ratio(rows["community"]["median"], rows["role"]["median"]),
        "community_rerun_over_ping": ratio(rows["community_rerun"]["median"], ping),
        "target_formation_met": form is not None and form <= TARGET_FORM_RATIO,
        "target_rerun_met": rerun is not None and rerun <= TARGET_RERUN_RATIO,
    }


def print_report(meta, rows, summary):
    print()
    print("Swarm 3 managers + 2 workers on the 5-node lab; median of %d rounds; ansible-core %s, community.docker %s"
          % (meta["repeat"], meta["ansible_core"], meta["community_docker"]))
    print("%-40s%10s  %-12s  %s" % ("", "seconds", "changed", "samples"))
    for row in ROWS:
        entry = rows[row]
        print("%-40s%10s  %-12s  %s" % (LABELS[row], cell(entry["median"], "%.2f s"),
                                        ",".join(str(c) for c in entry["changed"]) or "-",
                                        " ".join("%.2f" % s for s in entry["samples"]) or "skipped"))
    print()
    print("role formation / (ping + CLI): %s (target <= %.1fx: %s)"
          % (cell(summary["role_over_ping_plus_cli"], "%.2fx"), TARGET_FORM_RATIO,
             "met" if summary["target_formation_met"] else "MISSED"))
    print("role rerun / ping: %s (target <= %.1fx: %s); community.docker rerun / ping: %s"
          % (cell(summary["role_rerun_over_ping"], "%.2fx"), TARGET_RERUN_RATIO,
             "met" if summary["target_rerun_met"] else "MISSED", cell(summary["community_rerun_over_ping"], "%.2fx")))
    print("community.docker formation / role formation: %s" % cell(summary["community_over_role"], "%.2fx"))


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--repeat", type=int, default=3, help="rounds (default 3)")
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
    if not summary["target_formation_met"]:
        problems.append("role formation is %sx ping + CLI (target <= %.1fx)"
                        % (summary["role_over_ping_plus_cli"], TARGET_FORM_RATIO))
    if not summary["target_rerun_met"]:
        problems.append("role rerun is %sx ping (target <= %.1fx)"
                        % (summary["role_rerun_over_ping"], TARGET_RERUN_RATIO))
    print_report(meta, rows, summary)
    return harness.finish("swarm", meta, problems, rows=rows, summary=summary)


if __name__ == "__main__":
    sys.exit(main())
