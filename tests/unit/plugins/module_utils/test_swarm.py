"""Quorum arithmetic, swarm facts, join tokens, cluster settings and node changes (no engine needed)."""
import copy
import hashlib
import re

import pytest

from ansible_collections.dockhand.docker.plugins.module_utils.diff import ChangeSet
from ansible_collections.dockhand.docker.plugins.module_utils.errors import DockerError
from ansible_collections.dockhand.docker.plugins.module_utils.swarm import (
    SETTINGS,
    fault_tolerance,
    init_only_conflicts,
    leader_missing,
    majority,
    manager_set_problems,
    node_facts,
    node_spec_changes,
    plan_settings,
    quorum,
    read_swarm,
    resolve_node,
    settings_argspec,
    spec_from_facts,
    token_ca_digest,
    trust_root_digest,
    wanted_settings,
)
from ansible_collections.dockhand.docker.plugins.module_utils.units import InvalidValue
from ansible_collections.dockhand.docker.tests.unit.engine_fixtures import ENGINES, load


@pytest.mark.parametrize("managers, needed, tolerated", [
    (1, 1, 0), (2, 2, 0), (3, 2, 1), (4, 3, 1), (5, 3, 2), (6, 4, 2), (7, 4, 3), (0, 1, 0),
])
def test_majority_and_fault_tolerance(managers, needed, tolerated):
    assert majority(managers) == needed
    assert fault_tolerance(managers) == tolerated


def api_node(hostname, role, reachability=None, leader=False, state="ready"):
    node = {"ID": hostname.upper(), "Spec": {"Role": role, "Availability": "active", "Labels": {"zone": "a"}},
            "Description": {"Hostname": hostname, "Engine": {"EngineVersion": "26.1.5"}},
            "Status": {"State": state, "Addr": "172.30.77.1"}}
    if role == "manager":
        node["ManagerStatus"] = {"Reachability": reachability, "Leader": leader, "Addr": "172.30.77.1:2377"}
    return node


def test_node_facts_shape():
    facts = node_facts(api_node("n1", "manager", "reachable", leader=True))
    assert facts == {"id": "N1", "hostname": "n1", "role": "manager", "availability": "active", "status": "ready",
                     "address": "172.30.77.1", "labels": {"zone": "a"}, "engine_version": "26.1.5",
                     "leader": True, "reachability": "reachable", "manager_address": "172.30.77.1:2377"}
    worker = node_facts(api_node("w1", "worker"))
    assert worker["leader"] is False and worker["reachability"] is None


def test_healthy_three_managers():
    nodes = [node_facts(api_node("n%d" % i, "manager", "reachable", leader=i == 2)) for i in (1, 2, 3)]
    nodes.append(node_facts(api_node("w1", "worker")))
    assert quorum(nodes) == {"managers": 3, "reachable_managers": 3, "majority": 2, "fault_tolerance": 1,
                             "has_quorum": True, "leader": "n2", "healthy": True}


def test_one_manager_down_keeps_quorum_but_is_not_healthy():
    nodes = [node_facts(api_node("n1", "manager", "unreachable", state="down")),
             node_facts(api_node("n2", "manager", "reachable", leader=True)),
             node_facts(api_node("n3", "manager", "reachable"))]
    block = quorum(nodes)
    assert block["has_quorum"] is True and block["healthy"] is False and block["reachable_managers"] == 2


def test_lost_majority():
    nodes = [node_facts(api_node("n%d" % i, "manager", "unreachable" if i > 1 else "reachable")) for i in (1, 2, 3)]
    block = quorum(nodes)
    assert block == {"managers": 3, "reachable_managers": 1, "majority": 2, "fault_tolerance": 1,
                     "has_quorum": False, "leader": None, "healthy": False}


# ---- join tokens and the root CA digest ----

CA_DIGEST = "67gmtj9ucqvw7ua1i39kn7zx2vtn4q9bjg94juo43wksfw5g4l"
SECRET = "0123456789abcdefghijklmno"
TOKEN = "SWMTKN-1-%s-%s" % (CA_DIGEST, SECRET)
ROOT_PEM = "-----BEGIN CERTIFICATE-----\nMIIBajCCARCgAwIBAgIUdockhandtestrootca\n-----END CERTIFICATE-----\n"


