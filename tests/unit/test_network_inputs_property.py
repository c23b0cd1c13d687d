"""The network module's argument spec driven with generated input through the frame, against a stand-in
engine that holds the recorded networks, their containers and a service (see test_module_inputs_property.py
for the pattern). Every input ends in a result or a DockhandError of one line - never another exception -
input refused as invalid changed nothing, and check mode never changes anything."""
import os
import re

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.dockhand.docker.plugins.module_utils import frame, networks
from ansible_collections.dockhand.docker.plugins.module_utils.errors import DockhandError, InvalidValue
from ansible_collections.dockhand.docker.tests.unit.engine_fixtures import ENGINES, load
from ansible_collections.dockhand.docker.tests.unit.fake_engine import FakeClient
from ansible_collections.dockhand.docker.tests.unit.strategies import (
    PROPERTY,
    assert_one_line,
    fragments_text,
    hostile_text,
    json_like,
    mappings,
    scalars,
    weighted,
)

COUNT = {}
# How frame.validated_options starts a refusal of an item of the list (before this module sees the item).
FRAME_REFUSAL = re.compile(r"^networks\[[0-9]+\]: (unknown option|.*(must be|is of type|Supported parameters))")
FORM = networks.FORM
ANY = json_like(max_leaves=6)

NAMES = weighted((6, st.sampled_from(["web", "rec-bridge", "rec-bridge-ipam", "rec-overlay", "rec-overlay-full",
                                      "bridge", "ingress", "host", "docker_gwbridge", "a.b_c-1"])),
                 (1, st.sampled_from(["bad name", "", "-x", "a" * 300, "x/y", "\u00b2"])), (1, hostile_text()))
ADDRESS = fragments_text(["10", ".", "0", "70", "80", "1", "/", "24", "25", "16", "33", ":", "fd00", "::", "ffff",
                          "255", "256", "/64", "/129", "\u0661", "-"])
SUBNETS = st.sampled_from(["10.70.0.0/24", "10.80.0.0/24", "10.9.0.0/16", "10.9.1.0/24", "fd00:70::/64",
                           "10.70.0.5/24", "10.70.0.0", "0.0.0.0/0", "fd00::/8"])
HOSTS = st.sampled_from(["10.70.0.1", "10.70.0.200", "10.80.0.1", "10.9.0.1", "fd00:70::1", "10.70.0.0", "gw"])
GOOD_CONFIGS = st.sampled_from([
    {"subnet": "10.70.0.0/24"}, {"subnet": "10.70.0.0/24", "gateway": "10.70.0.1"},
    {"subnet": "10.70.0.0/24", "gateway": "10.70.0.1", "ip_range": "10.70.0.128/25",
     "aux_addresses": {"h": "10.70.0.5"}},
    {"subnet": "10.80.0.0/24", "gateway": "10.80.0.1"}, {"subnet": "10.9.0.0/16"}, {"subnet": "fd00:70::/64"},
    {"subnet": "fd00:70::/64", "gateway": "fd00:70::1"}])
CONFIG = weighted((3, GOOD_CONFIGS), (2, st.fixed_dictionaries({}, optional={
    "subnet": weighted((4, SUBNETS), (2, ADDRESS), (1, scalars())),
    "gateway": weighted((4, HOSTS), (1, ADDRESS), (1, scalars())),
    "ip_range": weighted((3, SUBNETS), (1, ADDRESS)),
    "aux_addresses": weighted((3, mappings(st.sampled_from(["h", "host1", ""]), HOSTS)), (1, ANY))})),
    (1, st.fixed_dictionaries({"subnet": SUBNETS, "gatway": ANY})))
IPAM = weighted((6, st.fixed_dictionaries({}, optional={
    "driver": st.sampled_from(["default", "other", "a b", ""]),
    "options": weighted((3, mappings(st.sampled_from(["foo", "x", ""]), st.sampled_from(["bar", "1"]))), (1, ANY)),
    "config": weighted((6, st.lists(CONFIG, max_size=3)), (1, ANY)),
    "bogus": ANY})), (1, ANY))
PLAUSIBLE = {
    "name": NAMES,
    "state": st.sampled_from(["present", "absent", "gone"]),
    "driver": st.sampled_from(["bridge", "overlay", "macvlan", "vendor/net:1.0", "", "bad driver", "overlay "]),
    "scope": st.sampled_from(["local", "swarm", "global"]),
    "ipam": IPAM,
    "labels": weighted((4, mappings(st.sampled_from(["team", "a", "", "x\x00"]), scalars())), (1, ANY)),
    "driver_options": weighted((4, mappings(st.sampled_from(["com.docker.network.driver.mtu", "encrypted", "x"]),
                                            scalars())), (1, ANY)),
}
BOOLEANS = ("attachable", "internal", "encrypted", "enable_ipv6", "force")


def value_for(name):
    if name in BOOLEANS:
        return weighted((6, st.booleans()), (1, st.sampled_from(["yes", "no", "maybe", 2])), (1, ANY))
    return weighted((5, PLAUSIBLE[name]), (1, ANY))


OPTIONS = dict((name, value_for(name)) for name in sorted(FORM.item_spec) if name != "name")
ITEM = st.lists(st.sampled_from(sorted(OPTIONS) + ["not_an_option"]), max_size=5, unique=True).flatmap(
    lambda chosen: st.fixed_dictionaries(dict((key, OPTIONS.get(key, ANY)) for key in chosen)))
