"""TLS to the engine: a stand-in TLS endpoint on loopback in front of this machine's engine socket.

socat terminates TLS with a self-signed certificate made at test time and passes the bytes on to
/var/run/docker.sock. `tls: true` must verify that certificate: without ca_path it is refused with
one line (and ansible-core prints no "An exception occurred" above it); with ca_path naming the
certificate it works even though REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE name another bundle;
validate_certs: false works and warns.
"""
import os
import shutil
import socket
import subprocess
import time

import pytest

from ansible_runner import VENV_BIN, ansible_env, run_module

pytestmark = pytest.mark.engine

SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
NOT_VERIFIED = "the certificate of the engine could not be verified"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def tls_engine(engine, tmp_path_factory):
    """(docker_host URL, path of the self-signed certificate) of the stand-in; stopped afterwards."""
    socat = shutil.which("socat")
    if not socat:
        pytest.fail("socat is needed (Debian package socat)")
    work = tmp_path_factory.mktemp("engine-tls")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-days", "2", "-subj", "/CN=dockhand stand-in engine",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                    "-keyout", "key.pem", "-out", "cert.pem"], cwd=work, check=True, capture_output=True)
    port = free_port()
    process = subprocess.Popen([socat, "openssl-listen:%d,bind=127.0.0.1,cert=%s,key=%s,verify=0,fork,reuseaddr"
                                % (port, work / "cert.pem", work / "key.pem"), "unix-connect:/var/run/docker.sock"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail("socat did not listen on 127.0.0.1:%d" % port)
            time.sleep(0.1)
    yield "tcp://127.0.0.1:%d" % port, str(work / "cert.pem")
    process.terminate()
    process.wait(10)


def other_bundle(tmp_path):
    """A CA bundle that does not hold the stand-in's certificate (the system's, when there is one)."""
    if os.path.exists(SYSTEM_BUNDLE):
        return SYSTEM_BUNDLE
    path = tmp_path / "empty-bundle.pem"
    path.write_text("")
    return str(path)


def bundles(tmp_path):
    bundle = other_bundle(tmp_path)
    return {"REQUESTS_CA_BUNDLE": bundle, "CURL_CA_BUNDLE": bundle}


def test_tls_without_ca_path_is_refused_in_one_line(tls_engine, tmp_path):
    address, _certificate = tls_engine
    run, result = run_module("dockhand.docker.engine_info", {"docker_host": address, "tls": True, "timeout": 10},
                             env=bundles(tmp_path))
    assert result["failed"] is True and "\n" not in result["msg"]
    assert result["msg"].startswith("Cannot reach the Docker engine at %s: TLS handshake failed: %s" % (
        address, NOT_VERIFIED)), result["msg"]
    assert "ca_path" in result["msg"] and "validate_certs: false" in result["msg"]


def test_the_handshake_failure_prints_no_exception_banner(tls_engine, tmp_path):
    """ansible-playbook's own output, with its default callback, as users see it."""
    address, _certificate = tls_engine
    playbook = tmp_path / "play.yml"
    playbook.write_text('- hosts: localhost\n  gather_facts: false\n  tasks:\n    - dockhand.docker.engine_info:\n'
                        '        docker_host: "%s"\n        tls: true\n        timeout: 10\n' % address)
    for verbosity in ([], ["-vvv"]):
        proc = subprocess.run([os.path.join(VENV_BIN, "ansible-playbook"), "-i", "localhost,", "-c", "local",
                               str(playbook)] + verbosity, capture_output=True, text=True, check=False,
                              env=ansible_env(ANSIBLE_STDOUT_CALLBACK="default", **bundles(tmp_path)))
        output = proc.stdout + proc.stderr
        assert proc.returncode != 0 and NOT_VERIFIED in output, output[-3000:]
        assert "An exception occurred during task execution" not in output, output[-3000:]
        assert "traceback unavailable" not in output, output[-3000:]


def test_ca_path_wins_over_the_ca_bundle_variables(tls_engine, tmp_path):
    address, certificate = tls_engine
    run, result = run_module("dockhand.docker.engine_info",
                             {"docker_host": address, "tls": True, "ca_path": certificate, "timeout": 10},
                             env=bundles(tmp_path))
    assert result.get("failed") is not True, result.get("msg")
    assert result["engine"]["docker_host"] == address and result["engine"]["server_version"]
    assert not result.get("warnings")
    aliases = {"docker_host": address, "tls_verify": True, "tls_ca_cert": certificate, "timeout": 10}
    alias = run_module("dockhand.docker.engine_info", aliases, env=bundles(tmp_path))[1]
    assert alias.get("failed") is not True, alias.get("msg")


def test_validate_certs_false_connects_and_warns(tls_engine, tmp_path):
    address, _certificate = tls_engine
    run, result = run_module("dockhand.docker.engine_info",
                             {"docker_host": address, "tls": True, "validate_certs": False, "timeout": 10},
                             env=bundles(tmp_path))
    assert result.get("failed") is not True, result.get("msg")
    assert result["engine"]["docker_host"] == address
    assert result["warnings"] == ["validate_certs is false: the certificate of the Docker engine at %s is not "
                                  "verified, so anyone between here and there can pose as the engine" % address]


def test_environment_fallbacks(tls_engine, tmp_path):
    """DOCKER_HOST + DOCKER_TLS verify too; DOCKER_TLS_VERIFY=0 is an explicit false (it warns)."""
    address, certificate = tls_engine
    env = dict(bundles(tmp_path), DOCKER_HOST=address, DOCKER_TLS="1", DOCKER_TIMEOUT="10")
    refused = run_module("dockhand.docker.engine_info", env=env)[1]
    assert refused["failed"] is True and NOT_VERIFIED in refused["msg"]
    trusted = run_module("dockhand.docker.engine_info", {"ca_path": certificate}, env=env)[1]
    assert trusted.get("failed") is not True, trusted.get("msg")
    unverified = run_module("dockhand.docker.engine_info", env=dict(env, DOCKER_TLS_VERIFY="0"))[1]
    assert unverified.get("failed") is not True, unverified.get("msg")
    assert "validate_certs is false" in unverified["warnings"][0]
