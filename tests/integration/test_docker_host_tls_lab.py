"""The docker_host role on lab nodes: everything a restart depends on rolled back together, TLS files
refused before install, the TLS listener taken down, "hosts" given through the settings."""
import json

import pytest
from pki import issue, make_ca, openssl
from test_docker_host_lab import DAEMON_JSON, failure_message, node_sh, role, systemd_node

from ansible_runner import run_module

pytestmark = pytest.mark.lab

TLS_DIR = "/etc/docker/tls"
DROP_IN = "/etc/systemd/system/docker.service.d/dockhand-hosts.conf"
MARKER = "/var/lib/dockhand/docker_host/tls-listener"
RESTART_FILES = [DAEMON_JSON, TLS_DIR + "/ca.pem", TLS_DIR + "/cert.pem", TLS_DIR + "/key.pem", DROP_IN, MARKER]
TLS_KEYS = {"hosts", "tls", "tlsverify", "tlscacert", "tlscert", "tlskey"}


def files_state(node, paths=tuple(RESTART_FILES)):
    """Per path: 'absent', the link's target, or mode, owner and SHA-256 of the content (byte for byte)."""
    script = ('for p in %s; do if [ -L "$p" ]; then echo "$p link $(readlink "$p")"; '
              'elif [ -d "$p" ]; then echo "$p directory $(stat -c "%%a %%u:%%g" "$p")"; '
              'elif [ -e "$p" ]; then echo "$p $(stat -c "%%a %%u:%%g %%F" "$p") $(sha256sum < "$p")"; '
              'else echo "$p absent"; fi; done' % " ".join(paths))
    return node_sh(node, script)


@pytest.fixture(scope="module")
def nodes(lab_nodes):
    return dict((node["name"], node) for node in lab_nodes["nodes"])


@pytest.fixture(scope="module")
def pki(tmp_path_factory, nodes):
    """A throw-away CA; two server certificates (a and b) for the trixie node's address, a client
    certificate, and a key of no certificate. Made here, never committed."""
    node = systemd_node(nodes, "trixie")
    address = nodes[node]["address"]
    work = tmp_path_factory.mktemp("tlsroll-pki")
    make_ca(work, "dockhand rollback CA")
    for name, extensions in (("a", "subjectAltName=IP:%s\nextendedKeyUsage=serverAuth" % address),
                             ("b", "subjectAltName=IP:%s\nextendedKeyUsage=serverAuth" % address),
                             ("client", "extendedKeyUsage=clientAuth")):
        issue(work, name, extensions)
    openssl("genpkey", "-algorithm", "rsa", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "stray-key.pem", cwd=work)
    return node, address, work


def tls_vars(work, name="a", key=None, **extra):
    return dict(extra, docker_host_tls_listener=True, docker_host_tls_ca_cert=str(work / "ca.pem"),
                docker_host_tls_server_cert=str(work / ("%s.pem" % name)),
                docker_host_tls_server_key=str(work / (key or "%s-key.pem" % name)))


def tls_answers(address, work):
    """The engine's name through its TLS listener, or the one-line failure."""
    result = run_module("dockhand.docker.engine_info", {
        "docker_host": "tcp://%s:2376" % address, "validate_certs": True, "ca_path": str(work / "ca.pem"),
        "client_cert": str(work / "client.pem"), "client_key": str(work / "client-key.pem"), "timeout": 5})[1]
    return result["engine"]["name"] if not result.get("failed") else "failed: " + result["msg"]


def daemon_keys(node):
    return json.loads(node_sh(node, "cat %s" % DAEMON_JSON))


def test_a_key_of_another_certificate_is_refused_before_anything_is_installed(lab_nodes, pki):
    node, _address, work = pki
    before = files_state(node)
    run = role(lab_nodes, node, tls_vars(work, key="stray-key.pem"))
    assert run.returncode != 0
    message = failure_message(run, node)
    assert "is not the key of the certificate %s" % (work / "a.pem") in message, message
    assert "\n" not in message.strip()
    stray = "".join((work / "stray-key.pem").read_text().splitlines()[1:-1])
    assert stray[:40] not in run.stdout and stray[:40] not in run.stderr
    assert files_state(node) == before
    assert node_sh(node, "ls /var/lib/dockhand/snapshots 2>/dev/null || true").strip() == ""


def test_a_failed_restart_puts_back_ca_certificate_key_drop_in_and_daemon_json(lab_nodes, pki):
    """Listener on with certificate a; then certificate b with a setting the engine refuses: every
    file is a's again, byte for byte with its mode, and the engine answers through TLS with a."""
    node, address, work = pki
    run = role(lab_nodes, node, tls_vars(work, "a"))
    assert run.returncode == 0, run.failed_messages()
    assert tls_answers(address, work) == node
    before = files_state(node)
    assert "absent" not in before, before

    run = role(lab_nodes, node, tls_vars(work, "b", docker_host_daemon_settings={"data-root": "/proc/dockhand-data"}))
    assert run.returncode != 0
    message = failure_message(run, node)
    assert "did not start with the new configuration" in message and "restored" in message, message
    for path in (DAEMON_JSON, TLS_DIR + "/cert.pem", TLS_DIR + "/key.pem"):
        assert path in message, message
    assert "/proc/dockhand-data" in message, message
    assert files_state(node) == before
    assert node_sh(node, "docker info --format '{{.DockerRootDir}}'").strip() == "/var/lib/docker"
    assert tls_answers(address, work) == node
    assert node_sh(node, "ls /var/lib/dockhand/snapshots").strip() == ""


