"""Benchmark: how the collection's speed grows with the inventory, over SSH, at 5 and 15 nodes.

    python3 bench/scale.py [--sizes 5,15] [--forks 5,15] [--repeat N] [--keep-lab]

For every size and every forks setting, on a fresh lab of tools/lab.py reached through its SSH
inventory (.lab/inventory-ssh.yml: SSH to each node's lab address, ControlPersist, pipelining),
with the loopback registry relayed into the nodes:

  ping          `ansible lab_nodes -m ansible.builtin.ping` (the floor of any run on these hosts)
  CLI           the swarm formed by the plain docker CLI over SSH: `swarm init` on the first manager,
                `join-token`, the managers joining one after the other, then the workers together
  role          the dockhand.docker.swarm role forming the same swarm from engines that left theirs
  role rerun    the role again, nothing to change (changed=0 asserted)
  site          site.yml (inventories/lab's variables) converging the lab from bare engines
  site rerun    site.yml again, nothing to change (changed=0 asserted)

Managers and workers are tools/lab.py's split: 3 + 2 for 5 nodes, 7 + 8 for 15. A third of the
nodes (at least 2) are Debian 13 with Docker 26.1, the others Docker 20.10; the last node runs
without systemd. Forks: Ansible's default is 5. Goals (issue 16): site rerun <= 2.5x ping at each
size; 7 + 8 formation by the role <= 3x (ping + CLI); the rerun's cost per added node no steeper
than 1.5x the ping's. Figures are medians of --repeat rounds (default 3) where a row is repeated
(ping, reruns); formations run once per lab. Prints tables and writes JSON to
bench/results/scale-<timestamp>.json. Takes about 20 minutes for 5 and 15 nodes with both forks.
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
import importlib.util

from harness import LAB, REPO_ROOT, VENV_BIN, cell, log, ratio

SSH_INVENTORY = REPO_ROOT / ".lab" / "inventory-ssh.yml"
SITE_VARS = REPO_ROOT / "inventories" / "lab"
ROLE_PLAY = [{"name": "swarm", "hosts": "lab_nodes", "gather_facts": False, "roles": ["dockhand.docker.swarm"]}]
TARGET_RERUN_RATIO = 2.5
TARGET_FORM_RATIO = 3.0
TARGET_SLOPE_RATIO = 1.5


def _load_lab():
    spec = importlib.util.spec_from_file_location("dockhand_lab", LAB)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


lab = _load_lab()


def lab_shape(size):
    """(trixie, sysv) nodes of a lab of `size`: a third (at least 2) Docker 26.1, the last without systemd."""
    return max(2, size // 3), 1


class Lab:
    """A fresh lab of `size` nodes with the registry relayed into it; the nodes' names, addresses, roles."""

    def __init__(self, size):
        trixie, sysv = lab_shape(size)
        log("bringing up a fresh lab of %d nodes (%d Docker 26.1, %d without systemd)" % (size, trixie, sysv))
        start = time.monotonic()
        self.info = lab.lab_up(size, trixie=trixie, sysv=sysv)
        lab.registry_bridge()
        self.up_seconds = time.monotonic() - start
        self.nodes = self.info["nodes"]
        self.managers = [n for n in self.nodes if n["role"] == "manager"]
        self.workers = [n for n in self.nodes if n["role"] == "worker"]

    def ssh(self, node, *command, check=True):
        proc = subprocess.run(lab.ssh_command(node["address"], *command), capture_output=True, text=True,
                              check=False, timeout=300)
        if check and proc.returncode != 0:
            raise RuntimeError("%s: %s: %s" % (node["name"], " ".join(command), proc.stderr.strip()))
        return proc.stdout.strip()

    def leave_all(self):
        with ThreadPoolExecutor(len(self.nodes)) as pool:
            list(pool.map(lambda node: self.ssh(node, "docker", "swarm", "leave", "--force", check=False),
                          self.nodes))

    def check_formed(self):
        """Every manager reachable, every node Ready, as the first manager's CLI sees it."""
        deadline = time.monotonic() + 120
        want = sorted(n["name"] for n in self.managers)
        while True:
            lines = self.ssh(self.managers[0], "docker", "node", "ls", "--format", "'{{json .}}'",
                             check=False).splitlines()
            nodes = [json.loads(line) for line in lines if line.startswith("{")]
            managers = sorted(n["Hostname"] for n in nodes if n["ManagerStatus"] in ("Leader", "Reachable"))
            if managers == want and len(nodes) == len(self.nodes) and all(n["Status"] == "Ready" for n in nodes):
                return
            if time.monotonic() > deadline:
                raise RuntimeError("the swarm is not %d reachable managers + %d ready workers: %s"
                                   % (len(self.managers), len(self.workers), nodes))
            time.sleep(0.5)

    def cli_formation(self):
        """The swarm by the plain CLI over SSH, as an operator's script would form it; returns seconds."""
        first = self.managers[0]
        start = time.monotonic()
        self.ssh(first, "docker", "swarm", "init", "--advertise-addr", first["address"])
        tokens = dict((role, self.ssh(first, "docker", "swarm", "join-token", "-q", role))
                      for role in ("manager", "worker"))

        def join(node, role):
            self.ssh(node, "docker", "swarm", "join", "--advertise-addr", node["address"], "--token", tokens[role],
                     "%s:2377" % first["address"])

        for node in self.managers[1:]:  # one at a time: a manager joins a quorum that has settled
            join(node, "manager")
        if self.workers:
            with ThreadPoolExecutor(len(self.workers)) as pool:
                list(pool.map(lambda node: join(node, "worker"), self.workers))
        return time.monotonic() - start


