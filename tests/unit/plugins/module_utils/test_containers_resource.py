"""The Containers resource on the frame, against a stand-in engine holding recorded containers: the order
of the calls that change something, the safe recreate, pulls only after every item is valid."""
import pytest

from ansible_collections.dockhand.docker.plugins.module_utils.containers import (
    FORM,
    NEW_SUFFIX,
    OLD_SUFFIX,
    Containers,
    masked_params,
    plan_items,
)
from ansible_collections.dockhand.docker.plugins.module_utils.errors import DockerError, InvalidValue
from ansible_collections.dockhand.docker.plugins.module_utils.frame import converge
from ansible_collections.dockhand.docker.tests.unit.engine_fixtures import load
from ansible_collections.dockhand.docker.tests.unit.fake_engine import FakeClient

ENGINE = "engine-26.1"
IMAGE = "dockhand-test/busybox:latest"


def engine(**containers):
    image = load(ENGINE, "image")
    return FakeClient(containers=dict((name, load(ENGINE, fixture)) for name, fixture in containers.items()),
                      images={IMAGE: image, image["Id"]: image}, info=load(ENGINE, "info"))


def params(**options):
    result = dict((key, None) for key in FORM.module_spec())
    result.update(FORM.defaults)
    result.update(image=IMAGE, command=["sleep", "3600"])
    result.update(options)
    return result


def run(client, check_mode=False, **options):
    return converge(Containers(client, check_mode, diff=True), params(**options))


def test_unchanged_reads_and_writes_nothing():
    client = engine(web="plain")
    [result] = run(client, name="web")
    assert result["action"] == "unchanged" and result["changed"] is False and client.writes == []
    assert result["id"] == load(ENGINE, "plain")["Id"]


def test_limits_are_one_update_call():
    client = engine(web="limits")
    [result] = run(client, name="web", memory="64m", memory_reservation="32m", memory_swap="128m", cpus="0.25",
                   cpu_shares=512, cpuset_cpus="0", pids_limit=64, restart_policy="on-failure", restart_retries=3)
    assert result["action"] == "updated" and result["changes"] == ["cpus"]
    assert client.writes == [("post_json", "/containers/{0}/update", load(ENGINE, "limits")["Id"],
                              {"NanoCpus": 250000000})]
    assert result["diff"]["before"] == {"cpus": "0.5"} and result["diff"]["after"] == {"cpus": "0.25"}


def test_a_recreate_creates_the_new_container_before_the_old_one_stops():
    client = engine(web="plain")
    old = load(ENGINE, "plain")["Id"]
    [result] = run(client, name="web", command=["sleep", "7200"])
    assert result["action"] == "recreated"
    assert [call[0] for call in client.writes] == ["create_container_from_config", "stop", "rename", "rename",
                                                   "start", "remove_container"]
    assert client.writes[0][2] == "web" + NEW_SUFFIX and client.writes[2] == ("rename", old, "web" + OLD_SUFFIX)
    assert client.containers["web"]["Id"] == result["id"] != old and list(client.containers) == ["web"]


def test_an_engine_that_refuses_the_new_container_leaves_the_old_one_alone():
    client = engine(web="plain")
    client.fail["create_container_from_config"] = DockerError('network "gone" not found')
    [result] = run(client, name="web", command=["sleep", "7200"])
    assert result["failed"] is True and "network" in result["msg"]
    assert [call[0] for call in client.writes] == ["create_container_from_config"]
    assert client.containers["web"]["Id"] == load(ENGINE, "plain")["Id"]
    assert client.containers["web"]["State"]["Running"] is True


def test_a_new_container_that_does_not_start_puts_the_old_one_back():
    client = engine(web="plain")
    old = load(ENGINE, "plain")["Id"]
    client.fail["start"] = DockerError("port is already allocated")
    [result] = run(client, name="web", command=["sleep", "7200"])
    assert result["failed"] is True and result["changed"] is True
    assert "port is already allocated" in result["msg"] and "the old container was put back" in result["msg"]
    assert list(client.containers) == ["web"] and client.containers["web"]["Id"] == old


