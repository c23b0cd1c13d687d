"""swarm_maintenance: the pure planner on recorded node lists and services of both engine versions (the
checks' verdicts, which services move, the move's body), and the runner's writes on a fake engine."""
import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.dockhand.docker.plugins.module_utils.errors import DockerError, InvalidValue
from ansible_collections.dockhand.docker.plugins.module_utils.swarm_maintenance import (
    Maintenance,
    drain_refusals,
    move_spec,
    plan_drain,
    quorum_facts,
    restore_waiting_for,
    satisfies,
)
from ansible_collections.dockhand.docker.tests.unit.engine_fixtures import ENGINES, load
from ansible_collections.dockhand.docker.tests.unit.fake_engine import FakeClient


def by_host(nodes, name):
    return next(node for node in nodes if node["Description"]["Hostname"] == name)


def tasks_on(service, node, count=1, first_slot=1):
    """Tasks of ``service`` on ``node`` in the recorded task shape (tasks.json's first task, re-pointed)."""
    recorded = load("engine-20.10", "tasks")[0]
    made = []
    for slot in range(first_slot, first_slot + count):
        task = copy.deepcopy(recorded)
        task.update(ID="%s-%s-%d" % (service["Spec"]["Name"], node["ID"][:5], slot), ServiceID=service["ID"],
                    NodeID=node["ID"], Slot=slot, Spec=copy.deepcopy(service["Spec"]["TaskTemplate"]))
        made.append(task)
    return made


def replicated(engine, replicas=3, **spec):
    service = load(engine, "svc-plain")
    service["Spec"]["Mode"] = {"Replicated": {"Replicas": replicas}}
    service["Spec"].update(spec)
    return service


@pytest.mark.parametrize("engine", ENGINES)
def test_a_worker_and_each_manager_of_a_healthy_swarm_may_be_taken_out(engine):
    nodes = load(engine, "nodes")
    assert quorum_facts(nodes) == {"managers": 3, "reachable": 3, "leader": "dockhand-node1"}
    for node in nodes:
        assert drain_refusals(node, nodes) == []


@pytest.mark.parametrize("engine", ENGINES)
def test_with_one_manager_down_no_other_manager_is_taken_out_and_the_message_names_it(engine):
    nodes = load(engine, "nodes-manager-down")
    for name in ("dockhand-node1", "dockhand-node4"):
        refusals = drain_refusals(by_host(nodes, name), nodes)
        assert len(refusals) == 1
        assert "dockhand-node2 (unreachable)" in refusals[0] and name in refusals[0]
        assert "1 of 3 managers reachable" in refusals[0] and "nothing was changed" in refusals[0]
    # The manager that is down itself, and the workers: the two others are a majority.
    for name in ("dockhand-node2", "dockhand-node3", "dockhand-node5"):
        assert drain_refusals(by_host(nodes, name), nodes) == []


@pytest.mark.parametrize("engine", ENGINES)
def test_the_only_manager_and_a_swarm_without_leader_are_refused(engine):
    nodes = load(engine, "nodes")
    # The swarm as if node2 and node4 had been demoted and removed: node1 the only manager.
    single = [node for node in nodes if node["Description"]["Hostname"] not in ("dockhand-node2", "dockhand-node4")]
    assert "dockhand-node1 is the only manager" in drain_refusals(by_host(single, "dockhand-node1"), single)[0]
    assert drain_refusals(by_host(single, "dockhand-node3"), single) == []
    for node in nodes:
        if node.get("ManagerStatus"):
            node["ManagerStatus"]["Leader"] = False
    assert quorum_facts(nodes)["leader"] is None
    refusal = drain_refusals(by_host(nodes, "dockhand-node3"), nodes)
    assert refusal == ["the swarm has no leader (3 of 3 managers reachable); nothing was changed"]


