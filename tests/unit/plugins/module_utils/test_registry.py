"""The pure parts of the registry client: names and schemes, challenges, credentials, platforms, errors."""
import base64
import errno
import json
import os
import socket
import ssl
import urllib.error

import pytest

from ansible_collections.dockhand.docker.plugins.module_utils import registry as reg


@pytest.mark.parametrize("value, expected", [
    ("docker.io", "docker.io"),
    ("", "docker.io"),
    (None, "docker.io"),
    ("index.docker.io", "docker.io"),
    ("https://index.docker.io/v1/", "docker.io"),
    ("Docker.IO", "docker.io"),
    ("registry-1.docker.io", "registry-1.docker.io"),
    ("127.0.0.1:5001", "127.0.0.1:5001"),
    ("http://127.0.0.1:5001", "127.0.0.1:5001"),
    ("https://Registry.Example.com:443/v2/", "registry.example.com:443"),
    ("[::1]:5000", "[::1]:5000"),
    ("https://[::1]:5000/", "[::1]:5000"),
    ("localhost", "localhost"),
    (" ghcr.io ", "ghcr.io"),
])
def test_normalize_registry(value, expected):
    assert reg.normalize_registry(value) == expected


@pytest.mark.parametrize("host, expected", [
    ("docker.io", "https://registry-1.docker.io"),
    ("index.docker.io", "https://registry-1.docker.io"),
    ("localhost", "http://localhost"),
    ("localhost:5000", "http://localhost:5000"),
    ("127.0.0.1:5000", "http://127.0.0.1:5000"),
    ("127.1.2.3", "http://127.1.2.3"),
    ("[::1]:5000", "http://[::1]:5000"),
    ("[::1]", "http://[::1]"),
    ("ghcr.io", "https://ghcr.io"),
    ("registry.example.com:5000", "https://registry.example.com:5000"),
    ("128.0.0.1:5000", "https://128.0.0.1:5000"),
    ("127.example.com", "https://127.example.com"),
    ("[::2]:5000", "https://[::2]:5000"),
])
def test_registry_base_url(host, expected):
    assert reg.registry_base_url(host) == expected


@pytest.mark.parametrize("host, expected", [
    ("docker.io", "https://index.docker.io/v1/"),
    ("index.docker.io", "https://index.docker.io/v1/"),
    ("127.0.0.1:5001", "127.0.0.1:5001"),
    ("https://ghcr.io", "ghcr.io"),
])
def test_config_key(host, expected):
    assert reg.config_key(host) == expected


def test_config_keys_matching_puts_the_canonical_key_first():
    auths = {"http://127.0.0.1:5001": {}, "127.0.0.1:5001": {}, "https://127.0.0.1:5001/v1/": {},
             "127.0.0.1:5000": {}, "https://index.docker.io/v1/": {}}
    assert reg.config_keys_matching(auths, "127.0.0.1:5001") == [
        "127.0.0.1:5001", "http://127.0.0.1:5001", "https://127.0.0.1:5001/v1/"]
    assert reg.config_keys_matching(auths, "docker.io") == ["https://index.docker.io/v1/"]
    assert reg.config_keys_matching(auths, "ghcr.io") == []


# ------------------------------------------------------------------ challenges

@pytest.mark.parametrize("header, expected", [
    ('Basic realm="dockhand-lab"', [("basic", {"realm": "dockhand-lab"})]),
    ('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
     'scope="repository:library/busybox:pull"',
     [("bearer", {"realm": "https://auth.docker.io/token", "service": "registry.docker.io",
                  "scope": "repository:library/busybox:pull"})]),
    # Quoted commas, escaped quotes, spaces around '=' and ',' and an unquoted value (which ends
    # at a comma: what follows is read as another challenge, as the HTTP grammar says).
    ('Bearer realm="https://a.example/token?x=1,2", service = "svc \\"q\\"" , scope=repository:a:pull,push',
     [("bearer", {"realm": "https://a.example/token?x=1,2", "service": 'svc "q"',
                  "scope": "repository:a:pull"}), ("push", {})]),
    ('bearer realm="r",error="insufficient_scope"', [("bearer", {"realm": "r", "error": "insufficient_scope"})]),
    # Two challenges in one header.
    ('Basic realm="one", Bearer realm="two",service="s"',
     [("basic", {"realm": "one"}), ("bearer", {"realm": "two", "service": "s"})]),
    ('Negotiate', [("negotiate", {})]),
    ('', []),
    (None, []),
])
def test_parse_challenges(header, expected):
    assert reg.parse_challenges(header) == expected


