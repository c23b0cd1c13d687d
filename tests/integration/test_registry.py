"""module_utils/registry.py against the real loopback registries (and a token-auth stand-in).

The plain registry (127.0.0.1:5000) and the htpasswd one (127.0.0.1:5001) are the
``registries`` fixture's; content is put there with the docker CLI (registry_tools), so what the
client reports is checked against what docker itself reported.

Bearer tokens are tested with a small token service in front of the plain registry: it issues
tokens, demands them, and forwards the real registry's answers, so the token dance is real HTTP
and the manifests are real.
"""
import base64
import http.server
import json
import subprocess
import threading
import urllib.error
import urllib.parse
import urllib.request

import pytest

from ansible_collections.dockhand.docker.plugins.module_utils.registry import (
    MEDIA_TYPE_DOCKER_LIST,
    MEDIA_TYPE_DOCKER_MANIFEST,
    RegistryClient,
    RegistryError,
)
from registry_tools import push_local, push_manifest_list, write_docker_config

pytestmark = pytest.mark.engine

REPO = "dockhand-test/registry-client"
SECOND_IMAGE = "dockhand-test/registry-client-second:latest"


def docker_cli(*args):
    return subprocess.run(["docker"] + list(args), check=True, capture_output=True, text=True).stdout


def untag(*refs):
    """Remove the local tags pushing made (the images stay: other tags name them)."""
    subprocess.run(["docker", "rmi"] + list(refs), capture_output=True, check=False)


@pytest.fixture(scope="module")
def second_image(test_image):
    """A second local image (a label on the test image), so a manifest list has two manifests."""
    subprocess.run(["docker", "build", "-q", "-t", SECOND_IMAGE, "-"], check=True, capture_output=True, text=True,
                   input="FROM %s\nLABEL dockhand.test=registry-client-second\n" % test_image)
    return SECOND_IMAGE


@pytest.fixture(scope="module")
def plain(registries, test_image, second_image):
    """The plain registry with REPO:v1 (the test image) and REPO:second; returns their digests."""
    host = registries["plain"]
    refs = ["%s/%s:v1" % (host, REPO), "%s/%s:second" % (host, REPO), "%s/private/app:v1" % host]
    first = push_local(test_image, refs[0])
    second = push_local(second_image, refs[1])
    yield dict(host=host, v1=first, second=second)
    untag(*refs)


@pytest.fixture(scope="module")
def auth(registries, test_image, tmp_path_factory):
    """The htpasswd registry with REPO:v1, pushed with credentials."""
    host = registries["auth"]
    config_dir = write_docker_config(tmp_path_factory.mktemp("dockercfg"), host, registries["username"],
                                     registries["password"])
    digest = push_local(test_image, "%s/%s:v1" % (host, REPO), docker_config=config_dir)
    yield dict(host=host, v1=digest, username=registries["username"], password=registries["password"])
    untag("%s/%s:v1" % (host, REPO))


# ------------------------------------------------------------------ plain registry

def test_digest_is_what_docker_push_and_inspect_report(plain, test_image):
    client = RegistryClient(plain["host"])
    digest = client.manifest_digest(REPO, "v1")
    assert digest == plain["v1"]
    repo_digests = json.loads(docker_cli("image", "inspect", "--format", "{{json .RepoDigests}}",
                                         "%s/%s:v1" % (plain["host"], REPO)))
    assert "%s/%s@%s" % (plain["host"], REPO, digest) in repo_digests
    assert client.manifest_digest(REPO, "second") == plain["second"] != digest


def test_digest_by_digest_reference(plain):
    assert RegistryClient(plain["host"]).manifest_digest(REPO, plain["v1"]) == plain["v1"]


def test_unknown_tag_and_unknown_repository_give_none(plain):
    client = RegistryClient(plain["host"])
    assert client.manifest_digest(REPO, "no-such-tag") is None
    assert client.manifest_digest("dockhand-test/no-such-repository", "v1") is None
    assert client.manifest_digest(REPO, "sha256:" + "0" * 64) is None


def test_manifest_of_a_single_image(plain, test_image):
    media_type, manifest, digest = RegistryClient(plain["host"]).manifest(REPO, "v1")
    assert media_type == MEDIA_TYPE_DOCKER_MANIFEST
    assert digest == plain["v1"]
    image_id = docker_cli("image", "inspect", "--format", "{{.Id}}", test_image).strip()
    assert manifest["config"]["digest"] == image_id
    assert manifest["layers"]


def test_manifest_of_unknown_tag_is_not_found_error(plain):
    with pytest.raises(RegistryError) as info:
        RegistryClient(plain["host"]).manifest(REPO, "no-such-tag")
    assert info.value.kind == "not_found"
    assert info.value.msg == "manifest %s:no-such-tag not found in %s" % (REPO, plain["host"])