@pytest.mark.parametrize("engine", ENGINES)
def test_replicated_tasks_on_the_node_move_by_a_placement_only_start_first_update(engine):
    nodes = load(engine, "nodes")
    node, other = by_host(nodes, "dockhand-node3"), by_host(nodes, "dockhand-node5")
    web = replicated(engine, UpdateConfig={"Parallelism": 1, "Order": "stop-first", "Monitor": 5000000000,
                                           "FailureAction": "rollback", "MaxFailureRatio": 0.5})
    tasks = tasks_on(web, node, 2) + tasks_on(web, other, 1, first_slot=3)
    plan = plan_drain(node, nodes, [web], tasks)
    assert plan.refusals == [] and plan.changed and plan.drain and plan.availability_before == "active"
    assert [(move["service"], len(move["tasks"])) for move in plan.moves] == [("svc-plain", 2)]
    body = plan.moves[0]["body"]
    assert body["TaskTemplate"]["Placement"] == {"Constraints": ["node.id!=%s" % node["ID"]]}
    assert body["UpdateConfig"] == {"Parallelism": 0, "Order": "start-first", "Delay": 0, "Monitor": 5000000000,
                                    "FailureAction": "pause", "MaxFailureRatio": 0.5}
    # Nothing else differs: only the node's tasks are dirty for the orchestrator.
    rest = copy.deepcopy(body)
    rest["TaskTemplate"].pop("Placement")
    rest["UpdateConfig"] = web["Spec"]["UpdateConfig"]
    assert rest == web["Spec"] and plan.moves[0]["spec"] == web["Spec"]
    assert plan.waits == [] and plan.stays == []


@pytest.mark.parametrize("engine", ENGINES)
def test_existing_constraints_are_kept_and_the_recorded_services_move(engine):
    nodes = load(engine, "nodes")
    node = by_host(nodes, "dockhand-node5")
    services = load(engine, "services")
    tasks = [task for service in services for task in tasks_on(service, node)]
    full = load(engine, "svc-full")  # placement: node.role == worker, max 2 per node, a spread preference
    tasks += tasks_on(full, node)
    plan = plan_drain(node, nodes, services + [full], tasks)
    assert sorted(move["service"] for move in plan.moves) == ["rec-legacy-user", "rec-web", "svc-full"]
    placement = next(move for move in plan.moves if move["service"] == "svc-full")["body"]["TaskTemplate"]["Placement"]
    assert placement["Constraints"] == ["node.role == worker", "node.id!=%s" % node["ID"]]
    assert placement["MaxReplicas"] == full["Spec"]["TaskTemplate"]["Placement"]["MaxReplicas"]


@pytest.mark.parametrize("engine", ENGINES)
def test_global_services_jobs_and_services_pinned_to_the_node_are_not_moved(engine):
    nodes = load(engine, "nodes")
    node = by_host(nodes, "dockhand-node3")
    glob, job = load(engine, "svc-global"), load(engine, "svc-job")
    pinned = replicated(engine, 1)
    pinned["ID"], pinned["Spec"]["Name"] = "pinned-id", "db"
    pinned["Spec"]["TaskTemplate"]["Placement"] = {"Constraints": ["node.hostname==DOCKHAND-NODE3"]}
    tasks = tasks_on(glob, node) + tasks_on(job, node) + tasks_on(pinned, node)
    plan = plan_drain(node, nodes, [glob, job, pinned], tasks)
    assert plan.moves == [] and plan.waits == [] and plan.pinned == ["db"]
    reasons = dict((stay["service"], stay["reason"]) for stay in plan.stays)
    assert "global service" in reasons["svc-global"] and "replicated-job" in reasons["svc-job"]
    assert "node.hostname==DOCKHAND-NODE3" in reasons["db"] and "dockhand-node3" in reasons["db"]
    assert plan.changed  # the availability still changes


@pytest.mark.parametrize("engine", ENGINES)
def test_a_drained_node_and_move_none_only_wait_and_a_busy_update_is_left_to_the_drain(engine):
    nodes = load(engine, "nodes")
    node = by_host(nodes, "dockhand-node3")
    web = replicated(engine)
    plan = plan_drain(node, nodes, [web], tasks_on(web, node), move="none")
    assert plan.moves == [] and plan.waits == [{"service": "svc-plain", "id": web["ID"]}] and plan.changed
    node["Spec"]["Availability"] = "drain"
    plan = plan_drain(node, nodes, [web], tasks_on(web, node))
    assert plan.moves == [] and not plan.changed and plan.availability_before == "drain"
    node["Spec"]["Availability"] = "active"
    web["UpdateStatus"] = {"State": "paused", "Message": "update paused due to failure"}
    plan = plan_drain(node, nodes, [web], tasks_on(web, node))
    assert plan.moves == [] and plan.waits == [] and "update is paused: not moved" in plan.stays[0]["reason"]


@pytest.mark.parametrize("engine", ENGINES)
def test_tasks_that_ended_or_are_being_stopped_are_not_moved(engine):
    nodes = load(engine, "nodes")
    node = by_host(nodes, "dockhand-node3")
    web = replicated(engine)
    tasks = tasks_on(web, node, 2)
    tasks[0]["DesiredState"] = "shutdown"
    tasks[1]["Status"]["State"] = "failed"
    assert plan_drain(node, nodes, [web], tasks).moves == []


