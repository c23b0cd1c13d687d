"""The service planner against services the service module made on Docker 20.10 and 26.1 (recorded): what
the engines keep of every option must plan as unchanged, and each difference is an update in place of
only that option."""

import pytest

from ansible_collections.dockhand.docker.plugins.module_utils.errors import InvalidValue
from ansible_collections.dockhand.docker.plugins.module_utils.reference import parse_reference
from ansible_collections.dockhand.docker.plugins.module_utils.services import (
    FORM,
    masked_params,
    new_spec,
    parse_service,
    pinned_image,
    plan_service,
    registry_auth_header,
)
from ansible_collections.dockhand.docker.tests.unit.engine_fixtures import ENGINES, load, recording

MIB = 1024 * 1024
RECORDING = recording()
RECORDED = dict((name, dict(RECORDING.SERVICE_BASE, name=name, **options))
                for name, options in RECORDING.SERVICES.items())


def wanted(engine, fixture, **changes):
    """The wanted service of ``fixture``'s options with ``changes``, resolved as prepare would (the
    network by the ID the recorded service uses)."""
    params = dict((key, None) for key in FORM.module_spec())
    params.update(FORM.defaults)
    params.update(RECORDED[fixture])
    params.update(changes)
    params["hostname"] = params["hostname"].replace("{% raw %}", "").replace("{% endraw %}", "") \
        if params.get("hostname") else params.get("hostname")
    label, item = FORM.items(params)[0]
    service = parse_service(item, label, load(engine, "info-leader"))
    service.image = parse_reference(item["image"]).familiar if item["image"] else None
    if service.networks is not None:
        recorded = load(engine, fixture)["Spec"]["TaskTemplate"].get("Networks") or [{"Target": "other-net"}]
        service.networks = [dict(dict(Target=recorded[0]["Target"]), **({"Aliases": endpoint["Aliases"]}
                                                                        if endpoint.get("Aliases") else {}))
                            for _name, endpoint in service.networks]
    return service


def plan(engine, fixture, **changes):
    return plan_service(wanted(engine, fixture, **changes), load(engine, fixture))


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("fixture", sorted(RECORDED))
def test_a_service_as_the_module_made_it_plans_unchanged(engine, fixture):
    action, changes, spec = plan(engine, fixture)
    assert (action, changes.keys(), spec) == ("unchanged", [], None)


UPDATES = [
    ("limits", {"memory": "96m", "cpus": "0.25", "pids": 100}, ("TaskTemplate", "Resources", "Limits"),
     {"MemoryBytes": 96 * MIB, "NanoCPUs": 250000000, "Pids": 100}),
    ("limits", {"memory": "96m"}, ("TaskTemplate", "Resources", "Limits"),
     {"MemoryBytes": 96 * MIB, "NanoCPUs": 250000000, "Pids": 100}),
    ("reservations", {"cpus": "0.2"}, ("TaskTemplate", "Resources", "Reservations"),
     {"MemoryBytes": 16 * MIB, "NanoCPUs": 200000000}),
    ("env", {"A": "2", "SECRET_TOKEN": "fake-secret"}, ("TaskTemplate", "ContainerSpec", "Env"),
     ["A=2", "SECRET_TOKEN=fake-secret"]),
    ("update_config", {"order": "stop-first"}, ("UpdateConfig", "Order"), "stop-first"),
    ("placement", {"constraints": ["node.role == manager"]}, ("TaskTemplate", "Placement", "Constraints"),
     ["node.role == manager"]),
    ("publish", [{"target": 80, "published": 18081, "mode": "host"}], ("EndpointSpec", "Ports"),
     [{"Protocol": "tcp", "TargetPort": 80, "PublishedPort": 18081, "PublishMode": "host"}]),
    ("cap_add", ["NET_ADMIN", "SYS_TIME"], ("TaskTemplate", "ContainerSpec", "CapabilityAdd"),
     ["CAP_NET_ADMIN", "CAP_SYS_TIME"]),
    ("restart_policy", {"condition": "any"}, ("TaskTemplate", "RestartPolicy", "Condition"), "any"),
    ("stop_grace_period", "3s", ("TaskTemplate", "ContainerSpec", "StopGracePeriod"), 3 * 10 ** 9),
    ("healthcheck", {"test": "true", "interval": "10s", "retries": 3},
     ("TaskTemplate", "ContainerSpec", "Healthcheck", "Interval"), 10 ** 10),
    ("mounts", [{"type": "tmpfs", "target": "/scratch"}], ("TaskTemplate", "ContainerSpec", "Mounts"),
     [{"Type": "tmpfs", "Source": "", "Target": "/scratch", "ReadOnly": False}]),
]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("option, value, path, expected", UPDATES, ids=[row[0] for row in UPDATES])
def test_each_difference_is_an_update_in_place_of_only_that_option(engine, option, value, path, expected):
    action, changes, spec = plan(engine, "svc-full", **{option: value})
    assert action == "updated" and changes.keys() == [option]
    found = spec
    for key in path:
        found = found[key]
    assert found == expected
    current = load(engine, "svc-full")["Spec"]
    # Everything else of the spec is sent as the engine has it.
    assert spec["Name"] == current["Name"] and spec["TaskTemplate"]["Networks"] == current["TaskTemplate"]["Networks"]
    assert spec["Mode"] == current["Mode"]


