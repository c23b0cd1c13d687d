"""The swarm role's decisions: which swarm, which manager leads, who joins, what is stale (no engine needed)."""
import copy

import pytest

from ansible_collections.dockhand.docker.plugins.filter.swarm import (
    FilterModule,
    swarm_node_changes,
    swarm_stale_nodes,
    swarm_survey,
    swarm_unready,
    swarm_work,
)
from ansible_collections.dockhand.docker.plugins.module_utils.swarm import quorum

MANAGERS = ["m1", "m2", "m3"]
WORKERS = ["w1", "w2"]


def node(node_id, hostname, role="worker", status="ready", reachability=None, leader=False,
         availability="active", labels=None):
    """One entry of swarm_info's ``nodes`` (see module_utils.swarm.node_facts)."""
    if role == "manager" and reachability is None:
        reachability = "reachable" if status == "ready" else "unreachable"
    return {"id": node_id, "hostname": hostname, "role": role, "availability": availability, "status": status,
            "address": "172.30.77.1", "labels": dict(labels or {}), "engine_version": "26.1.5",
            "leader": leader, "reachability": reachability,
            "manager_address": "172.30.77.1:2377" if role == "manager" else None}


def inactive():
    return {"state": "inactive", "is_manager": False, "node_id": ""}


def worker(node_id, state="active"):
    return {"state": state, "is_manager": False, "node_id": node_id}


def leading(node_id, swarm_id, nodes):
    """swarm_info on a manager of a swarm that has a leader."""
    return {"state": "active", "is_manager": True, "node_id": node_id, "swarm": {"id": swarm_id},
            "nodes": nodes, "quorum": quorum(nodes)}


def leaderless(node_id):
    return {"state": "active", "is_manager": True, "node_id": node_id,
            "error": "rpc error: code = Unknown desc = The swarm does not have a leader.",
            "quorum": dict(quorum([]), managers=3)}


def test_filters_are_registered():
    assert FilterModule().filters() == {"swarm_survey": swarm_survey, "swarm_unready": swarm_unready,
                                        "swarm_stale_nodes": swarm_stale_nodes,
                                        "swarm_node_changes": swarm_node_changes, "swarm_work": swarm_work}


# ---- swarm_survey ----

def test_survey_no_swarm_creates_with_the_first_manager():
    # states in another order than the inventory; m1 is not in the play.
    states = {"w2": inactive(), "m3": inactive(), "w1": inactive(), "m2": inactive()}
    survey = swarm_survey(states, MANAGERS, WORKERS)
    assert survey == {"lead": "m2", "create": True, "cluster_id": None, "joining_managers": ["m3"],
                      "joining_workers": ["w1", "w2"], "rejoining": [], "problems": []}


def test_survey_no_swarm_lead_follows_the_managers_list_order():
    states = {"m1": inactive(), "m2": inactive(), "m3": inactive()}
    survey = swarm_survey(states, ["m3", "m1", "m2"])
    assert survey["lead"] == "m3" and survey["joining_managers"] == ["m1", "m2"]
    assert survey["joining_workers"] == [] and survey["create"] is True


def test_survey_host_outside_both_groups_joins_as_worker_last():
    states = {"x9": inactive(), "w1": inactive(), "m1": inactive()}
    survey = swarm_survey(states, ["m1"], ["w1"])
    assert survey["joining_workers"] == ["w1", "x9"]


def existing_swarm_nodes(leader="M2"):
    return [node("M1", "m1", "manager", leader=leader == "M1"), node("M2", "m2", "manager", leader=leader == "M2"),
            node("W1", "w1")]


def test_survey_existing_swarm_led_by_its_leader():
    nodes = existing_swarm_nodes(leader="M2")
    states = {"m1": leading("M1", "S1", nodes), "m2": leading("M2", "S1", nodes), "m3": inactive(),
              "w1": worker("W1"), "w2": inactive()}
    survey = swarm_survey(states, MANAGERS, WORKERS)
    assert survey == {"lead": "m2", "create": False, "cluster_id": "S1", "joining_managers": ["m3"],
                      "joining_workers": ["w2"], "rejoining": [], "problems": []}


