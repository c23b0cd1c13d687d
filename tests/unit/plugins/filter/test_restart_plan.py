"""restart_plan: engines outside a swarm together, workers in batches, managers one at a time and the
leader last, each swarm batch watched from a manager that is not restarting."""
import pytest
from ansible.errors import AnsibleFilterError
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.dockhand.docker.plugins.filter.restart import restart_plan


def host(restart=True, state="active", manager=False, node_id=None, leader=None, ids=()):
    swarm = {"state": state, "is_manager": manager, "node_id": node_id or ""}
    nodes = [{"id": ident, "leader": ident == leader} for ident in ids] if manager else []
    return {"docker_host_restart_state": {"restart": restart, "swarm": swarm, "nodes": nodes}}


IDS = ("n1", "n2", "n3", "n4", "n5")


def lab(leader="n1", restart=("m1", "m2", "m3", "w1", "w2"), **extra):
    hostvars = {
        "m1": host("m1" in restart, manager=True, node_id="n1", leader=leader, ids=IDS),
        "m2": host("m2" in restart, manager=True, node_id="n2", leader=leader, ids=IDS),
        "m3": host("m3" in restart, manager=True, node_id="n3", leader=leader, ids=IDS),
        "w1": host("w1" in restart, node_id="n4"),
        "w2": host("w2" in restart, node_id="n5"),
    }
    hostvars.update(extra)
    return hostvars


HOSTS = ["m1", "m2", "m3", "w1", "w2"]


def test_workers_first_then_managers_one_at_a_time_the_leader_last():
    plan = restart_plan(lab(leader="n1"), HOSTS)
    assert [batch["hosts"] for batch in plan] == [["w1"], ["w2"], ["m2"], ["m3"], ["m1"]]
    assert all(batch["swarm"] for batch in plan)
    # The leader watches while it stays up; its own restart is watched by the first other manager.
    assert [batch["via"] for batch in plan] == ["m1", "m1", "m1", "m1", "m2"]


def test_the_leader_is_found_wherever_it_is():
    plan = restart_plan(lab(leader="n2"), HOSTS)
    assert [batch["hosts"] for batch in plan][-3:] == [["m1"], ["m3"], ["m2"]]
    assert plan[-1]["via"] == "m1"


def test_workers_in_batches_and_hosts_outside_the_swarm_together_first():
    hostvars = lab(restart=("w1", "w2"), solo1=host(state="inactive"), solo2=host(state="inactive"))
    plan = restart_plan(hostvars, ["solo1"] + HOSTS + ["solo2"], 2)
    assert plan == [dict(hosts=["solo1", "solo2"], swarm=False, via=None),
                    dict(hosts=["w1", "w2"], swarm=True, via="m1")]


def test_nothing_to_restart_is_no_batch():
    assert restart_plan(lab(restart=()), HOSTS) == []


def test_an_engine_that_could_not_be_read_restarts_as_a_host_outside_a_swarm():
    plan = restart_plan({"new": {"docker_host_restart_state": {"restart": True, "swarm": None}}, "gone": {}},
                        ["new", "gone", "missing"])
    assert plan == [dict(hosts=["new"], swarm=False, via=None)]


def test_a_member_without_a_manager_in_the_play_has_no_watcher():
    plan = restart_plan({"w1": host(node_id="n4")}, ["w1"])
    assert plan == [dict(hosts=["w1"], swarm=True, via=None)]


@pytest.mark.parametrize("batch", [0, -1, True, "2", 1.5])
def test_a_bad_batch_size_is_one_line(batch):
    with pytest.raises(AnsibleFilterError, match="whole number"):
        restart_plan(lab(), HOSTS, batch)


@given(restart=st.lists(st.sampled_from(HOSTS), unique=True), leader=st.sampled_from(["n1", "n2", "n3", None]),
       batch=st.integers(1, 4))
