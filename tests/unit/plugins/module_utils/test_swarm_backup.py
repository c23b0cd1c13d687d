"""Swarm backup and restore decisions (no engine, no files): the manager stopped for the copy, the
manifest and its checks, retention, the restore's refusals and its verification, and the export of
the swarm's declarative state from recorded engine answers of both engine versions."""
import datetime
import json
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.dockhand.docker.plugins.filter.swarm_backup import swarm_backup_choice, swarm_restore_choice
from ansible_collections.dockhand.docker.plugins.module_utils.errors import InvalidValue
from ansible_collections.dockhand.docker.plugins.module_utils.swarm import majority, node_facts
from ansible_collections.dockhand.docker.plugins.module_utils.swarm_backup import (
    OBJECT_KINDS,
    archive_mismatch,
    backup_files,
    backup_stamp,
    build_manifest,
    check_manifest,
    choose_backup_manager,
    choose_restore_target,
    expired,
    manifest_draft,
    manifest_name,
    object_index,
    rejoined,
    restore_differences,
    restore_refusal,
    stamp_of,
    unlock_key_problem,
)
from ansible_collections.dockhand.docker.plugins.module_utils.swarm_export import declarative_state
from ansible_collections.dockhand.docker.tests.unit.engine_fixtures import ENGINES, load
from ansible_collections.dockhand.docker.tests.unit.strategies import PROPERTY, hostile_text

CLUSTER = "kublsu5jsb3lpc5jc8qwdlzic"
SHA = "a" * 64


def node(name, role="manager", reachability="reachable", leader=False, status="ready"):
    return dict(id=name.upper(), hostname=name, role=role, availability="active", status=status,
                address="172.30.77.1", labels={}, engine_version="26.1.5", leader=leader,
                reachability=reachability if role == "manager" else None,
                manager_address="172.30.77.1:2377" if role == "manager" else None)


def three(leader="m1", **states):
    nodes = [node(name, leader=name == leader, reachability=states.get(name, "reachable"))
             for name in ("m1", "m2", "m3")]
    return nodes + [node("w1", role="worker")]


IDS = dict((name, name.upper()) for name in ("m1", "m2", "m3"))


# ---- the manager stopped for the copy ----

@pytest.mark.parametrize("nodes, wanted, host, problem", [
    (three(), None, "m2", None),                                      # the first that is not the leader
    (three(leader="m2"), None, "m1", None),
    (three(), "m3", "m3", None),
    (three(), "m1", None, "m1 is the leader"),                         # an election is refused
    (three(m3="unreachable"), None, None, "would leave 1 of 3 managers reachable"),
    (three(m3="unreachable"), "m2", None, "would leave 1 of 3"),
    (three(m2="unreachable"), None, None, "would leave 1 of 3"),
    (three(), "w1", None, "not a manager host of this play"),
    (three(), "elsewhere", None, "not a manager host of this play"),
    ([], None, None, "could read the swarm"),
])
def test_choose_backup_manager(nodes, wanted, host, problem):
    choice = choose_backup_manager(nodes, IDS, wanted)
    assert choice["host"] == host
    if problem:
        assert problem in choice["problem"] and "\n" not in choice["problem"]
    else:
        assert choice["problem"] is None and choice["node_id"] == host.upper()


def test_a_single_manager_cannot_be_stopped():
    choice = choose_backup_manager([node("m1", leader=True)], {"m1": "M1"})
    assert choice["host"] is None and "leader" in choice["problem"]


def test_a_host_whose_node_is_not_in_the_swarm_is_named():
    choice = choose_backup_manager(three(), {"m1": "M1", "m2": "OTHER"}, "m2")
    assert choice["host"] is None and "m2 is not a node of the swarm" in choice["problem"]


reachabilities = st.sampled_from(["reachable", "unreachable", "unknown"])


@given(st.lists(reachabilities, min_size=1, max_size=7), st.integers(0, 6), st.lists(st.booleans(), max_size=7))
@settings(PROPERTY, max_examples=300)
def test_the_chosen_manager_never_costs_the_majority_or_an_election(states, leader, ready):
    names = ["m%d" % i for i in range(len(states))]
    nodes = [node(name, reachability=state, leader=index == leader % len(states),
                  status="ready" if (ready[index] if index < len(ready) else True) else "down")
             for index, (name, state) in enumerate(zip(names, states))]
    choice = choose_backup_manager(nodes, dict((name, name.upper()) for name in names))
    if choice["host"] is None:
        assert choice["problem"]
        return
    chosen = next(n for n in nodes if n["hostname"] == choice["host"])
    assert not chosen["leader"] and chosen["reachability"] == "reachable" and chosen["status"] == "ready"
    others = [n for n in nodes if n is not chosen and n["reachability"] == "reachable"]
    assert len(others) >= majority(len(nodes))


