"""The test lab (tools/lab.py) against the real Docker engine of the machine.

Needs root on a Debian 12 machine (the lab starts dockerd and installs Debian packages when
they are missing). Run with:  python -m pytest tests/integration/test_lab.py -q
The lab's node names, network and registry ports are fixed, so this module shares them with
the session fixtures of conftest.py: registries that already run are reused as they are, and a
lab that already runs is replaced by this module's lab and brought back (fresh, same size,
releases and inits) after. This module's lab is mixed: 3 nodes, a bookworm node (Docker 20.10) and
two trixie nodes (Docker 26.1), the last of them without systemd (tini as PID 1, the engine run by
/etc/init.d/docker), so the node tests run on both engine versions and both kinds of init (the
trixie image is built once, about 30 s).
"""

import importlib.util
import json
import os
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
LAB_PY = REPO_ROOT / "tools" / "lab.py"
N_NODES = 3
N_TRIXIE = 2  # the last nodes: Debian 13, Docker 26.1; the others Debian 12, Docker 20.10
N_SYSV = 1  # the last node boots without systemd
RELEASES = ["bookworm"] * (N_NODES - N_TRIXIE) + ["trixie"] * N_TRIXIE
INITS = ["systemd"] * (N_NODES - N_SYSV) + ["sysv"] * N_SYSV
ENGINE_VERSIONS = {"bookworm": "20.10.", "trixie": "26.1."}  # server version prefix
SDK_VERSIONS = {"bookworm": "5.0.3", "trixie": "7.1.0"}  # Debian's python3-docker in the node

pytestmark = pytest.mark.lab


def _import_lab():
    """tools/lab.py as a module, imported once per process (found again in sys.modules)."""
    for module in list(sys.modules.values()):
        if getattr(module, "__file__", None) and Path(module.__file__).resolve() == LAB_PY:
            return module
    spec = importlib.util.spec_from_file_location("dockhand_lab_tool", LAB_PY)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def lab_tool():
    return _import_lab()


@pytest.fixture(scope="module")
def lab_engine(lab_tool):
    """The engine answers (started by the lab if nothing ran). It stays up after the tests:
    other test modules use it too, and `tools/lab.py engine down` stops it if the lab started it."""
    return lab_tool.ensure_engine()


class _Docker:
    def __init__(self, binary, env=None):
        self.binary = binary
        self.env = env

    def __call__(self, *args, check=True, input=None):
        proc = subprocess.run([self.binary, *args], input=input, capture_output=True, text=True,
                              env=self.env, timeout=300, check=False)
        if check and proc.returncode != 0:
            detail = proc.stderr.strip() or proc.stdout.strip()
            pytest.fail("docker %s failed (%d): %s" % (" ".join(args), proc.returncode, detail))
        return proc

    def out(self, *args):
        return self(*args).stdout.strip()


@pytest.fixture(scope="module")
def docker_cli(lab_tool, lab_engine):
    return _Docker(lab_tool.docker_bin())


class _Handle:
    """Brings something up on first use and again after a test took it down, so tests do not
    depend on their order."""

    def __init__(self, up, down, info=None, owned=True):
        self._up, self._down, self.info, self.owned = up, down, info, owned

    def up(self):
        if self.info is None:
            self.info = self._up()
        return self.info

    def down(self):
        self.info = None
        return self._down()


@pytest.fixture(scope="module")
def lab(request, lab_tool, lab_engine):
    """A fresh mixed lab for this module (N_NODES nodes, the last N_TRIXIE trixie, the last
    N_SYSV without systemd). Node names are global: a lab that ran before (the session's
    `lab_nodes` of conftest.py, say) is replaced, and brought back with the same number of nodes,
    trixie nodes and sysv nodes at the end (fresh nodes: state inside them is lost)."""
    before = lab_tool.running_releases()
    before_sysv = list(lab_tool.running_inits().values()).count("sysv")
    handle = _Handle(lambda: lab_tool.lab_up(n=N_NODES, trixie=N_TRIXIE, sysv=N_SYSV), lab_tool.lab_down)

    def teardown():
        handle.down()
        if before:
            lab_tool.lab_up(n=len(before), trixie=list(before.values()).count("trixie"), sysv=before_sysv)

    request.addfinalizer(teardown)  # before up: a half-made lab is removed as well
    handle.up()
    return handle


