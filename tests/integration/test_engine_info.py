"""engine_info against the real engine on this machine, driven through ansible-playbook."""
import json
import os
import socket
import ssl
import subprocess
import threading

import pytest

from ansible_runner import run_module, run_playbook

pytestmark = pytest.mark.engine


def docker_cli(*args):
    return subprocess.run(["docker"] + list(args), check=True, capture_output=True, text=True).stdout


def cli_info():
    return json.loads(docker_cli("info", "--format", "{{json .}}"))


def assert_one_clear_line(result, *fragments):
    assert result.get("failed") is True, result
    msg = result["msg"]
    assert "\n" not in msg.strip(), msg
    # ansible-core 2.19 adds an "exception" placeholder to every failure; a real one holds a traceback.
    assert "Traceback" not in json.dumps(result), result
    for fragment in fragments:
        assert fragment in msg, msg


def test_reports_what_the_cli_reports(engine):
    run, result = run_module("dockhand.docker.engine_info")
    assert run.returncode == 0, run.stdout
    engine_facts = result["engine"]
    info = cli_info()
    assert engine_facts["server_version"] == info["ServerVersion"]
    assert engine_facts["storage_driver"] == info["Driver"]
    assert engine_facts["logging_driver"] == info["LoggingDriver"]
    assert engine_facts["cgroup_driver"] == info["CgroupDriver"]
    assert engine_facts["cgroup_version"] == info["CgroupVersion"]
    assert engine_facts["cpus"] == info["NCPU"] == os.cpu_count()
    assert engine_facts["memory_bytes"] == info["MemTotal"]
    assert engine_facts["images"] == info["Images"]
    assert engine_facts["name"] == socket.gethostname()
    assert engine_facts["docker_host"] == "unix:///var/run/docker.sock"
    assert "json-file" in engine_facts["log_drivers"]
    assert engine_facts["swarm"]["state"] == "inactive"
    assert engine_facts["swarm"]["is_manager"] is False
    # The SDK here (7.x) speaks at most API 1.44; the engine decides below that.
    assert engine_facts["api_version_used"] == min(engine_facts["api_version"], "1.44",
                                                   key=lambda v: tuple(map(int, v.split("."))))
    assert result["changed"] is False
    assert "info" not in result


def test_container_counts_follow_the_engine(engine, test_image):
    name = "dockhand-test-engine-info-count"
    subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)
    before = run_module("dockhand.docker.engine_info")[1]["engine"]["containers"]
    docker_cli("create", "--name", name, test_image, "sh")
    try:
        after = run_module("dockhand.docker.engine_info")[1]["engine"]["containers"]
    finally:
        docker_cli("rm", "-f", name)
    assert after["total"] == before["total"] + 1
    assert after["stopped"] == before["stopped"] + 1
    assert after["running"] == before["running"]


def test_check_mode_and_raw(engine):
    run, result = run_module("dockhand.docker.engine_info", {"raw": True}, extra_args=["--check"])
    assert run.returncode == 0
    assert result["changed"] is False
    assert result["info"]["ServerVersion"] == result["engine"]["server_version"]
    assert result["version"]["ApiVersion"] == result["engine"]["api_version"]


def test_explicit_api_version_is_spoken(engine):
    result = run_module("dockhand.docker.engine_info", {"api_version": "1.40"})[1]
    assert result["engine"]["api_version_used"] == "1.40"


def test_nothing_listening_is_one_line_naming_the_address(engine):
    run, result = run_module("dockhand.docker.engine_info", {"docker_host": "tcp://127.0.0.1:1"})
    assert run.returncode != 0
    assert_one_clear_line(result, "tcp://127.0.0.1:1", "connection refused")
    assert "Traceback" not in run.stdout + run.stderr


def test_missing_socket_says_so(tmp_path):
    sock = "unix://%s/docker.sock" % tmp_path
    result = run_module("dockhand.docker.engine_info", {"docker_host": sock})[1]
    assert_one_clear_line(result, sock, "does not exist")


def test_bad_api_version_is_rejected():
    result = run_module("dockhand.docker.engine_info", {"api_version": "latest"})[1]
    assert_one_clear_line(result, "api_version", "latest")


def test_client_cert_without_key_is_rejected(tmp_path):
    cert = tmp_path / "cert.pem"
    cert.write_text("x")
    result = run_module("dockhand.docker.engine_info",
                        {"docker_host": "tcp://127.0.0.1:1", "tls": True, "client_cert": str(cert)})[1]
    assert_one_clear_line(result, "client_cert and client_key")


def test_module_defaults_group_sets_connection_once(engine):
    tasks = [{"name": "engine", "dockhand.docker.engine_info": {}}]
    plays = [dict(name="group defaults", hosts="localhost", gather_facts=False, tasks=tasks,
                  module_defaults={"group/dockhand.docker.docker": {"docker_host": "tcp://127.0.0.1:1"}})]
    run = run_playbook(None, plays=plays)
    assert_one_clear_line(run.result(), "tcp://127.0.0.1:1")


def test_docker_host_from_environment(engine):
    result = run_module("dockhand.docker.engine_info", env={"DOCKER_HOST": "tcp://127.0.0.1:1"})[1]
    assert_one_clear_line(result, "tcp://127.0.0.1:1")


@pytest.fixture
def tls_server(tmp_path):
    """A real TLS listener on loopback with a self-signed certificate the client does not trust."""
    key, cert = tmp_path / "server.key", tmp_path / "server.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    other_key, other_ca = tmp_path / "ca.key", tmp_path / "ca.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=unrelated CA", "-keyout", str(other_key), "-out", str(other_ca)],
                   check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert), str(key))
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    listener.settimeout(0.5)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn = listener.accept()[0]
            except socket.timeout:
                continue
            try:
                context.wrap_socket(conn, server_side=True).close()
            except (ssl.SSLError, OSError):
                conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield "tcp://127.0.0.1:%d" % listener.getsockname()[1], str(other_ca)
    stop.set()
    thread.join(2)
    listener.close()


def test_untrusted_tls_certificate_is_one_line(tls_server):
    address, untrusted_ca = tls_server
    result = run_module("dockhand.docker.engine_info",
                        {"docker_host": address, "validate_certs": True, "ca_path": untrusted_ca,
                         "timeout": 10})[1]
    assert_one_clear_line(result, address, "TLS handshake failed")


def test_missing_sdk_is_one_line(tmp_path):
    bare = tmp_path / "bare-venv"
    subprocess.run(["python3", "-m", "venv", "--without-pip", str(bare)], check=True)
    python = str(bare / "bin" / "python")
    assert subprocess.run([python, "-c", "import docker"], capture_output=True, check=False).returncode != 0
    result = run_module("dockhand.docker.engine_info", env={"ANSIBLE_PYTHON_INTERPRETER": python})[1]
    assert_one_clear_line(result, "Docker SDK for Python is not installed", python)
