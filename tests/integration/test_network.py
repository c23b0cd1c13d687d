"""dockhand.docker.network with bridge networks on this machine's engine, through ansible-playbook; the docker
CLI is the independent check."""
import json
import subprocess

import pytest

from ansible_runner import run_playbook

pytestmark = pytest.mark.engine

PREFIX = "dockhand-test-net-"
NET = PREFIX + "a"
USER = PREFIX + "user"
SUBNET = {"config": [{"subnet": "10.231.1.0/24", "gateway": "10.231.1.1", "ip_range": "10.231.1.128/25"}]}


def docker(*args, check=True):
    proc = subprocess.run(["docker"] + list(args), capture_output=True, text=True, check=False, timeout=120)
    if check and proc.returncode != 0:
        raise AssertionError("docker %s: %s" % (" ".join(args), proc.stderr))
    return proc.stdout.strip()


def network(name):
    out = subprocess.run(["docker", "network", "inspect", name], capture_output=True, text=True, check=False)
    return json.loads(out.stdout)[0] if out.returncode == 0 else None


def endpoint(container, net):
    return json.loads(docker("inspect", container))[0]["NetworkSettings"]["Networks"].get(net)


def ours():
    return sorted(docker("network", "ls", "--filter", "name=" + PREFIX, "--format", "{{.Name}}").split())


def run(args, extra_args=()):
    run = run_playbook([{"name": "network", "dockhand.docker.network": args}], extra_args=extra_args)
    return run, run.result()


@pytest.fixture(autouse=True)
def clean(engine):
    def remove_all():
        containers = docker("ps", "-aq", "--filter", "name=^" + PREFIX).split()
        if containers:
            docker("rm", "-f", *containers)
        if ours():
            docker("network", "rm", *ours())
    remove_all()
    yield
    remove_all()


def test_create_check_mode_idempotent_and_a_change_recreates():
    args = {"name": NET, "ipam": SUBNET, "labels": {"team": "web"}, "internal": True,
            "driver_options": {"com.docker.network.driver.mtu": "1400"}}
    check, result = run(args, extra_args=["--check", "--diff"])
    assert check.returncode == 0, check.stdout[-2000:]
    assert result["changed"] is True and result["network"]["action"] == "created" and network(NET) is None

    first, result = run(args)
    assert result["changed"] is True and result["network"]["action"] == "created", first.stdout[-2000:]
    made = network(NET)
    assert result["network"]["id"] == made["Id"] and made["Internal"] is True and made["Labels"] == {"team": "web"}
    assert made["IPAM"]["Config"] == [{"Subnet": "10.231.1.0/24", "Gateway": "10.231.1.1",
                                       "IPRange": "10.231.1.128/25"}]
    assert made["Options"] == {"com.docker.network.driver.mtu": "1400"}

    again, result = run(args)
    assert result["changed"] is False and result["network"]["action"] == "unchanged"
    assert result["network"]["id"] == made["Id"] == network(NET)["Id"]

    preview, result = run(dict(args, labels={"team": "api"}), extra_args=["--check", "--diff"])
    assert result["changed"] is True and result["network"]["action"] == "recreated"
    assert result["diff"] == [{"before": {"labels": {"team": "web"}}, "after": {"labels": {"team": "api"}},
                               "before_header": NET + " (current)", "after_header": NET + " (wanted)"}]
    assert network(NET)["Id"] == made["Id"]

    changed, result = run(dict(args, labels={"team": "api"}))
    assert result["network"]["action"] == "recreated" and result["network"]["detached"] == []
    now = network(NET)
    assert now["Id"] == result["network"]["id"] != made["Id"]
    assert now["Labels"] == {"team": "api"} and now["Internal"] is True  # what was not changed stays
    assert now["IPAM"]["Config"] == made["IPAM"]["Config"]