def test_platforms_of_a_single_image_come_from_its_config(plain, test_image):
    expected = docker_cli("image", "inspect", "--format", "{{.Os}}/{{.Architecture}}", test_image).strip()
    assert RegistryClient(plain["host"]).platforms(REPO, "v1") == [expected]


def test_manifest_list_platforms_are_exactly_its_entries(plain):
    entries = [
        {"digest": plain["v1"], "platform": "linux/amd64"},
        {"digest": plain["second"], "platform": "linux/arm64/v8"},
        {"digest": plain["v1"], "platform": "linux/s390x"},
        {"digest": plain["second"], "platform": {"os": "linux", "architecture": "arm", "variant": "v7"}},
    ]
    list_digest = push_manifest_list(plain["host"], REPO, "multi", entries)
    client = RegistryClient(plain["host"])
    assert client.manifest_digest(REPO, "multi") == list_digest
    media_type, manifest, digest = client.manifest(REPO, "multi")
    assert (media_type, digest) == (MEDIA_TYPE_DOCKER_LIST, list_digest)
    assert [entry["digest"] for entry in manifest["manifests"]] == [e["digest"] for e in entries]
    assert client.platforms(REPO, "multi") == ["linux/amd64", "linux/arm64/v8", "linux/s390x", "linux/arm/v7"]
    # A list naming one platform only.
    push_manifest_list(plain["host"], REPO, "amd64-only", entries[:1])
    assert client.platforms(REPO, "amd64-only") == ["linux/amd64"]


def test_registry_down_is_one_clear_line():
    with pytest.raises(RegistryError) as info:
        RegistryClient("127.0.0.1:5999", timeout=5).manifest_digest(REPO, "v1")
    assert info.value.kind == "unreachable"
    assert info.value.msg.startswith("cannot reach registry 127.0.0.1:5999 (http://127.0.0.1:5999/v2/")
    assert info.value.msg.endswith(": connection refused")


# ------------------------------------------------------------------ htpasswd registry (Basic)

def test_auth_registry_without_credentials(auth):
    with pytest.raises(RegistryError) as info:
        RegistryClient(auth["host"]).manifest_digest(REPO, "v1")
    assert info.value.kind == "auth_required"
    assert info.value.msg == ("authentication required by %s; log in with dockhand.docker.login or give credentials"
                              % auth["host"])


def test_auth_registry_with_a_wrong_password(auth):
    wrong = "not-the-password-" + auth["password"][:4]
    with pytest.raises(RegistryError) as info:
        RegistryClient(auth["host"], auth["username"], wrong).manifest_digest(REPO, "v1")
    assert info.value.kind == "auth_failed"
    assert info.value.msg == "%s rejected the credentials of user %s" % (auth["host"], auth["username"])
    assert wrong not in str(info.value) and auth["password"] not in str(info.value)


def test_auth_registry_with_the_right_credentials(auth):
    client = RegistryClient(auth["host"], auth["username"], auth["password"])
    assert client.manifest_digest(REPO, "v1") == auth["v1"]
    assert client.manifest_digest(REPO, "no-such-tag") is None
    assert len(client.platforms(REPO, "v1")) == 1


def test_auth_registry_manifest_list(auth):
    list_digest = push_manifest_list(auth["host"], REPO, "multi",
                                     [{"digest": auth["v1"], "platform": "linux/amd64"},
                                      {"digest": auth["v1"], "platform": "linux/ppc64le"}],
                                     username=auth["username"], password=auth["password"])
    client = RegistryClient(auth["host"], auth["username"], auth["password"])
    assert client.manifest_digest(REPO, "multi") == list_digest
    assert client.platforms(REPO, "multi") == ["linux/amd64", "linux/ppc64le"]


# ------------------------------------------------------------------ token service (Bearer)

