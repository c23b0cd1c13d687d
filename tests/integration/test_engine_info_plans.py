"""engine_info's plan_* options against the real engine and the loopback registry: each plan
says what daemon_config, container and image would do (running their own code in check mode),
changes nothing, and carries a digest the controller computes the same way."""
import json
import subprocess
import uuid

import pytest

from ansible_runner import run_playbook

pytestmark = pytest.mark.engine

# What a playbook computes to check a plan was made for its own options.
CONTROLLER_DIGEST = "{{ planned | to_json(sort_keys=true, separators=[',', ':']) | hash('sha256') }}"


def docker(*args):
    return subprocess.run(["docker"] + list(args), capture_output=True, text=True, check=True).stdout.strip()


def plan_then(option, planned, apply=None):
    """Run engine_info with ``option: planned`` (and the controller's digest of it), optionally after ``apply``."""
    tasks = ([apply] if apply else []) + [
        {"name": "plan", "dockhand.docker.engine_info": {option: planned}, "register": "read"},
        {"name": "digest", "ansible.builtin.debug": {"msg": CONTROLLER_DIGEST}, "vars": {"planned": planned}},
    ]
    run = run_playbook(tasks)
    assert run.returncode == 0, run.failed_messages()
    return run.named("plan"), run.named("digest")["msg"]


# ---- daemon.json ----

def test_daemon_config_plan_follows_the_file(tmp_path):
    path = tmp_path / "daemon.json"
    options = {"path": str(path), "log_driver": "local", "log_opts": {"max-size": "10m"}, "settings": {},
               "remove": []}
    read, digest = plan_then("plan_daemon_config", options)
    plan = read["daemon_config_plan"]
    assert plan["in_sync"] is False and plan["changed_keys"] == ["log-driver", "log-opts"] and plan["error"] is None
    assert plan["options_digest"] == digest
    assert not path.exists() and read["changed"] is False

    write = {"name": "write", "dockhand.docker.daemon_config": {
        "path": str(path), "log_driver": "local", "log_opts": {"max-size": "10m"}, "validate": False}}
    plan = plan_then("plan_daemon_config", options, apply=write)[0]["daemon_config_plan"]
    assert plan["in_sync"] is True and plan["changed_keys"] == []

    # Somebody edits the file by hand: the plan sees it, and leaves the file alone.
    path.write_text(json.dumps({"log-driver": "local", "log-opts": {"max-size": "20m"}}))
    plan = plan_then("plan_daemon_config", options)[0]["daemon_config_plan"]
    assert plan["in_sync"] is False and plan["changed_keys"] == ["log-opts"]
    assert json.loads(path.read_text())["log-opts"] == {"max-size": "20m"}


@pytest.mark.parametrize("options, fragment", [
    ({"log_driver": "jsonfile"}, "jsonfile"),
    ({"log_driver": "local", "log_opts": {"max-size": "lots"}}, "max-size"),
    ({"setting": {"debug": True}}, "unknown option(s) setting"),
    ({"settings": "debug"}, "settings"),
])
def test_daemon_config_plan_reports_bad_options_without_failing(tmp_path, options, fragment):
    options = dict(options, path=str(tmp_path / "daemon.json"))
    read = plan_then("plan_daemon_config", options)[0]
    assert read.get("failed") is not True
    plan = read["daemon_config_plan"]
    assert plan["in_sync"] is False and fragment in plan["error"], plan


# ---- networks ----

@pytest.fixture
def network_name():
    name = "dockhand-test-plan-%s" % uuid.uuid4().hex[:8]
    yield name
    subprocess.run(["docker", "network", "rm", name], capture_output=True, check=False)


