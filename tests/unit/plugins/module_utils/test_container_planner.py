"""The container planner (plan_container, update_body, create_body) against containers recorded on
Docker 20.10 and 26.1: what each engine reports for options the module set must plan as unchanged,
and every difference must give the right action and update body."""

import pytest

from ansible_collections.dockhand.docker.plugins.module_utils.containers import (
    FORM,
    create_body,
    parse_container,
    plan_container,
)
from ansible_collections.dockhand.docker.plugins.module_utils.errors import InvalidValue
from ansible_collections.dockhand.docker.tests.unit.engine_fixtures import ENGINES, load, recording

MIB = 1024 * 1024
RECORDING = recording()
# The options each recorded container was made with, exactly as the recording gave them to the module.
RECORDED = dict((name, dict(RECORDING.BASE, **options)) for name, options in RECORDING.CONTAINERS.items())
RECORDED["memory-only-updated"] = dict(RECORDED["memory-only-updated"], memory="96m")
RECORDED["stopped"] = dict(RECORDED["stopped"], state="stopped")


def wanted(engine, **options):
    params = dict((key, None) for key in FORM.module_spec())
    params.update(FORM.defaults)
    params.update(options)
    params["name"] = params["name"] or "c"
    label, item = FORM.items(params)[0]
    return parse_container(item, label, load(engine, "info"), load(engine, "image"))


def plan(engine, fixture, **options):
    return plan_container(wanted(engine, **options), load(engine, fixture), load(engine, "info"))


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("fixture", sorted(RECORDED))
def test_a_container_as_the_module_made_it_plans_unchanged(engine, fixture):
    action, changes, update = plan(engine, fixture, **RECORDED[fixture])
    assert (action, changes.keys(), update) == ("unchanged", [], None)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("option, value, body", [
    ("memory_reservation", "16m", {"MemoryReservation": 16 * MIB}),
    ("cpus", "0.25", {"NanoCpus": 250000000}),
    ("cpu_shares", 256, {"CpuShares": 256}),
    ("cpuset_cpus", "0-1", {"CpusetCpus": "0-1"}),
    ("pids_limit", 32, {"PidsLimit": 32}),
    ("restart_policy", "always", {"RestartPolicy": {"Name": "always", "MaximumRetryCount": 0}}),
    ("memory_swap", "256m", {"MemorySwap": 256 * MIB}),
])
def test_each_limit_is_updated_in_place_with_only_its_own_key(engine, option, value, body):
    options = dict(RECORDED["limits"], **{option: value})
    if option == "restart_policy":
        options.pop("restart_retries")
    action, changes, update = plan(engine, "limits", **options)
    assert action == "updated" and changes.keys() == [option]
    assert update == body


@pytest.mark.parametrize("engine", ENGINES)
def test_the_engines_default_swap_follows_a_new_memory(engine):
    # memory-only has the engine's default swap limit: twice the memory.
    assert load(engine, "memory-only")["HostConfig"]["MemorySwap"] == 2 * 64 * MIB
    action, _changes, update = plan(engine, "memory-only", **dict(RECORDED["memory-only"], memory="128m"))
    assert action == "updated" and update == {"Memory": 128 * MIB, "MemorySwap": 256 * MIB}
    # ... as the recorded in-place update shows the engine then reports.
    after = load(engine, "memory-only-updated")["HostConfig"]
    assert (after["Memory"], after["MemorySwap"]) == (96 * MIB, 192 * MIB)


@pytest.mark.parametrize("engine", ENGINES)
def test_unlimited_swap_stays_unlimited(engine):
    _action, _changes, update = plan(engine, "unlimited-swap", **dict(RECORDED["memory-only"], memory="128m"))
    assert update == {"Memory": 128 * MIB}


