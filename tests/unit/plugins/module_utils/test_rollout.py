"""When a service has converged, by the docker CLI's rules: slots, nodes, jobs, nodes that are down,
start-first updates; what a failed rollout says; the monitor period and the timeout."""
import pytest

from ansible_collections.dockhand.docker.plugins.module_utils.errors import DockerError
from ansible_collections.dockhand.docker.plugins.module_utils.rollout import (
    assess,
    failed_tasks,
    wait_for_removal,
    wait_for_rollout,
)


def task(slot=None, node="n1", state="running", desired="running", err=None, exit_code=None, iteration=None):
    found = {"ID": "t-%s-%s-%s" % (slot, node, state), "Slot": slot, "NodeID": node, "DesiredState": desired,
             "Status": {"State": state}, "ServiceID": "s1"}
    if err:
        found["Status"]["Err"] = err
    if exit_code is not None:
        found["Status"]["ContainerStatus"] = {"ExitCode": exit_code}
    if iteration is not None:
        found["JobIteration"] = {"Index": iteration}
    return found


def replicated(replicas, monitor=None, **extra):
    spec = {"Mode": {"Replicated": {"Replicas": replicas}}}
    if monitor is not None:
        spec["UpdateConfig"] = {"Monitor": monitor}
    return dict({"ID": "s1", "Spec": spec}, **extra)


ACTIVE = {"n1", "n2", "n3"}


def test_replicated_counts_one_task_per_slot_and_leaves_out_nodes_that_are_down():
    service = replicated(3)
    tasks = [task(1), task(2, "n2"), task(3, "n3", state="starting")]
    assert assess(service, tasks, ACTIVE) == (False, 2, 3)
    tasks[2] = task(3, "n3")
    assert assess(service, tasks, ACTIVE) == (True, 3, 3)
    # A task on a node that is down does not count, either way.
    assert assess(service, tasks, {"n1", "n2"}) == (False, 2, 3)


def test_a_start_first_update_has_two_tasks_in_a_slot_the_one_to_keep_speaks():
    service = replicated(1)
    old = task(1, desired="shutdown")
    new = task(1, state="starting")
    assert assess(service, [old, new], ACTIVE) == (False, 0, 1)
    assert assess(service, [old, task(1)], ACTIVE) == (True, 1, 1)


def test_global_waits_for_the_tasks_of_every_eligible_node():
    service = {"Spec": {"Mode": {"Global": {}}}}
    assert assess(service, [], ACTIVE) == (False, 0, 0)
    tasks = [task(None, "n1"), task(None, "n2", state="preparing")]
    assert assess(service, tasks, ACTIVE) == (False, 1, 2)
    assert assess(service, [task(None, "n1"), task(None, "n2"), task(None, "down")], ACTIVE) == (True, 2, 2)


def test_jobs_are_done_when_their_tasks_of_this_iteration_completed():
    job = {"Spec": {"Mode": {"ReplicatedJob": {"TotalCompletions": 2}}}, "JobStatus": {"JobIteration": {"Index": 7}}}
    tasks = [task(1, state="complete", iteration=7), task(2, state="running", iteration=7),
             task(3, state="complete", iteration=6)]
    assert assess(job, tasks, ACTIVE) == (False, 1, 2)
    tasks[1] = task(2, state="complete", iteration=7)
    assert assess(job, tasks, ACTIVE) == (True, 2, 2)
    global_job = {"Spec": {"Mode": {"GlobalJob": {}}}, "JobStatus": {"JobIteration": {"Index": 1}}}
    assert assess(global_job, [task(None, "n1", state="complete", iteration=1)], ACTIVE) == (True, 1, 1)


def test_failed_tasks_name_the_node_and_the_engines_error():
    tasks = [task(2, "n2", state="rejected", err="No such image: app:9"),
             task(1, "n1", state="failed", err="task: non-zero exit (137)", exit_code=137),
             task(3, None, state="pending", err="no suitable node (scheduling constraints not satisfied)"),
             task(1, "n3")]
    lines = failed_tasks(tasks, {"n1": "node1", "n2": "node2"})
    assert lines == ["slot 1 on node1: task: non-zero exit (137) - killed: out of memory, or by a signal",
                     "slot 2 on node2: No such image: app:9",
                     "slot 3 on no node: no suitable node (scheduling constraints not satisfied)"]


