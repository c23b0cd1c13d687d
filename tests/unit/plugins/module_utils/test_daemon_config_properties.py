"""daemon_config under generated input: every input gives a result or one DockhandError line, never
another exception; a failure changes nothing; a success is idempotent; secrets are never shown.

Each example runs plan_options() and converge() on files in a fresh temporary directory: missing,
valid, unparseable, behind a symbolic link (also a dangling one or a loop), a directory, a path
under a file. Never the engine's own /etc/docker/daemon.json: every path is under the example's
directory (or relative or malformed, which is refused before any file is read).
"""
import json
import os
import shutil
import tempfile

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ansible_collections.dockhand.docker.plugins.module_utils import daemon_config as dc
from ansible_collections.dockhand.docker.plugins.module_utils.errors import DockhandError

EXAMPLES = 2000
# Put into the input where secrets go (a logging token, a proxy password); must never be shown.
SECRET = "S3cr3t-Marker-7f1c"

INTERESTING_TEXT = [
    "", " ", "json-file", "local", "syslog", "gelf", "splunk", "none", "grafana/loki:latest", "10m", "3", "0",
    "-1", "true", "/srv/docker", "srv/docker", "tcp://0.0.0.0:2376", "tcp://h:\u00b2", "tcp://h:" + "9" * 5000,
    "unix:///var/run/docker.sock", "fd://", "fd://\u00b2", "udp://graylog:12201", "127.0.0.1:9323", ":9323",
    "[::1]:9323", "172.30.0.0/16", "10.0.0.1/8", "fd00::/48", "2001:db8::1", "https://mirror.example.com",
    "http://u:%s@proxy:3128" % SECRET, "https://s:8088", "overlay2.size=10G", "=x", "name=value", "\ud800",
    "a\x00b", "\n", "caf\u00e9", "9" * 5000, "nan", "1e400",
]
KEY_NAMES = sorted(dc.KEYS) + ["x-unknown", "registry-mirror", "my-token", "", " "]
LOG_OPTION_NAMES = ["max-size", "max-file", "compress", "mode", "max-buffer-size", "tag", "labels", "env",
                    "syslog-address", "syslog-facility", "syslog-format", "gelf-address", "gelf-compression-type",
                    "splunk-url", "splunk-token", "splunk-format", "logentries-token", "fluentd-address",
                    "awslogs-group", "cache-disabled", "x-option", ""]

# Built when drawn: hypothesis shows its strategies with repr(), which refuses 5,000-digit numbers.
huge_integers = st.sampled_from([(2, 63, 0), (2, 63, 1), (2, 64, 0), (10, 30, 0), (10, 5000, 0), (-2, 63, 1)]).map(
    lambda spec: spec[0] ** spec[1] + (-spec[2] if spec[0] < 0 else spec[2]))
texts = st.one_of(st.sampled_from(INTERESTING_TEXT), st.text(max_size=20))
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), huge_integers,
    st.floats(allow_nan=True, allow_infinity=True), texts)
NESTED_KEY_NAMES = ["Soft", "Hard", "Name", "base", "size", "path", "http-proxy", "nofile"]
dict_keys = st.one_of(st.sampled_from(KEY_NAMES + LOG_OPTION_NAMES + NESTED_KEY_NAMES), st.text(max_size=8),
                      st.integers(min_value=-2, max_value=2))
values = st.recursive(scalars, lambda children: st.one_of(st.lists(children, max_size=4),
                                                          st.dictionaries(dict_keys, children, max_size=4)),
                      max_leaves=10)
settings_values = st.one_of(
    st.dictionaries(st.one_of(st.sampled_from(KEY_NAMES), st.text(max_size=10)), values, max_size=4),
    values)
log_opts_values = st.one_of(st.none(), st.dictionaries(st.one_of(st.sampled_from(LOG_OPTION_NAMES), dict_keys),
                                                       values, max_size=4), values)
remove_values = st.one_of(st.lists(st.one_of(st.sampled_from(KEY_NAMES), values), max_size=3), values)
log_drivers = st.one_of(st.none(), st.sampled_from(["json-file", "local", "syslog", "gelf", "splunk", "none",
                                                    "journald", "grafana/loki:latest", "jsonfile", ""]), values)