def test_survey_host_with_an_unknown_node_id_joins():
    # w2 is in some swarm, but not as a node the lead knows.
    nodes = existing_swarm_nodes(leader="M1")
    states = {"m1": leading("M1", "S1", nodes), "m2": leading("M2", "S1", nodes), "m3": inactive(),
              "w1": worker("W1"), "w2": worker("STRANGER")}
    survey = swarm_survey(states, MANAGERS, WORKERS)
    assert survey["lead"] == "m1" and survey["joining_workers"] == ["w2"]


def test_survey_everyone_joined():
    nodes = existing_swarm_nodes(leader="M1") + [node("M3", "m3", "manager"), node("W2", "w2")]
    states = {"m1": leading("M1", "S1", nodes), "m2": leading("M2", "S1", nodes), "m3": leading("M3", "S1", nodes),
              "w1": worker("W1"), "w2": worker("W2")}
    survey = swarm_survey(states, MANAGERS, WORKERS)
    assert survey["joining_managers"] == [] and survey["joining_workers"] == [] and survey["problems"] == []


def test_survey_prefers_a_wanted_manager_over_a_leader_not_in_the_managers_group():
    # m4 leads but the inventory now lists it as a worker (about to be demoted).
    nodes = [node("M1", "m1", "manager"), node("M4", "m4", "manager", leader=True)]
    states = {"m4": leading("M4", "S1", nodes), "m1": leading("M1", "S1", nodes)}
    survey = swarm_survey(states, ["m1"], ["m4"])
    assert survey["lead"] == "m1" and survey["create"] is False and survey["problems"] == []


def test_survey_a_leading_host_only_outside_the_managers_group_still_leads():
    nodes = [node("M4", "m4", "manager", leader=True)]
    states = {"m1": inactive(), "m4": leading("M4", "S1", nodes)}
    survey = swarm_survey(states, ["m1"], ["m4"])
    assert survey["lead"] == "m4" and survey["create"] is False and survey["joining_managers"] == ["m1"]


def test_survey_managers_in_two_swarms():
    states = {"m1": leading("M1", "SWARM-ONE", [node("M1", "m1", "manager", leader=True)]),
              "m2": leading("M2", "SWARM-TWO", [node("M2", "m2", "manager", leader=True)]),
              "m3": inactive()}
    survey = swarm_survey(states, MANAGERS)
    assert survey["create"] is False
    assert len(survey["problems"]) == 1
    problem = survey["problems"][0]
    assert "SWARM-ONE" in problem and "SWARM-TWO" in problem and "2 different swarms" in problem


def test_survey_worker_in_a_swarm_without_its_managers():
    states = {"m1": inactive(), "w1": worker("W1"), "w2": inactive()}
    survey = swarm_survey(states, ["m1"], WORKERS)
    assert survey["create"] is False
    assert len(survey["problems"]) == 1
    assert "refusing to create a second swarm" in survey["problems"][0] and "w1" in survey["problems"][0]
    assert "w2" not in survey["problems"][0]


@pytest.mark.parametrize("state", ["pending", "error"])
def test_survey_a_host_half_in_a_swarm_blocks_creation(state):
    survey = swarm_survey({"m1": inactive(), "w1": worker("", state=state)}, ["m1"], ["w1"])
    assert survey["create"] is False and survey["problems"]


def test_survey_leaderless_manager_points_to_force_new_cluster():
    states = {"m1": leaderless("M1"), "m2": inactive(), "w1": worker("W1")}
    survey = swarm_survey(states, ["m1", "m2"], ["w1"])
    assert survey["create"] is False
    assert len(survey["problems"]) == 1
    assert "force_new_cluster" in survey["problems"][0] and "m1" in survey["problems"][0]
    assert "no leader" in survey["problems"][0]