class Engine(object):
    """Answers the rollout's reads from a script of (service, tasks) steps, one per poll."""

    def __init__(self, steps, nodes=("n1", "n2", "n3")):
        self.steps = list(steps)
        self.nodes = [{"ID": node, "Status": {"State": "ready"}, "Description": {"Hostname": node}} for node in nodes]
        self.current = None

    def call(self, action, method, *args, **kwargs):
        if method == "inspect_service":
            self.current = self.steps.pop(0) if len(self.steps) > 1 else self.steps[0]
            return self.current[0]
        if method == "tasks":
            return self.current[1]
        return self.nodes


class Clock(object):
    def __init__(self):
        self.now = 0.0

    def time(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_converged_is_confirmed_for_the_monitor_period_then_done():
    clock = Clock()
    steps = [(replicated(1), [task(1, state="starting")]), (replicated(1, monitor=2 * 10 ** 9), [task(1)])]
    result = wait_for_rollout(Engine(steps), "s1", "web", 60, clock=clock.time, sleep=clock.sleep)
    assert result["running"] == 1 and 2.0 <= result["seconds"] < 3


def test_a_task_that_dies_within_the_monitor_period_is_not_success_and_times_out():
    clock = Clock()
    steps = [(replicated(1), [task(1)])] + [(replicated(1), [task(1, state="failed", err="task failed", exit_code=1)])]
    with pytest.raises(DockerError) as err:
        wait_for_rollout(Engine(steps), "s1", "web", 10, clock=clock.time, sleep=clock.sleep)
    assert err.value.msg.startswith("service web: it did not converge within 10 s (0 of 1 tasks running)")
    assert "slot 1 on n1: task failed (exit code 1)" in err.value.msg and "\n" not in err.value.msg


def test_a_rollback_and_a_paused_update_fail_with_the_engines_message():
    clock = Clock()
    rolled = replicated(1, UpdateStatus={"State": "rollback_completed", "Message": "rollback completed"})
    with pytest.raises(DockerError) as err:
        wait_for_rollout(Engine([(rolled, [task(1)])]), "s1", "web", 60, clock=clock.time, sleep=clock.sleep)
    assert "rolled back to its previous spec" in err.value.msg and "rollback completed" in err.value.msg
    paused = replicated(1, UpdateStatus={"State": "paused", "Message": "update paused due to failure"})
    with pytest.raises(DockerError) as err:
        wait_for_rollout(Engine([(paused, [task(1, state="failed", err="boom")])]), "s1", "web", 60,
                         clock=clock.time, sleep=clock.sleep)
    assert "update was paused" in err.value.msg and "slot 1 on n1: boom" in err.value.msg


def test_a_job_needs_no_monitor_period():
    clock = Clock()
    job = {"ID": "j", "Spec": {"Mode": {"ReplicatedJob": {"TotalCompletions": 1}}},
           "JobStatus": {"JobIteration": {"Index": 1}}}
    result = wait_for_rollout(Engine([(job, [task(1, state="complete", iteration=1)])]), "j", "job", 60,
                              clock=clock.time, sleep=clock.sleep)
    assert result == {"running": 1, "desired": 1, "seconds": 0.0}


def test_removal_waits_until_no_task_runs():
    clock = Clock()

    class Tasks(object):
        answers = [[task(1)], [task(1, state="shutdown", desired="shutdown")]]

        def call(self, action, method, *args, **kwargs):
            return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
    wait_for_removal(Tasks(), "s1", "web", 60, clock=clock.time, sleep=clock.sleep)
    with pytest.raises(DockerError):
        wait_for_removal(type("Stuck", (), {"call": lambda self, *a, **k: [task(1)]})(), "s1", "web", 1,
                         clock=clock.time, sleep=clock.sleep)