class TokenRegistry(object):
    """Issues bearer tokens, demands them, forwards to the plain registry; records what it saw.

    Repositories under ``private/`` need a token issued to a user; anonymous tokens get
    ``insufficient_scope`` there. Blobs are served through a redirect to another host name
    (``localhost`` instead of ``127.0.0.1``), where an Authorization header must not arrive.
    """

    USER, PASSWORD = "tokenuser", "token-secret-pw"

    def __init__(self, upstream):
        self.upstream = upstream
        self.token_requests = []
        self.blob_authorizations = []
        self.tokens = {}
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                fake.handle(self)

            def do_HEAD(self):
                fake.handle(self)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.host = "127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def _reply(self, handler, status, body=b"", headers=None):
        handler.send_response(status)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(body)

    def _challenge(self, handler, repository, error=None):
        value = 'Bearer realm="http://%s/token",service="dockhand-fake",scope="repository:%s:pull"' % (
            self.host, repository)
        if error:
            value += ',error="%s"' % error
        self._reply(handler, 401, b'{"errors":[{"code":"UNAUTHORIZED","message":"token required"}]}',
                    {"WWW-Authenticate": value, "Content-Type": "application/json"})

    def _token(self, handler, query):
        user = None
        authorization = handler.headers.get("Authorization", "")
        if authorization.startswith("Basic "):
            name, _sep, password = base64.b64decode(authorization[6:]).decode().partition(":")
            if (name, password) != (self.USER, self.PASSWORD):
                self.token_requests.append(dict(query=query, user=name, accepted=False))
                return self._reply(handler, 401, b'{"details":"incorrect username or password"}')
            user = name
        self.token_requests.append(dict(query=query, user=user, accepted=True))
        token = "tok-%d" % len(self.tokens)
        self.tokens[token] = user
        self._reply(handler, 200, json.dumps({"token": token, "expires_in": 300}).encode(),
                    {"Content-Type": "application/json"})

    def _forward(self, handler, path):
        request = urllib.request.Request("http://%s%s" % (self.upstream, path), method=handler.command,
                                         headers={"Accept": handler.headers.get("Accept", "*/*")})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status, headers, body = response.status, response.headers, response.read()
        except urllib.error.HTTPError as exc:
            status, headers, body = exc.code, exc.headers, exc.read()
        passed = dict((name, headers[name]) for name in ("Content-Type", "Docker-Content-Digest") if headers[name])
        self._reply(handler, status, body, passed)

    def handle(self, handler):
        url = urllib.parse.urlsplit(handler.path)
        if url.path == "/token":
            return self._token(handler, urllib.parse.parse_qs(url.query))
        if url.path.startswith("/blobdata/"):
            self.blob_authorizations.append(handler.headers.get("Authorization"))
            return self._forward(handler, "/v2/" + url.path[len("/blobdata/"):])
        if not url.path.startswith("/v2/"):
            return self._reply(handler, 404)
        repository = url.path[len("/v2/"):].rsplit("/", 2)[0]
        authorization = handler.headers.get("Authorization", "")
        token = authorization[7:] if authorization.startswith("Bearer ") else None
        if token not in self.tokens:
            return self._challenge(handler, repository)
        if repository.startswith("private/") and self.tokens[token] is None:
            return self._challenge(handler, repository, error="insufficient_scope")
        if "/blobs/" in url.path:
            location = "http://localhost:%d/blobdata/%s" % (self.port, url.path[len("/v2/"):])
            return self._reply(handler, 307, headers={"Location": location})
        return self._forward(handler, url.path)


@pytest.fixture
def token_registry(plain):
    fake = TokenRegistry(plain["host"])
    yield fake
    fake.close()


@pytest.fixture(scope="module")
def private_digest(plain, test_image):
    return push_local(test_image, "%s/private/app:v1" % plain["host"])


def test_bearer_anonymous_token(token_registry, plain):
    client = RegistryClient(token_registry.host)
    assert client.manifest_digest(REPO, "v1") == plain["v1"]
    assert client.manifest_digest(REPO, "second") == plain["second"]
    assert len(token_registry.token_requests) == 1, "the token is reused for the same scope"
    query = token_registry.token_requests[0]["query"]
    assert query == {"service": ["dockhand-fake"], "scope": ["repository:%s:pull" % REPO]}
    assert token_registry.token_requests[0]["user"] is None


def test_bearer_token_with_credentials(token_registry, plain, private_digest):
    client = RegistryClient(token_registry.host, TokenRegistry.USER, TokenRegistry.PASSWORD)
    assert client.manifest_digest("private/app", "v1") == private_digest
    request = token_registry.token_requests[0]
    assert request["user"] == TokenRegistry.USER and request["query"]["account"] == [TokenRegistry.USER]


def test_bearer_wrong_password(token_registry):
    client = RegistryClient(token_registry.host, TokenRegistry.USER, "wrong-token-pw")
    with pytest.raises(RegistryError) as info:
        client.manifest_digest(REPO, "v1")
    assert info.value.kind == "auth_failed"
    assert info.value.msg == "%s rejected the credentials of user %s" % (token_registry.host, TokenRegistry.USER)
    assert "wrong-token-pw" not in info.value.msg


def test_bearer_anonymous_on_private_repository_is_denied(token_registry, private_digest):
    with pytest.raises(RegistryError) as info:
        RegistryClient(token_registry.host).manifest_digest("private/app", "v1")
    assert info.value.kind == "denied"
    assert info.value.msg == ("%s denied anonymous users access to private/app (the repository may not exist); "
                              "log in with dockhand.docker.login or give credentials" % token_registry.host)


def test_blob_redirect_to_another_host_drops_the_token(token_registry, plain, test_image):
    expected = docker_cli("image", "inspect", "--format", "{{.Os}}/{{.Architecture}}", test_image).strip()
    client = RegistryClient(token_registry.host, TokenRegistry.USER, TokenRegistry.PASSWORD)
    assert client.platforms(REPO, "v1") == [expected]
    assert token_registry.blob_authorizations == [None]
