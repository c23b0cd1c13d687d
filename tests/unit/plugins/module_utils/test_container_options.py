"""The container option table: parsing, normalising and showing values (no engine needed)."""
import pytest

from ansible_collections.dockhand.docker.plugins.module_utils.container_options import (
    API_OPTIONS,
    OPTIONS_BY_NAME,
    Context,
)
from ansible_collections.dockhand.docker.plugins.module_utils.containers import FORM
from ansible_collections.dockhand.docker.plugins.module_utils.units import InvalidValue

ENGINE = {"NCPU": 2, "Plugins": {"Log": ["json-file", "local", "syslog"]}, "LoggingDriver": "json-file"}
IMAGE = {"Config": {"Env": ["PATH=/bin", "FROM_IMAGE=1"], "Labels": {"maintainer": "me"}}}


def parse(name, value, **item):
    item.setdefault(name, value)
    return OPTIONS_BY_NAME[name].parse(value, Context(item, ENGINE, IMAGE))


def test_every_api_option_has_a_location_and_argument_spec():
    spec = FORM.item_spec
    for option in API_OPTIONS:
        assert option.path[0] in ("Config", "HostConfig") and option.key
        assert option.name in spec and "default" not in spec[option.name]
    updatable = sorted(option.name for option in API_OPTIONS if option.updatable)
    assert updatable == ["cpu_shares", "cpus", "cpuset_cpus", "memory", "memory_reservation", "memory_swap",
                         "pids_limit", "restart_policy"]


@pytest.mark.parametrize("value, expected", [
    (["8080:80"], {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}),
    (["80"], {"80/tcp": [{"HostIp": "", "HostPort": ""}]}),
    (["127.0.0.1:5353:53/udp"], {"53/udp": [{"HostIp": "127.0.0.1", "HostPort": "5353"}]}),
    (["0.0.0.0:8080:80"], {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}),
    (["127.0.0.1::80"], {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": ""}]}),
    (["9090:80", "8080:80"], {"80/tcp": [{"HostIp": "", "HostPort": "8080"}, {"HostIp": "", "HostPort": "9090"}]}),
    ([8080], {"8080/tcp": [{"HostIp": "", "HostPort": ""}]}),
])
def test_ports(value, expected):
    assert parse("ports", value) == expected


def test_ports_compare_with_what_the_engine_reports():
    engine_view = {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}]}
    option = OPTIONS_BY_NAME["ports"]
    assert option.normalise(engine_view, None) == parse("ports", ["8080:80/tcp"])
    assert option.show(parse("ports", ["127.0.0.1:5353:53/udp", "8080:80"])) == ["127.0.0.1:5353:53/udp", "8080:80"]


@pytest.mark.parametrize("value", [["99999:80"], ["8080:0"], ["a:b"], ["8080:80/icmp"], ["127.0.0.1:8080:"], "8080:80"])
def test_bad_ports(value):
    with pytest.raises(InvalidValue) as err:
        parse("ports", value)
    assert str(err.value).startswith("ports: ")


@pytest.mark.parametrize("value, expected", [("0", "0"), ("0-1", "0-1"), ("1,0", "0-1"), ("0-0", "0"), ("1", "1")])
def test_cpuset_is_canonical(value, expected):
    assert parse("cpuset_cpus", value) == expected


@pytest.mark.parametrize("value, fragment", [("2", "names CPU 2"), ("0-5", "names CPU 5"), ("x", "not a CPU list"),
                                             ("1-0", "not a CPU list"), ("", "not a CPU list")])
def test_bad_cpuset(value, fragment):
    with pytest.raises(InvalidValue, match=fragment):
        parse("cpuset_cpus", value)


def test_cpus_against_host_and_nano_cpus():
    assert parse("cpus", "0.25") == 250000000
    assert parse("cpus", 2) == 2000000000
    with pytest.raises(InvalidValue, match="more than the 2 CPUs"):
        parse("cpus", "2.5")


def test_memory_minimum_and_swap_rules():
    assert parse("memory", "6m") == 6 * 1024 * 1024
    with pytest.raises(InvalidValue, match="minimum"):
        parse("memory", "5m")
    assert parse("memory_swap", "-1", memory="64m") == -1
    assert parse("memory_swap", "64m", memory="64m") == 64 * 1024 * 1024
    with pytest.raises(InvalidValue, match="smaller than memory"):
        parse("memory_swap", "63m", memory="64m")


@pytest.mark.parametrize("value, expected", [(["NET_ADMIN", "cap_sys_time"], ["NET_ADMIN", "SYS_TIME"]),
                                             (["ALL"], ["ALL"]), (["CAP_CHOWN", "CHOWN"], ["CHOWN"])])
def test_capabilities(value, expected):
    assert parse("cap_add", value) == expected