def test_a_failed_restart_after_turning_tls_on_removes_what_was_new(lab_nodes, nodes, pki):
    node, _address, work = pki
    off = role(lab_nodes, node, {"docker_host_tls_listener": False})
    assert off.returncode == 0, off.failed_messages()
    before = files_state(node, RESTART_FILES + [TLS_DIR])
    run = role(lab_nodes, node, tls_vars(work, "a", docker_host_daemon_settings={"data-root": "/proc/dockhand-data"}))
    assert run.returncode != 0 and "restored" in failure_message(run, node)
    assert files_state(node, RESTART_FILES + [TLS_DIR]) == before
    assert node_sh(node, "docker info --format '{{.Name}}'").strip() == node


def test_turning_the_listener_off_removes_its_keys_files_and_drop_in(lab_nodes, pki):
    node, address, work = pki
    on = role(lab_nodes, node, tls_vars(work, "a", docker_host_log_driver="local"))
    assert on.returncode == 0, on.failed_messages()
    assert TLS_KEYS <= set(daemon_keys(node))

    off = role(lab_nodes, node, {"docker_host_tls_listener": False, "docker_host_log_driver": "local"})
    assert off.returncode == 0, off.failed_messages()
    config = daemon_keys(node)
    assert not TLS_KEYS & set(config) and config["log-driver"] == "local", config
    gone = [TLS_DIR + "/ca.pem", TLS_DIR + "/cert.pem", TLS_DIR + "/key.pem", DROP_IN, MARKER]
    assert files_state(node, gone).splitlines() == ["%s absent" % path for path in gone]
    assert node_sh(node, "docker info --format '{{.Name}}'").strip() == node
    assert tls_answers(address, work).startswith("failed: ")
    again = role(lab_nodes, node, {"docker_host_tls_listener": False, "docker_host_log_driver": "local"})
    assert again.returncode == 0 and again.stats[node]["changed"] == 0, again.failed_messages()


TWO_SOCKETS = {"hosts": ["unix:///var/run/docker.sock", "unix:///run/docker-alt.sock"]}


@pytest.mark.parametrize("release", ["bookworm", "sysv"])
def test_hosts_through_the_settings_listens_on_both_sockets(lab_nodes, nodes, release):
    if release == "sysv":
        node = next(name for name, info in sorted(nodes.items()) if info.get("init") == "sysv")
    else:
        node = systemd_node(nodes, release)
    try:
        run = role(lab_nodes, node, {"docker_host_daemon_settings": TWO_SOCKETS})
        assert run.returncode == 0, run.failed_messages()
        for socket in TWO_SOCKETS["hosts"]:
            assert node_sh(node, "docker -H %s info --format '{{.Name}}'" % socket).strip() == node
        has_drop_in = node_sh(node, "test -e %s && echo yes || echo no" % DROP_IN).strip()
        assert has_drop_in == ("no" if release == "sysv" else "yes")
        again = role(lab_nodes, node, {"docker_host_daemon_settings": TWO_SOCKETS})
        assert again.returncode == 0 and again.stats[node]["changed"] == 0, again.failed_messages()
    finally:
        back = role(lab_nodes, node, {"docker_host_daemon_remove": ["hosts"]})
    assert back.returncode == 0, back.failed_messages()
    assert "hosts" not in daemon_keys(node)
    assert node_sh(node, "test -e %s && echo yes || echo no" % DROP_IN).strip() == "no"
    assert node_sh(node, "docker info --format '{{.Name}}'").strip() == node


def test_hosts_next_to_a_host_flag_in_docker_opts_is_refused_before_any_change(lab_nodes, nodes):
    node = systemd_node(nodes, "bookworm")
    node_sh(node, "cp /etc/default/docker /tmp/default-docker && "
                  "echo 'DOCKER_OPTS=\"-H unix:///run/docker-opts.sock\"' >> /etc/default/docker")
    try:
        before = files_state(node)
        run = role(lab_nodes, node, {"docker_host_daemon_settings": TWO_SOCKETS})
        assert run.returncode != 0
        message = failure_message(run, node)
        assert message.startswith("/etc/default/docker gives dockerd -H in DOCKER_OPTS"), message
        assert "docker_host_daemon_settings.hosts" in message and "Nothing was changed" in message, message
        assert files_state(node) == before
    finally:
        node_sh(node, "mv /tmp/default-docker /etc/default/docker")
