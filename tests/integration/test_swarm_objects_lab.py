"""dockhand.docker.secret and config on the lab formed into a 3 + 2 swarm (managers node1, node2 with Docker
20.10 and node4 with 26.1; workers node3, node5). Services are made with the docker CLI on a manager, with
--endpoint-mode dnsrr (the lab's kernel has no IPVS), and use the versions by their names; the CLI and the
tasks' own files are the independent view."""
import json
import os

import pytest
from test_swarm_lab import cli_swarm

from ansible_runner import run_playbook
from swarm_tools import node_docker, node_list, reset_swarm, wait_for

pytestmark = pytest.mark.lab

NODE1, NODE2, NODE3, NODE4, NODE5 = ("dockhand-node%d" % i for i in range(1, 6))
IMAGE = "dockhand-test/busybox:latest"
# Distinctive contents: none may appear anywhere in ansible-playbook's -vvv output.
TOKENS = ("zq7-first-s3cret-a51e", "zq7-second-s3cret-b62f", "zq7-third-s3cret-c73a")
SERVICE = "objects-app"


@pytest.fixture(scope="module")
def swarm(lab_nodes):
    names = [node["name"] for node in lab_nodes["nodes"]]
    reset_swarm(names)
    lab = dict(inventory=lab_nodes, address=dict((node["name"], node["address"]) for node in lab_nodes["nodes"]))
    cli_swarm(lab, managers=(NODE1, NODE2, NODE4), workers=(NODE3, NODE5))
    wait_for("5 nodes ready", lambda: len([n for n in node_list(NODE1) if n["Status"] == "Ready"]) == 5)
    yield lab
    reset_swarm(names)


def play(lab, host, tasks, tmp_path, variables=None, extra_args=()):
    """The tasks on ``host``; ``variables`` (the secrets) in a file given with -e @file, as a vault's would be."""
    path = os.path.join(str(tmp_path), "vars.json")
    with open(path, "w") as handle:
        json.dump(variables or {}, handle)
    return run_playbook(tasks, hosts=host, inventory=lab["inventory"], extra_args=["-e", "@" + path] + list(extra_args))


def secret_task(data="{{ token }}", **args):
    return {"name": "secret", "dockhand.docker.secret": dict({"name": "app_token", "data": data}, **args)}


def config_task(data, **args):
    return {"name": "config", "dockhand.docker.config": dict({"name": "app_conf", "data": data}, **args)}


def names(kind):
    """Names of the swarm's secrets (or configs), as the CLI lists them on node1."""
    return sorted(node_docker(NODE1, kind, "ls", "--format", "{{.Name}}").split())


def service_refs(kind):
    spec = json.loads(node_docker(NODE1, "service", "inspect", "--format", "{{json .Spec}}", SERVICE))
    return spec["TaskTemplate"]["ContainerSpec"].get(kind.capitalize() + "s") or []


def running_tasks(replicas=2):
    """[(node, container ID)] of the service's tasks meant to run, once all ``replicas`` of them run."""
    lines = node_docker(NODE1, "service", "ps", SERVICE, "--no-trunc", "--filter", "desired-state=running",
                        "--format", "{{.ID}} {{.Node}} {{.CurrentState}}").splitlines()
    tasks = []
    for line in lines:
        task_id, node, state = line.split(" ", 2)
        if not state.startswith("Running"):
            return []
        container = node_docker(node, "ps", "-q", "--no-trunc", "--filter", "label=com.docker.swarm.task.id=" + task_id)
        tasks.append((node, container))
    return tasks if len(tasks) == replicas else []


def read_in_tasks(path):
    """What every running task of the service reads at ``path``."""
    tasks = wait_for("the service's tasks running", running_tasks, timeout=120)
    return sorted(set(node_docker(node, "exec", container, "cat", path) for node, container in tasks))


