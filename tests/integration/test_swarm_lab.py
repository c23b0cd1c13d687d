"""dockhand.docker.swarm and swarm_node on the real lab nodes; the docker CLI inside the nodes checks them."""
import json
import subprocess

import pytest

import swarm_tools
from ansible_runner import run_playbook
from swarm_tools import leader_of, managers_of, node_docker, node_list, reset_swarm, swarm_state, wait_for

pytestmark = pytest.mark.lab

NODE1, NODE2, NODE3, NODE4, NODE5 = ("dockhand-node%d" % i for i in range(1, 6))


@pytest.fixture(scope="module")
def lab(lab_nodes):
    names = [node["name"] for node in lab_nodes["nodes"]]
    reset_swarm(names)
    yield dict(inventory=lab_nodes, address=dict((node["name"], node["address"]) for node in lab_nodes["nodes"]))
    reset_swarm(names)


@pytest.fixture
def bare(lab):
    """Every node out of any swarm before the test."""
    reset_swarm([NODE1, NODE2, NODE3, NODE4, NODE5])
    return lab


def run(lab, host, module, args, extra_args=(), **task):
    task.update({"name": module, "dockhand.docker." + module: args})
    return run_playbook([task], hosts=host, inventory=lab["inventory"], extra_args=extra_args)


def cli_swarm(lab, managers=(NODE1,), workers=()):
    """A swarm formed with the plain CLI: the first manager creates it, the others join."""
    return swarm_tools.cli_swarm(lab["address"], managers, workers)


def cluster_spec(node):
    return json.loads(node_docker(node, "info", "--format", "{{json .Swarm.Cluster.Spec}}"))


def test_create_in_check_mode_then_with_settings_then_idempotent(bare):
    args = {"advertise_addr": bare["address"][NODE1], "cert_expiry": "720h", "task_history_limit": 3,
            "dispatcher_heartbeat": "10s"}
    check = run(bare, NODE1, "swarm", args, extra_args=["--check", "--diff"])
    assert check.returncode == 0, check.stdout[-3000:]
    assert check.result(NODE1)["changed"] is True
    assert check.result(NODE1)["actions"] == ["created the swarm"]
    assert swarm_state(NODE1)["state"] == "inactive"

    first = run(bare, NODE1, "swarm", args)
    result = first.result(NODE1)
    assert result["changed"] is True and result["is_manager"] is True
    cli = swarm_state(NODE1)
    assert cli["state"] == "active"
    assert (result["cluster_id"], result["node_id"]) == (cli["cluster_id"], cli["node_id"])
    spec = cluster_spec(NODE1)
    assert spec["CAConfig"]["NodeCertExpiry"] == 720 * 3600 * 10 ** 9
    assert spec["Orchestration"]["TaskHistoryRetentionLimit"] == 3
    assert spec["Dispatcher"]["HeartbeatPeriod"] == 10 * 10 ** 9

    again = run(bare, NODE1, "swarm", args)
    assert again.result(NODE1)["changed"] is False and again.result(NODE1)["actions"] == []

    preview = run(bare, NODE1, "swarm", dict(args, cert_expiry="1000h"), extra_args=["--check", "--diff"])
    assert preview.result(NODE1)["diff"] == {"before": {"cert_expiry": "720h"}, "after": {"cert_expiry": "1000h"}}
    assert cluster_spec(NODE1)["CAConfig"]["NodeCertExpiry"] == 720 * 3600 * 10 ** 9

    fixed = run(bare, NODE1, "swarm", dict(args, default_addr_pool=["10.99.0.0/16"]))
    message = fixed.result(NODE1)["msg"]
    assert fixed.returncode != 0 and "\n" not in message
    assert "default_addr_pool" in message and "can only be set when a swarm is created" in message


