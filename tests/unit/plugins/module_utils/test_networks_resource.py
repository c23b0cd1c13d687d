"""The network resource on the frame against a stand-in engine holding the recorded networks, containers and
service: the calls made, their order, what is reported, and that refusals and check mode change nothing."""
import time

import pytest

from ansible_collections.dockhand.docker.plugins.module_utils.errors import DockerError, InvalidValue
from ansible_collections.dockhand.docker.plugins.module_utils.frame import converge
from ansible_collections.dockhand.docker.plugins.module_utils.networks import FORM, Networks
from ansible_collections.dockhand.docker.tests.unit.engine_fixtures import ENGINES, load
from ansible_collections.dockhand.docker.tests.unit.fake_engine import FakeClient

CONTAINERS = ("network-user-fixed", "network-user-alias", "network-overlay-user", "network-task-user")


def params(*entries, **top):
    result = dict((key, None) for key in FORM.module_spec())
    result.update(FORM.defaults)
    result.update(top)
    if entries:
        result["networks"] = list(entries)
    return result


def engine_with(engine, *networks, info="info-leader", services=False):
    containers = dict((load(engine, name)["Name"].lstrip("/"), load(engine, name)) for name in CONTAINERS)
    stored = dict((load(engine, name)["Name"], load(engine, name)) for name in networks)
    return FakeClient(info=load(engine, info), containers=containers, networks=stored, nodes=load(engine, "nodes"),
                      services=load(engine, "services-network") if services else None)


def run(client, check_mode=False, sleeps=None, **given):
    resource = Networks(client, check_mode, diff=True, wait_timeout=given.pop("wait_timeout", 120),
                        sleep=(sleeps.append if sleeps is not None else lambda seconds: None))
    return converge(resource, params(**given))


def container_endpoint(client, container, network):
    return client.containers[container]["NetworkSettings"]["Networks"][network]


@pytest.mark.parametrize("engine", ENGINES)
def test_create_then_unchanged_with_the_same_id_reading_only_the_network(engine):
    client = engine_with(engine)
    item = dict(name="web", labels={"a": "b"}, ipam={"config": [{"subnet": "10.9.0.0/24", "gateway": "10.9.0.1"}]})
    [created] = run(client, **item)
    assert created["action"] == "created" and created["changed"] is True and created["id"]
    assert [call[0] for call in client.writes] == ["post_json"]
    assert client.networks["web"]["IPAM"]["Config"] == [{"Subnet": "10.9.0.0/24", "Gateway": "10.9.0.1"}]
    client.calls = []
    [again] = run(client, **item)
    assert again["action"] == "unchanged" and again["changed"] is False and again["id"] == created["id"]
    assert client.methods() == ["info", "inspect_network"] and client.writes == []


@pytest.mark.parametrize("engine", ENGINES)
def test_a_name_that_matches_only_the_start_of_an_id_is_a_new_network(engine):
    client = engine_with(engine, "network-bridge")
    prefix = client.networks["rec-bridge"]["Id"][:6]
    [created] = run(client, name=prefix)
    assert created["action"] == "created" and prefix in client.networks


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("info,where", [("info", "not in a swarm (inactive)"), ("info-worker", "a swarm worker")])
def test_an_overlay_needs_a_swarm_manager_and_nothing_is_changed(engine, info, where):
    client = engine_with(engine, info=info)
    with pytest.raises(InvalidValue) as refused:
        run(client, networks=[{"name": "a"}, {"name": "b", "driver": "overlay"}])
    assert refused.value.msg == ("b: an overlay network is made on a swarm manager, and this engine is %s; run the "
                                 "task on a manager (dockhand.docker.swarm makes one)" % where)
    assert client.writes == []


@pytest.mark.parametrize("engine", ENGINES)
def test_bad_input_in_any_item_changes_nothing_before_the_engine_is_asked(engine):
    client = engine_with(engine)
    with pytest.raises(InvalidValue, match="b: ipam.config"):
        overlapping = {"config": [{"subnet": "10.0.0.0/8"}, {"subnet": "10.1.0.0/16"}]}
        run(client, networks=[{"name": "a"}, {"name": "b", "ipam": overlapping}])
    assert client.calls == []
    with pytest.raises(InvalidValue, match="wait_timeout"):
        run(client, name="a", wait_timeout=0)


