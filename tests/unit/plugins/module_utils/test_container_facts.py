"""container_facts on hand-written inspect answers (shapes taken from engine 20.10, API 1.41)."""
import copy

import pytest

from ansible_collections.dockhand.docker.plugins.module_utils.container_facts import (
    container_facts,
    limits_facts,
    missing_container_facts,
)

RUNNING = {
    "Id": "951b1b2056f786ee3b6bd8f44f755d056cfd0e80919d0294402d665a4732c6c1",
    "Created": "2026-11-28T09:42:40.010783982Z",
    "Name": "/web",
    "RestartCount": 2,
    "Image": "sha256:5b9d7febb24cfa000ccca296b619b5220e90da4a68ed7840dff359675576e5cf",
    "State": {
        "Status": "running", "Running": True, "Paused": False, "Restarting": False, "OOMKilled": False,
        "Dead": False, "Pid": 16792, "ExitCode": 0, "Error": "",
        "StartedAt": "2026-11-28T09:42:40.256713663Z", "FinishedAt": "0001-01-01T00:00:00Z",
        "Health": {"Status": "healthy", "FailingStreak": 0, "Log": []},
    },
    "HostConfig": {
        "LogConfig": {"Type": "json-file", "Config": {"max-size": "10m"}},
        "PortBindings": {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "18080"}],
                         "9999/udp": [{"HostIp": "", "HostPort": ""}]},
        "RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 3},
        "Tmpfs": {"/run/x": "", "/run/ro": "ro,size=64k"},
        "CpuShares": 512, "Memory": 67108864, "NanoCpus": 500000000, "CpusetCpus": "0",
        "MemoryReservation": 33554432, "MemorySwap": 134217728, "PidsLimit": 100,
        "Ulimits": [{"Name": "nofile", "Hard": 2048, "Soft": 1024}],
    },
    "Mounts": [
        {"Type": "bind", "Source": "/tmp", "Destination": "/host-tmp", "Mode": "ro", "RW": False},
        {"Type": "volume", "Name": "data", "Source": "/var/lib/docker/volumes/data/_data",
         "Destination": "/data", "Driver": "local", "Mode": "z", "RW": True},
    ],
    "Config": {
        "User": "1000:1000", "WorkingDir": "/srv",
        "Env": ["FOO=bar", "EMPTY=", "EQ=a=b", "PATH=/usr/bin"],
        "Cmd": ["sh", "-c", "sleep 1000"], "Entrypoint": ["/init"],
        "Image": "dockhand-test/busybox", "Labels": {"a": "b"},
    },
    "NetworkSettings": {
        "Ports": {
            "80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "18080"}],
            "9999/udp": [{"HostIp": "0.0.0.0", "HostPort": "32768"}, {"HostIp": "::", "HostPort": "32768"}],
            "443/tcp": None,
        },
        "Networks": {"bridge": {"IPAddress": "172.17.0.2"}, "backend": {"IPAddress": "10.1.0.5"}},
    },
}


def test_running_container():
    facts = container_facts(RUNNING)
    assert facts["name"] == "web"
    assert facts["exists"] is True
    assert facts["id"] == RUNNING["Id"]
    assert facts["state"] == "running" and facts["running"] is True and facts["paused"] is False
    assert facts["health"] == "healthy"
    assert facts["exit_code"] is None
    assert facts["started_at"] == "2026-11-28T09:42:40.256713663Z"
    assert facts["finished_at"] is None
    assert facts["restart_count"] == 2
    assert facts["image"] == "dockhand-test/busybox"
    assert facts["image_id"].startswith("sha256:5b9d")
    assert facts["command"] == ["sh", "-c", "sleep 1000"]
    assert facts["entrypoint"] == ["/init"]
    assert facts["user"] == "1000:1000" and facts["workdir"] == "/srv"
    assert facts["restart_policy"] == "on-failure" and facts["restart_retries"] == 3
    assert facts["log_driver"] == "json-file" and facts["log_options"] == {"max-size": "10m"}
    assert facts["labels"] == {"a": "b"}
    assert facts["env"] == {"FOO": "bar", "EMPTY": "", "EQ": "a=b", "PATH": "/usr/bin"}
    assert facts["addresses"] == {"bridge": "172.17.0.2", "backend": "10.1.0.5"}


def test_limits_in_the_container_module_units():
    assert container_facts(RUNNING)["limits"] == {
        "memory": "64m", "memory_reservation": "32m", "memory_swap": "128m", "cpus": "0.5",
        "cpu_shares": 512, "cpuset_cpus": "0", "pids_limit": 100,
        "ulimits": [{"name": "nofile", "soft": 1024, "hard": 2048}],
    }


