"""Record what real engines answer, for the unit tests of the planners (tests/unit/fixtures/).

Brings up the 5-node lab (3 nodes with Docker 20.10, 2 with Docker 26.1, as the integration tests
do), makes containers with the collection's own dockhand.docker.container module on one node of
each version, forms a swarm, and writes the engines' raw JSON answers to
tests/unit/fixtures/engine-<version>/<name>.json (pretty-printed, sorted keys). Join tokens and
unlock keys are replaced by fakes before anything is written. Takes the lab down at the end, also
on failure. Uses the engine and the lab, so run it under the global lock, from the venv:

    source scripts/common.sh && flock /tmp/dockhand-integration.lock python3 tools/record_fixtures.py

With the argument ``swarm-objects`` it records only the swarm's secrets, configs, services and
tasks (made by dockhand.docker.secret / config and the docker CLI, from throwaway test data), in a
swarm formed as for the node fixtures, and leaves every other file as it is.

With the argument ``networks`` it records only networks (made by dockhand.docker.network on a
single-manager swarm of each version, so that each engine fills in an overlay's defaults itself),
the containers and a service using them, and leaves every other file as it is.

tests/unit/fixtures/README.md says what each file is.
"""

import base64
import json
import os
import re
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

TOOLS_DIR = Path(__file__).resolve().parent
REPO_ROOT = TOOLS_DIR.parent
FIXTURES_DIR = REPO_ROOT / "tests" / "unit" / "fixtures"
sys.path.insert(0, str(TOOLS_DIR))
sys.path.insert(0, str(REPO_ROOT / "tests" / "integration"))

import lab  # noqa: E402  (tools/lab.py)

from ansible_runner import run_playbook  # noqa: E402  (the integration tests' ansible-playbook runner)

IMAGE = "dockhand-test/busybox:latest"
NETWORK = "rec-net"
VOLUME = "rec-vol"

# Lab of lab_up(5, trixie=2, sysv=1): node1-3 Docker 20.10, node4-5 Docker 26.1 (node5 without systemd).
NODE1, NODE2, NODE3, NODE4, NODE5 = ("dockhand-node%d" % i for i in range(1, 6))
# The node whose engine each fixture directory records containers, the image and the engine itself on.
RECORDED = {"20.10": NODE1, "26.1": NODE4}
VERSION_OF = {NODE1: "20.10", NODE2: "20.10", NODE3: "20.10", NODE4: "26.1", NODE5: "26.1"}

# Fakes that replace secrets. A join token keeps its first part (the digest of the swarm's root CA,
# public and checked by the swarm module against the trust root) and gets a fake secret part.
FAKE_TOKEN_SECRETS = {"Worker": "fakeworkertoken0000000000", "Manager": "fakemanagertoken000000000"}
FAKE_UNLOCK_KEY = "SWMKEY-1-fakeunlockkeyfakeunlockkeyfakeunlockkey0"
JOIN_TOKEN = re.compile(r"SWMTKN-1-([0-9a-z]{50})-([0-9a-z]{25})")
UNLOCK_KEY = re.compile(r"SWMKEY-1-[A-Za-z0-9+/=]+")

# Containers of the fixtures: name -> options of dockhand.docker.container (besides name and image).
BASE = {"image": IMAGE, "command": ["sleep", "3600"], "pull": "never"}
CONTAINERS = {
    "plain": {},
    "limits": {"memory": "64m", "memory_reservation": "32m", "memory_swap": "128m", "cpus": "0.5",
               "cpu_shares": 512, "cpuset_cpus": "0", "pids_limit": 64, "restart_policy": "on-failure",
               "restart_retries": 3},
    "memory-only": {"memory": "64m"},
    "memory-only-updated": {"memory": "64m"},  # then changed to 96m in place (UPDATES)
    "unlimited-swap": {"memory": "64m", "memory_swap": "-1"},
    "full": {
        "env": {"A": "1", "SECRET_TOKEN": "fake-secret"},
        "labels": {"team": "x"},
        "ports": ["8080:80", "127.0.0.1:5353:53/udp"],
        "mounts": [{"type": "bind", "source": "/tmp", "target": "/host-tmp", "read_only": True},
                   {"type": "volume", "source": VOLUME, "target": "/data"},
                   {"type": "tmpfs", "target": "/scratch"}],
        "healthcheck": {"test": "true", "interval": "30s", "timeout": "5s", "retries": 3, "start_period": "10s"},
        "stop_signal": "SIGTERM", "stop_timeout": 20, "user": "1000:1000", "working_dir": "/tmp",
        "read_only": True, "init": True, "cap_add": ["NET_ADMIN"], "cap_drop": ["MKNOD"],
        "ulimits": ["nofile=1024:2048"], "log_driver": "local",
        "log_options": {"max-size": "10m", "max-file": "3"},
        "networks": [{"name": NETWORK, "aliases": ["web"]}],
    },
    "stopped": {},  # then stopped (UPDATES): exited, as a container that ran
    "restart-always": {"restart_policy": "always"},
}
# Changes made by a second run of the module, in place: name -> (changed options, the action expected).
UPDATES = {"memory-only-updated": ({"memory": "96m"}, "updated"), "stopped": ({"state": "stopped"}, "stopped")}
# Made with the docker CLI: the module sets cpus as NanoCpus, the CLI can set a CFS quota instead.
CLI_CONTAINERS = {"cpu-quota": ["--cpu-quota", "50000", "--cpu-period", "100000"]}

