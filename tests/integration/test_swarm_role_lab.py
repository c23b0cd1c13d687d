"""The swarm role on the 5-node lab: formation, idempotence, bad inventories, leader loss, a replaced
first manager, shrinking the managers, and secrets kept out of -vvv. The docker CLI inside the nodes
is the independent check."""
import json
import subprocess

import pytest

from ansible_runner import run_playbook
from swarm_tools import (
    leader_of,
    managers_of,
    node_docker,
    node_list,
    reset_swarm,
    start_node,
    swarm_state,
    wait_for,
)

pytestmark = pytest.mark.lab

NODES = ["dockhand-node%d" % i for i in range(1, 6)]
NODE1, NODE2, NODE3, NODE4, NODE5 = NODES


@pytest.fixture(scope="module")
def lab(lab_nodes):
    reset_swarm(NODES)
    yield lab_nodes
    reset_swarm(NODES)


@pytest.fixture
def bare(lab):
    reset_swarm(NODES)
    return lab


def write_inventory(tmp_path, lab, managers, workers, name="inventory.json"):
    """An inventory of lab nodes with the given groups (JSON is YAML)."""
    address = dict((node["name"], node["address"]) for node in lab["nodes"])

    def hosts(names):
        return dict((host, {"lab_address": address[host]}) for host in names)
    data = {"all": {"children": {"lab_nodes": {
        "vars": {"ansible_connection": "community.docker.docker", "ansible_python_interpreter": "/usr/bin/python3",
                 "swarm_advertise_addr": "{{ lab_address }}"},
        "children": {"swarm_managers": {"hosts": hosts(managers)}, "swarm_workers": {"hosts": hosts(workers)}}}}}}
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return str(path)


def converge(inventory, extra_args=(), role_vars=None):
    play = {"name": "swarm", "hosts": "lab_nodes", "gather_facts": False,
            "roles": [{"role": "dockhand.docker.swarm", "vars": role_vars or {}}]}
    return run_playbook(None, plays=[play], inventory=inventory, extra_args=extra_args)


def changed_hosts(run):
    return dict((host, stats["changed"]) for host, stats in run.stats.items() if stats["changed"])


def failures(run):
    return dict((host, stats["failures"]) for host, stats in run.stats.items() if stats["failures"])


def cluster_ids(managers):
    return set(swarm_state(manager)["cluster_id"] for manager in managers)


def test_four_managers_fail_in_preflight_and_touch_no_host(bare, tmp_path):
    inventory = write_inventory(tmp_path, bare, managers=NODES[:4], workers=[NODE5])
    run = converge(inventory)
    assert run.returncode != 0
    message = run.named("Check the managers group is odd-sized, within the limit and apart from the workers",
                        host=NODE1)["msg"]
    assert "group swarm_managers has 4 hosts" in message and "odd number" in message
    # Nothing after the preflight ran: only the role's argument check and the preflight itself.
    actions = set(result["action"] for task in run.data["plays"][0]["tasks"] for result in task["hosts"].values())
    assert actions == {"ansible.builtin.validate_argument_spec", "ansible.builtin.assert"}
    assert [swarm_state(node)["state"] for node in NODES] == ["inactive"] * 5


def test_forms_three_managers_and_two_workers_then_changes_nothing(bare):
    first = converge(bare)
    assert first.returncode == 0, first.failed_messages()
    assert len(cluster_ids(NODES[:3])) == 1
    for manager in NODES[:3]:
        nodes = node_list(manager)
        assert sorted(node["Hostname"] for node in nodes) == NODES
        assert managers_of(manager) == NODES[:3]
        assert all(node["Status"] == "Ready" for node in nodes)
    assert set(changed_hosts(first)) == set(NODES)

    again = converge(bare)
    assert again.returncode == 0 and changed_hosts(again) == {}, again.failed_messages()
    check = converge(bare, extra_args=["--check", "--diff"])
    assert check.returncode == 0 and changed_hosts(check) == {}, check.failed_messages()


def test_rerun_while_the_leader_is_down_keeps_the_swarm_and_the_node(bare):
    assert converge(bare).returncode == 0
    cluster = cluster_ids(NODES[:3])
    old_leader = leader_of(NODE2)
    subprocess.run(["docker", "kill", old_leader], check=True, capture_output=True, timeout=60)
    survivor = next(node for node in NODES[:3] if node != old_leader)
    new_leader = wait_for("a new leader", lambda: leader_of(survivor) not in (None, old_leader) and leader_of(survivor),
                          timeout=120, interval=2)
    assert new_leader != old_leader

    during = converge(bare)
    assert failures(during) == {}, during.failed_messages()
    assert during.stats[old_leader]["unreachable"] == 1
    assert changed_hosts(during) == {}
    assert cluster_ids([node for node in NODES[:3] if node != old_leader]) == cluster
    assert old_leader in managers_of(survivor)  # a manager that is only down is never removed

    start_node(old_leader)
    wait_for("%s reachable again" % old_leader, lambda: [
        node for node in node_list(survivor)
        if node["Hostname"] == old_leader and node["ManagerStatus"] in ("Reachable", "Leader")
        and node["Status"] == "Ready"], timeout=120, interval=2)
    after = converge(bare)
    assert after.returncode == 0 and changed_hosts(after) == {}, after.failed_messages()
    assert cluster_ids(NODES[:3]) == cluster


