"""swarm_backup.yml and swarm_restore.yml on the 5-node lab, sharing one site converged by site.yml
(the lab's site variables plus a global service): backups watched by the sampler
(reachable managers never below 2), retention, check mode, the refusals (a damaged archive, a live
cluster, a locked swarm's archive), and the disaster: node1-3 destroyed with their storage,
fresh nodes with the same names and addresses, swarm_restore.yml then site.yml, and the same
cluster, objects and services afterwards. The tests run in order and build on each other; each
phase's time is printed.
"""
import datetime
import glob
import hashlib
import json
import os
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from swarm_sampler import SwarmSampler

from ansible_runner import REPO_ROOT, VENV_BIN, PlaybookRun, ansible_env
from swarm_tools import leader_of, node_docker, node_list, reset_swarm, wait_for

pytestmark = pytest.mark.lab

NODES = ["dockhand-node%d" % i for i in range(1, 6)]
NODE1 = NODES[0]
MANAGERS, WORKERS = NODES[:3], NODES[3:]
LAB_SITE_VARS = os.path.join(REPO_ROOT, "inventories", "lab")
SERVICES = ["demo-svc", "demo-agent"]
SECRET_DATA = "lab-demo-token-not-a-real-secret"
# Added to the lab's site: a global service on the same overlay network.
EXTRA_MANAGER_VARS = """
services_list:
  - name: demo-svc
    image: 127.0.0.1:5000/dockhand/demo-app:1.0
    replicas: 2
    limits: {memory: 64m, cpus: 0.25}
    reservations: {memory: 16m}
    networks: [demo-net]
    secrets: [{name: demo_token}]
    configs: [{name: demo_conf, target: /etc/demo.conf}]
    placement:
      constraints: [node.labels.tier == app]
  - name: demo-agent
    image: 127.0.0.1:5000/dockhand/demo-app:1.0
    mode: global
    networks: [demo-net]
"""
STATE = {}


def phase(name, started):
    took = time.monotonic() - started
    print("\n[swarm backup lab] %s: %.1f s" % (name, took))
    return took


def slowest(run, count=4):
    """The ``count`` slowest tasks of a run, printed as 'task: seconds'."""
    def seconds(task):
        duration = task["task"]["duration"]
        if "end" not in duration:
            return 0.0
        start, end = (datetime.datetime.fromisoformat(duration[key].rstrip("Z")) for key in ("start", "end"))
        return (end - start).total_seconds()
    tasks = [task for play in run.data["plays"] for task in play["tasks"]]
    ranked = sorted(tasks, key=seconds, reverse=True)[:count]
    shown = ["%s %.1f s" % (task["task"]["name"].split(" : ")[-1], seconds(task)) for task in ranked]
    print("[swarm backup lab]   slowest: %s" % "; ".join(shown))


def playbook(name, inventory, site_vars, *extra_args, variables=None, tmp=None):
    """ansible-playbook playbooks/NAME.yml with the lab inventory, the test's site variables and
    ``variables`` in a file (-e @file, as a vault's would be)."""
    cmd = [os.path.join(VENV_BIN, "ansible-playbook"), os.path.join(REPO_ROOT, name),
           "-i", str(inventory), "-i", str(site_vars)]
    if variables:
        path = os.path.join(str(tmp), "vars-%d.json" % (len(os.listdir(str(tmp)))))
        with open(path, "w") as handle:
            json.dump(variables, handle)
        cmd += ["-e", "@%s" % path]
    cmd += list(extra_args)
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=ansible_env(), cwd=REPO_ROOT,
                          timeout=900)
    return PlaybookRun(proc)


def changed_tasks(run):
    return [(task["task"]["name"].split(" : ")[-1], host) for play in run.data["plays"] for task in play["tasks"]
            for host, result in task["hosts"].items() if result.get("changed")]


def engine_pid(node):
    return subprocess.run(["docker", "exec", node, "pidof", "dockerd"], capture_output=True, text=True,
                          check=False).stdout.strip()


def swarm_objects(manager):
    """{kind: {name: full ID}} of the swarm's networks (swarm scope, not ingress), secrets, configs, services."""
    found = {}
    for kind, args in (("networks", ["network", "ls", "--no-trunc", "--filter", "scope=swarm"]),
                       ("secrets", ["secret", "ls"]), ("configs", ["config", "ls"])):
        lines = node_docker(manager, *args, "--format", "{{.Name}} {{.ID}}").splitlines()
        found[kind] = dict(line.split() for line in lines if line and not line.startswith("ingress "))
    names = node_docker(manager, "service", "ls", "--format", "{{.Name}}").split()
    lines = node_docker(manager, "service", "inspect", "--format", "{{.Spec.Name}} {{.ID}}", *names).splitlines()
    found["services"] = dict(line.split() for line in lines if line)
    return found