def test_create_check_mode_and_idempotence_on_both_engine_versions(swarm, tmp_path):
    checked = play(swarm, NODE1, [secret_task(data="{{ token }}", name="first_only")], tmp_path,
                   {"token": TOKENS[0]}, extra_args=["--check", "--diff"])
    result = checked.result(NODE1)["secret"]
    assert (result["action"], result["changed"], result["id"]) == ("created", True, None)
    assert result["version"].startswith("first_only-") and len(result["version"]) == len("first_only-") + 12
    assert names("secret") == []

    created = play(swarm, NODE1, [secret_task(name="first_only", labels={"team": "lab"})], tmp_path,
                   {"token": TOKENS[0]})
    first = created.result(NODE1)["secret"]
    assert first["action"] == "created" and names("secret") == [first["version"]]
    labels = json.loads(node_docker(NODE1, "secret", "inspect", "--format", "{{json .Spec.Labels}}", first["version"]))
    assert labels["team"] == "lab" and labels["dockhand.docker.name"] == "first_only"
    assert labels["dockhand.docker.hash"].startswith("pbkdf2-sha256$200000$")
    again = play(swarm, NODE1, [secret_task(name="first_only", labels={"team": "lab"})], tmp_path, {"token": TOKENS[0]})
    assert again.result(NODE1)["changed"] is False and again.result(NODE1)["secret"]["id"] == first["id"]

    # A config through the 26.1 manager; node1 (20.10) sees the same.
    made = play(swarm, NODE4, [config_task("first = 1\n", name="first_conf")], tmp_path)
    conf = made.result(NODE4)["config"]
    assert conf["action"] == "created" and names("config") == [conf["version"]]
    assert play(swarm, NODE4, [config_task("first = 1\n", name="first_conf")], tmp_path).result(NODE4)[
        "changed"] is False

    removed = play(swarm, NODE1, [secret_task(None, name="first_only", state="absent"),
                                  config_task(None, name="first_conf", state="absent")], tmp_path)
    assert removed.returncode == 0 and names("secret") == [] and names("config") == []


def test_new_content_moves_the_service_its_tasks_read_it_and_old_versions_go(swarm, tmp_path):
    made = play(swarm, NODE1, [secret_task(), config_task("greeting = hello\n")], tmp_path, {"token": TOKENS[0]})
    secret_v1, config_v1 = made.result(NODE1, task=0)["secret"], made.result(NODE1, task=1)["config"]
    node_docker(NODE1, "service", "create", "--detach", "--no-resolve-image", "--name", SERVICE,
                "--endpoint-mode", "dnsrr", "--replicas", "2", "--stop-grace-period", "1s",
                "--update-delay", "0s", "--update-monitor", "1s",
                "--secret", "source=%s,target=app_token,uid=1000,gid=1000,mode=0400" % secret_v1["version"],
                "--config", "source=%s,target=/app.conf" % config_v1["version"], IMAGE, "sleep", "3600")
    assert read_in_tasks("/run/secrets/app_token") == [TOKENS[0]]

    # Check mode: the version it would make and the service it would move; nothing changes.
    spec_before = service_refs("secret")
    preview = play(swarm, NODE1, [secret_task()], tmp_path, {"token": TOKENS[1]}, extra_args=["--check", "--diff"])
    would = preview.result(NODE1)["secret"]
    assert (would["action"], would["services"], would["id"]) == ("rotated", [SERVICE], None)
    assert would["version"] != secret_v1["version"] and would["diff"]["after"]["content"] == "changed"
    assert names("secret") == [secret_v1["version"]] and service_refs("secret") == spec_before

    # New content, at -vvv: a new version, the service moved to it (target, uid, gid, mode kept), the tasks read it.
    rotated = play(swarm, NODE1, [secret_task()], tmp_path, {"token": TOKENS[1]}, extra_args=["-vvv", "--diff"])
    second = rotated.result(NODE1)["secret"]
    assert (second["action"], second["services"], second["version"]) == ("rotated", [SERVICE], would["version"])
    assert second["versions"] == [second["version"], secret_v1["version"]] and second["removed_versions"] == []
    ref = service_refs("secret")[0]
    assert (ref["SecretName"], ref["SecretID"]) == (second["version"], second["id"])
    assert ref["File"] == spec_before[0]["File"] == {"Name": "app_token", "UID": "1000", "GID": "1000", "Mode": 256}
    assert read_in_tasks("/run/secrets/app_token") == [TOKENS[1]]
    assert names("secret") == sorted([secret_v1["version"], second["version"]])  # keep_versions 1
    output = rotated.stdout + rotated.stderr
    assert all(token not in output for token in TOKENS), "a secret's data is in the -vvv output"

    # Once more: the first version is no longer used and beyond keep_versions, so it goes.
    third = play(swarm, NODE1, [secret_task()], tmp_path, {"token": TOKENS[2]}).result(NODE1)["secret"]
    assert third["removed_versions"] == [secret_v1["version"]]
    assert names("secret") == sorted([second["version"], third["version"]])
    assert read_in_tasks("/run/secrets/app_token") == [TOKENS[2]]
    assert play(swarm, NODE1, [secret_task()], tmp_path, {"token": TOKENS[2]}).result(NODE1)["changed"] is False

    # The config, through the 26.1 manager: the tasks read the new file at its target.
    conf = play(swarm, NODE4, [config_task("greeting = bonjour\n")], tmp_path).result(NODE4)["config"]
    assert (conf["action"], conf["services"]) == ("rotated", [SERVICE])
    assert read_in_tasks("/app.conf") == ["greeting = bonjour"]
    assert service_refs("config")[0]["ConfigName"] == conf["version"]

    # Removal is refused while the service uses a version, naming it; without the service it removes them all.
    refused = play(swarm, NODE1, [secret_task(None, state="absent")], tmp_path)
    message = refused.result(NODE1)["msg"]
    assert refused.returncode != 0 and "\n" not in message
    assert "in use (%s by %s)" % (third["version"], SERVICE) in message and "force" in message
    assert names("secret") == sorted([second["version"], third["version"]])
    forced = play(swarm, NODE1, [secret_task(None, state="absent", force=True)], tmp_path).result(NODE1)["secret"]
    assert forced["removed_versions"] == [second["version"]] and forced["in_use"] == {third["version"]: [SERVICE]}
    node_docker(NODE1, "service", "rm", SERVICE)
    gone = play(swarm, NODE1, [secret_task(None, state="absent"), config_task(None, state="absent")], tmp_path)
    assert gone.returncode == 0, gone.failed_messages()
    assert names("secret") == [] and names("config") == []


