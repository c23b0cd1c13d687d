"""swarm_node on the frame, from the node lists recorded on a 3 + 2 swarm (Docker 20.10 and 26.1): quorum
refusals, the order of changes, predictions for check mode, and the calls made."""
import pytest

from ansible_collections.dockhand.docker.plugins.module_utils import swarm_nodes
from ansible_collections.dockhand.docker.plugins.module_utils.errors import DockerError, InvalidValue
from ansible_collections.dockhand.docker.plugins.module_utils.frame import converge
from ansible_collections.dockhand.docker.plugins.module_utils.swarm import node_facts
from ansible_collections.dockhand.docker.plugins.module_utils.swarm_nodes import (
    FORM,
    NodeWanted,
    SwarmNodes,
    apply_order,
    plan_node,
    predicted,
    refusals,
)
from ansible_collections.dockhand.docker.tests.unit.engine_fixtures import ENGINES, load
from ansible_collections.dockhand.docker.tests.unit.fake_engine import FakeClient

# In the recorded swarm: node1 (the leader, where the task runs), node2 and node4 are managers,
# node3 and node5 workers; in nodes-manager-down node2 is down.
N1, N2, N3, N4, N5 = ("dockhand-node%d" % i for i in range(1, 6))


def items(*entries, **top):
    params = dict((key, None) for key in FORM.module_spec())
    params.update(FORM.defaults)
    params.update(top)
    params["nodes"] = list(entries)
    return FORM.items(params)


def plans(engine, fixture, *entries, **top):
    nodes = load(engine, fixture)
    return [plan_node(NodeWanted(item, label), nodes) for label, item in items(*entries, **top)], \
        [node_facts(node) for node in nodes]


def problems(engine, fixture, *entries, **top):
    planned, facts = plans(engine, fixture, *entries, **top)
    return refusals(planned, facts)


@pytest.mark.parametrize("engine", ENGINES)
def test_promoting_one_worker_of_three_managers_is_refused_two_at_once_is_safe(engine):
    [message] = problems(engine, "nodes", {"name": N3, "role": "manager"})
    assert "4 managers would be left" in message and "promote %s" % N3 in message
    assert problems(engine, "nodes", {"name": N3, "role": "manager"}, {"name": N5, "role": "manager"}) == []


@pytest.mark.parametrize("engine", ENGINES)
def test_demoting_to_an_even_count_or_to_none_is_refused(engine):
    assert "2 managers would be left" in problems(engine, "nodes", {"name": N2, "role": "worker"})[0]
    [message] = problems(engine, "nodes", *({"name": name, "role": "worker"} for name in (N1, N2, N4)))
    assert "no manager would be left" in message


@pytest.mark.parametrize("engine", ENGINES)
def test_with_a_manager_down_the_reachable_majority_counts(engine):
    # 3 managers, node2 down: promoting two ready workers gives 5 managers, 4 reachable: safe.
    assert problems(engine, "nodes-manager-down", {"name": N3, "role": "manager"},
                    {"name": N5, "role": "manager"}) == []
    # Demoting node4 and promoting node3 keeps 3 managers, but only node1 and node3 would be
    # reachable with node2 down: still a majority of 2. Demoting node1 too leaves no majority.
    assert problems(engine, "nodes-manager-down", {"name": N4, "role": "worker"},
                    {"name": N3, "role": "manager"}) == []
    [message] = problems(engine, "nodes-manager-down", {"name": N4, "role": "worker"}, {"name": N1, "role": "worker"},
                         {"name": N3, "role": "manager"})
    assert "fewer than the majority" in message or "would be left" in message


@pytest.mark.parametrize("engine", ENGINES)
def test_removing_a_ready_node_is_refused_a_down_one_is_not(engine):
    [message] = problems(engine, "nodes", {"name": N5, "state": "absent"})
    assert "is ready, not down" in message
    # node2 is down; removing that manager leaves 2 (even) unless a worker is promoted with it.
    assert "2 managers would be left" in problems(engine, "nodes-manager-down", {"name": N2, "state": "absent"})[0]
    assert problems(engine, "nodes-manager-down", {"name": N2, "state": "absent"},
                    {"name": N3, "role": "manager"}) == []
    planned, facts = plans(engine, "nodes", {"name": N5, "state": "absent"})
    assert refusals(planned, facts, force=True) == []


