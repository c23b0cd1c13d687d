"""The docker_host role on lab nodes: rollback of a configuration the engine refuses, the TLS
listener reached from the controller, bad input that leaves daemon.json untouched."""
import json
import subprocess

import pytest
from pki import issue, make_ca

from ansible_runner import run_module, run_playbook

pytestmark = pytest.mark.lab

DAEMON_JSON = "/etc/docker/daemon.json"


def node_sh(node, command, check=True):
    proc = subprocess.run(["docker", "exec", node, "sh", "-c", command], capture_output=True, text=True,
                          check=False)
    if check and proc.returncode != 0:
        raise AssertionError("%s: %s: %s" % (node, command, proc.stderr))
    return proc.stdout


def role(inventory, hosts, role_vars, extra_args=()):
    plays = [dict(name="docker_host", hosts=hosts, gather_facts=False,
                  roles=[dict(role="dockhand.docker.docker_host", vars=role_vars)])]
    return run_playbook(None, plays=plays, inventory=inventory, extra_args=extra_args)


def failure_message(run, host):
    """The message of the last failed task (a failure a rescue handled comes before it)."""
    messages = [(task["hosts"].get(host) or {}).get("msg", "") for task in run.data["plays"][0]["tasks"]
                if (task["hosts"].get(host) or {}).get("failed")]
    return messages[-1] if messages else ""


@pytest.fixture(scope="module")
def nodes(lab_nodes):
    return dict((node["name"], node) for node in lab_nodes["nodes"])


def systemd_node(nodes, release):
    return next(name for name, node in sorted(nodes.items())
                if node["release"] == release and node.get("init", "systemd") == "systemd")


def test_converge_is_idempotent_and_keeps_unmanaged_keys(lab_nodes, nodes):
    node = systemd_node(nodes, "bookworm")
    node_sh(node, "echo '{\"max-concurrent-downloads\": 4}' > %s" % DAEMON_JSON)
    run = role(lab_nodes, node, {"docker_host_log_driver": "local", "docker_host_log_opts": {"max-size": "5m"}})
    assert run.returncode == 0, run.stdout[-3000:]
    config = json.loads(node_sh(node, "cat %s" % DAEMON_JSON))
    assert config == {"max-concurrent-downloads": 4, "log-driver": "local", "log-opts": {"max-size": "5m"}}
    assert node_sh(node, "docker info --format '{{.LoggingDriver}}'").strip() == "local"
    again = role(lab_nodes, node, {"docker_host_log_driver": "local", "docker_host_log_opts": {"max-size": "5m"}})
    assert again.stats[node]["changed"] == 0, again.stdout[-2000:]


@pytest.mark.parametrize("release", ["bookworm", "trixie"])
def test_a_configuration_the_engine_refuses_is_rolled_back(lab_nodes, nodes, release):
    node = systemd_node(nodes, release)
    baseline = role(lab_nodes, node, {"docker_host_log_driver": "json-file",
                                      "docker_host_log_opts": {"max-size": "1m"}})
    assert baseline.returncode == 0, baseline.stdout[-3000:]
    before = node_sh(node, "cat %s" % DAEMON_JSON)
    # Valid JSON and a valid path, but dockerd cannot create its data directory under /proc.
    run = role(lab_nodes, node, {"docker_host_log_driver": "json-file", "docker_host_log_opts": {"max-size": "1m"},
                                 "docker_host_daemon_settings": {"data-root": "/proc/dockhand-data"}})
    assert run.returncode != 0
    message = failure_message(run, node)
    assert "did not start with the new configuration" in message and "restored" in message, message
    assert "/proc/dockhand-data" in message, message  # the engine's own words
    assert node_sh(node, "cat %s" % DAEMON_JSON) == before
    assert node_sh(node, "docker info --format '{{.LoggingDriver}} {{.DockerRootDir}}'").split() == \
        ["json-file", "/var/lib/docker"]