@pytest.fixture(scope="module")
def lab_registries(request, lab_tool, lab_engine):
    """The registries: reused when they run already (a new registry_up() would change the
    password others hold), else brought up for this module and taken down after it."""
    running = lab_tool.registry_info()
    if running:
        return _Handle(lab_tool.registry_up, lab_tool.registry_down, info=running, owned=False)
    handle = _Handle(lab_tool.registry_up, lab_tool.registry_down)
    request.addfinalizer(handle.down)
    handle.up()
    return handle


@pytest.fixture
def client(lab_tool, lab_engine, tmp_path):
    """docker CLI with its own config dir: logins never touch the user's ~/.docker."""
    env = dict(os.environ, DOCKER_CONFIG=str(tmp_path / "docker-config"))
    return _Docker(lab_tool.docker_bin(), env)


@pytest.fixture
def local_tag(request, docker_cli, lab_tool):
    """Tag the test busybox image under a new name; the tag is removed afterwards."""
    made = []

    def tag(repository):
        ref = "%s:t-%s" % (repository, uuid.uuid4().hex[:8])
        docker_cli("tag", lab_tool.TEST_IMAGES[0], ref)
        made.append(ref)
        return ref

    request.addfinalizer(lambda: [docker_cli("rmi", ref, check=False) for ref in made])
    return tag


def _lab_leftovers(docker_cli, lab_tool):
    label = "label=%s=1" % lab_tool.LAB_LABEL
    return {
        "containers": docker_cli.out("ps", "-a", "-q", "--filter", label).split(),
        "networks": docker_cli.out("network", "ls", "-q", "--filter", label).split()
        + docker_cli.out("network", "ls", "-q", "--filter", "name=^%s$" % lab_tool.NETWORK).split(),
    }


def _answers(url):
    try:
        urllib.request.urlopen(url, timeout=2).close()
    except urllib.error.HTTPError:
        return True  # an HTTP answer, even 401
    except (urllib.error.URLError, OSError):
        return False
    return True


# ------------------------------------------------------------------------- roles (no engine)

@pytest.mark.parametrize("n, expected", [(1, (1, 0)), (2, (1, 1)), (3, (3, 0)), (4, (3, 1)),
                                         (5, (3, 2)), (6, (5, 1)), (7, (5, 2)), (9, (7, 2))])
def test_split_roles(lab_tool, n, expected):
    assert lab_tool.split_roles(n) == expected


# ------------------------------------------------------------------------- node releases (no engine)

def test_releases_are_the_last_nodes(lab_tool):
    assert lab_tool.node_releases(5, 2) == ["bookworm"] * 3 + ["trixie"] * 2
    assert lab_tool.node_releases(2) == ["bookworm", "bookworm"]
    assert lab_tool.node_image("trixie") == "dockhand-lab/node:trixie"
    assert lab_tool.node_image() == lab_tool.NODE_IMAGE == "dockhand-lab/node:bookworm"
    with pytest.raises(lab_tool.LabError):
        lab_tool.lab_up(n=2, trixie=3)
    with pytest.raises(lab_tool.LabError):
        lab_tool.node_image("sid")


def test_inits_are_the_last_nodes(lab_tool):
    assert lab_tool.node_inits(5, 1) == ["systemd"] * 4 + ["sysv"]
    assert lab_tool.node_inits(2) == ["systemd", "systemd"]
    flags, command = lab_tool.node_run_args("systemd")
    assert flags[-2:] == ["--stop-signal", "SIGRTMIN+3"] and command == []
    flags, command = lab_tool.node_run_args("sysv")
    assert flags[-2:] == ["--stop-signal", "SIGTERM"]
    assert command == ["/usr/bin/tini", "--", "/usr/local/sbin/lab-sysv"]
    with pytest.raises(lab_tool.LabError):
        lab_tool.lab_up(n=2, sysv=3)
    with pytest.raises(lab_tool.LabError):
        lab_tool.node_run_args("openrc")


