"""The containers role converges a host's list in one module run, idempotently."""
import subprocess

import pytest

from ansible_runner import run_playbook

pytestmark = pytest.mark.engine

PREFIX = "dockhand-test-role-"


def names():
    out = subprocess.run(["docker", "ps", "-a", "--filter", "name=^" + PREFIX, "--format", "{{.Names}}"],
                         capture_output=True, text=True, check=True).stdout
    return sorted(out.split())


@pytest.fixture
def clean():
    yield
    if names():
        subprocess.run(["docker", "rm", "-f"] + names(), capture_output=True, check=True)


def play(containers, defaults):
    return [dict(name="containers role", hosts="localhost", gather_facts=False,
                 roles=[dict(role="dockhand.docker.containers",
                             vars=dict(containers_list=containers, containers_defaults=defaults))])]


def test_role_converges_and_is_idempotent(test_image, clean):
    defaults = {"image": test_image, "command": ["sleep", "1000"], "init": True, "memory": "64m"}
    containers = [{"name": PREFIX + "a"}, {"name": PREFIX + "b", "memory": "96m"}]
    run = run_playbook(None, plays=play(containers, defaults))
    assert run.returncode == 0, run.stdout[-3000:]
    result = run.named("Converge the containers of this host in one module run")
    assert [c["action"] for c in result["containers"]] == ["created", "created"]
    assert names() == [PREFIX + "a", PREFIX + "b"]
    memory = subprocess.run(["docker", "inspect", "-f", "{{.HostConfig.Memory}}", PREFIX + "b"],
                            capture_output=True, text=True, check=True).stdout.strip()
    assert memory == str(96 * 1024 * 1024)
    again = run_playbook(None, plays=play(containers, defaults))
    assert again.stats["localhost"]["changed"] == 0


def test_role_rejects_a_wrong_variable_type():
    run = run_playbook(None, plays=play("not-a-list", {}))
    assert run.returncode != 0
    assert "containers_list" in run.stdout