def test_survey_killed_leader():
    # m1 led and is gone from the play; m3 won the election, m2 is listed first.
    nodes = [node("M1", "m1", "manager", status="down", reachability="unreachable"),
             node("M2", "m2", "manager"), node("M3", "m3", "manager", leader=True), node("W1", "w1")]
    states = {"m2": leading("M2", "S1", nodes), "m3": leading("M3", "S1", nodes), "w1": worker("W1")}
    survey = swarm_survey(states, MANAGERS, ["w1"])
    assert survey == {"lead": "m3", "create": False, "cluster_id": "S1", "joining_managers": [],
                      "joining_workers": [], "rejoining": [], "problems": []}


def cut_off_after_force_new_cluster():
    """m1 forced a new cluster; m2 came back as a manager of the old Raft (no leader, no swarm to
    read), m3 restarted while in the new one (its Raft membership kept), w1 was demoted by the
    engine and waits for its promotion."""
    nodes = [node("M1", "m1", "manager", leader=True), node("M2", "m2", "manager", status="down"),
             node("M3", "m3", "manager", status="down", reachability="unreachable"), node("W1", "w1", "manager")]
    for entry in nodes[1], nodes[3]:
        entry.update(reachability=None, manager_address=None)  # no ManagerStatus: in no Raft membership
    pending = {"state": "pending", "is_manager": True, "node_id": "M2",
               "error": "rpc error: code = Unknown desc = The swarm does not have a leader."}
    return {"m1": leading("M1", "S1", nodes), "m2": pending, "m3": leaderless("M3"), "w1": worker("W1")}


@pytest.mark.parametrize("status", ["down", "ready", "unknown"])
def test_survey_a_manager_cut_off_from_raft_rejoins_by_force(status):
    states = cut_off_after_force_new_cluster()
    states["m1"]["nodes"][1]["status"] = status
    survey = swarm_survey(states, MANAGERS, ["w1"])
    assert survey["rejoining"] == ["m2"] and survey["joining_managers"] == ["m2"]
    # m3 is still a Raft member (unreachable: restarting), w1's engine is no manager: neither rejoins.
    assert survey["joining_workers"] == [] and survey["problems"] == []


@pytest.mark.parametrize("status", ["ready", "unknown"])
def test_survey_a_manager_with_its_raft_membership_never_rejoins(status):
    states = cut_off_after_force_new_cluster()
    states["m1"]["nodes"][1].update(status=status, reachability="unreachable")
    assert swarm_survey(states, MANAGERS, ["w1"])["rejoining"] == []


def test_survey_rejoining_is_decided_only_against_a_lead():
    states = cut_off_after_force_new_cluster()
    del states["m1"]
    survey = swarm_survey(states, MANAGERS, ["w1"])
    assert survey["rejoining"] == [] and survey["create"] is False and survey["problems"]


def test_survey_locked_host_asks_for_the_unlock_key():
    states = {"m1": {"state": "locked", "is_manager": False, "node_id": "M1"}, "m2": inactive()}
    survey = swarm_survey(states, ["m1", "m2"])
    assert survey["create"] is False
    assert len(survey["problems"]) == 1
    assert "swarm_unlock_key" in survey["problems"][0] and "m1" in survey["problems"][0]


def test_survey_without_any_manager_in_the_play():
    survey = swarm_survey({"w1": inactive(), "w2": inactive()}, MANAGERS, WORKERS)
    assert survey["create"] is False and survey["lead"] is None
    assert len(survey["problems"]) == 1 and "no host of the managers group" in survey["problems"][0]


def test_survey_does_not_change_the_states():
    nodes = existing_swarm_nodes()
    states = {"m1": leading("M1", "S1", nodes), "m3": inactive(), "w2": inactive()}
    snapshot = copy.deepcopy(states)
    swarm_survey(states, MANAGERS, WORKERS)
    assert states == snapshot