# Runs inside a node with the node's python3: one request to the engine's unix socket, the body on stdout.
ENGINE_REQUEST = r"""
import http.client, socket, sys
class Connection(http.client.HTTPConnection):
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect('/var/run/docker.sock')
method, path = sys.argv[1], sys.argv[2]
body = sys.argv[3].encode() if len(sys.argv) > 3 else None
conn = Connection('localhost', timeout=60)
conn.request(method, path, body=body, headers={'Content-Type': 'application/json'} if body else {})
resp = conn.getresponse()
data = resp.read()
if resp.status >= 300:
    sys.stderr.write('%s %s: HTTP %d %s\n' % (method, path, resp.status, data.decode(errors='replace').strip()))
    sys.exit(1)
sys.stdout.write(data.decode())
"""
# The API version the collection speaks to a node: the lower of the engine's and the node's SDK's.
SDK_API_VERSION = "import docker.constants; print(docker.constants.DEFAULT_DOCKER_API_VERSION)"


def log(msg):
    lab.log(msg)


def node_run(node, *args, check=True, input=None, timeout=120):
    proc = subprocess.run(["docker", "exec", *(["-i"] if input is not None else []), node, *args],
                          capture_output=True, text=True, input=input, check=False, timeout=timeout)
    if check and proc.returncode != 0:
        raise lab.LabError("%s: %s: %s" % (node, " ".join(args[:4]), (proc.stderr or proc.stdout).strip()))
    return proc.stdout.strip()


def node_docker(node, *args, **kwargs):
    return node_run(node, "docker", *args, **kwargs)


def engine(node, path, method="GET", body=None, versioned=True):
    """The engine's JSON answer to ``method path`` inside ``node`` (at the collection's API version)."""
    if versioned:
        path = "/v%s%s" % (api_versions[node], path)
    args = ["python3", "-c", ENGINE_REQUEST, method, path] + ([json.dumps(body)] if body is not None else [])
    out = node_run(node, *args)
    return json.loads(out) if out else None


api_versions = {}


def negotiate(node):
    server = json.loads(node_run(node, "python3", "-c", ENGINE_REQUEST, "GET", "/version"))["ApiVersion"]
    sdk = node_run(node, "python3", "-c", SDK_API_VERSION)
    api_versions[node] = min(server, sdk, key=lambda v: tuple(int(x) for x in v.split(".")))
    return api_versions[node]


# ---------------------------------------------------------------- secrets and files

def scrub(obj):
    """``obj`` with join tokens and unlock keys replaced by fakes (join tokens keep their CA digest)."""
    text = json.dumps(obj)
    tokens = (obj.get("JoinTokens") or {}) if isinstance(obj, dict) else {}
    for role, token in tokens.items():
        match = JOIN_TOKEN.fullmatch(token or "")
        if not match:
            raise lab.LabError("unexpected join token format for %s" % role)
        text = text.replace(token, "SWMTKN-1-%s-%s" % (match.group(1), FAKE_TOKEN_SECRETS[role]))
    text = JOIN_TOKEN.sub(lambda m: "SWMTKN-1-%s-%s" % (m.group(1), "0" * 25)
                          if m.group(2) not in FAKE_TOKEN_SECRETS.values() else m.group(0), text)
    text = UNLOCK_KEY.sub(FAKE_UNLOCK_KEY, text)
    return json.loads(text)


