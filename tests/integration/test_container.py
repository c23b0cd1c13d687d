"""dockhand.docker.container against the real engine, through ansible-playbook."""
import json
import subprocess

import pytest

from ansible_runner import run_playbook

pytestmark = pytest.mark.engine

PREFIX = "dockhand-test-ctr-"
SLEEP = ["sleep", "1000"]
# A process that ignores SIGTERM, so every stop waits out its timeout.
STUBBORN = ["sh", "-c", "trap '' TERM; while true; do sleep 1; done"]


def docker(*args, check=True):
    proc = subprocess.run(["docker"] + list(args), capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        raise AssertionError("docker %s: %s" % (" ".join(args), proc.stderr))
    return proc.stdout.strip()


def inspect(name):
    out = subprocess.run(["docker", "inspect", name], capture_output=True, text=True, check=False)
    return json.loads(out.stdout)[0] if out.returncode == 0 else None


def ours():
    return sorted(docker("ps", "-a", "--filter", "name=^" + PREFIX, "--format", "{{.Names}}").split())


def cgroup(name, path):
    return docker("exec", name, "cat", "/sys/fs/cgroup/" + path)


def container(args, extra_args=(), **kwargs):
    """Run one dockhand.docker.container task; return (run, result)."""
    run = run_playbook([{"name": "container", "dockhand.docker.container": args}], extra_args=extra_args, **kwargs)
    return run, run.result()


@pytest.fixture(autouse=True)
def clean():
    def remove_all():
        names = ours()
        if names:
            docker("rm", "-f", "-v", *names)
    remove_all()
    yield
    remove_all()


@pytest.fixture(scope="module")
def other_image(test_image, tmp_path_factory):
    """A second local image with another ID, for image changes."""
    context = tmp_path_factory.mktemp("other-image")
    (context / "Dockerfile").write_text("FROM %s\nLABEL dockhand.test=other\nENV FROM_IMAGE=yes\n" % test_image)
    docker("build", "-q", "-t", "dockhand-test/busybox:other", str(context))
    return "dockhand-test/busybox:other"


def test_create_with_limits_is_idempotent_and_enforced(test_image):
    args = {"name": PREFIX + "limits", "image": test_image, "command": SLEEP, "memory": "64m", "cpus": "0.5",
            "cpu_shares": 512, "cpuset_cpus": "0", "pids_limit": 100, "memory_reservation": "32m"}
    run, result = container(args)
    assert run.returncode == 0, run.stdout[-2000:]
    assert result["changed"] is True and result["container"]["action"] == "created"
    name = args["name"]
    assert cgroup(name, "memory/memory.limit_in_bytes") == "67108864"
    assert cgroup(name, "memory/memory.soft_limit_in_bytes") == "33554432"
    assert cgroup(name, "cpu/cpu.cfs_quota_us") == "50000"
    assert cgroup(name, "cpu/cpu.shares") == "512"
    assert cgroup(name, "pids/pids.max") == "100"
    assert cgroup(name, "cpuset/cpuset.cpus") == "0"
    assert inspect(name)["State"]["Running"] is True

    run, result = container(args)
    assert result["changed"] is False and result["container"]["action"] == "unchanged", result


def test_limits_change_in_place_and_keep_the_id(test_image):
    name = PREFIX + "inplace"
    base = {"name": name, "image": test_image, "command": SLEEP}
    container(dict(base, memory="64m", cpus="0.5", pids_limit=100))
    before = inspect(name)["Id"]
    run, result = container(dict(base, memory="96m", cpus="0.25", pids_limit=50, cpu_shares=256,
                                 restart_policy="on-failure", restart_retries=3), extra_args=["--diff"])
    assert result["container"]["action"] == "updated", result
    assert sorted(result["container"]["changes"]) == ["cpu_shares", "cpus", "memory", "pids_limit", "restart_policy"]
    after = inspect(name)
    assert after["Id"] == before
    assert after["HostConfig"]["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 3}
    assert cgroup(name, "memory/memory.limit_in_bytes") == str(96 * 1024 * 1024)
    assert cgroup(name, "cpu/cpu.cfs_quota_us") == "25000"
    assert cgroup(name, "pids/pids.max") == "50"
    # The engine's default swap (twice the memory) follows the new memory.
    assert after["HostConfig"]["MemorySwap"] == 2 * 96 * 1024 * 1024
    diff = run.result()["diff"][0]
    assert diff["before"]["memory"] == "64m" and diff["after"]["memory"] == "96m"
    assert diff["before"]["cpus"] == "0.5" and diff["after"]["cpus"] == "0.25"


def test_image_or_command_change_recreates(test_image, other_image):
    name = PREFIX + "recreate"
    container({"name": name, "image": test_image, "command": SLEEP})
    first = inspect(name)["Id"]
    result = container({"name": name, "image": other_image, "command": SLEEP})[1]
    assert result["container"]["action"] == "recreated" and result["container"]["changes"] == ["image"]
    second = inspect(name)
    assert second["Id"] != first and second["State"]["Running"] is True
    result = container({"name": name, "image": other_image, "command": "sleep 999"})[1]
    assert result["container"]["action"] == "recreated" and result["container"]["changes"] == ["command"]
    assert inspect(name)["Id"] != second["Id"]
    assert inspect(name)["Config"]["Cmd"] == ["sleep", "999"]


def test_normalised_options_do_not_cause_changes(other_image):
    args = {"name": PREFIX + "normal", "image": other_image, "command": "sleep 1000",
            "env": {"B": 2, "A": "x", "FLAG": True}, "labels": {"z": "1", "a": "2"},
            "ports": ["127.0.0.1:47180:80", "47181:81/udp"], "cap_add": ["CAP_NET_ADMIN", "sys_time"],
            "cap_drop": ["MKNOD"], "ulimits": ["nofile=4096:4096"], "memory": "64M", "cpus": 0.5,
            "cpuset_cpus": "0-0", "restart_policy": "unless-stopped", "stop_signal": "SIGINT", "init": True,
            "healthcheck": {"test": "true", "interval": "30s", "retries": 2}, "log_driver": "json-file",
            "log_options": {"max-size": "10m", "max-file": "3"}, "mounts": ["/tmp:/host-tmp:ro"],
            "working_dir": "/tmp", "user": "0"}
    run, result = container(args)
    assert result["changed"] is True, result
    spec = inspect(args["name"])
    assert "FROM_IMAGE=yes" in spec["Config"]["Env"] and "FLAG=true" in spec["Config"]["Env"]
    assert spec["Config"]["Labels"]["dockhand.test"] == "other"
    # Written differently, meaning the same: no change.
    again = dict(args, command=["sleep", "1000"], env={"FLAG": "true", "A": "x", "B": "2"},
                 labels={"a": "2", "z": "1"}, ports=["47181:81/udp", "127.0.0.1:47180:80/tcp"],
                 cap_add=["SYS_TIME", "NET_ADMIN"], memory="67108864", cpus="0.50", cpuset_cpus="0",
                 healthcheck={"test": ["CMD-SHELL", "true"], "interval": 30, "retries": 2},
                 mounts=[{"source": "/tmp", "target": "/host-tmp", "read_only": True}])
    result = container(again)[1]
    assert result["changed"] is False, result["container"]


def test_check_mode_leaves_no_trace(test_image):
    name = PREFIX + "check"
    run, result = container({"name": name, "image": test_image, "command": SLEEP, "memory": "64m"},
                            extra_args=["--check", "--diff"])
    assert result["changed"] is True and result["container"]["action"] == "created"
    assert ours() == []
    container({"name": name, "image": test_image, "command": SLEEP, "memory": "64m"})
    before = inspect(name)
    result = container({"name": name, "image": test_image, "command": SLEEP, "memory": "128m"},
                       extra_args=["--check"])[1]
    assert result["container"]["action"] == "updated"
    after = inspect(name)
    assert after["HostConfig"]["Memory"] == before["HostConfig"]["Memory"] == 64 * 1024 * 1024
    result = container({"name": name, "state": "absent"}, extra_args=["--check"])[1]
    assert result["container"]["action"] == "removed" and ours() == [name]


def test_lifecycle_states(test_image):
    name = PREFIX + "life"
    base = {"name": name, "image": test_image, "command": SLEEP, "stop_timeout": 1}
    assert container(dict(base, state="present"))[1]["container"]["action"] == "created"
    assert inspect(name)["State"]["Running"] is False
    assert container(dict(base, state="started"))[1]["container"]["action"] == "started"
    assert inspect(name)["State"]["Running"] is True
    assert container(dict(base, state="stopped"))[1]["container"]["action"] == "stopped"
    assert inspect(name)["State"]["Running"] is False
    assert container(dict(base, state="stopped"))[1]["changed"] is False
    started_at = inspect(name)["State"]["StartedAt"]
    assert container(dict(base, state="restarted"))[1]["container"]["action"] == "restarted"
    assert inspect(name)["State"]["Running"] is True and inspect(name)["State"]["StartedAt"] != started_at
    assert container(dict(base, recreate=True))[1]["container"]["action"] == "recreated"
    assert container({"name": name, "state": "absent"})[1]["container"]["action"] == "removed"
    assert ours() == []
    assert container({"name": name, "state": "absent"})[1]["changed"] is False


def test_batch_of_fifty(test_image):
    items = [{"name": "%sbatch-%02d" % (PREFIX, i)} for i in range(50)]
    items[7]["memory"] = "128m"  # an item overrides the top-level default
    # init: sleep as PID 1 would ignore SIGTERM and make every removal wait out the stop timeout.
    args = {"image": test_image, "command": SLEEP, "init": True, "memory": "64m", "cpus": "0.25", "parallel": 8,
            "containers": items}
    run, result = container(args)
    assert run.returncode == 0, run.stdout[-3000:]
    assert [c["action"] for c in result["containers"]] == ["created"] * 50
    assert [c["name"] for c in result["containers"]] == [item["name"] for item in items]
    assert len(ours()) == 50
    assert inspect(items[7]["name"])["HostConfig"]["Memory"] == 128 * 1024 * 1024
    assert inspect(items[8]["name"])["HostConfig"]["Memory"] == 64 * 1024 * 1024
    result = container(args)[1]
    assert result["changed"] is False and {c["action"] for c in result["containers"]} == {"unchanged"}
    ids = dict((name, inspect(name)["Id"]) for name in ours())
    result = container(dict(args, memory="96m"))[1]
    assert sorted(c["action"] for c in result["containers"]).count("updated") == 49
    assert dict((name, inspect(name)["Id"]) for name in ours()) == ids
    result = container({"state": "absent", "containers": items, "parallel": 8})[1]
    assert {c["action"] for c in result["containers"]} == {"removed"}
    assert ours() == []


def test_absent_stops_in_parallel(test_image):
    items = [{"name": "%sstubborn-%d" % (PREFIX, i)} for i in range(6)]
    container({"image": test_image, "command": STUBBORN, "containers": items, "parallel": 6})
    run, result = container({"state": "absent", "stop_timeout": 3, "containers": items, "parallel": 6})
    assert {c["action"] for c in result["containers"]} == {"removed"}
    assert ours() == []
    # Six stops of 3 s each, all at once: well under the 18 s they would take one after another.
    took = run.data["plays"][0]["tasks"][0]["task"]["duration"]
    from datetime import datetime
    start, end = (datetime.fromisoformat(took[key].rstrip("Z")) for key in ("start", "end"))
    assert 3 <= (end - start).total_seconds() < 12


BAD_INPUT = [
    ({"memory": "12x"}, "memory: '12x' is not a size"),
    ({"memory": "-64m"}, "negative"),
    ({"memory": "4m"}, "memory"),
    ({"memory": "64m", "memory_swap": "32m"}, "memory_swap: '32m' is smaller than memory"),
    ({"cpus": "0"}, "cpus"),
    ({"cpus": "-1"}, "cpus"),
    ({"cpus": "64"}, "more than the"),
    ({"cpuset_cpus": "0-63"}, "names CPU 63"),
    ({"cpuset_cpus": "a-b"}, "is not a CPU list"),
    ({"cap_add": ["NET_FOO"]}, "cap_add: 'NET_FOO' is not a Linux capability"),
    ({"cap_drop": ["CAP_NOPE"]}, "cap_drop: 'CAP_NOPE' is not a Linux capability"),
    ({"log_driver": "nosuchdriver"}, "nosuchdriver"),
    ({"log_driver": "json-file", "log_options": {"max-sizes": "10m"}}, "max-sizes"),
    ({"log_driver": "local", "log_options": {"max-size": "ten"}}, "max-size"),
    ({"image": "dockhand-test/not-here:1", "pull": "never"}, "is not on the engine and pull is never"),
    ({"image": "Dockhand/Upper"}, "must be lowercase"),
    ({"ports": ["99999:80"]}, "is not a port mapping"),
    ({"pids_limit": -5}, "pids_limit"),
    ({"cpu_shares": 1}, "cpu_shares"),
    ({"restart_policy": "always", "restart_retries": 3}, "restart_retries"),
]


@pytest.fixture(scope="module")
def kept(test_image):
    """A container the bad-input tests must leave exactly as it is."""
    name = "dockhand-test-keep"
    docker("rm", "-f", name, check=False)
    docker("run", "-d", "--init", "--name", name, "--memory", "64m", test_image, *SLEEP)
    yield inspect(name)
    docker("rm", "-f", name)


@pytest.mark.parametrize("bad, fragment", BAD_INPUT, ids=[fragment for _bad, fragment in BAD_INPUT])
def test_bad_input_is_one_line_and_changes_nothing(test_image, kept, bad, fragment):
    # The bad item is last: the good items before it must not have been touched either.
    items = [{"name": kept["Name"].lstrip("/"), "memory": "96m"}, {"name": PREFIX + "new"},
             dict({"name": PREFIX + "bad"}, **bad)]
    run, result = container({"image": test_image, "command": SLEEP, "containers": items})
    assert run.returncode != 0
    assert result["failed"] is True
    assert "\n" not in result["msg"] and "Traceback" not in json.dumps(result)
    assert fragment in result["msg"], result["msg"]
    assert ours() == []
    now = inspect(kept["Id"])
    assert now["HostConfig"]["Memory"] == kept["HostConfig"]["Memory"] == 64 * 1024 * 1024
    assert now["State"]["StartedAt"] == kept["State"]["StartedAt"]


def test_duplicate_names_are_refused(test_image):
    items = [{"name": PREFIX + "twice"}, {"name": PREFIX + "twice"}]
    result = container({"image": test_image, "command": SLEEP, "containers": items})[1]
    assert result["failed"] is True and "used twice" in result["msg"]
    assert ours() == []


def test_non_string_log_options_are_converted_with_a_warning(test_image):
    name = PREFIX + "logopts"
    run, result = container({"name": name, "image": test_image, "command": SLEEP, "log_driver": "json-file",
                             "log_options": {"max-file": 3, "max-size": "1m"}})
    assert result["changed"] is True, result
    assert inspect(name)["HostConfig"]["LogConfig"] == {"Type": "json-file",
                                                        "Config": {"max-file": "3", "max-size": "1m"}}
    assert any("max-file" in warning for warning in result.get("warnings", [])), result
    assert container({"name": name, "image": test_image, "command": SLEEP, "log_driver": "json-file",
                      "log_options": {"max-file": "3", "max-size": "1m"}})[1]["changed"] is False


@pytest.mark.parametrize("change, refused", [
    # Refused when the new container is created (no such logging plugin) ...
    ({"log_driver": "dockhand/no-such-plugin:latest"}, "dockhand/no-such-plugin:latest"),
    # ... and when it starts (no such network).
    ({"networks": ["dockhand-test-no-such-network"]}, "dockhand-test-no-such-network"),
])
def test_a_recreate_the_engine_refuses_leaves_the_old_container_running(test_image, change, refused):
    name = PREFIX + "safe"
    container({"name": name, "image": test_image, "command": SLEEP})
    before = inspect(name)
    run, result = container(dict({"name": name, "image": test_image, "command": SLEEP}, **change))
    assert run.returncode != 0 and refused in result["msg"], result["msg"]
    after = inspect(name)
    assert after["Id"] == before["Id"] and after["State"]["Running"] is True
    assert ours() == [name]


def test_a_new_container_that_cannot_start_gives_the_old_one_back(test_image):
    name, blocker = PREFIX + "putback", PREFIX + "blocker"
    container({"name": blocker, "image": test_image, "command": SLEEP, "ports": ["127.0.0.1:47190:80"]})
    container({"name": name, "image": test_image, "command": SLEEP})
    before = inspect(name)
    # The port is taken by the blocker: the engine creates the new container but cannot start it.
    run, result = container({"name": name, "image": test_image, "command": SLEEP,
                             "ports": ["127.0.0.1:47190:80"]})
    assert run.returncode != 0 and result["changed"] is True
    assert "the old container was put back and started again" in result["msg"], result["msg"]
    after = inspect(name)
    assert after["Id"] == before["Id"] and after["State"]["Running"] is True
    assert ours() == sorted([name, blocker])


def test_one_failing_container_does_not_cost_the_others_their_results(test_image):
    items = [{"name": PREFIX + "good", "command": SLEEP},
             {"name": PREFIX + "bad", "command": SLEEP, "networks": ["dockhand-test-no-such-network"]}]
    run, result = container({"image": test_image, "containers": items})
    assert run.returncode != 0 and result["changed"] is True
    assert [entry["action"] for entry in result["containers"]] == ["created", "failed"]
    assert result["msg"].startswith(PREFIX + "bad: ") and "\n" not in result["msg"]
    assert "the new container was removed" in result["msg"]
    assert inspect(PREFIX + "good")["State"]["Running"] is True and inspect(PREFIX + "bad") is None


def test_secret_env_values_never_show_and_short_values_do_not_mangle_output(test_image):
    name = PREFIX + "secret"
    secrets = {"DB_PASSWORD": "pw-7e1c0b9d", "API_TOKEN": "tok-55aa01", "CUSTOM": "custom-c0ffee"}
    env = dict(secrets, MODE="1", LEVEL="debug")
    run, result = container({"name": name, "image": test_image, "command": SLEEP, "env": env,
                             "secret_env": ["CUSTOM"]}, extra_args=["-vvv", "--diff"])
    assert run.returncode == 0
    output = run.stdout + run.stderr
    for value in secrets.values():
        assert value not in output
    after = result["diff"][0]["after"]["env"]
    assert after["MODE"] == "1" and after["LEVEL"] == "debug" and after["DB_PASSWORD"] == "********"
    assert result["invocation"]["module_args"]["env"]["MODE"] == "1"
    # Short values are not masked anywhere else: the limit 100 stays 100 in the result.
    result = container({"name": name, "image": test_image, "command": SLEEP, "env": dict(env, DB_PASSWORD="1"),
                        "pids_limit": 100}, extra_args=["--diff"])[1]
    assert result["container"]["diff"]["after"]["pids_limit"] == 100
    assert inspect(name)["Config"]["Env"].count("DB_PASSWORD=1") == 1