def _base36_token_part(pem):
    """Independent of the implementation: most significant digit first, by powers of 36."""
    number = int(hashlib.sha256(pem.encode("utf-8")).hexdigest(), 16)
    digits = []
    for power in range(49, -1, -1):
        digit, number = divmod(number, 36 ** power)
        digits.append("0123456789abcdefghijklmnopqrstuvwxyz"[digit])
    assert number == 0
    return "".join(digits)


@pytest.mark.parametrize("token", [TOKEN, "  %s\n" % TOKEN, "\t%s " % TOKEN])
def test_token_ca_digest_returns_the_ca_part(token):
    assert token_ca_digest(token) == CA_DIGEST


@pytest.mark.parametrize("token", [
    None,
    "",
    "   ",
    "SWMTKN-2-%s-%s" % (CA_DIGEST, SECRET),
    "swmtkn-1-%s-%s" % (CA_DIGEST, SECRET),
    "SWMTKN-1-%s-%s" % (CA_DIGEST[:-1], SECRET),
    "SWMTKN-1-%s0-%s" % (CA_DIGEST, SECRET),
    "SWMTKN-1-%s-%s" % (CA_DIGEST, SECRET[:-1]),
    "SWMTKN-1-%s-%s0" % (CA_DIGEST, SECRET),
    "SWMTKN-1-%s-%s" % (CA_DIGEST.upper(), SECRET),
    "SWMTKN-1-%s-%s" % (CA_DIGEST, SECRET.upper()),
    "SWMTKN-1-%s" % CA_DIGEST,
    "%s trailing" % TOKEN,
    "SWMTKN-1-%s-%s\nmore" % (CA_DIGEST, SECRET),
])
def test_token_ca_digest_rejects_malformed_tokens_without_quoting_them(token):
    with pytest.raises(InvalidValue) as caught:
        token_ca_digest(token)
    message = str(caught.value)
    assert message.startswith("join_token:")
    if token and token.strip():
        assert token.strip() not in message
    assert CA_DIGEST not in message and SECRET not in message


def test_trust_root_digest_of_a_known_pem():
    # CA_DIGEST was computed once with _base36_token_part and pasted.
    assert trust_root_digest(ROOT_PEM) == CA_DIGEST


def test_trust_root_digest_decodes_to_the_sha256():
    assert int(trust_root_digest(ROOT_PEM), 36) == int(hashlib.sha256(ROOT_PEM.encode()).hexdigest(), 16)


def test_trust_root_digest_is_left_padded_with_zeros():
    # This PEM's sha256 is below 36**49, so the base-36 number has 49 digits.
    assert trust_root_digest("pem-9\n") == "0f1417qu7w4n4tq3ejt4yk118n2tdd9ui9kg2fymd7xqt80y7b"


@pytest.mark.parametrize("pem", [ROOT_PEM, ROOT_PEM.strip(), "pem-9\n", "x", ""])
def test_trust_root_digest_matches_a_token_built_for_the_pem(pem):
    token = "SWMTKN-1-%s-%s" % (_base36_token_part(pem), SECRET)
    digest = trust_root_digest(pem)
    assert digest == token_ca_digest(token)
    assert len(digest) == 50 and re.match(r"^[0-9a-z]{50}\Z", digest)


def test_trust_root_digest_differs_between_pems():
    digests = set(trust_root_digest(pem) for pem in (ROOT_PEM, ROOT_PEM.strip(), ROOT_PEM + "\n", "other"))
    assert len(digests) == 4


# ---- cluster settings ----

def test_settings_argspec_has_every_setting():
    argspec = settings_argspec()
    assert set(argspec) == set(setting.name for setting in SETTINGS)
    assert argspec["election_tick"] == {"type": "int"}
    assert argspec["external_ca"]["options"]["url"]["required"] is True
    argspec["election_tick"]["type"] = "str"
    assert settings_argspec()["election_tick"] == {"type": "int"}


def test_wanted_settings_parses_given_options_only():
    wanted = wanted_settings({"cert_expiry": "720h", "dispatcher_heartbeat": "5s", "task_history_limit": 0,
                              "election_tick": 2, "heartbeat_tick": 1, "snapshot_interval": 10000,
                              "autolock": False, "external_ca": None})
    assert wanted == {"cert_expiry": 720 * 3600 * 10 ** 9, "dispatcher_heartbeat": 5 * 10 ** 9,
                      "task_history_limit": 0, "election_tick": 2, "heartbeat_tick": 1,
                      "snapshot_interval": 10000, "autolock": False}


