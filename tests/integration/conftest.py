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
