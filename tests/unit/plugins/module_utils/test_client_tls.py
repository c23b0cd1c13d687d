"""TLS to the engine: tls verifies unless validate_certs is false, and the task's CA wins over the environment."""
import pytest

from ansible_collections.dockhand.docker.plugins.module_utils import client as client_utils

docker = pytest.importorskip("docker")


def tls_config(params, tmp_path=None):
    warnings = []
    engine = client_utils.EngineClient.__new__(client_utils.EngineClient)
    engine.warn = warnings.append
    engine.docker_host = "tcp://127.0.0.1:2376"
    base = dict(tls=False, validate_certs=None, ca_path=None, client_cert=None, client_key=None)
    base.update(params)
    return engine._tls_config(base), warnings


@pytest.fixture(autouse=True)
def no_cert_path(monkeypatch):
    monkeypatch.delenv("DOCKER_CERT_PATH", raising=False)


def test_no_tls():
    assert tls_config({}) == (False, [])
    assert tls_config({"validate_certs": False}) == (False, [])


def test_tls_alone_verifies_against_the_system_cas():
    tls, warnings = tls_config({"tls": True})
    assert tls.verify is True and tls.ca_cert is None and warnings == []


def test_tls_with_ca_path_verifies_against_it(tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    tls, warnings = tls_config({"tls": True, "ca_path": str(ca)})
    assert tls.verify is True and tls.ca_cert == str(ca) and warnings == []
    tls, _warnings = tls_config({"validate_certs": True, "ca_path": str(ca)})
    assert tls.verify is True and tls.ca_cert == str(ca)


def test_validate_certs_false_does_not_verify_and_warns():
    tls, warnings = tls_config({"tls": True, "validate_certs": False})
    assert tls.verify is False
    assert warnings == ["validate_certs is false: the certificate of the Docker engine at tcp://127.0.0.1:2376 is not "
                        "verified, so anyone between here and there can pose as the engine"]


def test_validate_certs_is_not_defaulted_in_the_argument_spec():
    spec = client_utils.CONNECTION_ARGSPEC["validate_certs"]
    assert "default" not in spec and spec["aliases"] == ["tls_verify"]
    assert spec["fallback"][1] == ["DOCKER_TLS_VERIFY"]


@pytest.mark.parametrize("verify, expected", [("CA", "CA"), (False, False)])
def test_ca_bundle_variables_do_not_override_what_the_task_says(monkeypatch, tmp_path, verify, expected):
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    monkeypatch.setenv("CURL_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    tls = docker.tls.TLSConfig(ca_cert=str(ca) if verify else None, verify=bool(verify))
    api = docker.APIClient(base_url="tcp://127.0.0.1:2376", version="1.41", tls=tls)
    url = "https://127.0.0.1:2376/version"
    unpinned = api.merge_environment_settings(url, {}, None, None, None)["verify"]
    assert unpinned == "/etc/ssl/certs/ca-certificates.crt"  # what requests does on its own
    client_utils._pin_verify(api)
    assert api.merge_environment_settings(url, {}, None, None, None)["verify"] == \
        (str(ca) if expected == "CA" else False)
    api.close()