def test_wanted_settings_of_nothing_is_empty():
    assert wanted_settings({}) == {}


def test_wanted_settings_external_ca_fills_defaults_and_strips_the_cert():
    wanted = wanted_settings({"external_ca": [{"url": "https://ca:8888", "ca_cert": "PEM\n\n", "options": None}]})
    assert wanted == {"external_ca": [{"Protocol": "cfssl", "URL": "https://ca:8888", "CACert": "PEM",
                                       "Options": {}}]}


@pytest.mark.parametrize("option, value", [
    ("task_history_limit", -1),
    ("election_tick", 1),
    ("election_tick", True),
    ("heartbeat_tick", True),
    ("task_history_limit", False),
    ("heartbeat_tick", 0),
    ("heartbeat_tick", 1.5),
    ("snapshot_interval", "100"),
    ("cert_expiry", "soon"),
    ("dispatcher_heartbeat", "soon"),
    ("dispatcher_heartbeat", True),
    ("cert_expiry", "-1h"),
    ("external_ca", [{"url": ""}]),
])
def test_wanted_settings_rejects_bad_values_naming_the_option(option, value):
    with pytest.raises(InvalidValue) as caught:
        wanted_settings({option: value})
    message = str(caught.value)
    assert message.startswith(option) and "\n" not in message


@pytest.mark.parametrize("params", [{"signing_ca_cert": "CERT"}, {"signing_ca_key": "KEY"},
                                    {"signing_ca_cert": "CERT", "signing_ca_key": ""}])
def test_wanted_settings_refuses_half_a_signing_ca(params):
    with pytest.raises(InvalidValue, match="signing_ca_cert and signing_ca_key"):
        wanted_settings(params)


def test_wanted_settings_accepts_a_whole_signing_ca():
    assert wanted_settings({"signing_ca_cert": "CERT", "signing_ca_key": "KEY"}) == {}


def engine_spec():
    """A swarm Spec as GET /swarm returns it with the defaults."""
    return {"Name": "default", "Labels": {},
            "Orchestration": {"TaskHistoryRetentionLimit": 5},
            "Raft": {"SnapshotInterval": 10000, "KeepOldSnapshots": 0, "LogEntriesForSlowFollowers": 500,
                     "ElectionTick": 10, "HeartbeatTick": 1},
            "Dispatcher": {"HeartbeatPeriod": 5000000000},
            "CAConfig": {"NodeCertExpiry": 7776000000000000},
            "TaskDefaults": {},
            "EncryptionConfig": {"AutoLockManagers": False}}


def test_plan_settings_changes_only_the_given_option():
    changes = ChangeSet()
    spec = plan_settings(engine_spec(), {"task_history_limit": 10}, changes)
    expected = engine_spec()
    expected["Orchestration"]["TaskHistoryRetentionLimit"] = 10
    assert spec == expected
    assert changes.before() == {"task_history_limit": 5} and changes.after() == {"task_history_limit": 10}


def test_plan_settings_shows_durations_as_written():
    changes = ChangeSet()
    spec = plan_settings(engine_spec(), {"cert_expiry": 720 * 3600 * 10 ** 9}, changes)
    assert spec["CAConfig"]["NodeCertExpiry"] == 720 * 3600 * 10 ** 9
    assert changes.before() == {"cert_expiry": "2160h"} and changes.after() == {"cert_expiry": "720h"}


def test_plan_settings_records_no_change_for_equal_values():
    changes = ChangeSet()
    wanted = {"task_history_limit": 5, "cert_expiry": 7776000000000000, "autolock": False,
              "dispatcher_heartbeat": 5000000000, "election_tick": 10, "heartbeat_tick": 1,
              "snapshot_interval": 10000}
    assert plan_settings(engine_spec(), wanted, changes) == engine_spec()
    assert not changes


def test_plan_settings_autolock_false_equals_a_missing_encryption_config():
    changes = ChangeSet()
    assert plan_settings({}, {"autolock": False}, changes) == {}
    assert not changes


