"""Registries in the forms users run, read as the engine on each lab node sees them.

The registries listen on the lab network's gateway (172.30.77.1), which the nodes reach without
any relay to 127.0.0.1 (`tools/lab.py registry up --address 172.30.77.1`):

* the plain registry on :5000, which the engines accept over plain HTTP only because the
  docker_host role listed it in their daemon.json `insecure-registries`;
* a TLS registry on :5443 whose certificate a CA made for this run signed; the nodes trust that
  CA only through /etc/docker/certs.d/172.30.77.1:5443/ca.crt (never their system store);
* the htpasswd registry on :5001, its credentials given by a credential helper
  (`credHelpers` in the client's config.json) and never written anywhere else.

The image module and the images role run ON the nodes (one with Docker 20.10, one with 26.1),
so every registry read (push check, push verification, the preflight plan, image_info) happens
there. `api_version: "1.29"` makes the same reads go straight to the registry (engines below API
1.30 have no distribution endpoint), with the settings taken from the engine.
"""
import base64
import json
import ssl
import subprocess
import urllib.error
import urllib.request
import uuid

import pytest

from ansible_runner import run_playbook
from registry_tools import MANIFEST_ACCEPT

pytestmark = pytest.mark.lab

DEMO_APP = "/root/dockhand-build/demo-app"  # placed in every node by tools/lab.py
HELPER = "dockhandlab"
HELPER_LOG = "/root/dockhand-forms-helper.log"
DOCKER_CONFIG = "/root/dockhand-forms-docker-config"
IMAGE_TASK = "Build, tag and push the images in one module run"


def node_sh(node, command, check=True):
    proc = subprocess.run(["docker", "exec", node, "sh", "-c", command], capture_output=True, text=True,
                          check=False)
    if check and proc.returncode != 0:
        raise AssertionError("%s: %s: %s" % (node, command, proc.stderr))
    return proc.stdout


def registry_digest(url, repository, tag, context=None, credentials=None):
    """The digest the registry holds for repository:tag (read from this machine, not by the code under test)."""
    headers = {"Accept": MANIFEST_ACCEPT}
    if credentials:
        headers["Authorization"] = "Basic " + base64.b64encode(("%s:%s" % credentials).encode()).decode()
    request = urllib.request.Request("%s/v2/%s/manifests/%s" % (url, repository, tag), headers=headers,
                                     method="HEAD")
    try:
        with urllib.request.urlopen(request, timeout=30, context=context) as response:
            return response.headers.get("Docker-Content-Digest")
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise


def on_node(lab_nodes, node, tasks, environment=None, extra_args=()):
    plays = [dict(name="on %s" % node, hosts=node, gather_facts=False, tasks=tasks,
                  environment=environment or {})]
    return run_playbook(None, plays=plays, inventory=lab_nodes, extra_args=extra_args)


def image_id(node, name):
    return node_sh(node, "docker image inspect --format '{{.Id}}' %s" % name).strip()


@pytest.fixture(scope="module")
def served(lab_nodes, registries, lab_tool_module):
    """The registries served on the lab network's gateway, and the TLS registry with its new CA."""
    info = lab_tool_module.registry_serve(lab_tool_module.GATEWAY)
    info["tls_context"] = ssl.create_default_context(cafile=info["tls_ca"])
    yield info
    lab_tool_module.registry_unserve()