def test_join_same_swarm_is_unchanged_and_another_swarm_is_refused(bare):
    tokens = cli_swarm(bare, managers=(NODE1,))
    cluster = swarm_state(NODE1)["cluster_id"]
    join = {"state": "join", "remote_addrs": ["%s:2377" % bare["address"][NODE1]], "cluster_id": cluster}

    joined = run(bare, NODE2, "swarm", dict(join, join_token=tokens["manager"], advertise_addr=bare["address"][NODE2]))
    assert joined.result(NODE2)["changed"] is True and joined.result(NODE2)["is_manager"] is True
    assert managers_of(NODE1) == [NODE1, NODE2]
    again = run(bare, NODE2, "swarm", dict(join, join_token=tokens["manager"]))
    assert again.result(NODE2)["changed"] is False

    # NODE4 leads a swarm of its own: joining it to NODE1's is refused, both IDs named, nothing changed.
    node_docker(NODE4, "swarm", "init", "--advertise-addr", bare["address"][NODE4])
    other = swarm_state(NODE4)["cluster_id"]
    refused = run(bare, NODE4, "swarm", dict(join, join_token=tokens["worker"]))
    message = refused.result(NODE4)["msg"]
    assert refused.returncode != 0 and other in message and cluster in message and "force" in message
    assert swarm_state(NODE4)["cluster_id"] == other

    forced = run(bare, NODE4, "swarm", dict(join, join_token=tokens["worker"], force=True))
    assert forced.result(NODE4)["changed"] is True, forced.stdout[-2000:]
    assert forced.result(NODE4)["actions"][-1].startswith("joined")
    assert NODE4 in [node["Hostname"] for node in node_list(NODE1)]
    # A worker is recognised by the managers it knows.
    worker_again = run(bare, NODE4, "swarm", dict(join, join_token=tokens["worker"]))
    assert worker_again.result(NODE4)["changed"] is False


def test_bad_join_token_is_one_line_and_never_shown(bare):
    cli_swarm(bare, managers=(NODE1,))
    bad = "SWMTKN-1-notatoken-secretpart"
    failed = run(bare, NODE3, "swarm", {"state": "join", "remote_addrs": [bare["address"][NODE1]], "join_token": bad},
                 extra_args=["-vvv"])
    message = failed.result(NODE3)["msg"]
    assert failed.returncode != 0 and "\n" not in message and "not a swarm join token" in message
    assert bad not in failed.stdout + failed.stderr
    assert swarm_state(NODE3)["state"] == "inactive"


def test_swarm_node_refuses_to_break_the_majority_and_changes_many_in_one_step(bare):
    cli_swarm(bare, managers=(NODE1, NODE2, NODE3), workers=(NODE4, NODE5))
    for extra in ([], ["--check"]):
        refused = run(bare, NODE1, "swarm_node", {"name": NODE2, "role": "worker"}, extra_args=extra)
        message = refused.result(NODE1)["msg"]
        assert refused.returncode != 0 and "2 managers would be left" in message and "force" in message
    assert managers_of(NODE1) == [NODE1, NODE2, NODE3]

    labels = {"name": NODE4, "labels": {"zone": "b", "disk": "ssd"}, "availability": "drain"}
    first = run(bare, NODE1, "swarm_node", labels, extra_args=["--diff"])
    assert first.result(NODE1)["changed"] is True
    assert first.result(NODE1)["changes"][0]["node"] == NODE4
    spec = json.loads(node_docker(NODE1, "node", "inspect", "--format", "{{json .Spec}}", NODE4))
    assert spec["Labels"] == {"zone": "b", "disk": "ssd"} and spec["Availability"] == "drain"
    assert run(bare, NODE1, "swarm_node", labels).result(NODE1)["changed"] is False

    grow = run(bare, NODE1, "swarm_node", {"role": "manager", "nodes": [{"name": NODE4}, {"name": NODE5}]})
    assert grow.result(NODE1)["changed"] is True, grow.stdout[-2000:]
    wait_for("5 reachable managers", lambda: sorted(
        node["Hostname"] for node in node_list(NODE1) if node["ManagerStatus"] in ("Leader", "Reachable"))
        == [NODE1, NODE2, NODE3, NODE4, NODE5])
    shrink = run(bare, NODE1, "swarm_node", {"role": "worker", "nodes": [{"name": NODE4}, {"name": NODE5}]})
    assert shrink.result(NODE1)["changed"] is True
    assert managers_of(NODE1) == [NODE1, NODE2, NODE3]

    ready = run(bare, NODE1, "swarm_node", {"name": NODE5, "state": "absent"})
    assert ready.returncode != 0 and "not down" in ready.result(NODE1)["msg"]