# ---- swarm_unready ----

def test_unready_empty_when_all_fine():
    nodes = [node("M1", "m1", "manager"), node("W1", "w1")]
    assert swarm_unready(nodes, ["M1", "W1"], ["M1"]) == []


def test_unready_reports_not_ready_and_unreachable_managers():
    nodes = [node("M1", "mgr-ok", "manager"),
             node("M2", "mgr-unreach", "manager", reachability="unreachable"),
             node("W1", "wrk-down", status="down"),
             node("W2", "wrk-ok")]
    problems = swarm_unready(nodes, ["M1", "M2", "W1", "W2"])
    assert len(problems) == 2
    assert any("mgr-unreach" in problem and "unreachable" in problem for problem in problems)
    assert any("wrk-down" in problem and "down" in problem for problem in problems)


def test_unready_ignores_nodes_outside_the_play():
    nodes = [node("M1", "m1", "manager"), node("OLD", "gone", status="down"),
             node("M9", "far", "manager", reachability="unreachable")]
    assert swarm_unready(nodes, ["M1"]) == []


def test_unready_manager_still_joining():
    problems = swarm_unready([node("M2", "m2", "manager", reachability="")], ["M2"])
    assert len(problems) == 1 and "m2" in problems[0] and "joining" in problems[0]


def test_unready_wanted_manager_not_yet_promoted():
    problems = swarm_unready([node("W1", "w1")], ["W1"], managers_ids=["W1"])
    assert len(problems) == 1 and "w1 is not yet a manager" in problems[0]


def test_unready_of_no_nodes():
    assert swarm_unready(None, ["M1"]) == [] and swarm_unready([], []) == []


# ---- swarm_stale_nodes ----

def stale_fixture():
    return [node("M1", "m1", "manager"),
            node("W1-NEW", "w1"),
            node("W1-OLD", "w1", status="down"),        # replaced: w1 rebuilt and joined afresh
            node("GONE", "retired", status="down"),     # departed: not in the inventory
            node("W2", "w2", status="down"),            # in the inventory, not in the play: may come back
            node("W3", "w3")]                           # ready, unknown to the play


@pytest.mark.parametrize("prune_departed, remove_replaced, expected", [
    (False, True, ["W1-OLD"]),
    (False, False, []),
    (True, False, ["GONE"]),
    (True, True, ["W1-OLD", "GONE"]),
])
def test_stale_nodes(prune_departed, remove_replaced, expected):
    stale = swarm_stale_nodes(stale_fixture(), ["M1", "W1-NEW"], ["m1", "w1", "w2"],
                              prune_departed=prune_departed, remove_replaced=remove_replaced)
    assert stale == [{"name": node_id, "state": "absent"} for node_id in expected]


def test_stale_nodes_default_removes_replaced_only():
    assert swarm_stale_nodes(stale_fixture(), ["M1", "W1-NEW"], ["m1", "w1", "w2"]) == [
        {"name": "W1-OLD", "state": "absent"}]


def test_a_down_node_of_the_play_is_not_stale():
    nodes = [node("M1", "m1", "manager"), node("W1", "w1", status="down")]
    assert swarm_stale_nodes(nodes, ["M1", "W1"], ["m1", "w1"], prune_departed=True) == []


def test_ready_nodes_are_never_stale():
    nodes = [node("M1", "m1", "manager"), node("W1-NEW", "w1"), node("W1-OLD", "w1"), node("X", "stranger")]
    assert swarm_stale_nodes(nodes, ["M1", "W1-NEW"], ["m1", "w1"], prune_departed=True) == []


@pytest.mark.parametrize("status", ["unknown", "disconnected"])
def test_only_down_nodes_have_departed(status):
    nodes = [node("M1", "m1", "manager"), node("X", "stranger", status=status)]
    assert swarm_stale_nodes(nodes, ["M1"], ["m1"], prune_departed=True) == []