@pytest.mark.parametrize("pids_limit", [None, 0, -1])
def test_unlimited_and_unset_limits_are_none(pids_limit):
    limits = limits_facts({"CpuShares": 0, "Memory": 0, "NanoCpus": 0, "CpusetCpus": "", "MemoryReservation": 0,
                           "MemorySwap": 0, "PidsLimit": pids_limit, "Ulimits": None})
    assert limits == {"memory": None, "memory_reservation": None, "memory_swap": None, "cpus": None,
                      "cpu_shares": None, "cpuset_cpus": None, "pids_limit": None, "ulimits": []}


def test_unlimited_swap_is_named():
    assert limits_facts({"Memory": 67108864, "MemorySwap": -1})["memory_swap"] == "unlimited"


def test_odd_sizes_stay_exact():
    limits = limits_facts({"Memory": 6 * 1024 * 1024 + 1, "NanoCpus": 1250000000})
    assert limits["memory"] == "6291457"
    assert limits["cpus"] == "1.25"


def test_empty_host_config():
    assert limits_facts(None)["memory"] is None


def test_running_ports_are_the_real_bindings():
    assert container_facts(RUNNING)["ports"] == [
        {"container_port": 80, "protocol": "tcp", "host_ip": "127.0.0.1", "host_port": 18080},
        {"container_port": 9999, "protocol": "udp", "host_ip": "0.0.0.0", "host_port": 32768},
        {"container_port": 9999, "protocol": "udp", "host_ip": "::", "host_port": 32768},
    ]


def test_stopped_ports_are_the_configured_bindings():
    inspect = copy.deepcopy(RUNNING)
    inspect["NetworkSettings"]["Ports"] = {}
    assert container_facts(inspect)["ports"] == [
        {"container_port": 80, "protocol": "tcp", "host_ip": "127.0.0.1", "host_port": 18080},
        {"container_port": 9999, "protocol": "udp", "host_ip": None, "host_port": None},
    ]


def test_mounts_include_volumes_by_name_and_tmpfs():
    assert container_facts(RUNNING)["mounts"] == [
        {"type": "bind", "source": "/tmp", "target": "/host-tmp", "read_only": True},
        {"type": "volume", "source": "data", "target": "/data", "read_only": False},
        {"type": "tmpfs", "source": None, "target": "/run/ro", "read_only": True},
        {"type": "tmpfs", "source": None, "target": "/run/x", "read_only": False},
    ]


def test_exited_container():
    inspect = copy.deepcopy(RUNNING)
    inspect["State"].update(Status="exited", Running=False, Pid=0, ExitCode=137, OOMKilled=True,
                            FinishedAt="2026-11-28T10:00:00.1Z")
    del inspect["State"]["Health"]
    inspect["NetworkSettings"]["Networks"]["bridge"]["IPAddress"] = ""
    facts = container_facts(inspect)
    assert facts["state"] == "exited" and facts["running"] is False
    assert facts["exit_code"] == 137
    assert facts["oom_killed"] is True
    assert facts["health"] == "none"
    assert facts["finished_at"] == "2026-11-28T10:00:00.1Z"
    assert facts["addresses"]["bridge"] is None


def test_paused_container_is_not_running():
    inspect = copy.deepcopy(RUNNING)
    inspect["State"].update(Status="paused", Paused=True)
    facts = container_facts(inspect)
    assert facts["running"] is False and facts["paused"] is True


def test_created_container_with_nothing_set():
    inspect = {
        "Id": "abc", "Name": "/fresh", "Image": "sha256:1",
        "State": {"Status": "created", "Running": False, "ExitCode": 0, "StartedAt": "0001-01-01T00:00:00Z",
                  "FinishedAt": "0001-01-01T00:00:00Z"},
        "HostConfig": {"RestartPolicy": {"Name": "", "MaximumRetryCount": 0}, "LogConfig": {"Type": "none"}},
        "Config": {"Env": None, "Cmd": None, "Entrypoint": None, "Labels": None, "Image": "busybox"},
        "NetworkSettings": {"Ports": None, "Networks": {}},
        "Mounts": [],
    }
    facts = container_facts(inspect)
    assert facts["state"] == "created" and facts["exit_code"] is None
    assert facts["started_at"] is None and facts["finished_at"] is None
    assert facts["restart_policy"] == "no" and facts["restart_retries"] == 0
    assert facts["command"] == [] and facts["entrypoint"] == []
    assert facts["env"] == {} and facts["labels"] == {}
    assert facts["log_driver"] == "none" and facts["log_options"] == {}
    assert facts["ports"] == [] and facts["mounts"] == [] and facts["addresses"] == {}
    assert facts["user"] is None and facts["workdir"] is None


def test_input_is_not_modified():
    inspect = copy.deepcopy(RUNNING)
    facts = container_facts(inspect)
    facts["env"]["NEW"] = "1"
    facts["labels"]["x"] = "y"
    facts["log_options"]["x"] = "y"
    assert inspect == RUNNING


def test_missing_container():
    assert missing_container_facts("ghost") == {"name": "ghost", "exists": False}
