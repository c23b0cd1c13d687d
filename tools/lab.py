"""Test lab of the dockhand.docker collection: a real Docker engine, lab nodes, registries.

Standard library only (it runs before any virtualenv exists). Use it as a CLI::

    python3 tools/lab.py engine up|down     start / stop a dockerd (stops only one it started)
    python3 tools/lab.py images             local test images (dockhand-test/busybox:latest)
    python3 tools/lab.py node-image [--release R] [--force]
                                            a lab node image: dockhand-lab/node:bookworm (default,
                                            Docker 20.10) or dockhand-lab/node:trixie (Docker 26.1)
    python3 tools/lab.py up [-n N] [--trixie K] [--sysv S]
                                            N docker-in-docker nodes, the last K of them trixie
                                            (default K: $DOCKHAND_LAB_TRIXIE or 0), the last S
                                            of them without systemd (tini as PID 1, the engine
                                            started by `service docker start`; default S:
                                            $DOCKHAND_LAB_SYSV or 0), .lab/inventory.yml
                                            (docker exec) and .lab/inventory-ssh.yml (SSH to
                                            each node's lab address with .lab/ssh's key)
    python3 tools/lab.py down               remove the nodes and their network
    python3 tools/lab.py registry up|down   registries on 127.0.0.1:5000 (plain), :5001 (htpasswd)
    python3 tools/lab.py registry up --address 172.30.77.1
                                            the same, and also served on that address (the lab
                                            network's gateway: what nodes reach without a relay),
                                            plus a TLS registry there on :5443 whose certificate
                                            a private CA signed (.lab/registry/tls/ca.crt)
    python3 tools/lab.py apt-repo up|down   a local apt repository on the lab network's gateway
                                            (:8790) with docker.io at two versions, the host's and
                                            a repackaged copy with a higher version
    python3 tools/lab.py status             what is running
    python3 tools/lab.py load IMAGE...      copy local images into every running node

or import it (pytest fixtures do) and call ensure_engine(), stop_engine(), build_test_images(),
build_node_image(release), lab_up(n, trixie, sysv), lab_down(), registry_up(), registry_down(),
registry_serve(address), registry_unserve(), apt_repo_up(), apt_repo_down(),
load_images(images), status(). Functions raise LabError on failure; the CLI prints one line and
exits 1.

Everything the lab keeps lives in <repo>/.lab/ (git-ignored). Facts the design rests on
(run flags of nodes, what fails on the test machines) are in docs/lab-notes.md of the shared docs.
"""

import argparse
import fcntl
import hashlib
import ipaddress
import json
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

TOOLS_DIR = Path(__file__).resolve().parent
REPO_ROOT = TOOLS_DIR.parent
LAB_DIR = REPO_ROOT / ".lab"
RECIPE_DIR = TOOLS_DIR / "node-image"

LAB_LABEL = "dockhand.lab"  # containers and networks of the lab carry dockhand.lab=1
NETWORK = "dockhand-lab"
SUBNET = "172.30.77.0/24"
GATEWAY = "172.30.77.1"
NODE_PREFIX = "dockhand-node"
FIRST_HOST = 11  # dockhand-node1 = 172.30.77.11
MAX_NODES = 40

TEST_IMAGES = ("dockhand-test/busybox:latest",)
# Debian releases a node can run, with the Docker engine each brings. Nodes are bookworm unless
# asked otherwise (`up --trixie K`: the last K nodes are trixie). Image: dockhand-lab/node:<release>.
NODE_RELEASES = {"bookworm": "Docker 20.10", "trixie": "Docker 26.1"}
DEFAULT_RELEASE = "bookworm"
NODE_IMAGE_REPO = "dockhand-lab/node"
NODE_IMAGE = "%s:%s" % (NODE_IMAGE_REPO, DEFAULT_RELEASE)
RECIPE_LABEL = "dockhand.lab.recipe"
RELEASE_LABEL = "dockhand.lab.release"  # on nodes: their release
INIT_LABEL = "dockhand.lab.init"  # on nodes: their init, systemd or sysv
NODE_ENTRYPOINT = "/usr/local/sbin/lab-init"
# How a node boots; both node images can do either. Nodes are systemd nodes unless asked otherwise
# (`up --sysv K`: the last K nodes are sysv nodes, whatever their release).
#   systemd: systemd is PID 1 (the image's CMD) and starts the engine (docker.service);
#   sysv:    no systemd: tini is PID 1 and runs lab-sysv (tools/node-image/lab-sysv.sh), which mounts
#            the cgroup hierarchies systemd would have mounted and starts the engine with Debian's
#            /etc/init.d/docker (`service docker start`). `service docker restart|stop|start|status`
#            work there; `systemctl` is installed but refuses ("not booted with systemd").
NODE_INITS = ("systemd", "sysv")
DEFAULT_INIT = "systemd"
SYSV_COMMAND = ("/usr/bin/tini", "--", "/usr/local/sbin/lab-sysv")  # after the ENTRYPOINT lab-init
# systemd stops cleanly on SIGRTMIN+3 (0.3 s; on SIGTERM it would re-execute itself and `docker stop`
# would wait 10 s); tini forwards SIGTERM to lab-sysv, which stops the engine with `service docker stop`.
NODE_STOP_SIGNALS = {"systemd": "SIGRTMIN+3", "sysv": "SIGTERM"}
# Given to `docker import -c`; part of the recipe digest.
NODE_IMPORT_CHANGES = (
    'ENTRYPOINT ["%s"]' % NODE_ENTRYPOINT,
    'CMD ["/lib/systemd/systemd"]',
    "ENV container=docker",
)
# docker run flags that replace --privileged (which cannot work on the test machines). Each node
# also gets --stop-signal NODE_STOP_SIGNALS[its init].
NODE_RUN_FLAGS = (
    "--cap-add", "ALL", "--cap-drop", "SYS_RESOURCE",
    "--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined",
    "--cgroupns=private",
    "--tmpfs", "/run", "--tmpfs", "/run/lock", "--tmpfs", "/tmp",
    "-v", "/var/lib/docker",
)
# mmdebstrap options besides packages, hook and paths; part of the recipe digest.
MMDEBSTRAP_OPTIONS = (
    "--variant=minbase", "--mode=root", "--format=tar",
    "--dpkgopt=path-exclude=/usr/share/man/*",
    "--dpkgopt=path-exclude=/usr/share/locale/*",
    "--dpkgopt=path-exclude=/usr/share/doc/*",
    "--dpkgopt=path-include=/usr/share/doc/*/copyright",
)
HOST_SOURCES = ("/etc/apt/sources.list.d/debian.sources", "/etc/apt/sources.list")

TRIXIE_ENV = "DOCKHAND_LAB_TRIXIE"  # default of `up --trixie`
SYSV_ENV = "DOCKHAND_LAB_SYSV"  # default of `up --sysv`

ENGINE_TIMEOUT = 60
NODE_TIMEOUT = 120

REGISTRY_DIR = LAB_DIR / "registry"
REGISTRY_USER = "dockhand"
REGISTRIES = {"plain": 5000, "auth": 5001}
# Served only on a non-loopback address (registry_serve): TLS with a certificate from a CA made
# for the lab, which engines trust only through /etc/docker/certs.d/<address>:<port>/ca.crt.
TLS_REGISTRY = ("tls", 5443)

# Debian packages the lab installs itself when they are missing.
PKG_ENGINE = "docker.io"
PKG_BUSYBOX = "busybox-static"
PKG_MMDEBSTRAP = "mmdebstrap"
PKG_REGISTRY = ("docker-registry", "apache2-utils")
PKG_BRIDGE = "socat"
PKG_OPENSSL = "openssl"
PKG_SSH = "openssh-client"

SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class LabError(Exception):
    """A lab step failed; the message is one line meant for the user."""


# ---------------------------------------------------------------- output, locking, processes

_t0 = time.monotonic()
_depth = 0
_lock_fd = None


def log(msg):
    print("[%6.1fs] %s" % (time.monotonic() - _t0, msg), flush=True)


