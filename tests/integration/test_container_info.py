"""container_info against the real engine, through ansible-playbook; containers made with the docker CLI."""
import json
import subprocess
import time
import uuid

import pytest

from ansible_runner import run_module

pytestmark = pytest.mark.engine

PREFIX = "dockhand-test-info-"
MODULE = "dockhand.docker.container_info"


def docker_cli(*args):
    return subprocess.run(["docker"] + list(args), check=True, capture_output=True, text=True).stdout


def cli_inspect(name):
    return json.loads(docker_cli("inspect", name))[0]


def assert_one_clear_line(result, *fragments):
    assert result.get("failed") is True, result
    msg = result["msg"]
    assert "\n" not in msg.strip(), msg
    assert "Traceback" not in json.dumps(result), result
    for fragment in fragments:
        assert fragment in msg, msg


def wait_for(predicate, timeout=20, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("timed out waiting for %s" % what)


@pytest.fixture(scope="module")
def make_container(engine, test_image):
    """Create containers with `docker run`; every one is removed at the end, even on failure."""
    created = []

    def make(*run_args, command=("sleep", "1000"), detach=True, name=None):
        name = name or PREFIX + uuid.uuid4().hex[:10]
        created.append(name)
        args = ["run", "--name", name] + (["-d"] if detach else []) + list(run_args) + [test_image] + list(command)
        subprocess.run(["docker"] + args, check=detach, capture_output=True, text=True)
        return name

    yield make
    for name in created:
        subprocess.run(["docker", "rm", "-f", "-v", name], capture_output=True, check=False)


@pytest.fixture(scope="module")
def limited(make_container, tmp_path_factory):
    """A running container with limits, ports, mounts, labels, env, a restart policy and two log streams."""
    host_dir = tmp_path_factory.mktemp("info-bind")
    name = make_container(
        "--memory", "64m", "--memory-reservation", "32m", "--memory-swap", "-1", "--cpus", "0.5",
        "--pids-limit", "100", "--cpuset-cpus", "0", "--cpu-shares", "512", "--ulimit", "nofile=1024:2048",
        "--log-opt", "max-size=10m", "--log-opt", "max-file=2", "--restart", "on-failure:3",
        "-e", "FOO=bar", "-e", "EMPTY=", "-l", "tier=web", "-p", "127.0.0.1::80", "-p", "127.0.0.1:0:53/udp",
        "-v", "%s:/data:ro" % host_dir, "--tmpfs", "/scratch", "-w", "/tmp", "-u", "65534:65534",
        command=["sh", "-c", "for i in 1 2 3 4 5; do echo out$i; echo err$i >&2; done; exec sleep 1000"])
    wait_for(lambda: "err5" in subprocess.run(["docker", "logs", name], capture_output=True, text=True,
                                              check=True).stderr,
             what="the container's output")
    return name, str(host_dir)


def test_limits_come_back_in_the_container_module_units(limited):
    name = limited[0]
    run, result = run_module(MODULE, {"name": name})
    assert run.returncode == 0, run.stdout
    assert result["changed"] is False
    facts = result["container"]
    assert facts == result["containers"][0]
    assert facts["limits"] == {
        "memory": "64m", "memory_reservation": "32m", "memory_swap": "unlimited", "cpus": "0.5",
        "cpu_shares": 512, "cpuset_cpus": "0", "pids_limit": 100,
        "ulimits": [{"name": "nofile", "soft": 1024, "hard": 2048}],
    }
    assert facts["log_driver"] == "json-file"
    assert facts["log_options"] == {"max-size": "10m", "max-file": "2"}
    assert facts["restart_policy"] == "on-failure" and facts["restart_retries"] == 3


def test_identity_and_state_match_docker_inspect(limited, test_image):
    name = limited[0]
    facts = run_module(MODULE, {"name": name})[1]["container"]
    cli = cli_inspect(name)
    assert facts["name"] == name and facts["exists"] is True
    assert facts["id"] == cli["Id"]
    assert facts["state"] == "running" and facts["running"] is True and facts["paused"] is False
    assert facts["health"] == "none"
    assert facts["exit_code"] is None
    assert facts["started_at"] == cli["State"]["StartedAt"] and facts["finished_at"] is None
    assert facts["image"] == test_image
    assert facts["image_id"] == cli["Image"]
    assert facts["command"] == ["sh", "-c", "for i in 1 2 3 4 5; do echo out$i; echo err$i >&2; done; "
                                            "exec sleep 1000"]
    assert facts["entrypoint"] == []
    assert facts["user"] == "65534:65534" and facts["workdir"] == "/tmp"


def test_addresses_ports_mounts_labels_env(limited):
    name, host_dir = limited
    facts = run_module(MODULE, {"name": name})[1]["container"]
    cli = cli_inspect(name)
    assert facts["addresses"] == {"bridge": cli["NetworkSettings"]["Networks"]["bridge"]["IPAddress"]}
    assert facts["addresses"]["bridge"].count(".") == 3
    tcp_port = int(docker_cli("port", name, "80/tcp").split(":")[-1])
    udp_port = int(docker_cli("port", name, "53/udp").split(":")[-1])
    assert facts["ports"] == [
        {"container_port": 53, "protocol": "udp", "host_ip": "127.0.0.1", "host_port": udp_port},
        {"container_port": 80, "protocol": "tcp", "host_ip": "127.0.0.1", "host_port": tcp_port},
    ]
    assert facts["mounts"] == [
        {"type": "bind", "source": host_dir, "target": "/data", "read_only": True},
        {"type": "tmpfs", "source": None, "target": "/scratch", "read_only": False},
    ]
    assert facts["labels"] == {"tier": "web"}
    assert facts["env"]["FOO"] == "bar" and facts["env"]["EMPTY"] == ""


def test_logs_tail_reads_each_stream_separately(limited):
    name = limited[0]
    facts = run_module(MODULE, {"name": name, "logs_tail": 2})[1]["container"]
    assert facts["stdout_lines"] == ["out4", "out5"]
    assert facts["stderr_lines"] == ["err4", "err5"]
    facts = run_module(MODULE, {"name": name, "logs_tail": 100})[1]["container"]
    assert facts["stdout_lines"] == ["out1", "out2", "out3", "out4", "out5"]
    assert facts["stderr_lines"] == ["err1", "err2", "err3", "err4", "err5"]


def test_logs_tail_finds_the_last_lines_of_a_stream_that_writes_rarely(make_container):
    # The engine applies tail to both streams together: the one stderr line is 300 lines back.
    name = make_container(command=["sh", "-c", "echo only-err >&2; i=0; while [ $i -lt 300 ]; do echo out$i; "
                                               "i=$((i+1)); done; exec sleep 1000"])
    wait_for(lambda: "out299" in docker_cli("logs", name), what="the container's output")
    facts = run_module(MODULE, {"name": name, "logs_tail": 3})[1]["container"]
    assert facts["stdout_lines"] == ["out297", "out298", "out299"]
    assert facts["stderr_lines"] == ["only-err"]


def test_no_logs_or_processes_unless_asked(limited):
    facts = run_module(MODULE, {"name": limited[0]})[1]["container"]
    assert "stdout_lines" not in facts and "stderr_lines" not in facts and "processes" not in facts


def test_processes_are_what_docker_top_shows(limited):
    facts = run_module(MODULE, {"name": limited[0], "processes": True})[1]["container"]
    commands = [process["CMD"] for process in facts["processes"]]
    assert "sleep 1000" in commands, facts["processes"]
    sleeper = facts["processes"][commands.index("sleep 1000")]
    assert {"PID", "CMD"} <= set(sleeper)
    assert sleeper["PID"].isdigit()


def test_several_names_in_order_and_missing_ones_are_not_errors(limited, make_container):
    other = make_container()
    missing = PREFIX + "never-created-" + uuid.uuid4().hex[:6]
    run, result = run_module(MODULE, {"names": [missing, limited[0], other], "logs_tail": 3, "processes": True})
    assert run.returncode == 0, run.stdout
    assert [c["name"] for c in result["containers"]] == [missing, limited[0], other]
    assert result["containers"][0] == {"name": missing, "exists": False}
    assert [c["exists"] for c in result["containers"]] == [False, True, True]
    assert "container" not in result


def test_missing_single_name(engine):
    missing = PREFIX + "never-created-" + uuid.uuid4().hex[:6]
    run, result = run_module(MODULE, {"name": missing})
    assert run.returncode == 0
    assert result["container"] == {"name": missing, "exists": False}


def test_lookup_by_id_reports_the_name(limited):
    container_id = cli_inspect(limited[0])["Id"]
    facts = run_module(MODULE, {"name": container_id[:12]})[1]["container"]
    assert facts["name"] == limited[0] and facts["id"] == container_id


def test_exited_container(make_container):
    name = make_container(command=["sh", "-c", "echo bye; echo oops >&2; exit 3"], detach=False)
    facts = run_module(MODULE, {"name": name, "logs_tail": 5, "processes": True})[1]["container"]
    assert facts["state"] == "exited" and facts["running"] is False
    assert facts["exit_code"] == 3
    assert facts["finished_at"] is not None
    assert facts["processes"] == []
    assert facts["stdout_lines"] == ["bye"] and facts["stderr_lines"] == ["oops"]
    assert facts["addresses"] == {"bridge": None}


def test_unlimited_container_reports_nulls(make_container):
    facts = run_module(MODULE, {"name": make_container()})[1]["container"]
    assert facts["limits"] == {"memory": None, "memory_reservation": None, "memory_swap": None, "cpus": None,
                               "cpu_shares": None, "cpuset_cpus": None, "pids_limit": None, "ulimits": []}
    assert facts["restart_policy"] == "no"
    assert facts["ports"] == [] and facts["mounts"] == []


def test_health_is_reported(make_container):
    name = make_container("--health-cmd", "true", "--health-interval", "1s")
    wait_for(lambda: cli_inspect(name)["State"]["Health"]["Status"] == "healthy", what="a healthy container")
    assert run_module(MODULE, {"name": name})[1]["container"]["health"] == "healthy"


def test_paused_container(make_container):
    name = make_container()
    docker_cli("pause", name)
    try:
        facts = run_module(MODULE, {"name": name, "processes": True})[1]["container"]
    finally:
        docker_cli("unpause", name)
    assert facts["state"] == "paused" and facts["paused"] is True and facts["running"] is False
    assert "sleep 1000" in [process["CMD"] for process in facts["processes"]]


def test_unreadable_logs_are_a_warning_not_a_failure(make_container):
    name = make_container("--log-driver", "none")
    run, result = run_module(MODULE, {"name": name, "logs_tail": 5})
    assert run.returncode == 0, run.stdout
    assert result["container"]["stdout_lines"] is None and result["container"]["stderr_lines"] is None
    assert any("logs cannot be read" in warning and name in warning for warning in result.get("warnings", []))


def test_check_mode_reads_the_same(limited):
    run, result = run_module(MODULE, {"name": limited[0], "logs_tail": 1}, extra_args=["--check"])
    assert run.returncode == 0
    assert result["changed"] is False
    assert result["container"]["limits"]["memory"] == "64m"
    assert result["container"]["stdout_lines"] == ["out5"]


@pytest.mark.parametrize("args,fragments", [
    ({"name": "a", "names": ["b"]}, ["mutually exclusive", "name", "names"]),
    ({}, ["one of the following is required", "name", "names"]),
    ({"name": "a", "logs_tail": -1}, ["logs_tail must be 0"]),
    ({"names": ["ok", ""]}, ["container names must not be empty"]),
])
def test_bad_arguments_are_one_line(engine, args, fragments):
    run, result = run_module(MODULE, args)
    assert run.returncode != 0
    assert_one_clear_line(result, *fragments)


def test_unreachable_engine_is_one_line():
    result = run_module(MODULE, {"name": "x", "docker_host": "tcp://127.0.0.1:1"})[1]
    assert_one_clear_line(result, "tcp://127.0.0.1:1", "connection refused")