written = []


def save(version, name, obj):
    path = FIXTURES_DIR / ("engine-%s" % version) / ("%s.json" % name)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(scrub(obj), indent=2, sort_keys=True) + "\n"
    for secret in secrets_seen:
        if secret in text:
            raise lab.LabError("a secret would be written to %s" % path)
    path.write_text(text)
    written.append(path.relative_to(REPO_ROOT))


secrets_seen = set()  # every real token and key read, to prove none reaches a file


def remember_secrets(swarm):
    for token in (swarm.get("JoinTokens") or {}).values():
        secrets_seen.add(token)
        secrets_seen.add(token.rsplit("-", 1)[1])


# ---------------------------------------------------------------- containers

def make_containers(inventory):
    nodes = list(RECORDED.values())
    for node in nodes:
        node_docker(node, "network", "create", "--driver", "bridge", NETWORK)
    items = [dict(CONTAINERS[name], name=name) for name in CONTAINERS]
    tasks = [{"name": "containers", "dockhand.docker.container": dict(BASE, containers=items)}]
    tasks += [{"name": "change %s" % name, "dockhand.docker.container": dict(BASE, name=name, **dict(
        CONTAINERS[name], **change))} for name, (change, _action) in UPDATES.items()]
    run = run_playbook(tasks, hosts=":".join(nodes), inventory=inventory)
    if run.returncode != 0:
        raise lab.LabError("the container module failed: %s" % run.failed_messages())
    for node in nodes:
        actions = {entry["name"]: entry["action"] for entry in run.result(node, task=0)["containers"]}
        if set(actions.values()) != {"created"}:
            raise lab.LabError("%s: expected every container created, got %s" % (node, actions))
        for index, (name, (_change, expected)) in enumerate(UPDATES.items(), start=1):
            action = run.result(node, task=index)["container"]["action"]
            if action != expected:
                raise lab.LabError("%s: %s was %s, not %s" % (node, name, action, expected))
        for name, flags in CLI_CONTAINERS.items():
            node_docker(node, "run", "-d", "--name", name, *flags, IMAGE, "sleep", "3600")
    log("containers made on %s" % ", ".join(nodes))


def record_engines():
    for version, node in RECORDED.items():
        for name in list(CONTAINERS) + list(CLI_CONTAINERS):
            save(version, name, engine(node, "/containers/%s/json" % name))
        save(version, "image", engine(node, "/images/%s/json" % IMAGE))
        save(version, "version", engine(node, "/version", versioned=False))
        save(version, "info", engine(node, "/info"))
    log("recorded containers, image, /version and /info (not in a swarm)")


# ---------------------------------------------------------------- swarm

def swarm_state(node):
    return (engine(node, "/info").get("Swarm") or {}).get("LocalNodeState")


def wait_state(node, state):
    wait_for("swarm state %s in %s" % (state, node), lambda: swarm_state(node) == state)


def wait_for(what, predicate, timeout=120):
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = predicate()
        except lab.LabError:
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise lab.LabError("timed out after %ds waiting for %s" % (timeout, what))
        time.sleep(1)


def form_swarm(addresses, first, managers, workers):
    node_docker(first, "swarm", "init", "--advertise-addr", addresses[first])
    tokens = {role: node_docker(first, "swarm", "join-token", "-q", role) for role in ("manager", "worker")}
    secrets_seen.update(tokens.values())
    for role, names in (("manager", managers), ("worker", workers)):
        for name in names:
            node_docker(name, "swarm", "join", "--advertise-addr", addresses[name], "--token", tokens[role],
                        "%s:2377" % addresses[first])
    wait_all_ready(first, 1 + len(managers) + len(workers))


def wait_all_ready(manager, count):
    def ready():
        nodes = engine(manager, "/nodes")
        up = [n for n in nodes if n["Status"]["State"] == "ready"
              and (n.get("ManagerStatus") or {}).get("Reachability", "reachable") == "reachable"]
        return len(nodes) == count and len(up) == count and any(
            (n.get("ManagerStatus") or {}).get("Leader") for n in nodes)
    wait_for("%d nodes ready and reachable" % count, ready)


def wait_down(manager, hostname):
    def down():
        for node in engine(manager, "/nodes"):
            if node["Description"]["Hostname"] == hostname:
                return node["Status"]["State"] == "down" and node["ManagerStatus"]["Reachability"] == "unreachable"
        return False
    wait_for("%s down and unreachable as %s sees it" % (hostname, manager), down)