def test_plan_settings_creates_missing_sections():
    changes = ChangeSet()
    spec = plan_settings({"Name": "default"}, {"election_tick": 20, "heartbeat_tick": 2, "autolock": True,
                                               "dispatcher_heartbeat": 10 ** 10}, changes)
    assert spec == {"Name": "default", "Raft": {"ElectionTick": 20, "HeartbeatTick": 2},
                    "EncryptionConfig": {"AutoLockManagers": True}, "Dispatcher": {"HeartbeatPeriod": 10 ** 10}}
    assert changes.keys() == ["autolock", "dispatcher_heartbeat", "election_tick", "heartbeat_tick"]
    assert changes.before()["autolock"] is False and changes.before()["election_tick"] is None


def test_plan_settings_accepts_no_current_spec():
    assert plan_settings(None, {"snapshot_interval": 5}, ChangeSet()) == {"Raft": {"SnapshotInterval": 5}}


def test_plan_settings_does_not_mutate_the_current_spec():
    current = engine_spec()
    current["CAConfig"]["ExternalCAs"] = [{"Protocol": "cfssl", "URL": "https://old", "CACert": ""}]
    snapshot = copy.deepcopy(current)
    plan_settings(current, {"task_history_limit": 1, "election_tick": 30, "autolock": True,
                            "external_ca": [{"Protocol": "cfssl", "URL": "https://new", "CACert": "", "Options": {}}]},
                  ChangeSet(), trust_root="ROOT", signing_ca=("CERT", "KEY"))
    assert current == snapshot


@pytest.mark.parametrize("wanted", [
    {"heartbeat_tick": 10},
    {"heartbeat_tick": 11},
    {"election_tick": 3, "heartbeat_tick": 3},
    {"election_tick": 2, "heartbeat_tick": 5},
])
def test_plan_settings_refuses_election_tick_not_above_heartbeat_tick(wanted):
    with pytest.raises(InvalidValue, match="election_tick .* must be larger than heartbeat_tick"):
        plan_settings(engine_spec(), wanted, ChangeSet())


def test_plan_settings_checks_ticks_after_merging():
    # Each alone stays consistent with the current other tick (ElectionTick 10, HeartbeatTick 1).
    assert plan_settings(engine_spec(), {"heartbeat_tick": 9}, ChangeSet())["Raft"]["HeartbeatTick"] == 9
    assert plan_settings(engine_spec(), {"election_tick": 2}, ChangeSet())["Raft"]["ElectionTick"] == 2


def _with_external_ca(**ca):
    spec = engine_spec()
    spec["CAConfig"]["ExternalCAs"] = [dict(ca)]
    return spec


WANTED_CA = [{"Protocol": "cfssl", "URL": "https://ca:8888", "CACert": "-----PEM-----", "Options": {}}]


@pytest.mark.parametrize("current", [
    _with_external_ca(Protocol="cfssl", URL="https://ca:8888", CACert="-----PEM-----\n"),
    _with_external_ca(Protocol="cfssl", URL="https://ca:8888", CACert="-----PEM-----", Options={}),
    _with_external_ca(Protocol="cfssl", URL="https://ca:8888", CACert="-----PEM-----\n\n", Options=None),
])
def test_plan_settings_external_ca_ignores_missing_options_and_trailing_whitespace(current):
    changes = ChangeSet()
    assert plan_settings(current, {"external_ca": WANTED_CA}, changes) == current
    assert not changes


def test_plan_settings_external_ca_change_shows_cert_size_not_text():
    changes = ChangeSet()
    current = _with_external_ca(Protocol="cfssl", URL="https://old:8888", CACert="")
    spec = plan_settings(current, {"external_ca": WANTED_CA}, changes)
    assert spec["CAConfig"]["ExternalCAs"] == WANTED_CA
    assert spec["CAConfig"]["NodeCertExpiry"] == 7776000000000000
    assert changes.before() == {"external_ca": [{"protocol": "cfssl", "url": "https://old:8888", "ca_cert": "",
                                                 "options": {}}]}
    assert changes.after() == {"external_ca": [{"protocol": "cfssl", "url": "https://ca:8888",
                                                "ca_cert": "(13 bytes)", "options": {}}]}


def test_plan_settings_removing_external_cas():
    changes = ChangeSet()
    current = _with_external_ca(Protocol="cfssl", URL="https://ca:8888", CACert="")
    spec = plan_settings(current, {"external_ca": []}, changes)
    assert spec["CAConfig"]["ExternalCAs"] == []
    assert changes.keys() == ["external_ca"]


