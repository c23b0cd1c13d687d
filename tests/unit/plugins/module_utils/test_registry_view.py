"""module_utils/registry_view.py: the engine's answers read, the engine's registry settings decided.

The RegistryConfig objects and the endpoint's answers below were recorded from the lab's engines
(Docker 20.10.24, API 1.41, and 26.1.5, API 1.45) with the registries of `tools/lab.py registry up
--address 172.30.77.1`.
"""
import os
import ssl

import pytest

from ansible_collections.dockhand.docker.plugins.module_utils import registry_view as view
from ansible_collections.dockhand.docker.plugins.module_utils.credentials import Credentials
from ansible_collections.dockhand.docker.plugins.module_utils.errors import DockerError
from ansible_collections.dockhand.docker.plugins.module_utils.reference import parse_reference
from ansible_collections.dockhand.docker.plugins.module_utils.registry import RegistryError

# daemon.json {"insecure-registries": ["172.30.77.1:5000", "172.30.77.1:5001"]}
LISTED_20_10 = {
    "AllowNondistributableArtifactsCIDRs": [], "AllowNondistributableArtifactsHostnames": [],
    "InsecureRegistryCIDRs": ["127.0.0.0/8"],
    "IndexConfigs": {
        "172.30.77.1:5000": {"Name": "172.30.77.1:5000", "Mirrors": [], "Secure": False, "Official": False},
        "172.30.77.1:5001": {"Name": "172.30.77.1:5001", "Mirrors": [], "Secure": False, "Official": False},
        "docker.io": {"Name": "docker.io", "Mirrors": [], "Secure": True, "Official": True}},
    "Mirrors": []}
LISTED_26_1 = dict(LISTED_20_10, AllowNondistributableArtifactsCIDRs=None,
                   AllowNondistributableArtifactsHostnames=None, Mirrors=None)
# daemon.json {"insecure-registries": ["172.30.77.0/28", "myregistry.lan:5000"],
#              "registry-mirrors": ["https://mirror.lan:5000"]}
CIDR_20_10 = {
    "AllowNondistributableArtifactsCIDRs": [], "AllowNondistributableArtifactsHostnames": [],
    "InsecureRegistryCIDRs": ["172.30.77.0/28", "127.0.0.0/8"],
    "IndexConfigs": {
        "docker.io": {"Name": "docker.io", "Mirrors": ["https://mirror.lan:5000/"], "Secure": True, "Official": True},
        "myregistry.lan:5000": {"Name": "myregistry.lan:5000", "Mirrors": [], "Secure": False, "Official": False}},
    "Mirrors": ["https://mirror.lan:5000/"]}
CIDR_26_1 = dict(CIDR_20_10, AllowNondistributableArtifactsCIDRs=None, AllowNondistributableArtifactsHostnames=None)
# An engine without daemon.json.
DEFAULT_26_1 = {
    "AllowNondistributableArtifactsCIDRs": None, "AllowNondistributableArtifactsHostnames": None,
    "InsecureRegistryCIDRs": ["127.0.0.0/8"],
    "IndexConfigs": {"docker.io": {"Name": "docker.io", "Mirrors": [], "Secure": True, "Official": True}},
    "Mirrors": None}

NAMES = {"localhost": ["127.0.0.1", "::1"], "lan.example": ["172.30.77.9"], "far.example": ["203.0.113.5"],
         "both.example": ["203.0.113.5", "172.30.77.3"]}


def resolve(host):
    return NAMES.get(host, [])


@pytest.mark.parametrize("config", [LISTED_20_10, LISTED_26_1], ids=["20.10", "26.1"])
@pytest.mark.parametrize("registry, secure", [
    ("172.30.77.1:5000", False),       # listed by host:port
    ("172.30.77.1:5001", False),
    ("172.30.77.1:5443", True),        # same host, another port: not listed
    ("172.30.77.1", True),
    ("127.0.0.1:5000", False),         # 127.0.0.0/8, the engine's default
    ("localhost:5000", False),         # resolves into 127.0.0.0/8
    ("docker.io", True),
    ("lan.example:5000", True),
    ("unresolvable.example:5000", True),
])
def test_listed_insecure_registries(config, registry, secure):
    assert view.is_secure_registry(config, registry, resolve) is secure


