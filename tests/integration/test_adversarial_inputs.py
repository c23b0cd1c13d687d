"""A table of bad module input against the real engine: each one line, nothing created or changed.

Every row is one task of one ansible-playbook run (at -vvv, so that the invocation and any traceback
would show); each must fail with one line that names what is wrong, never a traceback nor ansible-core's
"An exception occurred during task execution", and the engine, the files the modules write and the
client configuration must be exactly as before.
"""
import hashlib
import json
import os
import subprocess

import pytest

from ansible_runner import run_playbook

# whole_engine: it compares every container, image, network and volume, so nothing may run beside it.
pytestmark = [pytest.mark.engine, pytest.mark.whole_engine]

IMAGE = "dockhand-test/busybox:latest"
NAME = "dockhand-adv-c"
# Secrets some rows carry: none may appear anywhere in the output.
SECRETS = ("adv-T0ken-4c9e", "adv-pr0xy-pw-71f2", "adv-db-pw-e83a", "adv-stdin-d00d")

C = dict(name=NAME, image=IMAGE, command=["sleep", "100"])


def rows(context, daemon_json, config_dir):
    """(module, args, fragment of the one-line message) for every bad input."""
    dc = dict(path=daemon_json, validate=False)
    table = [
        # ---- container: the review's tracebacks and wrong acceptances, and more ----
        ("container", dict(C, log_driver="syslog", log_options={"syslog-address": "tcp://h:\u00b2"}), "syslog-address"),
        ("container", dict(C, ports=["9" * 5000 + ":80"]), "ports"),
        ("container", dict(C, ports=["99999:80"]), "ports"),
        ("container", dict(C, ports=["80/icmp"]), "protocol"),
        ("container", dict(C, ports=["a:b"]), "ports"),
        ("container", dict(C, mounts=[{"source": 5, "target": "/x"}]), "mounts[0].source"),
        ("container", dict(C, mounts=[{"source": "/tmp", "target": "/x", "readonly": True}]), "unknown key readonly"),
        ("container", dict(C, mounts=[{"type": "bind", "source": "rel", "target": "/x"}]), "not an absolute path"),
        ("container", dict(C, mounts=[{"type": "tmpfs", "source": "x", "target": "/t"}]), "takes no source"),
        ("container", dict(C, mounts=["/tmp:/x:rx"]), "is not a mount"),
        ("container", dict(C, mounts=[{"target": "relative"}]), "absolute path"),
        ("container", dict(C, mounts=["/a:/x", "/b:/x"]), "mounted twice"),
        ("container", dict(C, healthcheck={"test": "true", "intervall": "5s"}), "unknown key intervall"),
        ("container", dict(C, healthcheck={"test": "true", "interval": 10 ** 30}), "interval"),
        ("container", dict(C, healthcheck={"test": "true", "interval": "5 minutes"}), "interval"),
        ("container", dict(C, healthcheck={"test": "true", "retries": 0}), "retries"),
        ("container", dict(C, healthcheck={"test": []}), "healthcheck"),
        ("container", dict(C, networks=[{"name": "bridge", "aliases": "web"}]), "aliases"),
        ("container", dict(C, networks=[{"name": "bridge", "alias": ["web"]}]), "unknown key alias"),
        ("container", dict(C, networks=[{"name": "bridge", "ipv4_address": "999.1.1.1"}]), "ipv4_address"),
        ("container", dict(C, networks=["bridge", "bridge"]), "listed twice"),
        ("container", dict(C, restart_retries=3), "restart_retries"),
        ("container", dict(C, restart_policy="always", restart_retries=3), "restart_retries"),
        ("container", dict(C, env={"A=B": "1"}), "variable name"),
        ("container", dict(C, env={"": "1"}), "is not a name"),
        ("container", dict(C, env={"DB_PASSWORD": {"v": SECRETS[2]}}), "env.DB_PASSWORD"),
        ("container", dict(C, env={"A": "a\u0000b"}), "NUL"),
        ("container", dict(C, labels={"a": [1]}), "labels.a"),
        ("container", dict(C, cpuset_cpus="0-10000000"), "cpuset_cpus"),
        ("container", dict(C, cpuset_cpus="3-1"), "cpuset_cpus"),
        ("container", dict(C, cpuset_cpus="0-4095"), "cpuset_cpus"),
        ("container", dict(C, memory="lots"), "memory"),
        ("container", dict(C, memory="1m"), "below the minimum"),
        ("container", dict(C, memory="-64m"), "negative"),
        ("container", dict(C, memory="1" * 70), "too large"),
        ("container", dict(C, memory="64m", memory_swap="32m"), "memory_swap"),
        ("container", dict(C, memory="64m", memory_reservation="128m"), "memory_reservation"),
        ("container", dict(C, cpus="0"), "cpus"),
        ("container", dict(C, cpus="1000"), "CPUs the engine has"),
        ("container", dict(C, cpus="0.0000000001"), "decimal places"),
        ("container", dict(C, cpu_shares=1), "cpu_shares"),
        ("container", dict(C, pids_limit=-5), "pids_limit"),
        ("container", dict(C, stop_timeout=-1), "stop_timeout"),
        ("container", dict(C, stop_timeout="inf"), "stop_timeout"),
        ("container", dict(C, cap_add=["NOT_A_CAP"]), "cap_add"),
        ("container", dict(C, ulimits=["nofile=10:5"]), "soft limit above"),
        ("container", dict(C, ulimits=["nofiles=1"]), "resource limit"),
        ("container", dict(C, ulimits=[{"name": "nofile", "soft": 1, "max": 2}]), "unknown key max"),
        ("container", dict(C, log_driver="no such"), "log_driver"),
        ("container", dict(C, log_driver="nosuchdriver"), "log_driver"),
        ("container", dict(C, log_options={"max-size": "lots"}), "max-size"),
        ("container", dict(C, log_driver="splunk", log_options={"splunk-url": "https://s:8088"}), "splunk-token"),
        ("container", dict(C, log_driver="splunk", log_options={"splunk-url": "ftp://s", "splunk-token": SECRETS[0]}),
         "splunk-url"),
        ("container", dict(C, image="Upper/Case:1"), "lowercase"),
        ("container", dict(C, image="dockhand-adv/missing:1", pull="never"), "pull is never"),
        ("container", dict(C, name="bad name"), "container name"),
        ("container", dict(C, name="x" * 300), "container name"),
        ("container", dict(C, command=["a\u0000b"]), "NUL"),
        ("container", dict(C, command="'unclosed"), "cannot be split"),
        ("container", dict(C, entrypoint={"a": 1}), "entrypoint"),
        ("container", dict(C, working_dir="relative"), "working_dir"),
        ("container", dict(C, state="sideways"), "state"),
        ("container", dict(image=IMAGE, containers=[{"name": NAME}, {"name": NAME}]), "used twice"),
        ("container", dict(image=IMAGE, containers=[{"name": NAME, "colour": "red"}]), "unknown option"),
        ("container", dict(image=IMAGE, containers=["a"]), "dictionary"),
        ("container", dict(image=IMAGE, containers=[{"image": IMAGE}]), "needs a name"),
        ("container", dict(image=IMAGE, containers=[{"name": NAME}, {"name": NAME + "2", "memory": "x"}]),
         NAME + "2: memory"),
        ("container", dict(C, timeout=-1), "timeout"),
        ("container", dict(C, api_version="abc"), "api_version"),
        ("container", dict(C, docker_host="tcp://127.0.0.1:1"), "127.0.0.1:1"),
        # ---- image ----
        ("image", dict(name="Upper/Case:1", source="local"), "lowercase"),
        ("image", dict(name="dockhand-adv/i:1", build={"context": "/nonexistent/ctx"}), "/nonexistent/ctx"),
        ("image", dict(name="dockhand-adv/i:1", build={"context": context, "args": {"V": 2}}), "build args"),
        ("image", dict(name="dockhand-adv/i:1", build={"context": context, "target": "nosuch"}), "not a stage"),
        ("image", dict(name="dockhand-adv/i:1", build={"context": context, "dockerfile": "Missing.Dockerfile"}),
         "Missing.Dockerfile"),
        ("image", dict(name="dockhand-adv/i:1", build={"context": context, "typo": 1}), "typo"),
        ("image", dict(name="dockhand-adv/i:1", build=5), "dictionary"),
        ("image", dict(name="dockhand-adv/i:1", source="load", archive_path="/nonexistent.tar"), "/nonexistent.tar"),
        ("image", dict(name="dockhand-adv/i:1", source="local"), "is not on the engine"),
        ("image", dict(name="dockhand-adv/i:1", source="build"), "no build options"),
        ("image", dict(name="sha256:" + "0" * 64, source="pull"), "cannot be pulled"),
        ("image", dict(name="dockhand-adv/i:1", tags=["Bad Tag!"], source="local"), "tags"),
        ("image", dict(name="dockhand-adv/i@sha256:" + "a" * 64, source="local", push=True), "no tag to push"),
        ("image", dict(name="dockhand-adv/i:1", rebuild="sometimes", source="local"), "rebuild"),
        ("image", dict(images=[{"name": "a:1", "source": "local"}, {"name": "a:1", "source": "local"}]), "used twice"),
        ("image", dict(images=[{"name": "a:1", "colour": "red"}]), "unknown option"),
        ("image", dict(name="a:1", source="local", timeout=-1), "timeout"),
        # ---- engine_info ----
        ("engine_info", dict(raw="maybe"), "raw"),
        ("engine_info", dict(plan_containers=[5]), "plan_containers"),
        ("engine_info", dict(plan_daemon_config="x"), "plan_daemon_config"),
        # ---- swarm (this engine is in no swarm; nothing may create or join one) ----
        ("swarm", dict(state="join"), "remote_addrs"),
        ("swarm", dict(state="join", remote_addrs=["127.0.0.1:2377"], join_token="SWMTKN-bad"), "join token"),
        ("swarm", dict(cert_expiry="soon"), "cert_expiry"),
        ("swarm", dict(election_tick=1), "election_tick"),
        ("swarm", dict(election_tick=3, heartbeat_tick=5), "election_tick"),
        ("swarm", dict(task_history_limit=-1), "task_history_limit"),
        ("swarm", dict(dispatcher_heartbeat="1x"), "dispatcher_heartbeat"),
        ("swarm", dict(signing_ca_cert="-----BEGIN CERTIFICATE-----"), "signing_ca"),
        ("swarm", dict(external_ca=[{"protocol": "cfssl"}]), "url"),
        ("swarm", dict(state="everywhere"), "state"),
        # ---- swarm_node ----
        ("swarm_node", dict(name="n1", role="boss"), "role"),
        ("swarm_node", dict(nodes=[{"name": "a", "colour": "x"}]), "unknown option"),
        ("swarm_node", dict(nodes=[{"name": "a"}, {"name": "a"}]), "used twice"),
        ("swarm_node", dict(name="n1", availability="drain"), "swarm manager"),
        # ---- daemon_config (on a file of the test's own) ----
        ("daemon_config", dict(dc, settings={"log-driver": "no such"}), "log-driver"),
        ("daemon_config", dict(dc, settings={"live-restore": "true"}), "live-restore"),
        ("daemon_config", dict(dc, settings={"no-such-key": 1}), "no-such-key"),
        ("daemon_config", dict(dc, log_driver="local", log_opts={"max-size": "lots"}), "max-size"),
        ("daemon_config", dict(dc, log_opts={"max-file": "0"}), "max-file"),
        ("daemon_config", dict(dc, log_driver="splunk", log_opts={"splunk-url": "https://s:8088",
                                                                  "splunk-token": SECRETS[0]},
                               settings={"log-opts": {"splunk-url": "https://s:8088", "splunk-token": "other"}}),
         "differ"),
        ("daemon_config", dict(dc, remove=[""]), "remove"),
        ("daemon_config", dict(dc, log_driver="gelf"), "gelf-address"),
        ("daemon_config", dict(dc, settings={"default-address-pools": "x"}), "default-address-pools"),
        ("daemon_config", dict(dc, settings={"max-concurrent-downloads": -1}), "max-concurrent-downloads"),
        ("daemon_config", dict(dc, settings={"registry-mirrors": "http://x"}), "registry-mirrors"),
        ("daemon_config", dict(dc, settings={"proxies": {"http-proxy": "http://u:%s@p:3128" % SECRETS[1],
                                                         "bogus": 1}}), "proxies"),
        ("daemon_config", dict(dc, validate=True, dockerd_path="/nonexistent/dockerd", settings={"debug": True}),
         "dockerd_path"),
        ("daemon_config", dict(dc, path=os.path.dirname(daemon_json)), "directory"),
        # ---- login ----
        ("login", dict(registry_url="127.0.0.1:5999", username="u", config_path=config_dir + "/config.json"),
         "password"),
        ("login", dict(registry_url="127.0.0.1:5999", username="a:b", password=SECRETS[2],
                       config_path=config_dir + "/config.json"), ":"),
        ("login", dict(state="maybe"), "state"),
        # ---- container_exec, container_info, image_info ----
        ("container_exec", dict(container="", command="true"), "container"),
        ("container_exec", dict(container=NAME, command=[]), "command"),
        ("container_exec", dict(container=NAME, command="'unclosed"), "cannot be split"),
        ("container_exec", dict(container=NAME, command="true", env={"A=B": SECRETS[2]}), "env"),
        ("container_exec", dict(container="dockhand-adv-missing", command="true", stdin=SECRETS[3]),
         "does not exist"),
        ("container_info", dict(name=NAME, logs_tail=-1), "logs_tail"),
        ("container_info", dict(names=[""]), "empty"),
        ("container_info", dict(name=NAME, names=[NAME]), "mutually exclusive"),
        ("image_info", dict(names=["Bad Ref!"]), "names"),
        ("image_info", dict(name=IMAGE, names=[IMAGE]), "mutually exclusive"),
    ]
    return table