@pytest.mark.parametrize("status", ["unknown", "disconnected", "down"])
def test_a_replaced_entry_that_is_not_ready_is_stale(status):
    # Measured: the entry of a replaced manager stays "unknown" (and reachable: its successor answers
    # on the same address) long after the new node has joined.
    nodes = [node("M1-NEW", "m1", "manager"), node("M1-OLD", "m1", "manager", status=status)]
    assert swarm_stale_nodes(nodes, ["M1-NEW"], ["m1"]) == [{"name": "M1-OLD", "state": "absent"}]


@pytest.mark.parametrize("hostname, inventory, departed", [
    ("web1", ["web1.example.com"], False),
    ("web1.example.com", ["web1"], False),
    ("web1.example.com", ["web1.example.com"], False),
    ("web1", ["web2.example.com"], True),
    ("web1.example.com", ["web2"], True),
])
def test_departed_matches_short_names(hostname, inventory, departed):
    nodes = [node("M1", "m1", "manager"), node("OLD", hostname, status="down")]
    stale = swarm_stale_nodes(nodes, ["M1"], ["m1"] + inventory, prune_departed=True)
    assert stale == ([{"name": "OLD", "state": "absent"}] if departed else [])


def test_stale_nodes_of_no_nodes():
    assert swarm_stale_nodes(None, [], ["m1"], prune_departed=True) == []


# ---- swarm_node_changes ----

CURRENT = [node("M1", "m1", "manager", labels={"zone": "a"}), node("W1", "w1", labels={"zone": "b", "n": "1"})]


def test_node_changes_none_when_facts_match():
    items = [{"name": "M1", "role": "manager", "labels": {"zone": "a"}, "labels_state": "merge"},
             {"name": "W1", "role": "worker", "availability": "active", "labels": {"n": 1},
              "labels_state": "merge"},
             {"name": "W1", "role": "worker", "labels": {"zone": "b", "n": "1"}, "labels_state": "replace"}]
    assert swarm_node_changes(CURRENT, items) == []


@pytest.mark.parametrize("item", [
    {"name": "W1", "role": "manager", "labels": {}, "labels_state": "merge"},
    {"name": "W1", "role": "worker", "availability": "drain", "labels": {}, "labels_state": "merge"},
    {"name": "W1", "role": "worker", "labels": {"zone": "c"}, "labels_state": "merge"},
    {"name": "W1", "role": "worker", "labels": {"zone": "b"}, "labels_state": "replace"},
    {"name": "M1", "role": "manager", "labels": {"extra": "x"}, "labels_state": "merge"},
])
def test_node_changes_returns_the_differing_item(item):
    matching = {"name": "M1", "role": "manager", "labels": {"zone": "a"}, "labels_state": "merge"}
    items = [matching, item] if item["name"] != "M1" else [item]
    assert swarm_node_changes(CURRENT, items) == [item]


def test_node_changes_unknown_id():
    item = {"name": "NEW", "role": "worker", "labels": {}, "labels_state": "merge"}
    assert swarm_node_changes(CURRENT, [item]) == [item]
    assert swarm_node_changes(None, [item]) == [item]


def test_node_changes_absent_items_always_returned():
    absent_known = {"name": "W1", "state": "absent"}
    absent_unknown = {"name": "GONE", "state": "absent"}
    assert swarm_node_changes(CURRENT, [absent_known, absent_unknown]) == [absent_known, absent_unknown]


def test_node_changes_does_not_change_the_facts():
    snapshot = copy.deepcopy(CURRENT)
    swarm_node_changes(CURRENT, [{"name": "W1", "role": "manager", "labels": {"x": "y"}, "labels_state": "replace"}])
    assert CURRENT == snapshot


# ---- swarm_work: whether the swarm role has anything to do (site.yml skips it whole when not) ----