def test_a_replaced_first_manager_joins_the_existing_swarm(bare, lab_tool_module):
    assert converge(bare).returncode == 0
    cluster = cluster_ids(NODES[:3])
    old_id = swarm_state(NODE1)["node_id"]
    lab_tool_module.replace_node(NODE1)
    assert swarm_state(NODE1)["state"] == "inactive"
    wait_for("a leader among the other managers", lambda: leader_of(NODE2) in (NODE2, NODE3), timeout=120,
             interval=2)

    run = converge(bare)
    assert run.returncode == 0, run.failed_messages()
    new_id = swarm_state(NODE1)["node_id"]
    assert new_id != old_id and cluster_ids(NODES[:3]) == cluster
    # No swarm was created: the create-or-update section was skipped on every host.
    section = next(task for task in run.data["plays"][0]["tasks"]
                   if task["task"]["name"].endswith("Create the swarm or bring its settings up to date"))
    assert all(result.get("skipped") for result in section["hosts"].values())
    entries = [node for node in node_list(NODE2) if node["Hostname"] == NODE1]
    assert [node["ID"] for node in entries] == [new_id]  # the stale entry is gone
    assert managers_of(NODE2) == NODES[:3]
    again = converge(bare)
    assert again.returncode == 0 and changed_hosts(again) == {}, again.failed_messages()


def test_five_managers_shrink_to_three_in_one_quorum_checked_step(bare, tmp_path):
    five = write_inventory(tmp_path, bare, managers=NODES, workers=[], name="five.json")
    grown = converge(five)
    assert grown.returncode == 0, grown.failed_messages()
    assert managers_of(NODE1) == NODES

    three = write_inventory(tmp_path, bare, managers=NODES[:3], workers=NODES[3:], name="three.json")
    preview = converge(three, extra_args=["--check", "--diff"])
    assert preview.returncode == 0 and managers_of(NODE1) == NODES, preview.failed_messages()
    shrunk = converge(three)
    assert shrunk.returncode == 0, shrunk.failed_messages()
    step = shrunk.named("Set every node's role, availability and labels in one quorum-checked step", host=NODE1)
    assert sorted(change["node"] for change in step["changes"]) == sorted(
        swarm_state(node)["node_id"] for node in NODES[3:])
    assert all(change["actions"] == ["demoted"] for change in step["changes"])
    assert managers_of(NODE1) == NODES[:3]
    assert converge(three).stats[NODE1]["changed"] == 0


def test_join_tokens_and_unlock_key_never_reach_the_output(bare):
    run = converge(bare, extra_args=["-vvv"], role_vars={"swarm_cluster_settings": {"autolock": True}})
    assert run.returncode == 0, run.failed_messages()
    secrets = [node_docker(NODE1, "swarm", "join-token", "-q", role) for role in ("worker", "manager")]
    secrets.append(node_docker(NODE1, "swarm", "unlock-key", "-q"))
    output = run.stdout + run.stderr
    for secret in secrets:
        assert secret and secret not in output
        # The secret part alone must not leak either (tokens share their CA digest with the swarm's CA).
        assert secret.rsplit("-", 1)[-1] not in output
    assert "SWMTKN-1-" not in output and "SWMKEY-1-" not in output


def test_a_manager_restarted_while_locked_is_unlocked(bare):
    locked = {"swarm_cluster_settings": {"autolock": True}}
    run = converge(bare, role_vars=locked)
    assert run.returncode == 0, run.failed_messages()
    key = node_docker(NODE1, "swarm", "unlock-key", "-q")
    subprocess.run(["docker", "exec", NODE2, "systemctl", "restart", "docker"], check=True, capture_output=True,
                   timeout=120)
    wait_for("%s to come back locked" % NODE2, lambda: swarm_state(NODE2)["state"] == "locked")

    run = converge(bare, role_vars=dict(locked, swarm_unlock_key=key))
    assert run.returncode == 0, run.failed_messages()
    assert changed_hosts(run) == {NODE2: 1}
    assert run.named("Unlock the manager", host=NODE2)["changed"] is True
    assert swarm_state(NODE2)["state"] == "active" and swarm_state(NODE2)["manager"] is True
    assert managers_of(NODE1) == NODES[:3]
    assert key not in run.stdout + run.stderr
    assert converge(bare, role_vars=dict(locked, swarm_unlock_key=key)).stats[NODE2]["changed"] == 0