def test_rollback_restores_a_symlinked_private_daemon_json_as_it_was(lab_nodes, nodes):
    """A daemon.json that is a link to a 0600 file of another owner: after a refused configuration
    the link is still a link, and the file it points to has its old content, mode and owner."""
    node = systemd_node(nodes, "bookworm")
    role_vars = {"docker_host_log_driver": "json-file", "docker_host_log_opts": {"max-size": "1m"}}
    baseline = role(lab_nodes, node, role_vars)
    assert baseline.returncode == 0, baseline.stdout[-3000:]
    store = "/etc/docker/store/daemon.json"
    node_sh(node, "mkdir -p /etc/docker/store && cp %s %s && chown 1234:5678 %s && chmod 0600 %s && "
                  "ln -sfn store/daemon.json %s" % (DAEMON_JSON, store, store, store, DAEMON_JSON))
    before = node_sh(node, "cat %s" % store)
    try:
        run = role(lab_nodes, node, dict(role_vars, docker_host_daemon_settings={"data-root": "/proc/dockhand-data"}))
        assert run.returncode != 0
        assert "restored" in failure_message(run, node), failure_message(run, node)
        assert node_sh(node, "readlink %s" % DAEMON_JSON).strip() == "store/daemon.json"
        assert node_sh(node, "cat %s" % store) == before
        assert node_sh(node, "stat -c '%%a %%u:%%g %%F' %s" % store).strip() == "600 1234:5678 regular file"
        assert node_sh(node, "docker info --format '{{.DockerRootDir}}'").strip() == "/var/lib/docker"
        # Every run above made a backup beside the link; no more than backup_keep's 5 stay.
        backups = node_sh(node, "ls %s.*~ 2>/dev/null || true" % DAEMON_JSON).split()
        assert 1 <= len(backups) <= 5, backups
    finally:
        node_sh(node, "cp --remove-destination %s %s && chown 0:0 %s && chmod 0644 %s && rm -rf /etc/docker/store"
                % (store, DAEMON_JSON, DAEMON_JSON, DAEMON_JSON), check=False)


BAD = [
    ({"docker_host_log_driver": "nosuchdriver"}, "nosuchdriver"),
    ({"docker_host_log_driver": "json-file", "docker_host_log_opts": {"max-sizes": "1m"}}, "max-sizes"),
    ({"docker_host_log_driver": "json-file", "docker_host_log_opts": {"max-file": "0"}}, "max-file"),
    ({"docker_host_log_driver": "syslog", "docker_host_log_opts": {"syslog-address": "udp//host:514"}},
     "syslog-address"),
    ({"docker_host_log_driver": "gelf"}, "gelf-address"),
]


@pytest.mark.parametrize("role_vars, fragment", BAD, ids=[fragment for _vars, fragment in BAD])
def test_bad_input_leaves_daemon_json_untouched(lab_nodes, nodes, role_vars, fragment):
    node = systemd_node(nodes, "bookworm")
    before = node_sh(node, "cat %s; stat -c %%Y %s" % (DAEMON_JSON, DAEMON_JSON))
    run = role(lab_nodes, node, role_vars)
    assert run.returncode != 0
    message = failure_message(run, node)
    assert fragment in message and "\n" not in message.strip(), message
    assert node_sh(node, "cat %s; stat -c %%Y %s" % (DAEMON_JSON, DAEMON_JSON)) == before


@pytest.fixture(scope="module")
def pki(tmp_path_factory, nodes):
    """A CA, a server certificate for the trixie node's address, a client certificate, and an unrelated CA."""
    node = systemd_node(nodes, "trixie")
    address = nodes[node]["address"]
    work = tmp_path_factory.mktemp("pki")
    make_ca(work, "dockhand test CA")
    for name, extensions in (("server", "subjectAltName=IP:%s\nextendedKeyUsage=serverAuth" % address),
                             ("client", "extendedKeyUsage=clientAuth")):
        issue(work, name, extensions)
    make_ca(work, "other CA", cert="other-ca.pem", key="other-key.pem")
    return node, address, work