class SshAnsible(harness.Ansible):
    """ansible and ansible-playbook on the lab's SSH inventory with a forks setting."""

    def __init__(self, workdir, forks):
        super().__init__(workdir, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_LOAD_CALLBACK_PLUGINS="1")
        self.forks = forks

    def ping(self):
        cmd = [str(VENV_BIN / "ansible"), "-i", str(SSH_INVENTORY), "lab_nodes", "-m", "ansible.builtin.ping",
               "-f", str(self.forks)]
        seconds, proc = self.run_timed(cmd, env=dict(self.env, ANSIBLE_STDOUT_CALLBACK="ansible.builtin.minimal"))
        if proc.returncode != 0:
            raise RuntimeError("ping failed: %s" % proc.stdout[-1000:])
        return seconds

    def playbook(self, playbook, *inventories):
        cmd = [str(VENV_BIN / "ansible-playbook"), "-i", str(SSH_INVENTORY),
               *("-i%s" % inventory for inventory in inventories), "-f", str(self.forks), str(playbook)]
        seconds, proc = self.run_timed(cmd, timeout=1800)
        if proc.returncode != 0:
            raise RuntimeError("%s failed:\n%s\n%s" % (playbook, proc.stdout[-3000:], proc.stderr[-2000:]))
        stats = json.loads(proc.stdout[proc.stdout.find("{"):])["stats"]
        return seconds, sum(host["changed"] for host in stats.values())


ROWS = ["ping", "cli", "role", "role_rerun", "site", "site_rerun"]
LABELS = {
    "ping": "ansible -m ping",
    "cli": "docker CLI formation over SSH",
    "role": "swarm role, formation",
    "role_rerun": "swarm role, rerun",
    "site": "site.yml from bare engines",
    "site_rerun": "site.yml rerun",
}


