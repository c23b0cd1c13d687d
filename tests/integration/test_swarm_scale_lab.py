"""The 7 + 8 swarm lifecycle on a 15-node lab reached over SSH, through the inventory and site.yml
only (issue 16, item 3): formed from bare engines, shrunk 7 -> 5 -> 3 and grown back 3 -> 5 -> 7 by
moving hosts between the groups, 3 managers stopped (the swarm keeps its leader), a 4th stopped (no
leader: the role refuses, force_new_cluster recovers, the next run converges).

A sampler outside the play (tests/integration/swarm_sampler.py) watches every step several times a
second: the fewest reachable managers must stay a majority of the managers the swarm has, and the
swarm keeps a leader except where the step itself takes it away. Each step's time and figures are
printed (`pytest -s`) and gathered in FIGURES.

The steps build on each other, in file order, on one lab made for this module; the session's
5-node lab (conftest's lab_nodes), when one ran before, is brought back at the end.
"""
import json
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml
from swarm_sampler import SwarmSampler
from test_site_lab import site

from ansible_runner import run_playbook
from swarm_tools import leader_of, node_docker, node_list, start_node, swarm_report, swarm_state, wait_for

pytestmark = pytest.mark.lab

N_NODES, N_TRIXIE, N_SYSV = 15, 5, 1
NODES = ["dockhand-node%d" % i for i in range(1, N_NODES + 1)]
CANDIDATES = NODES[:7]  # the hosts that are managers at some step; the others are always workers
FORKS = ("-f", "15")
# {step: figures}: each step's time and what the sampler saw (printed at the end of the module).
FIGURES = {}


def managers_at(count):
    """The first ``count`` candidates: shrinking drops the last ones, node1 (which creates the swarm,
    builds the images and plans the services) stays a manager throughout."""
    return CANDIDATES[:count]


class ScaleLab(object):
    """The 15-node lab and an SSH inventory of it whose swarm groups the steps rewrite."""

    def __init__(self, info, directory):
        self.info = info
        self.path = directory / "inventory-ssh.yml"
        with open(info["ssh_inventory"]) as handle:
            self.source = yaml.safe_load(handle)
        self.address = dict((node["name"], node["address"]) for node in info["nodes"])
        self.managers = list(info["managers"])

    def groups(self, managers):
        """Write the inventory with ``managers`` in swarm_managers and every other node in swarm_workers
        (the same host variables, the same order); returns its path."""
        data = json.loads(json.dumps(self.source))
        groups = data["all"]["children"]["docker_hosts"]["children"]["lab_nodes"]["children"]
        hosts = {}
        for group in ("swarm_managers", "swarm_workers"):
            hosts.update(groups[group].get("hosts") or {})
        groups["swarm_managers"]["hosts"] = dict((name, hosts[name]) for name in NODES if name in managers)
        groups["swarm_workers"]["hosts"] = dict((name, hosts[name]) for name in NODES if name not in managers)
        self.path.write_text(yaml.safe_dump(data, sort_keys=False))
        self.managers = list(managers)
        return str(self.path)


@pytest.fixture(scope="module")
def scale_lab(request, registries, lab_tool_module, tmp_path_factory):
    """A fresh lab of 15 nodes (7 managers + 8 workers in the lab's inventory, the last 5 Debian 13
    with Docker 26.1, the last one without systemd) with the registries relayed into the nodes. The
    lab that ran before (the session's 5 nodes) is brought back afterwards, fresh."""
    lab = lab_tool_module
    before = lab.running_releases()
    before_sysv = list(lab.running_inits().values()).count("sysv")

    def teardown():
        lab.lab_down()
        if before:
            lab.lab_up(len(before), trixie=list(before.values()).count("trixie"), sysv=before_sysv)
        print("swarm scale figures:", json.dumps(FIGURES, indent=1))

    request.addfinalizer(teardown)
    started = time.monotonic()
    info = lab.lab_up(N_NODES, trixie=N_TRIXIE, sysv=N_SYSV)
    lab.registry_bridge()
    assert info["managers"] == CANDIDATES and len(info["workers"]) == 8
    FIGURES["lab up"] = dict(seconds=round(time.monotonic() - started, 1))
    print("lab up: %.1f s" % FIGURES["lab up"]["seconds"])
    return ScaleLab(info, tmp_path_factory.mktemp("scale"))


def step(name, inventory, *extra_args, managers=CANDIDATES, nodes=NODES):
    """site.yml (-f 15) on ``inventory`` with the sampler running; records and prints the step's time and
    figures. Returns (run, figures)."""
    started = time.monotonic()
    with SwarmSampler(nodes, managers=managers) as sampler:
        run = site(inventory, *FORKS, *extra_args)
    seconds = round(time.monotonic() - started, 1)
    figures = dict(sampler.figures(), seconds=seconds, returncode=run.returncode)
    FIGURES[name] = figures
    print("%s: %.1f s, %s" % (name, seconds, json.dumps(figures)))
    return run, figures