@pytest.mark.parametrize("engine", ENGINES)
def test_a_node_is_back_when_ready_reachable_and_the_swarm_has_a_leader(engine):
    nodes = load(engine, "nodes-manager-down")
    assert restore_waiting_for(by_host(nodes, "dockhand-node2"), nodes) == [
        "dockhand-node2 is down, not ready", "manager dockhand-node2 is unreachable, not reachable"]
    assert restore_waiting_for(by_host(nodes, "dockhand-node3"), nodes) == []


# ---- placement constraints, as swarmkit matches them ----

NODE_FIELDS = st.fixed_dictionaries({
    "id": st.from_regex(r"[a-z0-9]{25}", fullmatch=True),
    "hostname": st.from_regex(r"[a-zA-Z][a-zA-Z0-9-]{0,20}", fullmatch=True),
    "role": st.sampled_from(["manager", "worker"]),
    "labels": st.dictionaries(st.from_regex(r"[a-z][a-z0-9_.-]{0,10}", fullmatch=True),
                              st.from_regex(r"[a-zA-Z0-9_-]{1,10}", fullmatch=True), max_size=3),
})


def made_node(fields):
    return {"ID": fields["id"], "Description": {"Hostname": fields["hostname"],
                                                "Platform": {"OS": "linux", "Architecture": "x86_64"}},
            "Spec": {"Role": fields["role"], "Labels": fields["labels"], "Availability": "active"},
            "Status": {"State": "ready"}}


@settings(max_examples=300, deadline=None)
@given(NODE_FIELDS, st.booleans(), st.sampled_from(["", " "]))
def test_a_node_satisfies_its_own_values_and_not_their_negation(fields, upper, space):
    node = made_node(fields)
    values = [("node.id", fields["id"]), ("node.hostname", fields["hostname"]), ("node.role", fields["role"]),
              ("node.platform.os", "linux")]
    values += [("node.labels." + key, value) for key, value in fields["labels"].items()]
    for key, value in values:
        value = value.upper() if upper else value
        assert satisfies(node, ["%s%s==%s%s" % (key, space, space, value)])
        assert not satisfies(node, ["%s%s!=%s%s" % (key, space, space, value)])
    assert satisfies(node, ["node.labels.absent-label!=x"]) and not satisfies(node, ["node.labels.absent-label==x"])
    assert satisfies(node, ["node.ip==10.0.0.1", "not a constraint"])  # unknown to this code: the scheduler decides


@settings(max_examples=200, deadline=None)
@given(NODE_FIELDS)
def test_the_move_constraint_keeps_tasks_off_exactly_that_node(fields):
    node = made_node(fields)
    spec = move_spec({"TaskTemplate": {}}, fields["id"])
    constraints = spec["TaskTemplate"]["Placement"]["Constraints"]
    assert not satisfies(node, constraints)
    assert satisfies(dict(node, ID=fields["id"][::-1] + "x"), constraints)


# ---- the runner, on a fake engine ----

class SwarmFake(FakeClient):
    """A fake swarm whose orchestrator moves tasks at once: off a drained node, and off a node a
    service's constraints exclude, to the first other node."""

    def _update_node(self, node_id, version, spec):
        super(SwarmFake, self)._update_node(node_id, version, spec)
        if spec["Availability"] == "drain":
            self._move_off(node_id)

    def send_json(self, action, method, path, path_args=(), body=None, params=None, headers=None):
        answer = super(SwarmFake, self).send_json(action, method, path, path_args, body, params, headers)
        for constraint in ((body or {}).get("TaskTemplate", {}).get("Placement") or {}).get("Constraints") or ():
            if constraint.startswith("node.id!="):
                self._move_off(constraint[len("node.id!="):], path_args[0])
        return answer

    def _move_off(self, node_id, service_id=None):
        target = next(node["ID"] for node in self.nodes if node["ID"] != node_id)
        for task in self.tasks:
            if task["NodeID"] == node_id and service_id in (None, task["ServiceID"]):
                task["NodeID"] = target