@pytest.mark.parametrize("engine", ENGINES)
def test_a_memory_above_a_set_swap_limit_keeps_the_amount_of_swap(engine):
    options = dict(RECORDED["limits"], memory="256m")
    options.pop("memory_swap")
    current = load(engine, "limits")
    current["HostConfig"]["MemorySwap"] = 96 * MIB  # 64m of memory and 32m of swap, set by the user
    update = plan_container(wanted(engine, **options), current, load(engine, "info"))[2]
    assert update == {"Memory": 256 * MIB, "MemorySwap": (256 + 32) * MIB}
    # Below the swap limit the engine takes the memory alone.
    assert plan_container(wanted(engine, **dict(options, memory="80m")), current)[2] == {"Memory": 80 * MIB}
    # The recorded limits container has swap = 2 x memory, which cannot be told from the default.
    assert plan(engine, "limits", **options)[2] == {"Memory": 256 * MIB, "MemorySwap": 512 * MIB}


@pytest.mark.parametrize("engine", ENGINES)
def test_cpus_on_a_cpu_quota_container_recreate_it(engine):
    action, changes, update = plan(engine, "cpu-quota", **dict(RECORDING.BASE, cpus="0.5"))
    assert action == "recreated" and "cpus" in changes.keys() and update is None


RECREATE = [
    ("command", ["sleep", "7200"]),
    ("entrypoint", ["/bin/sh"]),
    ("env", {"A": "2", "SECRET_TOKEN": "fake-secret"}),
    ("labels", {"team": "y"}),
    ("ports", ["8081:80", "127.0.0.1:5353:53/udp"]),
    ("mounts", [{"type": "bind", "source": "/tmp", "target": "/host-tmp"}]),
    ("healthcheck", {"test": "true", "interval": "31s", "timeout": "5s", "retries": 3, "start_period": "10s"}),
    ("stop_signal", "SIGINT"),
    ("stop_timeout", 21),
    ("user", "1001:1001"),
    ("working_dir", "/var"),
    ("read_only", False),
    ("init", False),
    ("cap_add", ["NET_ADMIN", "SYS_TIME"]),
    ("cap_drop", []),
    ("ulimits", ["nofile=1024:4096"]),
    ("log_options", {"max-size": "20m", "max-file": "3"}),
    ("log_driver", "json-file"),
    ("networks", ["bridge"]),
]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("option, value", RECREATE, ids=[option for option, _value in RECREATE])
def test_every_other_difference_recreates(engine, option, value):
    options = dict(RECORDED["full"], **{option: value})
    action, changes, update = plan(engine, "full", **options)
    assert action == "recreated" and update is None
    assert changes.keys() == ["log" if option.startswith("log_") else option]


@pytest.mark.parametrize("engine", ENGINES)
def test_another_image_recreates_and_recreate_forces_it(engine):
    current = load(engine, "plain")
    current["Image"] = "sha256:" + "0" * 64
    action, changes, _update = plan_container(wanted(engine, **RECORDED["plain"]), current)
    assert action == "recreated" and changes.keys() == ["image"]
    action, changes, _update = plan(engine, "plain", **dict(RECORDED["plain"], recreate=True))
    assert action == "recreated" and changes.keys() == ["recreate"]


@pytest.mark.parametrize("engine", ENGINES)
def test_lifecycle(engine):
    plain = RECORDED["plain"]
    assert plan(engine, "stopped", **plain)[0] == "started"
    assert plan(engine, "stopped", **dict(plain, state="present"))[0] == "unchanged"
    assert plan(engine, "plain", **dict(plain, state="stopped"))[0] == "stopped"
    assert plan(engine, "plain", **dict(plain, state="restarted"))[0] == "restarted"
    assert plan(engine, "plain", **dict(plain, state="absent"))[0] == "removed"
    assert plan_container(wanted(engine, **dict(plain, state="absent")), None)[0] == "unchanged"
    action, changes, _update = plan_container(wanted(engine, **plain), None)
    assert action == "created" and changes.keys()[:2] == ["command", "exists"]
    # A limit and a lifecycle change in one run: updated (and started).
    action, changes, update = plan(engine, "stopped", **dict(plain, pids_limit=10))
    assert action == "updated" and "running" in changes.keys() and update == {"PidsLimit": 10}


