"""site_stages and site_stage_hosts: which of site.yml's stages have work, and the host pattern of
each stage's play (no host when it has none)."""
import os

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.dockhand.docker.plugins.filter.engine_version import docker_host_state
from ansible_collections.dockhand.docker.plugins.filter.items import plan_digest, plan_in_sync
from ansible_collections.dockhand.docker.plugins.filter.site import (
    NO_HOSTS,
    ROLE_DEFAULTS,
    site_hosts,
    site_stage_hosts,
    site_stages,
)
from ansible_collections.dockhand.docker.plugins.module_utils.swarm import quorum

ROLES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "roles")
MANAGERS, WORKERS = ["m1"], ["w1"]
NODES = [{"id": "id-m1", "hostname": "m1", "role": "manager", "status": "ready", "availability": "active",
          "reachability": "reachable", "leader": True, "labels": {}},
         {"id": "id-w1", "hostname": "w1", "role": "worker", "status": "ready", "availability": "active",
          "reachability": None, "leader": False, "labels": {}}]


# The plan each stage's work shows in, and where the preflight makes it.
PLANS = {"docker_host": "daemon_config_plan", "images": "images_plan", "services": "services_plan",
         "containers": "containers_plan"}


def hostvars(**work):
    """Two hosts read by the preflight, in sync and the swarm as wanted; ``work`` gives stages with
    work on a host (m1=["images"]): their plans found something to change."""
    swarm = {"m1": {"state": "active", "is_manager": True, "node_id": "id-m1", "swarm": {"id": "c1"},
                    "nodes": NODES, "quorum": quorum(NODES)},
             "w1": {"state": "active", "is_manager": False, "node_id": "id-w1"}}
    out = {}
    for host in ("m1", "w1"):
        read = {"engine": {"host": {"init_system": "systemd", "service_enabled": True, "restart_pending": False,
                                    "tls_listener_opened": False, "package": None}},
                "swarm_info": swarm[host]}
        read.update((plan, {"in_sync": True}) for plan in PLANS.values())
        for stage in work.get(host, ()):
            read[PLANS[stage]] = {"in_sync": False, "actions": {"x": "update"}}
        out[host] = {"docker_host_preflight": read}
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


def test_a_stage_nothing_was_planned_for_has_no_work():
    # No containers_list, no images: the preflight passed no plan, and the roles have nothing to do.
    hv = hostvars()
    for read in (hv["m1"]["docker_host_preflight"], hv["w1"]["docker_host_preflight"]):
        for key in ("images_plan", "services_plan", "containers_plan"):
            del read[key]
    assert stages(hv)["due"] == []


def test_a_plan_that_failed_is_work():
    hv = hostvars()
    hv["w1"]["docker_host_preflight"]["containers_plan"] = {"error": "the engine refused"}
    assert stages(hv)["due"] == ["containers"]


@pytest.mark.parametrize("variables, reason", [
    ({"docker_host_restart_always": True}, "docker_host"),
    ({"docker_host_tls_listener": True}, "docker_host"),
    # The package is not read as held at that version (no dpkg answer in this read).
    ({"docker_host_engine_version": "5:27.3.1-1~debian.12~bookworm"}, "docker_host"),
    ({"images_registry_logins": [{"registry_url": "r:5000"}]}, "images"),
    ({"images_contexts": [{"src": "app/", "dest": "/srv/app/"}]}, "images"),
])
def test_a_hosts_own_variables_give_it_work(variables, reason):
    hv = hostvars()
    hv["m1"].update(variables)
    result = stages(hv)
    assert result["due"] == [reason] and result["why"][reason] == ["m1: work to do"]


def test_the_roles_defaults_give_no_work():
    hv = hostvars()
    hv["m1"].update(ROLE_DEFAULTS)
    assert stages(hv)["due"] == []


def test_a_host_not_read_makes_every_stage_of_its_due():
    hv = hostvars()
    del hv["w1"]["docker_host_preflight"]
    result = stages(hv)
    assert result["due"] == ["docker_host", "swarm", "containers"]
    assert result["why"]["docker_host"] == ["w1: not read"] and result["swarm_lead"] is None


def test_an_engine_that_did_not_answer_is_not_read():
    # engine_info failed (failed_when: false keeps the play going): no engine block.
    hv = hostvars()
    hv["w1"]["docker_host_preflight"] = {"failed": False, "msg": "cannot connect to the engine"}
    assert stages(hv)["why"]["containers"] == ["w1: not read"]