def swarm_of(node):
    """The node's part in its swarm (state, node ID, role, cluster) as `docker info` says."""
    info = json.loads(node_docker(node, "info", "--format", "{{json .Swarm}}"))
    return (info["LocalNodeState"], info["NodeID"], info["ControlAvailable"], (info.get("Cluster") or {}).get("ID"))


def backups(directory):
    return sorted(glob.glob(os.path.join(str(directory), "*", "*.tar.gz")))


@pytest.fixture(scope="module")
def backup_site(lab_nodes, registries, lab_tool_module, tmp_path_factory):
    """The lab converged by site.yml with the test's site variables; reset at the end."""
    tmp = tmp_path_factory.mktemp("swarm-backup")
    site_vars = tmp / "lab"
    shutil.copytree(LAB_SITE_VARS, site_vars)
    managers_vars = site_vars / "group_vars" / "swarm_managers.yml"
    text = managers_vars.read_text()
    managers_vars.write_text(text[:text.index("services_list:")] + EXTRA_MANAGER_VARS.lstrip("\n"))
    reset_swarm(NODES)
    lab_tool_module.registry_bridge()
    started = time.monotonic()
    first = playbook("site.yml", lab_nodes, site_vars)
    assert first.returncode == 0, first.failed_messages()
    phase("site.yml, first run", started)
    vault = tmp / "vault"
    vault.mkdir()
    yield dict(inventory=lab_nodes, site_vars=site_vars, dir=tmp / "backups", vault=vault,
               tokens=[node_docker(NODE1, "swarm", "join-token", "-q", role) for role in ("worker", "manager")])
    reset_swarm(NODES)


def secrets_in(text, site):
    return [name for name, value in (("worker token", site["tokens"][0]),
                                     ("manager token", site["tokens"][1]), ("secret data", SECRET_DATA))
            if value in text]


def backup(site, *extra_args, **variables):
    variables = dict(dict(swarm_backup_dir=str(site["dir"])), **variables)
    return playbook("playbooks/swarm_backup.yml", site["inventory"], site["site_vars"], *extra_args,
                    variables=variables, tmp=site["vault"])


def restore(site, archive, *extra_args, **variables):
    variables = dict(dict(swarm_restore_archive=archive), **variables)
    return playbook("playbooks/swarm_restore.yml", site["inventory"], site["site_vars"], *extra_args,
                    variables=variables, tmp=site["vault"])


def test_backup_keeps_the_majority_and_files_archive_manifest_and_state(backup_site):
    site = backup_site
    started = time.monotonic()
    with SwarmSampler(NODES, services=SERVICES, managers=MANAGERS) as sampler:
        run = backup(site, "-vvv")
    took = phase("backup under the sampler", started)
    slowest(run)
    assert run.returncode == 0, run.failed_messages()
    figures = sampler.figures()
    print("[swarm backup lab] sampler: %s" % figures)
    assert figures["fewest_managers_up"] >= 2 and figures["longest_leaderless_s"] == 0, figures
    assert figures["fewest_running"]["demo-svc"] == 2, figures
    assert secrets_in(run.stdout + run.stderr, site) == []
    (archive,) = backups(site["dir"])
    cluster = node_docker(NODE1, "info", "--format", "{{.Swarm.Cluster.ID}}")
    assert os.path.basename(os.path.dirname(archive)) == cluster
    manifest = json.load(open(archive[:-len(".tar.gz")] + ".manifest.json"))
    chosen = next(node for node in node_list(NODE1) if node["ID"] == manifest["node_id"])
    assert chosen["Hostname"] in MANAGERS and chosen["ManagerStatus"] != "Leader"
    assert manifest["cluster_id"] == cluster and manifest["autolock"] is False
    assert manifest["hostname"] == chosen["Hostname"] and manifest["advertise_address"].startswith("172.30.77.")
    assert manifest["sha256"] == hashlib.sha256(open(archive, "rb").read()).hexdigest()
    objects = swarm_objects(NODE1)
    for kind in ("networks", "secrets", "configs", "services"):
        assert dict((entry["name"], entry["id"]) for entry in manifest["objects"][kind]) == objects[kind], kind
    text = open(archive[:-len(".tar.gz")] + ".state.yml").read()
    assert "demo-svc" in text and "demo-agent" in text and "demo_token" in text and "demo-net" in text
    assert secrets_in(text + json.dumps(manifest), site) == []
    STATE.update(first=archive, backup_s=took)