def test_multiple_scopes_in_one_quoted_value_survive():
    parsed = reg.parse_challenges('Bearer realm="r",scope="repository:a:pull repository:b:pull,push"')
    assert parsed[0][1]["scope"] == "repository:a:pull repository:b:pull,push"


@pytest.mark.parametrize("header, expected", [
    ('Basic realm="one", Bearer realm="two"', ("bearer", {"realm": "two"})),
    ('Basic realm="one"', ("basic", {"realm": "one"})),
    ('Negotiate', None),
    ('', None),
])
def test_choose_challenge_prefers_bearer(header, expected):
    assert reg.choose_challenge(header) == expected


# ------------------------------------------------------------------ credentials

@pytest.mark.parametrize("username, password", [
    ("dockhand", "s3cret"),
    ("user", "pass:with:colons"),
    ("ünï", "pässwörd"),
    ("user", ""),
])
def test_auth_round_trip(username, password):
    encoded = reg.encode_auth(username, password)
    assert base64.b64decode(encoded).decode("utf-8") == "%s:%s" % (username, password)
    assert reg.decode_auth(encoded) == (username, password)


def test_encode_auth_matches_docker_login():
    # `docker login` stores base64("user:password").
    assert reg.encode_auth("dockhand", "pw") == "ZG9ja2hhbmQ6cHc="


@pytest.mark.parametrize("value", [None, "", "not base64!", base64.b64encode(b"nocolon").decode(),
                                   base64.b64encode(b":onlypassword").decode(),
                                   base64.b64encode(b"\xff\xfe:x").decode(), 42])
def test_decode_auth_rejects_garbage(value):
    assert reg.decode_auth(value) is None


def test_entry_credentials_reads_auth_or_separate_fields():
    assert reg.entry_credentials({"auth": reg.encode_auth("a", "b")}) == ("a", "b")
    assert reg.entry_credentials({"username": "a", "password": "b"}) == ("a", "b")
    assert reg.entry_credentials({"auth": "", "identitytoken": "tok"}) is None
    assert reg.entry_credentials({}) is None
    assert reg.entry_credentials("x") is None


def write_config(tmp_path, config, name="config.json"):
    path = tmp_path / name
    path.write_text(json.dumps(config) if not isinstance(config, str) else config)
    return str(path)


def test_load_credentials_by_host_key(tmp_path):
    path = write_config(tmp_path, {"auths": {"127.0.0.1:5001": {"auth": reg.encode_auth("dockhand", "pw")}}})
    assert reg.load_credentials("127.0.0.1:5001", path) == ("dockhand", "pw")
    assert reg.load_credentials("http://127.0.0.1:5001/", path) == ("dockhand", "pw")
    assert reg.load_credentials("127.0.0.1:5000", path) is None


def test_load_credentials_other_spellings_and_canonical_precedence(tmp_path):
    path = write_config(tmp_path, {"auths": {
        "https://ghcr.io": {"auth": reg.encode_auth("old", "x")},
        "ghcr.io": {"auth": reg.encode_auth("new", "y")},
        "http://reg.example.com:5000": {"auth": reg.encode_auth("legacy", "z")},
    }})
    assert reg.load_credentials("ghcr.io", path) == ("new", "y")
    assert reg.load_credentials("reg.example.com:5000", path) == ("legacy", "z")


@pytest.mark.parametrize("key", ["https://index.docker.io/v1/", "index.docker.io", "docker.io"])
def test_load_credentials_docker_hub_keys(tmp_path, key):
    path = write_config(tmp_path, {"auths": {key: {"auth": reg.encode_auth("hubuser", "pw")}}})
    assert reg.load_credentials("docker.io", path) == ("hubuser", "pw")
    assert reg.load_credentials("index.docker.io", path) == ("hubuser", "pw")


def test_load_credentials_skips_empty_entry_for_a_usable_spelling(tmp_path):
    path = write_config(tmp_path, {"auths": {"ghcr.io": {}, "https://ghcr.io": {"auth": reg.encode_auth("a", "b")}}})
    assert reg.load_credentials("ghcr.io", path) == ("a", "b")


def test_load_credentials_from_docker_config_env(tmp_path, monkeypatch):
    write_config(tmp_path, {"auths": {"127.0.0.1:5001": {"auth": reg.encode_auth("envuser", "pw")}}})
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    assert reg.default_config_path() == os.path.join(str(tmp_path), "config.json")
    assert reg.load_credentials("127.0.0.1:5001") == ("envuser", "pw")


