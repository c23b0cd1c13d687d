"""The read-only client: engine_info's reads over the local socket without the SDK, as the SDK sends them."""
import json
import socket
import socketserver
import threading
from http.server import BaseHTTPRequestHandler

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.dockhand.docker.plugins.module_utils import client as client_utils
from ansible_collections.dockhand.docker.plugins.module_utils.errors import DockerError

docker = pytest.importorskip("docker")


# ---- the query string: filters and parameters exactly as the SDK encodes them

filter_values = st.one_of(st.booleans(), st.text(max_size=8), st.integers(),
                          st.lists(st.one_of(st.text(max_size=8), st.integers()), max_size=3))


@settings(max_examples=300, deadline=None)
@given(filters=st.dictionaries(st.text(min_size=1, max_size=8), filter_values, max_size=4))
def test_filters_are_encoded_as_the_sdk_encodes_them(filters):
    assert json.loads(client_utils._filters_json(filters)) == json.loads(docker.utils.convert_filters(filters))


def test_query_leaves_out_what_is_not_given():
    assert client_utils._query([("filters", None), ("status", None)]) == ""
    assert client_utils._query([("insertDefaults", True)]) == "?insertDefaults=True"
    assert client_utils._query([("filters", {"role": "manager"})]) == "?filters=%7B%22role%22%3A+%5B%22manager%22%5D%7D"


@pytest.mark.parametrize("method, args, kwargs, local", [
    ("info", (), {}, True),
    ("inspect_container", ("web",), {}, True),
    ("inspect_container", (7,), {}, False),                  # not a name: the SDK says why
    ("inspect_container", (), {}, False),
    ("inspect_service", ("svc",), {"insert_defaults": True}, True),
    ("services", (), {"filters": {"name": "x"}, "status": True}, True),
    ("services", (), {"filters": None}, True),
    ("tasks", (), {"filters": {"service": "x"}}, True),
    ("tasks", (), {"all": True}, False),                     # a keyword the table lacks
    ("inspect_distribution", ("reg/app:1",), {"auth_config": {}}, True),
    ("images", (), {}, False),                                # not a read of the table
    ("remove_container", ("web",), {}, False),
])
def test_reads_covers_the_table_and_nothing_else(method, args, kwargs, local):
    assert client_utils.LocalReads("/x", 5).reads(method, args, kwargs) is local


# ---- the SDK's own numbers, read from its files without importing it

def fake_sdk(monkeypatch, tmp_path, files):
    package = tmp_path / "docker"
    package.mkdir()
    for name, text in files.items():
        (package / name).write_text(text)

    class Spec(object):
        submodule_search_locations = [str(package)]
    monkeypatch.setattr(client_utils.importlib.util, "find_spec", lambda name: Spec())


def test_sdk_defaults_of_sdk_5(monkeypatch, tmp_path):
    fake_sdk(monkeypatch, tmp_path, {"constants.py": "import sys\nDEFAULT_DOCKER_API_VERSION = '1.41'\n",
                                     "version.py": 'version = "5.0.3"\nversion_info = ()\n'})
    assert client_utils.sdk_defaults() == ("5.0.3", "1.41")


def test_sdk_defaults_of_sdk_7(monkeypatch, tmp_path):
    fake_sdk(monkeypatch, tmp_path, {"constants.py": "DEFAULT_DOCKER_API_VERSION = '1.44'\n",
                                     "_version.py": "__version__ = version = '7.1.0'\n",
                                     "version.py": "from ._version import __version__\n"})
    assert client_utils.sdk_defaults() == ("7.1.0", "1.44")


@pytest.mark.parametrize("files", [
    {},                                                               # files missing
    {"constants.py": "DEFAULT_DOCKER_API_VERSION = compute()\n", "version.py": 'version = "5.0.3"\n'},
    {"constants.py": "DEFAULT_DOCKER_API_VERSION = '1.41'\n"},        # no version
])
def test_sdk_defaults_unreadable_means_the_sdk_is_imported(monkeypatch, tmp_path, files):
    fake_sdk(monkeypatch, tmp_path, files)
    assert client_utils.sdk_defaults() is None


def test_sdk_defaults_without_the_sdk(monkeypatch):
    monkeypatch.setattr(client_utils.importlib.util, "find_spec", lambda name: None)
    assert client_utils.sdk_defaults() is None


def test_sdk_defaults_of_the_installed_sdk_match_its_constants():
    assert client_utils.sdk_defaults() == (docker.__version__, docker.constants.DEFAULT_DOCKER_API_VERSION)