def test_tls_listener_reached_from_the_controller(lab_nodes, pki):
    node, address, work = pki
    run = role(lab_nodes, node, {"docker_host_tls_listener": True, "docker_host_tls_ca_cert": str(work / "ca.pem"),
                                 "docker_host_tls_server_cert": str(work / "server.pem"),
                                 "docker_host_tls_server_key": str(work / "server-key.pem")})
    assert run.returncode == 0, run.stdout[-3000:]
    url = "tcp://%s:2376" % address
    tls = {"docker_host": url, "validate_certs": True, "client_cert": str(work / "client.pem"),
           "client_key": str(work / "client-key.pem"), "timeout": 10}
    # A system CA bundle in the environment must not replace the CA the task names.
    result = run_module("dockhand.docker.engine_info", dict(tls, ca_path=str(work / "ca.pem")),
                        env={"REQUESTS_CA_BUNDLE": "/etc/ssl/certs/ca-certificates.crt"})[1]
    assert result.get("failed") is not True, result.get("msg")
    assert result["engine"]["name"] == node and result["engine"]["docker_host"] == url
    wrong = run_module("dockhand.docker.engine_info", dict(tls, ca_path=str(work / "other-ca.pem")))[1]
    assert wrong["failed"] is True and "\n" not in wrong["msg"]
    assert url in wrong["msg"] and "TLS handshake failed" in wrong["msg"], wrong["msg"]
    # The local socket still works beside the listener, and a second run changes nothing.
    assert node_sh(node, "docker info --format '{{.Name}}'").strip() == node
    again = role(lab_nodes, node, {"docker_host_tls_listener": True, "docker_host_tls_ca_cert": str(work / "ca.pem"),
                                   "docker_host_tls_server_cert": str(work / "server.pem"),
                                   "docker_host_tls_server_key": str(work / "server-key.pem")})
    assert again.stats[node]["changed"] == 0


def test_node_without_systemd_is_configured_and_rolled_back(lab_nodes, nodes):
    node = next(name for name, info in sorted(nodes.items()) if info.get("init") == "sysv")
    node_sh(node, "rm -f %s" % DAEMON_JSON)
    started = node_sh(node, "cat /var/run/docker.pid").strip()
    run = role(lab_nodes, node, {"docker_host_log_driver": "local"})
    assert run.returncode == 0, run.stdout[-3000:]
    assert node_sh(node, "docker info --format '{{.LoggingDriver}}'").strip() == "local"
    assert node_sh(node, "cat /var/run/docker.pid").strip() != started  # restarted by its init script
    assert role(lab_nodes, node, {"docker_host_log_driver": "local"}).stats[node]["changed"] == 0
    before = node_sh(node, "cat %s" % DAEMON_JSON)
    broken = role(lab_nodes, node, {"docker_host_log_driver": "local",
                                    "docker_host_daemon_settings": {"data-root": "/proc/dockhand-data"}})
    assert broken.returncode != 0
    assert "restored" in failure_message(broken, node)
    assert node_sh(node, "cat %s" % DAEMON_JSON) == before
    assert node_sh(node, "docker info --format '{{.LoggingDriver}}'").strip() == "local"


@pytest.mark.parametrize("init", ["systemd", "sysv"])
def test_a_stopped_engine_is_started_and_the_rerun_changes_nothing(lab_nodes, nodes, init):
    """An engine that does not answer is no reason to stop: the role reads nothing, finds the engine
    and the SDK installed, starts the engine and reads it again."""
    if init == "sysv":
        node = next(name for name, info in sorted(nodes.items()) if info.get("init") == "sysv")
        node_sh(node, "service docker stop")
    else:
        node = systemd_node(nodes, "bookworm")
        node_sh(node, "systemctl stop docker.socket docker.service")
    assert subprocess.run(["docker", "exec", node, "docker", "info"], capture_output=True, check=False).returncode != 0
    run = role(lab_nodes, node, {})
    assert run.returncode == 0, run.stdout[-3000:]
    assert run.stats[node]["changed"] >= 1
    assert node_sh(node, "docker info --format '{{.ServerVersion}}'").strip()
    assert role(lab_nodes, node, {}).stats[node]["changed"] == 0