@pytest.mark.parametrize("engine", ENGINES)
def test_removing_a_manager_entry_in_no_raft_membership_changes_no_quorum(engine):
    # After force_new_cluster the old managers' entries keep the manager role but no manager status;
    # node4, say, is still being promoted again (no status yet either): removing node2's entry is safe.
    nodes = load(engine, "nodes-manager-down")
    for node in nodes:
        if node["Description"]["Hostname"] in (N2, N4):
            node.pop("ManagerStatus", None)
    planned = [plan_node(NodeWanted(item, label), nodes) for label, item in items({"name": N2, "state": "absent"})]
    assert refusals(planned, [node_facts(node) for node in nodes]) == []
    # With its Raft membership (unreachable), the same removal is judged, and refused.
    assert "would be left" in problems(engine, "nodes-manager-down", {"name": N2, "state": "absent"})[0]


@pytest.mark.parametrize("engine", ENGINES)
def test_promotions_first_demotions_last_the_running_node_last_of_all(engine):
    planned, _facts = plans(engine, "nodes-manager-down", {"name": N1, "role": "worker"},
                            {"name": N2, "state": "absent"}, {"name": N3, "role": "manager"},
                            {"name": N4, "labels": {"zone": "a"}}, {"name": N5, "role": "manager"})
    local = next(plan.node_id for plan in planned if plan.name == N1)
    ordered = [plan.name for plan in apply_order(planned, local)]
    assert ordered == [N3, N5, N4, N2, N1]
    assert [plan.actions() for plan in planned] == [["demoted"], ["demoted", "removed"], ["promoted"],
                                                    ["set labels"], ["promoted"]]


@pytest.mark.parametrize("engine", ENGINES)
def test_labels_merge_or_replace_and_unchanged_nodes_plan_nothing(engine):
    current = load(engine, "nodes")
    for node in current:
        node["Spec"]["Labels"] = {"disk": "ssd"} if node["Description"]["Hostname"] == N3 else {}
    merged = plan_node(NodeWanted(items({"name": N3, "labels": {"zone": "a"}})[0][1], N3), current)
    assert merged.spec["Labels"] == {"disk": "ssd", "zone": "a"}
    replaced = plan_node(NodeWanted(items({"name": N3, "labels": {"zone": 1}, "labels_state": "replace"})[0][1], N3),
                         current)
    assert replaced.spec["Labels"] == {"zone": "1"} and replaced.action == "updated"
    same = plan_node(NodeWanted(items({"name": N3, "role": "worker", "availability": "active"})[0][1], N3), current)
    assert same.changed is False and same.actions() == []


@pytest.mark.parametrize("engine", ENGINES)
def test_a_missing_node_is_an_error_unless_it_is_to_be_removed(engine):
    nodes = load(engine, "nodes")
    gone = plan_node(NodeWanted(items({"name": "ghost", "state": "absent"})[0][1], "ghost"), nodes)
    assert gone.changed is False and gone.node_id is None
    with pytest.raises(InvalidValue) as err:
        plan_node(NodeWanted(items({"name": "ghost"})[0][1], "ghost"), nodes)
    assert "no node 'ghost' in this swarm" in err.value.msg


@pytest.mark.parametrize("engine", ENGINES)
def test_check_mode_predicts_roles_reachability_and_removals(engine):
    planned, facts = plans(engine, "nodes-manager-down", {"name": N2, "state": "absent"},
                           {"name": N3, "role": "manager"}, {"name": N4, "role": "worker"})
    after = dict((node["hostname"], node) for node in predicted(facts, planned))
    assert N2 not in after
    assert after[N3]["role"] == "manager" and after[N3]["reachability"] == "reachable"
    assert after[N4]["role"] == "worker" and after[N4]["reachability"] is None and after[N4]["leader"] is False