def test_the_filter_reads_each_hosts_engine_info():
    nodes = three()
    hostvars = dict((name, {"read": {"swarm_info": {"is_manager": True, "node_id": name.upper(), "nodes": nodes}}})
                    for name in ("m1", "m2", "m3"))
    hostvars["m3"]["read"] = {"failed": True}  # an engine that could not be read is not chosen
    assert swarm_backup_choice(hostvars, ["m1", "m2", "m3"], "read")["host"] == "m2"
    assert "m3 is not a manager host" in swarm_backup_choice(hostvars, ["m1", "m2", "m3"], "read", "m3")["problem"]


# ---- the manifest ----

@pytest.mark.parametrize("engine", ENGINES)
def test_manifest_from_recorded_answers(engine):
    objects = object_index([load(engine, "network-ingress"), load(engine, "network-overlay")],
                           load(engine, "secrets"), load(engine, "configs"), load(engine, "services"))
    assert [entry["name"] for entry in objects["networks"]] == [load(engine, "network-overlay")["Name"]]
    assert sorted(entry["id"] for entry in objects["secrets"]) == sorted(s["ID"] for s in load(engine, "secrets"))
    nodes = [node_facts(entry) for entry in load(engine, "nodes")]
    local = dict(node_id=nodes[0]["id"], node_address="172.30.77.11")
    swarm = dict(id=CLUSTER, autolock=True)
    draft = manifest_draft(swarm, local, nodes[0], objects)
    manifest = build_manifest(draft, "2026-12-03T23:50:00Z", SHA, "20261203T235000Z.tar.gz")
    assert manifest["autolock"] is True and manifest["cluster_id"] == CLUSTER
    assert manifest["hostname"] == nodes[0]["hostname"] and manifest["advertise_address"]
    text = json.dumps(manifest)
    for token in load(engine, "swarm")["JoinTokens"].values():
        assert token not in text


def good_manifest(**changes):
    manifest = dict(format=1, cluster_id=CLUSTER, node_id="N", hostname="h", advertise_address="10.0.0.1",
                    engine_version="26.1.5", autolock=False, created="2026-12-03T23:50:00Z", sha256=SHA,
                    archive="20261203T235000Z.tar.gz", objects=dict((kind, []) for kind in OBJECT_KINDS))
    manifest.update(changes)
    return manifest


@pytest.mark.parametrize("changes, message", [
    (dict(format=2), "format"),
    (dict(sha256="abc"), "sha256"),
    (dict(cluster_id="../../etc"), "cluster_id"),
    (dict(autolock="yes"), "autolock"),
    (dict(objects={}), "objects"),
    (dict(objects=dict(networks=[{"name": "x"}], secrets=[], configs=[], services=[])), "without an ID"),
])
def test_check_manifest_refuses(changes, message):
    with pytest.raises(InvalidValue) as failure:
        check_manifest(good_manifest(**changes))
    assert message in failure.value.msg


def test_check_manifest_names_missing_fields():
    manifest = good_manifest()
    del manifest["sha256"], manifest["objects"]
    with pytest.raises(InvalidValue, match="lacks sha256, objects"):
        check_manifest(manifest)


@given(st.one_of(st.none(), st.integers(), hostile_text(), st.lists(st.integers()),
                 st.dictionaries(hostile_text(), st.one_of(st.none(), hostile_text(), st.integers()))))
@settings(PROPERTY, max_examples=200)
def test_check_manifest_takes_anything_and_refuses_in_one_line(value):
    with pytest.raises(InvalidValue) as failure:
        check_manifest(value)
    assert "\n" not in failure.value.msg and len(failure.value.msg) < 300


def test_archive_mismatch_and_unlock_key():
    manifest = good_manifest()
    assert archive_mismatch(manifest, SHA) is None
    assert "nothing was changed" in archive_mismatch(manifest, "b" * 64)
    assert unlock_key_problem(manifest, None) is None
    locked = good_manifest(autolock=True)
    assert "swarm_unlock_key, which is not given" in unlock_key_problem(locked, "")
    key = "SWMKEY-1-" + "x" * 43
    # A locked swarm's archive cannot be restored (the engine's unlock waits for a leader): refused either way.
    problem = unlock_key_problem(locked, key)
    assert "cannot be restored" in problem and "Nothing was changed" in problem and key not in problem