# Distinctive data: Ansible masks every occurrence of a no_log value (top-level data) in the task's result.
VALUE = "bad-input-value"
BAD = [
    ("secret", {"name": "bad name", "data": VALUE}, "is not a usable name"),
    ("secret", {"name": "a" * 52, "data": VALUE}, "at most 51 characters"),
    ("secret", {"name": "bad_both", "data": VALUE, "src": "/etc/hostname"}, "give either data or src"),
    ("secret", {"name": "bad_neither"}, "give either data or src"),
    ("secret", {"name": "bad_src", "src": "/nonexistent/token"}, "does not exist on the managed host"),
    ("secret", {"name": "bad_dir", "src": "/etc"}, "is not a regular file"),
    ("secret", {"name": "bad_empty", "data": ""}, "is empty"),
    ("secret", {"name": "bad_blank", "data": "  \n"}, "only white space"),
    ("secret", {"name": "bad_big", "data": "x" * (500 * 1024)}, "less than 512000 bytes"),
    ("secret", {"name": "bad_b64", "data": "%%%", "data_is_b64": True}, "not valid base64"),
    ("secret", {"name": "bad_label", "data": VALUE, "labels": {"dockhand.docker.hash": "h"}}, "is reserved"),
    ("secret", {"name": "bad_keep", "data": VALUE, "keep_versions": -1}, "keep_versions: -1 is not a count"),
    ("secret", {"name": "bad_wait", "data": VALUE, "wait_timeout": 0}, "wait_timeout: 0"),
    ("secret", {"secrets": [{"name": "twice", "data": VALUE}, {"name": "twice", "data": VALUE}]}, "used twice"),
    ("secret", {"secrets": [{"name": "ok_two", "data": VALUE}, {"name": "typo", "dta": VALUE}]},
     "unknown option(s) dta"),
    ("config", {"name": "bad_driver", "data": VALUE, "template_driver": "jinja"}, "template_driver"),
    ("config", {"name": "bad_conf_label", "data": VALUE, "labels": {"": "v"}}, "is not a name"),
]


def test_bad_input_is_one_line_and_creates_nothing(swarm, tmp_path):
    tasks = [{"name": "row %d" % index, "dockhand.docker.%s" % module: args, "ignore_errors": True}
             for index, (module, args, _fragment) in enumerate(BAD)]
    tasks.append({"name": "on a worker", "dockhand.docker.secret": {"name": "on_worker", "data": "bad-input-value"},
                  "ignore_errors": True})
    before = names("secret"), names("config")
    run = play(swarm, NODE1, tasks[:-1], tmp_path, extra_args=["-vvv"])
    worker = play(swarm, NODE3, tasks[-1:], tmp_path)
    problems = []
    for index, (module, args, fragment) in enumerate(BAD):
        result = run.result(NODE1, task=index)
        msg = str(result.get("msg", ""))
        if not result.get("failed") or "\n" in msg.strip() or fragment not in msg or "unexpected" in msg:
            problems.append("%s %s: %r" % (module, json.dumps(args)[:80], msg[:300]))
    message = worker.result(NODE3)["msg"]
    assert message == "secret runs on a swarm manager; this engine is a worker"
    assert not problems, "\n".join(problems)
    assert "Traceback" not in run.stdout + run.stderr
    assert (names("secret"), names("config")) == before