def test_recipe_differs_by_release(lab_tool):
    bookworm, trixie = lab_tool.node_packages("bookworm"), lab_tool.node_packages("trixie")
    assert {"docker-cli"} <= set(trixie) - set(bookworm)
    assert "tini" in bookworm  # both images can boot without systemd
    assert set(bookworm) < set(trixie)
    assert lab_tool.recipe_digest("bookworm") != lab_tool.recipe_digest("trixie")
    files = {path.name for path in lab_tool._recipe_files("bookworm")}
    assert "packages-trixie.txt" not in files  # the bookworm image does not depend on it
    assert "packages-trixie.txt" in {path.name for path in lab_tool._recipe_files("trixie")}


def test_sources_for_another_suite_copy_the_host_mirror(lab_tool):
    host = (
        "Types: deb\n"
        "# a comment\n"
        "URIs: http://mirror.example/debian\n"
        "Suites: bookworm bookworm-updates\n"
        "Components: main\n"
        "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
        "\n"
        "Types: deb\n"
        "URIs: http://mirror.example/debian-security\n"
        "Suites: bookworm-security\n"
        "Components: main\n"
    )
    assert lab_tool.sources_for_suite("trixie", host) == (
        "Types: deb\n"
        "URIs: http://mirror.example/debian\n"
        "Suites: trixie\n"
        "Components: main\n"
        "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
    )
    one_line = ("deb http://mirror.example/debian-security bookworm-security main\n"
                "deb [arch=amd64 signed-by=/k.gpg] http://mirror.example/debian bookworm main contrib\n")
    assert lab_tool.sources_for_suite("trixie", one_line, deb822=False) == (
        "deb [arch=amd64 signed-by=/k.gpg] http://mirror.example/debian trixie main contrib\n")


# ------------------------------------------------------------------------- test image

def test_test_image_is_a_base_image(request, docker_cli, lab_tool):
    lab_tool.build_test_images()
    tag = "dockhand-test/from-check:%s" % uuid.uuid4().hex[:8]
    request.addfinalizer(lambda: docker_cli("rmi", "-f", tag, check=False))
    dockerfile = "FROM %s\nRUN echo built > /built\nCMD [\"cat\", \"/built\"]\n" % lab_tool.TEST_IMAGES[0]
    docker_cli("build", "-q", "-t", tag, "-", input=dockerfile)
    assert docker_cli.out("run", "--rm", tag) == "built"


# ------------------------------------------------------------------------- nodes

def test_nodes_answer_with_their_own_name(lab, docker_cli):
    info = lab.up()
    names = [node["name"] for node in info["nodes"]]
    assert names == ["dockhand-node%d" % i for i in range(1, N_NODES + 1)]
    for node in info["nodes"]:
        assert docker_cli.out("exec", node["name"], "docker", "info", "--format", "{{.Name}}") == node["name"]
        assert docker_cli.out("exec", node["name"], "hostname") == node["name"]
        address = docker_cli.out(
            "inspect", "--format", '{{(index .NetworkSettings.Networks "dockhand-lab").IPAddress}}',
            node["name"])
        assert address == node["address"]


def _inventory_hosts(info):
    inventory = yaml.safe_load(Path(info["inventory"]).read_text())
    hosts = {}
    for group in inventory["all"]["children"]["docker_hosts"]["children"]["lab_nodes"]["children"].values():
        hosts.update(group.get("hosts") or {})
    return hosts