# ---- names and retention ----

def test_stamps_sort_and_stay_unique():
    at = datetime.datetime(2026, 12, 3, 23, 50, 0)
    assert backup_stamp(at) == "20261203T235000Z"
    assert backup_stamp(at, ["20261203T235000Z"]) == "20261203T235000Z-1"
    assert backup_stamp(at, ["20261203T235000Z", "20261203T235000Z-1"]) == "20261203T235000Z-2"
    assert stamp_of("20261203T235000Z-2.tar.gz") == "20261203T235000Z-2"
    assert stamp_of("notes.tar.gz") is None and stamp_of("20261203T235000Z.manifest.json") is None
    assert manifest_name("20261203T235000Z.tar.gz") == "20261203T235000Z.manifest.json"
    assert backup_files("S") == dict(archive="S.tar.gz", manifest="S.manifest.json", state="S.state.yml")


@pytest.mark.parametrize("stamps, keep, removed", [
    (["20261203T235000Z"], 7, []),
    (["20261203T235000Z", "20261202T235000Z"], 1, ["20261202T235000Z"]),
    (["20261203T235000Z-10", "20261203T235000Z-9", "20261203T235000Z"], 2, ["20261203T235000Z"]),
    (["20261203T235000Z", "junk"], 1, []),
])
def test_expired(stamps, keep, removed):
    assert expired(stamps, keep) == removed


@pytest.mark.parametrize("keep", [0, -1, True, "3", None])
def test_expired_refuses_bad_keep(keep):
    with pytest.raises(InvalidValue, match="swarm_backup_keep"):
        expired([], keep)


stamps = st.builds(lambda day, second, number: "202612%02dT%06dZ%s" % (day, second, "-%d" % number if number else ""),
                   st.integers(1, 28), st.integers(0, 235959), st.integers(0, 12))


@given(st.lists(stamps, max_size=20), st.integers(1, 10))
@settings(PROPERTY, max_examples=200)
def test_retention_keeps_exactly_the_newest(taken, keep):
    removed = expired(taken, keep)
    left = sorted(set(taken) - set(removed), key=lambda s: (s.split("-")[0], int(s.split("-")[1]) if "-" in s else 0))
    assert len(left) == min(keep, len(set(taken)))
    assert all(old < new for old in removed for new in left
               if old.split("-")[0] != new.split("-")[0])


# ---- the restore ----

@pytest.mark.parametrize("local, has_leader, refused", [
    (dict(state="inactive", is_manager=False), False, False),       # a fresh host
    (dict(state="active", is_manager=False), False, False),         # a worker
    (dict(state="active", is_manager=True, cluster_id=CLUSTER), False, False),  # the majority is lost
    (dict(state="active", is_manager=True, cluster_id=CLUSTER), True, True),    # a live cluster
    (dict(state="locked", is_manager=False), False, False),
])
def test_restore_refusal(local, has_leader, refused):
    refusal = restore_refusal(local, has_leader, "node1")
    assert bool(refusal) is refused
    if refused:
        assert "node1" in refusal and CLUSTER in refusal and "swarm_restore_force" in refusal


ARCHIVE = dict(hostname="node2", advertise_address="172.30.77.12")
HOSTS = dict(node1="172.30.77.11", node2="172.30.77.12", node3="")


@pytest.mark.parametrize("hosts, wanted, host, problem", [
    (HOSTS, None, "node2", None),                                     # named like the archive's node
    (dict(a="172.30.77.11", b="172.30.77.12:2377"), None, "b", None),  # else by its address
    (dict(a="", b=""), None, "a", None),                              # else the first (engine picks)
    (HOSTS, "node3", "node3", None),                                  # an address not known: allowed
    (HOSTS, "node1", None, "node1 advertises 172.30.77.11, but the archive is of node2, which advertised 172.30.77.12"),
    (dict(node2="10.0.0.2"), None, None, "advertises 10.0.0.2"),
    (HOSTS, "node9", None, "not a host of this play"),
    ({}, None, None, "no host to restore onto"),
])
def test_choose_restore_target(hosts, wanted, host, problem):
    choice = choose_restore_target(ARCHIVE, hosts, wanted)
    assert choice["host"] == host
    assert (problem is None and choice["problem"] is None) or problem in choice["problem"]


def test_the_restore_filter_reads_each_hosts_address():
    hostvars = dict(n1={"swarm_advertise_addr": "172.30.77.11"}, node2={"swarm_advertise_addr": "172.30.77.12"})
    assert swarm_restore_choice(ARCHIVE, hostvars, ["n1", "node2"], "swarm_advertise_addr")["host"] == "node2"
    assert swarm_restore_choice(ARCHIVE, hostvars, ["n1"], "swarm_advertise_addr")["problem"]