def raft_managers(manager):
    """{hostname: manager status} of the managers as ``manager`` lists them."""
    return dict((node["Hostname"], node["ManagerStatus"]) for node in node_list(manager) if node["ManagerStatus"])


def ready_nodes(manager):
    return sorted(node["Hostname"] for node in node_list(manager) if node["Status"] == "Ready")


def at_rest(lab, managers, up=NODES):
    """The swarm as the inventory says, after a step: exactly ``managers`` are managers, all reachable
    (one leads), and every node of ``up`` is ready."""
    leader = leader_of(managers[0])
    status = raft_managers(managers[0])
    assert sorted(status) == sorted(managers), status
    assert len(status) % 2 == 1
    assert leader in managers and all(value in ("Leader", "Reachable") for value in status.values()), status
    assert set(up) <= set(ready_nodes(managers[0]))
    return leader


def changed_hosts(run):
    return dict((host, stats["changed"]) for host, stats in run.stats.items() if stats["changed"])


def check(condition, message):
    """An assertion that prints the lab's swarm report with its message (what CI keeps of a failure)."""
    if not condition:
        raise AssertionError("%s\n%s" % (message, swarm_report(NODES)))


def test_form_seven_managers_and_eight_workers_then_nothing_changes(scale_lab):
    inventory = scale_lab.groups(managers_at(7))
    run, figures = step("form 7 + 8", inventory)
    check(run.returncode == 0, run.failed_messages())
    at_rest(scale_lab, managers_at(7))
    assert figures["per_second"] >= 3, figures

    started = time.monotonic()
    again = site(inventory, *FORKS)
    FIGURES["re-run"] = dict(seconds=round(time.monotonic() - started, 1))
    print("re-run: %.1f s" % FIGURES["re-run"]["seconds"])
    check(again.returncode == 0, again.failed_messages())
    assert changed_hosts(again) == {}, again.stats
    assert len(again.stats) == N_NODES


@pytest.mark.parametrize("count", [5, 3, 5, 7], ids=["7-to-5", "5-to-3", "3-to-5", "5-to-7"])
def test_shrink_and_grow_the_managers_by_editing_the_groups(scale_lab, count):
    before = len(scale_lab.managers)
    leader = leader_of(scale_lab.managers[0])
    inventory = scale_lab.groups(managers_at(count))
    run, figures = step("%d -> %d managers" % (before, count), inventory)
    check(run.returncode == 0, run.failed_messages())
    at_rest(scale_lab, managers_at(count))
    # Demotions come last and promotions first: never fewer reachable managers than a majority of
    # those the swarm has, and the leader, which stays a manager, keeps leading.
    assert figures["per_second"] >= 3, figures
    assert figures["least_quorum_margin"] >= 0, figures
    assert figures["leaderless_stretches"] == 0 and leader_of(NODES[0]) == leader, figures
    assert set(figures["manager_counts"]) <= set(range(min(before, count), max(before, count) + 1)), figures


def stop_nodes(names):
    with ThreadPoolExecutor(len(names)) as pool:
        list(pool.map(lambda name: subprocess.run(["docker", "stop", name], check=True, capture_output=True,
                                                  timeout=120), names))


def task_message(run, suffix):
    """The message of the first result of the task whose name ends with ``suffix``, in any play."""
    for play in run.data["plays"]:
        for task in play["tasks"]:
            if task["task"]["name"].endswith(suffix):
                for result in task["hosts"].values():
                    return result.get("msg")
    return None


def test_three_stopped_managers_leave_the_leader_and_site_converges_the_rest(scale_lab):
    assert scale_lab.managers == managers_at(7)
    leader = leader_of(NODES[0])
    stopped = [name for name in reversed(managers_at(7)) if name not in (leader, NODES[0])][:3]
    FIGURES["stopped"] = stopped
    started = time.monotonic()
    with SwarmSampler(NODES, managers=CANDIDATES) as sampler:
        stop_nodes(stopped)
        wait_for("the stopped managers to be unreachable", lambda: all(
            raft_managers(leader)[name] == "Unreachable" for name in stopped), timeout=60, interval=0.5)
        noticed = round(time.monotonic() - started, 1)
        run = site(scale_lab.path, *FORKS)
    figures = dict(sampler.figures(), seconds=round(time.monotonic() - started, 1), noticed_s=noticed,
                   returncode=run.returncode)
    FIGURES["3 of 7 managers stopped"] = figures
    print("3 of 7 managers stopped: %s" % json.dumps(figures))
    summary = task_message(run, "Check the managers against the inventory and report the fault tolerance left")
    print("health check:", summary)
    # The stopped hosts drop out of the play as unreachable; on every other host the run succeeds.
    unreachable = sorted(host for host, stats in run.stats.items() if stats.get("unreachable"))
    failed = sorted(host for host, stats in run.stats.items() if stats.get("failures"))
    check(unreachable == sorted(stopped) and failed == [], "unreachable %s, failed %s: %s"
          % (unreachable, failed, run.failed_messages()))
    assert run.returncode == 4, run.returncode  # ansible-playbook's code for unreachable hosts
    assert changed_hosts(run) == {}, run.stats
    # The health check counts the stopped managers as the swarm's, unreachable: no failure is left to survive.
    assert "7 managers" in summary and "survives 0 more failed manager(s)" in summary, summary
    assert figures["leaderless_stretches"] == 0 and figures["fewest_reachable_managers"] == 4, figures
    assert leader_of(NODES[0]) == leader