@pytest.fixture(scope="module")
def engines(lab_nodes, served):
    """{release: node} of one systemd node per engine version, configured as a user would: the docker_host
    role lists the plain and htpasswd registries in insecure-registries and the plain one as the Docker Hub
    mirror (and restarts the engine), the CA goes to certs.d. Put back afterwards."""
    nodes = {}
    for node in lab_nodes["nodes"]:
        if node.get("init", "systemd") == "systemd":
            nodes.setdefault(node["release"], node["name"])
    hosts = ",".join(sorted(nodes.values()))
    certs_dir = "/etc/docker/certs.d/%s" % served["tls"]
    setup = [dict(name="setup", hosts=hosts, gather_facts=False, tasks=[
        {"name": "certs.d of the TLS registry",
         "ansible.builtin.file": {"path": certs_dir, "state": "directory", "mode": "0755"}},
        {"name": "CA of the TLS registry, for the engine only",
         "ansible.builtin.copy": {"src": served["tls_ca"], "dest": certs_dir + "/ca.crt", "mode": "0644"}},
        {"name": "insecure-registries", "ansible.builtin.include_role": {"name": "dockhand.docker.docker_host"},
         "vars": {"docker_host_install": False, "docker_host_daemon_settings": {
             "insecure-registries": [served["served_plain"], served["served_auth"]],
             "registry-mirrors": ["http://%s" % served["served_plain"]]}}},
    ])]
    run = run_playbook(None, plays=setup, inventory=lab_nodes)
    assert run.returncode == 0, run.failed_messages()
    for node in nodes.values():
        config = json.loads(node_sh(node, "cat /etc/docker/daemon.json"))
        assert config["insecure-registries"] == [served["served_plain"], served["served_auth"]]
    yield nodes
    teardown = [dict(name="teardown", hosts=hosts, gather_facts=False, tasks=[
        {"name": "no CA", "ansible.builtin.file": {"path": certs_dir, "state": "absent"}},
        {"name": "no insecure-registries", "ansible.builtin.include_role": {"name": "dockhand.docker.docker_host"},
         "vars": {"docker_host_install": False,
                  "docker_host_daemon_remove": ["insecure-registries", "registry-mirrors"]}},
    ])]
    undone = run_playbook(None, plays=teardown, inventory=lab_nodes)
    assert undone.returncode == 0, undone.failed_messages()


def unique(kind, release):
    return "dockhand-forms/%s-%s-%s" % (kind, release, uuid.uuid4().hex[:6])


def build(name, greeting):
    return {"name": name, "build": {"context": DEMO_APP, "args": {"GREETING": greeting}}, "push": True}


def assert_registry_reads(lab_nodes, node, name, greeting, digest, environment=None):
    """The preflight plan finds nothing to do; image_info reads the same digest through the engine and,
    with API 1.29 (no distribution endpoint), straight from the registry; a missing tag is null."""
    plan = on_node(lab_nodes, node, [{"dockhand.docker.engine_info": {"plan_images": [build(name, greeting)]}}],
                   environment).result(node)["images_plan"]
    assert plan["in_sync"] is True and plan["pushed"] == [{"ref": name, "digest": digest, "pushed": False}], plan
    for api_version in ("auto", "1.29"):
        found = on_node(lab_nodes, node, [{"dockhand.docker.image_info": {
            "names": [name, name.rsplit(":", 1)[0] + ":missing"], "registry": True, "api_version": api_version}}],
            environment).result(node)
        assert found.get("failed") is not True, (api_version, found.get("msg"))
        assert [image["registry"] for image in found["images"]] == [
            {"digest": digest, "platforms": ["linux/amd64"]}, {"digest": None, "platforms": []}], api_version


@pytest.mark.parametrize("release", ["bookworm", "trixie"])
def test_insecure_registry_on_the_gateway(lab_nodes, engines, served, release):
    node = engines[release]
    repository = unique("insecure", release)
    name = "%s/%s:1" % (served["served_plain"], repository)
    first = on_node(lab_nodes, node, [{"dockhand.docker.image": build(name, "insecure")}])
    result = first.result(node)
    assert first.returncode == 0, first.failed_messages()
    assert result["actions"] == ["built", "pushed %s" % name], result["actions"]
    digest = result["pushed"][0]["digest"]
    assert digest == registry_digest("http://" + served["served_plain"], repository, "1")
    built = image_id(node, name)
    again = on_node(lab_nodes, node, [{"dockhand.docker.image": build(name, "insecure")}]).result(node)
    assert again["changed"] is False and again["pushed"][0] == {"ref": name, "digest": digest, "pushed": False}
    assert image_id(node, name) == built
    assert_registry_reads(lab_nodes, node, name, "insecure", digest)