def test_a_leftover_of_a_recreate_that_died_is_removed_first():
    client = engine(web="plain", **{"web" + NEW_SUFFIX: "stopped"})
    [result] = run(client, name="web", command=["sleep", "7200"])
    assert result["action"] == "recreated" and client.writes[0][0] == "remove_container"
    assert list(client.containers) == ["web"]


def test_one_failing_item_keeps_the_others_results():
    client = engine(a="plain", b="plain")
    client.fail["post_json"] = DockerError("update refused")
    results = run(client, containers=[{"name": "a", "pids_limit": 10}, {"name": "b", "command": ["sleep", "1"]}],
                  parallel=2)
    assert [r["action"] for r in results] == ["failed", "recreated"]
    assert results[0]["msg"] == "update refused" and results[0]["changed"] is True


def test_bad_input_anywhere_changes_nothing_and_pulls_nothing():
    client = engine()
    with pytest.raises(InvalidValue) as err:
        run(client, containers=[{"name": "a", "image": "missing/image:1"}, {"name": "b", "memory": "lots"}])
    assert err.value.msg.startswith("b: memory") and client.writes == []


def test_missing_images_are_pulled_once_after_validation_and_not_in_check_mode():
    client = engine()
    run(client, check_mode=True, containers=[{"name": "a", "image": "other/app:1"}])
    assert client.writes == []
    results = run(client, containers=[{"name": "a", "image": "other/app:1"}, {"name": "b", "image": "other/app:1"}])
    assert [call for call in client.writes if call[0] == "pull"] == [("pull", "other/app")]
    assert [r["action"] for r in results] == ["created", "created"]


def test_pull_never_for_a_missing_image_is_bad_input():
    with pytest.raises(InvalidValue) as err:
        run(engine(), name="a", image="other/app:1", pull="never")
    assert "pull is never" in err.value.msg


def test_removal_stops_then_removes():
    client = engine(web="plain")
    [result] = run(client, name="web", state="absent")
    assert result["action"] == "removed" and [c[0] for c in client.writes] == ["stop", "remove_container"]


def test_the_preflight_plan_uses_the_same_planner_and_changes_nothing():
    client = engine(web="plain")
    plan = plan_items(client, [{"name": "web", "image": IMAGE, "command": ["sleep", "3600"]},
                               {"name": "new", "image": IMAGE}])
    assert plan["in_sync"] is False and plan["actions"] == {"web": "unchanged", "new": "created"}
    assert plan["error"] is None and client.writes == []
    bad = plan_items(client, [{"name": "web", "image": IMAGE, "memory": "lots"}])
    assert bad["in_sync"] is False and "memory" in bad["error"] and bad["actions"] == {}
    odd = plan_items(client, [{"name": "web", "image": IMAGE, "mounts": [{"source": 5, "target": "/x"}]}])
    assert "mounts[0].source" in odd["error"]
    broken = plan_items(client, "not a list")
    assert broken["in_sync"] is False and broken["error"]


def test_masked_params_hide_secret_env_and_logging_credentials_at_every_level():
    shown = masked_params(dict(env={"DB_PASSWORD": "p1", "MODE": "1"}, secret_env=["MODE"],
                               log_options={"splunk-token": "t1", "tag": "x"},
                               containers=[{"name": "a", "env": {"MODE": "2", "API_KEY": "k"}},
                                           {"name": "b", "env": {"MODE": "3"}, "secret_env": []}]))
    assert shown["env"] == {"DB_PASSWORD": "********", "MODE": "********"}
    assert shown["log_options"] == {"splunk-token": "********", "tag": "x"}
    assert shown["containers"][0]["env"] == {"MODE": "********", "API_KEY": "********"}
    assert shown["containers"][1]["env"] == {"MODE": "3"}