TRUST_ROOT = "-----BEGIN CERTIFICATE-----\nROOT\n-----END CERTIFICATE-----\n"
NEW_CERT = "-----BEGIN CERTIFICATE-----\nNEWCA\n-----END CERTIFICATE-----"
NEW_KEY = "-----BEGIN EC PRIVATE KEY-----\nVERYSECRETKEY\n-----END EC PRIVATE KEY-----"


@pytest.mark.parametrize("cert", [TRUST_ROOT, TRUST_ROOT.strip(), "\n" + TRUST_ROOT + "\n"])
def test_signing_ca_equal_to_the_trust_root_is_applied(cert):
    changes = ChangeSet()
    spec = plan_settings(engine_spec(), {}, changes, trust_root=TRUST_ROOT, signing_ca=(cert, NEW_KEY))
    assert spec == engine_spec() and not changes


def test_signing_ca_already_in_the_spec_is_applied():
    current = engine_spec()
    current["CAConfig"]["SigningCACert"] = NEW_CERT + "\n"
    changes = ChangeSet()
    spec = plan_settings(current, {}, changes, trust_root=TRUST_ROOT, signing_ca=(NEW_CERT + "\n", NEW_KEY))
    assert spec == current and not changes


def test_a_new_signing_ca_goes_into_ca_config():
    changes = ChangeSet()
    spec = plan_settings(engine_spec(), {}, changes, trust_root=TRUST_ROOT, signing_ca=(NEW_CERT + "\n\n", NEW_KEY))
    assert spec["CAConfig"] == {"NodeCertExpiry": 7776000000000000, "SigningCACert": NEW_CERT + "\n",
                                "SigningCAKey": NEW_KEY + "\n"}
    assert changes.keys() == ["signing_ca_cert"]


def test_a_new_signing_ca_creates_ca_config_when_missing():
    spec = plan_settings({}, {}, ChangeSet(), signing_ca=(NEW_CERT, NEW_KEY))
    assert spec == {"CAConfig": {"SigningCACert": NEW_CERT + "\n", "SigningCAKey": NEW_KEY + "\n"}}


def test_signing_ca_change_shows_fingerprints_never_pem_or_key():
    changes = ChangeSet()
    plan_settings(engine_spec(), {}, changes, trust_root=TRUST_ROOT, signing_ca=(NEW_CERT, NEW_KEY))
    before, after = changes.before()["signing_ca_cert"], changes.after()["signing_ca_cert"]
    assert re.match(r"^sha256:[0-9a-f]{16}\Z", before) and re.match(r"^sha256:[0-9a-f]{16}\Z", after)
    assert before != after
    shown = repr(changes.as_diff())
    for secret in ("VERYSECRETKEY", "PRIVATE KEY", "NEWCA", "ROOT"):
        assert secret not in shown


def test_signing_ca_fingerprints_follow_the_certs():
    def shown(trust_root, current_cert=None):
        current = engine_spec()
        if current_cert:
            current["CAConfig"]["SigningCACert"] = current_cert
        changes = ChangeSet()
        plan_settings(current, {}, changes, trust_root=trust_root, signing_ca=(NEW_CERT, NEW_KEY))
        return changes.before()["signing_ca_cert"], changes.after()["signing_ca_cert"]

    root_before, new_after = shown(TRUST_ROOT)
    other_before, same_after = shown(TRUST_ROOT.replace("ROOT", "OTHER"))
    assert root_before != other_before and new_after == same_after
    # Trailing whitespace does not change a fingerprint.
    assert shown(TRUST_ROOT.strip())[0] == root_before
    # A rotation in progress: the before side is the spec's signing cert, not the trust root.
    intermediate = "-----BEGIN CERTIFICATE-----\nMID\n-----END CERTIFICATE-----"
    rotating_before = shown(TRUST_ROOT, current_cert=intermediate)[0]
    assert rotating_before not in (root_before, new_after)
    # Nothing known about the current CA.
    assert shown(None)[0] is None


def test_signing_ca_does_not_count_a_different_key_alone():
    # Only the cert decides whether the signing CA is applied (the engine never returns the key).
    changes = ChangeSet()
    plan_settings(engine_spec(), {}, changes, trust_root=TRUST_ROOT, signing_ca=(TRUST_ROOT, "ANOTHER KEY"))
    assert not changes