NAMED_ITEM = st.tuples(NAMES, ITEM).map(lambda pair: dict(pair[1], name=pair[0]))
PARAMS = st.tuples(ITEM.map(lambda item: dict((key, value) for key, value in item.items() if key != "not_an_option")),
                   weighted((2, NAMES.map(lambda name: {"name": name})),
                            (2, st.lists(weighted((4, NAMED_ITEM), (1, ANY)), max_size=4).map(
                                lambda entries: {"networks": entries}))),
                   weighted((6, st.just({})), (1, st.fixed_dictionaries({"wait_timeout": weighted(
                       (3, st.integers(-5, 300)), (1, ANY))}))))


def validated(parts):
    """The parameters after AnsibleModule's checks, or None where ansible-core itself refuses them."""
    kwargs = FORM.module_kwargs()
    raw = dict(parts[0], **parts[1])
    raw.update(parts[2])
    try:
        params = frame.checkable(raw, kwargs["argument_spec"])
        result = ArgumentSpecValidator(kwargs["argument_spec"], mutually_exclusive=kwargs["mutually_exclusive"],
                                       required_one_of=kwargs["required_one_of"]).validate(params)
    except ValueError as exc:
        # A defect of the frame shared by every module (reported), not of this one: frame.checkable leaves an
        # integer of more than 4,300 digits as it is where the option is no int (ipam: 10 ** 4300, scope:
        # 10 ** 4300), and str() of it raises, in _checkable_options and in ansible-core's message for a value
        # not among the choices. Turning such integers into text in frame.finite() would refuse them in one line.
        assert "integer string conversion" in str(exc), exc
        count("network", "frame defect: an integer of over 4,300 digits where no int is taken")
        return None
    if result.error_messages:
        count("network", "refused by the argument spec")
        return None
    return result.validated_parameters


def stand_in(engine, info):
    containers = dict((load(engine, name)["Name"].lstrip("/"), load(engine, name)) for name in (
        "network-user-fixed", "network-user-alias", "network-overlay-user", "network-task-user"))
    stored = dict((load(engine, name)["Name"], load(engine, name)) for name in (
        "network-bridge", "network-bridge-used", "network-overlay-service", "network-overlay-used",
        "network-predefined-bridge", "network-ingress"))
    return FakeClient(info=load(engine, info), containers=containers, networks=stored,
                      services=load(engine, "services-network"))


def outcome(params, client, check_mode):
    try:
        resource = networks.Networks(client, check_mode, diff=True, wait_timeout=params["wait_timeout"],
                                     sleep=lambda seconds: None)
        results = frame.converge(resource, params)
    except InvalidValue as exc:
        if FRAME_REFUSAL.match(exc.msg):
            # The frame's refusal of a list item quotes ansible-core's message and the unknown option names as
            # they are: no newline (the frame joins lines), but a value's whole length and control characters
            # such as \r (reported). This module's own messages cut values short and quote them.
            assert "\n" not in exc.msg
        else:
            assert_one_line(exc)
        assert client.writes == [], "input refused as invalid after a change: %s" % exc.msg
        return "refused"
    except DockhandError as exc:
        assert_one_line(exc)
        return "error"
    except ValueError as exc:
        # The frame defect described in validated(), met again by frame.validated_options for an item of the list.
        assert "integer string conversion" in str(exc) and client.writes == [], exc
        return "frame defect: an integer of over 4,300 digits where no int is taken"
    if check_mode:
        assert client.writes == []
    for result in results:
        assert "unexpected" not in str(result.get("msg", "")), result
        assert "traceback_text" not in result, result.get("msg")
    return "failed-item" if any(result.get("failed") for result in results) else "done"


def count(name, value):
    COUNT.setdefault(name, {}).setdefault(value, 0)
    COUNT[name][value] += 1


@settings(PROPERTY, max_examples=1600)
@given(parts=PARAMS, check_mode=st.booleans(), engine=st.sampled_from(ENGINES),
       info=st.sampled_from(["info-leader", "info-leader", "info-worker", "info"]))
def test_network_module_inputs(parts, check_mode, engine, info):
    params = validated(parts)
    if params is None:
        return
    count("network", outcome(params, stand_in(engine, info), check_mode))


@settings(PROPERTY, max_examples=600)
@given(config=st.lists(CONFIG, max_size=3), enable_ipv6=st.booleans())
def test_ipam_configs_parse_or_are_refused_in_one_line(config, enable_ipv6):
    items = [("n", {"name": "n", "state": "present", "enable_ipv6": enable_ipv6,
                    "ipam": {"driver": None, "options": None, "config": config}})]
    try:
        for label, item in FORM.items(dict(FORM.defaults, networks=[items[0][1]], name=None,
                                           **dict((key, None) for key in FORM.item_spec if key not in FORM.defaults
                                                  and key != "name"))):
            parsed = networks.parse_network(item, label)
    except InvalidValue as exc:
        assert_one_line(exc)
        return count("ipam", "refused")
    configs = (parsed.wanted.get("ipam") or {}).get("Config") or []
    assert all("/" in entry["Subnet"] for entry in configs)
    count("ipam", "parsed")


def test_zz_report_the_generated_inputs(capsys):
    # Runs last in this file: says how many inputs each test drove.
    total = sum(sum(counts.values()) for counts in COUNT.values())
    with capsys.disabled():
        print("\ngenerated network inputs: %d %s" % (total, COUNT))
    if os.environ.get("HYPOTHESIS_PROFILE") != "quick":
        assert sum(COUNT.get("network", {}).values()) >= 1500