def _public(fn):
    """Outermost public call: reset the clock, hold the lab lock (one lab user at a time)."""

    def wrapper(*args, **kwargs):
        global _t0, _depth, _lock_fd
        if _depth == 0:
            _t0 = time.monotonic()
            LAB_DIR.mkdir(parents=True, exist_ok=True)
            _lock_fd = open(LAB_DIR / "lab.lock", "w")
            try:
                fcntl.flock(_lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                log("waiting for another lab command to finish (.lab/lab.lock)")
                fcntl.flock(_lock_fd, fcntl.LOCK_EX)
        _depth += 1
        try:
            return fn(*args, **kwargs)
        finally:
            _depth -= 1
            if _depth == 0:
                _lock_fd.close()
                _lock_fd = None

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


def _short(args):
    text = " ".join(str(a) for a in args)
    return text if len(text) < 120 else text[:117] + "..."


def _last_line(*texts):
    for text in texts:
        if isinstance(text, bytes):
            text = text.decode(errors="replace")
        lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
        if lines:
            return lines[-1]
    return "no output"


def run(args, *, check=True, input=None, timeout=None, env=None, stdin=None, cwd=None):
    """Run a command, capture its text output; raise LabError with its last line on failure."""
    args = [str(a) for a in args]
    try:
        proc = subprocess.run(
            args, input=input, stdin=stdin, capture_output=True, text=True, errors="replace", check=False,
            timeout=timeout, env=env, cwd=cwd,
        )
    except FileNotFoundError:
        raise LabError("command not found: %s" % args[0]) from None
    except subprocess.TimeoutExpired:
        raise LabError("`%s` timed out after %ss" % (_short(args), timeout)) from None
    if check and proc.returncode != 0:
        raise LabError("`%s` failed (exit %d): %s"
                       % (_short(args), proc.returncode, _last_line(proc.stderr, proc.stdout)))
    return proc


def docker_bin():
    """The docker CLI that matches the engine: Debian's /usr/bin/docker first (PATH may
    start with a newer client)."""
    if os.access("/usr/bin/docker", os.X_OK):
        return "/usr/bin/docker"
    found = shutil.which("docker")
    if not found:
        raise LabError("no docker CLI (install the Debian package docker.io)")
    return found


def docker(*args, **kwargs):
    return run([docker_bin(), *args], **kwargs)


def _pipe(producer, consumer, timeout=None):
    """producer | consumer (argument lists); raise LabError when either fails."""
    p1 = subprocess.Popen(producer, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        p2 = subprocess.run(consumer, stdin=p1.stdout, capture_output=True, timeout=timeout, check=False)
    finally:
        p1.stdout.close()
        err1 = p1.stderr.read()
        p1.stderr.close()
        rc1 = p1.wait()
    if rc1 != 0:
        raise LabError("`%s` failed (exit %d): %s" % (_short(producer), rc1, _last_line(err1)))
    if p2.returncode != 0:
        raise LabError("`%s` failed (exit %d): %s"
                       % (_short(consumer), p2.returncode, _last_line(p2.stderr, p2.stdout)))
    return p2.stdout.decode(errors="replace")


def _parallel(fn, items):
    """fn(item) for every item at the same time; results in order; first error raised."""
    items = list(items)
    if not items:
        return []
    with ThreadPoolExecutor(max_workers=min(len(items), 16)) as pool:
        futures = [pool.submit(fn, item) for item in items]
        return [f.result() for f in futures]


def _proc_comm(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except (OSError, ValueError):
        return None
    # "pid (comm) state ..."; a zombie counts as gone
    comm, rest = stat.partition("(")[2].rsplit(")", 1)
    if rest.split()[:1] == ["Z"]:
        return None
    return comm


def _read_pid(path):
    try:
        return int(Path(path).read_text().strip())
    except (OSError, ValueError):
        return None


def _live_pid(path, comm):
    """The pid in a pidfile if that process is alive and is `comm`, else None."""
    pid = _read_pid(path)
    if pid and _proc_comm(pid) == comm:
        return pid
    return None


def _terminate(pid, comm, timeout=30.0):
    """SIGTERM a process (only if it still is `comm`), SIGKILL after timeout; wait for it."""
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 10.0)):
        if _proc_comm(pid) != comm:
            return
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if _proc_comm(pid) != comm:
                return
            time.sleep(0.1)
    raise LabError("process %d (%s) does not exit" % (pid, comm))


def _spawn_detached(args, pidfile, logfile):
    """Start args in a new session, detached from us (no zombie, survives our exit);
    its pid goes to pidfile, its output to logfile. Returns the pid."""
    Path(pidfile).unlink(missing_ok=True)
    with open(logfile, "ab") as out:
        out.write(("--- %s: %s\n" % (time.strftime("%Y-%m-%d %H:%M:%S"), _short(args))).encode())
        out.flush()
        # setsid --fork: the shell's pid (written to the pidfile) becomes the program's pid.
        subprocess.run(
            ["setsid", "--fork", "sh", "-c", 'echo $$ > "$0"; exec "$@"', str(pidfile), *map(str, args)],
            stdin=subprocess.DEVNULL, stdout=out, stderr=out, check=True, cwd="/",
            env=dict(os.environ, PATH=SYSTEM_PATH),
        )
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        pid = _read_pid(pidfile)
        if pid:
            return pid
        time.sleep(0.02)
    raise LabError("%s did not start (see %s)" % (args[0], logfile))


def _tail(path, lines=15):
    try:
        text = Path(path).read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join(text[-lines:])


# ---------------------------------------------------------------- Debian packages

_apt_updated = False


def _pkg_installed(name):
    proc = run(["dpkg-query", "-W", "-f", "${Status}", name], check=False)
    return proc.returncode == 0 and proc.stdout.strip().endswith(" installed")


def ensure_packages(*names):
    """apt-get install the Debian packages that are missing (apt-get update once first).
    Services of new packages are not started (policy-rc.d): the lab starts what it needs."""
    global _apt_updated
    missing = [n for n in names if not _pkg_installed(n)]
    if not missing:
        return
    if os.geteuid() != 0:
        raise LabError("missing Debian packages %s (run as root or install them)" % " ".join(missing))
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive", NEEDRESTART_MODE="l", PATH=SYSTEM_PATH)
    if not _apt_updated:
        log("apt-get update")
        run(["apt-get", "update", "-q"], env=env, timeout=600)
        _apt_updated = True
    log("apt-get install %s" % " ".join(missing))
    policy = Path("/usr/sbin/policy-rc.d")
    made_policy = False
    if not policy.exists():
        policy.write_text("#!/bin/sh\n# temporary, tools/lab.py: do not start services\nexit 101\n")
        policy.chmod(0o755)
        made_policy = True
    try:
        run(["apt-get", "install", "-y", "-q", *missing], env=env, timeout=1200)
    finally:
        if made_policy:
            policy.unlink(missing_ok=True)


# ---------------------------------------------------------------- engine

DOCKERD_PIDFILE = LAB_DIR / "dockerd.pid"
DOCKERD_LOG = LAB_DIR / "dockerd.log"
SYSTEM_DOCKER_PID = Path("/var/run/docker.pid")
CONTAINERD_DIR = Path("/var/run/docker/containerd")


def _engine_version():
    """Server version if an engine answers, else None."""
    try:
        proc = docker("info", "--format", "{{.ServerVersion}}", check=False, timeout=20)
    except LabError:
        return None
    version = proc.stdout.strip()
    if proc.returncode != 0 or not version or "<no value>" in version:
        return None
    return version


def _our_dockerd():
    return _live_pid(DOCKERD_PIDFILE, "dockerd")


def _clean_stale_engine_files():
    """A dead dockerd leaves /var/run/docker.pid and its containerd's pidfile and sockets; a
    recycled pid in them would make the new dockerd refuse to start or wait forever."""
    if SYSTEM_DOCKER_PID.exists() and not _live_pid(SYSTEM_DOCKER_PID, "dockerd"):
        log("removing stale %s" % SYSTEM_DOCKER_PID)
        SYSTEM_DOCKER_PID.unlink(missing_ok=True)
    ctd_pidfile = CONTAINERD_DIR / "containerd.pid"
    if ctd_pidfile.exists() and not _live_pid(ctd_pidfile, "containerd"):
        log("removing stale containerd pidfile and sockets in %s" % CONTAINERD_DIR)
        ctd_pidfile.unlink(missing_ok=True)
        for sock in CONTAINERD_DIR.glob("*.sock*"):
            sock.unlink(missing_ok=True)


@_public
def ensure_engine():
    """Use the engine that answers, or start dockerd (installing docker.io if needed).
    Returns {"version", "started_by_lab", "pid"}."""
    LAB_DIR.mkdir(parents=True, exist_ok=True)
    version = _engine_version()
    ours = _our_dockerd()
    if version:
        if not ours:
            DOCKERD_PIDFILE.unlink(missing_ok=True)
        if _depth <= 2:  # once per command, not again by every step that needs the engine
            who = "started by the lab, pid %d" % ours if ours else "not started by the lab: it is left alone"
            log("engine %s answers (%s)" % (version, who))
        return {"version": version, "started_by_lab": bool(ours), "pid": ours}

    if ours:
        log("our dockerd (pid %d) does not answer: restarting it" % ours)
        _terminate(ours, "dockerd", timeout=20)
    else:
        other = _live_pid(SYSTEM_DOCKER_PID, "dockerd")
        if other:
            log("a dockerd not started by the lab (pid %d) runs: waiting for it" % other)
            version = _wait_engine(None, 30)
            if not version:
                raise LabError("dockerd pid %d (not started by the lab) does not answer; stop it "
                               "or fix it" % other)
            return {"version": version, "started_by_lab": False, "pid": None}

    if not shutil.which("dockerd", path=SYSTEM_PATH) or not os.path.exists("/usr/bin/docker"):
        ensure_packages(PKG_ENGINE)
        version = _engine_version()
        if version:
            log("engine %s answers (started by the package)" % version)
            return {"version": version, "started_by_lab": False, "pid": None}
    _clean_stale_engine_files()
    log("starting dockerd (log: %s)" % DOCKERD_LOG.relative_to(REPO_ROOT))
    DOCKERD_LOG.write_bytes(b"")
    pid = _spawn_detached([shutil.which("dockerd", path=SYSTEM_PATH)], DOCKERD_PIDFILE, DOCKERD_LOG)
    version = _wait_engine(pid, ENGINE_TIMEOUT)
    if not version:
        alive = _proc_comm(pid) == "dockerd"
        if alive:
            _terminate(pid, "dockerd", timeout=10)
        DOCKERD_PIDFILE.unlink(missing_ok=True)
        sys.stderr.write("--- tail of %s\n%s\n---\n" % (DOCKERD_LOG, _tail(DOCKERD_LOG)))
        raise LabError("dockerd %s (log: %s)" % ("did not answer within %ds" % ENGINE_TIMEOUT if alive
                                                 else "exited at start", DOCKERD_LOG))
    log("engine %s answers (dockerd pid %d, started by the lab)" % (version, pid))
    return {"version": version, "started_by_lab": True, "pid": pid}


def _wait_engine(pid, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        version = _engine_version()
        if version:
            return version
        if pid and _proc_comm(pid) != "dockerd":
            return None  # it died
        time.sleep(0.2)
    return None


@_public
def stop_engine():
    """Stop dockerd if (and only if) this tool started it. Returns True if it stopped one."""
    pid = _our_dockerd()
    if not pid:
        DOCKERD_PIDFILE.unlink(missing_ok=True)
        log("no dockerd started by the lab runs: nothing to stop"
            + (" (the running engine is left alone)" if _engine_version() else ""))
        return False
    log("stopping dockerd (pid %d)" % pid)
    _terminate(pid, "dockerd", timeout=60)
    DOCKERD_PIDFILE.unlink(missing_ok=True)
    log("dockerd stopped")
    return True


# ---------------------------------------------------------------- images

def _image_exists(name):
    return docker("image", "inspect", "--format", "{{.Id}}", name, check=False).returncode == 0


@_public
def build_test_images(force=False):
    """dockhand-test/busybox:latest from Debian's busybox-static (skipped when present)."""
    ensure_engine()
    name = TEST_IMAGES[0]
    if _image_exists(name) and not force:
        log("%s present" % name)
        return [name]
    ensure_packages(PKG_BUSYBOX)
    old_id = docker("image", "inspect", "--format", "{{.Id}}", name, check=False).stdout.strip()
    busybox = Path("/bin/busybox")
    applets = run([busybox, "--list"]).stdout.split()
    (LAB_DIR / "build").mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=LAB_DIR / "build") as root:
        root = Path(root)
        root.chmod(0o755)
        (root / "bin").mkdir()
        shutil.copy2(busybox, root / "bin" / "busybox")
        for applet in applets:
            if applet != "busybox" and "/" not in applet:
                (root / "bin" / applet).symlink_to("busybox")
        (root / "etc").mkdir()
        (root / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n"
                                             "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")
        (root / "etc" / "group").write_text("root:x:0:\nnogroup:x:65534:\n")
        for d in ("root", "tmp"):
            (root / d).mkdir()
        (root / "tmp").chmod(0o1777)
        _pipe(["tar", "-C", str(root), "--owner=0", "--group=0", "-c", "."],
              [docker_bin(), "import", "-c", 'CMD ["sh"]', "-", name], timeout=120)
    new_id = docker("image", "inspect", "--format", "{{.Id}}", name).stdout.strip()
    if old_id and old_id != new_id:
        docker("image", "rm", old_id, check=False)  # fails harmlessly while a container uses it
    log("built %s (%d applets)" % (name, len(applets)))
    return [name]


def _check_release(release):
    if release not in NODE_RELEASES:
        raise LabError("unknown node release %r (one of: %s)" % (release, ", ".join(NODE_RELEASES)))
    return release


def node_image(release=DEFAULT_RELEASE):
    """Image name of a node release: dockhand-lab/node:<release>."""
    return "%s:%s" % (NODE_IMAGE_REPO, _check_release(release))


def _release_file(path):
    """The release a recipe file belongs to (packages-trixie.txt -> "trixie"), None if shared."""
    stem = path.stem
    if path.parent == RECIPE_DIR and stem.startswith("packages-"):
        return stem[len("packages-"):]
    return None


def _recipe_files(release=DEFAULT_RELEASE):
    """Files of tools/node-image that make the image of a release: the shared ones and the
    release's own (packages-<release>.txt); documentation (*.md) does not count."""
    return sorted(p for p in RECIPE_DIR.rglob("*")
                  if p.is_file() and p.suffix != ".md" and "__pycache__" not in p.parts
                  and _release_file(p) in (None, release))


def _package_lines(path):
    if not path.exists():
        return []
    lines = path.read_text().splitlines()
    return [line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()]


def node_packages(release=DEFAULT_RELEASE):
    """Package list of a node image: tools/node-image/packages.txt plus the release's own
    packages-<release>.txt (when there is one)."""
    _check_release(release)
    packages = _package_lines(RECIPE_DIR / "packages.txt")
    for name in _package_lines(RECIPE_DIR / ("packages-%s.txt" % release)):
        if name not in packages:
            packages.append(name)
    return packages


def recipe_digest(release=DEFAULT_RELEASE):
    """sha256 over the recipe of a release: the suite (= release), every file of tools/node-image
    the release uses (path, mode, content; see _recipe_files), the mmdebstrap options and the
    image settings given at import."""
    h = hashlib.sha256()
    h.update(("suite=%s\n" % _check_release(release)).encode())
    for option in MMDEBSTRAP_OPTIONS:
        h.update(("option=%s\n" % option).encode())
    for change in NODE_IMPORT_CHANGES:
        h.update(("change=%s\n" % change).encode())
    for path in _recipe_files(release):
        rel = path.relative_to(RECIPE_DIR).as_posix()
        st = path.stat()
        h.update(("file=%s mode=%o size=%d\n" % (rel, st.st_mode & 0o777, st.st_size)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def _image_label(name, label):
    proc = docker("image", "inspect", "--format", '{{ index .Config.Labels "%s" }}' % label, name,
                  check=False)
    return proc.stdout.strip() if proc.returncode == 0 else None


def _host_sources():
    for path in HOST_SOURCES:
        if os.path.isfile(path) and Path(path).read_text().strip():
            return path
    raise LabError("no apt sources on this machine (%s)" % ", ".join(HOST_SOURCES))


def _deb822_stanzas(text):
    """Stanzas of a deb822 sources file, as lists of lines (comments dropped)."""
    stanzas, current = [], []
    for line in text.splitlines():
        if not line.strip():
            if current:
                stanzas.append(current)
            current = []
        elif not line.startswith("#"):
            current.append(line)
    if current:
        stanzas.append(current)
    return stanzas


def _deb822_field(stanza, name):
    for line in stanza:
        key, sep, value = line.partition(":")
        if sep and not line[:1].isspace() and key.strip().lower() == name.lower():
            return value.strip()
    return None


def _is_main_suite(suite):
    """bookworm, not bookworm-security / bookworm-updates / bookworm/updates."""
    return bool(suite) and "-" not in suite and "/" not in suite


def sources_for_suite(suite, text, deb822=True):
    """apt sources for `suite` from the same mirror as the host: a copy of the host's
    main-archive entry (the first `deb` entry of a plain suite, not -security or -updates) with
    its suite replaced. Returns the new file's text (same format as the input)."""
    if deb822:
        for stanza in _deb822_stanzas(text):
            types = (_deb822_field(stanza, "Types") or "").split()
            suites = (_deb822_field(stanza, "Suites") or "").split()
            enabled = (_deb822_field(stanza, "Enabled") or "yes").lower()
            if "deb" not in types or enabled == "no" or not any(_is_main_suite(x) for x in suites):
                continue
            lines, skipping = [], False
            for line in stanza:
                if line[:1].isspace():  # continuation line of the field above
                    if not skipping:
                        lines.append(line)
                    continue
                skipping = line.partition(":")[0].strip().lower() == "suites"
                lines.append("Suites: %s" % suite if skipping else line)
            return "\n".join(lines) + "\n"
    else:
        for line in text.splitlines():
            words = line.split("#")[0].split()
            if not words or words[0] != "deb":
                continue
            rest = words[1:]
            if rest and rest[0].startswith("["):  # [ option=value ... ]
                while rest and not rest[0].endswith("]"):
                    rest = rest[1:]
                rest = rest[1:]
            if len(rest) >= 2 and _is_main_suite(rest[1]):
                head = words[:len(words) - len(rest)]
                return " ".join(head + [rest[0], suite] + rest[2:]) + "\n"
    raise LabError("no main-archive entry (a `deb` entry of a plain suite) in the host's apt sources")


def _mirror_for(release, build_dir):
    """The mmdebstrap mirror argument for a release: the host's own sources file when it is
    the host's release, else a copy of its main-archive entry with `Suites: <release>` written
    to build_dir (made at run time: the lab names no mirror itself). Returns (path, made)."""
    host = _host_sources()
    text = Path(host).read_text()
    deb822 = host.endswith(".sources")
    suites = set()
    if deb822:
        for stanza in _deb822_stanzas(text):
            suites.update((_deb822_field(stanza, "Suites") or "").split())
    else:
        for line in text.splitlines():
            suites.update(line.split("#")[0].split())
    if release in suites:
        return host, False
    path = build_dir / ("%s.%s" % (release, "sources" if deb822 else "list"))
    path.write_text(sources_for_suite(release, text, deb822=deb822))
    return path, True


@_public
def build_node_image(release=DEFAULT_RELEASE, force=False):
    """dockhand-lab/node:<release> with mmdebstrap; reused while its recipe label matches.
    Returns the image name."""
    ensure_engine()
    image = node_image(release)
    digest = recipe_digest(release)
    current = _image_label(image, RECIPE_LABEL)
    if current == digest and not force:
        log("%s up to date (recipe %s)" % (image, digest[:12]))
        return image
    log("%s %s: building (recipe %s, about 40 s)"
        % (image, "missing" if current is None else "outdated" if current != digest else "forced",
           digest[:12]))
    ensure_packages(PKG_MMDEBSTRAP)
    old_id = docker("image", "inspect", "--format", "{{.Id}}", image, check=False).stdout.strip()
    build_dir = LAB_DIR / "build"
    build_dir.mkdir(parents=True, exist_ok=True)
    tarball = build_dir / ("node-%s.tar" % release)
    build_log = LAB_DIR / ("node-image.log" if release == DEFAULT_RELEASE else "node-image-%s.log" % release)
    sources, made_sources = _mirror_for(release, build_dir)
    args = [
        "mmdebstrap", *MMDEBSTRAP_OPTIONS,
        "--include=" + ",".join(node_packages(release)),
        '--customize-hook=sh "%s" "$1" "%s"' % (RECIPE_DIR / "customize.sh", RECIPE_DIR),
        release, str(tarball), str(sources),
    ]
    started = time.monotonic()
    try:
        with open(build_log, "wb") as out:
            proc = subprocess.run(args, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                  env=dict(os.environ, PATH=SYSTEM_PATH), check=False)
    finally:
        if made_sources:
            sources.unlink(missing_ok=True)
    if proc.returncode != 0:
        tarball.unlink(missing_ok=True)
        sys.stderr.write("--- tail of %s\n%s\n---\n" % (build_log, _tail(build_log)))
        raise LabError("mmdebstrap failed (exit %d), log: %s" % (proc.returncode, build_log))
    log("root file system built in %.1fs (%d MB), importing"
        % (time.monotonic() - started, tarball.stat().st_size // 2**20))
    changes = []
    for change in NODE_IMPORT_CHANGES + ("LABEL %s=%s" % (RECIPE_LABEL, digest),):
        changes += ["-c", change]
    try:
        docker("import", *changes, str(tarball), image, timeout=600)
    finally:
        tarball.unlink(missing_ok=True)
    new_id = docker("image", "inspect", "--format", "{{.Id}}", image).stdout.strip()
    if old_id and old_id != new_id:
        docker("image", "rm", old_id, check=False)  # fails harmlessly while a container uses it
    log("built %s" % image)
    return image


# ---------------------------------------------------------------- nodes

def node_name(i):
    return "%s%d" % (NODE_PREFIX, i)


def node_address(i):
    return "172.30.77.%d" % (FIRST_HOST + i - 1)


def split_roles(n):
    """Number of (managers, workers) for n nodes. N=1 and N=3 are all managers; otherwise
    the managers are the largest odd number below N (at most 7), so there is at least one
    worker: 1->1+0, 2->1+1, 3->3+0, 4->3+1, 5->3+2, 6->5+1, 7->5+2, 8->7+1, 9->7+2."""
    if n < 1:
        raise ValueError("n must be >= 1")
    if n in (1, 3):
        managers = n
    else:
        managers = min(7, n - 1 if (n - 1) % 2 else n - 2)
    return managers, n - managers


def _lab_containers(all_states=True):
    args = ["ps", "-q", "--filter", "label=%s=1" % LAB_LABEL]
    if all_states:
        args.insert(1, "-a")
    return docker(*args).stdout.split()


def _running_nodes():
    out = docker("ps", "--filter", "label=%s=1" % LAB_LABEL, "--filter", "status=running",
                 "--format", "{{.Names}}").stdout.split()
    return sorted(out, key=lambda name: (len(name), name))


def _lab_networks():
    ids = set(docker("network", "ls", "-q", "--filter", "label=%s=1" % LAB_LABEL).stdout.split())
    ids |= set(docker("network", "ls", "-q", "--filter", "name=^%s$" % NETWORK).stdout.split())
    return sorted(ids)


def _remove_lab():
    containers = _lab_containers()
    if containers:
        docker("rm", "-f", "-v", *containers, timeout=120)
    networks = _lab_networks()
    for net in networks:
        proc = docker("network", "rm", net, check=False)
        if proc.returncode != 0:
            raise LabError("cannot remove network %s: %s (containers not made by the lab use it?)"
                           % (NETWORK, _last_line(proc.stderr)))
    return len(containers), len(networks)


def _wait_node(name, deadline):
    """Until `docker info` answers inside the node; the node's engine name is returned."""
    while True:
        proc = docker("exec", name, "docker", "info", "--format", "{{.Name}}", check=False, timeout=30)
        if proc.returncode == 0 and proc.stdout.strip():
            return proc.stdout.strip()
        state = docker("inspect", "--format", "{{.State.Status}}", name, check=False).stdout.strip()
        if state != "running":
            logs = docker("logs", "--tail", "10", name, check=False)
            raise LabError("node %s is %s: %s" % (name, state or "gone", _last_line(logs.stderr, logs.stdout)))
        if time.monotonic() > deadline:
            raise LabError("docker info does not answer in %s after %ds: %s"
                           % (name, NODE_TIMEOUT, _last_line(proc.stderr, proc.stdout)))
        time.sleep(0.3)


def _save_images(images):
    build_dir = LAB_DIR / "build"
    build_dir.mkdir(parents=True, exist_ok=True)
    fd, path = tempfile.mkstemp(prefix="images-", suffix=".tar", dir=build_dir)
    os.close(fd)
    docker("save", "-o", path, *images, timeout=600)
    return path


def _load_into_nodes(images, nodes):
    path = _save_images(images)
    try:
        def load(node):
            with open(path, "rb") as f:
                docker("exec", "-i", node, "docker", "load", "-q", stdin=f, timeout=600)
        _parallel(load, nodes)
    finally:
        os.unlink(path)


INVENTORY = LAB_DIR / "inventory.yml"


class LabInfo(dict):
    """What lab_up() returns: a dict that also stands for the inventory file, so
    os.fspath(info), str(info) and subprocess arguments give .lab/inventory.yml (docker exec);
    info["ssh_inventory"] is .lab/inventory-ssh.yml."""

    def __fspath__(self):
        return self["inventory"]

    def __str__(self):
        return self["inventory"]


# ---------------------------------------------------------------- ssh

SSH_DIR = LAB_DIR / "ssh"
SSH_KEY = SSH_DIR / "id_ed25519"  # the controller's key, authorized for root in every node
KNOWN_HOSTS = SSH_DIR / "known_hosts"  # each node's own host key, rewritten when a node is (re)made
SSH_INVENTORY = LAB_DIR / "inventory-ssh.yml"
SSH_TIMEOUT = 60


def ssh_key():
    """The lab's client key pair (.lab/ssh/id_ed25519 and .pub), made once and kept by `down`."""
    public = SSH_KEY.with_name(SSH_KEY.name + ".pub")
    if SSH_KEY.exists() and public.exists():
        return SSH_KEY
    ensure_packages(PKG_SSH)
    SSH_DIR.mkdir(parents=True, exist_ok=True)
    SSH_DIR.chmod(0o700)
    SSH_KEY.unlink(missing_ok=True)
    public.unlink(missing_ok=True)
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "dockhand-lab", "-f", SSH_KEY])
    return SSH_KEY


def ssh_command(address, *command):
    """The ssh command line that reaches a node as the SSH inventory does (the lab's key, its
    known_hosts checked strictly, no prompt)."""
    return ["ssh", "-i", str(ssh_key()), "-o", "UserKnownHostsFile=%s" % KNOWN_HOSTS,
            "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", "ConnectTimeout=5",
            "root@%s" % address, *command]


def _record_host_keys(keys):
    """Write {address: (name, "ssh-ed25519 AAAA...")} into known_hosts, replacing what it said of
    those addresses and names and keeping the other nodes' lines."""
    drop = set(keys) | {name_and_key[0] for name_and_key in keys.values()}
    kept = []
    if KNOWN_HOSTS.exists():
        for line in KNOWN_HOSTS.read_text().splitlines():
            hosts = set(line.split(" ", 1)[0].split(","))
            if line.strip() and not hosts & drop:
                kept.append(line)
    kept += ["%s,%s %s" % (address, name, key) for address, (name, key) in sorted(keys.items())]
    tmp = KNOWN_HOSTS.with_suffix(".tmp")
    tmp.write_text("\n".join(kept) + "\n")
    tmp.replace(KNOWN_HOSTS)


def _enable_ssh(nodes, deadline):
    """Authorize the lab's key for root in each node ({"name", "address"}), record each node's
    host key in known_hosts, and wait until `ssh root@<address> true` works with both."""
    public = ssh_key().with_name(SSH_KEY.name + ".pub").read_text()

    def authorize(node):
        docker("exec", "-i", node["name"], "sh", "-c",
               "umask 077 && mkdir -p /root/.ssh && cat > /root/.ssh/authorized_keys", input=public, timeout=30)
        key = docker("exec", node["name"], "cat", "/etc/ssh/ssh_host_ed25519_key.pub", timeout=30).stdout.split()
        if len(key) < 2:
            raise LabError("node %s has no ssh host key" % node["name"])
        return node["address"], (node["name"], " ".join(key[:2]))

    _record_host_keys(dict(_parallel(authorize, nodes)))

    def login(node):
        while True:
            proc = run(ssh_command(node["address"], "true"), check=False, timeout=30)
            if proc.returncode == 0:
                return
            if time.monotonic() > deadline:
                raise LabError("ssh root@%s (%s) does not work after %ds: %s"
                               % (node["address"], node["name"], SSH_TIMEOUT, _last_line(proc.stderr)))
            time.sleep(0.3)

    _parallel(login, nodes)


def _inventory_lines(nodes, trixie, sysv, ssh):
    managers = [n for n in nodes if n["role"] == "manager"]
    workers = [n for n in nodes if n["role"] == "worker"]
    if ssh:
        connection = [
            "            # Reached as real hosts are: SSH to the node's lab address as root with the lab's",
            "            # key, host keys checked against the lab's known_hosts (written by `up`), one",
            "            # persistent connection per host and pipelining, as the README recommends.",
            "            ansible_connection: ssh",
            "            ansible_host: \"{{ lab_address }}\"",
            "            ansible_user: root",
            "            ansible_ssh_private_key_file: %s" % SSH_KEY,
            "            ansible_ssh_common_args: -o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes"
            % KNOWN_HOSTS,
            "            ansible_ssh_args: -o ControlMaster=auto -o ControlPersist=60s",
            "            ansible_ssh_host_key_checking: true",
            "            ansible_ssh_pipelining: true",
        ]
    else:
        connection = ["            ansible_connection: community.docker.docker"]
    lines = [
        "# Written by tools/lab.py `up -n %d --trixie %d --sysv %d`; rewritten by every `up`, removed by"
        " `down`." % (len(nodes), trixie, sysv),
        "# The nodes reached %s." % ("over SSH at their lab addresses (inventory.yml: through `docker exec`)"
                                     if ssh else "through `docker exec` (inventory-ssh.yml: over SSH)"),
        "# Managers: N=1 and N=3 are all managers, otherwise the largest odd number below N (max 7).",
        "# lab_release: the node's Debian release (bookworm: Docker 20.10, trixie: Docker 26.1).",
        "# lab_init: systemd (systemd is PID 1 and runs docker.service) or sysv (no systemd: tini is PID 1,",
        "# the engine is run by /etc/init.d/docker, `service docker ...`; systemctl refuses to work).",
        "# docker_hosts: every Docker host, the group site.yml works on (with inventories/lab for its vars).",
        "all:",
        "  children:",
        "    docker_hosts:",
        "      children:",
        "        lab_nodes:",
        "          vars:",
        *connection,
        "            ansible_python_interpreter: /usr/bin/python3",
        "            # The swarm role advertises each node on its lab network address.",
        "            swarm_advertise_addr: \"{{ lab_address }}\"",
        "          children:",
    ]
    for group, members in (("swarm_managers", managers), ("swarm_workers", workers)):
        lines.append("            %s:" % group)
        if not members:
            lines.append("              hosts: {}")
            continue
        lines.append("              hosts:")
        for node in members:
            lines.append("                %s:" % node["name"])
            lines.append("                  lab_address: %s" % node["address"])
            lines.append("                  lab_release: %s" % node["release"])
            lines.append("                  lab_init: %s" % node["init"])
    return lines


def _write_inventory(nodes, trixie=0, sysv=0):
    """.lab/inventory.yml (docker exec) and .lab/inventory-ssh.yml (SSH) of these nodes."""
    for path, ssh in ((INVENTORY, False), (SSH_INVENTORY, True)):
        tmp = path.with_suffix(".tmp")
        tmp.write_text("\n".join(_inventory_lines(nodes, trixie, sysv, ssh)) + "\n")
        tmp.replace(path)
    return INVENTORY


def node_releases(n, trixie=0):
    """Release of each of n nodes (node1 first): the last `trixie` nodes are trixie."""
    return [DEFAULT_RELEASE] * (n - trixie) + ["trixie"] * trixie


def node_inits(n, sysv=0):
    """Init of each of n nodes (node1 first): the last `sysv` nodes are sysv (counted apart from
    the releases: n=5, trixie=2, sysv=1 makes node5 a trixie node without systemd)."""
    return [DEFAULT_INIT] * (n - sysv) + ["sysv"] * sysv


def node_run_args(init=DEFAULT_INIT):
    """`docker run` flags of a node with this init (NODE_RUN_FLAGS and its stop signal) and,
    after the image, its command: ([flags], [command])."""
    if init not in NODE_INITS:
        raise LabError("unknown node init %r (one of: %s)" % (init, ", ".join(NODE_INITS)))
    flags = [*NODE_RUN_FLAGS, "--stop-signal", NODE_STOP_SIGNALS[init]]
    return flags, list(SYSV_COMMAND) if init == "sysv" else []


DEMO_APP = REPO_ROOT / "tools" / "demo-app"
DEMO_APP_IN_NODE = "/root/dockhand-build/demo-app"


def _place_demo_app(names):
    """The demo app's build context (tools/demo-app) in every node, where inventories/lab builds it
    from: a build host keeps its contexts (a CI checkout), site.yml does not copy them each run."""
    def place(name):
        docker("exec", name, "mkdir", "-p", os.path.dirname(DEMO_APP_IN_NODE), timeout=30)
        docker("cp", "%s/." % DEMO_APP, "%s:%s" % (name, DEMO_APP_IN_NODE), timeout=60)
    _parallel(place, names)


def _start_node(node):
    flags, command = node_run_args(node["init"])
    docker("run", "-d", "--name", node["name"], "--hostname", node["name"],
           "--network", NETWORK, "--ip", node["address"],
           "--label", "%s=1" % LAB_LABEL, "--label", "%s.role=%s" % (LAB_LABEL, node["role"]),
           "--label", "%s=%s" % (RELEASE_LABEL, node["release"]),
           "--label", "%s=%s" % (INIT_LABEL, node["init"]),
           *flags, node_image(node["release"]), *command, timeout=120)


@_public
def replace_node(name):
    """Remove a running lab node and start a fresh, empty one with the same name, address,
    release and init (a host rebuilt from scratch); its engine answers and the test images
    are loaded when this returns."""
    fmt = '{{ index .Config.Labels "%s.role" }} {{ index .Config.Labels "%s" }} {{ index .Config.Labels "%s" }}'
    proc = docker("inspect", "--format", fmt % (LAB_LABEL, RELEASE_LABEL, INIT_LABEL), name, check=False)
    if proc.returncode != 0:
        raise LabError("no lab node %s to replace" % name)
    role, release, init = proc.stdout.split()
    index = int(name.rsplit("node", 1)[1])
    node = {"name": name, "address": node_address(index), "role": role, "release": release, "init": init}
    docker("rm", "-f", "-v", name, timeout=120)
    _start_node(node)
    _wait_node(name, time.monotonic() + NODE_TIMEOUT)
    _enable_ssh([node], time.monotonic() + SSH_TIMEOUT)
    _load_into_nodes(build_test_images(), [name])
    _place_demo_app([name])
    log("replaced %s with a fresh node (%s, %s, %s)" % (name, node["address"], release, init))
    return node


@_public
def lab_up(n=5, trixie=0, sysv=0):
    """Fresh lab of n nodes, the last `trixie` of them Debian 13 nodes with Docker 26.1 (the
    others bookworm, Docker 20.10) and, counted apart, the last `sysv` of them booted without
    systemd (tini as PID 1, the engine run by /etc/init.d/docker): leftovers removed, engine and
    images ensured, network and nodes created, engines inside answering, test images loaded,
    .lab/inventory.yml written. Returns {"nodes": [{"name", "address", "role", "release",
    "init"}], "managers", "workers", "inventory", "ssh_inventory", "network", "subnet"}."""
    n, trixie, sysv = int(n), int(trixie), int(sysv)
    if not 1 <= n <= MAX_NODES:
        raise LabError("number of nodes must be 1..%d, not %d" % (MAX_NODES, n))
    if not 0 <= trixie <= n:
        raise LabError("number of trixie nodes must be 0..%d (the number of nodes), not %d" % (n, trixie))
    if not 0 <= sysv <= n:
        raise LabError("number of sysv nodes must be 0..%d (the number of nodes), not %d" % (n, sysv))
    releases = node_releases(n, trixie)
    inits = node_inits(n, sysv)
    ensure_engine()
    removed, nets = _remove_lab()
    if removed or nets:
        log("removed leftovers: %d containers, %d networks" % (removed, nets))
    INVENTORY.unlink(missing_ok=True)
    SSH_INVENTORY.unlink(missing_ok=True)
    # Every node is new: the keys of an earlier, larger lab's nodes must not stay trusted.
    KNOWN_HOSTS.unlink(missing_ok=True)
    images = build_test_images()
    for release in NODE_RELEASES:
        if release in releases:
            build_node_image(release)

    docker("network", "create", "--driver", "bridge", "--subnet", SUBNET, "--gateway", GATEWAY,
           "--label", "%s=1" % LAB_LABEL, NETWORK)
    managers = split_roles(n)[0]
    nodes = [{"name": node_name(i), "address": node_address(i),
              "role": "manager" if i <= managers else "worker", "release": releases[i - 1],
              "init": inits[i - 1]}
             for i in range(1, n + 1)]

    kinds = [text for count, text in ((trixie, "the last %d trixie" % trixie),
                                      (sysv, "the last %d without systemd" % sysv)) if count]
    log("starting %d nodes on %s (%s)%s" % (n, NETWORK, SUBNET, "".join(", " + k for k in kinds)))
    _parallel(_start_node, nodes)
    deadline = time.monotonic() + NODE_TIMEOUT
    _parallel(lambda node: _wait_node(node["name"], deadline), nodes)
    log("docker info answers in all %d nodes" % n)
    _enable_ssh(nodes, time.monotonic() + SSH_TIMEOUT)
    log("ssh root@<lab address> works on all %d nodes (key and known_hosts in %s)"
        % (n, SSH_DIR.relative_to(REPO_ROOT)))
    _load_into_nodes(images, [node["name"] for node in nodes])
    _place_demo_app([node["name"] for node in nodes])
    log("loaded %s and the demo app's build context into the nodes" % ", ".join(images))
    _write_inventory(nodes, trixie, sysv)
    log("lab up: %d nodes (%d managers, %d workers; %d bookworm, %d trixie; %d systemd, %d sysv), "
        "inventory %s" % (n, managers, n - managers, n - trixie, trixie, n - sysv, sysv,
                          INVENTORY.relative_to(REPO_ROOT)))
    return LabInfo({
        "nodes": nodes,
        "managers": [x["name"] for x in nodes if x["role"] == "manager"],
        "workers": [x["name"] for x in nodes if x["role"] == "worker"],
        "inventory": str(INVENTORY),
        "ssh_inventory": str(SSH_INVENTORY),
        "network": NETWORK,
        "subnet": SUBNET,
    })


def running_lab():
    """Names of the lab nodes that run now (sorted node1, node2, ...)."""
    if not _engine_version():
        return []
    return _running_nodes()


def _running_label(label, known, default):
    """{node name: value of a node label} of the lab nodes that run now; `default` when the
    label is missing or not one of `known` (nodes made before the label existed)."""
    nodes = running_lab()
    if not nodes:
        return {}
    out = docker("inspect", "--format", '{{.Name}}\t{{index .Config.Labels "%s"}}' % label, *nodes).stdout
    values = {}
    for line in out.splitlines():
        name, value = (line.strip().lstrip("/").split("\t") + [""])[:2]
        values[name] = value if value in known else default
    return {name: values.get(name, default) for name in nodes}


def running_releases():
    """{node name: release} of the lab nodes that run now (nodes made before releases existed
    count as bookworm)."""
    return _running_label(RELEASE_LABEL, NODE_RELEASES, DEFAULT_RELEASE)


def running_inits():
    """{node name: init} of the lab nodes that run now, systemd or sysv (nodes made before
    inits existed count as systemd)."""
    return _running_label(INIT_LABEL, NODE_INITS, DEFAULT_INIT)


@_public
def lab_down():
    """Remove the lab's nodes (with their volumes) and network; idempotent. Does not start an
    engine just for that (a stopped engine runs no node; `up` clears leftovers)."""
    if not _engine_version():
        log("no engine answers: no node runs (leftovers are removed by the next `up`)")
        return 0
    removed, nets = _remove_lab()
    INVENTORY.unlink(missing_ok=True)
    SSH_INVENTORY.unlink(missing_ok=True)
    KNOWN_HOSTS.unlink(missing_ok=True)
    log("lab down: removed %d containers, %d networks" % (removed, nets))
    return removed


@_public
def load_images(images):
    """Copy local images into every running lab node (docker save | docker load)."""
    images = list(images)
    if not images:
        raise LabError("no image given")
    if not _engine_version():
        raise LabError("no engine answers")
    for image in images:
        if not _image_exists(image):
            raise LabError("no local image %s" % image)
    nodes = _running_nodes()
    if not nodes:
        raise LabError("no lab node runs (python3 tools/lab.py up)")
    _load_into_nodes(images, nodes)
    log("loaded %s into %s" % (", ".join(images), ", ".join(nodes)))
    return nodes


# ---------------------------------------------------------------- registries

AUTH_FILE = REGISTRY_DIR / "auth.json"


def _registry_paths(name, address=None):
    """Files of registry `name` served on 127.0.0.1 (address None) or on another address: the
    instances of one name share storage and htpasswd, each has its config, pidfile and log."""
    base = REGISTRY_DIR / name
    tail = "" if address is None else "-" + address
    return {"base": base, "config": base / ("config%s.yml" % tail), "data": base / "data",
            "pidfile": base / ("registry%s.pid" % tail), "log": base / ("registry%s.log" % tail),
            "htpasswd": base / "htpasswd"}


def _served_addresses(name):
    """The addresses other than 127.0.0.1 that registry `name` has a config for."""
    base = REGISTRY_DIR / name
    return sorted(path.stem[len("config-"):] for path in base.glob("config-*.yml")) if base.exists() else []


def _registry_pids(name, address=None):
    """Live registry processes of this lab instance: from the pidfile, and any
    docker-registry whose command line names our config file (pidfile lost)."""
    paths = _registry_paths(name, address)
    pids = set()
    pid = _live_pid(paths["pidfile"], "docker-registry")
    if pid:
        pids.add(pid)
    config = str(paths["config"]).encode()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if config in cmdline and _proc_comm(int(entry.name)) == "docker-registry":
                pids.add(int(entry.name))
    return sorted(pids)


def _stop_registry(name, addresses=None):
    """Stop registry `name` on 127.0.0.1 and on every other address (or only on `addresses`)."""
    stopped = 0
    for address in ([None] + _served_addresses(name)) if addresses is None else addresses:
        paths = _registry_paths(name, address)
        pids = _registry_pids(name, address)
        for pid in pids:
            _terminate(pid, "docker-registry", timeout=10)
        paths["pidfile"].unlink(missing_ok=True)
        if address is not None:
            paths["config"].unlink(missing_ok=True)
        stopped += len(pids)
    return stopped


def _http_status(url, context=None):
    try:
        with urllib.request.urlopen(url, timeout=2, context=context) as resp:
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code
    except (urllib.error.URLError, OSError):
        return None


def _registry_config(name, port, paths, address="127.0.0.1", tls=None):
    lines = [
        "version: 0.1",
        "log:",
        "  level: info",
        "  fields:",
        "    service: dockhand-lab-%s" % name,
        "storage:",
        "  filesystem:",
        "    rootdirectory: %s" % paths["data"],
        "  delete:",
        "    enabled: true",
        "http:",
        "  addr: %s:%d" % (address, port),
        "  secret: %s" % secrets.token_hex(16),
        "  headers:",
        "    X-Content-Type-Options: [nosniff]",
    ]
    if tls:
        lines += [
            "  tls:",
            "    certificate: %s" % tls["certificate"],
            "    key: %s" % tls["key"],
        ]
    if name == "auth":
        lines += [
            "auth:",
            "  htpasswd:",
            "    realm: dockhand-lab",
            "    path: %s" % paths["htpasswd"],
        ]
    return "\n".join(lines) + "\n"


@_public
def registry_up():
    """(Re)start both registries: plain 127.0.0.1:5000, htpasswd auth 127.0.0.1:5001 (user
    dockhand, new password each time, also in .lab/registry/auth.json, mode 0600).
    Returns {"plain", "auth" (host:port), "plain_url", "auth_url", "username", "password"}."""
    ensure_packages(*PKG_REGISTRY)
    REGISTRY_DIR.mkdir(parents=True, exist_ok=True)
    served = any(_served_addresses(name) for name in tuple(REGISTRIES) + (TLS_REGISTRY[0],))
    for name in tuple(REGISTRIES) + (TLS_REGISTRY[0],):
        if _stop_registry(name):
            log("stopped a registry %s left running" % name)
    if served:
        _restore_bridge_relays()
    for port in REGISTRIES.values():
        if _http_status("http://127.0.0.1:%d/v2/" % port) is not None:
            raise LabError("port 127.0.0.1:%d is used by a process the lab did not start" % port)

    password = secrets.token_urlsafe(18)
    binary = shutil.which("docker-registry", path=SYSTEM_PATH)
    for name, port in REGISTRIES.items():
        paths = _registry_paths(name)
        shutil.rmtree(paths["data"], ignore_errors=True)
        paths["data"].mkdir(parents=True)
        if name == "auth":
            line = run(["htpasswd", "-Bbn", REGISTRY_USER, password]).stdout.strip()
            paths["htpasswd"].write_text(line + "\n")
            paths["htpasswd"].chmod(0o600)
        paths["config"].write_text(_registry_config(name, port, paths))
        paths["config"].chmod(0o600)
        paths["log"].write_bytes(b"")
        _spawn_detached([binary, "serve", paths["config"]], paths["pidfile"], paths["log"])

    for name, port in REGISTRIES.items():
        _wait_registry(name, port)

    info = {
        "plain": "127.0.0.1:%d" % REGISTRIES["plain"],
        "auth": "127.0.0.1:%d" % REGISTRIES["auth"],
        "plain_url": "http://127.0.0.1:%d" % REGISTRIES["plain"],
        "auth_url": "http://127.0.0.1:%d" % REGISTRIES["auth"],
        "username": REGISTRY_USER,
        "password": password,
    }
    AUTH_FILE.unlink(missing_ok=True)
    fd = os.open(AUTH_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump({"registry": info["auth"], "url": info["auth_url"], "username": REGISTRY_USER,
                   "password": password}, f, indent=2)
        f.write("\n")
    return info


_EXPECTED_STATUS = {"plain": 200, "auth": 401, TLS_REGISTRY[0]: 200}


def _wait_registry(name, port, address=None, context=None):
    """Until registry `name` answers /v2/ on address:port as it should (200, or 401 with auth)."""
    paths = _registry_paths(name, address)
    url = "%s://%s:%d/v2/" % ("https" if context else "http", address or "127.0.0.1", port)
    expected = _EXPECTED_STATUS[name]
    deadline = time.monotonic() + 20
    while True:
        code = _http_status(url, context)
        if code == expected:
            break
        if code is not None or time.monotonic() > deadline or not _registry_pids(name, address):
            sys.stderr.write("--- tail of %s\n%s\n---\n" % (paths["log"], _tail(paths["log"])))
            raise LabError("registry %s on %s: /v2/ gave %s, expected %d"
                           % (name, url, code or "no answer", expected))
        time.sleep(0.1)
    log("registry %s answers on %s (HTTP %d on /v2/)" % (name, url, code))


def registry_info():
    """The dict registry_up() returned, if both registries still run; else None."""
    if not all(_registry_pids(name) for name in REGISTRIES):
        return None
    try:
        saved = json.loads(AUTH_FILE.read_text())
    except (OSError, ValueError):
        return None
    return {
        "plain": "127.0.0.1:%d" % REGISTRIES["plain"],
        "auth": "127.0.0.1:%d" % REGISTRIES["auth"],
        "plain_url": "http://127.0.0.1:%d" % REGISTRIES["plain"],
        "auth_url": "http://127.0.0.1:%d" % REGISTRIES["auth"],
        "username": saved["username"],
        "password": saved["password"],
    }


BRIDGE_DIR = LAB_DIR / "bridges"


def _network_gateway(network):
    """The network's gateway (this machine's address on it). A network created with a subnet
    only (molecule's) has none recorded; the engine then uses the subnet's first address."""
    proc = docker("network", "inspect", "--format", "{{range .IPAM.Config}}{{.Subnet}}={{.Gateway}} {{end}}",
                  network, check=False)
    pairs = [entry.split("=", 1) for entry in proc.stdout.split() if "." in entry.split("=", 1)[0]]
    if proc.returncode != 0 or not pairs:
        raise LabError("no docker network %s with an IPv4 subnet" % network)
    subnet, gateway = pairs[0]
    return gateway or str(next(ipaddress.ip_network(subnet, strict=False).hosts()))


@_public
def registry_bridge(network=NETWORK):
    """Make the loopback registries answer on 127.0.0.1:5000 and :5001 inside every container of
    `network` too, so image references are the same on this machine and in the nodes (and the
    engines there push over plain HTTP to 127.0.0.1 without insecure-registries). Two socat
    relays per port: on this machine from the network's gateway address to 127.0.0.1, and in
    each container from its loopback to the gateway. Traffic stays on loopback and on the
    network the lab made. Starts the registries when they are not running; idempotent.
    Returns the names of the containers bridged."""
    ensure_packages(PKG_BRIDGE)
    if not registry_info():
        registry_up()
    gateway = _network_gateway(network)
    BRIDGE_DIR.mkdir(parents=True, exist_ok=True)
    (BRIDGE_DIR / ("%s.gateway" % network)).write_text(gateway + "\n")
    _bridge_host_relays(network, gateway)
    _wait_host_relays(network, gateway)
    names = docker("network", "inspect", "--format", "{{range .Containers}}{{.Name}} {{end}}",
                   network).stdout.split()
    script = ("pkill -f '^socat TCP-LISTEN:(5000|5001),bind=127.0.0.1' ; " + " ".join(
        "socat TCP-LISTEN:%d,bind=127.0.0.1,fork,reuseaddr TCP:%s:%d >/dev/null 2>&1 &" % (port, gateway, port)
        for port in REGISTRIES.values()))
    probe = "import urllib.request; urllib.request.urlopen('http://127.0.0.1:%d/v2/', timeout=3)" \
        % REGISTRIES["plain"]

    def relay(name):
        # The deadline is generous: on a loaded 2-core machine one `docker exec` can take seconds.
        # A relay that does not answer within 5 s is started again.
        docker("exec", name, "sh", "-c", script, timeout=30)
        deadline = time.monotonic() + 40
        started = time.monotonic()
        while docker("exec", name, "python3", "-c", probe, check=False, timeout=30).returncode != 0:
            if time.monotonic() > deadline:
                listening = docker("exec", name, "sh", "-c", "pgrep -a socat || echo none", check=False,
                                   timeout=30).stdout.split("\n")
                raise LabError("the registry does not answer on 127.0.0.1:%d inside %s (socat there: %s; "
                               "%s:%d from this machine: %s)"
                               % (REGISTRIES["plain"], name, "; ".join(line for line in listening if line),
                                  gateway, REGISTRIES["plain"],
                                  _http_status("http://%s:%d/v2/" % (gateway, REGISTRIES["plain"])) or "no answer"))
            if time.monotonic() - started > 5:
                docker("exec", name, "sh", "-c", script, timeout=30)
                started = time.monotonic()
            time.sleep(0.2)
    _parallel(relay, names)
    log("registries on 127.0.0.1:%s answer inside %d containers of %s (relayed by %s)"
        % ("/".join(str(port) for port in REGISTRIES.values()), len(names), network, gateway))
    return names


def _bridge_host_relays(network, gateway):
    """The relays on this machine from gateway:port to 127.0.0.1:port, for the ports where no
    registry instance listens on the gateway itself (registry_serve): that one serves the same
    storage, so the relays inside the nodes reach the same registry either way."""
    socat = shutil.which("socat", path=SYSTEM_PATH)
    for name, port in REGISTRIES.items():
        pidfile = BRIDGE_DIR / ("%s-%d.pid" % (network, port))
        if _registry_pids(name, gateway) or _live_pid(pidfile, "socat"):
            continue
        _spawn_detached([socat, "TCP-LISTEN:%d,bind=%s,fork,reuseaddr" % (port, gateway),
                         "TCP:127.0.0.1:%d" % port], pidfile, BRIDGE_DIR / ("%s.log" % network))


def _wait_host_relays(network, gateway):
    """Until the registries answer on gateway:port from this machine; a relay that died (its
    port still held by a registry that was stopping, say) is started once more."""
    deadline = time.monotonic() + 20
    restarted = False
    while True:
        silent = [port for port in REGISTRIES.values()
                  if _http_status("http://%s:%d/v2/" % (gateway, port)) is None]
        if not silent:
            return
        if time.monotonic() > deadline:
            raise LabError("the registries do not answer on %s:%s from this machine (relay log %s:\n%s)"
                           % (gateway, "/".join(str(port) for port in silent),
                              BRIDGE_DIR / ("%s.log" % network), _tail(BRIDGE_DIR / ("%s.log" % network))))
        if not restarted and time.monotonic() > deadline - 15:
            for port in silent:
                _stop_bridge_relay(network, port)
            _bridge_host_relays(network, gateway)
            restarted = True
        time.sleep(0.2)


def _bridged_networks():
    """{network: gateway} of the networks registry_bridge() relays into."""
    if not BRIDGE_DIR.exists():
        return {}
    return {path.stem: path.read_text().strip() for path in BRIDGE_DIR.glob("*.gateway")}


def _stop_bridge_relay(network, port):
    pidfile = BRIDGE_DIR / ("%s-%d.pid" % (network, port))
    pid = _live_pid(pidfile, "socat")
    if pid:
        _terminate(pid, "socat")
    pidfile.unlink(missing_ok=True)
    return 1 if pid else 0


def _restore_bridge_relays():
    """The relays of the bridged networks again, after registries stopped serving the gateway."""
    for network, gateway in _bridged_networks().items():
        _bridge_host_relays(network, gateway)


def _stop_bridges():
    stopped = 0
    for pidfile in BRIDGE_DIR.glob("*.pid") if BRIDGE_DIR.exists() else ():
        pid = _live_pid(pidfile, "socat")
        if pid:
            _terminate(pid, "socat")
            stopped += 1
        pidfile.unlink(missing_ok=True)
    for marker in BRIDGE_DIR.glob("*.gateway") if BRIDGE_DIR.exists() else ():
        marker.unlink(missing_ok=True)
    return stopped


TLS_DIR = REGISTRY_DIR / "tls"


def _make_tls_files(address):
    """A CA made for the lab and a certificate it signs for `address` (openssl, at run time).
    Returns {"ca", "certificate", "key"} (paths); the CA's key stays in the same directory."""
    ensure_packages(PKG_OPENSSL)
    shutil.rmtree(TLS_DIR, ignore_errors=True)
    TLS_DIR.mkdir(parents=True)
    TLS_DIR.chmod(0o700)
    files = {"ca": TLS_DIR / "ca.crt", "ca_key": TLS_DIR / "ca.key", "certificate": TLS_DIR / "server.crt",
             "key": TLS_DIR / "server.key", "csr": TLS_DIR / "server.csr", "ext": TLS_DIR / "server.ext"}
    curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    run(["openssl", "req", "-x509", *curve, "-keyout", files["ca_key"], "-out", files["ca"], "-days", "7",
         "-subj", "/CN=dockhand lab CA %s" % secrets.token_hex(4),
         "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
    run(["openssl", "req", "-new", *curve, "-keyout", files["key"], "-out", files["csr"], "-subj", "/CN=%s" % address])
    files["ext"].write_text("subjectAltName=IP:%s\nbasicConstraints=CA:FALSE\n"
                            "keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n"
                            % address)
    run(["openssl", "x509", "-req", "-in", files["csr"], "-CA", files["ca"], "-CAkey", files["ca_key"],
         "-CAcreateserial", "-out", files["certificate"], "-days", "7", "-extfile", files["ext"]])
    return {"ca": str(files["ca"]), "certificate": str(files["certificate"]), "key": str(files["key"])}


def _start_registry(name, port, address=None, tls=None):
    paths = _registry_paths(name, address)
    paths["data"].mkdir(parents=True, exist_ok=True)
    paths["config"].write_text(_registry_config(name, port, paths, address or "127.0.0.1", tls))
    paths["config"].chmod(0o600)
    paths["log"].write_bytes(b"")
    binary = shutil.which("docker-registry", path=SYSTEM_PATH)
    _spawn_detached([binary, "serve", paths["config"]], paths["pidfile"], paths["log"])


@_public
def registry_serve(address):
    """Serve the registries on `address` too (a non-loopback address of this machine, such as the
    lab network's gateway, which nodes reach without a relay): the plain and the htpasswd
    registry on address:5000 and :5001 (same storage and password as on 127.0.0.1; started
    first when they do not run), and a TLS registry on address:5443 with a certificate from a
    CA made now with openssl (the engines trust it only through certs.d). A bridge's relay on
    that address gives way to the registry itself. Idempotent. Returns registry_info() plus
    {"address", "served_plain", "served_auth", "tls", "tls_ca" (path of the CA certificate)}."""
    try:
        if ipaddress.ip_address(address).is_loopback:
            raise LabError("the registries serve 127.0.0.1 already; give another address, not %s" % address)
    except ValueError:
        raise LabError("%r is not an IP address" % address) from None
    try:
        with socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET) as probe:
            probe.bind((address, 0))
    except OSError:
        raise LabError("%s is no address of this machine (the lab network's gateway %s exists while the lab is up)"
                       % (address, GATEWAY)) from None
    info = registry_info() or registry_up()
    for name, port in REGISTRIES.items():
        if _registry_pids(name, address):
            continue
        for network, gateway in _bridged_networks().items():
            if gateway == address and _stop_bridge_relay(network, port):
                log("the relay of %s on %s:%d gives way to the registry %s" % (network, address, port, name))
        _start_registry(name, port, address)
        _wait_registry(name, port, address)
    name, port = TLS_REGISTRY
    ca_file = TLS_DIR / "ca.crt"
    if not _registry_pids(name, address) or not ca_file.exists():
        _stop_registry(name)
        shutil.rmtree(_registry_paths(name)["data"], ignore_errors=True)
        tls = _make_tls_files(address)
        _start_registry(name, port, address, tls)
        _wait_registry(name, port, address, context=ssl.create_default_context(cafile=tls["ca"]))
    return dict(info, address=address, served_plain="%s:%d" % (address, REGISTRIES["plain"]),
                served_auth="%s:%d" % (address, REGISTRIES["auth"]), tls="%s:%d" % (address, port),
                tls_ca=str(ca_file))


@_public
def registry_unserve():
    """Stop serving the registries on other addresses than 127.0.0.1 (registry_serve) and remove
    the TLS registry with its storage and CA; the loopback registries and their storage stay,
    and the relays of a bridge come back. Idempotent; returns the number of processes stopped."""
    stopped = sum(_stop_registry(name, _served_addresses(name)) for name in REGISTRIES)
    stopped += _stop_registry(TLS_REGISTRY[0])
    shutil.rmtree(_registry_paths(TLS_REGISTRY[0])["base"], ignore_errors=True)
    shutil.rmtree(TLS_DIR, ignore_errors=True)
    _restore_bridge_relays()
    log("registries served on 127.0.0.1 only (%d processes stopped)" % stopped)
    return stopped


@_public
def registry_down():
    """Stop every registry (on every address, the TLS one too) and the relays of registry_bridge,
    delete their storage, htpasswd, CA and auth.json; idempotent."""
    stopped = _stop_bridges()
    for name in REGISTRIES:
        stopped += _stop_registry(name)
        paths = _registry_paths(name)
        shutil.rmtree(paths["data"], ignore_errors=True)
        paths["htpasswd"].unlink(missing_ok=True)
    stopped += _stop_registry(TLS_REGISTRY[0])
    shutil.rmtree(_registry_paths(TLS_REGISTRY[0])["base"], ignore_errors=True)
    shutil.rmtree(TLS_DIR, ignore_errors=True)
    AUTH_FILE.unlink(missing_ok=True)
    log("registries down (%d processes stopped, storage removed)" % stopped)
    return stopped


# ---------------------------------------------------------------- apt repository

APT_REPO_DIR = LAB_DIR / "apt-repo"
APT_REPO_PORT = 8790
APT_REPO_PACKAGE = "docker.io"
# Appended to the Debian version of the host's docker.io: a copy that apt sees as newer.
APT_REPO_BUMP = "+dockhand1"
APT_REPO_SOURCES = "/etc/apt/sources.list.d/dockhand-lab.list"


def _apt_repo_paths():
    return {"pool": APT_REPO_DIR / "pool", "pidfile": APT_REPO_DIR / "server.pid",
            "log": APT_REPO_DIR / "server.log", "versions": APT_REPO_DIR / "versions.json"}


def _deb_field(deb, field):
    return run(["dpkg-deb", "-f", str(deb), field]).stdout.strip()


def _build_apt_repo():
    """The flat repository: docker.io as this machine's apt offers it, and a copy whose version is
    that one plus APT_REPO_BUMP (same files). Built once; returns [original, bumped] versions."""
    paths = _apt_repo_paths()
    if paths["versions"].exists():
        return json.loads(paths["versions"].read_text())
    ensure_packages("dpkg-dev")
    pool = paths["pool"]
    shutil.rmtree(APT_REPO_DIR, ignore_errors=True)
    pool.mkdir(parents=True)
    env = dict(os.environ, PATH=SYSTEM_PATH)
    download = ["apt-get", "download", "-q", APT_REPO_PACKAGE]
    if run(download, check=False, env=env, timeout=600, cwd=pool).returncode != 0:
        # the package lists may be missing on a fresh machine
        run(["apt-get", "update", "-q"], env=env, timeout=600)
        run(download, env=env, timeout=600, cwd=pool)
    downloaded = sorted(pool.glob("%s_*.deb" % APT_REPO_PACKAGE))
    if not downloaded:
        raise LabError("apt-get download %s left no .deb" % APT_REPO_PACKAGE)
    original = downloaded[-1]
    version = _deb_field(original, "Version")
    bumped_version = version + APT_REPO_BUMP
    with tempfile.TemporaryDirectory(dir=str(APT_REPO_DIR)) as tmp:
        tree = Path(tmp) / "tree"
        run(["dpkg-deb", "-R", str(original), str(tree)])
        control = tree / "DEBIAN" / "control"
        control.write_text("".join(
            "Version: %s\n" % bumped_version if line.startswith("Version:") else line
            for line in control.read_text().splitlines(True)))
        arch = _deb_field(original, "Architecture")
        run(["dpkg-deb", "-Zgzip", "-z1", "-b", str(tree),
             str(pool / ("%s_%s_%s.deb" % (APT_REPO_PACKAGE, bumped_version.replace(":", "%3a"), arch)))],
            timeout=600)
    packages = run(["dpkg-scanpackages", "-m", "pool", "/dev/null"], env=env, cwd=APT_REPO_DIR).stdout
    (APT_REPO_DIR / "Packages").write_text(packages)
    digest = hashlib.sha256(packages.encode()).hexdigest()
    # An unsigned Release file: apt takes the flat repository with [trusted=yes] in the node's sources.
    (APT_REPO_DIR / "Release").write_text(
        "Origin: dockhand-lab\nLabel: dockhand-lab\nDate: %s\nSHA256:\n %s %d Packages\n"
        % (time.strftime("%a, %d %b %Y %H:%M:%S UTC", time.gmtime()), digest, len(packages.encode())))
    versions = [version, bumped_version]
    paths["versions"].write_text(json.dumps(versions))
    log("apt repository built in %s: %s %s" % (APT_REPO_DIR, APT_REPO_PACKAGE, ", ".join(versions)))
    return versions


@_public
def apt_repo_up(address=GATEWAY, port=APT_REPO_PORT):
    """A local apt repository with docker.io at two versions (the one this machine's apt offers,
    and a repackaged copy with a higher version), served over HTTP on address:port only (the lab
    network's gateway by default, which exists while the lab is up). Idempotent. Returns
    {"url", "sources" (the line for a node's sources.list), "versions": [original, bumped]}."""
    versions = _build_apt_repo()
    paths = _apt_repo_paths()
    url = "http://%s:%d/" % (address, port)
    if not _live_pid(paths["pidfile"], "python3"):
        _spawn_detached(["python3", "-m", "http.server", "--bind", address,
                         "--directory", str(APT_REPO_DIR), str(port)], paths["pidfile"], paths["log"])
    deadline = time.monotonic() + 10
    while _http_status(url + "Packages") != 200:
        if time.monotonic() > deadline:
            raise LabError("the apt repository does not answer on %s (see %s)" % (url, paths["log"]))
        time.sleep(0.1)
    log("apt repository serves %s %s on %s" % (APT_REPO_PACKAGE, ", ".join(versions), url))
    return {"url": url, "sources": "deb [trusted=yes] %s ./" % url, "versions": versions}


@_public
def apt_repo_down():
    """Stop the apt repository's server (the built repository stays for the next run); idempotent."""
    paths = _apt_repo_paths()
    pid = _live_pid(paths["pidfile"], "python3")
    if pid:
        _terminate(pid, "python3", timeout=10)
    paths["pidfile"].unlink(missing_ok=True)
    log("apt repository down%s" % (" (pid %d stopped)" % pid if pid else ""))
    return 1 if pid else 0


# ---------------------------------------------------------------- status

def status():
    """What runs: engine, images, nodes, registries. Prints it and returns it as a dict."""
    result = {"engine": None, "images": {}, "nodes": [], "registries": {}}
    version = _engine_version()
    ours = _our_dockerd()
    if version:
        result["engine"] = {"version": version, "started_by_lab": bool(ours), "pid": ours}
        who = "started by the lab (pid %d)" % ours if ours else "not started by the lab"
        print("engine: Docker %s, %s" % (version, who))
    else:
        print("engine: not answering")
    if version:
        digests = {node_image(release): recipe_digest(release) for release in NODE_RELEASES}
        for image in TEST_IMAGES + tuple(digests):
            present = _image_exists(image)
            state = "present" if present else "missing"
            if present and image in digests:
                state += ", recipe %s" % ("current" if _image_label(image, RECIPE_LABEL) == digests[image]
                                          else "OUTDATED")
            result["images"][image] = state
            print("image %s: %s" % (image, state))
        out = docker("ps", "-a", "--filter", "label=%s=1" % LAB_LABEL, "--format",
                     '{{.Names}}\t{{.Status}}\t{{.Label "dockhand.lab.role"}}\t{{.Label "%s"}}\t{{.Label "%s"}}'
                     % (RELEASE_LABEL, INIT_LABEL)).stdout
        for line in sorted(out.splitlines(), key=lambda s: (len(s.split("\t")[0]), s)):
            name, state, role, release, init = (line.split("\t") + ["", "", "", ""])[:5]
            release = release or DEFAULT_RELEASE
            init = init or DEFAULT_INIT
            addr = docker("inspect", "--format",
                          '{{with index .NetworkSettings.Networks "%s"}}{{.IPAddress}}{{end}}' % NETWORK,
                          name, check=False).stdout.strip()
            result["nodes"].append({"name": name, "status": state, "role": role, "address": addr,
                                    "release": release, "init": init})
            print("node %s: %s, %s, %s, %s, %s" % (name, role or "?", release, init, addr or "-", state))
        if not result["nodes"]:
            print("nodes: none")
        for path in (INVENTORY, SSH_INVENTORY):
            if path.exists():
                print("inventory: %s" % path)
    for name, port in REGISTRIES.items():
        pids = _registry_pids(name)
        result["registries"][name] = {"address": "127.0.0.1:%d" % port, "pids": pids}
        state = "running (pid %s)" % pids[0] if pids else "stopped"
        print("registry %s 127.0.0.1:%d: %s" % (name, port, state))
    for name, port in list(REGISTRIES.items()) + [TLS_REGISTRY]:
        for address in _served_addresses(name):
            pids = _registry_pids(name, address)
            key = "%s@%s" % (name, address)
            result["registries"][key] = {"address": "%s:%d" % (address, port), "pids": pids}
            print("registry %s %s:%d: %s" % (name, address, port,
                                             "running (pid %s)" % pids[0] if pids else "stopped"))
    if AUTH_FILE.exists():
        print("registry credentials: %s" % AUTH_FILE)
    return result


# ---------------------------------------------------------------- CLI

def main(argv=None):
    parser = argparse.ArgumentParser(prog="lab.py", description="Test lab of dockhand.docker.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("engine", help="start or stop the Docker engine")
    p.add_argument("action", choices=("up", "down"))
    p = sub.add_parser("images", help="build the local test images")
    p.add_argument("--force", action="store_true", help="rebuild even if present")
    p = sub.add_parser("node-image", help="build a lab node image if its recipe changed")
    p.add_argument("--release", choices=tuple(NODE_RELEASES), default=DEFAULT_RELEASE,
                   help="Debian release of the node: %s (default %s)"
                   % (", ".join("%s = %s" % item for item in NODE_RELEASES.items()), DEFAULT_RELEASE))
    p.add_argument("--force", action="store_true", help="rebuild even if up to date")
    p = sub.add_parser("up", help="(re)create the lab nodes")
    p.add_argument("-n", "--nodes", type=int, default=5, help="number of nodes (default 5)")
    p.add_argument("--trixie", type=int, default=None, metavar="K",
                   help="the last K nodes run Debian 13 with Docker 26.1, the others Debian 12 with "
                   "Docker 20.10 (default: $%s, else 0)" % TRIXIE_ENV)
    p.add_argument("--sysv", type=int, default=None, metavar="K",
                   help="the last K nodes (whatever their release) boot without systemd: tini as PID 1, "
                   "the engine run by /etc/init.d/docker (default: $%s, else 0)" % SYSV_ENV)
    sub.add_parser("down", help="remove the lab nodes and network")
    p = sub.add_parser("registry", help="start or stop the local registries, or bridge them into a network")
    p.add_argument("action", choices=("up", "down", "bridge"))
    p.add_argument("--network", default=NETWORK, help="with bridge: the docker network (default %(default)s)")
    p.add_argument("--address", help="with up: serve the registries on this address too (such as the lab "
                   "network's gateway %s), and a TLS registry there on :%d" % (GATEWAY, TLS_REGISTRY[1]))
    p = sub.add_parser("apt-repo", help="serve or stop the local apt repository (docker.io at two versions)")
    p.add_argument("action", choices=("up", "down"))
    sub.add_parser("status", help="show what is running")
    p = sub.add_parser("load", help="load local images into every running node")
    p.add_argument("images", nargs="+")
    args = parser.parse_args(argv)
    for option, env in (("trixie", TRIXIE_ENV), ("sysv", SYSV_ENV)):
        if args.command == "up" and getattr(args, option) is None:
            value = os.environ.get(env, "").strip() or "0"
            try:
                setattr(args, option, int(value))
            except ValueError:
                parser.error("%s must be a number of nodes, not %r" % (env, value))

    try:
        if args.command == "engine":
            ensure_engine() if args.action == "up" else stop_engine()
        elif args.command == "images":
            build_test_images(force=args.force)
        elif args.command == "node-image":
            build_node_image(args.release, force=args.force)
        elif args.command == "up":
            lab_up(args.nodes, trixie=args.trixie, sysv=args.sysv)
        elif args.command == "down":
            lab_down()
        elif args.command == "registry":
            if args.action == "bridge":
                registry_bridge(args.network)
            elif args.action == "up":
                info = registry_up()
                print("plain registry: %s" % info["plain"])
                print("auth registry:  %s  user %s, password in %s"
                      % (info["auth"], info["username"], AUTH_FILE))
                if args.address:
                    info = registry_serve(args.address)
                    print("served on %s: plain %s, auth %s" % (args.address, info["served_plain"],
                                                               info["served_auth"]))
                    print("TLS registry:   %s  CA certificate %s (trusted by engines with "
                          "/etc/docker/certs.d/%s/ca.crt)" % (info["tls"], info["tls_ca"], info["tls"]))
            else:
                registry_down()
        elif args.command == "apt-repo":
            if args.action == "up":
                info = apt_repo_up()
                print("apt repository: %s (docker.io %s)" % (info["sources"], ", ".join(info["versions"])))
            else:
                apt_repo_down()
        elif args.command == "status":
            status()
        elif args.command == "load":
            load_images(args.images)
    except LabError as err:
        print("lab: error: %s" % err, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("lab: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