@pytest.mark.parametrize("config", [CIDR_20_10, CIDR_26_1], ids=["20.10", "26.1"])
@pytest.mark.parametrize("registry, secure", [
    ("172.30.77.1:5000", False),       # in 172.30.77.0/28, any port
    ("172.30.77.1:5443", False),
    ("172.30.77.15", False),
    ("172.30.77.16:5000", True),       # just outside the /28
    ("lan.example:5000", False),       # a name is looked up: 172.30.77.9
    ("both.example", False),           # one address inside is enough
    ("far.example:443", True),
    ("myregistry.lan:5000", False),    # listed by name (IndexConfigs), whatever it resolves to
    ("myregistry.lan:5001", True),
    ("[::1]:5000", True),              # 127.0.0.0/8 does not cover IPv6 loopback
])
def test_insecure_cidrs(config, registry, secure):
    assert view.is_secure_registry(config, registry, resolve) is secure


def test_index_config_wins_over_cidrs():
    config = dict(CIDR_26_1, IndexConfigs={"172.30.77.1:5443": {"Name": "172.30.77.1:5443", "Secure": True}})
    assert view.is_secure_registry(config, "172.30.77.1:5443", resolve) is True
    assert view.is_secure_registry(config, "172.30.77.1:5000", resolve) is False


def test_broken_cidrs_and_empty_config_are_secure():
    assert view.is_secure_registry({}, "lan.example:5000", resolve) is True
    assert view.is_secure_registry({"InsecureRegistryCIDRs": ["not-a-cidr", None and ""]}, "lan.example", resolve)


def test_endpoints_https_first_then_http_for_an_insecure_registry():
    assert view.registry_endpoints("172.30.77.1:5000", LISTED_20_10, resolve) == [
        dict(url="https://172.30.77.1:5000", host="172.30.77.1:5000", secure=False, mirror=False),
        dict(url="http://172.30.77.1:5000", host="172.30.77.1:5000", secure=False, mirror=False)]
    assert view.registry_endpoints("172.30.77.1:5443", LISTED_26_1, resolve) == [
        dict(url="https://172.30.77.1:5443", host="172.30.77.1:5443", secure=True, mirror=False)]


def test_endpoints_of_docker_hub_are_its_mirrors_then_hub():
    assert view.registry_endpoints("index.docker.io", CIDR_26_1, resolve) == [
        dict(url="https://mirror.lan:5000", host="mirror.lan:5000", secure=True, mirror=True),
        dict(url="https://registry-1.docker.io", host="docker.io", secure=True, mirror=False)]
    assert view.registry_endpoints("docker.io", DEFAULT_26_1, resolve) == [
        dict(url="https://registry-1.docker.io", host="docker.io", secure=True, mirror=False)]


# ------------------------------------------------------------------ certs.d

def touch(directory, *names):
    directory.mkdir(parents=True, exist_ok=True)
    for name in names:
        (directory / name).write_text("x")
    return str(directory)


def test_certs_dir_files_as_the_engine_reads_them(tmp_path):
    directory = touch(tmp_path / "172.30.77.1:5443", "ca.crt", "other-ca.crt", "client.cert", "client.key",
                      "README", "ca.pem")
    cas, pairs = view.certs_dir_files(directory)
    assert cas == [os.path.join(directory, "ca.crt"), os.path.join(directory, "other-ca.crt")]
    assert pairs == [(os.path.join(directory, "client.cert"), os.path.join(directory, "client.key"))]


def test_missing_certs_dir_gives_nothing(tmp_path):
    assert view.certs_dir_files(str(tmp_path / "nope")) == ([], [])


@pytest.mark.parametrize("names, fragment", [
    (("client.cert",), "client certificate client.cert has no key client.key"),
    (("client.key",), "key client.key has no client certificate client.cert"),
])
def test_half_a_client_pair_is_an_error(tmp_path, names, fragment):
    directory = touch(tmp_path / "reg:443", *names)
    with pytest.raises(RegistryError) as info:
        view.certs_dir_files(directory)
    assert fragment in info.value.msg and directory in info.value.msg


