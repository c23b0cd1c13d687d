"""What the benchmarks in bench/ share: paths, the venv's python, the engine and the lab's base image,
ansible and ansible-playbook runs against localhost timed as whole processes, the versions on the
report, the cells of the tables and the results file.

Importing this module hands the process over to the venv's python when another one runs it, so the
scripts import it before anything from the venv (the Docker SDK, ansible).
"""

import contextlib
import datetime
import json
import os
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
VENV_BIN = REPO_ROOT / ".venv" / "bin"
VENV_PYTHON = VENV_BIN / "python"
LAB = REPO_ROOT / "tools" / "lab.py"
RESULTS_DIR = BENCH_DIR / "results"
COLLECTION_LINK = REPO_ROOT / ".build" / "collections" / "ansible_collections" / "dockhand" / "docker"
BASE_IMAGE = "dockhand-test/busybox:latest"

# The venv has the pinned Docker SDK and ansible-core; started with another python, hand over to it.
# sys.argv[0] is the script that imported this module, so the venv's python runs that script again.
if VENV_PYTHON.exists() and Path(sys.prefix).resolve() != VENV_PYTHON.parent.parent.resolve():
    os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), *sys.argv])

try:
    import docker
    import docker.errors
except ImportError:
    sys.exit("the Docker SDK for Python is missing; create the venv (scripts/common.sh ensure_venv)")