def record_swarm(addresses):
    # A swarm led by a 20.10 manager, with a 26.1 manager beside it; a worker of each version.
    form_swarm(addresses, NODE1, managers=[NODE2, NODE4], workers=[NODE3, NODE5])
    for node in (NODE1, NODE4):
        swarm = engine(node, "/swarm")
        remember_secrets(swarm)
        save(VERSION_OF[node], "swarm", swarm)
        save(VERSION_OF[node], "nodes", engine(node, "/nodes"))
    save("20.10", "info-leader", engine(NODE1, "/info"))
    save("20.10", "info-manager", engine(NODE2, "/info"))
    save("26.1", "info-manager", engine(NODE4, "/info"))
    save("20.10", "info-worker", engine(NODE3, "/info"))
    save("26.1", "info-worker", engine(NODE5, "/info"))
    log("recorded the swarm, its nodes and /info of leader, managers and workers")

    # One manager's node stopped: the others see it down and unreachable.
    lab.docker("stop", NODE2, timeout=120)
    for node in (NODE1, NODE4):
        wait_down(node, NODE2)
        save(VERSION_OF[node], "nodes-manager-down", engine(node, "/nodes"))
    lab.docker("start", NODE2, timeout=120)
    wait_state(NODE2, "active")
    wait_all_ready(NODE1, 5)
    log("recorded the node list with a manager down")

    # Autolock on, then a manager of each version restarted: locked until unlocked.
    node_docker(NODE1, "swarm", "update", "--autolock=true")
    unlock_key = node_docker(NODE1, "swarm", "unlock-key", "-q")
    secrets_seen.add(unlock_key)
    for node in (NODE1, NODE4):
        save(VERSION_OF[node], "swarm-autolock", engine(node, "/swarm"))
    for node in (NODE2, NODE4):
        node_run(node, "systemctl", "restart", "docker")
        wait_state(node, "locked")
        save(VERSION_OF[node], "info-locked", engine(node, "/info"))
        engine(node, "/swarm/unlock", method="POST", body={"UnlockKey": unlock_key})
        wait_state(node, "active")
        wait_all_ready(NODE1, 5)
    log("recorded /info of a locked manager")

    # A swarm led by a 26.1 manager, for its leader's /info.
    for node in (NODE5, NODE3, NODE2, NODE4, NODE1):
        node_docker(node, "swarm", "leave", "--force")
    form_swarm(addresses, NODE4, managers=[NODE1, NODE2], workers=[NODE3, NODE5])
    remember_secrets(engine(NODE4, "/swarm"))
    save("26.1", "info-leader", engine(NODE4, "/info"))
    log("recorded /info of a 26.1 leader")


# ---------------------------------------------------------------- secrets, configs, services

# Throwaway test data, never real secrets; the recorder proves neither reaches a file.
REC_SECRETS = ("dockhand-recording-throwaway-1", "dockhand-recording-throwaway-2", "dockhand-legacy-throwaway")
REC_SERVICE_ARGS = ["--detach", "--no-resolve-image", "--endpoint-mode", "dnsrr", "--replicas", "1"]


def swarm_object_tasks(secret_data):
    """dockhand.docker.secret and config tasks: a secret with labels, a plain config and a templated one."""
    return [
        {"name": "secret", "dockhand.docker.secret": {"name": "rec-db-password", "data": secret_data,
                                                      "labels": {"team": "rec"}}},
        {"name": "configs", "dockhand.docker.config": {"configs": [
            {"name": "rec-app-conf", "data": "listen 8080\n"},
            {"name": "rec-greeting", "data": "{% raw %}task {{ .Task.Slot }}{% endraw %}\n",
             "template_driver": "golang"}]}},
    ]


def run_swarm_object_tasks(inventory, secret_data, expected):
    run = run_playbook(swarm_object_tasks(secret_data), hosts=NODE1, inventory=inventory)
    if run.returncode != 0:
        raise lab.LabError("the secret/config modules failed: %s" % run.failed_messages())
    secret = run.result(NODE1, task=0)["secret"]
    found = (secret["action"], secret["services"])
    if found != expected:
        raise lab.LabError("rec-db-password: %s, services %s; expected %s" % (found + (expected,)))
    configs = dict((entry["name"], entry["version"]) for entry in run.result(NODE1, task=1)["configs"])
    return secret["version"], configs


