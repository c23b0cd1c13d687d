"""site.yml end to end on the 5-node lab with the lab's site variables (inventories/lab): converge,
nothing to change on the second run, the GitOps check (--check --diff shows nothing, then exactly
one changed variable), a single stage by tag, and the installed collection's dockhand.docker.site."""
import json
import os
import shutil
import subprocess

import pytest

from ansible_runner import REPO_ROOT, VENV_BIN, PlaybookRun, ansible_env
from swarm_tools import node_docker, node_list

pytestmark = pytest.mark.lab

NODES = ["dockhand-node%d" % i for i in range(1, 6)]
NODE1 = NODES[0]
MANAGERS, WORKERS = NODES[:3], NODES[3:]
LAB_SITE_VARS = os.path.join(REPO_ROOT, "inventories", "lab")
CONTAINER_TASK = "Converge the containers of this host in one module run"
DAEMON_JSON_TASK = "Set the managed daemon.json keys"
# Actions that run on the controller only; every other action connects to its host.
CONTROLLER_ACTIONS = {"ansible.builtin.set_fact", "ansible.builtin.assert", "ansible.builtin.debug",
                      "ansible.builtin.include_tasks", "ansible.builtin.validate_argument_spec", "ansible.builtin.meta"}


STAGE_PLAYS = ("Docker hosts", "Images", "Swarm", "Services", "Containers")


def site(inventory, *extra_args, site_vars=LAB_SITE_VARS, playbook=None, env=None):
    cmd = [os.path.join(VENV_BIN, "ansible-playbook"), playbook or os.path.join(REPO_ROOT, "site.yml"),
           "-i", str(inventory), "-i", str(site_vars), *extra_args]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env or ansible_env(),
                          cwd=REPO_ROOT, timeout=900)
    return PlaybookRun(proc)


def changed_tasks(run):
    """[(task name without its role prefix, host)] of every result that reported a change."""
    return [(task["task"]["name"].split(" : ")[-1], host) for play in run.data["plays"] for task in play["tasks"]
            for host, result in task["hosts"].items() if result.get("changed")]


def result_of(run, name, host):
    for play in run.data["plays"]:
        for task in play["tasks"]:
            if task["task"]["name"].split(" : ")[-1] == name and host in task["hosts"]:
                return task["hosts"][host]
    raise AssertionError("no result of %r on %s" % (name, host))


def summary_lines(run):
    for play in run.data["plays"]:
        for task in play["tasks"]:
            if task["task"]["name"] == "The site at a glance":
                return next(iter(task["hosts"].values()))["msg"]
    raise AssertionError("no summary in the run")


def test_first_run_provisions_every_stage(site_lab):
    lines = summary_lines(site_lab["first"])
    text = "\n".join(lines)
    assert lines[0].startswith("swarm ") and "3 managers" in lines[0] and "survives 1 failed manager" in lines[0]
    for node in NODES:
        assert "engine %-16s" % node in text
    assert text.count("logging local") == 5
    digest = json.loads(node_docker(NODE1, "image", "inspect", "--format", "{{json .RepoDigests}}",
                                    "127.0.0.1:5000/dockhand/demo-app:1.0"))[0].split("@")[1]
    assert "image 127.0.0.1:5000/dockhand/demo-app:1.0@%s" % digest in text
    for worker in WORKERS:
        assert "container %s/demo-web" % worker in text and "memory 64m, cpus 0.25, pids 64" in text
        limits = json.loads(node_docker(worker, "inspect", "--format", "{{json .HostConfig}}", "demo-web"))
        assert limits["Memory"] == 64 * 1024 * 1024 and limits["NanoCpus"] == 250000000
    assert sorted(node["Hostname"] for node in node_list(NODE1)) == NODES
    # The services stage: the demo service runs its 2 tasks with their limits, on the tier=app workers,
    # its image pinned to the registry's digest.
    assert "service demo-svc created: 2/2 tasks, image 127.0.0.1:5000/dockhand/demo-app:1.0@%s" % digest in text
    spec = json.loads(node_docker(NODE1, "service", "inspect", "--format", "{{json .Spec.TaskTemplate}}", "demo-svc"))
    assert spec["Resources"]["Limits"] == {"MemoryBytes": 64 * 1024 * 1024, "NanoCPUs": 250000000}
    running = node_docker(NODE1, "service", "ps", "--filter", "desired-state=running", "--format",
                          "{{.Node}} {{.CurrentState}}", "demo-svc").splitlines()
    assert len(running) == 2 and all(line.split()[0] in WORKERS and "Running" in line for line in running), running


def remote_runs(run):
    """[(action, host)] of every task result that ran (not skipped) an action on its host."""
    return [(result["action"], host) for play in run.data["plays"] for task in play["tasks"]
            for host, result in task["hosts"].items()
            if not result.get("skipped") and result["action"] not in CONTROLLER_ACTIONS]