def test_mixed_lab_runs_both_engine_versions(lab, docker_cli):
    info = lab.up()
    assert [node["release"] for node in info["nodes"]] == RELEASES
    for node in info["nodes"]:
        version = docker_cli.out("exec", node["name"], "docker", "version", "--format", "{{.Server.Version}}")
        assert version.startswith(ENGINE_VERSIONS[node["release"]]), (node["name"], version)
        sdk = docker_cli.out("exec", node["name"], "python3", "-c", "import docker; print(docker.__version__)")
        assert sdk == SDK_VERSIONS[node["release"]], node["name"]
        images = docker_cli.out("exec", node["name"], "docker", "image", "ls", "--format",
                                "{{.Repository}}:{{.Tag}}").split()
        assert "dockhand-test/busybox:latest" in images, node["name"]
    hosts = _inventory_hosts(info)
    assert {name: host["lab_release"] for name, host in hosts.items()} == {
        node["name"]: node["release"] for node in info["nodes"]}


def test_sysv_node_runs_without_systemd(lab, docker_cli, lab_tool):
    info = lab.up()
    assert [node["init"] for node in info["nodes"]] == INITS
    assert {name: host["lab_init"] for name, host in _inventory_hosts(info).items()} == {
        node["name"]: node["init"] for node in info["nodes"]}
    assert lab_tool.running_inits() == {node["name"]: node["init"] for node in info["nodes"]}
    for node in info["nodes"]:
        name = node["name"]
        label = docker_cli.out("inspect", "--format", '{{index .Config.Labels "dockhand.lab.init"}}', name)
        assert label == node["init"], name
        pid1 = docker_cli.out("exec", name, "cat", "/proc/1/comm")
        systemctl = docker_cli("exec", name, "systemctl", "is-active", "docker", check=False)
        if node["init"] == "systemd":
            assert pid1 == "systemd", name
            assert (systemctl.returncode, systemctl.stdout.strip()) == (0, "active"), name
        else:
            assert pid1 == "tini", name
            # systemd is installed but refuses to work: how a role tells the kinds apart
            assert systemctl.returncode != 0, name
            assert "not been booted with systemd" in systemctl.stderr, name
            assert docker_cli("exec", name, "test", "-d", "/run/systemd/system", check=False).returncode != 0


def test_service_docker_restart_in_a_sysv_node(lab, docker_cli, lab_tool):
    node = next(node["name"] for node in lab.up()["nodes"] if node["init"] == "sysv")
    pid = docker_cli.out("exec", node, "cat", "/var/run/docker.pid")
    restart = docker_cli("exec", node, "service", "docker", "restart")
    assert "Starting Docker" in restart.stdout
    assert restart.stderr.strip() == ""  # no noise from the init script's cgroup mounts
    status = docker_cli("exec", node, "/etc/init.d/docker", "status")
    assert "is running" in status.stdout
    # dockerd needs a moment after the init script returns
    deadline = time.monotonic() + 30
    while docker_cli("exec", node, "docker", "info", "--format", "{{.Name}}", check=False).stdout.strip() != node:
        assert time.monotonic() < deadline, "docker info does not answer after `service docker restart`"
        time.sleep(0.2)
    assert docker_cli.out("exec", node, "cat", "/var/run/docker.pid") != pid  # a new dockerd
    images = docker_cli.out("exec", node, "docker", "image", "ls", "--format", "{{.Repository}}:{{.Tag}}")
    assert lab_tool.TEST_IMAGES[0] in images.split()


@pytest.mark.parametrize("init", ["systemd", "sysv"])
def test_oom_kill_is_reported_in_a_node(request, lab, docker_cli, lab_tool, init):
    """Without systemd, the node's engine reports OOMKilled only when every cgroup hierarchy is
    mounted (lab-sysv mounts the missing ones)."""
    node = next(node["name"] for node in lab.up()["nodes"] if node["init"] == init)
    name = "lab-oom-%s" % uuid.uuid4().hex[:8]
    request.addfinalizer(lambda: docker_cli("exec", node, "docker", "rm", "-f", name, check=False))
    run = docker_cli("exec", node, "docker", "run", "--name", name, "--memory", "64m",
                     lab_tool.TEST_IMAGES[0], "tail", "/dev/zero", check=False)
    assert run.returncode == 137, run.stderr
    state = docker_cli.out("exec", node, "docker", "inspect", "--format", "{{.State.OOMKilled}}", name)
    assert state == "true"