def test_default_config_path_is_in_home(monkeypatch, tmp_path):
    monkeypatch.delenv("DOCKER_CONFIG", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert reg.default_config_path() == os.path.join(str(tmp_path), ".docker", "config.json")


def test_missing_or_empty_config_has_no_credentials(tmp_path):
    assert reg.load_credentials("ghcr.io", str(tmp_path / "missing.json")) is None
    assert reg.load_credentials("ghcr.io", write_config(tmp_path, "")) is None
    assert reg.load_credentials("ghcr.io", write_config(tmp_path, {"auths": "nonsense"})) is None


@pytest.mark.parametrize("content, fragment", [("{not json", "is not valid JSON"), ("[1, 2]", "not a JSON object")])
def test_broken_config_is_one_clear_error(tmp_path, content, fragment):
    path = write_config(tmp_path, content)
    with pytest.raises(reg.RegistryError) as info:
        reg.load_credentials("ghcr.io", path)
    assert info.value.kind == "config"
    assert path in info.value.msg and fragment in info.value.msg


def test_credential_helpers_are_reported_not_run(tmp_path):
    config = {"credsStore": "desktop", "credHelpers": {"gcr.io": "gcloud"},
              "auths": {"gcr.io": {}, "https://index.docker.io/v1/": {}}}
    path = write_config(tmp_path, config)
    assert reg.credential_helper("gcr.io", path) == "gcloud"
    assert reg.credential_helper("docker.io", path) == "desktop"
    assert reg.load_credentials("gcr.io", path) is None
    assert reg.load_credentials("docker.io", path) is None
    assert reg.credential_helper("ghcr.io", write_config(tmp_path, {"auths": {}}, "plain.json")) is None


# ------------------------------------------------------------------ platforms

@pytest.mark.parametrize("value, expected", [
    ("linux/amd64", "linux/amd64"),
    ("Linux/AMD64", "linux/amd64"),
    ("amd64", "linux/amd64"),
    ("x86_64", "linux/amd64"),
    ("linux/x86_64", "linux/amd64"),
    ("linux/aarch64", "linux/arm64"),
    ("linux/arm64/v8", "linux/arm64"),
    ("linux/arm64", "linux/arm64"),
    ("linux/arm", "linux/arm/v7"),
    ("linux/arm/v6", "linux/arm/v6"),
    ("armhf", "linux/arm/v7"),
    ("armel", "linux/arm/v6"),
    ("linux/i386", "linux/386"),
    ("linux/s390x", "linux/s390x"),
    ("windows/amd64", "windows/amd64"),
    ({"architecture": "arm64", "os": "linux", "variant": "v8"}, "linux/arm64"),
    ({"architecture": "arm", "os": "linux", "variant": "v5"}, "linux/arm/v5"),
    ({"architecture": "amd64"}, "linux/amd64"),
])
def test_normalize_platform(value, expected):
    assert reg.normalize_platform(value) == expected


@pytest.mark.parametrize("value", ["", "linux", "linux/", "/amd64", "a/b/c/d", None, {"os": "linux"}])
def test_normalize_platform_rejects(value):
    with pytest.raises(ValueError):
        reg.normalize_platform(value)


@pytest.mark.parametrize("wanted, candidate, expected", [
    ("linux/amd64", {"os": "linux", "architecture": "amd64"}, True),
    ("linux/amd64", "linux/arm64", False),
    ("linux/arm64", {"os": "linux", "architecture": "arm64", "variant": "v8"}, True),
    ("linux/arm64/v8", "linux/arm64", True),
    ("linux/arm", "linux/arm/v7", True),
    ("linux/arm", "linux/arm/v6", False),
    ("linux/arm/v6", "linux/arm/v7", False),
    ("windows/amd64", "linux/amd64", False),
    ("x86_64", "linux/amd64", True),
    ("linux/riscv64", "linux/riscv64/rva22", True),
])
def test_platform_matches(wanted, candidate, expected):
    assert reg.platform_matches(wanted, candidate) is expected


def test_find_platform_skips_unparsable_entries():
    entries = [{"os": "unknown"}, "linux/arm/v7", {"os": "linux", "architecture": "arm64", "variant": "v8"}]
    assert reg.find_platform(entries, "linux/arm64") == entries[2]
    assert reg.find_platform(entries, "linux/arm") == "linux/arm/v7"
    assert reg.find_platform(entries, "linux/amd64") is None


@pytest.mark.parametrize("content_type, data, expected", [
    (reg.MEDIA_TYPE_DOCKER_LIST + "; charset=utf-8", {}, reg.MEDIA_TYPE_DOCKER_LIST),
    ("application/json", {"mediaType": reg.MEDIA_TYPE_OCI_INDEX}, reg.MEDIA_TYPE_OCI_INDEX),
    ("application/json", {"schemaVersion": 2, "manifests": []}, reg.MEDIA_TYPE_OCI_INDEX),
    ("application/json", {"schemaVersion": 2, "config": {}}, reg.MEDIA_TYPE_OCI_MANIFEST),
    (None, {"schemaVersion": 1}, reg.MEDIA_TYPE_DOCKER_SCHEMA1),
])
def test_media_type_of(content_type, data, expected):
    assert reg._media_type_of(content_type, data) == expected


# ------------------------------------------------------------------ transport errors

@pytest.mark.parametrize("exc, expected", [
    (urllib.error.URLError(ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused")), "connection refused"),
    (urllib.error.URLError(socket.timeout("timed out")), "timed out after 7 s"),
    (socket.timeout("timed out"), "timed out after 7 s"),
    (urllib.error.URLError(socket.gaierror(-2, "Name or service not known")), "does not resolve"),
    (urllib.error.URLError(OSError(errno.EHOSTUNREACH, "No route to host")), "no route to host"),
    (urllib.error.URLError(ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number")), "TLS failed"),
])
def test_describe_url_error(exc, expected):
    assert expected in reg._describe_url_error(exc, 7)


def test_closed_port_is_unreachable_error():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()
    client = reg.RegistryClient("127.0.0.1:%d" % port, username="u", password="do-not-show", timeout=5)
    with pytest.raises(reg.RegistryError) as info:
        client.manifest_digest("team/app", "latest")
    assert info.value.kind == "unreachable"
    assert info.value.msg.startswith("cannot reach registry 127.0.0.1:%d (http://127.0.0.1:%d/v2/team/app/manifests/"
                                     "latest): connection refused" % (port, port))
    assert "do-not-show" not in info.value.msg


def test_client_keeps_no_password_without_username():
    client = reg.RegistryClient("ghcr.io", username=None, password="stray")
    assert client.username is None and client._password is None
    assert client.base_url == "https://ghcr.io"
    assert reg.RegistryClient("docker.io").base_url == "https://registry-1.docker.io"
    assert reg.RegistryClient("x:1", base_url="http://x:1/").base_url == "http://x:1"


# ------------------------------------------------------------------ where Basic credentials may go

@pytest.mark.parametrize("realm, registry_url, allowed", [
    ("https://auth.example.com/token", "https://registry.example.com", True),
    ("https://auth.example.com/token", "http://172.30.77.1:5000", True),
    ("http://172.30.77.1:5000/token", "http://172.30.77.1:5000", True),
    ("http://172.30.77.1:5001/token", "https://172.30.77.1:5000", True),   # same host, another port
    ("http://auth.example.com/token", "https://registry.example.com", False),
    ("http://auth.example.com/token", "http://registry.example.com", False),
    ("HTTPS://auth.example.com/token", "http://registry.example.com", True),
    ("/token", "http://registry.example.com", False),
])
def test_realm_may_get_credentials(realm, registry_url, allowed):
    assert reg.realm_may_get_credentials(realm, registry_url) is allowed


def test_credentials_are_not_sent_to_a_plain_http_realm_on_another_host():
    client = reg.RegistryClient("registry.example.com", username="u", password="do-not-send",
                                base_url="https://registry.example.com")
    sent = []

    def send(method, url, headers, body=None, max_bytes=None):
        sent.append((url, dict(headers)))
        challenge = 'Bearer realm="http://auth.example.com/token",service="reg"'
        return reg.RegistryResponse(401, {"WWW-Authenticate": challenge}, b"", url)
    client._send = send
    with pytest.raises(reg.RegistryError) as info:
        client.manifest_digest("team/app", "1")
    assert info.value.msg == ("registry registry.example.com names a token service on plain http at another host "
                              "(http://auth.example.com/token); the credentials of user u are not sent there")
    assert [url for url, _headers in sent] == ["https://registry.example.com/v2/team/app/manifests/1"]
    assert all("Authorization" not in headers for _url, headers in sent)
