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


class FakeResponse(object):  # the minimum requests.Response surface APIError reads
    def __init__(self, status):
        self.status_code = status
        self.reason = "reason"
        self.url = "http://docker/distribution/x/json"


def answering(status, explanation):
    """An EngineClient whose SDK answers every call with this HTTP error (or 200: a dict)."""
    engine = client_utils.EngineClient.__new__(client_utils.EngineClient)
    engine.docker_host = "unix:///var/run/docker.sock"
    engine.timeout = 60

    class Api(object):
        def inspect_distribution(self, name, auth_config=None):
            if status == 200:
                return {"Descriptor": {"digest": "sha256:1"}}
            error = docker.errors.NotFound if status == 404 else docker.errors.APIError
            raise error("%d error" % status, response=FakeResponse(status), explanation=explanation)
    engine.api = Api()
    return engine


def test_read_or_none_lets_the_caller_word_the_engine_answer():
    engine = answering(500, b"no basic auth credentials")
    seen = []

    def explain(status, text):
        seen.append((status, text))
        return "authentication required by reg"
    with pytest.raises(client_utils.DockerError) as info:
        engine.read_or_none("read x", explain, "inspect_distribution", "x", auth_config={})
    assert info.value.msg == "authentication required by reg" and info.value.details["status_code"] == 500
    assert seen == [(500, "no basic auth credentials")]


def test_read_or_none_keeps_the_usual_line_when_the_caller_has_none():
    with pytest.raises(client_utils.DockerError) as info:
        answering(500, "odd").read_or_none("read x", lambda status, text: None, "inspect_distribution", "x")
    assert info.value.msg == "Docker engine at unix:///var/run/docker.sock failed to read x: odd (HTTP 500)"


def test_read_or_none_gives_none_for_404_and_the_answer_otherwise():
    assert answering(404, "manifest unknown").read_or_none("read x", None, "inspect_distribution", "x") is None
    assert answering(200, None).read_or_none("read x", None, "inspect_distribution", "x") == \
        {"Descriptor": {"digest": "sha256:1"}}