@pytest.mark.parametrize("release, init", [("bookworm", "systemd"), ("trixie", "systemd"), ("trixie", "sysv")])
def test_limited_container_runs_in_a_node(request, lab, docker_cli, lab_tool, release, init):
    node = next(node["name"] for node in lab.up()["nodes"] if (node["release"], node["init"]) == (release, init))
    name = "lab-limits-%s" % uuid.uuid4().hex[:8]
    request.addfinalizer(lambda: docker_cli("exec", node, "docker", "rm", "-f", name, check=False))
    docker_cli("exec", node, "docker", "run", "-d", "--name", name, "--memory", "64m",
               "--cpus", "0.5", lab_tool.TEST_IMAGES[0], "sh", "-c", "sleep 1000")

    def read(path):
        return docker_cli.out("exec", node, "docker", "exec", name, "cat", path)

    # Both engines see cgroup v1 on the test machines (the trixie node's systemd 257 mounts a
    # hybrid layout, but its engine uses the v1 hierarchies); v2 is read where it shows up.
    cgroup = docker_cli.out("exec", node, "docker", "info", "--format", "{{.CgroupVersion}}")
    if cgroup == "2":
        assert (read("/sys/fs/cgroup/memory.max"), read("/sys/fs/cgroup/cpu.max")) == ("67108864", "50000 100000")
    else:
        memory = read("/sys/fs/cgroup/memory/memory.limit_in_bytes")
        quota = read("/sys/fs/cgroup/cpu/cpu.cfs_quota_us")
        assert (memory, quota) == ("67108864", "50000")


def test_inventory_lists_the_groups(lab):
    info = lab.up()
    inventory = yaml.safe_load(Path(info["inventory"]).read_text())
    # docker_hosts (site.yml's group) holds lab_nodes, which holds the swarm groups.
    lab_nodes = inventory["all"]["children"]["docker_hosts"]["children"]["lab_nodes"]
    assert lab_nodes["vars"]["ansible_connection"] == "community.docker.docker"
    assert lab_nodes["vars"]["ansible_python_interpreter"] == "/usr/bin/python3"
    groups = lab_nodes["children"]
    assert set(groups) == {"swarm_managers", "swarm_workers"}
    managers = groups["swarm_managers"]["hosts"]
    assert list(managers) == ["dockhand-node1", "dockhand-node2", "dockhand-node3"]
    assert [host["lab_address"] for host in managers.values()] == ["172.30.77.11", "172.30.77.12",
                                                                   "172.30.77.13"]
    assert not groups["swarm_workers"].get("hosts")