def test_tls_context_of_an_insecure_registry_does_not_verify(tmp_path):
    context = view.tls_context("172.30.77.1:5000", False, certs_root=str(tmp_path))
    assert context.verify_mode == ssl.CERT_NONE and context.check_hostname is False


def test_tls_context_of_a_secure_registry_verifies_and_refuses_a_broken_ca(tmp_path):
    context = view.tls_context("reg.example:443", True, certs_root=str(tmp_path))
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname is True
    touch(tmp_path / "reg.example:443", "ca.crt")  # "x" is no certificate
    with pytest.raises(RegistryError) as info:
        view.tls_context("reg.example:443", True, certs_root=str(tmp_path))
    assert "reg.example:443" in info.value.msg and info.value.kind == "config"


# ------------------------------------------------------------------ the engine's answers

MANIFEST = {"Descriptor": {"mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                           "digest": "sha256:6f44282fbd83d3e051535adae302cc830bbe3c4ad65dc6e841de5157200ab768",
                           "size": 527},
            "Platforms": [{"architecture": "amd64", "os": "linux"}]}
LIST = {"Descriptor": {"mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
                       "digest": "sha256:353777b659a04be2a0073a7343afbc48f8ac9836098400ef5f9417d4ce3e11d0",
                       "size": 1082},
        "Platforms": [{"architecture": "amd64", "os": "linux"}, {"architecture": "arm64", "os": "linux",
                                                                 "variant": "v8"},
                      {"architecture": "unknown", "os": "unknown"}]}


def test_distribution_facts():
    assert view.distribution_facts(MANIFEST) == dict(digest=MANIFEST["Descriptor"]["digest"],
                                                     platforms=["linux/amd64"])
    assert view.distribution_facts(LIST) == dict(digest=LIST["Descriptor"]["digest"],
                                                 platforms=["linux/amd64", "linux/arm64/v8"])


USER = Credentials("172.30.77.1:5001", "/root/.docker/config.json", username="dockhand", password="s3cret-pw")
ENGINE = "unix:///var/run/docker.sock"
NAME = "172.30.77.1:5001/m/busy:v1"


@pytest.mark.parametrize("status, text, credentials, expected", [
    (500, 'Head "http://172.30.77.1:5001/v2/m/busy/manifests/v1": no basic auth credentials', None,
     "authentication required by 172.30.77.1:5001; log in with dockhand.docker.login or give credentials"),
    (401, "unauthorized: authentication required", USER,
     "172.30.77.1:5001 rejected the credentials of user dockhand (from /root/.docker/config.json)"),
    (401, "unauthorized: authentication required", None,
     "authentication required by 172.30.77.1:5001; log in with dockhand.docker.login or give credentials"),
    (500, 'Get "https://172.30.77.1:5001/v2/": dial tcp 172.30.77.1:5001: connect: connection refused', None,
     'cannot read %s from registry 172.30.77.1:5001 (through the Docker engine at %s): Get '
     '"https://172.30.77.1:5001/v2/": dial tcp 172.30.77.1:5001: connect: connection refused' % (NAME, ENGINE)),
    (500, 'Get "https://172.30.77.1:5001/v2/": http: server gave HTTP response to HTTPS client', None,
     'cannot read %s from registry 172.30.77.1:5001 (through the Docker engine at %s): Get '
     '"https://172.30.77.1:5001/v2/": http: server gave HTTP response to HTTPS client; if it serves plain HTTP, '
     'list it in insecure-registries of that engine' % (NAME, ENGINE)),
    (500, 'Get "https://172.30.77.1:5001/v2/": tls: failed to verify certificate: x509: certificate signed by '
          'unknown authority', None,
     'cannot read %s from registry 172.30.77.1:5001 (through the Docker engine at %s): Get '
     '"https://172.30.77.1:5001/v2/": tls: failed to verify certificate: x509: certificate signed by unknown '
     'authority; put the CA that signed its certificate in /etc/docker/certs.d/172.30.77.1:5001/ca.crt on the '
     'engine\'s host' % (NAME, ENGINE)),
    (403, "denied: requested access to the resource is denied", USER,
     "172.30.77.1:5001 denied user dockhand access to %s: denied: requested access to the resource is denied"
     % NAME),
])
def test_engine_answers_become_one_line(status, text, credentials, expected):
    message = view.explain_engine_answer("172.30.77.1:5001", NAME, status, text, credentials, ENGINE)
    assert message == expected
    assert "s3cret-pw" not in message