def test_second_run_changes_nothing(site_lab):
    again = site(site_lab["inventory"])
    assert again.returncode == 0, again.failed_messages()
    assert changed_tasks(again) == []
    assert all(stats["changed"] == 0 for stats in again.stats.values())
    # The preflight's plans stand for every stage: one module run per node, nothing more.
    assert sorted(remote_runs(again)) == [("dockhand.docker.engine_info", node) for node in NODES]
    # No stage has work: each is skipped whole, its play matching no host.
    decided = [result["ansible_facts"]["site_stages"] for play in again.data["plays"] for task in play["tasks"]
               if task["task"]["name"] == "Decide which stages have work (the others are skipped whole)"
               for result in task["hosts"].values()]
    assert decided and decided[0]["due"] == [], decided
    stages = [play for play in again.data["plays"] if play["play"]["name"].split(" - ")[0] in STAGE_PLAYS]
    assert len(stages) == len(STAGE_PLAYS) and all(play["tasks"] == [] for play in stages), stages
    lines = summary_lines(again)
    assert any(line.startswith("image 127.0.0.1:5000/dockhand/demo-app:1.0@sha256:") for line in lines), lines
    for worker in WORKERS:
        assert "container %s/demo-web unchanged: memory 64m, cpus 0.25, pids 64" % worker in lines
    assert any(line.startswith("service demo-svc unchanged: 2/2 tasks, image 127.0.0.1:5000/dockhand/demo-app:1.0@")
               for line in lines), lines


def test_a_hand_edited_daemon_json_is_found_and_previewed(site_lab):
    node = MANAGERS[1]
    path = "/etc/docker/daemon.json"
    original = node_docker_sh(node, "cat %s" % path)
    edited = json.loads(original)
    edited["log-opts"]["max-file"] = "5"
    node_docker_sh(node, "printf '%%s' '%s' > %s" % (json.dumps(edited), path))
    try:
        preview = site(site_lab["inventory"], "--check", "--diff")
        assert preview.returncode == 0, preview.failed_messages()
        changed = changed_tasks(preview)
        assert (DAEMON_JSON_TASK, node) in changed
        assert {host for _task, host in changed} == {node}, changed
        diff = result_of(preview, DAEMON_JSON_TASK, node)["diff"]
        assert '"max-file": "5"' in json.dumps(diff) and '"max-file": "3"' in json.dumps(diff)
    finally:
        node_docker_sh(node, "printf '%%s' '%s' > %s" % (original.replace("'", ""), path))
    assert json.loads(node_docker_sh(node, "cat %s" % path)) == json.loads(original)


def node_docker_sh(node, command):
    """Run a shell command in a lab node (not in a container of its engine); return its output."""
    proc = subprocess.run(["docker", "exec", node, "sh", "-c", command], capture_output=True, text=True, check=True)
    return proc.stdout


def test_check_diff_shows_nothing_then_exactly_the_changed_memory(site_lab, tmp_path):
    check = site(site_lab["inventory"], "--check", "--diff")
    assert check.returncode == 0, check.failed_messages()
    assert changed_tasks(check) == []

    changed_vars = tmp_path / "lab"
    shutil.copytree(LAB_SITE_VARS, changed_vars)
    workers_vars = changed_vars / "group_vars" / "swarm_workers.yml"
    workers_vars.write_text(workers_vars.read_text().replace("memory: 64m", "memory: 96m"))
    preview = site(site_lab["inventory"], "--check", "--diff", site_vars=changed_vars)
    assert preview.returncode == 0, preview.failed_messages()
    assert sorted(changed_tasks(preview)) == sorted((CONTAINER_TASK, host) for host in WORKERS)
    for worker in WORKERS:
        result = result_of(preview, CONTAINER_TASK, worker)
        (container,) = result["containers"]
        assert container["name"] == "demo-web" and container["action"] == "updated"
        assert container["changes"] == ["memory"]
        assert (container["diff"]["before"], container["diff"]["after"]) == ({"memory": "64m"}, {"memory": "96m"})
        # Check mode: the engine still has 64m.
        assert json.loads(node_docker(worker, "inspect", "--format", "{{json .HostConfig.Memory}}",
                                      "demo-web")) == 64 * 1024 * 1024


def test_one_stage_by_tag(site_lab):
    # Asked for by its tag, the swarm stage runs (its checks and report) although it has no work.
    run = site(site_lab["inventory"], "--tags", "swarm")
    assert run.returncode == 0, run.failed_messages()
    ran = dict((play["play"]["name"].split(" - ")[0], set(
        result["action"] for task in play["tasks"] for result in task["hosts"].values()))
        for play in run.data["plays"])
    # Other stages run only their role's argument check (tagged always by Ansible itself).
    for stage in ("Docker hosts", "Images", "Containers"):
        assert ran[stage] <= {"ansible.builtin.validate_argument_spec"}, (stage, ran[stage])
    assert "dockhand.docker.engine_info" in ran["Preflight"]
    assert {"dockhand.docker.swarm_info", "ansible.builtin.assert"} <= ran["Swarm"]
    assert ran["Summary"] == set()
    assert changed_tasks(run) == []


def test_installed_collection_runs_its_site_playbook(site_lab, installed_collection):
    # Only the installed copy of dockhand.docker is on the path (and the venv's, for the lab's
    # connection plugin), not the working tree.
    venv_collections = ansible_env()["ANSIBLE_COLLECTIONS_PATH"].split(os.pathsep, 1)[1]
    env = ansible_env(ANSIBLE_COLLECTIONS_PATH=os.pathsep.join([str(installed_collection["path"]), venv_collections]))
    run = site(site_lab["inventory"], playbook="dockhand.docker.site", env=env)
    assert run.returncode == 0, run.failed_messages()
    assert changed_tasks(run) == []