SWARM = {"ID": "abc", "DefaultAddrPool": ["10.0.0.0/8"], "SubnetSize": 24}


@pytest.mark.parametrize("params", [{}, {"default_addr_pool": None, "subnet_size": None},
                                    {"default_addr_pool": ["10.0.0.0/8"], "subnet_size": 24}])
def test_init_only_conflicts_none_when_not_given_or_equal(params):
    assert init_only_conflicts(SWARM, params) == []


def test_init_only_conflicts_one_message_per_differing_option():
    conflicts = init_only_conflicts(SWARM, {"default_addr_pool": ["10.20.0.0/16"], "subnet_size": 26})
    assert len(conflicts) == 2
    assert conflicts[0].startswith("default_addr_pool") and "10.20.0.0/16" in conflicts[0]
    assert conflicts[1].startswith("subnet_size") and "26" in conflicts[1] and "24" in conflicts[1]


def test_init_only_conflicts_only_the_differing_one():
    conflicts = init_only_conflicts(SWARM, {"default_addr_pool": ["10.0.0.0/8"], "subnet_size": 26})
    assert len(conflicts) == 1 and conflicts[0].startswith("subnet_size")


# ---- quorum-safe manager changes ----

def facts(hostname, role, reachability=None, state="ready"):
    return node_facts(api_node(hostname, role, reachability, state=state))


def three_managers(*workers):
    return [facts("m1", "manager", "reachable"), facts("m2", "manager", "reachable"),
            facts("m3", "manager", "reachable")] + list(workers)


def five_managers_two_unreachable():
    return [facts("m1", "manager", "reachable"), facts("m2", "manager", "reachable"),
            facts("m3", "manager", "reachable"), facts("m4", "manager", "unreachable", state="down"),
            facts("m5", "manager", "unreachable", state="down")]


def _even(problems):
    return [problem for problem in problems if "even" in problem]


def _majority(problems):
    return [problem for problem in problems if "majority" in problem]


def test_demoting_one_of_three_leaves_an_even_count():
    problems = manager_set_problems(three_managers(), roles={"M3": "worker"})
    assert len(problems) == 1 and problems[0].startswith("2 managers would be left")


def test_demoting_two_of_five_is_fine():
    nodes = three_managers(facts("m4", "manager", "reachable"), facts("m5", "manager", "reachable"))
    assert manager_set_problems(nodes, roles={"M4": "worker", "M5": "worker"}) == []


def test_promoting_one_worker_of_three_leaves_an_even_count():
    problems = manager_set_problems(three_managers(facts("w1", "worker")), roles={"W1": "manager"})
    assert len(problems) == 1 and problems[0].startswith("4 managers would be left")


def test_promoting_two_ready_workers_of_three_is_fine():
    nodes = three_managers(facts("w1", "worker"), facts("w2", "worker"))
    assert manager_set_problems(nodes, roles={"W1": "manager", "W2": "manager"}) == []


def test_promoting_down_workers_counts_them_unreachable():
    def nodes(worker_state):
        return [facts("m1", "manager", "reachable"), facts("m2", "manager", "reachable"),
                facts("m3", "manager", "unreachable", state="down"),
                facts("w1", "worker", state=worker_state), facts("w2", "worker", state=worker_state)]

    roles = {"W1": "manager", "W2": "manager"}
    assert manager_set_problems(nodes("ready"), roles) == []
    problems = manager_set_problems(nodes("down"), roles)
    assert len(problems) == 1 and problems[0].startswith("only 2 of 5 managers would be reachable")
    assert "majority of 3" in problems[0]


def test_promoting_a_down_worker_into_a_healthy_three_keeps_the_majority():
    nodes = three_managers(facts("w1", "worker"), facts("w2", "worker", state="down"))
    assert manager_set_problems(nodes, roles={"W1": "manager", "W2": "manager"}) == []


def test_removing_the_last_manager():
    nodes = [facts("m1", "manager", "reachable"), facts("w1", "worker")]
    problems = manager_set_problems(nodes, removed={"M1"})
    assert len(problems) == 1 and "no manager" in problems[0]
    assert manager_set_problems(nodes, roles={"M1": "worker"}) == problems