def test_networks_plan_matches_the_network_module(network_name):
    items = [{"name": network_name, "labels": {"stage": "plan"},
              "ipam": {"config": [{"subnet": "10.231.7.0/24", "gateway": "10.231.7.1"}]}}]
    read, digest = plan_then("plan_networks", items)
    assert read["networks_plan"] == {"in_sync": False, "actions": {network_name: "created"}, "error": None,
                                     "items_digest": digest}
    assert docker("network", "ls", "-q", "--filter", "name=^%s$" % network_name) == ""

    create = {"name": "create", "dockhand.docker.network": {"networks": items}}
    plan = plan_then("plan_networks", items, apply=create)[0]["networks_plan"]
    assert plan["in_sync"] is True and plan["actions"] == {network_name: "unchanged"}

    plan = plan_then("plan_networks", [dict(items[0], labels={"stage": "moved"})])[0]["networks_plan"]
    assert plan["in_sync"] is False and plan["actions"] == {network_name: "recreated"}
    assert docker("network", "inspect", "-f", "{{json .Labels}}", network_name) == '{"stage":"plan"}'

    plan = plan_then("plan_networks", [dict(items[0], ipam={"config": [{"subnet": "nonsense"}]})])[0]
    assert plan["networks_plan"]["in_sync"] is False and "subnet" in plan["networks_plan"]["error"]


# ---- containers ----

@pytest.fixture
def container_name():
    name = "dockhand-test-plan-%s" % uuid.uuid4().hex[:8]
    yield name
    subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)


def test_containers_plan_matches_the_container_module(test_image, container_name):
    items = [{"name": container_name, "image": test_image, "command": ["sleep", "1000"], "init": True,
              "memory": "64m", "cpus": 0.25, "pids_limit": 64}]
    read, digest = plan_then("plan_containers", items)
    assert read["containers_plan"] == {"in_sync": False, "actions": {container_name: "created"}, "error": None,
                                       "items_digest": digest}
    assert docker("ps", "-a", "-q", "--filter", "name=^%s$" % container_name) == ""

    create = {"name": "create", "dockhand.docker.container": {"containers": items}}
    plan = plan_then("plan_containers", items, apply=create)[0]["containers_plan"]
    assert plan["in_sync"] is True and plan["actions"] == {container_name: "unchanged"}

    changed = [dict(items[0], memory="96m")]
    plan = plan_then("plan_containers", changed)[0]["containers_plan"]
    assert plan["in_sync"] is False and plan["actions"] == {container_name: "updated"}
    assert docker("inspect", "-f", "{{.HostConfig.Memory}}", container_name) == str(64 * 1024 * 1024)

    plan = plan_then("plan_containers", [dict(items[0], memory="lots")])[0]["containers_plan"]
    assert plan["in_sync"] is False and plan["actions"] == {} and "memory" in plan["error"]


# ---- images ----

@pytest.fixture
def image_context(tmp_path, test_image):
    (tmp_path / "Dockerfile").write_text("FROM %s\nARG LEVEL=1\nRUN echo $LEVEL > /level\n" % test_image)
    return tmp_path


@pytest.fixture
def pushed_name(registries):
    repo = "dockhand-test/plan-%s" % uuid.uuid4().hex[:8]
    name = "%s/%s:1" % (registries["plain"], repo)
    yield name
    subprocess.run(["docker", "rmi", "-f", name], capture_output=True, check=False)


def test_images_plan_matches_the_image_module(image_context, pushed_name):
    items = [{"name": pushed_name, "build": {"context": str(image_context), "args": {"LEVEL": "1"}}, "push": True}]
    read, digest = plan_then("plan_images", items)
    plan = read["images_plan"]
    assert plan["in_sync"] is False and plan["error"] is None and plan["items_digest"] == digest
    assert plan["actions"] == {pushed_name: ["built", "pushed %s" % pushed_name]}
    assert subprocess.run(["docker", "image", "inspect", pushed_name], capture_output=True, check=False).returncode != 0

    build = {"name": "build", "dockhand.docker.image": {"images": items}}
    plan = plan_then("plan_images", items, apply=build)[0]["images_plan"]
    assert plan["in_sync"] is True and plan["actions"] == {pushed_name: []}
    [pushed] = plan["pushed"]
    assert pushed["ref"] == pushed_name and pushed["pushed"] is False and pushed["digest"].startswith("sha256:")
    image_id = docker("image", "inspect", "-f", "{{.Id}}", pushed_name)

    rebuilt = [dict(items[0], build={"context": str(image_context), "args": {"LEVEL": "2"}})]
    plan = plan_then("plan_images", rebuilt)[0]["images_plan"]
    assert plan["in_sync"] is False and plan["actions"][pushed_name][0] == "built"
    assert docker("image", "inspect", "-f", "{{.Id}}", pushed_name) == image_id