def record_objects(suffix=""):
    tasks = "/tasks?filters=%s" % urllib.parse.quote(json.dumps({"service": ["rec-web", "rec-legacy-user"]}))
    for node in (NODE1, NODE4):
        for name, path in (("secrets", "/secrets"), ("configs", "/configs"), ("services", "/services"),
                           ("tasks", tasks)):
            save(VERSION_OF[node], name + suffix, engine(node, path))


def wait_running(service):
    wait_for("service %s running" % service, lambda: node_docker(
        NODE1, "service", "ls", "--filter", "name=" + service, "--format", "{{.Replicas}}") == "1/1")


def record_swarm_objects(inventory, addresses):
    """Versions made by the modules, an unversioned secret and config made by the CLI, two services using
    them (dnsrr: the lab has no IPVS); recorded, then the secret rotated by the module and recorded again."""
    secrets_seen.update(REC_SECRETS)
    secrets_seen.update(base64.b64encode(secret.encode()).decode() for secret in REC_SECRETS)
    form_swarm(addresses, NODE1, managers=[NODE2, NODE4], workers=[NODE3, NODE5])
    secret, configs = run_swarm_object_tasks(inventory, REC_SECRETS[0], ("created", []))
    node_run(NODE1, "docker", "secret", "create", "rec-legacy", "-", input=REC_SECRETS[2])
    node_run(NODE1, "docker", "config", "create", "rec-legacy-conf", "-", input="legacy = true\n")
    node_docker(NODE1, "service", "create", *REC_SERVICE_ARGS, "--name", "rec-web",
                "--secret", "source=%s,target=db_password,uid=1000,gid=1000,mode=0400" % secret,
                "--config", "source=%s,target=/etc/app.conf" % configs["rec-app-conf"],
                "--config", "source=%s,target=/greeting" % configs["rec-greeting"], IMAGE, "sleep", "3600")
    node_docker(NODE1, "service", "create", *REC_SERVICE_ARGS, "--name", "rec-legacy-user",
                "--secret", "rec-legacy", "--config", "source=rec-legacy-conf,target=/legacy.conf",
                IMAGE, "sleep", "3600")
    for service in ("rec-web", "rec-legacy-user"):
        wait_running(service)
    record_objects()
    log("recorded secrets, configs, services and tasks")
    run_swarm_object_tasks(inventory, REC_SECRETS[1], ("rotated", ["rec-web"]))
    wait_running("rec-web")
    record_objects("-rotated")
    log("recorded them again after the secret's rotation")


# Services made by dockhand.docker.service (the planner compares against what the module made).
SERVICE_NETWORK = "rec-svc-net"
SERVICE_BASE = {"image": IMAGE, "resolve_image": "never", "args": ["sleep", "3600"], "endpoint_mode": "dnsrr",
                "stop_grace_period": "1s", "wait": False}
SERVICES = {
    "svc-plain": {},
    "svc-full": {
        "replicas": 2, "limits": {"memory": "64m", "cpus": "0.25", "pids": 100},
        "reservations": {"memory": "16m", "cpus": "0.1"}, "env": {"A": "1", "SECRET_TOKEN": "fake-secret"},
        "labels": {"team": "rec"}, "container_labels": {"role": "web"},
        "hostname": "web-{% raw %}{{.Task.Slot}}{% endraw %}",
        "user": "0", "workdir": "/tmp", "mounts": [{"type": "tmpfs", "target": "/scratch"},
                                                   {"type": "volume", "source": "rec-data", "target": "/data"}],
        "networks": [{"name": SERVICE_NETWORK, "aliases": ["web"]}],
        "dns": {"nameservers": ["10.0.0.53"], "search": ["example.test"], "options": ["ndots:2"]},
        "healthcheck": {"test": "true", "interval": "30s", "retries": 3}, "stop_signal": "SIGTERM",
        "init": True, "read_only": False, "cap_add": ["NET_ADMIN"], "cap_drop": ["MKNOD"],
        "sysctls": {"net.core.somaxconn": "1024"}, "ulimits": ["nofile=1024:2048"],
        "log_driver": "json-file", "log_options": {"max-size": "10m"},
        "restart_policy": {"condition": "on-failure", "delay": "5s", "max_attempts": 3},
        "placement": {"constraints": ["node.role == worker"], "preferences": [{"spread": "node.labels.zone"}],
                      "max_replicas_per_node": 2},
        "publish": [{"target": 80, "published": 18080, "mode": "host"}],
        "update_config": {"parallelism": 1, "delay": "2s", "order": "start-first", "failure_action": "rollback",
                          "monitor": "5s", "max_failure_ratio": 0.5},
        "rollback_config": {"parallelism": 2, "order": "stop-first", "failure_action": "pause"},
    },
    "svc-global": {"mode": "global"},
    "svc-job": {"mode": "replicated-job", "replicas": 2, "max_concurrent": 1, "args": ["true"]},
}


