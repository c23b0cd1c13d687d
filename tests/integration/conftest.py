"""Fixtures that give integration tests real parts: the engine, test images, registries, the lab."""
import importlib.util
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)  # ansible_runner


def _load_lab():
    spec = importlib.util.spec_from_file_location("dockhand_lab", os.path.join(REPO_ROOT, "tools", "lab.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # test_lab.py finds this instance instead of loading its own
    spec.loader.exec_module(module)
    return module


lab_tool = _load_lab()


@pytest.fixture(scope="session")
def engine():
    """A Docker engine on this machine (started if none answers; the test command stops it)."""
    lab_tool.ensure_engine()
    return "unix:///var/run/docker.sock"


@pytest.fixture(scope="session")
def test_image(engine):
    """A small image made locally (no registry is reachable here)."""
    lab_tool.build_test_images()
    return "dockhand-test/busybox:latest"


@pytest.fixture(scope="session")
def registries(engine):
    """A plain and an htpasswd-protected registry on loopback, for the session.

    Registries that already run (another session's) are used and left running."""
    already = lab_tool.registry_info()
    info = already or lab_tool.registry_up()
    yield info
    if not already:
        lab_tool.registry_down()


@pytest.fixture(scope="session")
def lab_nodes(engine):
    """The 5-node docker-in-docker lab (3 Debian 12 nodes with Docker 20.10 and SDK 5.0.3, 2 Debian 13
    nodes with Docker 26.1 and SDK 7.1; the last one runs without systemd), torn down at the end
    even when tests fail."""
    try:
        inventory = lab_tool.lab_up(5, trixie=2, sysv=1)
        yield inventory
    finally:
        lab_tool.lab_down()


@pytest.fixture(scope="session")
def lab_tool_module():
    """tools/lab.py itself, for tests that change the lab (replace a node)."""
    return lab_tool


@pytest.fixture(scope="session")
def installed_collection(tmp_path_factory):
    """The collection as users get it: `ansible-galaxy collection build`, then installed (offline)
    into an empty collections path. Returns {"tarball", "path" (the collections path), "names"}."""
    import subprocess
    import tarfile

    from ansible_runner import VENV_BIN, ansible_env

    out = tmp_path_factory.mktemp("galaxy")
    build = subprocess.run([os.path.join(VENV_BIN, "ansible-galaxy"), "collection", "build", REPO_ROOT,
                            "--output-path", str(out)], capture_output=True, text=True, check=False)
    assert build.returncode == 0, build.stdout + build.stderr
    tarballs = list(out.glob("dockhand-docker-*.tar.gz"))
    assert len(tarballs) == 1
    with tarfile.open(tarballs[0]) as tar:
        names = tar.getnames()
    installed = out / "collections"
    # --force and a collections path of its own: the working tree's dockhand.docker 0.1.0, on the
    # usual test collections path, must not make ansible-galaxy think it is installed already.
    install = subprocess.run([os.path.join(VENV_BIN, "ansible-galaxy"), "collection", "install", "--offline",
                              "--force", "-p", str(installed), str(tarballs[0])], capture_output=True, text=True,
                             check=False, env=ansible_env(ANSIBLE_COLLECTIONS_PATH=str(installed)))
    assert install.returncode == 0, install.stdout + install.stderr
    return {"tarball": tarballs[0], "path": installed, "names": names}


@pytest.fixture(scope="module")
def site_lab(lab_nodes, registries, lab_tool_module):
    """The lab, bare, with the loopback registry relayed into the nodes, and site.yml (with the lab's
    site variables, inventories/lab) run once over SSH, as operators reach their hosts: a converged
    site for the module's tests, whose "inventory" stands for the lab's SSH inventory."""
    from test_site_lab import NODES, site

    from swarm_tools import reset_swarm
    reset_swarm(NODES)
    lab_tool_module.registry_bridge()
    # The lab's description, standing for its SSH inventory (str(), os.fspath()).
    inventory = lab_tool_module.LabInfo(dict(lab_nodes, inventory=lab_nodes["ssh_inventory"]))
    first = site(inventory)
    assert first.returncode == 0, first.failed_messages()
    yield dict(inventory=inventory, first=first)
    reset_swarm(NODES)
