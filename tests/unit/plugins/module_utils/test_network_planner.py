"""The network planner (pure) from networks recorded on Docker 20.10 and 26.1: what the engines fill in is
no difference, every option the user gives is, what uses a network is named when a change is refused."""
import copy

import pytest

from ansible_collections.dockhand.docker.plugins.module_utils.errors import DockerError, InvalidValue
from ansible_collections.dockhand.docker.plugins.module_utils.networks import (
    FORM,
    Users,
    container_user,
    create_body,
    differences,
    parse_network,
    plan_network,
    restore_body,
    service_user,
    spec_with_network,
    spec_without_network,
)
from ansible_collections.dockhand.docker.tests.unit.engine_fixtures import ENGINES, load, recording

# The items tools/record_fixtures.py made the recorded networks with (dockhand.docker.network).
MADE_WITH = recording().NETWORK_ITEMS


def items(*entries, **top):
    params = dict((key, None) for key in FORM.module_spec())
    params.update(FORM.defaults)
    params.update(top)
    params["networks"] = list(entries)
    return FORM.items(params)


def wanted(**item):
    [(label, merged)] = items(item)
    return parse_network(merged, label)


def users_of(engine, network_fixture, *containers, services=None):
    network = load(engine, network_fixture)
    found = [container_user(load(engine, name), network["Id"], network["Name"]) for name in containers]
    found_services = [service_user(service, network["Id"], network["Name"]) for service in services or ()]
    return Users([user for user in found if user], [user for user in found_services if user])


# ---- what the engines fill in is no difference ----

@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("fixture", sorted(MADE_WITH))
def test_the_items_a_network_was_made_with_plan_unchanged(engine, fixture):
    plan = plan_network(wanted(**MADE_WITH[fixture]), load(engine, fixture))
    assert plan.action == "unchanged" and not plan.changes, plan.changes.as_diff()


@pytest.mark.parametrize("engine", ENGINES)
def test_engine_filled_defaults_are_there_and_not_compared(engine):
    overlay = load(engine, "network-overlay")
    # The engine filled a subnet and gateway, the IPAM driver and the VXLAN ID; none was given.
    [config] = overlay["IPAM"]["Config"]
    assert set(config) == {"Subnet", "Gateway"} and overlay["IPAM"]["Driver"] == "default"
    assert list(overlay["Options"]) == ["com.docker.network.driver.overlay.vxlanid_list"]
    assert overlay["Scope"] == "swarm"
    # Giving the IPAM driver, no driver options, or no labels, is no difference either.
    for item in ({"ipam": {"driver": "default"}}, {"driver_options": {}}, {"labels": {}}, {"encrypted": False},
                 {"attachable": False, "internal": False, "enable_ipv6": False, "scope": "swarm"}):
        plan = plan_network(wanted(name="rec-overlay", driver="overlay", **item), overlay)
        assert plan.action == "unchanged", (item, plan.changes.as_diff())
    # A bridge given only an IPv6 subnet has an IPv4 subnet the engine added: not a difference.
    ipv6 = load(engine, "network-bridge-ipv6")
    assert sorted(len(config["Subnet"].split(":")) > 1 for config in ipv6["IPAM"]["Config"]) == [False, True]
    # The engine's own gateway of a subnet given without one is not compared.
    given = wanted(name="rec-overlay-full", driver="overlay", ipam={"config": [{"subnet": "10.80.0.0/24"}]})
    plan = plan_network(given, load(engine, "network-overlay-full"))
    assert plan.action == "unchanged"


@pytest.mark.parametrize("engine", ENGINES)
def test_addresses_are_compared_in_canonical_form(engine):
    plan = plan_network(wanted(name="rec-bridge-ipv6", enable_ipv6=True,
                               ipam={"config": [{"subnet": "fd00:70:0:0::/64"}]}), load(engine, "network-bridge-ipv6"))
    assert plan.action == "unchanged"


# ---- every difference recreates ----