def test_in_use_is_refused_naming_the_container_and_force_reattaches_it(test_image):
    run(dict(name=NET, ipam=SUBNET))
    before = network(NET)["Id"]
    docker("run", "-d", "--name", USER, "--network", NET, "--network-alias", "web", "--network-alias", "www",
           "--ip", "10.231.1.200", test_image, "sleep", "1000")

    refused, result = run(dict(name=NET, ipam=SUBNET, labels={"v": "2"}))
    message = result["msg"]
    assert refused.returncode != 0 and "\n" not in message
    assert "must be recreated to change labels, but it is in use by container %s (aliases web, www; 10.231.1.200)" \
        % USER in message and "force: true" in message
    assert network(NET)["Id"] == before

    absent, result = run(dict(name=NET, state="absent"))
    assert absent.returncode != 0 and "is to be removed, but it is in use by container " + USER in result["msg"]
    assert network(NET)["Id"] == before

    forced, result = run(dict(name=NET, ipam=SUBNET, labels={"v": "2"}, force=True), extra_args=["--diff"])
    assert forced.returncode == 0, forced.stdout[-3000:]
    entry = result["network"]
    assert entry["action"] == "recreated" and entry["id"] == network(NET)["Id"] != before
    expected = [{"type": "container", "name": USER, "id": json.loads(docker("inspect", USER))[0]["Id"],
                 "aliases": ["web", "www"], "ipv4_address": "10.231.1.200"}]
    assert entry["detached"] == entry["reattached"] == expected
    attached = endpoint(USER, NET)
    assert attached["NetworkID"] == entry["id"] and attached["IPAddress"] == "10.231.1.200"
    assert attached["IPAMConfig"]["IPv4Address"] == "10.231.1.200"
    assert attached["Aliases"][:2] == ["web", "www"]
    assert json.loads(docker("inspect", USER))[0]["State"]["Running"] is True

    again, result = run(dict(name=NET, ipam=SUBNET, labels={"v": "2"}, force=True))
    assert result["changed"] is False and result["network"]["id"] == entry["id"]

    outside, result = run(dict(name=NET, ipam={"config": [{"subnet": "10.231.2.0/24"}]}, force=True))
    assert outside.returncode != 0 and "fixed addresses of %s (10.231.1.200) would be outside" % USER in result["msg"]
    assert network(NET)["Id"] == entry["id"]

    removed, result = run(dict(name=NET, state="absent", force=True))
    assert result["network"]["action"] == "removed" and network(NET) is None
    assert [item["name"] for item in result["network"]["detached"]] == [USER]
    assert endpoint(USER, NET) is None and json.loads(docker("inspect", USER))[0]["State"]["Running"] is True


def test_many_networks_in_one_task_and_predefined_ones_left_alone():
    many, result = run({"labels": {"set": "one"}, "networks": [{"name": PREFIX + "m1"}, {"name": PREFIX + "m2"}]})
    assert [item["action"] for item in result["networks"]] == ["created", "created"]
    assert network(PREFIX + "m2")["Labels"] == {"set": "one"}
    again, result = run({"labels": {"set": "one"}, "networks": [{"name": PREFIX + "m1"}, {"name": PREFIX + "m2"}]})
    assert result["changed"] is False
    bridge, result = run({"name": "bridge", "labels": {"x": "y"}})
    assert bridge.returncode != 0 and "one the engine defines itself; it cannot be recreated" in result["msg"]
    assert run({"name": "bridge"})[1]["changed"] is False


# At least 8 bad inputs in one run: each fails in one line naming what is wrong; nothing is created.
BAD = [
    ({"name": PREFIX + "b1", "ipam": {"config": [{"subnet": "10.231.3.5/24"}]}}, "has bits set beyond its prefix"),
    ({"name": PREFIX + "b2", "ipam": {"config": [{"subnet": "10.231.3.0/24", "gateway": "10.231.4.1"}]}},
     "gateway: 10.231.4.1 is not inside the subnet 10.231.3.0/24"),
    ({"name": PREFIX + "b3", "ipam": {"config": [{"subnet": "10.231.3.0/24", "ip_range": "10.231.0.0/16"}]}},
     "ip_range: 10.231.0.0/16 is not inside the subnet"),
    ({"name": PREFIX + "b4", "ipam": {"config": [{"subnet": "10.231.0.0/16"}, {"subnet": "10.231.5.0/24"}]}},
     "overlaps ipam.config[0].subnet"),
    ({"name": PREFIX + "b5", "ipam": {"config": [{"subnet": "10.231.3.0/24", "gatway": "10.231.3.1"}]}},
     "unknown key 'gatway'"),
    ({"name": PREFIX + "b6", "encrypted": True}, "only overlay networks are encrypted"),
    ({"name": PREFIX + "b7", "driver": "overlay"}, "an overlay network is made on a swarm manager"),
    ({"name": "bad name!"}, "is not a network name"),
    ({"name": PREFIX + "b9", "driver_options": {"encrypted": ""}}, "give encrypted: true instead"),
    ({"name": PREFIX + "b10", "labels": {"a": {"b": 1}}}, "labels.a: the value is a dict"),
    ({"name": PREFIX + "b11", "ipam": {"config": [{"subnet": "fd00:231::/64"}]}}, "needs enable_ipv6: true"),
    ({"networks": [{"name": PREFIX + "b12"}, {"name": PREFIX + "b12"}]}, "is used twice"),
    ({"name": "host", "state": "absent"}, "defines itself; it cannot be removed"),
    ({"name": PREFIX + "b14", "wait_timeout": 0}, "wait_timeout"),
]


@pytest.mark.whole_engine  # compares every network of the engine
def test_bad_input_is_one_line_each_and_creates_nothing():
    networks_before = docker("network", "ls", "-q").split()
    tasks = [{"name": "bad %d" % index, "dockhand.docker.network": args, "ignore_errors": True}
             for index, (args, _fragment) in enumerate(BAD)]
    bad = run_playbook(tasks, extra_args=["-vvv"])
    for index, (args, fragment) in enumerate(BAD):
        result = bad.result(task=index)
        assert result.get("failed") is True, (args, result)
        assert fragment in result["msg"] and "\n" not in result["msg"], (args, result["msg"])
    assert "Traceback" not in bad.stdout + bad.stderr
    assert "An exception occurred during task execution" not in bad.stdout + bad.stderr
    assert docker("network", "ls", "-q").split() == networks_before