@pytest.mark.parametrize("engine", ENGINES)
def test_secret_env_values_are_masked_in_the_changes(engine):
    options = dict(RECORDED["full"], env={"A": "2", "SECRET_TOKEN": "new-secret", "DB_URL": "postgres://x"},
                   secret_env=["DB_URL"])
    _action, changes, _update = plan(engine, "full", **options)
    before, after = changes.before()["env"], changes.after()["env"]
    assert before["SECRET_TOKEN"] == after["SECRET_TOKEN"] == "********" and after["DB_URL"] == "********"
    assert (before["A"], after["A"]) == ("1", "2")
    assert "new-secret" not in repr(changes.as_diff()) and "fake-secret" not in repr(changes.as_diff())


def test_create_body_puts_config_keys_at_the_top_and_limits_in_the_host_config():
    options = dict(RECORDED["full"], memory="64m", networks=["rec-net", {"name": "two", "aliases": ["b"]}])
    body, extra = create_body(wanted("engine-26.1", **options))
    assert body["Cmd"] == ["sleep", "3600"] and body["Image"] == "dockhand-test/busybox:latest"
    assert body["HostConfig"]["Memory"] == 64 * MIB and "Config" not in body
    assert body["ExposedPorts"] == {"53/udp": {}, "80/tcp": {}}
    assert body["HostConfig"]["NetworkMode"] == "rec-net"
    assert extra == [("two", {"Aliases": ["b"]})]


@pytest.mark.parametrize("options, fragment", [
    ({"mounts": [{"target": "/data", "readonly": True}]}, "unknown key readonly; known keys: type, source"),
    ({"healthcheck": {"test": "true", "intervall": "5s"}}, "unknown key intervall"),
    ({"networks": [{"name": "n", "aliases": "web"}]}, "aliases: must be a list"),
    ({"networks": [{"name": "n", "alias": ["web"]}]}, "unknown key alias"),
    ({"restart_retries": 3}, "restart_retries needs restart_policy"),
    ({"env": {"A=B": "1"}}, "is not a variable name"),
    ({"env": {"": "1"}}, "is not a name"),
    ({"env": {"A": ["x"]}}, "env.A: the value is a list"),
    ({"mounts": [{"source": 5, "target": "/x"}]}, "mounts[0].source: 5 must be a string"),
    ({"ports": ["\u00b2:80"]}, "is not a port mapping"),
    ({"ports": ["9" * 5000 + ":80"]}, "is not a port mapping"),
    ({"ports": ["99999:80"]}, "is not a port mapping"),
    ({"cpuset_cpus": "0-10000000"}, "is not a CPU list"),
    ({"cpuset_cpus": "0-3"}, "names CPU 3, but the engine has CPUs 0-1 only"),
    ({"ulimits": [{"name": "nofile", "soft": 1, "hard": 2, "max": 3}]}, "unknown key max"),
    ({"ulimits": ["nofiles=1:2"]}, "is not a resource limit"),
    ({"command": ["a\x00b"]}, "NUL"),
    ({"memory": "64m", "memory_reservation": "128m"}, "memory_reservation is larger than memory"),
    ({"name": "bad name"}, "is not a container name"),
    ({"working_dir": None, "mounts": [{"type": "tmpfs", "source": "x", "target": "/t"}]}, "takes no source"),
])
def test_wrong_input_is_refused_with_one_line(options, fragment):
    with pytest.raises(InvalidValue) as err:
        wanted("engine-26.1", **dict(RECORDED["plain"], **options))
    assert fragment in err.value.msg and "\n" not in err.value.msg


def test_an_env_error_never_quotes_a_value():
    with pytest.raises(InvalidValue) as err:
        wanted("engine-26.1", **dict(RECORDED["plain"], env={"DB_PASSWORD": {"nested": "hunter2"}}))
    assert "hunter2" not in err.value.msg