RECREATE_TRIGGERS = [
    ("driver", {"driver": "overlay"}, "network-bridge"),
    ("internal", {"internal": False}, "network-bridge-ipam"),
    ("attachable", {"attachable": True}, "network-overlay"),
    ("encrypted", {"encrypted": True, "driver": "overlay"}, "network-overlay"),
    ("encrypted", {"encrypted": False, "driver": "overlay"}, "network-overlay-full"),
    ("enable_ipv6", {"enable_ipv6": True}, "network-bridge"),
    ("scope", {"scope": "swarm"}, "network-bridge"),
    ("labels", {"labels": {"team": "y"}}, "network-bridge-ipam"),
    ("labels", {"labels": {}}, "network-overlay-full"),
    ("driver_options", {"driver_options": {"com.docker.network.driver.mtu": "1450"}}, "network-bridge-ipam"),
    ("driver_options", {"driver_options": {}}, "network-bridge-ipam"),
    ("ipam", {"ipam": {"driver": "other"}}, "network-bridge"),
    ("ipam", {"ipam": {"options": {}}}, "network-bridge-ipam"),
    ("ipam", {"ipam": {"config": [{"subnet": "10.71.0.0/24"}]}}, "network-bridge-ipam"),
    ("ipam", {"ipam": {"config": [{"subnet": "10.70.0.0/24", "gateway": "10.70.0.2"}]}}, "network-bridge-ipam"),
    ("ipam", {"ipam": {"config": [{"subnet": "10.70.0.0/24", "ip_range": "10.70.0.0/25"}]}}, "network-bridge-ipam"),
    ("ipam", {"ipam": {"config": [{"subnet": "10.70.0.0/24", "aux_addresses": {"host1": "10.70.0.6"}}]}},
     "network-bridge-ipam"),
    ("ipam", {"ipam": {"config": [{"subnet": "10.70.0.0/24"}, {"subnet": "10.70.1.0/24"}]}}, "network-bridge-ipam"),
    ("ipam", {"enable_ipv6": True, "ipam": {"config": [{"subnet": "fd00:71::/64"}]}}, "network-bridge-ipv6"),
]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("option,item,fixture", RECREATE_TRIGGERS)
def test_each_option_that_differs_recreates(engine, option, item, fixture):
    current = load(engine, fixture)
    plan = plan_network(wanted(name=current["Name"], **item), current, Users())
    assert plan.action == "recreated" and option in plan.changes.keys(), plan.changes.as_diff()
    assert plan.body["Name"] == current["Name"] and plan.body["CheckDuplicate"] is True


@pytest.mark.parametrize("engine", ENGINES)
def test_diff_shows_the_options_in_the_users_words(engine):
    plan = plan_network(wanted(name="rec-bridge-ipam", labels={"team": "y"},
                               ipam={"config": [{"subnet": "10.70.0.0/24", "gateway": "10.70.0.2"}]}),
                        load(engine, "network-bridge-ipam"), Users())
    assert plan.changes.as_diff() == {
        "before": {"labels": {"team": "x"}, "ipam": {"config": [{"subnet": "10.70.0.0/24", "gateway": "10.70.0.1"}]}},
        "after": {"labels": {"team": "y"}, "ipam": {"config": [{"subnet": "10.70.0.0/24", "gateway": "10.70.0.2"}]}}}


@pytest.mark.parametrize("engine", ENGINES)
def test_a_recreate_keeps_what_was_not_given(engine):
    current = load(engine, "network-bridge-ipam")
    body = plan_network(wanted(name="rec-bridge-ipam", labels={"team": "y"}), current, Users()).body
    assert body["Labels"] == {"team": "y"}
    assert body["Internal"] is True and body["Attachable"] is True and body["Driver"] == "bridge"
    assert body["Options"] == {"com.docker.network.driver.mtu": "1400"}
    assert body["IPAM"] == {"Driver": "default", "Options": {"foo": "bar"}, "Config": [
        {"Subnet": "10.70.0.0/24", "Gateway": "10.70.0.1", "IPRange": "10.70.0.128/25",
         "AuxiliaryAddresses": {"host1": "10.70.0.5"}}]}
    # An overlay's engine-chosen VXLAN ID is not carried over; its encryption is, unless changed.
    overlay = load(engine, "network-overlay-full")
    body = plan_network(wanted(name="rec-overlay-full", driver="overlay", labels={"a": "c"}), overlay, Users()).body
    assert body["Options"] == {"encrypted": ""} and body["Attachable"] is True and body["Scope"] == "swarm"
    body = plan_network(wanted(name="rec-overlay-full", driver="overlay", encrypted=False), overlay, Users()).body
    assert body["Options"] == {}
    body = plan_network(wanted(name="rec-overlay-full", driver="overlay", driver_options={"x": "1"}),
                        overlay, Users()).body
    assert body["Options"] == {"x": "1", "encrypted": ""}


