"""Every module that works on items, driven with generated input through its argument spec and the frame.

For each generated set of parameters the module's own argument spec is applied as AnsibleModule would
(a refusal there is ansible-core's one-line failure); what passes goes through the frame exactly as
the module runs it, against a stand-in engine. Each input must end in a result or a DockhandError
(the task's one line) - never any other exception - and input refused as invalid must have changed
nothing. Registry reads and build contexts are stood in for, so no input reaches the network or
walks a file system.
"""
import os

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.dockhand.docker.plugins.module_utils import (
    containers,
    frame,
    images,
    rollout,
    services,
    swarm_nodes,
)
from ansible_collections.dockhand.docker.plugins.module_utils.errors import DockhandError, InvalidValue
from ansible_collections.dockhand.docker.tests.unit.engine_fixtures import load
from ansible_collections.dockhand.docker.tests.unit.fake_engine import FakeClient

ENGINE = "engine-26.1"
IMAGE = "dockhand-test/busybox:latest"
SETTINGS = dict(deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
COUNT = {}

# ---- values: plausible ones (to get deep into the code) and hostile ones ----

HOSTILE_TEXT = st.sampled_from([
    "", " ", "\x00", "a\x00b", "\n", "x\ny", "\u00b2", "\u0663", "9" * 5000, "-1", "0", "1e400", "nan", "inf",
    "99999", "65536", "tcp://h:\u00b2", "tcp://h:" + "9" * 5000, "/", "..", "*", "${x}", "{{ x }}", "A=B",
    "\ud7ff", "\U0001f600", "0-10000000", "1" * 300,
])
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2 ** 70), max_value=2 ** 70),
                   st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20), HOSTILE_TEXT)
ANY = st.recursive(SCALAR, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                   st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                   max_leaves=6)

PLAUSIBLE = {
    "name": st.sampled_from(["web", "api", "a", "b.c", "x_1", "bad name", "", "-x", "a" * 300]),
    "image": st.sampled_from([IMAGE, "missing/app:1", "Upper/Case", "sha256:" + "0" * 64, "a:b:c", ""]),
    "memory": st.sampled_from(["64m", "1g", "5m", "0", "-1", "1.5k", "64 m", "lots", 67108864, 1.5]),
    "memory_reservation": st.sampled_from(["32m", "1g", "0"]),
    "memory_swap": st.sampled_from(["-1", "128m", "32m", "unlimited"]),
    "cpus": st.sampled_from(["0.5", "2", "3", "0", "-1", "0.0000000001", 0.25, "1e3"]),
    "cpuset_cpus": st.sampled_from(["0", "0-1", "1,0", "0-3", "0-10000000", "a", "3-1", ""]),
    "ports": st.lists(st.sampled_from(["8080:80", "80", "127.0.0.1:5353:53/udp", "99999:80", "[::1]:80:80",
                                       "80/icmp", 8080, "a:b"]), max_size=3),
    "mounts": st.lists(st.one_of(st.sampled_from(["/tmp:/x", "vol:/data:ro", "x", "/a:/b:rw:z"]),
                                 st.fixed_dictionaries({"target": st.sampled_from(["/d", "d", 5])},
                                                       optional={"source": ANY, "type": ANY, "read_only": ANY,
                                                                 "readonly": ANY})), max_size=3),
    "networks": st.lists(st.one_of(st.sampled_from(["net1", "bridge", ""]),
                                   st.fixed_dictionaries({"name": ANY}, optional={"aliases": ANY,
                                                                                  "ipv4_address": ANY})), max_size=3),
    "healthcheck": st.fixed_dictionaries({"test": st.sampled_from(["true", ["CMD", "x"], "NONE", [], 5])},
                                         optional={"interval": ANY, "retries": ANY, "timeout": ANY,
                                                   "intervall": ANY}),
    "ulimits": st.lists(st.one_of(st.sampled_from(["nofile=1024:2048", "nofile=2:1", "bad", "nproc=-1"]),
                                  st.dictionaries(st.sampled_from(["name", "soft", "hard", "max"]), ANY)),
                        max_size=2),
    "log_options": st.dictionaries(st.sampled_from(["max-size", "max-file", "compress", "mode", "tag",
                                                    "splunk-token", "syslog-address", "bogus"]), ANY, max_size=3),
    "log_driver": st.sampled_from(["local", "json-file", "syslog", "none", "nosuch", "a/b:c", ""]),
    "env": st.dictionaries(st.one_of(st.text(max_size=6), st.sampled_from(["A=B", "", "DB_PASSWORD"])), ANY,
                           max_size=3),
    "labels": st.dictionaries(st.text(max_size=6), ANY, max_size=3),
    "command": st.one_of(st.text(max_size=20), st.lists(ANY, max_size=3)),
    "restart_policy": st.sampled_from(["no", "always", "on-failure", "sometimes"]),
    "role": st.sampled_from(["manager", "worker", "boss"]),
    "availability": st.sampled_from(["active", "pause", "drain", "off"]),
}
# Paths reach the file system: only ones that cannot make a test walk or read a large tree.
SAFE_PATHS = st.sampled_from(["/nonexistent/x", "", "relative/dir", "/nonexistent/archive.tar", "\x00"])