@pytest.mark.parametrize("engine", ENGINES)
def test_in_use_refusal_stops_every_item(engine):
    client = engine_with(engine, "network-bridge-used")
    with pytest.raises(InvalidValue, match="rec-bridge-ipam must be recreated to change labels, but it is in use by "
                                           "container rec-net-alias"):
        run(client, networks=[{"name": "fresh"}, {"name": "rec-bridge-ipam", "labels": {"team": "y"}}])
    assert client.writes == []


@pytest.mark.parametrize("engine", ENGINES)
def test_check_mode_reports_what_would_be_detached_and_changes_nothing(engine):
    client = engine_with(engine, "network-bridge-used")
    [result] = run(client, check_mode=True, name="rec-bridge-ipam", labels={"team": "y"}, force=True)
    assert result["action"] == "recreated" and result["changed"] is True
    assert result["id"] == load(engine, "network-bridge-used")["Id"]
    assert [entry["name"] for entry in result["detached"]] == ["rec-net-alias", "rec-net-fixed"]
    assert result["reattached"] == result["detached"]
    assert result["diff"]["after"]["labels"] == {"team": "y"}
    assert client.writes == []


@pytest.mark.parametrize("engine", ENGINES)
def test_force_detaches_recreates_and_reattaches_containers_with_aliases_and_addresses(engine):
    client = engine_with(engine, "network-bridge-used")
    old_id = client.networks["rec-bridge-ipam"]["Id"]
    [result] = run(client, name="rec-bridge-ipam", labels={"team": "y"}, force=True)
    assert result["action"] == "recreated" and result["id"] != old_id, result
    assert [call[0] for call in client.writes] == [
        "disconnect_container_from_network", "disconnect_container_from_network", "remove_network",
        "post_json", "connect_container_to_network", "connect_container_to_network"]
    new = client.networks["rec-bridge-ipam"]
    assert new["Id"] == result["id"] and new["Labels"] == {"team": "y"} and new["Internal"] is True
    assert new["IPAM"]["Config"][0]["Subnet"] == "10.70.0.0/24"
    fixed = container_endpoint(client, "rec-net-fixed", "rec-bridge-ipam")
    assert fixed["IPAMConfig"] == {"IPv4Address": "10.70.0.200"} and fixed["Aliases"][0] == "web"
    assert fixed["NetworkID"] == new["Id"]
    assert container_endpoint(client, "rec-net-alias", "rec-bridge-ipam")["Aliases"][:2] == ["api", "api2"]
    assert [(entry["type"], entry["name"]) for entry in result["reattached"]] == [
        ("container", "rec-net-alias"), ("container", "rec-net-fixed")]
    assert result["detached"] == result["reattached"]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_name_still_taken_just_after_the_removal_is_waited_out(engine):
    # Seen on the lab: a node's copy of the removed overlay holds the name for a moment.
    client = engine_with(engine, "network-bridge-used")
    client.fail["post_json"] = DockerError("network with name rec-bridge-ipam already exists (HTTP 409)",
                                           status_code=409)
    sleeps = []
    [result] = run(client, sleeps=sleeps, name="rec-bridge-ipam", labels={"team": "y"}, force=True)
    assert result["action"] == "recreated" and sleeps == [1]
    assert client.networks["rec-bridge-ipam"]["Labels"] == {"team": "y"}


@pytest.mark.parametrize("engine", ENGINES)
def test_a_new_network_whose_name_is_taken_fails_at_once(engine):
    client = engine_with(engine)
    client.fail["post_json"] = DockerError("network with name web already exists (HTTP 409)", status_code=409)
    sleeps = []
    [result] = run(client, sleeps=sleeps, name="web")
    assert result["failed"] and "already exists" in result["msg"] and sleeps == []


