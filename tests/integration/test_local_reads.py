"""engine_info's reads without the SDK answer what the SDK's do, on the real engine of this machine.

Every read of LocalReads' table is made twice, through the read-only client (local socket, standard
library) and through the SDK's client, and the answers (or the one-line errors) must be the same.
"""
import subprocess

import pytest

from ansible_collections.dockhand.docker.plugins.module_utils.client import EngineClient, LocalReads
from ansible_collections.dockhand.docker.plugins.module_utils.errors import DockerError

pytestmark = pytest.mark.engine

VOLATILE_INFO = {"SystemTime", "NGoroutines", "NFd", "NEventsListener", "ContainersRunning", "Containers",
                 "ContainersStopped", "ContainersPaused", "Images"}


@pytest.fixture(scope="module")
def clients(engine, test_image):
    params = dict(docker_host=engine, api_version="auto", timeout=30)
    local, sdk = EngineClient(params, read_only=True), EngineClient(params)
    assert local._reader is not None and local._api is None and sdk._reader is None
    name = "dockhand-local-reads"
    subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)
    subprocess.run(["docker", "create", "--name", name, "--label", "a=b", test_image, "true"], check=True,
                   capture_output=True)
    yield local, sdk
    subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)
    assert local._api is None, "a read of the table went to the SDK"
    local.close()
    sdk.close()


def steady(info):
    return dict((key, value) for key, value in info.items() if key not in VOLATILE_INFO)


def answer(client, method, args, kwargs):
    try:
        return client.call_or_none("read", method, *args, **kwargs)
    except DockerError as exc:
        return "error: %s" % exc.msg


READS = [
    ("inspect_image", ("dockhand-test/busybox:latest",), {}),
    ("inspect_image", ("dockhand-test/none:latest",), {}),
    ("inspect_container", ("dockhand-local-reads",), {}),
    ("inspect_container", ("dockhand-no-such-container",), {}),
    ("inspect_network", ("bridge",), {}),
    ("inspect_network", ("bridge",), {"verbose": True}),
    ("inspect_network", ("none",), {"scope": "local"}),
    # This engine is in no swarm: the answers are the engine's refusals, word for word.
    ("inspect_swarm", (), {}),
    ("nodes", (), {"filters": {"role": "manager"}}),
    ("inspect_node", ("self",), {}),
    ("services", (), {"filters": {"name": ["a", "b"]}, "status": True}),
    ("inspect_service", ("svc",), {"insert_defaults": True}),
    ("tasks", (), {"filters": {"service": "svc", "_up-to-date": "true"}}),
    ("inspect_task", ("t1",), {}),
    ("secrets", (), {"filters": {"label": "a=b"}}),
    ("configs", (), {}),
    # A registry that does not answer: the engine's error, the same both ways.
    ("inspect_distribution", ("127.0.0.1:1/dockhand/none:1",), {"auth_config": {}}),
]


def test_the_reads_cover_the_table():
    assert set(method for method, _args, _kwargs in READS) | {"info"} == set(LocalReads.ROUTES)


@pytest.mark.parametrize("method, args, kwargs", READS, ids=["%s%s" % (m, a) for m, a, _k in READS])
def test_a_local_read_answers_as_the_sdk(clients, method, args, kwargs):
    local, sdk = clients
    assert local._reader.reads(method, args, kwargs)
    assert answer(local, method, args, kwargs) == answer(sdk, method, args, kwargs)


def test_info_and_version_as_the_sdk(clients):
    local, sdk = clients
    assert local.api_version == sdk.api_version and local.sdk_version == sdk.sdk_version
    assert local.version() == sdk.version()
    assert steady(local.info()) == steady(sdk.info())