@pytest.mark.parametrize("release", ["bookworm", "trixie"])
def test_tls_registry_with_a_private_ca_in_certs_d(lab_nodes, engines, served, release):
    node = engines[release]
    # The CA is the engine's only: Python on the node does not trust the registry.
    probe = "import urllib.request; urllib.request.urlopen('https://%s/v2/', timeout=10)" % served["tls"]
    refused = subprocess.run(["docker", "exec", node, "python3", "-c", probe], capture_output=True, text=True,
                             check=False)
    assert refused.returncode != 0 and "CERTIFICATE_VERIFY_FAILED" in refused.stderr
    repository = unique("tls", release)
    name = "%s/%s:1" % (served["tls"], repository)
    plays = [dict(name="images", hosts=node, gather_facts=False, roles=[dict(
        role="dockhand.docker.images", vars={"images_list": [build(name, "tls")]})])]
    first = run_playbook(None, plays=plays, inventory=lab_nodes)
    assert first.returncode == 0, first.failed_messages()
    pushed = first.named(IMAGE_TASK, host=node)["images"][0]["pushed"]
    digest = pushed[0]["digest"]
    assert pushed == [{"ref": name, "digest": digest, "pushed": True}]
    assert digest == registry_digest("https://" + served["tls"], repository, "1", served["tls_context"])
    built = image_id(node, name)
    again = run_playbook(None, plays=plays, inventory=lab_nodes)
    assert again.returncode == 0 and again.stats[node]["changed"] == 0, again.failed_messages()
    assert again.named(IMAGE_TASK, host=node)["images"][0]["pushed"] == \
        [{"ref": name, "digest": digest, "pushed": False}]
    assert image_id(node, name) == built
    assert_registry_reads(lab_nodes, node, name, "tls", digest)


@pytest.mark.parametrize("release", ["bookworm", "trixie"])
def test_docker_hub_names_are_read_through_the_mirror(lab_nodes, engines, served, release):
    """No Docker Hub here: a library/ image that only the mirror holds is read as the engine pulls it."""
    node = engines[release]
    repository = "library/" + unique("mirror", release).replace("/", "-")
    pushed = on_node(lab_nodes, node, [{"dockhand.docker.image": build(
        "%s/%s:1" % (served["served_plain"], repository), "mirror")}])
    assert pushed.returncode == 0, pushed.failed_messages()
    digest = pushed.result(node)["pushed"][0]["digest"]
    hub_name = repository[len("library/"):] + ":1"  # docker.io/library/...
    for api_version in ("auto", "1.29"):
        found = on_node(lab_nodes, node, [{"dockhand.docker.image_info": {
            "name": hub_name, "registry": True, "api_version": api_version}}]).result(node)
        assert found.get("failed") is not True, (api_version, found.get("msg"))
        assert found["images"][0]["registry"] == {"digest": digest, "platforms": ["linux/amd64"]}, api_version


def helper_tasks(served, body):
    """A credential helper on the node, named in a config.json of its own (DOCKER_CONFIG)."""
    script = "#!/bin/sh\n[ \"$1\" = get ] || exit 1\nread server\necho \"$server\" >> %s\n%s\n" % (HELPER_LOG, body)
    return [
        {"name": "helper", "ansible.builtin.copy": {"dest": "/usr/local/bin/docker-credential-" + HELPER,
                                                    "content": script, "mode": "0700"}},
        {"name": "config directory",
         "ansible.builtin.file": {"path": DOCKER_CONFIG, "state": "directory", "mode": "0700"}},
        {"name": "config", "ansible.builtin.copy": {
            "dest": DOCKER_CONFIG + "/config.json", "mode": "0600",
            "content": json.dumps({"credHelpers": {served["served_auth"]: HELPER}})}},
        {"name": "log", "ansible.builtin.file": {"path": HELPER_LOG, "state": "absent"}},
    ]