@pytest.mark.parametrize("engine", ENGINES)
def test_force_moves_a_service_waiting_until_its_old_tasks_let_the_network_go(engine):
    client = engine_with(engine, "network-overlay-service", services=True)
    client.busy_removals = 3
    sleeps = []
    [result] = run(client, sleeps=sleeps, name="rec-overlay", driver="overlay", attachable=True, force=True)
    assert result["action"] == "recreated", result
    assert len(sleeps) == 3
    [service] = client.services
    assert service["Spec"]["TaskTemplate"]["Networks"] == [{"Target": result["id"], "Aliases": ["sa"]}]
    assert service["PreviousSpec"]["TaskTemplate"]["Networks"] == []
    assert client.networks["rec-overlay"]["Attachable"] is True
    assert result["detached"] == result["reattached"] == [
        {"type": "service", "name": "rec-net-svc", "id": service["ID"], "aliases": ["sa"]}]


@pytest.mark.parametrize("engine", ENGINES)
def test_the_detached_services_own_tasks_are_waited_for(engine):
    client = engine_with(engine, "network-overlay-service", services=True)
    [service] = client.services
    client.busy_removals, client.busy_task = 2, "t1"
    client.network_tasks["t1"] = {"ID": "t1", "ServiceID": service["ID"], "NodeID": client.nodes[0]["ID"]}
    sleeps = []
    [result] = run(client, sleeps=sleeps, name="rec-overlay", driver="overlay", labels={"x": "1"}, force=True)
    assert result["action"] == "recreated" and len(sleeps) == 2


@pytest.mark.parametrize("engine", ENGINES)
def test_a_container_of_another_node_holding_the_overlay_fails_at_once_naming_it(engine):
    client = engine_with(engine, "network-overlay-service", services=True)
    old_id = client.networks["rec-overlay"]["Id"]
    node = next(node for node in client.nodes if node["Description"]["Hostname"] == "dockhand-node3")
    client.busy_removals, client.busy_task = 10 ** 6, "t2"
    client.network_tasks["t2"] = {"ID": "t2", "NodeID": node["ID"],
                                  "Spec": {"NetworkAttachmentSpec": {"ContainerID": "c" * 64}}}
    sleeps = []
    [result] = run(client, sleeps=sleeps, name="rec-overlay", state="absent", force=True)
    assert sleeps == [] and result["failed"] is True and result["changed"] is True
    assert result["msg"] == ("network rec-overlay is in use by container cccccccccccc on node dockhand-node3, which "
                             "this task did not detach; disconnect it first; the network stays as it was; reattached "
                             "service rec-net-svc")
    assert client.services[0]["Spec"]["TaskTemplate"]["Networks"][0]["Target"] == old_id
    assert client.networks["rec-overlay"]["Id"] == old_id


@pytest.mark.parametrize("engine", ENGINES)
def test_when_the_tasks_never_let_go_the_services_get_the_old_network_back(engine):
    client = engine_with(engine, "network-overlay-service", services=True)
    old_id = client.networks["rec-overlay"]["Id"]
    client.busy_removals = 10 ** 6
    resource = Networks(client, False, wait_timeout=1, sleep=time.sleep)
    [result] = converge(resource, params(name="rec-overlay", driver="overlay", attachable=True, force=True))
    assert result["failed"] is True and result["changed"] is True
    assert "is in use by task" in result["msg"] and "the network stays as it was; reattached service rec-net-svc" \
        in result["msg"]
    assert client.services[0]["Spec"]["TaskTemplate"]["Networks"] == [{"Target": old_id, "Aliases": ["sa"]}]
    assert client.networks["rec-overlay"]["Id"] == old_id


@pytest.mark.parametrize("engine", ENGINES)
def test_a_new_network_the_engine_refuses_puts_the_old_one_back_with_its_users(engine):
    client = engine_with(engine, "network-bridge-used")
    old = load(engine, "network-bridge-used")
    real_create = client._create_network
    attempts = []

    def refuse_first(body):
        attempts.append(body)
        if len(attempts) == 1:
            raise DockerError("Docker engine failed to create network: Pool overlaps with other one on this address "
                              "space (HTTP 403)", status_code=403)
        return real_create(body)
    client._create_network = refuse_first
    [result] = run(client, name="rec-bridge-ipam", labels={"team": "y"}, force=True)
    assert result["failed"] is True and result["changed"] is True
    assert "Pool overlaps" in result["msg"] and "the network was created again as it was" in result["msg"]
    assert "reattached container rec-net-alias, container rec-net-fixed" in result["msg"]
    restored = client.networks["rec-bridge-ipam"]
    assert restored["Labels"] == old["Labels"] and restored["IPAM"]["Options"] == old["IPAM"]["Options"]
    assert result["id"] == restored["Id"]
    assert container_endpoint(client, "rec-net-fixed", "rec-bridge-ipam")["IPAMConfig"] == {
        "IPv4Address": "10.70.0.200"}