@pytest.mark.parametrize("engine", ENGINES)
def test_a_new_driver_keeps_nothing_of_the_old_drivers(engine):
    body = plan_network(wanted(name="rec-bridge-ipam", driver="overlay"), load(engine, "network-bridge-ipam"),
                        Users()).body
    assert body == {"Name": "rec-bridge-ipam", "CheckDuplicate": True, "Driver": "overlay", "Labels": {"team": "x"},
                    "Internal": True, "Attachable": True}


@pytest.mark.parametrize("engine", ENGINES)
def test_restore_body_makes_the_network_as_it_was(engine):
    for fixture in MADE_WITH:
        current = load(engine, fixture)
        body = restore_body(current)
        assert body["Name"] == current["Name"] and body["Driver"] == current["Driver"]
        assert "com.docker.network.driver.overlay.vxlanid_list" not in body["Options"]


def test_create_body_has_only_what_was_given():
    body = plan_network(wanted(**MADE_WITH["network-overlay-full"]), None).body
    assert body == {"Name": "rec-overlay-full", "CheckDuplicate": True, "Driver": "overlay", "Attachable": True,
                    "Labels": {"a": "b"}, "Options": {"encrypted": ""},
                    "IPAM": {"Config": [{"Subnet": "10.80.0.0/24", "Gateway": "10.80.0.1"}]}}
    assert create_body(wanted(name="n")) == {"Name": "n", "CheckDuplicate": True}


def test_created_and_absent_plans():
    plan = plan_network(wanted(name="n", labels={"a": 1}), None)
    assert plan.action == "created" and plan.changes.as_diff() == {
        "before": {"exists": False, "labels": None}, "after": {"exists": True, "labels": {"a": "1"}}}
    assert plan_network(wanted(name="n", state="absent"), None).action == "unchanged"


@pytest.mark.parametrize("engine", ENGINES)
def test_absent_removes_an_unused_network(engine):
    plan = plan_network(wanted(name="rec-bridge", state="absent"), load(engine, "network-bridge"), Users())
    assert plan.action == "removed" and plan.changes.keys() == ["exists"] and plan.body is None


# ---- in use: refused, naming the users, unless force ----

@pytest.mark.parametrize("engine", ENGINES)
def test_a_change_to_a_bridge_in_use_is_refused_naming_the_containers(engine):
    users = users_of(engine, "network-bridge-used", "network-user-fixed", "network-user-alias")
    with pytest.raises(InvalidValue) as refused:
        plan_network(wanted(name="rec-bridge-ipam", labels={"team": "y"}), load(engine, "network-bridge-used"), users)
    message = refused.value.msg
    assert "\n" not in message and message.startswith("network rec-bridge-ipam must be recreated to change labels")
    assert "container rec-net-alias (aliases api, api2)" in message
    assert "container rec-net-fixed (aliases web; 10.70.0.200)" in message
    assert "nothing was changed" in message and "force: true" in message
    with pytest.raises(InvalidValue, match="is to be removed, but it is in use by container rec-net-alias"):
        plan_network(wanted(name="rec-bridge-ipam", state="absent"), load(engine, "network-bridge-used"), users)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_change_to_an_overlay_in_use_is_refused_naming_the_service(engine):
    network = load(engine, "network-overlay-service")
    users = users_of(engine, "network-overlay-service", "network-task-user", services=load(engine, "services-network"))
    assert [user.name for user in users.containers] == []  # the task's container belongs to the service
    with pytest.raises(InvalidValue, match="in use by service rec-net-svc; nothing was changed"):
        plan_network(wanted(name="rec-overlay", driver="overlay", attachable=True), network, users)


@pytest.mark.parametrize("engine", ENGINES)
def test_force_plans_detach_and_reattach_keeping_aliases_and_addresses(engine):
    users = users_of(engine, "network-bridge-used", "network-user-fixed", "network-user-alias")
    plan = plan_network(wanted(name="rec-bridge-ipam", labels={"team": "y"}, force=True),
                        load(engine, "network-bridge-used"), users)
    assert plan.action == "recreated" and "detached" in plan.changes.keys()
    reports = plan.reattach.report()
    assert [(entry["name"], entry.get("aliases"), entry.get("ipv4_address")) for entry in reports] == [
        ("rec-net-alias", ["api", "api2"], None), ("rec-net-fixed", ["web"], "10.70.0.200")]
    assert plan.users.report() == reports
    # The short container ID the engine adds as an alias is not carried.
    assert all(len(alias) != 12 for entry in reports for alias in entry["aliases"])