class Clock(object):
    def __init__(self):
        self.now = 1000.0

    def time(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def fake_swarm(engine, services, tasks_of):
    nodes = load(engine, "nodes")
    node = by_host(nodes, "dockhand-node3")
    tasks = [task for service in services for task in tasks_of(service, node)]
    client = SwarmFake(nodes=nodes, services=services, tasks=tasks, info=load("engine-20.10", "info-leader"))
    return client, node


@pytest.mark.parametrize("engine", ENGINES)
def test_drained_moves_drains_then_puts_the_spec_back_twice(engine):
    web = replicated(engine, 2)
    client, node = fake_swarm(engine, [web], lambda service, node: tasks_on(service, node, 2))
    clock = Clock()
    result = Maintenance(client, timeout=60, clock=clock.time, sleep=clock.sleep).drained("dockhand-node3",
                                                                                          "start-first")
    writes = client.writes
    assert [call[0] for call in writes] == ["send_json", "update_node", "send_json", "send_json"]
    assert "node.id!=%s" % node["ID"] in writes[0][-1]["TaskTemplate"]["Placement"]["Constraints"]
    assert writes[1][1] == node["ID"] and writes[1][3]["Availability"] == "drain"
    assert writes[2][-1] == web["Spec"] and writes[3][-1] == web["Spec"]
    service = client.services[0]
    assert service["Spec"] == web["Spec"] and service["PreviousSpec"] == web["Spec"]
    assert service["Version"]["Index"] == web["Version"]["Index"] + 3
    assert result["changed"] and result["node"]["availability_before"] == "active"
    assert result["node"]["availability"] == "drain"
    assert [(entry["service"], entry["tasks"]) for entry in result["moved"]] == [("svc-plain", 2)]
    assert result["quorum"] == {"managers": 3, "reachable": 3, "leader": "dockhand-node1"}


@pytest.mark.parametrize("engine", ENGINES)
def test_check_mode_reports_the_moves_and_writes_nothing(engine):
    web = replicated(engine)
    client, node = fake_swarm(engine, [web], tasks_on)
    result = Maintenance(client, check_mode=True).drained(node["ID"], "start-first")
    assert client.writes == []
    assert result["changed"] and result["node"]["availability"] == "drain"
    assert result["moved"] == [{"service": "svc-plain", "tasks": 1, "seconds": 0}]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_move_that_does_not_complete_puts_the_spec_back_and_names_the_schedulers_reason(engine):
    web = replicated(engine)
    client, node = fake_swarm(engine, [web], tasks_on)

    def stuck(node_id, service_id=None):  # the scheduler finds no room: a pending replacement
        pending = copy.deepcopy(client.tasks[0])
        pending.update(ID="pending", NodeID="", Slot=7, Status={
            "State": "pending", "Err": "no suitable node (max replicas per node limit exceed)"})
        client.tasks.append(pending)
        client.tasks[0]["Spec"] = {"stale": True}  # the task on the node is not of the new spec
    client._move_off = stuck
    clock = Clock()
    with pytest.raises(DockerError) as failure:
        Maintenance(client, timeout=10, clock=clock.time, sleep=clock.sleep).drained("dockhand-node3", "start-first")
    message = failure.value.msg
    assert "moving service svc-plain off dockhand-node3 start-first failed" in message
    assert "max replicas per node limit exceed" in message and "keeps availability active" in message
    assert [call[0] for call in client.writes] == ["send_json", "send_json", "send_json"]
    assert client.services[0]["Spec"] == web["Spec"]
    assert by_host(client.nodes, "dockhand-node3")["Spec"]["Availability"] == "active"


@pytest.mark.parametrize("engine", ENGINES)
def test_a_drain_that_does_not_empty_the_node_gives_its_availability_back(engine):
    web = replicated(engine)
    client, node = fake_swarm(engine, [web], tasks_on)
    client._move_off = lambda node_id, service_id=None: None  # nothing leaves the node
    clock = Clock()
    with pytest.raises(DockerError) as failure:
        Maintenance(client, timeout=5, clock=clock.time, sleep=clock.sleep).drained("dockhand-node3", "none")
    assert "still run on it after 5 s: svc-plain (1)" in failure.value.msg
    assert by_host(client.nodes, "dockhand-node3")["Spec"]["Availability"] == "active"


@pytest.mark.parametrize("engine", ENGINES)
def test_refusals_and_unknown_nodes_change_nothing(engine):
    client = SwarmFake(nodes=load(engine, "nodes-manager-down"), info=load("engine-20.10", "info-leader"))
    with pytest.raises(DockerError) as failure:
        Maintenance(client).drained("dockhand-node4", "start-first")
    assert "dockhand-node2 (unreachable)" in failure.value.msg
    with pytest.raises(InvalidValue) as failure:
        Maintenance(client).drained("no-such-node", "start-first")
    assert "no node 'no-such-node'" in failure.value.msg
    worker = SwarmFake(nodes=load(engine, "nodes"), info=load(engine, "info-worker"))
    with pytest.raises(InvalidValue) as failure:
        Maintenance(worker).restored("dockhand-node3", "active")
    assert "runs on a swarm manager" in failure.value.msg
    assert client.writes == [] and worker.writes == []


@pytest.mark.parametrize("engine", ENGINES)
def test_restored_sets_the_availability_once_and_then_changes_nothing(engine):
    web = replicated(engine, 1)
    client, node = fake_swarm(engine, [web], tasks_on)
    node_entry = by_host(client.nodes, "dockhand-node3")
    node_entry["Spec"]["Availability"] = "drain"
    clock = Clock()
    maintenance = Maintenance(client, timeout=60, clock=clock.time, sleep=clock.sleep)
    result = maintenance.restored("dockhand-node3", "active")
    assert result["changed"] and result["node"]["availability_before"] == "drain"
    assert result["node"]["availability"] == "active"
    assert result["services"] == [{"name": "svc-plain", "running": 1, "desired": 1, "converged": True}]
    assert [call[0] for call in client.writes] == ["update_node"]
    again = maintenance.restored("dockhand-node3", "active")
    assert not again["changed"] and len(client.writes) == 1


@pytest.mark.parametrize("engine", ENGINES)
def test_a_run_that_died_with_the_node_drained_gives_back_what_it_had(engine):
    from ansible_collections.dockhand.docker.plugins.module_utils.swarm_maintenance import AVAILABILITY_LABEL
    web = replicated(engine, 1)
    client, node = fake_swarm(engine, [web], tasks_on)
    clock = Clock()
    maintenance = Maintenance(client, timeout=60, clock=clock.time, sleep=clock.sleep)
    by_host(client.nodes, "dockhand-node3")["Spec"]["Availability"] = "pause"
    first = maintenance.drained("dockhand-node3", "none")
    drained = by_host(client.nodes, "dockhand-node3")["Spec"]
    assert first["node"]["availability_before"] == "pause" and drained["Availability"] == "drain"
    assert drained["Labels"][AVAILABILITY_LABEL] == "pause"
    # The run dies here; the next run finds the node drained, and the label says what it had.
    again = maintenance.drained("dockhand-node3", "none")
    assert again["node"]["availability_before"] == "pause"
    restored = maintenance.restored("dockhand-node3", again["node"]["availability_before"])
    spec = by_host(client.nodes, "dockhand-node3")["Spec"]
    assert restored["changed"] and spec["Availability"] == "pause" and AVAILABILITY_LABEL not in spec["Labels"]


# ---- the quorum rule over every small swarm ----

MANAGER_STATES = st.lists(st.tuples(st.sampled_from(["reachable", "unreachable", "unknown"]), st.booleans()),
                          min_size=1, max_size=7)


@settings(max_examples=400, deadline=None)
@given(MANAGER_STATES, st.integers(min_value=0, max_value=6), st.integers(min_value=0, max_value=3))
def test_a_manager_is_refused_exactly_when_the_others_reachable_are_no_majority(states, pick, workers):
    nodes = load("engine-20.10", "nodes")
    manager_shape, worker_shape = by_host(nodes, "dockhand-node1"), by_host(nodes, "dockhand-node3")
    swarm = []
    for index, (reachability, leader) in enumerate(states):
        node = copy.deepcopy(manager_shape)
        node["ID"], node["Description"]["Hostname"] = "m%d" % index, "manager-%d" % index
        node["ManagerStatus"] = {"Reachability": reachability, "Leader": leader and reachability == "reachable"}
        swarm.append(node)
    for index in range(workers):
        node = copy.deepcopy(worker_shape)
        node["ID"], node["Description"]["Hostname"] = "w%d" % index, "worker-%d" % index
        swarm.append(node)
    target = swarm[pick % len(states)]
    refusals = drain_refusals(target, swarm)
    others = [node for node in swarm[:len(states)] if node is not target]
    reachable = [node for node in others if node["ManagerStatus"]["Reachability"] == "reachable"]
    has_leader = any(node["ManagerStatus"]["Leader"] for node in swarm[:len(states)])
    allowed = has_leader and len(states) > 1 and len(reachable) >= len(states) // 2 + 1
    assert (refusals == []) == allowed
    if refusals:
        assert len(refusals) == 1 and "\n" not in refusals[0] and "nothing was changed" in refusals[0]
    if has_leader and len(states) > 1 and not allowed:
        for node in others:
            if node not in reachable:
                assert node["Description"]["Hostname"] in refusals[0]
    for worker in swarm[len(states):]:
        assert (drain_refusals(worker, swarm) == []) == has_leader