TYPED = {
    "str": st.text(max_size=12), "int": st.integers(min_value=-5, max_value=300), "bool": st.booleans(),
    "raw": st.one_of(st.text(max_size=12), st.lists(st.text(max_size=8), max_size=3)),
    "dict": st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=3),
    "list": st.lists(st.text(max_size=8), max_size=3),
}


def value_for(name, entry):
    """A strategy for one option of an argument spec: mostly values of its type, sometimes anything."""
    if name in ("context", "archive_path", "export_path", "path", "dockerfile"):
        return SAFE_PATHS
    if entry.get("type") == "dict" and entry.get("options"):
        return st.one_of(options_for(entry["options"], extra_keys=True), ANY)
    plausible = PLAUSIBLE.get(name)
    if entry.get("choices"):
        plausible = st.sampled_from(list(entry["choices"]))
    plausible = plausible if plausible is not None else TYPED.get(entry.get("type"), ANY)
    return st.one_of(plausible, plausible, plausible, ANY)


def options_for(spec, extra_keys=False, leave_out=()):
    """A strategy of dictionaries taking any subset of the options of ``spec``."""
    names = sorted(name for name in spec if name not in leave_out)
    optional = dict((name, value_for(name, spec[name])) for name in names)
    if extra_keys:
        optional["not_an_option"] = ANY
    # A few options at a time: every option at once would almost always hold a bad value.
    return st.lists(st.sampled_from(names + (["not_an_option"] if extra_keys else [])), max_size=4, unique=True) \
        .flatmap(lambda chosen: st.fixed_dictionaries(dict((name, optional[name]) for name in chosen)))


def with_image(form):
    """Most items of a container need an existing image to get past the image check."""
    if "image" not in form.item_spec:
        return lambda options: options
    return lambda options: dict({"image": IMAGE}, **options)


def items_of(form):
    named = st.tuples(PLAUSIBLE["name"], options_for(form.item_spec, leave_out=(form.name_key,))).map(
        lambda pair: with_image(form)(dict(pair[1], **{form.name_key: pair[0]})))
    return st.lists(st.one_of(named, named, named, ANY), max_size=4)


def top_level(form):
    """Parameters of a module on the frame: the top-level options, and either a name or a list."""
    return st.tuples(options_for(form.item_spec, leave_out=(form.name_key,)).map(with_image(form)),
                     st.one_of(st.builds(lambda name: {form.name_key: name}, PLAUSIBLE["name"]),
                               st.builds(lambda entries: {form.list_key: entries}, items_of(form))))


def validated(form, parts):
    """The parameters after AnsibleModule's checks, or None where ansible-core itself refuses them."""
    kwargs = form.module_kwargs()
    params = frame.checkable(dict(parts[0], **parts[1]), kwargs["argument_spec"])  # as DockhandModule loads them
    result = ArgumentSpecValidator(kwargs["argument_spec"], mutually_exclusive=kwargs["mutually_exclusive"],
                                   required_one_of=kwargs["required_one_of"]).validate(params)
    if result.error_messages:
        return None
    return result.validated_parameters


def outcome(run, client):
    """Run; return 'done', 'refused' or 'failed-item'. Any other exception fails the test."""
    try:
        results = run()
    except InvalidValue as exc:
        assert "\n" not in exc.msg
        assert client.writes == [], "input refused as invalid after a change: %s" % exc.msg
        return "refused"
    except DockhandError as exc:
        assert "\n" not in exc.msg
        return "error"
    for result in results:
        assert "unexpected" not in str(result.get("msg", "")), result
        assert "traceback_text" not in result, result["msg"]
    return "failed-item" if any(result.get("failed") for result in results) else "done"


def count(name, value):
    COUNT.setdefault(name, {}).setdefault(value, 0)
    COUNT[name][value] += 1