def test_members_outside_the_play_are_not_read():
    # --limit m1, or w1 unreachable before the preflight: w1 has no read, nor is it among the hosts.
    hv = hostvars()
    del hv["w1"]
    result = stages(hv, hosts=("m1",))
    assert result["due"] == ["swarm"] and result["why"]["swarm"] == ["w1 not read"]
    assert stages(hostvars(), hosts=("w1",), builders=["m1"])["due"] == ["images", "swarm", "services"]


@pytest.mark.parametrize("variables", [
    {"swarm_node_labels": {"tier": "app"}},
    {"swarm_node_availability": "drain"},
    {"swarm_node_labels": {}, "swarm_node_labels_state": "replace", "swarm_node_availability": "pause"},
])
def test_a_swarm_change_makes_the_swarm_stage_due_and_says_why(variables):
    hv = hostvars()
    hv["w1"].update(variables)
    result = stages(hv)
    assert result["due"] == ["swarm"] and result["why"]["swarm"] == ["node id-w1 to change"]


def test_the_role_defaults_are_the_roles_own():
    # site_stages reads these from hostvars, which hold no role defaults: they must be the roles'.
    defaults = {}
    for role in ("docker_host", "images", "swarm"):
        with open(os.path.join(ROLES, role, "defaults", "main.yml")) as handle:
            defaults.update(yaml.safe_load(handle))
    assert dict((name, defaults[name]) for name in ROLE_DEFAULTS) == ROLE_DEFAULTS


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


@pytest.mark.parametrize("groups, names, expected", [
    ({"all": [], "docker_hosts": ["h1"]}, None, "docker_hosts"),
    ({"swarm_workers": [], "swarm_managers": ["m1"]}, None, "swarm_managers:swarm_workers"),
    ({"docker_hosts": ["h1"], "swarm_managers": ["m1"], "swarm_workers": ["w1"]}, ["swarm_workers", "swarm_managers"],
     "swarm_workers:swarm_managers"),
    ({"all": ["h1"], "ungrouped": ["h1"]}, None, NO_HOSTS),
    ({}, [], NO_HOSTS),
])
def test_site_hosts_names_the_groups_the_inventory_has(groups, names, expected):
    assert (site_hosts(groups) if names is None else site_hosts(groups, names)) == expected


OPTIONS = {"path": "/etc/docker/daemon.json", "settings": {}, "remove": [], "log_driver": "", "log_opts": {}}
ITEMS = [{"name": "web", "image": "busybox"}]


ENGINE_HOSTS = st.none() | st.fixed_dictionaries({}, optional={
    "service_enabled": st.booleans(), "restart_pending": st.booleans(), "tls_listener_opened": st.booleans(),
    "package": st.none() | st.fixed_dictionaries({"version": st.sampled_from(["5:27.3.1-1", "20.10.24"]),
                                                  "held": st.booleans()})})
DOCKER_HOST_VARIABLES = st.fixed_dictionaries({}, optional={
    "docker_host_tls_listener": st.booleans(), "docker_host_restart_always": st.booleans(),
    "docker_host_engine_version": st.sampled_from(["", "5:27.3.1-1", "20.10"])})


@given(engine_host=ENGINE_HOSTS, daemon_in_sync=st.booleans(), containers=st.sampled_from([None, True, False]),
       variables=DOCKER_HOST_VARIABLES)
def test_each_hosts_decision_is_the_roles_own_rule(engine_host, daemon_in_sync, containers, variables):
    # The roles decide with their own options and items against the plan's digest; the preflight made
    # the plans with those very options and items, so site_stages' reading of a plan is the roles'.
    read = {"engine": {"host": engine_host},
            "daemon_config_plan": {"in_sync": daemon_in_sync, "options_digest": plan_digest(OPTIONS)},
            "swarm_info": {"state": "inactive"}}
    if containers is not None:
        read["containers_plan"] = {"in_sync": containers, "items_digest": plan_digest(ITEMS)}
    result = site_stages({"h1": dict(variables, docker_host_preflight=read)}, ["h1"])
    inputs = dict(ROLE_DEFAULTS, **variables)
    docker_host = docker_host_state(read, OPTIONS, tls_listener=inputs["docker_host_tls_listener"],
                                    engine_version=inputs["docker_host_engine_version"],
                                    restart_always=inputs["docker_host_restart_always"])["work"]
    containers_work = containers is not None and not plan_in_sync(read, "containers_plan", ITEMS)
    assert ("docker_host" in result["due"]) is docker_host
    assert ("containers" in result["due"]) is containers_work