@pytest.mark.parametrize("engine", ENGINES)
def test_absent_with_force_detaches_then_removes(engine):
    client = engine_with(engine, "network-bridge-used")
    [result] = run(client, name="rec-bridge-ipam", state="absent", force=True)
    assert result["action"] == "removed" and result["id"] is None and result["reattached"] == []
    assert [entry["name"] for entry in result["detached"]] == ["rec-net-alias", "rec-net-fixed"]
    assert "rec-bridge-ipam" not in client.networks
    assert "rec-bridge-ipam" not in client.containers["rec-net-fixed"]["NetworkSettings"]["Networks"]
    [again] = run(client, name="rec-bridge-ipam", state="absent")
    assert again["action"] == "unchanged"


@pytest.mark.parametrize("engine", ENGINES)
def test_absent_in_use_without_force_is_refused(engine):
    client = engine_with(engine, "network-overlay-service", services=True)
    with pytest.raises(InvalidValue, match="rec-overlay is to be removed, but it is in use by service rec-net-svc"):
        run(client, name="rec-overlay", state="absent")
    assert client.writes == []


@pytest.mark.parametrize("engine", ENGINES)
def test_an_engine_error_on_one_item_keeps_the_others_results(engine):
    client = engine_with(engine)
    client.fail["post_json"] = DockerError("Docker engine failed to create network a: boom (HTTP 500)")
    results = run(client, networks=[{"name": "a"}, {"name": "b"}])
    assert [(result["name"], result["action"]) for result in results] == [("a", "failed"), ("b", "created")]
    assert results[0]["msg"].endswith("boom (HTTP 500)")


AMBIGUOUS = DockerError("Docker engine at unix:///var/run/docker.sock failed to inspect network rec-overlay: 2 matches "
                        "found based on name: network rec-overlay is ambiguous (HTTP 400)", status_code=400)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_stale_copy_of_a_recreated_swarm_network_is_waited_out(engine):
    client = engine_with(engine, "network-overlay")
    client.fail["inspect_network"] = AMBIGUOUS
    sleeps = []
    [result] = run(client, sleeps=sleeps, name="rec-overlay", driver="overlay")
    assert result["action"] == "unchanged" and sleeps == [1]
    assert client.methods().count("inspect_network") == 2 and "networks" in client.methods()


@pytest.mark.parametrize("engine", ENGINES)
def test_a_local_and_a_swarm_network_of_one_name_fail_at_once(engine):
    client = engine_with(engine, "network-overlay")
    local = dict(load(engine, "network-bridge"), Name="rec-overlay")
    client._networks = lambda names=None, ids=None, filters=None: [load(engine, "network-overlay"), local]
    client.fail["inspect_network"] = AMBIGUOUS
    with pytest.raises(DockerError) as failed:
        run(client, name="rec-overlay", driver="overlay", labels={"a": "b"})
    assert failed.value.msg.startswith("there are 2 networks called rec-overlay (local %s, swarm " % local["Id"])
    assert client.writes == []


@pytest.mark.parametrize("engine", ENGINES)
def test_preflight_plan_tells_each_action_and_writes_nothing(engine):
    from ansible_collections.dockhand.docker.plugins.module_utils.networks import plan_items
    client = engine_with(engine, "network-bridge")
    plan = plan_items(client, [dict(name="rec-bridge"), dict(name="fresh")])
    assert plan["actions"]["fresh"] == "created" and plan["in_sync"] is False and plan["error"] is None
    assert plan["items_digest"] and client.writes == []
    bad = plan_items(client, [dict(name="x", driver="overlay", ipam={"config": [{"subnet": "nonsense"}]})])
    assert bad["in_sync"] is False and bad["error"] and "\n" not in bad["error"] and client.writes == []