def test_a_fourth_stopped_manager_leaves_no_leader_the_role_refuses_and_force_new_cluster_recovers(
        scale_lab, lab_tool_module):
    status = raft_managers(NODES[0])
    down = sorted(name for name, value in status.items() if value == "Unreachable")
    assert len(down) == 3, status
    survivors = [name for name in managers_at(7) if name not in down]
    fourth = [name for name in reversed(survivors) if name != NODES[0]][0]
    survivors.remove(fourth)
    running = [name for name in NODES if name not in down + [fourth]]

    # The 4th manager stops: 3 of 7 are left, no majority, no leader.
    started = time.monotonic()
    with SwarmSampler(running, managers=survivors) as sampler:
        stop_nodes([fourth])
        wait_for("the swarm to lose its leader", lambda: node_docker(
            NODES[0], "node", "ls", check=False) == "", timeout=90, interval=0.5)
        lost = round(time.monotonic() - started, 1)
        refused = site(scale_lab.path, *FORKS)
    figures = dict(sampler.figures(), seconds=round(time.monotonic() - started, 1), leader_lost_s=lost,
                   returncode=refused.returncode)
    FIGURES["4th manager stopped"] = figures
    print("4th manager stopped: %s" % json.dumps(figures))
    messages = refused.failed_messages()
    print("refused:", messages)
    # ansible-playbook returns 4 (unreachable hosts) also when a task failed as well: the stats tell.
    failed = sorted(host for host, stats in refused.stats.items() if stats.get("failures"))
    unreachable = sorted(host for host, stats in refused.stats.items() if stats.get("unreachable"))
    print("refused: failed on %s, unreachable %s" % (failed, unreachable))
    assert refused.returncode != 0 and NODES[0] in failed, refused.stats
    assert unreachable == sorted(down + [fourth]), refused.stats
    assert "force_new_cluster" in messages and "no leader" in messages, messages
    assert changed_hosts(refused) == {}, refused.stats

    # The recovery the role's README gives: the swarm module with force_new_cluster on one survivor.
    started = time.monotonic()
    recovered = run_playbook([{"name": "Force a new cluster on one surviving manager",
                               "dockhand.docker.swarm": {"force_new_cluster": True,
                                                         "advertise_addr": "{{ swarm_advertise_addr }}"}}],
                             hosts=NODES[0], inventory=str(scale_lab.path))
    check(recovered.returncode == 0 and recovered.result(NODES[0])["changed"], recovered.failed_messages())
    wait_for("node1 to lead", lambda: leader_of(NODES[0]) == NODES[0], timeout=60, interval=0.5)
    forced = round(time.monotonic() - started, 1)

    # The stopped managers come back; what the swarm makes of the old managers is printed.
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(start_node, down + [fourth]))
    lab_tool_module.registry_bridge()  # the restarted nodes' relays to the registry
    restarted = round(time.monotonic() - started, 1)
    came_back = "after force_new_cluster and the restarts: %s; node ls on node1: %s" % (
        json.dumps(dict((name, swarm_state(name)) for name in managers_at(7))),
        json.dumps(raft_managers(NODES[0])))
    print(came_back)

    run, figures = step("converge after force_new_cluster", scale_lab.path)
    figures.update(forced_s=forced, restarted_s=restarted)
    check(run.returncode == 0, "%s\n%s" % (run.failed_messages(), came_back))
    at_rest(scale_lab, managers_at(7))
    # The old managers were removed from Raft by the forced cluster. Some come back as workers and
    # are promoted by the swarm itself (their node entries still want them managers); others stay
    # managers of the old Raft group, with no leader, and the role makes them leave and join again.
    # Either way only old managers change.
    summary = task_message(run, "Check the managers against the inventory and report the fault tolerance left")
    print("health check:", summary, "changed:", changed_hosts(run))
    assert set(changed_hosts(run)) <= set(managers_at(7)), run.stats
    if summary is None:
        # They had rejoined before the preflight read: the swarm stage had no work and was skipped
        # whole; the site's summary shows the swarm as read.
        summary = task_message(run, "The site at a glance")[0]
        assert "7 managers" in summary and "survives 3 failed manager(s)" in summary, summary
    else:
        assert "7 managers" in summary and "survives 3 more failed manager(s)" in summary, summary

    started = time.monotonic()
    again = site(scale_lab.path, *FORKS)
    FIGURES["re-run after recovery"] = dict(seconds=round(time.monotonic() - started, 1))
    check(again.returncode == 0, again.failed_messages())
    assert changed_hosts(again) == {}, again.stats