def test_restore_differences():
    manifest = dict(networks=[dict(id="n1", name="net")], secrets=[dict(id="s1", name="tok"), dict(id="s2", name="x")],
                    configs=[dict(id="c1", name="conf")], services=[])
    current = dict(networks=[dict(id="n1", name="net")], secrets=[dict(id="s1", name="tok")],
                   configs=[dict(id="c1", name="conf2")], services=[dict(id="v9", name="new")])
    assert restore_differences(manifest, current) == [
        "secret x (s2) is missing", "config conf is named conf2 now (c1)", "service new (v9) is not in the backup"]
    assert restore_differences(manifest, manifest) == []


ids = st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=4)
indexes = st.fixed_dictionaries(dict((kind, st.lists(st.builds(dict, id=ids, name=ids), max_size=5))
                                     for kind in OBJECT_KINDS))


@given(indexes, indexes)
@settings(PROPERTY, max_examples=200)
def test_differences_are_empty_exactly_when_the_ids_and_names_match(manifest, current):
    same = all(dict((e["id"], e["name"]) for e in manifest[kind]) == dict((e["id"], e["name"]) for e in current[kind])
               for kind in OBJECT_KINDS)
    assert (restore_differences(manifest, current) == []) is same


def test_rejoined():
    nodes = three()
    local = dict(state="active", is_manager=True, node_id="M2")
    assert rejoined(local, nodes)
    assert not rejoined(dict(local, state="locked"), nodes)
    assert not rejoined(local, three(m2="unknown"))
    assert not rejoined(local, [dict(n, leader=False) for n in nodes])


# ---- the declarative state ----

@pytest.mark.parametrize("engine", ENGINES)
def test_declarative_state_in_the_services_roles_variables(engine):
    networks = [load(engine, "network-ingress"), load(engine, "network-overlay")]
    secrets, configs, services = load(engine, "secrets"), load(engine, "configs"), load(engine, "services")
    state = declarative_state(networks, secrets, configs, services)
    assert sorted(state) == ["services_configs", "services_list", "services_networks", "services_secrets"]
    assert [net["name"] for net in state["services_networks"]] == [networks[1]["Name"]]
    assert state["services_networks"][0]["driver"] == "overlay"
    assert "com.docker.network.driver.overlay.vxlanid_list" not in json.dumps(state["services_networks"])
    # Secrets by their logical names, with user labels only, never with data.
    assert {"name": "rec-db-password", "labels": {"team": "rec"}} in state["services_secrets"]
    assert all(set(item) <= {"name", "labels"} for item in state["services_secrets"])
    # Configs with their text.
    assert {"name": "rec-legacy-conf", "data": "legacy = true\n"} in state["services_configs"]
    web = next(item for item in state["services_list"] if item["name"] == "rec-web")
    assert web["mode"] == "replicated" and web["replicas"] >= 1 and web["endpoint_mode"] == "dnsrr"
    assert {"name": "rec-app-conf", "target": "/etc/app.conf"} in web["configs"]
    legacy = next(item for item in state["services_list"] if item["name"] == "rec-legacy-user")
    assert legacy["secrets"] == [{"name": "rec-legacy"}]  # the default target is left out
    assert legacy["args"] == ["sleep", "3600"]


def test_secret_env_values_and_log_options_are_masked():
    service = {"ID": "v", "Spec": {"Name": "app", "Mode": {"Global": {}}, "TaskTemplate": {
        "ContainerSpec": {"Image": "img", "Env": ["DB_PASSWORD=hunter2", "MODE=prod"]},
        "LogDriver": {"Name": "splunk", "Options": {"splunk-token": "abc123", "splunk-url": "https://u:p@h"}},
        "Networks": [{"Target": "n1"}]}}}
    (item,) = declarative_state([{"Id": "n1", "Name": "net", "Scope": "swarm", "Driver": "overlay"}], [], [],
                                [service])["services_list"]
    text = json.dumps(item)
    assert "hunter2" not in text and "abc123" not in text and ":p@" not in text
    assert item["env"]["MODE"] == "prod" and item["networks"] == ["net"] and item["mode"] == "global"


def test_binary_config_data_stays_base64():
    config = {"ID": "c", "Spec": {"Name": "blob", "Data": "/w==", "Labels": {}}}
    assert declarative_state(configs=[config])["services_configs"] == [
        {"name": "blob", "data": "/w==", "data_is_b64": True}]