@pytest.mark.parametrize("engine", ENGINES)
def test_replicas_image_networks_logging_and_forced_updates(engine):
    assert plan(engine, "svc-full", replicas=3)[2]["Mode"] == {"Replicated": {"Replicas": 3}}
    action, changes, spec = plan(engine, "svc-plain", image="dockhand-test/busybox:other")
    assert changes.keys() == ["image"] and spec["TaskTemplate"]["ContainerSpec"]["Image"] == \
        "dockhand-test/busybox:other"
    assert plan(engine, "svc-full", networks=[{"name": "n", "aliases": ["api"]}])[1].keys() == ["networks"]
    assert plan(engine, "svc-full", log_options={"max-size": "20m"})[1].keys() == ["log"]
    action, changes, spec = plan(engine, "svc-plain", force_update=True)
    assert action == "updated" and spec["TaskTemplate"]["ForceUpdate"] == 1


@pytest.mark.parametrize("engine", ENGINES)
def test_the_mode_cannot_change_in_place(engine):
    with pytest.raises(InvalidValue) as err:
        plan(engine, "svc-plain", mode="global")
    assert "cannot change from replicated to global" in err.value.msg


@pytest.mark.parametrize("engine", ENGINES)
def test_created_and_removed(engine):
    service = wanted(engine, "svc-full")
    action, changes, spec = plan_service(service, None)
    assert action == "created" and spec["TaskTemplate"]["Resources"]["Limits"]["MemoryBytes"] == 64 * MIB
    assert spec == new_spec(service) and spec["Mode"] == {"Replicated": {"Replicas": 2}}
    assert changes.after()["env"] == {"A": "1", "SECRET_TOKEN": "********"}
    assert plan(engine, "svc-plain", state="absent")[0] == "removed"
    assert plan_service(wanted(engine, "svc-plain", state="absent"), None)[0] == "unchanged"


def test_pinning_and_the_registry_auth_header():
    digest = "sha256:" + "b" * 64
    assert pinned_image("registry.example.com/team/web:1.4", digest) == \
        "registry.example.com/team/web:1.4@" + digest
    assert pinned_image("nginx", digest) == "nginx:latest@" + digest
    pinned = "nginx@sha256:" + "c" * 64
    assert pinned_image(pinned, digest) == pinned
    header = registry_auth_header({"username": "u", "password": "p"})
    assert "=" not in header.rstrip("=") and "/" not in header and "+" not in header


@pytest.mark.parametrize("options, fragment", [
    ({"mode": "global", "replicas": 2}, "replicas applies to mode replicated"),
    ({"max_concurrent": 2}, "max_concurrent applies to mode replicated-job"),
    ({"limits": {"memory": "1m"}}, "limits.memory"),
    ({"limits": {"cpus": "0"}}, "limits.cpus"),
    ({"update_config": {"max_failure_ratio": 2.0}}, "max_failure_ratio"),
    ({"update_config": {"delay": "soon"}}, "update_config.delay"),
    ({"placement": {"preferences": [{"pack": "x"}]}}, "placement.preferences[0]"),
    ({"publish": [{"target": 70000}]}, "publish[0].target"),
    ({"networks": [{"name": "n", "ipv4_address": "10.0.0.2"}]}, "fixed ipv4_address"),
    ({"secrets": [{"name": " "}]}, "secrets[0].name"),
    ({"configs": [{"name": "c", "mode": 0o1777}]}, "configs[0].mode"),
    ({"env": {"A=B": "1"}}, "variable name"),
    ({"workdir": "relative"}, "working_dir"),
    ({"name": "x" * 64}, "service name"),
    ({"image": None}, "image is required"),
])
def test_bad_input_is_one_line(options, fragment):
    with pytest.raises(InvalidValue) as err:
        wanted("engine-26.1", "svc-plain", **options)
    assert fragment in err.value.msg and "\n" not in err.value.msg


def test_masked_params_hide_env_secrets_and_the_registry_password():
    shown = masked_params(dict(env={"DB_PASSWORD": "x", "MODE": "1"},
                               registry_auth={"username": "u", "password": "p"},
                               services=[{"name": "a", "env": {"API_TOKEN": "t"}}]))
    assert shown["env"] == {"DB_PASSWORD": "********", "MODE": "1"}
    assert shown["registry_auth"] == {"username": "u", "password": "********"}
    assert shown["services"][0]["env"] == {"API_TOKEN": "********"}