# Well-formed input, so that about half of the examples get past validation and write a file.
GOOD_SETTINGS = [
    ("debug", True), ("live-restore", False), ("data-root", "/srv/docker"), ("mtu", 1450),
    ("max-concurrent-downloads", 6), ("registry-mirrors", ["https://mirror.example.com"]),
    ("insecure-registries", ["172.30.0.1:5000"]), ("default-address-pools", [{"base": "10.200.0.0/16", "size": 24}]),
    ("default-ulimits", {"nofile": {"Name": "nofile", "Soft": 1024, "Hard": 4096}}), ("labels", ["rack=a1"]),
    ("proxies", {"http-proxy": "http://deploy:%s@proxy:3128" % SECRET, "no-proxy": "localhost"}),
    ("builder", {"gc": {"enabled": True, "defaultKeepStorage": "10GB"}}), ("x-unknown", {"a": [1, 2.5, None]}),
    ("default-shm-size", "128M"), ("dns", ["192.0.2.53"]), ("features", {"buildkit": True}),
]
GOOD_LOGGING = [
    (None, None), ("json-file", None), ("local", {"max-size": "10m", "max-file": "3"}), (None, {"max-file": 3}),
    ("json-file", {"max-size": "1m", "compress": False}), ("syslog", {"syslog-address": "udp://h:514", "tag": "x"}),
    ("splunk", {"splunk-url": "https://s:8088", "splunk-token": SECRET}), ("gelf", {"gelf-address": "udp://g:1"}),
    ("none", None), ("grafana/loki:latest", {"loki-url": "https://u:%s@loki/api" % SECRET}),
]
good_settings = st.lists(st.sampled_from(GOOD_SETTINGS), max_size=4).map(dict)
good_remove = st.lists(st.sampled_from(["debug", "mtu", "log-opts", "log-driver", "x-unknown", "labels"]),
                       max_size=2, unique=True)

FILE_CONTENTS = [
    None, "", "{}", '{"debug": true, "data-root": "/srv/docker"}',
    '{"log-driver": "splunk", "log-opts": {"splunk-token": "%s", "splunk-url": "https://s:8088"}}' % SECRET,
    '{"log-driver": "syslog", "log-opts": {"max-size": "10m"}}', '{"log-opts": {"max-file": 3}}',
    '{"proxies": {"http-proxy": "http://u:%s@proxy:3128"}}' % SECRET, '{"debug": true,}', '["debug"]',
    "NaN", '{"x": NaN}', "\xff\xfe", "[" * 5000, '{"mtu": ' + "9" * 5000 + "}", '{"x": "\\ud800"}',
    '{"log-driver": 5}', '{"log-driver": "local", "log-opts": ["a"]}',
]
PATH_KINDS = ["missing", "file", "symlink", "dangling", "loop", "directory", "under-a-file", "new-directory",
              "relative", "nul", "generated"]


def make_path(root, kind, content, name):
    """The path an example uses, made in ``root``; ``content`` is written where a file is expected."""
    def put(path):
        if content is not None:
            with open(path, "wb") as handle:
                handle.write(content.encode("utf-8", "surrogatepass"))
        return path
    target = os.path.join(root, "daemon.json")
    if kind == "missing":
        return target
    if kind == "file":
        return put(target)
    if kind == "symlink":
        os.mkdir(os.path.join(root, "store"))
        os.symlink(put(os.path.join(root, "store", "real.json")), target)
        return target
    if kind == "dangling":
        os.symlink(os.path.join(root, "store", "real.json"), target)
        return target
    if kind == "loop":
        os.symlink(os.path.join(root, "other"), target)
        os.symlink(target, os.path.join(root, "other"))
        return target
    if kind == "directory":
        os.mkdir(target)
        return target
    if kind == "under-a-file":
        put(os.path.join(root, "file"))
        return os.path.join(root, "file", "daemon.json")
    if kind == "new-directory":
        return os.path.join(root, "etc", "docker", "daemon.json")
    if kind == "relative":
        return "daemon.json"
    if kind == "nul":
        return target + "\x00"
    clean = "".join(char for char in name if char not in "/\x00") or "x"
    return os.path.join(root, "x" + clean[:200])


def snapshot(root):
    """Every entry under ``root`` with its kind and content (to prove a failure changed nothing)."""
    state = {}
    for directory, dirs, names in os.walk(root):
        for name in dirs + names:
            path = os.path.join(directory, name)
            if os.path.islink(path):
                state[path] = ("link", os.readlink(path))
            elif os.path.isdir(path):
                state[path] = ("dir", None)
            else:
                with open(path, "rb") as handle:
                    state[path] = ("file", handle.read(), os.stat(path).st_mode)
    return state