def log(msg):
    print("[bench] %s" % msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- engine and base image


@contextlib.contextmanager
def five_node_lab(keep=False, bridge_registry=False):
    """The 5-node lab (3 Docker 20.10, 2 Docker 26.1, the last without systemd) for the block;
    removed afterwards unless ``keep``. ``bridge_registry`` relays the loopback registry into it."""
    log("bringing up the lab (5 nodes)%s" % (" and relaying the registry into it" if bridge_registry else ""))
    subprocess.run([sys.executable, str(LAB), "up", "-n", "5", "--trixie", "2", "--sysv", "1"], check=True,
                   stdout=subprocess.DEVNULL)
    if bridge_registry:
        subprocess.run([sys.executable, str(LAB), "registry", "bridge"], check=True, stdout=subprocess.DEVNULL)
    try:
        yield
    finally:
        if not keep:
            subprocess.run([sys.executable, str(LAB), "down"], check=False, stdout=subprocess.DEVNULL)
            if bridge_registry:  # the relay started the loopback registries; nothing is left running
                subprocess.run([sys.executable, str(LAB), "registry", "down"], check=False, stdout=subprocess.DEVNULL)


def engine_client():
    return docker.from_env().api


def ensure_engine():
    """A client of the engine; starts the lab's engine when none answers."""
    try:
        api = engine_client()
        api.ping()
        return api
    except Exception:  # any failure means "not answering"
        log("engine not answering; starting it with tools/lab.py engine up")
        subprocess.run([sys.executable, str(LAB), "engine", "up"], check=True)
        api = engine_client()
        api.ping()
        return api


def ensure_base_image(api):
    """Every benchmark image builds FROM the lab's local busybox, so nothing is ever pulled."""
    try:
        api.inspect_image(BASE_IMAGE)
    except docker.errors.ImageNotFound:
        log("%s missing; making it with tools/lab.py images" % BASE_IMAGE)
        subprocess.run([sys.executable, str(LAB), "images"], check=True)


def versions(api):
    """The versions both reports print: engine, ansible-core, community.docker, SDK, Python; and nproc."""
    import ansible.release  # from the venv, which this module has made sure runs it

    community = "?"
    for base in sys.path:
        manifest = Path(base) / "ansible_collections" / "community" / "docker" / "MANIFEST.json"
        if manifest.exists():
            community = json.loads(manifest.read_text())["collection_info"]["version"]
            break
    engine = api.version()
    return {
        "engine_version": engine.get("Version"),
        "engine_api_version": engine.get("ApiVersion"),
        "nproc": len(os.sched_getaffinity(0)),
        "ansible_core": ansible.release.__version__,
        "community_docker": community,
        "docker_sdk": docker.__version__,
        "python": "%d.%d.%d" % sys.version_info[:3],
    }


# ---------------------------------------------------------------- Ansible


class Ansible:
    """Runs ansible and ansible-playbook against localhost (local connection, the venv's python as
    interpreter) in a work directory, each run timed as the wall clock of the whole process: that is
    what an operator waits for, start-up included."""

    def __init__(self, workdir, **env):
        """``env``: more environment variables for every run (callbacks, for instance)."""
        self.workdir = Path(workdir)
        self.inventory = self.workdir / "inventory.ini"
        self.inventory.write_text(
            "localhost ansible_connection=local ansible_python_interpreter=%s\n" % VENV_PYTHON
        )
        self.env = dict(os.environ)
        self.env.update({
            "PATH": "%s:%s" % (VENV_BIN, os.environ.get("PATH", "/usr/bin:/bin")),
            "ANSIBLE_COLLECTIONS_PATH": str(self._collections_path()),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_RETRY_FILES_ENABLED": "0",
        }, **env)
        self.runs = 0

    def _collections_path(self):
        """The repo's usual link (scripts/common.sh link_collection), else a private one."""
        if COLLECTION_LINK.exists() and COLLECTION_LINK.resolve() == REPO_ROOT:
            return COLLECTION_LINK.parents[2]
        private = self.workdir / "collections"
        link = private / "ansible_collections" / "dockhand" / "docker"
        if not link.exists():
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(REPO_ROOT)
        return private

    def write_playbook(self, plays):
        """Write ``plays`` as the next play-NN.yml of the work directory (``self.runs`` is its NN)."""
        self.runs += 1
        path = self.workdir / ("play-%02d.yml" % self.runs)
        path.write_text(json.dumps(plays, indent=2) + "\n")  # JSON is YAML
        return path

    def run_playbook(self, playbook, env=None, merge_stderr=False, timeout=None):
        """ansible-playbook on the inventory; see run_timed."""
        cmd = [str(VENV_BIN / "ansible-playbook"), "-i", str(self.inventory), str(playbook)]
        return self.run_timed(cmd, env=env, merge_stderr=merge_stderr, timeout=timeout)

    def run_timed(self, cmd, env=None, merge_stderr=False, timeout=None):
        """Run ``cmd`` in the work directory with ``env`` (default: self.env), its output captured
        (stderr into stdout with ``merge_stderr``); returns (seconds it took, completed process)."""
        start = time.monotonic()
        proc = subprocess.run(cmd, cwd=self.workdir, env=self.env if env is None else env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT if merge_stderr else subprocess.PIPE, text=True, check=False,
                              timeout=timeout)
        return time.monotonic() - start, proc


# ---------------------------------------------------------------- report


def ratio(a, b):
    return round(a / b, 2) if a is not None and b else None


def difference(a, b):
    return round(a - b, 3) if a is not None and b is not None else None


def cell(value, fmt):
    """A table cell: ``value`` formatted, or "-" when it is missing."""
    return fmt % value if value is not None else "-"


def finish(benchmark, machine, problems, **sections):
    """Write bench/results/<benchmark>-<UTC timestamp>.json (``sections`` between the machine and the
    problems), list the problems under the tables; returns the exit status: 1 when there are any."""
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    RESULTS_DIR.mkdir(exist_ok=True)
    out = RESULTS_DIR / ("%s-%s.json" % (benchmark, stamp))
    doc = dict({"benchmark": benchmark, "timestamp": stamp, "machine": machine}, **sections, problems=problems)
    out.write_text(json.dumps(doc, indent=2) + "\n")
    print()
    if problems:
        print("PROBLEMS:")
        for problem in problems:
            print("  - " + problem)
        print()
    print("results written to %s" % out.relative_to(REPO_ROOT))
    return 1 if problems else 0