def test_leaving_keeps_the_managers_safe_and_down_nodes_are_removed(bare):
    cli_swarm(bare, managers=(NODE1, NODE2, NODE3), workers=(NODE5,))
    refused = run(bare, NODE3, "swarm", {"state": "absent"})
    assert refused.returncode != 0 and "2 managers would be left" in refused.result(NODE3)["msg"]
    assert swarm_state(NODE3)["manager"] is True

    left = run(bare, NODE5, "swarm", {"state": "absent"})
    assert left.result(NODE5)["changed"] is True and swarm_state(NODE5)["state"] == "inactive"
    wait_for("node5 down", lambda: [node for node in node_list(NODE1)
                                    if node["Hostname"] == NODE5 and node["Status"] == "Down"])
    removed = run(bare, NODE1, "swarm_node", {"name": NODE5, "state": "absent"})
    assert removed.result(NODE1)["changed"] is True
    assert NODE5 not in [node["Hostname"] for node in node_list(NODE1)]
    assert run(bare, NODE1, "swarm_node", {"name": NODE5, "state": "absent"}).result(NODE1)["changed"] is False


def test_last_manager_leaves_only_with_force(bare):
    cli_swarm(bare, managers=(NODE1,))
    refused = run(bare, NODE1, "swarm", {"state": "absent"})
    assert refused.returncode != 0 and "no manager would be left" in refused.result(NODE1)["msg"]
    forced = run(bare, NODE1, "swarm", {"state": "absent", "force": True})
    assert forced.result(NODE1)["changed"] is True and swarm_state(NODE1)["state"] == "inactive"


def test_autolock_key_only_under_no_log_and_unlocks_a_restarted_manager(bare):
    create = run(bare, NODE1, "swarm", {"advertise_addr": bare["address"][NODE1], "autolock": True})
    assert create.result(NODE1)["changed"] is True
    assert run(bare, NODE1, "swarm", {"autolock": True}).result(NODE1)["changed"] is False
    key = node_docker(NODE1, "swarm", "unlock-key", "-q")
    read = run_playbook([
        {"name": "key", "dockhand.docker.swarm_info": {"unlock_key": True}, "register": "lock", "no_log": True},
        {"name": "check", "ansible.builtin.assert": {"that": ["lock.unlock_key == '%s'" % key]}, "no_log": True}],
        hosts=NODE1, inventory=bare["inventory"], extra_args=["-vvv"])
    assert read.returncode == 0, read.stdout[-2000:]
    assert key not in read.stdout + read.stderr

    subprocess.run(["docker", "exec", NODE1, "systemctl", "restart", "docker"], check=True, timeout=120)
    wait_for("node1 locked", lambda: swarm_state(NODE1)["state"] == "locked")
    locked = run(bare, NODE1, "swarm", {})
    assert locked.returncode != 0 and "locked" in locked.result(NODE1)["msg"]
    unlocked = run(bare, NODE1, "swarm", {"unlock_key": key}, extra_args=["-vvv"])
    assert unlocked.result(NODE1)["changed"] is True and swarm_state(NODE1)["state"] == "active"
    assert key not in unlocked.stdout + unlocked.stderr