def test_any_lab_each_due_host_once_managers_alone_and_never_watched_by_themselves(restart, leader, batch):
    plan = restart_plan(lab(leader=leader, restart=restart), HOSTS, batch)
    listed = [name for entry in plan for name in entry["hosts"]]
    assert sorted(listed) == sorted(restart)
    managers = {"m1", "m2", "m3"}
    for entry in plan:
        assert entry["via"] in managers and entry["via"] not in entry["hosts"]
        if managers & set(entry["hosts"]):
            assert len(entry["hosts"]) == 1
        else:
            assert len(entry["hosts"]) <= batch
    positions = dict((name, index) for index, entry in enumerate(plan) for name in entry["hosts"])
    leader_host = {"n1": "m1", "n2": "m2", "n3": "m3"}.get(leader)
    if leader_host in positions:
        assert positions[leader_host] == len(plan) - 1
    assert all(positions[w] < positions[m] for w in ("w1", "w2") for m in managers if w in positions and m in positions)


def test_a_play_limited_to_workers_is_watched_from_the_inventory_s_managers():
    hostvars = lab()
    plan = restart_plan(hostvars, ["w1", "w2"], 1, ["m1", "m2", "m3"])
    assert [(batch["hosts"], batch["via"]) for batch in plan] == [(["w1"], "m1"), (["w2"], "m1")]
    # A host of the play is judged by its own read, not by the group it is in.
    plan = restart_plan(hostvars, ["m2", "w1"], 1, ["w1", "m3"])
    assert [(batch["hosts"], batch["via"]) for batch in plan] == [(["w1"], "m2"), (["m2"], "m3")]


def test_spare_managers_must_be_a_list():
    with pytest.raises(AnsibleFilterError, match="spare_managers"):
        restart_plan(lab(), HOSTS, 1, "m1")


def with_reachability(hostvars, unreachable=()):
    """The managers' reads of the swarm's nodes with roles and reachability (m1-m3 managers)."""
    nodes = [{"id": ident, "hostname": "host-%s" % ident, "leader": ident == "n1",
              "role": "manager" if ident in ("n1", "n2", "n3") else "worker",
              "reachability": ("unreachable" if ident in unreachable else "reachable")
              if ident in ("n1", "n2", "n3") else None} for ident in IDS]
    for name in ("m1", "m2", "m3"):
        hostvars[name]["docker_host_restart_state"]["nodes"] = nodes
    return hostvars


def test_all_managers_reachable_is_no_refusal():
    plan = restart_plan(with_reachability(lab()), HOSTS)
    assert [batch["hosts"] for batch in plan] == [["w1"], ["w2"], ["m2"], ["m3"], ["m1"]]
    assert not any("refused" in batch for batch in plan)


def test_a_manager_already_down_stops_the_roll_before_any_restart_naming_it():
    # m3's engine is stopped and m3 is left out of the play (--limit): restarting m1 or m2 would
    # leave 1 of 3 managers.
    plan = restart_plan(with_reachability(lab(restart=("m1", "m2", "w1")), unreachable=("n3",)),
                        ["m1", "m2", "w1", "w2"])
    assert len(plan) == 1 and plan[0]["hosts"] == ["m1", "m2", "w1"] and plan[0]["via"] is None
    assert len(plan[0]["refused"]) == 2
    assert all("host-n3 (unreachable)" in line and "1 of 3 managers reachable" in line and "majority of 2" in line
               for line in plan[0]["refused"]), plan[0]["refused"]
    assert plan[0]["refused"][0].startswith("restarting manager m1 ")


def test_a_manager_down_does_not_stop_workers_alone():
    plan = restart_plan(with_reachability(lab(restart=("w1", "w2")), unreachable=("n3",)), HOSTS)
    assert [batch["hosts"] for batch in plan] == [["w1"], ["w2"]]


@given(down=st.sets(st.sampled_from(["n1", "n2", "n3"])), restart=st.lists(st.sampled_from(HOSTS), unique=True))
def test_refused_exactly_when_a_due_manager_would_leave_no_majority(down, restart):
    plan = restart_plan(with_reachability(lab(restart=restart), unreachable=down), HOSTS)
    ids = {"m1": "n1", "m2": "n2", "m3": "n3"}
    refusing = [name for name in HOSTS if name in restart and name in ids
                and len({"n1", "n2", "n3"} - down - {ids[name]}) < 2]
    if refusing:
        assert len(plan) == 1 and [line.split()[2] for line in plan[0]["refused"]] == refusing
    else:
        assert not any("refused" in batch for batch in plan)