class FakeClient(object):
    """The EngineClient surface RegistryView uses; answers as recorded from the lab's engines."""

    docker_host = ENGINE
    timeout = 60

    def __init__(self, answers, api_version="1.41"):
        self.answers = answers
        self.api_version = api_version
        self.asked = []

    def read_or_none(self, action, explain, method, name, auth_config):
        self.asked.append((method, name, auth_config))
        status, body = self.answers[name]
        if status == 200:
            return body
        if status == 404:
            return None
        raise DockerError(explain(status, body) or "usual", status_code=status)


@pytest.fixture
def docker_config(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    return tmp_path


def test_registry_call_asks_the_engine_with_the_stored_credentials(docker_config):
    (docker_config / "config.json").write_text('{"auths": {"172.30.77.1:5001": {"auth": "ZG9ja2hhbmQ6czNjcmV0LXB3"}}}')
    client = FakeClient({NAME: (200, MANIFEST), "172.30.77.1:5001/m/busy:nope": (404, None),
                         "172.30.77.1:5001/m/busy@" + LIST["Descriptor"]["digest"]: (200, LIST)})
    ref = parse_reference(NAME)
    assert view.registry_call(client, ref, 30, "manifest_digest", "m/busy", "v1") == MANIFEST["Descriptor"]["digest"]
    assert client.asked[0] == ("inspect_distribution", NAME,
                               {"username": "dockhand", "password": "s3cret-pw", "serveraddress": "172.30.77.1:5001"})
    assert view.registry_call(client, ref, 30, "manifest_digest", "m/busy", "nope") is None
    assert view.registry_call(client, ref, 30, "platforms", "m/busy", "nope") is None
    assert view.registry_call(client, ref, 30, "platforms", "m/busy", LIST["Descriptor"]["digest"]) == \
        ["linux/amd64", "linux/arm64/v8"]
    assert view.registry_call(client, ref, 30, "describe", "m/busy", "v1") == \
        dict(digest=MANIFEST["Descriptor"]["digest"], platforms=["linux/amd64"])


def test_registry_call_without_credentials_sends_an_empty_auth(docker_config):
    client = FakeClient({NAME: (500, 'Head "http://172.30.77.1:5001/v2/m/busy/manifests/v1": '
                                     'no basic auth credentials')})
    with pytest.raises(DockerError) as info:
        view.registry_call(client, parse_reference(NAME), 30, "manifest_digest", "m/busy", "v1")
    assert client.asked == [("inspect_distribution", NAME, {})]
    assert info.value.msg.startswith("authentication required by 172.30.77.1:5001")


def test_registry_call_refuses_unknown_questions():
    with pytest.raises(ValueError):
        view.registry_call(FakeClient({}), parse_reference(NAME), 30, "delete", "m/busy", "v1")


@pytest.mark.parametrize("version, expected", [("1.29", (1, 29)), ("1.41", (1, 41)), ("odd", (1, 30))])
def test_api_versions_below_1_30_read_directly(version, expected):
    assert view._api_version(version) == expected
    assert (view._api_version(version) < view.DISTRIBUTION_API) is (version == "1.29")


def test_image_name():
    assert view.image_name("172.30.77.1:5000", "m/busy", "v1") == "172.30.77.1:5000/m/busy:v1"
    assert view.image_name("docker.io", "library/busybox", "sha256:" + "0" * 64) == \
        "docker.io/library/busybox@sha256:" + "0" * 64


# ------------------------------------------------------------------ direct reads (engines below API 1.30)

class TinyRegistry(object):
    """A plain-HTTP registry on loopback holding one image (a manifest and its config)."""

    CONFIG = b'{"architecture": "arm64", "os": "linux", "variant": "v8"}'

    def __init__(self):
        import hashlib
        import http.server
        import json
        import threading
        config_digest = "sha256:" + hashlib.sha256(self.CONFIG).hexdigest()
        self.manifest = json.dumps({"schemaVersion": 2, "mediaType": MANIFEST["Descriptor"]["mediaType"],
                                    "config": {"digest": config_digest, "size": len(self.CONFIG)}}).encode()
        self.digest = "sha256:" + hashlib.sha256(self.manifest).hexdigest()
        self.seen = []
        blobs = {"/v2/m/app/manifests/v1": (self.manifest, MANIFEST["Descriptor"]["mediaType"]),
                 "/v2/m/app/blobs/" + config_digest: (self.CONFIG, "application/octet-stream")}
        seen = self.seen

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_HEAD(self):
                self.do_GET()

            def do_GET(self):
                seen.append((self.command, self.path))
                body, media_type = blobs.get(self.path, (None, None))
                self.send_response(200 if body else 404)
                if body:
                    self.send_header("Content-Type", media_type)
                    self.send_header("Docker-Content-Digest", "sha256:" + hashlib.sha256(body).hexdigest())
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                if body and self.command == "GET":
                    self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class OldEngine(FakeClient):
    """An engine that speaks API 1.29: no distribution endpoint; /info has the RegistryConfig."""

    def __init__(self, registry_config):
        super(OldEngine, self).__init__({}, api_version="1.29")
        self.registry_config = registry_config

    def info(self):
        return {"RegistryConfig": self.registry_config}


@pytest.fixture
def tiny_registry():
    registry = TinyRegistry()
    yield registry
    registry.close()


def test_direct_read_of_an_insecure_registry_falls_back_from_https_to_http(tiny_registry, docker_config):
    engine = OldEngine(DEFAULT_26_1)  # localhost resolves into 127.0.0.0/8: insecure
    ref = parse_reference("localhost:%d/m/app:v1" % tiny_registry.port)
    assert view.registry_call(engine, ref, 10, "describe", "m/app", "v1") == dict(
        digest=tiny_registry.digest, platforms=["linux/arm64/v8"])
    assert view.registry_call(engine, ref, 10, "manifest_digest", "m/app", "nope") is None
    assert engine.asked == []  # the engine was never asked for /distribution
    assert ("HEAD", "/v2/m/app/manifests/v1") in tiny_registry.seen


def test_direct_read_of_a_secure_registry_does_not_fall_back_to_http(tiny_registry, docker_config):
    engine = OldEngine(dict(DEFAULT_26_1, InsecureRegistryCIDRs=[]))  # nothing insecure, not even loopback
    ref = parse_reference("127.0.0.1:%d/m/app:v1" % tiny_registry.port)
    with pytest.raises(RegistryError) as info:
        view.registry_call(engine, ref, 10, "manifest_digest", "m/app", "v1")
    assert info.value.kind == "unreachable" and "TLS failed" in info.value.msg
    assert "https://127.0.0.1:%d" % tiny_registry.port in info.value.msg
    assert tiny_registry.seen == []


def test_direct_read_names_the_last_failure(docker_config):
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    engine = OldEngine(DEFAULT_26_1)
    with pytest.raises(RegistryError) as info:
        view.registry_call(engine, parse_reference("127.0.0.1:%d/m/app:v1" % port), 5, "manifest_digest",
                           "m/app", "v1")
    assert info.value.msg.startswith("cannot reach registry 127.0.0.1:%d (http://127.0.0.1:%d/v2/" % (port, port))
    assert "connection refused" in info.value.msg


def test_direct_read_refuses_an_identity_token(docker_config):
    (docker_config / "config.json").write_text('{"auths": {"127.0.0.1:5999": {"identitytoken": "idt-s3cret"}}}')
    with pytest.raises(RegistryError) as info:
        view.registry_call(OldEngine(DEFAULT_26_1), parse_reference("127.0.0.1:5999/m/app:v1"), 5,
                           "manifest_digest", "m/app", "v1")
    assert "identity token" in info.value.msg and "idt-s3cret" not in info.value.msg