@pytest.mark.parametrize("engine", ENGINES)
def test_a_fixed_address_outside_the_new_subnet_is_refused_even_with_force(engine):
    users = users_of(engine, "network-bridge-used", "network-user-fixed", "network-user-alias")
    with pytest.raises(InvalidValue) as refused:
        plan_network(wanted(name="rec-bridge-ipam", force=True, ipam={"config": [{"subnet": "10.71.0.0/24"}]}),
                     load(engine, "network-bridge-used"), users)
    assert "fixed addresses of rec-net-fixed (10.70.0.200) would be outside its subnets" in refused.value.msg


@pytest.mark.parametrize("engine", ENGINES)
def test_on_an_overlay_the_allocated_address_follows_the_new_subnet(engine):
    # The engine records an attachable overlay's allocated address as the container's own.
    users = users_of(engine, "network-overlay-used", "network-overlay-user")
    [user] = users.containers
    assert user.endpoint["IPAMConfig"]["IPv4Address"].startswith("10.80.0.")
    relabelled = dict(MADE_WITH["network-overlay-full"], force=True)
    relabelled["labels"] = {"a": "c"}
    kept = plan_network(wanted(**relabelled), load(engine, "network-overlay-used"), users)
    assert kept.reattach.report()[0]["ipv4_address"] == user.endpoint["IPAMConfig"]["IPv4Address"]
    renumbered = dict(MADE_WITH["network-overlay-full"], force=True)
    renumbered["ipam"] = {"config": [{"subnet": "10.81.0.0/24"}]}
    moved = plan_network(wanted(**renumbered), load(engine, "network-overlay-used"), users)
    assert moved.reattach.report() == [{"type": "container", "name": "rec-net-overlay-user", "id": user.id,
                                        "aliases": ["ov"]}]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name,fixture", [("ingress", "network-ingress"), ("bridge", "network-predefined-bridge")])
def test_predefined_networks_are_refused_as_targets(engine, name, fixture):
    current = load(engine, fixture)
    assert plan_network(wanted(name=name), current).action == "unchanged"
    with pytest.raises(InvalidValue, match="one the engine defines itself; it cannot be recreated"):
        plan_network(wanted(name=name, labels={"x": "y"}, force=True), current, Users())
    with pytest.raises(InvalidValue, match="engine defines itself; it cannot be removed"):
        wanted(name=name, state="absent")
    renamed = dict(load(engine, "network-ingress"), Name="my-ingress")
    with pytest.raises(InvalidValue, match="cannot be removed"):
        plan_network(wanted(name="my-ingress", state="absent"), renamed, Users())


@pytest.mark.parametrize("engine", ENGINES)
def test_a_swarm_network_is_changed_on_a_manager_only(engine):
    with pytest.raises(InvalidValue, match="is a swarm network; it is removed on a swarm manager"):
        plan_network(wanted(name="rec-overlay", state="absent"), load(engine, "network-overlay"), Users(),
                     is_manager=False)


def test_users_must_have_been_read_for_a_change():
    with pytest.raises(DockerError, match="a bug"):
        plan_network(wanted(name="rec-bridge", state="absent"), load(ENGINES[0], "network-bridge"))


# ---- services: the network taken out of a spec and put back ----

@pytest.mark.parametrize("engine", ENGINES)
def test_service_specs_lose_and_regain_the_network_with_its_aliases(engine):
    network = load(engine, "network-overlay-service")
    [service] = load(engine, "services-network")
    user = service_user(service, network["Id"], network["Name"])
    assert user.report() == {"type": "service", "name": "rec-net-svc", "id": service["ID"], "aliases": ["sa"]}
    without = spec_without_network(service["Spec"], (network["Id"], network["Name"]))
    assert without["TaskTemplate"]["Networks"] == []
    assert service["Spec"]["TaskTemplate"]["Networks"][0]["Target"] == network["Id"]  # not changed in place
    back = spec_with_network(without, user.attachments, "newid")
    assert back["TaskTemplate"]["Networks"] == [{"Target": "newid", "Aliases": ["sa"]}]
    assert spec_with_network(back, user.attachments, "newid") == back