def test_a_second_backup_keeps_both_and_keep_1_prunes(backup_site):
    site = backup_site
    started = time.monotonic()
    second = backup(site)
    phase("second backup", started)
    assert second.returncode == 0, second.failed_messages()
    assert len(backups(site["dir"])) == 2
    leader = leader_of(NODE1)
    refused = backup(site, swarm_backup_host=leader)
    assert refused.returncode != 0 and "is the leader" in refused.failed_messages(), refused.failed_messages()
    # The archive the disaster test restores is of a manager other than node1 (and not the leader).
    other = next(node for node in MANAGERS[1:] if node != leader)
    started = time.monotonic()
    third = backup(site, swarm_backup_keep=1, swarm_backup_host=other)
    phase("third backup, keep 1", started)
    slowest(third)
    assert third.returncode == 0, third.failed_messages()
    (latest,) = backups(site["dir"])
    assert latest != STATE["first"]
    assert sorted(os.listdir(os.path.dirname(latest))) == sorted(
        os.path.basename(latest)[:-len(".tar.gz")] + suffix for suffix in (".tar.gz", ".manifest.json", ".state.yml"))
    STATE["latest"] = latest


def test_check_mode_changes_nothing(backup_site):
    site = backup_site
    pids = dict((node, engine_pid(node)) for node in MANAGERS)
    before = sorted(os.listdir(os.path.dirname(STATE["latest"])))
    started = time.monotonic()
    check = backup(site, "--check")
    assert check.returncode == 0, check.failed_messages()
    preview = restore(site, STATE["latest"], "--check", swarm_restore_force=True)
    assert preview.returncode == 0, preview.failed_messages()
    phase("backup and restore in check mode", started)
    assert sorted(os.listdir(os.path.dirname(STATE["latest"]))) == before
    assert dict((node, engine_pid(node)) for node in MANAGERS) == pids


