"""The Services resource against a stand-in swarm manager: images resolved and pinned, networks and secrets
resolved, create/update/remove calls with the registry credentials, the preflight plan changing nothing."""
import pytest

from ansible_collections.dockhand.docker.plugins.module_utils import rollout, services
from ansible_collections.dockhand.docker.plugins.module_utils.errors import DockerError, InvalidValue
from ansible_collections.dockhand.docker.plugins.module_utils.frame import converge
from ansible_collections.dockhand.docker.tests.unit.engine_fixtures import load
from ansible_collections.dockhand.docker.tests.unit.fake_engine import FakeClient

DIGEST = "sha256:" + "d" * 64
IMAGE = "registry.example.com/team/web:1.4"
NET = {"Id": "netid1", "Name": "app", "Scope": "swarm"}


@pytest.fixture(autouse=True)
def no_credentials(monkeypatch):
    monkeypatch.setattr(services, "registry_credentials", lambda registry: None)
    monkeypatch.setattr(rollout, "POLL_SECONDS", 0)
    monkeypatch.setattr(rollout, "DEFAULT_MONITOR", 0)


def manager(**extra):
    return FakeClient(info=load("engine-20.10", "info-leader"), nodes=load("engine-20.10", "nodes"),
                      networks={"app": NET, "local": dict(NET, Scope="local")},
                      distribution={IMAGE: {"Descriptor": {"digest": DIGEST}, "Platforms": []}}, **extra)


def params(**options):
    result = dict((key, None) for key in services.FORM.module_spec())
    result.update(services.FORM.defaults)
    result.update(image=IMAGE, args=["sleep", "1"], wait=False)
    result.update(options)
    return result


def run(client, check_mode=False, **options):
    return converge(services.Services(client, check_mode, diff=True), params(**options))


def test_a_new_service_is_pinned_and_created_then_unchanged():
    client = manager()
    [result] = run(client, name="web", networks=["app"], limits={"memory": "64m"}, wait=True)
    assert result["action"] == "created" and result["image"] == IMAGE + "@" + DIGEST
    [call] = [call for call in client.writes if call[0] == "send_json"]
    body = call[-1]
    assert body["TaskTemplate"]["Networks"] == [{"Target": "netid1"}]
    assert body["TaskTemplate"]["ContainerSpec"]["Image"] == IMAGE + "@" + DIGEST
    assert result["rollout"]["running"] == 1
    again = run(client, name="web", networks=["app"], limits={"memory": "64m"})
    assert again[0]["action"] == "unchanged" and len([c for c in client.writes if c[0] == "send_json"]) == 1


def test_an_update_is_sent_at_the_services_version_and_check_mode_sends_nothing():
    client = manager()
    run(client, name="web")
    run(client, check_mode=True, name="web", replicas=3)
    assert len([c for c in client.writes if c[0] == "send_json"]) == 1
    [result] = run(client, name="web", replicas=3)
    assert result["action"] == "updated" and client.services[0]["Spec"]["Mode"]["Replicated"]["Replicas"] == 3
    assert client.services[0]["Version"]["Index"] == 2
    [removed] = run(client, name="web", state="absent", wait=True)
    assert removed["action"] == "removed" and client.services == []


def test_references_the_engine_cannot_resolve_are_bad_input_before_anything_changes():
    client = manager()
    for options, fragment in [({"networks": ["nope"]}, "there is no network 'nope'"),
                              ({"networks": ["local"]}, "is a local network"),
                              ({"secrets": [{"name": "db"}]}, "there is no secret 'db'")]:
        with pytest.raises(InvalidValue) as err:
            run(client, name="web", **options)
        assert fragment in err.value.msg
    assert client.writes == []
    with pytest.raises(DockerError) as err:
        run(client, name="web", image="registry.example.com/team/web:9")
    assert "is not in its registry" in err.value.msg and client.writes == []
    [never] = run(client, name="web", image="registry.example.com/team/web:9", resolve_image="never")
    assert never["image"] == "registry.example.com/team/web:9"


def test_secrets_by_their_logical_name_and_registry_credentials(monkeypatch):
    secrets = [{"ID": "s1", "CreatedAt": "t", "Spec": {"Name": "db-0123456789ab", "Labels": {
        "dockhand.docker.name": "db", "dockhand.docker.generation": "1"}}}]
    client = manager(secrets=secrets)
    [result] = run(client, name="web", secrets=[{"name": "db", "mode": 0o400}],
                   registry_auth={"username": "deploy", "password": "pw-123"})
    body = [c for c in client.writes if c[0] == "send_json"][0][-1]
    assert body["TaskTemplate"]["ContainerSpec"]["Secrets"] == [
        {"File": {"Name": "db", "UID": "0", "GID": "0", "Mode": 0o400}, "SecretID": "s1",
         "SecretName": "db-0123456789ab"}]
    assert result["action"] == "created"


def test_a_worker_is_refused():
    client = FakeClient(info=load("engine-20.10", "info-worker"))
    with pytest.raises(InvalidValue) as err:
        run(client, name="web")
    assert "this engine is a worker" in err.value.msg


def test_the_preflight_plan_reports_actions_and_what_runs():
    client = manager()
    run(client, name="web", replicas=1)
    plan = services.plan_items(client, [{"name": "web", "image": IMAGE, "args": ["sleep", "1"]},
                                        {"name": "api", "image": IMAGE}])
    assert plan["actions"] == {"web": "unchanged", "api": "created"} and plan["in_sync"] is False
    assert plan["services"] == [{"name": "web", "image": IMAGE + "@" + DIGEST,
                                 "converged": {"converged": True, "running": 1, "desired": 1}, "limits": {}}]
    writes = len(client.writes)
    services.plan_items(client, [{"name": "web", "image": IMAGE, "memory": 1}])
    assert len(client.writes) == writes