def engine_state():
    def lines(*args):
        # State, not Status: "Up 4 minutes" ages while the table runs.
        # Sorted: the engine lists images created in the same second in no fixed order.
        return sorted(subprocess.run(["docker"] + list(args), capture_output=True, text=True,
                                     check=True).stdout.splitlines())
    return dict(containers=lines("ps", "-a", "--format", "{{.ID}} {{.Names}} {{.State}}"),
                images=lines("images", "-a", "--no-trunc", "--format", "{{.ID}} {{.Repository}}:{{.Tag}}"),
                networks=lines("network", "ls", "-q"), volumes=lines("volume", "ls", "-q"),
                swarm=lines("info", "--format", "{{.Swarm.LocalNodeState}}"))


def files_state(*paths):
    state = {}
    for base in paths:
        for root, _dirs, files in os.walk(base):
            for name in files:
                path = os.path.join(root, name)
                with open(path, "rb") as handle:
                    state[path] = (hashlib.sha256(handle.read()).hexdigest(), os.stat(path).st_mode)
    return state


def test_bad_input_is_one_line_and_changes_nothing(test_image, tmp_path):
    context = tmp_path / "ctx"
    context.mkdir()
    (context / "Dockerfile").write_text("FROM %s AS final\n" % IMAGE)
    etc = tmp_path / "etc"
    etc.mkdir()
    daemon_json = etc / "daemon.json"
    daemon_json.write_text(json.dumps({"log-driver": "json-file", "log-opts": {"max-size": "10m"}}, indent=2))
    os.chmod(daemon_json, 0o600)
    config_dir = tmp_path / "docker-config"
    config_dir.mkdir()
    (config_dir / "config.json").write_text(json.dumps({"auths": {}}))
    table = rows(str(context), str(daemon_json), str(config_dir))
    assert len(table) >= 100
    tasks = [{"name": "row %d" % index, "dockhand.docker.%s" % module: args, "ignore_errors": True}
             for index, (module, args, _fragment) in enumerate(table)]

    before = engine_state(), files_state(str(etc), str(config_dir))
    run = run_playbook(tasks, extra_args=["-vvv"], env={"DOCKER_CONFIG": str(config_dir)}, timeout=900)
    after = engine_state(), files_state(str(etc), str(config_dir))

    problems = []
    for index, (module, args, fragment) in enumerate(table):
        result = run.result(task=index)
        msg = str(result.get("msg", ""))
        where = "row %d (%s %s)" % (index, module, json.dumps(args)[:120])
        if not result.get("failed"):
            problems.append("%s did not fail: %s" % (where, json.dumps(result)[:300]))
        elif "\n" in msg.strip() or "Traceback" in msg + str(result.get("exception")) or "unexpected" in msg:
            problems.append("%s: not one clean line: %r %s" % (where, msg[:500], str(result.get("exception"))[:300]))
        elif fragment.lower() not in msg.lower():
            problems.append("%s: %r does not say %r" % (where, msg[:300], fragment))
    output = run.stdout + run.stderr
    for secret in SECRETS:
        if secret in output:
            problems.append("the secret %s appears in the output" % secret)
    # (The JSON callback shows "(traceback unavailable)" as the exception of every failure, ansible-core's own too.)
    for marker in ("An exception occurred during task execution", "MODULE FAILURE", "Traceback (most recent"):
        if marker in output:
            problems.append("%r in the output" % marker)
    assert not problems, "\n".join(problems)
    assert after == before