def test_refusals_change_nothing(backup_site, tmp_path):
    site = backup_site
    # The restore's target: the host the archive was taken from.
    target = json.load(open(STATE["latest"][:-len(".tar.gz")] + ".manifest.json"))["hostname"]
    pid, state = engine_pid(target), swarm_of(target)
    started = time.monotonic()
    # A live cluster: node1 is a manager of a swarm with a leader.
    live = restore(site, STATE["latest"])
    assert live.returncode != 0 and "would overwrite a live cluster" in live.failed_messages(), live.failed_messages()
    # One byte changed.
    damaged_dir = tmp_path / "damaged"
    damaged_dir.mkdir()
    base = STATE["latest"][:-len(".tar.gz")]
    damaged = str(damaged_dir / os.path.basename(STATE["latest"]))
    shutil.copy(base + ".manifest.json", str(damaged_dir))
    data = bytearray(open(STATE["latest"], "rb").read())
    data[len(data) // 2] ^= 0x01
    open(damaged, "wb").write(bytes(data))
    corrupt = restore(site, damaged, swarm_restore_force=True)
    assert corrupt.returncode != 0 and "sha256" in corrupt.failed_messages(), corrupt.failed_messages()
    # A locked swarm's archive (its manifest says autolock), with and without the unlock key: Docker's unlock
    # waits for a leader a restored manager never has, so it is refused before anything changes.
    locked_dir = tmp_path / "locked"
    locked_dir.mkdir()
    locked = str(locked_dir / os.path.basename(STATE["latest"]))
    shutil.copy(STATE["latest"], locked)
    manifest = json.load(open(base + ".manifest.json"))
    with open(locked[:-len(".tar.gz")] + ".manifest.json", "w") as handle:
        json.dump(dict(manifest, autolock=True), handle)
    keyless = restore(site, locked, swarm_restore_force=True)
    assert keyless.returncode != 0 and "swarm_unlock_key" in keyless.failed_messages(), keyless.failed_messages()
    key = "SWMKEY-1-" + "k" * 43
    with_key = restore(site, locked, "-vvv", swarm_restore_force=True, swarm_unlock_key=key)
    assert with_key.returncode != 0 and "cannot be restored" in with_key.failed_messages()
    assert key not in with_key.stdout + with_key.stderr
    phase("four refused restores", started)
    assert engine_pid(target) == pid
    assert swarm_of(target) == state


def test_disaster_recovery_restores_the_same_swarm(backup_site, lab_tool_module):
    site = backup_site
    cluster = node_docker(NODE1, "info", "--format", "{{.Swarm.Cluster.ID}}")
    objects = swarm_objects(NODE1)
    worker_ids = dict((node["Hostname"], node["ID"]) for node in node_list(NODE1) if node["Hostname"] in WORKERS)

    started = time.monotonic()
    with ThreadPoolExecutor(len(MANAGERS)) as pool:
        list(pool.map(lab_tool_module.replace_node, MANAGERS))
    for node in MANAGERS:
        assert node_docker(node, "info", "--format", "{{.Swarm.LocalNodeState}}") == "inactive"
    lab_tool_module.registry_bridge()
    phase("node1-3 destroyed and fresh ones up", started)
    # The fresh hosts' engines are provisioned first (daemon.json, restarted while in no swarm): once
    # restored, node1 is the swarm's only reachable manager, whose engine docker_host does not restart.
    started = time.monotonic()
    provisioned = playbook("site.yml", site["inventory"], site["site_vars"], "--limit", ",".join(MANAGERS),
                           "--tags", "docker_host")
    assert provisioned.returncode == 0, provisioned.failed_messages()
    phase("site.yml --tags docker_host on the fresh hosts", started)

    # The archive is of another manager than node1. A restored manager keeps the archive's address in the
    # swarm (Docker 20.10 measured), so a host with another address is refused, before anything changes.
    manifest = json.load(open(STATE["latest"][:-len(".tar.gz")] + ".manifest.json"))
    target = manifest["hostname"]
    assert target != NODE1 and manifest["advertise_address"] != "172.30.77.11"
    elsewhere = restore(site, STATE["latest"], swarm_restore_host=NODE1)
    assert elsewhere.returncode != 0 and "advertises 172.30.77.11, but the archive is of" in \
        elsewhere.failed_messages(), elsewhere.failed_messages()
    assert swarm_of(NODE1)[0] == "inactive"
    started = time.monotonic()
    restored = restore(site, STATE["latest"], "-vvv")
    restore_s = phase("swarm_restore.yml", started)
    slowest(restored)
    assert restored.returncode == 0, restored.failed_messages()
    assert secrets_in(restored.stdout + restored.stderr, site) == []
    assert node_docker(target, "info", "--format", "{{.Swarm.Cluster.ID}}") == cluster

    converge_started = time.monotonic()
    rejoined = playbook("site.yml", site["inventory"], site["site_vars"])
    assert rejoined.returncode == 0, rejoined.failed_messages()

    def converged():
        lines = node_docker(NODE1, "service", "ls", "--format", "{{.Name}} {{.Replicas}}").splitlines()
        replicas = dict(line.split() for line in lines)
        return all(replicas.get(name, "0/1").split("/")[0] == replicas.get(name, "0/1").split("/")[1]
                   for name in SERVICES) and replicas.get("demo-agent") == "5/5" and replicas
    wait_for("both services converged", converged, timeout=180, interval=2)
    site_s = phase("site.yml after the restore, until converged", converge_started)
    slowest(rejoined)
    print("[swarm backup lab] restore -> converged swarm: %.1f s (restore %.1f s, site.yml %.1f s; goal < 180 s)"
          % (restore_s + site_s, restore_s, site_s))

    assert node_docker(NODE1, "info", "--format", "{{.Swarm.Cluster.ID}}") == cluster
    after = swarm_objects(NODE1)
    assert after == objects
    nodes = node_list(NODE1)
    assert sorted(node["Hostname"] for node in nodes) == NODES, nodes
    assert sorted(node["Hostname"] for node in nodes if node["ManagerStatus"] in ("Leader", "Reachable")) == MANAGERS
    assert all(node["Status"] == "Ready" for node in nodes), nodes
    assert dict((node["Hostname"], node["ID"]) for node in nodes if node["Hostname"] in WORKERS) == worker_ids
    # The replicated service's secret, read in one of its running tasks.
    worker = next(node for node in WORKERS
                  if node_docker(node, "ps", "-q", "--filter", "label=com.docker.swarm.service.name=demo-svc"))
    container = node_docker(worker, "ps", "-q", "--filter", "label=com.docker.swarm.service.name=demo-svc").split()[0]
    assert node_docker(worker, "exec", container, "cat", "/run/secrets/demo_token") == SECRET_DATA

    started = time.monotonic()
    again = playbook("site.yml", site["inventory"], site["site_vars"])
    phase("site.yml again", started)
    assert again.returncode == 0, again.failed_messages()
    assert changed_tasks(again) == []