def test_the_old_place_of_a_services_networks_is_kept():
    spec = {"Name": "s", "TaskTemplate": {}, "Networks": [{"Target": "a"}, {"Target": "net1", "Aliases": ["x"]}]}
    user = service_user({"ID": "s1", "Spec": spec}, "net1", "web")
    assert user.attachments == [("Spec", 1, {"Target": "net1", "Aliases": ["x"]})]
    without = spec_without_network(spec, ("net1", "web"))
    assert without["Networks"] == [{"Target": "a"}]
    assert spec_with_network(without, user.attachments, "net2")["Networks"] == [
        {"Target": "a"}, {"Target": "net2", "Aliases": ["x"]}]
    assert service_user({"ID": "s2", "Spec": {"Name": "t"}}, "net1", "web") is None


# ---- input validation: one line naming the item and the option ----

BAD_INPUT = [
    ({"name": "bad name"}, "bad name: name: 'bad name' is not a network name"),
    ({"name": "-x"}, "is not a network name"),
    ({"name": "a" * 201}, "at most 200 characters"),
    ({"name": "bridge", "state": "absent"}, "defines itself; it cannot be removed"),
    ({"name": "n", "driver": "bad driver"}, "n: driver: 'bad driver' is not a driver name"),
    ({"name": "n", "driver": ""}, "driver: '' is not a driver name"),
    ({"name": "n", "encrypted": True}, "encrypted: only overlay networks are encrypted"),
    ({"name": "n", "encrypted": True, "driver": "bridge"}, "only overlay networks are encrypted"),
    ({"name": "n", "driver": "overlay", "scope": "local"}, "scope: an overlay network spans the swarm"),
    ({"name": "n", "driver_options": {"encrypted": ""}}, "driver_options: give encrypted: true instead"),
    ({"name": "n", "labels": {"a": [1]}}, "labels.a: the value is a list"),
    ({"name": "n", "labels": {"": "x"}}, "labels: '' is not a name"),
    ({"name": "n", "labels": {"a": "x\x00y"}}, "NUL"),
    ({"name": "n", "ipam": {"config": [{"gateway": "10.0.0.1"}]}}, "ipam.config[0]: needs a subnet"),
    ({"name": "n", "ipam": {"config": [{"subnet": "10.0.0.0"}]}}, "ipam.config[0].subnet: '10.0.0.0' is not a subnet"),
    ({"name": "n", "ipam": {"config": [{"subnet": "10.0.0.5/24"}]}},
     "ipam.config[0].subnet: 10.0.0.5/24 has bits set beyond its prefix; the subnet is 10.0.0.0/24"),
    ({"name": "n", "ipam": {"config": [{"subnet": "10.0.0.0/33"}]}},
     "ipam.config[0].subnet: 10.0.0.0/33 is not a subnet"),
    ({"name": "n", "ipam": {"config": [{"subnet": "300.0.0.0/8"}]}}, "is not a subnet"),
    ({"name": "n", "ipam": {"config": [{"subnet": "\u0661\u0660.0.0.0/8"}]}}, "is not a subnet"),
    ({"name": "n", "ipam": {"config": [{"subnet": "10.0.0.0/24", "gateway": "10.0.1.1"}]}},
     "ipam.config[0].gateway: 10.0.1.1 is not inside the subnet 10.0.0.0/24"),
    ({"name": "n", "ipam": {"config": [{"subnet": "10.0.0.0/24", "gateway": "10.0.0.0"}]}},
     "is the address of the subnet itself"),
    ({"name": "n", "ipam": {"config": [{"subnet": "10.0.0.0/24", "gateway": "gw"}]}},
     "ipam.config[0].gateway: 'gw' is not an IP address"),
    ({"name": "n", "ipam": {"config": [{"subnet": "10.0.0.0/24", "gateway": "fd00::1"}]}}, "is not inside the subnet"),
    ({"name": "n", "ipam": {"config": [{"subnet": "10.0.0.0/24", "ip_range": "10.0.0.0/23"}]}},
     "ipam.config[0].ip_range: 10.0.0.0/23 is not inside the subnet 10.0.0.0/24"),
    ({"name": "n", "ipam": {"config": [{"subnet": "10.0.0.0/24", "ip_range": "10.0.0.1/25"}]}},
     "ipam.config[0].ip_range: 10.0.0.1/25 has bits set beyond its prefix"),
    ({"name": "n", "ipam": {"config": [{"subnet": "10.0.0.0/24", "aux_addresses": {"h": "10.1.0.1"}}]}},
     "ipam.config[0].aux_addresses.h: 10.1.0.1 is not inside the subnet"),
    ({"name": "n", "ipam": {"config": [{"subnet": "10.0.0.0/24", "aux_addresses": {"h": [1]}}]}},
     "ipam.config[0].aux_addresses.h: the value is a list"),
    ({"name": "n", "ipam": {"config": [{"subnet": "10.0.0.0/16"}, {"subnet": "10.0.3.0/24"}]}},
     "ipam.config[1].subnet: 10.0.3.0/24 overlaps ipam.config[0].subnet 10.0.0.0/16"),
    ({"name": "n", "ipam": {"config": [{"subnet": "fd00::/64"}]}}, "an IPv6 subnet needs enable_ipv6: true"),
    ({"name": "n", "ipam": {"driver": "a b"}}, "ipam.driver: 'a b' is not a driver name"),
    ({"name": "n", "ipam": {"options": {"a": {"b": 1}}}}, "ipam.options.a: the value is a dict"),
    ({"name": "n", "ipam": {"config": [{"subnet": "10.0.0.0/24", "gatway": "x"}]}},
     "ipam.config[0]: unknown key 'gatway'; known keys: subnet, gateway, ip_range, aux_addresses"),
    ({"name": "n", "ipam": {"drivers": "x", 0: 1}},
     "ipam: unknown keys 'drivers', 0; known keys: driver, options, config"),
    ({"name": "n", "ipam": {"x\r" * 100: 1}}, "ipam: unknown key 'x\\rx\\r"),
    ({"name": "n", "ipam": {"config": "10.0.0.0/24"}}, "ipam.config: must be a list of subnets"),
    ({"name": "n", "ipam": {"config": ["10.0.0.0/24"]}}, "ipam.config[0]: '10.0.0.0/24' must be a dictionary"),
    ({"name": "n", "ipam": {"config": [{"subnet": 10}]}}, "ipam.config[0].subnet: 10 is not a subnet"),
    ({"name": "n", "labels": {"a": 10 ** 5000}}, "labels: a number of more than 1,000 digits"),
    ({"name": "n", "driver_options": {"x" * 3000: []}}, "driver_options: 'xxxxx"),
    ({"name": "n", "labels": {"a\rb": "1"}}, "labels: 'a\\rb' is not a name; names are printable"),
    ({"name": "n", "scope": "global"}, "scope"),
    ({"name": "n", "labelz": {}}, "unknown option(s) labelz"),
]