# ---- a stand-in engine on a unix socket

class StandIn(object):
    """Answers GET requests on a unix socket from ``routes`` ({path with query: (status, body)}); records them."""

    def __init__(self, path, routes):
        self.requests = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                stand_in.requests.append((self.path, dict(self.headers)))
                status, body = routes.get(self.path, (404, {"message": "page not found"}))
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

            def address_string(self):
                return "local"

        self.server = socketserver.ThreadingUnixStreamServer(path, Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stand_in(tmp_path):
    made = []

    def make(routes):
        path = str(tmp_path / "docker.sock")
        made.append(StandIn(path, routes))
        return "unix://" + path, made[-1]
    yield make
    for one in made:
        one.close()


VERSION = {"ApiVersion": "1.45", "Version": "26.1.5"}


def read_only(docker_host, **params):
    return client_utils.EngineClient(dict(docker_host=docker_host, api_version="auto", timeout=5, **params),
                                     read_only=True)


def test_negotiates_the_version_the_sdk_would(stand_in):
    host, engine = stand_in({"/version": (200, VERSION)})
    client = read_only(host)
    assert client.api_version == min("1.45", docker.constants.DEFAULT_DOCKER_API_VERSION,
                                     key=client_utils._api_version_tuple)
    assert client.version() == VERSION and client.sdk_version == docker.__version__
    assert client._api is None  # the SDK's client was not made


def test_reads_info_once_and_answers_404_with_none(stand_in):
    host, engine = stand_in({"/version": (200, {"ApiVersion": "1.41"}),
                             "/v1.41/info": (200, {"ID": "x", "Swarm": {}})})
    client = read_only(host)
    assert client.info() == {"ID": "x", "Swarm": {}}
    assert client.info() == {"ID": "x", "Swarm": {}}
    assert [path for path, _headers in engine.requests].count("/v1.41/info") == 1
    assert client.call_or_none("inspect container web", "inspect_container", "web") is None


def test_paths_queries_and_the_registry_header(stand_in):
    filters = '%7B%22service%22%3A+%5B%22svc%22%5D%7D'
    host, engine = stand_in({"/version": (200, {"ApiVersion": "1.41"}),
                             "/v1.41/tasks?filters=" + filters: (200, [{"ID": "t"}]),
                             "/v1.41/distribution/reg:5000/app:1/json": (200, {"Descriptor": {"digest": "sha256:1"}}),
                             "/v1.41/services/a%20b?insertDefaults=True": (200, {"ID": "s"})})
    client = read_only(host)
    assert client.call("list the tasks", "tasks", filters={"service": "svc"}) == [{"ID": "t"}]
    assert client.call("read", "inspect_service", "a b", insert_defaults=True) == {"ID": "s"}
    auth = {"username": "u", "password": "p"}
    assert client.read_or_none("read", None, "inspect_distribution", "reg:5000/app:1", auth_config=auth)
    headers = engine.requests[-1][1]
    assert json.loads(client_utils.base64.urlsafe_b64decode(headers["X-Registry-Auth"])) == auth


def test_an_error_the_engine_answers_is_one_line_as_from_the_sdk(stand_in):
    host, engine = stand_in({"/version": (200, {"ApiVersion": "1.41"}),
                             "/v1.41/swarm": (503, {"message": "This node is not a swarm manager."}),
                             "/v1.41/nodes": (500, b"plain text\n")})
    client = read_only(host)
    with pytest.raises(DockerError) as info:
        client.call("inspect the swarm", "inspect_swarm")
    assert info.value.msg == ("Docker engine at %s failed to inspect the swarm: This node is not a swarm manager. "
                              "(HTTP 503)" % host)
    assert info.value.details["status_code"] == 503
    with pytest.raises(DockerError) as info:
        client.call("list the swarm nodes", "nodes")
    assert info.value.msg.endswith("failed to list the swarm nodes: plain text (HTTP 500)")
    seen = []
    with pytest.raises(DockerError) as info:
        client.read_or_none("read", lambda status, text: seen.append((status, text)) or "worded", "inspect_swarm")
    assert info.value.msg == "worded" and seen == [(503, "This node is not a swarm manager.")]


def test_no_engine_is_the_usual_line(tmp_path):
    with pytest.raises(DockerError) as info:
        read_only("unix://%s/none.sock" % tmp_path)
    assert info.value.msg == ("Cannot reach the Docker engine at unix://%s/none.sock: socket %s/none.sock does not "
                              "exist (is the Docker engine running?)" % (tmp_path, tmp_path))


def test_a_call_the_reads_lack_goes_to_the_sdk(stand_in, monkeypatch):
    host, engine = stand_in({"/version": (200, {"ApiVersion": "1.41"})})
    client = read_only(host)

    class Api(object):
        def images(self, **kwargs):
            return ["from the SDK", kwargs]

        def close(self):
            pass
    made = []
    monkeypatch.setattr(client, "_api_client", lambda version: made.append(version) or Api())
    assert client.call("list images", "images", all=True) == ["from the SDK", {"all": True}]
    assert made == ["1.41"]
    client.close()


def test_tcp_or_tls_or_a_writing_module_use_the_sdk(stand_in, monkeypatch):
    host, engine = stand_in({"/version": (200, {"ApiVersion": "1.41"})})
    started = []
    monkeypatch.setattr(client_utils.EngineClient, "_start_sdk", lambda self, params, requested: started.append(1))
    client_utils.EngineClient(dict(docker_host=host, timeout=5), read_only=False)
    client_utils.EngineClient(dict(docker_host="tcp://127.0.0.1:1", timeout=5), read_only=True)
    client_utils.EngineClient(dict(docker_host=host, tls=True, timeout=5), read_only=True)
    assert started == [1, 1, 1] and engine.requests == []


def test_sdk_installed_finds_without_importing(monkeypatch):
    assert client_utils.sdk_installed() is True
    monkeypatch.setattr(client_utils.importlib.util, "find_spec", lambda name: None)
    assert client_utils.sdk_installed() is False


# ---- the HTTP/1.0 exchange itself, against servers that answer in each way an engine may

class RawServer(object):
    """Answers every connection on a unix socket with ``answer`` (bytes), then closes it unless ``keep_open``."""

    def __init__(self, path, answer, keep_open=False):
        self.requests, self.answer, self.keep_open = [], answer, keep_open
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(4)
        self.held = []
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                return
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                request += chunk
            self.requests.append(request)
            for start in range(0, len(self.answer), 7):   # in small pieces, as a busy socket may
                conn.sendall(self.answer[start:start + 7])
            if self.keep_open:
                self.held.append(conn)
            else:
                conn.close()

    def close(self):
        self.sock.close()
        for conn in self.held:
            conn.close()


@pytest.fixture
def raw_server(tmp_path):
    made = []

    def make(answer, keep_open=False):
        path = str(tmp_path / "raw.sock")
        made.append(RawServer(path, answer, keep_open))
        return path, made[-1]
    yield make
    for one in made:
        one.close()


def test_an_answer_without_length_ends_with_the_connection(raw_server):
    path, server = raw_server(b'HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{"ID": "x"}')
    assert client_utils._unix_get(path, "/v1.41/info", {"Host": "docker"}, 5) == (200, b'{"ID": "x"}')
    assert server.requests == [b"GET /v1.41/info HTTP/1.0\r\nHost: docker\r\n\r\n"]


def test_an_answer_with_length_is_read_to_its_length_on_a_connection_left_open(raw_server):
    # An engine that kept the connection open would otherwise hang the read until the timeout.
    answer = b"HTTP/1.1 404 Not Found\r\ncontent-length: 13\r\n\r\n" + b'{"message":1}'
    path, server = raw_server(answer, keep_open=True)
    assert client_utils._unix_get(path, "/_ping", {}, 5) == (404, b'{"message":1}')


@pytest.mark.parametrize("answer", [b"", b"garbage", b"HTTP/1.0 OK\r\n\r\n", b"SSH-2.0-OpenSSH\r\n\r\n"])
def test_what_is_not_an_http_answer_is_a_connection_failure(raw_server, answer):
    path, server = raw_server(answer)
    with pytest.raises(DockerError) as info:
        read_only("unix://" + path)
    assert info.value.msg == "Cannot reach the Docker engine at unix://%s: the answer on the socket was not HTTP" % path


def test_an_answer_cut_short_of_its_length_is_a_connection_failure(raw_server):
    # The engine dying mid-answer: a connection failure, not a half JSON document to parse.
    path, server = raw_server(b'HTTP/1.0 200 OK\r\nContent-Length: 40\r\n\r\n{"ApiVersion": "1.4')
    with pytest.raises(DockerError) as info:
        read_only("unix://" + path)
    assert info.value.msg == ("Cannot reach the Docker engine at unix://%s: the answer on the socket ended after "
                              "19 of its 40 bytes" % path)