def test_force_new_cluster_recovers_a_lost_majority_once(bare):
    cli_swarm(bare, managers=(NODE1, NODE2, NODE3))
    cluster = swarm_state(NODE1)["cluster_id"]
    subprocess.run(["docker", "kill", NODE2, NODE3], check=True, capture_output=True, timeout=60)

    def leaderless():
        info = run(bare, NODE1, "swarm_info", {})
        return info.result(NODE1) if "error" in info.result(NODE1) else None
    lost = wait_for("node1 without a leader", leaderless, timeout=120, interval=2)
    assert "leader" in lost["error"] and lost["quorum"]["has_quorum"] is False

    blocked = run(bare, NODE1, "swarm", {})
    assert blocked.returncode != 0 and "force_new_cluster" in blocked.result(NODE1)["msg"]
    recovered = run(bare, NODE1, "swarm", {"force_new_cluster": True, "advertise_addr": bare["address"][NODE1]})
    assert recovered.result(NODE1)["changed"] is True, recovered.stdout[-2000:]
    assert wait_for("node1 leading", lambda: leader_of(NODE1) == NODE1)
    assert swarm_state(NODE1)["cluster_id"] == cluster
    again = run(bare, NODE1, "swarm", {"force_new_cluster": True})
    assert again.result(NODE1)["changed"] is False
    assert "nothing was forced" in " ".join(again.result(NODE1).get("warnings", []))


def make_ca(tmp_path):
    """A self-signed ECDSA CA made with openssl (swarm refuses a CA that expires within a year or so)."""
    key, cert = tmp_path / "ca.key", tmp_path / "ca.pem"
    subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", str(key)], check=True,
                   capture_output=True)
    subprocess.run(["openssl", "req", "-x509", "-new", "-key", str(key), "-out", str(cert), "-days", "3650",
                    "-subj", "/CN=dockhand-test-swarm-ca"], check=True, capture_output=True)
    return cert.read_text(), key.read_text()


def test_token_rotation_external_ca_and_signing_ca(bare, tmp_path):
    assert run(bare, NODE1, "swarm", {"advertise_addr": bare["address"][NODE1]}).returncode == 0
    old_token = node_docker(NODE1, "swarm", "join-token", "-q", "worker")
    rotated = run(bare, NODE1, "swarm", {"rotate_worker_token": True}, extra_args=["--diff", "-vvv"])
    new_token = node_docker(NODE1, "swarm", "join-token", "-q", "worker")
    assert rotated.result(NODE1)["changed"] is True and new_token != old_token
    assert old_token not in rotated.stdout and new_token not in rotated.stdout

    # Loopback only: nothing listens there, and no node joins while it is set.
    external = {"external_ca": [{"url": "https://127.0.0.1:8888/api/v1/cfssl/sign"}]}
    assert run(bare, NODE1, "swarm", external).result(NODE1)["changed"] is True
    assert cluster_spec(NODE1)["CAConfig"]["ExternalCAs"][0]["URL"] == external["external_ca"][0]["url"]
    assert run(bare, NODE1, "swarm", external).result(NODE1)["changed"] is False
    assert run(bare, NODE1, "swarm", {"external_ca": []}).result(NODE1)["changed"] is True
    assert not cluster_spec(NODE1)["CAConfig"].get("ExternalCAs")

    cert, key = make_ca(tmp_path)
    signing = {"signing_ca_cert": cert, "signing_ca_key": key}
    first = run(bare, NODE1, "swarm", signing, extra_args=["--diff", "-vvv"])
    assert first.result(NODE1)["changed"] is True, first.failed_messages()
    assert first.result(NODE1)["diff"]["after"]["signing_ca_cert"] == "********"
    key_body = "".join(key.strip().splitlines()[1:-1])
    assert key_body[:40] not in first.stdout + first.stderr

    def rotated_root():
        cluster = json.loads(node_docker(NODE1, "info", "--format", "{{json .Swarm.Cluster}}"))
        return not cluster.get("RootRotationInProgress") and cluster["TLSInfo"]["TrustRoot"].strip() == cert.strip()
    wait_for("the root CA rotation", rotated_root, timeout=120, interval=2)
    assert run(bare, NODE1, "swarm", signing).result(NODE1)["changed"] is False