def texts_in(data):
    """Every string in ``data`` (keys too), to look for the secret without serialising 5,000-digit numbers."""
    if isinstance(data, dict):
        return [text for key, value in data.items() for text in texts_in(key) + texts_in(value)]
    if isinstance(data, (list, tuple)):
        return [text for item in data for text in texts_in(item)]
    return [data] if isinstance(data, str) else []


def assert_no_secret(*shown):
    leaked = [text for text in texts_in(shown) if SECRET in text]
    assert not leaked, leaked


def json_data(data):
    """Whether ``data`` can come from Ansible at all: the controller sends module options as JSON."""
    try:
        json.dumps(data, sort_keys=True, allow_nan=True)
    except (TypeError, ValueError):
        return False
    return True


examples_run = []


@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(kind=st.one_of(st.sampled_from(PATH_KINDS), st.sampled_from(["missing", "file", "symlink"])),
       content=st.one_of(st.sampled_from(FILE_CONTENTS), st.lists(st.sampled_from(GOOD_SETTINGS)).map(
           lambda pairs: json.dumps(dict(pairs)))),
       name=st.text(max_size=30),
       settings_value=st.one_of(good_settings, settings_values), remove=st.one_of(good_remove, remove_values),
       logging=st.one_of(st.sampled_from(GOOD_LOGGING), st.tuples(log_drivers, log_opts_values)),
       flags=st.fixed_dictionaries(dict(allow_unknown_keys=st.booleans(), force=st.booleans(), backup=st.booleans(),
                                        check_mode=st.booleans())),
       backup_keep=st.one_of(st.integers(min_value=-1, max_value=3), st.none(), st.just(5), values),
       secret_in=st.sampled_from(["nowhere", "token", "proxy", "mirror"]))
def check_any_input(kind, content, name, settings_value, remove, logging, flags, backup_keep, secret_in):
    examples_run.append(1)
    log_driver, log_opts = logging
    if secret_in == "token":
        log_opts = dict(log_opts if isinstance(log_opts, dict) else {}, **{"splunk-token": SECRET})
    elif secret_in == "proxy" and isinstance(settings_value, dict):
        settings_value = dict(settings_value, proxies={"http-proxy": "http://deploy:%s@proxy:3128" % SECRET})
    elif secret_in == "mirror" and isinstance(settings_value, dict):
        settings_value = dict(settings_value, **{"registry-mirrors": ["https://u:%s@m.example.com" % SECRET]})
    root = tempfile.mkdtemp(prefix="dockhand-dc-property-")
    try:
        path = make_path(root, kind, content, name)
        assert os.path.isabs(path) or kind in ("relative",), path
        params = dict(path=path, settings=settings_value, remove=remove, log_driver=log_driver, log_opts=log_opts,
                      allow_unknown_keys=flags["allow_unknown_keys"], validate=False, dockerd_path=None,
                      backup=flags["backup"], backup_keep=backup_keep, force=flags["force"])
        # The preflight's plan (engine_info's plan_daemon_config, options as JSON): never raises.
        planned_options = dict((key, params[key]) for key in dc.PLANNED_OPTIONS)
        if json_data(planned_options):
            planned = dc.plan_options(planned_options)
            assert isinstance(planned["in_sync"], bool)
            assert planned["error"] is None or "\n" not in planned["error"]
            assert_no_secret(planned)
        assert_no_secret(dc.masked_options(params))

        before = snapshot(root)
        warnings = []
        try:
            result, changes = dc.converge(params, check_mode=flags["check_mode"], warn=warnings.append)
        except DockhandError as exc:
            event("refused: %s" % type(exc).__name__)
            assert str(exc) and "\n" not in str(exc), str(exc)
            assert_no_secret(str(exc), warnings)
            assert snapshot(root) == before, "a failure changed files"
            return
        assert_no_secret(result, changes.as_diff(), warnings)
        event("converged: changed=%s check_mode=%s" % (result["changed"], flags["check_mode"]))
        if flags["check_mode"] or not result["changed"]:
            assert snapshot(root) == before
            return
        with open(os.path.realpath(path), "rb") as handle:
            written = json.loads(handle.read().decode("utf-8"))
        assert dc.masked_config(written) == result["config"]
        # What was written is what the same task finds in sync the next time.
        again = dc.converge(dict(params, backup=False))[0]
        assert again["changed"] is False, (params, written)
        leftovers = [entry for entry in os.listdir(os.path.dirname(os.path.realpath(path)))
                     if entry.endswith(".tmp")]
        assert leftovers == []
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_any_input_gives_a_result_or_one_line_and_changes_nothing_on_failure():
    del examples_run[:]
    check_any_input()
    assert len(examples_run) >= EXAMPLES