def test_capabilities_compare_with_engine_prefix():
    assert OPTIONS_BY_NAME["cap_add"].normalise(["CAP_NET_ADMIN"], None) == ["NET_ADMIN"]
    with pytest.raises(InvalidValue, match="not a Linux capability"):
        parse("cap_drop", ["NOT_A_CAP"])


def test_env_merges_the_image_environment_for_comparison():
    option = OPTIONS_BY_NAME["env"]
    wanted = parse("env", {"A": 1, "FLAG": False, "EMPTY": None})
    assert wanted == ["A=1", "EMPTY=", "FLAG=false"]
    merged = option.compare_form(wanted, Context({}, ENGINE, IMAGE))
    assert merged == ["A=1", "EMPTY=", "FLAG=false", "FROM_IMAGE=1", "PATH=/bin"]
    overridden = option.compare_form(parse("env", {"PATH": "/usr/bin"}), Context({}, ENGINE, IMAGE))
    assert "PATH=/usr/bin" in overridden and "PATH=/bin" not in overridden


def test_command_string_or_list():
    assert parse("command", "sh -c 'echo a b'") == ["sh", "-c", "echo a b"]
    assert parse("command", ["sleep", 10]) == ["sleep", "10"]
    with pytest.raises(InvalidValue, match="cannot be split"):
        parse("command", "echo 'unterminated")


def test_mounts_and_ulimits():
    assert parse("mounts", ["/srv:/data:ro", "cache:/cache"]) == [
        {"Type": "volume", "Source": "cache", "Target": "/cache", "ReadOnly": False},
        {"Type": "bind", "Source": "/srv", "Target": "/data", "ReadOnly": True}]
    with pytest.raises(InvalidValue, match="not an absolute path"):
        parse("mounts", [{"type": "bind", "source": "rel", "target": "/x"}])
    assert parse("ulimits", ["nofile=1024:2048", {"name": "core", "soft": 0}]) == [
        {"Name": "core", "Soft": 0, "Hard": 0}, {"Name": "nofile", "Soft": 1024, "Hard": 2048}]
    with pytest.raises(InvalidValue, match="soft limit above"):
        parse("ulimits", ["nofile=10:5"])


def test_healthcheck_forms_compare_equal():
    short = parse("healthcheck", {"test": "curl -f localhost", "interval": "30s", "retries": 3})
    long = parse("healthcheck", {"test": ["CMD-SHELL", "curl -f localhost"], "interval": 30, "retries": 3})
    assert short == long == {"Test": ["CMD-SHELL", "curl -f localhost"], "Interval": 30 * 10 ** 9, "Retries": 3}
    assert OPTIONS_BY_NAME["healthcheck"].show(short)["Interval"] == "30s"
    assert parse("healthcheck", {"test": "NONE"}) == {"Test": ["NONE"]}


def test_restart_policy_and_retries():
    assert parse("restart_policy", "on-failure", restart_retries=3) == {"Name": "on-failure", "MaximumRetryCount": 3}
    assert OPTIONS_BY_NAME["restart_policy"].normalise({"Name": "", "MaximumRetryCount": 0}, None) == \
        {"Name": "no", "MaximumRetryCount": 0}
    with pytest.raises(InvalidValue, match="only to restart_policy 'on-failure'"):
        parse("restart_policy", "always", restart_retries=2)


def test_pids_and_shares_normalise_engine_defaults():
    assert parse("pids_limit", 0) == -1
    assert OPTIONS_BY_NAME["pids_limit"].normalise(None, None) == -1
    assert OPTIONS_BY_NAME["pids_limit"].normalise(0, None) == -1
    assert OPTIONS_BY_NAME["cpu_shares"].normalise(0, None) == 1024


def params(**kwargs):
    base = dict((name, None) for name in FORM.item_spec)
    base.update(FORM.defaults)
    base.update(containers=None, parallel=4)
    base.update(kwargs)
    return base


def test_merge_items_applies_top_level_defaults():
    containers = [{"name": "a"}, {"name": "b", "memory": "1g"}]
    top = params(image="busybox", memory="64m", containers=containers)
    items = FORM.items(top)
    assert [(label, item["name"], item["memory"], item["image"], item["state"]) for label, item in items] == [
        ("a", "a", "64m", "busybox", "started"), ("b", "b", "1g", "busybox", "started")]


@pytest.mark.parametrize("containers, fragment", [
    ([{"name": "a"}, {"name": "a"}], "used twice"),
    ([{"image": "x"}], "every item needs a name"),
    ([{"name": "a", "colour": "red"}], "unknown option(s) colour"),
    ([{"name": "a", "state": "sideways"}], "containers[0]"),
    (["a"], "must be a dictionary"),
])
def test_merge_items_rejects(containers, fragment):
    with pytest.raises(InvalidValue) as err:
        FORM.items(params(containers=containers))
    assert fragment in str(err.value)