@pytest.fixture(autouse=True)
def no_network_no_tree_walks(monkeypatch):
    class NoRegistry(object):
        """Every registry read answers 'not there' without leaving the process."""

        def __init__(self, client, registry, timeout=None):
            pass

        def describe(self, repository, reference):
            return None

        manifest_digest = platforms = describe
    monkeypatch.setattr(images, "RegistryView", NoRegistry)
    monkeypatch.setattr(images, "build_digest", lambda *args, **kwargs: "sha256:" + "1" * 64)
    monkeypatch.setattr(images, "dockerfile_stages", lambda path: ["final"])


def container_engine():
    image = load(ENGINE, "image")
    return FakeClient(containers={"web": load(ENGINE, "full"), "api": load(ENGINE, "limits")},
                      images={IMAGE: image, image["Id"]: image}, info=load(ENGINE, "info"))


@settings(max_examples=4000, **SETTINGS)
@given(parts=top_level(containers.FORM), check_mode=st.booleans())
def test_container_module_inputs(parts, check_mode):
    params = validated(containers.FORM, parts)
    if params is None:
        return count("container", "refused by the argument spec")
    client = container_engine()
    resource = containers.Containers(client, check_mode, diff=True, parallel=1)
    count("container", outcome(lambda: frame.converge(resource, params), client))
    containers.masked_params(params)


@settings(max_examples=2500, **SETTINGS)
@given(parts=top_level(images.FORM), check_mode=st.booleans())
def test_image_module_inputs(parts, check_mode):
    params = validated(images.FORM, parts)
    if params is None:
        return count("image", "refused by the argument spec")
    image = load(ENGINE, "image")
    client = FakeClient(images={IMAGE: image, image["Id"]: image})
    resource = images.Images(client, check_mode, diff=True)
    count("image", outcome(lambda: frame.converge(resource, params), client))
    images.masked_params(params)


@settings(max_examples=2000, **SETTINGS)
@given(parts=top_level(swarm_nodes.FORM), check_mode=st.booleans(), force=st.booleans())
def test_swarm_node_module_inputs(parts, check_mode, force):
    params = validated(swarm_nodes.FORM, parts)
    if params is None:
        return count("swarm_node", "refused by the argument spec")
    client = FakeClient(info=load("engine-20.10", "info-leader"), nodes=load("engine-20.10", "nodes"))
    resource = swarm_nodes.SwarmNodes(client, check_mode, diff=True, force=force)
    count("swarm_node", outcome(lambda: frame.converge(resource, params), client))


@settings(max_examples=2000, **SETTINGS)
@given(parts=top_level(services.FORM), check_mode=st.booleans())
def test_service_module_inputs(parts, check_mode, monkeypatch):
    params = validated(services.FORM, parts)
    if params is None:
        return count("service", "refused by the argument spec")
    monkeypatch.setattr(services, "registry_credentials", lambda registry: None)
    monkeypatch.setattr(rollout, "POLL_SECONDS", 0)
    monkeypatch.setattr(rollout, "DEFAULT_MONITOR", 0)
    client = FakeClient(info=load("engine-20.10", "info-leader"), nodes=load("engine-20.10", "nodes"),
                        networks={"net1": {"Id": "n1", "Scope": "swarm"}},
                        distribution={IMAGE: {"Descriptor": {"digest": "sha256:" + "e" * 64}}},
                        services=[load("engine-26.1", "svc-full")])
    params["wait_timeout"] = 0  # a rollout the stand-in cannot finish fails at once
    resource = services.Services(client, check_mode, diff=True, parallel=1)
    count("service", outcome(lambda: frame.converge(resource, params), client))
    services.masked_params(params)


@settings(max_examples=1500, **SETTINGS)
@given(entries=st.one_of(items_of(containers.FORM), ANY), which=st.sampled_from(["containers", "images"]))
def test_preflight_plans_never_fail_the_read(entries, which):
    client = container_engine()
    plan = containers.plan_items(client, entries) if which == "containers" else images.plan_items(client, entries)
    assert isinstance(plan["in_sync"], bool) and client.writes == []
    assert plan["error"] is None or "unexpected" not in plan["error"], plan["error"]
    count("plans", "in sync" if plan["in_sync"] else "error" if plan["error"] else "changes")


def test_zz_report_the_generated_inputs(capsys):
    # Runs last in this file (pytest keeps file order): says how many inputs each test drove.
    total = sum(sum(counts.values()) for counts in COUNT.values())
    with capsys.disabled():
        print("\ngenerated module inputs: %d %s" % (total, COUNT))
    if os.environ.get("HYPOTHESIS_PROFILE") != "quick":
        assert total >= 10000