def record_services(inventory, addresses):
    """Services made by the service module (every option group), recorded as each engine version reads them;
    the module run again must change nothing."""
    form_swarm(addresses, NODE1, managers=[NODE2, NODE4], workers=[NODE3, NODE5])
    node_docker(NODE1, "network", "create", "--driver", "overlay", "--attachable", SERVICE_NETWORK)
    task = {"name": "services", "dockhand.docker.service": dict(
        SERVICE_BASE, services=[dict(options, name=name) for name, options in SERVICES.items()])}
    for round_number, expected in ((1, True), (2, False)):
        run = run_playbook([task], hosts=NODE1, inventory=inventory)
        if run.returncode != 0:
            raise lab.LabError("the service module failed: %s" % run.failed_messages())
        if run.result(NODE1)["changed"] is not expected:
            raise lab.LabError("service module round %d: changed is not %s: %s"
                               % (round_number, expected, run.result(NODE1)["services"]))
    for node in (NODE1, NODE4):
        for name in SERVICES:
            save(VERSION_OF[node], name, engine(node, "/services/%s" % name))
    log("recorded %d services made by the service module" % len(SERVICES))


# ---------------------------------------------------------------- networks

# Networks of the fixtures, made by dockhand.docker.network: fixture name -> item.
NETWORK_ITEMS = {
    "network-bridge": {"name": "rec-bridge"},
    "network-bridge-ipam": {
        "name": "rec-bridge-ipam", "internal": True, "attachable": True, "labels": {"team": "x"},
        "driver_options": {"com.docker.network.driver.mtu": "1400"},
        "ipam": {"driver": "default", "options": {"foo": "bar"}, "config": [
            {"subnet": "10.70.0.0/24", "gateway": "10.70.0.1", "ip_range": "10.70.0.128/25",
             "aux_addresses": {"host1": "10.70.0.5"}}]}},
    "network-bridge-ipv6": {"name": "rec-bridge-ipv6", "enable_ipv6": True,
                            "ipam": {"config": [{"subnet": "fd00:70::/64"}]}},
    "network-overlay": {"name": "rec-overlay", "driver": "overlay"},
    "network-overlay-full": {
        "name": "rec-overlay-full", "driver": "overlay", "attachable": True, "encrypted": True, "labels": {"a": "b"},
        "ipam": {"config": [{"subnet": "10.80.0.0/24", "gateway": "10.80.0.1"}]}},
}
# Containers on them, made by dockhand.docker.container: fixture name -> (name, networks).
NETWORK_USERS = {
    "network-user-fixed": ("rec-net-fixed", [{"name": "rec-bridge-ipam", "aliases": ["web"],
                                              "ipv4_address": "10.70.0.200"}]),
    "network-user-alias": ("rec-net-alias", [{"name": "rec-bridge-ipam", "aliases": ["api", "api2"]}]),
    "network-overlay-user": ("rec-net-overlay-user", [{"name": "rec-overlay-full", "aliases": ["ov"]}]),
}
NETWORK_SERVICE = ["--detach", "--no-resolve-image", "--endpoint-mode", "dnsrr", "--replicas", "1",
                   "--name", "rec-net-svc", "--network", "name=rec-overlay,alias=sa", IMAGE, "sleep", "3600"]


def network_tasks():
    return [{"name": "networks", "dockhand.docker.network": {"networks": list(NETWORK_ITEMS.values())}}]


def run_network_tasks(inventory, tasks, expected, key):
    nodes = list(RECORDED.values())
    run = run_playbook(tasks, hosts=":".join(nodes), inventory=inventory)
    if run.returncode != 0:
        raise lab.LabError("the modules failed: %s" % run.failed_messages())
    for node in nodes:
        actions = {entry["name"]: entry["action"] for entry in run.result(node, task=0)[key]}
        if set(actions.values()) != {expected}:
            raise lab.LabError("%s: expected every item %s, got %s" % (node, expected, actions))


