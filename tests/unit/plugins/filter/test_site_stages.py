"""site_stages and site_stage_hosts: which of site.yml's stages have work, and the host pattern of
each stage's play (no host when it has none)."""
import pytest

from ansible_collections.dockhand.docker.plugins.filter.site import NO_HOSTS, STAGES, site_stage_hosts, site_stages
from ansible_collections.dockhand.docker.plugins.module_utils.swarm import quorum

MANAGERS, WORKERS = ["m1"], ["w1"]
NODES = [{"id": "id-m1", "hostname": "m1", "role": "manager", "status": "ready", "availability": "active",
          "reachability": "reachable", "leader": True, "labels": {}},
         {"id": "id-w1", "hostname": "w1", "role": "worker", "status": "ready", "availability": "active",
          "reachability": None, "leader": False, "labels": {}}]


def hostvars(**work):
    """Two hosts, the swarm as wanted; ``work`` sets stages with work on a host: m1=["images"]."""
    swarm = {"m1": {"state": "active", "is_manager": True, "node_id": "id-m1", "swarm": {"id": "c1"},
                    "nodes": NODES, "quorum": quorum(NODES)},
             "w1": {"state": "active", "is_manager": False, "node_id": "id-w1"}}
    out = {}
    for host in ("m1", "w1"):
        note = dict((stage, stage in work.get(host, ())) for stage in STAGES if stage != "swarm")
        note["swarm_node"] = {"role": "manager" if host in MANAGERS else "worker", "labels": {},
                              "labels_state": "merge"}
        out[host] = {"site_stage_work": note, "docker_host_preflight": {"swarm_info": swarm[host]}}
    return out


def stages(hv, hosts=("m1", "w1"), builders=()):
    return site_stages(hv, list(hosts), MANAGERS, WORKERS, list(builders))


def test_nothing_due_when_every_stage_is_in_sync():
    assert stages(hostvars()) == {"due": [], "why": {}, "swarm_lead": "m1"}


@pytest.mark.parametrize("host, stage, due", [
    ("w1", "docker_host", True),
    ("w1", "containers", True),
    ("m1", "images", True),      # the first manager builds when there are no builders
    ("w1", "images", False),     # not a build host
    ("m1", "services", True),    # the services run from the first manager
    ("w1", "services", False),
])
def test_a_stage_is_due_where_its_hosts_have_work(host, stage, due):
    result = stages(hostvars(**{host: [stage]}))
    assert (stage in result["due"]) is due
    assert (result["why"].get(stage) == ["%s: work to do" % host]) is due


def test_builders_decide_the_images_stage():
    hv = hostvars(w1=["images"])
    assert stages(hv, builders=["w1"])["due"] == ["images"]
    assert stages(hv, builders=["m1"])["due"] == []


def test_a_host_without_its_note_makes_every_stage_of_its_due():
    hv = hostvars()
    del hv["w1"]["site_stage_work"]
    result = stages(hv)
    assert result["due"] == ["docker_host", "swarm", "containers"]
    assert result["why"]["docker_host"] == ["w1: not read"] and result["swarm_lead"] is None


def test_members_outside_the_play_are_not_read():
    # --limit m1, or w1 unreachable before the preflight: w1 has no note, nor is it among the hosts.
    hv = hostvars()
    del hv["w1"]
    result = stages(hv, hosts=("m1",))
    assert result["due"] == ["swarm"] and result["why"]["swarm"] == ["w1 not read"]
    assert stages(hostvars(), hosts=("w1",), builders=["m1"])["due"] == ["images", "swarm", "services"]


def test_a_swarm_change_makes_the_swarm_stage_due_and_says_why():
    hv = hostvars()
    hv["w1"]["site_stage_work"]["swarm_node"]["labels"] = {"tier": "app"}
    result = stages(hv)
    assert result["due"] == ["swarm"] and result["why"]["swarm"] == ["node id-w1 to change"]


def test_no_swarm_groups_no_swarm_stage():
    hv = hostvars()
    assert site_stages(hv, ["m1", "w1"])["due"] == []


@pytest.mark.parametrize("facts, expected", [
    ({"h1": {"site_stages": {"due": ["swarm"]}}}, "swarm_managers"),
    ({"h1": {"site_stages": {"due": ["images"]}}}, NO_HOSTS),
    ({"h1": {}, "h2": {"site_stages": {"due": []}}}, NO_HOSTS),
    ({"h1": {}}, "swarm_managers"),                       # no decision: the stage runs
    ({"h1": {"site_stages": {"why": {}}}}, "swarm_managers"),
])
def test_stage_hosts(facts, expected):
    assert site_stage_hosts(facts, "swarm", "swarm_managers", ["h0", "h1", "h2"]) == expected


def test_a_stage_asked_for_by_its_tag_runs_without_work():
    facts = {"h1": {"site_stages": {"due": []}}}
    assert site_stage_hosts(facts, "swarm", "swarm_managers", ["h1"], ["swarm", "summary"]) == "swarm_managers"
    assert site_stage_hosts(facts, "images", "m1", ["h1"], ["swarm"]) == NO_HOSTS
    assert site_stage_hosts(facts, "images", "m1", ["h1"], ["all"]) == NO_HOSTS