@pytest.mark.parametrize("item,message", BAD_INPUT)
def test_bad_input_is_one_line_naming_the_item_and_option(item, message):
    with pytest.raises(InvalidValue) as refused:
        [(label, merged)] = items(item)
        parse_network(merged, label)
    # Items are named by their name, or by their place in the list where the argument spec refuses them.
    assert message in refused.value.msg
    assert refused.value.msg.startswith((str(item["name"])[:20], "'%s" % str(item["name"])[:20], "networks[0]"))
    assert "\n" not in refused.value.msg and len(refused.value.msg) < 400


def test_good_input_is_normalised():
    network = wanted(name="n", enable_ipv6=True, labels={"a": 1, 2: True}, ipam={"config": [
        {"subnet": "FD00:0::/64", "gateway": "fd00::0001", "aux_addresses": {"x": "fd00::5"}},
        {"subnet": "10.0.0.0/24", "gateway": "10.0.0.1"}]})
    assert network.wanted["labels"] == {"a": "1", "2": "true"}
    assert network.wanted["ipam"]["Config"] == [
        {"Subnet": "fd00::/64", "Gateway": "fd00::1", "AuxiliaryAddresses": {"x": "fd00::5"}},
        {"Subnet": "10.0.0.0/24", "Gateway": "10.0.0.1"}]
    assert "ipam" not in wanted(name="n", ipam={"config": []}).wanted
    assert wanted(name="n", driver="overlay").needs_swarm
    assert not wanted(name="n", driver="overlay", state="absent").needs_swarm


@pytest.mark.parametrize("engine", ENGINES)
def test_differences_compare_only_what_is_given(engine):
    current = load(engine, "network-bridge-ipam")
    assert not differences(wanted(name="rec-bridge-ipam"), current)
    changed = copy.deepcopy(current)
    changed["Labels"]["new"] = "1"
    assert differences(wanted(name="rec-bridge-ipam", labels={"team": "x"}), changed).keys() == ["labels"]