def measure(size, forks, repeat, keep):
    """One fresh lab of `size`, measured with `forks`; returns {row: {median, samples, changed}}."""
    the_lab = Lab(size)
    ansible = SshAnsible(tempfile.mkdtemp(prefix="dockhand-bench-scale-"), forks)
    samples = dict((row, []) for row in ROWS)
    changed = dict((row, []) for row in ROWS)
    ansible.ping()  # warm-up: the persistent connections, the caches
    for _round in range(repeat):
        samples["ping"].append(ansible.ping())
    the_lab.leave_all()
    samples["cli"].append(the_lab.cli_formation())
    the_lab.check_formed()
    the_lab.leave_all()
    role_play = ansible.write_playbook(ROLE_PLAY)
    for row in ("role", "role_rerun"):
        seconds, count = ansible.playbook(role_play)
        samples[row].append(seconds)
        changed[row].append(count)
        if row == "role":
            the_lab.check_formed()
    the_lab.leave_all()
    site = REPO_ROOT / "site.yml"
    seconds, count = ansible.playbook(site, SITE_VARS)
    samples["site"].append(seconds)
    changed["site"].append(count)
    ansible.playbook(site, SITE_VARS)  # settles what a first run leaves to the second (none expected)
    for _round in range(repeat):
        seconds, count = ansible.playbook(site, SITE_VARS)
        samples["site_rerun"].append(seconds)
        changed["site_rerun"].append(count)
    for row in ("role_rerun", "site_rerun"):
        if any(changed[row]):
            raise RuntimeError("%s changed something: %s" % (row, changed[row]))
    result = dict((row, {"median": round(statistics.median(values), 3),
                         "samples": [round(value, 3) for value in values], "changed": changed[row]})
                  for row, values in samples.items())
    result["lab"] = {"nodes": size, "managers": len(the_lab.managers), "workers": len(the_lab.workers),
                     "up_seconds": round(the_lab.up_seconds, 1), "memory_mib": lab_memory_mib()}
    if not keep:
        lab.lab_down()
    return result


def lab_memory_mib():
    """Memory the lab's node containers use together (docker stats), in MiB."""
    out = subprocess.run([lab.docker_bin(), "stats", "--no-stream", "--format", "{{.MemUsage}}",
                          *lab.running_lab()], capture_output=True, text=True, check=False).stdout
    total = 0.0
    units = {"B": 1 / 2**20, "KiB": 1 / 1024, "MiB": 1, "GiB": 1024}
    for line in out.splitlines():
        used = line.split("/")[0].strip()
        for unit in sorted(units, key=len, reverse=True):
            if used.endswith(unit):
                total += float(used[:-len(unit)]) * units[unit]
                break
    return round(total)


def summarize(results, sizes, forks_list):
    summary = {}
    for forks in forks_list:
        per_size = {}
        for size in sizes:
            rows = results["%d/%d" % (size, forks)]
            ping, cli = rows["ping"]["median"], rows["cli"]["median"]
            per_size[size] = {
                "site_rerun_over_ping": ratio(rows["site_rerun"]["median"], ping),
                "role_rerun_over_ping": ratio(rows["role_rerun"]["median"], ping),
                "role_over_ping_plus_cli": ratio(rows["role"]["median"], ping + cli),
                "site_over_ping_plus_cli": ratio(rows["site"]["median"], ping + cli),
            }
        entry = {"sizes": per_size}
        if len(sizes) >= 2:
            small, large = sizes[0], sizes[-1]
            added = large - small
            slope = {}
            for row in ROWS:
                a = results["%d/%d" % (small, forks)][row]["median"]
                b = results["%d/%d" % (large, forks)][row]["median"]
                slope[row] = round((b - a) / added, 3)
            entry["seconds_per_added_node"] = slope
            entry["site_rerun_slope_over_ping_slope"] = ratio(slope["site_rerun"], slope["ping"]) \
                if slope["ping"] > 0 else None
        summary[forks] = entry
    return summary