def settled():
    """3 managers + 2 workers as the inventory wants them: the reads of every host, and the wanted items."""
    nodes = [node("id-m1", "m1", "manager", leader=True), node("id-m2", "m2", "manager"),
             node("id-m3", "m3", "manager"), node("id-w1", "w1"), node("id-w2", "w2")]
    states = dict((name, leading("id-" + name, "c1", nodes)) for name in MANAGERS)
    states.update((name, worker("id-" + name)) for name in WORKERS)
    wanted = dict((name, {"role": "manager" if name in MANAGERS else "worker", "labels": {}, "labels_state": "merge"})
                  for name in MANAGERS + WORKERS)
    return states, wanted


def test_work_none_when_the_swarm_is_as_wanted():
    states, wanted = settled()
    assert swarm_work(states, MANAGERS, WORKERS, wanted) == []


def test_work_none_without_swarm_groups():
    assert swarm_work({}, [], [], {}) == []


def test_work_when_a_host_was_not_read():
    states, wanted = settled()
    del states["w2"]
    assert swarm_work(states, MANAGERS, WORKERS, wanted) == ["w2 not read"]


@pytest.mark.parametrize("change", [
    lambda s, w: w["w1"].update(labels={"tier": "app"}),
    lambda s, w: w["w2"].update(role="manager"),
    lambda s, w: w["m2"].update(availability="drain"),
])
def test_work_when_a_node_is_to_change(change):
    states, wanted = settled()
    change(states, wanted)
    assert swarm_work(states, MANAGERS, WORKERS, wanted)


def test_work_when_a_host_is_to_join_or_no_swarm_exists():
    states, wanted = settled()
    states["w2"] = inactive()
    assert swarm_work(states, MANAGERS, WORKERS, wanted) == ["w2 to join"]
    fresh = dict((name, inactive()) for name in MANAGERS + WORKERS)
    assert "no swarm yet" in swarm_work(fresh, MANAGERS, WORKERS, wanted)


def test_work_when_a_node_is_down_or_a_manager_unreachable():
    states, wanted = settled()
    nodes = states["m1"]["nodes"]
    nodes[1] = node("id-m2", "m2", "manager", status="down")
    for name in MANAGERS:
        states[name] = leading("id-" + name, "c1", nodes)
    assert swarm_work(states, MANAGERS, WORKERS, wanted) == ["m2 is down"]


def test_work_when_a_stale_entry_would_be_removed():
    states, wanted = settled()
    nodes = states["m1"]["nodes"] + [node("id-old", "w1", status="down")]
    for name in MANAGERS:
        states[name] = leading("id-" + name, "c1", nodes)
    assert swarm_work(states, MANAGERS, WORKERS, wanted) == ["node id-old to remove"]


def test_work_when_the_manager_count_differs_from_the_inventory():
    states, wanted = settled()
    assert swarm_work(states, MANAGERS, WORKERS, wanted) == []
    extra = states["m1"]["nodes"] + [node("id-m4", "m4", "manager")]
    for name in MANAGERS:
        states[name] = leading("id-" + name, "c1", extra)
    assert any("the swarm has 4 managers" in reason for reason in swarm_work(states, MANAGERS, WORKERS, wanted))


def test_work_when_locked_leaderless_or_settings_given():
    states, wanted = settled()
    assert swarm_work(states, MANAGERS, WORKERS, wanted, cluster_settings={"autolock": True})
    assert swarm_work(states, MANAGERS, WORKERS, wanted, default_addr_pool=["10.20.0.0/16"])
    states["m3"] = dict(states["m3"], state="locked")
    assert "m3 locked" in swarm_work(states, MANAGERS, WORKERS, wanted)
    states = dict((name, leaderless("id-" + name)) for name in MANAGERS)
    states.update((name, worker("id-" + name)) for name in WORKERS)
    assert any("no leader" in reason for reason in swarm_work(states, MANAGERS, WORKERS, wanted))
