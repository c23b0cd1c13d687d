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