@pytest.mark.parametrize("release", ["bookworm", "trixie"])
def test_credential_helper_against_the_htpasswd_registry(lab_nodes, engines, served, release):
    node = engines[release]
    password = served["password"]
    answer = json.dumps({"ServerURL": served["served_auth"], "Username": served["username"], "Secret": password})
    setup = on_node(lab_nodes, node, helper_tasks(served, "echo '%s'" % answer))
    assert setup.returncode == 0, setup.failed_messages()
    environment = {"DOCKER_CONFIG": DOCKER_CONFIG}
    repository = unique("helper", release)
    name = "%s/%s:1" % (served["served_auth"], repository)
    first = on_node(lab_nodes, node, [{"dockhand.docker.image": build(name, "helper")}], environment, ["-vvv"])
    assert first.returncode == 0, first.failed_messages()
    digest = first.result(node)["pushed"][0]["digest"]
    assert digest == registry_digest("http://" + served["served_auth"], repository, "1",
                                     credentials=(served["username"], password))
    with pytest.raises(urllib.error.HTTPError) as refused:
        registry_digest("http://" + served["served_auth"], repository, "1")
    assert refused.value.code == 401  # the registry does want the helper's credentials
    again = on_node(lab_nodes, node, [{"dockhand.docker.image": build(name, "helper")}], environment).result(node)
    assert again["changed"] is False and again["pushed"][0] == {"ref": name, "digest": digest, "pushed": False}
    assert_registry_reads(lab_nodes, node, name, "helper", digest, environment)
    asked = node_sh(node, "cat %s" % HELPER_LOG).split()
    assert asked and set(asked) == {served["served_auth"]}, asked
    assert password not in first.stdout + first.stderr
    # Without the helper's answer the registry refuses: the reads did use the helper.
    broken = on_node(lab_nodes, node, helper_tasks(
        served, "echo 'pass: store locked' >&2; exit 1"))
    assert broken.returncode == 0, broken.failed_messages()
    failed = on_node(lab_nodes, node, [{"dockhand.docker.image_info": {"name": name, "registry": True}}],
                     environment)
    result = failed.result(node)
    assert result["failed"] is True
    assert result["msg"] == ("credential helper docker-credential-%s failed for registry %s (exit 1): "
                             "pass: store locked" % (HELPER, served["served_auth"]))
    on_node(lab_nodes, node, [{"ansible.builtin.file": {"path": path, "state": "absent"}}
                              for path in (DOCKER_CONFIG, HELPER_LOG, "/usr/local/bin/docker-credential-" + HELPER)])


def test_an_engine_without_those_settings_is_read_as_it_would_push(lab_nodes, engines, served):
    """A node whose engine lists no insecure registry and has no CA: the reads fail as its push would,
    one line naming the registry and saying what the engine lacks."""
    configured = set(engines.values())
    node = next(entry["name"] for entry in lab_nodes["nodes"] if entry["name"] not in configured)
    for registry, fragment in ((served["served_plain"], "insecure-registries"),
                               (served["tls"], "/etc/docker/certs.d/%s/ca.crt" % served["tls"])):
        name = "%s/dockhand-forms/nowhere:1" % registry
        run = on_node(lab_nodes, node, [{"dockhand.docker.image_info": {"name": name, "registry": True}}])
        result = run.result(node)
        assert result["failed"] is True and "\n" not in result["msg"]
        assert result["msg"].startswith("cannot read %s from registry %s (through the Docker engine at "
                                        % (name, registry)), result["msg"]
        assert fragment in result["msg"], result["msg"]


def answers_inside(node, port):
    """Whether a registry answers (any HTTP status: the htpasswd one says 401) on 127.0.0.1:port inside node."""
    probe = ("import urllib.error, urllib.request\ntry:\n    urllib.request.urlopen('http://127.0.0.1:%d/v2/', "
             "timeout=5)\nexcept urllib.error.HTTPError:\n    pass" % port)
    return subprocess.run(["docker", "exec", node, "python3", "-c", probe], capture_output=True,
                          check=False).returncode == 0


def test_the_bridge_and_the_served_registries_share_the_gateway(lab_nodes, served, lab_tool_module):
    """tools/lab.py: the loopback relay of `registry bridge` keeps working whether the registry itself or the
    bridge's own relay listens on the gateway, and `registry_unserve` gives the gateway back to the relay.
    (Last in this module: it stops serving the gateway for a moment and serves it again.)"""
    lab = lab_tool_module
    node = lab_nodes["nodes"][0]["name"]
    pidfile = lab.BRIDGE_DIR / ("%s-%d.pid" % (lab.NETWORK, lab.REGISTRIES["plain"]))
    lab.registry_bridge()
    assert lab._live_pid(pidfile, "socat") is None  # the registry listens there itself
    assert answers_inside(node, 5000) and answers_inside(node, 5001)
    lab.registry_unserve()
    assert lab._live_pid(pidfile, "socat") is not None  # the relay took the gateway back
    assert answers_inside(node, 5000) and answers_inside(node, 5001)
    again = lab.registry_serve(lab.GATEWAY)
    assert lab._live_pid(pidfile, "socat") is None
    assert answers_inside(node, 5000)
    served.update(again, tls_context=ssl.create_default_context(cafile=again["tls_ca"]))