def test_removing_the_unreachable_one_of_three_leaves_two():
    nodes = [facts("m1", "manager", "reachable"), facts("m2", "manager", "reachable"),
             facts("m3", "manager", "unreachable", state="down")]
    problems = manager_set_problems(nodes, removed={"M3"})
    assert len(problems) == 1 and _even(problems) and problems[0].startswith("2 managers")


def test_demoting_a_reachable_one_of_five_with_two_unreachable():
    problems = manager_set_problems(five_managers_two_unreachable(), roles={"M1": "worker"})
    assert len(problems) == 2
    assert _even(problems) and problems[0].startswith("4 managers")
    assert _majority(problems) and "only 2 of 4" in _majority(problems)[0]


def test_removing_both_unreachable_of_five_is_fine():
    assert manager_set_problems(five_managers_two_unreachable(), removed={"M4", "M5"}) == []


@pytest.mark.parametrize("roles", [None, {}, {"M1": "manager", "W1": "worker"}])
def test_no_role_change_is_fine(roles):
    assert manager_set_problems(three_managers(facts("w1", "worker")), roles) == []


def test_removing_a_worker_does_not_count():
    assert manager_set_problems(three_managers(facts("w1", "worker")), removed={"W1"}) == []


# ---- naming nodes and changing their spec ----

def test_resolve_node_by_id_and_by_hostname():
    nodes = [api_node("n1", "manager", "reachable"), api_node("n2", "worker")]
    assert resolve_node(nodes, "N2") is nodes[1]
    assert resolve_node(nodes, "n1") is nodes[0]
    assert resolve_node(nodes, "n3") is None
    assert resolve_node([], "n1") is None


def test_resolve_node_prefers_an_id_over_a_hostname():
    clash = api_node("n2", "worker")
    clash["ID"] = "n1"
    nodes = [api_node("n1", "manager", "reachable"), clash]
    assert resolve_node(nodes, "n1") is clash


def test_resolve_node_refuses_a_shared_hostname():
    old = api_node("n2", "worker", state="down")
    old["ID"] = "OLDID"
    nodes = [api_node("n1", "manager", "reachable"), old, api_node("n2", "worker")]
    with pytest.raises(InvalidValue) as caught:
        resolve_node(nodes, "n2")
    message = str(caught.value)
    assert "OLDID" in message and "N2" in message and "name the node by its ID" in message
    assert resolve_node(nodes, "OLDID") is old


NODE_SPEC = {"Role": "worker", "Availability": "active", "Labels": {"zone": "a"}, "Name": "keep"}


def test_labels_merge_keeps_other_labels_and_stringifies():
    changes = ChangeSet()
    spec = node_spec_changes(NODE_SPEC, {"labels": {"rack": 3, "ssd": "yes"}, "labels_state": "merge"}, changes)
    assert spec["Labels"] == {"zone": "a", "rack": "3", "ssd": "yes"}
    assert changes.keys() == ["labels"]
    assert changes.before() == {"labels": {"zone": "a"}}
    assert changes.after() == {"labels": {"zone": "a", "rack": "3", "ssd": "yes"}}


def test_labels_merge_is_the_default():
    spec = node_spec_changes(NODE_SPEC, {"labels": {"rack": "1"}}, ChangeSet())
    assert spec["Labels"] == {"zone": "a", "rack": "1"}


def test_labels_merge_overrides_a_value():
    spec = node_spec_changes(NODE_SPEC, {"labels": {"zone": "b"}, "labels_state": "merge"}, ChangeSet())
    assert spec["Labels"] == {"zone": "b"}


def test_labels_replace_drops_other_labels():
    changes = ChangeSet()
    spec = node_spec_changes(NODE_SPEC, {"labels": {"rack": 3}, "labels_state": "replace"}, changes)
    assert spec["Labels"] == {"rack": "3"}
    assert changes.after() == {"labels": {"rack": "3"}}


def test_labels_replace_with_nothing_removes_all():
    changes = ChangeSet()
    spec = node_spec_changes(NODE_SPEC, {"labels": {}, "labels_state": "replace"}, changes)
    assert spec["Labels"] == {} and changes.keys() == ["labels"]


def test_stringified_label_values_equal_to_current_are_no_change():
    changes = ChangeSet()
    spec = node_spec_changes(dict(NODE_SPEC, Labels={"n": "1"}), {"labels": {"n": 1}, "labels_state": "replace"},
                             changes)
    assert not changes and spec["Labels"] == {"n": "1"}