def leader_engine(fixture="nodes"):
    return FakeClient(info=load("engine-20.10", "info-leader"), nodes=load("engine-20.10", fixture))


def test_the_resource_checks_everything_then_applies_in_order():
    client = leader_engine()
    resource = SwarmNodes(client, check_mode=False, diff=True)
    params = dict((key, None) for key in FORM.module_spec())
    params.update(FORM.defaults, role="manager", nodes=[{"name": N3}, {"name": N5}])
    results = converge(resource, params)
    assert [(r["name"], r["action"], r["actions"]) for r in results] == [(N3, "promoted", ["promoted"]),
                                                                         (N5, "promoted", ["promoted"])]
    assert [call[0] for call in client.writes] == ["update_node", "update_node"]
    managers = sorted(node["hostname"] for node in resource.nodes_after() if node["role"] == "manager")
    assert managers == [N1, N2, N3, N4, N5]
    assert results[0]["diff"]["before"] == {"role": "worker"}


def test_a_refused_set_changes_nothing_and_check_mode_changes_nothing():
    params = dict((key, None) for key in FORM.module_spec())
    params.update(FORM.defaults, name=N3, role="manager")
    client = leader_engine()
    with pytest.raises(InvalidValue):
        converge(SwarmNodes(client, check_mode=False), params)
    assert client.writes == []
    params.update(name=None, nodes=[{"name": N3, "role": "manager"}, {"name": N5, "role": "manager"}])
    resource = SwarmNodes(client, check_mode=True)
    assert all(r["changed"] for r in converge(resource, params)) and client.writes == []
    assert len([n for n in resource.nodes_after() if n["role"] == "manager"]) == 5


def test_a_demoted_manager_is_removed_once_it_has_left_raft(monkeypatch):
    monkeypatch.setattr(swarm_nodes.time, "sleep", lambda seconds: None)
    client = leader_engine("nodes-manager-down")
    client.fail["remove_node"] = DockerError("rpc error: node is still part of the raft cluster; demote it first")
    params = dict((key, None) for key in FORM.module_spec())
    params.update(FORM.defaults, nodes=[{"name": N2, "state": "absent"}, {"name": N3, "role": "manager"}])
    results = converge(SwarmNodes(client, check_mode=False), params)
    assert [r["actions"] for r in results] == [["demoted", "removed"], ["promoted"]]
    assert [call[0] for call in client.writes] == ["update_node", "update_node", "remove_node", "remove_node"]
    assert N2 not in [node["Description"]["Hostname"] for node in client.nodes]


def test_a_manager_entry_outside_the_raft_group_is_removed_with_force(monkeypatch):
    # After a forced new cluster (a restore) the lost managers' entries stay managers that Raft does not know.
    monkeypatch.setattr(swarm_nodes.time, "sleep", lambda seconds: None)
    client = leader_engine("nodes-manager-down")
    call, removals = client.call, []

    def demote_refused(action, method, *args, **kwargs):
        if method == "remove_node":
            removals.append(kwargs)
        if method == "update_node" and args[2].get("Role") == "worker":
            raise DockerError("rpc error: code = NotFound desc = can't find manager in raft memberlist (HTTP 404)")
        return call(action, method, *args, **kwargs)
    client.call = demote_refused
    params = dict((key, None) for key in FORM.module_spec())
    params.update(FORM.defaults, nodes=[{"name": N2, "state": "absent"}, {"name": N3, "role": "manager"}])
    converge(SwarmNodes(client, check_mode=False), params)
    assert removals == [{"force": True}], client.writes
    assert N2 not in [node["Description"]["Hostname"] for node in client.nodes]


def test_a_worker_engine_is_refused():
    client = FakeClient(info=load("engine-20.10", "info-worker"))
    params = dict((key, None) for key in FORM.module_spec())
    params.update(FORM.defaults, name=N3)
    with pytest.raises(InvalidValue) as err:
        converge(SwarmNodes(client, check_mode=False), params)
    assert "runs on a swarm manager; this engine is a worker" in err.value.msg