def test_ssh_inventory_reaches_the_nodes_as_real_hosts(lab, lab_tool):
    """The SSH inventory: same groups, each node reached over SSH at its lab address with the
    lab's key and its own host key checked; Ansible reaches every node through it."""
    info = lab.up()
    inventory = yaml.safe_load(Path(info["ssh_inventory"]).read_text())
    lab_nodes = inventory["all"]["children"]["docker_hosts"]["children"]["lab_nodes"]
    variables = lab_nodes["vars"]
    assert variables["ansible_connection"] == "ssh"
    assert variables["ansible_host"] == "{{ lab_address }}"
    assert variables["ansible_ssh_pipelining"] is True
    assert variables["ansible_ssh_host_key_checking"] is True
    assert "ControlPersist" in variables["ansible_ssh_args"]
    assert "StrictHostKeyChecking=yes" in variables["ansible_ssh_common_args"]
    docker_inventory = yaml.safe_load(Path(info["inventory"]).read_text())
    assert lab_nodes["children"] == docker_inventory["all"]["children"]["docker_hosts"]["children"][
        "lab_nodes"]["children"]

    # One host key per node, each node's own.
    known = [line.split() for line in Path(lab_tool.KNOWN_HOSTS).read_text().splitlines()]
    assert sorted(fields[0] for fields in known) == sorted(
        "%s,%s" % (node["address"], node["name"]) for node in info["nodes"])
    assert len({fields[2] for fields in known}) == N_NODES

    from ansible_runner import VENV_BIN, ansible_env
    proc = subprocess.run([os.path.join(VENV_BIN, "ansible"), "lab_nodes", "-i", info["ssh_inventory"],
                           "-m", "ansible.builtin.command", "-a", "cat /etc/hostname", "-o"],
                          capture_output=True, text=True, check=False, timeout=300,
                          env=ansible_env(ANSIBLE_STDOUT_CALLBACK="ansible.builtin.minimal"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for node in info["nodes"]:
        assert "%s | CHANGED | rc=0 | (stdout) %s" % (node["name"], node["name"]) in proc.stdout


def test_ssh_refuses_a_node_whose_host_key_is_not_the_recorded_one(lab, lab_tool, tmp_path):
    info = lab.up()
    first, second = info["nodes"][:2]
    lines = Path(lab_tool.KNOWN_HOSTS).read_text().splitlines()
    keys = {line.split()[0].split(",")[0]: line.split(" ", 1)[1] for line in lines}
    # The first node's address recorded with the second node's key: a host that is not the one expected.
    (tmp_path / "known_hosts").write_text("%s %s\n" % (first["address"], keys[second["address"]]))
    command = lab_tool.ssh_command(first["address"], "true")
    command[command.index("UserKnownHostsFile=%s" % lab_tool.KNOWN_HOSTS)] = (
        "UserKnownHostsFile=%s" % (tmp_path / "known_hosts"))
    proc = subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)
    assert proc.returncode != 0
    assert "REMOTE HOST IDENTIFICATION HAS CHANGED" in proc.stderr
    assert subprocess.run(lab_tool.ssh_command(first["address"], "true"), check=False,
                          timeout=60).returncode == 0


def test_lab_down_leaves_nothing(lab, docker_cli, lab_tool):
    lab.up()
    lab.down()
    assert _lab_leftovers(docker_cli, lab_tool) == {"containers": [], "networks": []}
    assert not Path(lab_tool.INVENTORY).exists()
    assert not Path(lab_tool.SSH_INVENTORY).exists()
    assert not Path(lab_tool.KNOWN_HOSTS).exists()
    lab_tool.lab_down()  # idempotent
    assert _lab_leftovers(docker_cli, lab_tool) == {"containers": [], "networks": []}


# ------------------------------------------------------------------------- registries

def test_plain_registry_accepts_a_push(lab_registries, client, local_tag):
    info = lab_registries.up()
    ref = local_tag("%s/dockhand-test/plain" % info["plain"])
    client("push", ref)
    with urllib.request.urlopen("%s/v2/_catalog" % info["plain_url"], timeout=5) as resp:
        assert "dockhand-test/plain" in json.load(resp)["repositories"]


def test_auth_registry_needs_a_login(lab_registries, client, local_tag, lab_tool):
    info = lab_registries.up()
    ref = local_tag("%s/dockhand-test/auth" % info["auth"])
    anonymous = client("push", ref, check=False)
    assert anonymous.returncode != 0
    assert "no basic auth credentials" in anonymous.stderr or "unauthorized" in anonymous.stderr

    wrong = client("login", "-u", info["username"], "--password-stdin", info["auth"],
                   input="not-the-password", check=False)
    assert wrong.returncode != 0

    client("login", "-u", info["username"], "--password-stdin", info["auth"], input=info["password"])
    client("push", ref)

    auth_file = Path(lab_tool.AUTH_FILE)
    assert stat.S_IMODE(auth_file.stat().st_mode) == 0o600
    saved = json.loads(auth_file.read_text())
    assert (saved["username"], saved["password"]) == (info["username"], info["password"])


def test_registry_down_stops_and_cleans(lab_registries, lab_tool):
    if not lab_registries.owned:
        pytest.skip("the registries were running before this module: not taking them down")
    info = lab_registries.up()
    lab_registries.down()
    for url in (info["plain_url"], info["auth_url"]):
        assert _answers(url + "/v2/") is False, url
    for name in lab_tool.REGISTRIES:
        assert not (lab_tool.REGISTRY_DIR / name / "data").exists()
    assert not Path(lab_tool.AUTH_FILE).exists()