def problems_of(summary):
    problems = []
    for forks, entry in summary.items():
        for size, figures in entry["sizes"].items():
            if figures["site_rerun_over_ping"] > TARGET_RERUN_RATIO:
                problems.append("forks %d, %d nodes: site rerun is %.2fx ping (goal <= %.1fx)"
                                % (forks, size, figures["site_rerun_over_ping"], TARGET_RERUN_RATIO))
            if figures["role_over_ping_plus_cli"] > TARGET_FORM_RATIO:
                problems.append("forks %d, %d nodes: role formation is %.2fx (ping + CLI) (goal <= %.1fx)"
                                % (forks, size, figures["role_over_ping_plus_cli"], TARGET_FORM_RATIO))
        slope = entry.get("site_rerun_slope_over_ping_slope")
        if slope is not None and slope > TARGET_SLOPE_RATIO:
            problems.append("forks %d: the site rerun grows %.2fx as fast as the ping per added node (goal <= %.1fx)"
                            % (forks, slope, TARGET_SLOPE_RATIO))
    return problems


def print_report(meta, results, summary, sizes, forks_list):
    print()
    print("Over SSH (ControlPersist, pipelining); ansible-core %s; medians of %d rounds for ping and reruns"
          % (meta["ansible_core"], meta["repeat"]))
    columns = ["%d nodes, forks %d" % (size, forks) for forks in forks_list for size in sizes]
    print("%-32s" % "" + "".join("%20s" % c for c in columns))
    for row in ROWS:
        print("%-32s" % LABELS[row] + "".join(
            "%20s" % cell(results["%d/%d" % (size, forks)][row]["median"], "%.2f s")
            for forks in forks_list for size in sizes))
    print("%-32s" % "lab memory (node containers)" + "".join(
        "%20s" % ("%d MiB" % results["%d/%d" % (size, forks)]["lab"]["memory_mib"])
        for forks in forks_list for size in sizes))
    print()
    for forks, entry in summary.items():
        for size, figures in entry["sizes"].items():
            print("forks %d, %d nodes: site rerun / ping %s (goal <= %.1fx); role formation / (ping + CLI) %s "
                  "(goal <= %.1fx); site converge / (ping + CLI) %s"
                  % (forks, size, cell(figures["site_rerun_over_ping"], "%.2fx"), TARGET_RERUN_RATIO,
                     cell(figures["role_over_ping_plus_cli"], "%.2fx"), TARGET_FORM_RATIO,
                     cell(figures["site_over_ping_plus_cli"], "%.2fx")))
        if "seconds_per_added_node" in entry:
            slope = entry["seconds_per_added_node"]
            print("forks %d, seconds per added node: %s; site rerun slope / ping slope %s (goal <= %.1fx)"
                  % (forks, ", ".join("%s %+.3f" % (row, slope[row]) for row in ROWS),
                     cell(entry["site_rerun_slope_over_ping_slope"], "%.2fx"), TARGET_SLOPE_RATIO))


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--sizes", default="5,15", help="lab sizes, comma-separated (default 5,15)")
    parser.add_argument("--forks", default="5,15",
                        help="forks settings, comma-separated (default 5,15; 5 is Ansible's default)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds of ping and of the reruns (default 3)")
    parser.add_argument("--keep-lab", action="store_true", help="leave the last lab running afterwards")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    sizes = sorted(int(x) for x in args.sizes.split(","))
    forks_list = [int(x) for x in args.forks.split(",")]
    api = harness.ensure_engine()
    meta = harness.versions(api)
    meta.update(repeat=args.repeat, sizes=sizes, forks=forks_list, transport="ssh")
    results = {}
    try:
        for forks in forks_list:
            for size in sizes:
                last = (forks, size) == (forks_list[-1], sizes[-1])
                log("%d nodes, forks %d" % (size, forks))
                results["%d/%d" % (size, forks)] = measure(size, forks, args.repeat, keep=args.keep_lab and last)
    finally:
        if not args.keep_lab:
            lab.lab_down()
            lab.registry_down()
    summary = summarize(results, sizes, forks_list)
    print_report(meta, results, summary, sizes, forks_list)
    return harness.finish("scale", meta, problems_of(summary), results=results,
                          summary={str(k): v for k, v in summary.items()})


if __name__ == "__main__":
    sys.exit(main())