def test_none_options_leave_the_spec_alone():
    changes = ChangeSet()
    spec = node_spec_changes(NODE_SPEC, {"role": None, "availability": None, "labels": None,
                                         "labels_state": "replace"}, changes)
    assert spec == NODE_SPEC and not changes


def test_only_differences_are_recorded():
    changes = ChangeSet()
    spec = node_spec_changes(NODE_SPEC, {"role": "manager", "availability": "active", "labels": {"zone": "a"}},
                             changes)
    assert spec == dict(NODE_SPEC, Role="manager")
    assert changes.before() == {"role": "worker"} and changes.after() == {"role": "manager"}


def test_availability_change():
    changes = ChangeSet()
    spec = node_spec_changes(NODE_SPEC, {"availability": "drain"}, changes)
    assert spec["Availability"] == "drain" and changes.keys() == ["availability"]


def test_labels_missing_from_the_spec_count_as_empty():
    changes = ChangeSet()
    spec = node_spec_changes({"Role": "worker"}, {"labels": {}, "labels_state": "merge"}, changes)
    assert not changes and "Labels" not in spec


def test_node_spec_changes_does_not_mutate_the_spec():
    current = copy.deepcopy(NODE_SPEC)
    node_spec_changes(current, {"role": "manager", "availability": "pause", "labels": {"x": "y"}}, ChangeSet())
    node_spec_changes(current, {"labels": {"x": "y"}, "labels_state": "replace"}, ChangeSet())
    assert current == NODE_SPEC


def test_spec_from_facts():
    facts_of_node = node_facts(api_node("n1", "manager", "reachable"))
    assert spec_from_facts(facts_of_node) == {"Role": "manager", "Availability": "active", "Labels": {"zone": "a"}}
    changes = ChangeSet()
    node_spec_changes(spec_from_facts(facts_of_node), {"role": "manager", "labels": {"zone": "a"}}, changes)
    assert not changes


# ---- reading a manager whose swarm has no leader that answers ----

NO_LEADER_MSG = 'failed to inspect the swarm: rpc error: code = Unknown desc = The swarm does not have a leader.'
NO_ANSWER_MSG = 'failed to inspect the swarm: rpc error: code = DeadlineExceeded desc = context deadline exceeded'


class AnsweringClient(object):
    """GET /swarm and GET /nodes answer with ``error`` (a DockerError message) or the fixtures."""

    def __init__(self, engine, error=None):
        self.engine = engine
        self.error = error

    def call(self, todo, method, *args, **kwargs):
        if self.error:
            raise DockerError(self.error)
        return load(self.engine, {'inspect_swarm': 'swarm', 'nodes': 'nodes'}[method])


@pytest.mark.parametrize('message, counted, counted_without_timeouts', [
    (NO_LEADER_MSG, True, True),
    (NO_ANSWER_MSG, True, False),
    ('failed to inspect the swarm: This node is not a swarm manager.', False, False),
    ('failed to inspect the swarm: connection refused', False, False),
])
def test_leader_missing_counts_a_timeout_only_when_asked(message, counted, counted_without_timeouts):
    assert leader_missing(DockerError(message)) is counted
    assert leader_missing(DockerError(message), timeout_counts=False) is counted_without_timeouts


@pytest.mark.parametrize('engine', ENGINES)
@pytest.mark.parametrize('message', [NO_LEADER_MSG, NO_ANSWER_MSG])
def test_read_swarm_of_a_manager_no_leader_answers_reports_it_instead_of_failing(engine, message):
    result = read_swarm(AnsweringClient(engine, message), load(engine, 'info-manager'))
    assert result['is_manager'] is True and result['error'] == message
    assert 'swarm' not in result and 'nodes' not in result and result['quorum']['leader'] is None


@pytest.mark.parametrize('engine', ENGINES)
def test_read_swarm_of_a_manager_fails_on_other_errors(engine):
    with pytest.raises(DockerError, match='connection refused'):
        read_swarm(AnsweringClient(engine, 'failed to inspect the swarm: connection refused'),
                   load(engine, 'info-manager'))


@pytest.mark.parametrize('engine', ENGINES)
def test_read_swarm_of_a_healthy_manager(engine):
    result = read_swarm(AnsweringClient(engine), load(engine, 'info-manager'))
    assert 'error' not in result and result['swarm']['id'] and result['nodes']