def record_networks(inventory, addresses):
    """Networks made by the module (again: all unchanged), recorded; containers on them made by the container
    module and a service (dnsrr: the lab has no IPVS) on an overlay, recorded with the networks in use."""
    for node in RECORDED.values():
        node_docker(node, "swarm", "init", "--advertise-addr", addresses[node])
    run_network_tasks(inventory, network_tasks(), "created", "networks")
    run_network_tasks(inventory, network_tasks(), "unchanged", "networks")
    for version, node in RECORDED.items():
        for name, item in NETWORK_ITEMS.items():
            save(version, name, engine(node, "/networks/%s" % item["name"]))
        save(version, "network-ingress", engine(node, "/networks/ingress"))
        save(version, "network-predefined-bridge", engine(node, "/networks/bridge"))
    log("recorded the networks as made")

    items = [dict(BASE, name=name, networks=networks) for name, networks in NETWORK_USERS.values()]
    run_network_tasks(inventory, [{"name": "users", "dockhand.docker.container": dict(BASE, containers=items)}],
                      "created", "containers")
    for node in RECORDED.values():
        node_docker(node, "service", "create", *NETWORK_SERVICE)
    for version, node in RECORDED.items():
        wait_for("rec-net-svc running on %s" % node, lambda node=node: node_docker(
            node, "service", "ls", "--filter", "name=rec-net-svc", "--format", "{{.Replicas}}") == "1/1")
        task = wait_for("the task's container on %s" % node, lambda node=node: node_docker(
            node, "ps", "-q", "--no-trunc", "--filter", "label=com.docker.swarm.service.name=rec-net-svc"))
        for name, (container, _networks) in NETWORK_USERS.items():
            save(version, name, engine(node, "/containers/%s/json" % container))
        save(version, "network-task-user", engine(node, "/containers/%s/json" % task))
        save(version, "network-bridge-used", engine(node, "/networks/rec-bridge-ipam"))
        save(version, "network-overlay-used", engine(node, "/networks/rec-overlay-full"))
        save(version, "network-overlay-service", engine(node, "/networks/rec-overlay"))
        save(version, "services-network", engine(node, "/services"))
    log("recorded the networks in use, their containers and the service")


def check_token_digests():
    """The join tokens' CA digest is the digest of the recorded trust root (the swarm module relies on it)."""
    sys.path.insert(0, str(REPO_ROOT / ".build" / "collections"))
    from ansible_collections.dockhand.docker.plugins.module_utils.swarm import trust_root_digest
    for version in RECORDED:
        swarm = json.loads((FIXTURES_DIR / ("engine-%s" % version) / "swarm.json").read_text())
        digest = trust_root_digest(swarm["TLSInfo"]["TrustRoot"])
        for token in swarm["JoinTokens"].values():
            if JOIN_TOKEN.fullmatch(token).group(1) != digest:
                raise lab.LabError("engine-%s: a join token's CA digest is not the trust root's" % version)


def link_collection():
    link = REPO_ROOT / ".build" / "collections" / "ansible_collections" / "dockhand" / "docker"
    if os.path.realpath(link) != str(REPO_ROOT):
        link.parent.mkdir(parents=True, exist_ok=True)
        if os.path.lexists(link):
            link.unlink()
        link.symlink_to(REPO_ROOT)


def main():
    objects_only = sys.argv[1:] == ["swarm-objects"]
    services_only = sys.argv[1:] == ["services"]
    networks_only = sys.argv[1:] == ["networks"]
    link_collection()
    try:
        info = lab.lab_up(5, trixie=2, sysv=1)
        addresses = {node["name"]: node["address"] for node in info["nodes"]}
        for node in addresses:
            negotiate(node)
        log("API versions: %s" % ", ".join("%s %s" % item for item in sorted(api_versions.items())))
        if objects_only:
            record_swarm_objects(info, addresses)
        elif services_only:
            record_services(info, addresses)
        elif networks_only:
            record_networks(info, addresses)
        else:
            make_containers(info)
            record_engines()
            record_swarm(addresses)
            check_token_digests()
    except lab.LabError as err:
        print("record_fixtures: error: %s" % err, file=sys.stderr)
        return 1
    finally:
        lab.lab_down()
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
