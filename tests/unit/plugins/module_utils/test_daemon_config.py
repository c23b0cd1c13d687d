"""daemon.json: the key table, validation, the merge, reading and writing the file, dockerd --validate."""
import json
import os
import stat

import pytest

from ansible_collections.dockhand.docker.plugins.module_utils import daemon_config as dc
from ansible_collections.dockhand.docker.plugins.module_utils.log_config import InvalidLogConfig
from ansible_collections.dockhand.docker.plugins.module_utils.plan import data_digest
from ansible_collections.dockhand.docker.plugins.module_utils.units import InvalidValue

GOOD = [
    ("debug", True),
    ("live-restore", False),
    ("log-level", "warn"),
    ("log-format", "json"),
    ("data-root", "/srv/docker"),
    ("exec-root", "/run/docker-2"),
    ("storage-driver", "overlay2"),
    ("storage-opts", ["overlay2.size=10G"]),
    ("hosts", ["unix:///var/run/docker.sock", "tcp://0.0.0.0:2376", "fd://", "fd://3", "unix://",
               "tcp://[::1]:2375", "tcp://192.0.2.10"]),
    ("insecure-registries", ["registry.local:5000", "10.0.0.0/8", "http://old.example.com"]),
    ("registry-mirrors", ["https://mirror.example.com", "http://10.0.0.2:5000/", "https://m.example.com/path"]),
    ("max-concurrent-downloads", 10),
    ("max-concurrent-uploads", 1),
    ("max-download-attempts", 3),
    ("default-ulimits", {"nofile": {"Name": "nofile", "Soft": 1024, "Hard": 65536}}),
    ("default-ulimits", {"core": {"Soft": -1, "Hard": -1}, "nproc": {"Soft": 10, "Hard": -1}}),
    ("default-address-pools", [{"base": "172.30.0.0/16", "size": 24}, {"base": "fd00::/48", "size": 64}]),
    ("exec-opts", ["native.cgroupdriver=systemd"]),
    ("dns", ["192.0.2.53", "2001:db8::53"]),
    ("dns-opts", ["ndots:2"]),
    ("dns-search", ["example.com"]),
    ("mtu", 1450),
    ("mtu", 0),
    ("ipv6", True),
    ("iptables", False),
    ("ip6tables", True),
    ("tls", True),
    ("tlsverify", True),
    ("tlscacert", "/etc/docker/ca.pem"),
    ("tlscert", "/etc/docker/cert.pem"),
    ("tlskey", "/etc/docker/key.pem"),
    ("features", {"buildkit": True, "containerd-snapshotter": False}),
    ("experimental", False),
    ("metrics-addr", "127.0.0.1:9323"),
    ("metrics-addr", "[::1]:9323"),
    ("metrics-addr", ":9323"),
    ("labels", ["rack=a1", "env=prod"]),
    ("userland-proxy", False),
    ("shutdown-timeout", 30),
    ("default-runtime", "runc"),
    ("runtimes", {"crun": {"path": "/usr/bin/crun", "runtimeArgs": ["--debug"]},
                  "kata": {"runtimeType": "io.containerd.kata.v2", "options": {"ConfigPath": "/x"}}}),
    ("bip", "192.168.200.1/24"),
    ("bip6", "fd00:1::1/64"),
    ("fixed-cidr", "192.168.200.0/25"),
    ("fixed-cidr-v6", "2001:db8:1::/64"),
    ("default-gateway", "192.168.200.254"),
    ("default-gateway-v6", "2001:db8:1::1"),
    ("ip", "127.0.0.1"),
    ("default-cgroupns-mode", "host"),
    ("default-ipc-mode", "shareable"),
    ("cgroup-parent", "docker.slice"),
    ("seccomp-profile", "unconfined"),
    ("seccomp-profile", "/etc/docker/seccomp.json"),
    ("selinux-enabled", False),
    ("no-new-privileges", True),
    ("icc", False),
    ("ip-forward", True),
    ("ip-masq", True),
    ("group", "docker"),
    ("pidfile", "/run/docker.pid"),
    ("containerd", "/run/containerd/containerd.sock"),
    ("builder", {"gc": {"enabled": True, "defaultKeepStorage": "10GB"}}),
    ("default-shm-size", "128M"),
    ("default-shm-size", 67108864),
    ("oom-score-adjust", -500),
    ("proxies", {"http-proxy": "http://proxy:3128", "no-proxy": "localhost"}),
    ("default-network-opts", {"bridge": {"com.docker.network.bridge.mtu": "1400"}}),
    ("log-driver", "local"),
    ("log-opts", {"max-size": "10m"}),
    ("cdi-spec-dirs", ["/etc/cdi"]),
    ("host-gateway-ip", "192.0.2.1"),
    ("firewall-backend", "nftables"),
    ("node-generic-resources", ["NVIDIA-GPU=UUID1"]),
    ("authorization-plugins", ["authz-broker"]),
]


@pytest.mark.parametrize("key,value", GOOD)
def test_documented_keys_with_good_values(key, value):
    assert dc.validate_settings({key: value}) == []


BAD = [
    ("debug", "true", "settings.debug: 'true' is a string; it must be a boolean (true or false)"),
    ("live-restore", 1, "settings.live-restore: 1 is an integer; it must be a boolean"),
    ("log-level", "verbose", "settings.log-level: 'verbose' is not one of: debug, info, warn, error, fatal"),
    ("log-format", "xml", "is not one of: text, json"),
    ("data-root", "var/lib/docker", "settings.data-root: 'var/lib/docker' is not an absolute path"),
    ("data-root", "", "is empty; remove the key to use the engine's default"),
    ("storage-driver", 5, "settings.storage-driver: 5 is an integer; it must be a string"),
    ("hosts", "unix:///var/run/docker.sock", "settings.hosts: 'unix:///var/run/docker.sock' is a string; "
                                             "it must be a list of strings"),
    ("hosts", ["0.0.0.0:2375"], "settings.hosts[0]: '0.0.0.0:2375' has no scheme"),
    ("hosts", ["ssh://host"], "has the scheme 'ssh', which the engine does not listen on"),
    ("hosts", ["unix://var/run/docker.sock"], "needs an absolute socket path"),
    ("hosts", ["tcp://0.0.0.0:99999"], "has an invalid port '99999'"),
    ("hosts", ["fd://x"], "is not fd:// or fd://<number>"),
    ("insecure-registries", ["ftp://x"], "has a scheme"),
    ("insecure-registries", "registry:5000", "must be a list of strings"),
    ("registry-mirrors", ["mirror.example.com"], "settings.registry-mirrors[0]: 'mirror.example.com' is not a "
                                                 "mirror URL"),
    ("registry-mirrors", ["https://u:p@mirror.example.com"], "contains credentials"),
    ("max-concurrent-downloads", 0, "settings.max-concurrent-downloads: 0 is out of range; it must be a positive "
                                    "integer"),
    ("max-concurrent-downloads", "3", "is a string; it must be a positive integer"),
    ("max-concurrent-uploads", True, "is a boolean; it must be a positive integer"),
    ("default-ulimits", [], "must be a dictionary of ulimit names"),
    ("default-ulimits", {"files": {"Soft": 1, "Hard": 1}}, "'files' is not a ulimit"),
    ("default-ulimits", {"nofile": {"Soft": 1}}, "settings.default-ulimits.nofile: the field 'Hard' is missing"),
    ("default-ulimits", {"nofile": {"Soft": 10, "Hard": 5}}, "the soft limit 10 is above the hard limit 5"),
    ("default-ulimits", {"nofile": {"Soft": -1, "Hard": 5}}, "the soft limit -1 is above the hard limit 5"),
    ("default-ulimits", {"nofile": {"Name": "nproc", "Soft": 1, "Hard": 1}}, "differs from its key 'nofile'"),
    ("default-ulimits", {"nofile": {"soft": 1, "Hard": 1}}, "'soft' is not a field here"),
    ("default-address-pools", {"base": "10.0.0.0/8", "size": 24}, "must be a list of {\"base\""),
    ("default-address-pools", [{"base": "10.0.0.0/8"}], "default-address-pools[0]: the field 'size' is missing"),
    ("default-address-pools", [{"base": "10.0.0.0", "size": 24}], "has no prefix length"),
    ("default-address-pools", [{"base": "10.0.0.0/33", "size": 24}], "is not a CIDR"),
    ("default-address-pools", [{"base": "10.0.0.0/16", "size": 8}],
     "size: 8 is out of range; it must be an integer from 16 to 32"),
    ("default-address-pools", [{"base": "10.0.0.0/16", "size": 24, "scope": "x"}], "'scope' is not a field"),
    ("exec-opts", ["native.cgroupdriver"], "settings.exec-opts[0]: 'native.cgroupdriver' is not of the form "
                                           "name=value"),
    ("labels", {"a": "b"}, "must be a list of name=value strings"),
    ("dns", ["dns.example.com"], "settings.dns[0]: 'dns.example.com' is not an IP address"),
    ("mtu", -1, "is out of range"),
    ("mtu", "1500", "is a string"),
    ("ipv6", "yes", "must be a boolean"),
    ("tlscacert", "ca.pem", "is not an absolute path"),
    ("features", {"buildkit": "true"}, "settings.features.buildkit: 'true' is a string; it must be a boolean"),
    ("features", ["buildkit"], "must be a dictionary of feature names"),
    ("metrics-addr", "127.0.0.1", "has no port"),
    ("metrics-addr", "http://127.0.0.1:9323", "is not of the form host:port"),
    ("shutdown-timeout", -5, "is out of range"),
    ("shutdown-timeout", 1.5, "is a number; it must be an integer"),
    ("runtimes", {"crun": "/usr/bin/crun"}, "settings.runtimes.crun: '/usr/bin/crun' is a string"),
    ("runtimes", {"crun": {"runtimeArgs": []}}, "needs \"path\""),
    ("runtimes", {"crun": {"path": "/x", "args": []}}, "'args' is not a field here"),
    ("bip", "192.168.1.1", "has no prefix length"),
    ("bip", "2001:db8::1/64", "is not an IPv4 CIDR"),
    ("fixed-cidr", "10.0.0.0/40", "is not an IPv4 CIDR"),
    ("fixed-cidr-v6", "10.0.0.0/8", "is not an IPv6 CIDR"),
    ("default-gateway", "2001:db8::1", "is not an IPv4 address"),
    ("default-cgroupns-mode", "shared", "is not one of: private, host"),
    ("seccomp-profile", "default", "is not 'builtin', 'unconfined' or the absolute path"),
    ("default-shm-size", "lots", "settings.default-shm-size: 'lots' is not a size"),
    ("default-shm-size", True, "is a boolean"),
    ("oom-score-adjust", 2000, "it must be an integer from -1000 to 1000"),
    ("proxies", {"http_proxy": "http://p"}, "'http_proxy' is not a field here"),
    ("default-network-opts", {"bridge": {"mtu": 1400}}, "settings.default-network-opts.bridge.mtu: 1400 is an "
                                                        "integer; it must be a string"),
    ("log-driver", "", "is empty"),
    ("log-opts", ["max-size=10m"], "must be a dictionary of option names to string values"),
    ("cdi-spec-dirs", ["cdi"], "is not an absolute path"),
    ("firewall-backend", "ufw", "is not one of: iptables, nftables"),
]


@pytest.mark.parametrize("key,value,message", BAD)
def test_wrong_values_are_refused_with_one_line(key, value, message):
    with pytest.raises(dc.DaemonConfigError) as caught:
        dc.validate_settings({key: value})
    text = str(caught.value)
    assert message in text
    assert "\n" not in text


def test_errors_are_input_errors_of_the_shared_frame():
    assert issubclass(dc.DaemonConfigError, InvalidValue)


def test_every_table_key_is_exercised_or_simple():
    exercised = {case[0] for case in GOOD} | {case[0] for case in BAD}
    simple = set(dc._BOOLEAN_KEYS + dc._STRING_KEYS + dc._PATH_KEYS + dc._STRING_LIST_KEYS
                 + dc._KEY_VALUE_LIST_KEYS) | set(dc.DEPRECATED_KEYS)
    assert set(dc.KEYS) - exercised - simple == {"network-control-plane-mtu", "cpu-rt-period", "cpu-rt-runtime",
                                                 "host-gateway-ips"}


@pytest.mark.parametrize("key,suggestion", [
    ("log_driver", "'log-driver'"),
    ("live_restore", "'live-restore'"),
    ("registry-mirror", "'registry-mirrors'"),
    ("insecure-registry", "'insecure-registries'"),
    ("max-concurent-downloads", "'max-concurrent-downloads'"),
])
def test_unknown_keys_name_close_known_ones(key, suggestion):
    with pytest.raises(dc.DaemonConfigError) as caught:
        dc.validate_settings({key: "x"})
    text = str(caught.value)
    assert text.startswith("settings: %r is not a daemon.json key the engine documents; did you mean " % key)
    assert suggestion in text
    assert "allow_unknown_keys=true" in text


def test_unknown_key_without_a_close_match_has_no_guess():
    with pytest.raises(dc.DaemonConfigError) as caught:
        dc.validate_settings({"zzzz": 1})
    assert "did you mean" not in str(caught.value)


def test_unknown_keys_are_allowed_with_a_warning():
    warnings = dc.validate_settings({"future-key": {"a": 1}}, allow_unknown_keys=True)
    assert warnings == ["settings.future-key is not a key the engine documents; it was written as given because "
                        "allow_unknown_keys=true"]


def test_deprecated_keys_warn():
    warnings = dc.validate_settings({"graph": "/var/lib/docker"})
    assert len(warnings) == 1 and "use data-root" in warnings[0]


@pytest.mark.parametrize("settings,message", [
    ({"debug": None}, "settings.debug has no value; give it a value, or list the key in remove"),
    ({"": 1}, "is not a usable key"),
    ("debug", "settings must be a dictionary"),
])
def test_malformed_settings(settings, message):
    with pytest.raises(dc.DaemonConfigError, match=message):
        dc.validate_settings(settings)


def test_messages_use_the_name_the_user_gave():
    with pytest.raises(dc.DaemonConfigError, match="^log_driver: '' is empty"):
        dc.validate_settings({"log-driver": ""}, names={"log-driver": "log_driver"})


# Shortcuts

def test_shortcuts_become_keys():
    settings, names = dc.apply_shortcuts({"debug": True}, "local", {"max-size": "1m"})
    assert settings == {"debug": True, "log-driver": "local", "log-opts": {"max-size": "1m"}}
    assert names == {"debug": "settings.debug", "log-driver": "log_driver", "log-opts": "log_opts"}


def test_shortcut_equal_to_the_key_is_fine():
    settings = dc.apply_shortcuts({"log-driver": "local"}, "local")[0]
    assert settings == {"log-driver": "local"}


@pytest.mark.parametrize("settings,driver,opts,message", [
    ({"log-driver": "local"}, "json-file", None,
     "log_driver and settings.log-driver are both given and differ ('json-file' and 'local')"),
    ({"log-opts": {"max-size": "1m"}}, None, {"max-size": "2m"}, "log_opts and settings.log-opts are both given"),
])
def test_conflicting_shortcut_and_key(settings, driver, opts, message):
    with pytest.raises(dc.DaemonConfigError) as caught:
        dc.apply_shortcuts(settings, driver, opts)
    assert str(caught.value).startswith(message)


# Logging driver and options of the merged configuration

def test_logging_is_not_checked_when_not_managed():
    config = {"log-driver": "bogus", "log-opts": {"x": 1}}
    assert dc.check_logging(config, ["debug"]) == ({"x": 1}, [])


def test_log_options_are_converted_with_warnings():
    options, warnings = dc.check_logging({"log-driver": "json-file", "log-opts": {"max-file": 3, "compress": False}},
                                         ["log-opts"], {"log-opts": "log_opts"})
    assert options == {"max-file": "3", "compress": "false"}
    assert len(warnings) == 2 and all(w.startswith("log_opts.") for w in warnings)


@pytest.mark.parametrize("config,managed,names,message", [
    ({"log-driver": "jsonfile"}, ["log-driver"], {"log-driver": "log_driver"},
     "log_driver: 'jsonfile' is not a logging driver this engine knows"),
    ({"log-driver": "etwlogs"}, ["log-driver"], {}, "etwlogs exists on Windows only"),
    ({"log-driver": "json-file", "log-opts": {"bogus": "1"}}, ["log-opts"], {"log-opts": "log_opts"},
     "log_opts: unknown option 'bogus' for the json-file logging driver"),
    ({"log-opts": {"max-file": "0"}}, ["log-opts"], {"log-opts": "log_opts"},
     "log_opts.max-file: '0' is out of range"),
    ({"log-driver": "syslog", "log-opts": {"syslog-address": "syslog:514"}}, ["log-opts"],
     {"log-opts": "log_opts"}, "log_opts.syslog-address: 'syslog:514' is not a syslog address"),
    ({"log-driver": "gelf"}, ["log-driver"], {"log-driver": "log_driver"},
     "log_opts: the gelf logging driver needs the 'gelf-address' option"),
    ({"log-driver": "splunk", "log-opts": {"splunk-url": "https://s:8088"}}, ["log-driver", "log-opts"],
     {}, "needs the 'splunk-token' option"),
])
def test_bad_logging_is_refused(config, managed, names, message):
    with pytest.raises(InvalidLogConfig) as caught:
        dc.check_logging(config, managed, names, "/etc/docker/daemon.json")
    assert message in str(caught.value)


def test_options_kept_from_the_file_must_suit_a_new_driver():
    config = {"log-driver": "syslog", "log-opts": {"max-size": "10m"}}
    with pytest.raises(InvalidLogConfig) as caught:
        dc.check_logging(config, ["log-driver"], {"log-driver": "log_driver"}, "/etc/docker/daemon.json")
    assert str(caught.value).startswith("log-opts (kept from /etc/docker/daemon.json): unknown option 'max-size' "
                                        "for the syslog logging driver")


def test_options_kept_from_the_file_are_checked_against_the_default_driver_when_it_is_removed():
    with pytest.raises(InvalidLogConfig, match="unknown option 'syslog-address' for the json-file"):
        dc.check_logging({"log-opts": {"syslog-address": "udp://h:514"}}, ["log-driver"])


def test_non_string_options_kept_from_the_file_are_an_error():
    with pytest.raises(dc.DaemonConfigError, match=r"has values that are not strings.*\(max-file\)"):
        dc.check_logging({"log-driver": "local", "log-opts": {"max-file": 3}}, ["log-driver"])


def test_plugins_get_type_checks_only():
    options, warnings = dc.check_logging({"log-driver": "grafana/loki-docker-driver:latest",
                                          "log-opts": {"loki-url": "http://loki:3100", "loki-retries": 5}},
                                         ["log-driver", "log-opts"], {"log-opts": "log_opts"})
    assert options == {"loki-url": "http://loki:3100", "loki-retries": "5"}
    assert len(warnings) == 1


def test_none_driver_takes_no_options():
    with pytest.raises(InvalidLogConfig, match="the none logging driver takes no options"):
        dc.check_logging({"log-driver": "none", "log-opts": {"max-size": "1m"}}, ["log-driver"])


# Merge

def test_merge_keeps_order_and_appends_new_keys():
    current = {"b": 1, "a": {"x": 1}, "c": 3}
    config, changed = dc.merge(current, {"z": 1, "a": {"x": 2}, "y": 2}, ["c"])
    assert list(config) == ["b", "a", "z", "y"]
    assert config["a"] == {"x": 2}
    assert changed == ["a", "c", "y", "z"]
    assert current == {"b": 1, "a": {"x": 1}, "c": 3}


def test_merge_of_equal_data_changes_nothing():
    current = {"debug": True, "log-opts": {"max-size": "1m", "max-file": "2"}}
    config, changed = dc.merge(current, {"log-opts": {"max-file": "2", "max-size": "1m"}}, ["absent"])
    assert changed == [] and config == current


@pytest.mark.parametrize("old,new", [(1, True), (0, False), (1, 1.0), ("1", 1), ([1, 2], [2, 1])])
def test_values_are_compared_as_json(old, new):
    assert dc.merge({"k": old}, {"k": new})[1] == ["k"]


def test_render_is_two_space_json_with_a_newline():
    assert dc.render({"b": 1, "a": [1], "n": "é"}) == '{\n  "b": 1,\n  "a": [\n    1\n  ],\n  "n": "é"\n}\n'


# Reading the file

@pytest.mark.parametrize("content,data", [
    (b"", {}),
    (b"  \n\t\n", {}),
    (b'{"debug": true}', {"debug": True}),
    (b'\xef\xbb\xbf{"debug": true}', {"debug": True}),
])
def test_read_usable_files(tmp_path, content, data):
    path = tmp_path / "daemon.json"
    path.write_bytes(content)
    found = dc.read_config(str(path))
    assert found.data == data and found.error is None and found.exists


@pytest.mark.parametrize("content,error", [
    (b'{\n  "debug": true\n  "x": 1\n}', "line 3, column 3: Expecting ',' delimiter"),
    (b'{"debug": tru}', "line 1, column 11: Expecting value"),
    (b"[1, 2]", "it holds a JSON list, not an object"),
    (b'"text"', "it holds a JSON string, not an object"),
    (b'{"mtu": NaN}', "NaN is not allowed in JSON"),
    (b'{"a": "\xff"}', "it is not UTF-8 text (byte 7)"),
])
def test_read_unusable_files(tmp_path, content, error):
    path = tmp_path / "daemon.json"
    path.write_bytes(content)
    found = dc.read_config(str(path))
    assert found.data is None and found.error == error


def test_read_missing_file(tmp_path):
    found = dc.read_config(str(tmp_path / "nope.json"))
    assert found.data is None and found.error is None and not found.exists


def test_read_directory_is_an_error(tmp_path):
    with pytest.raises(dc.DaemonConfigError, match="is a directory"):
        dc.read_config(str(tmp_path))


# dockerd --validate

def _fake_dockerd(tmp_path, body):
    script = tmp_path / "dockerd"
    script.write_text("#!/bin/sh\n" + body + "\n")
    script.chmod(0o755)
    return str(script)


def test_dockerd_without_validate(tmp_path):
    dockerd = _fake_dockerd(tmp_path, "echo 'Status: unknown flag: --validate' >&2\necho \"See 'dockerd --help'.,"
                                      " Code: 125\" >&2\nexit 1")
    validated, message = dc.validate_with_dockerd(dockerd, "{}\n", "/etc/docker/daemon.json")
    assert validated is False
    assert message.startswith(dockerd + " has no --validate (Docker Engine 23.0 and newer have it)")


def test_dockerd_accepts(tmp_path):
    dockerd = _fake_dockerd(tmp_path, 'test "$1" = --validate && test "$2" = --config-file && grep -q debug "$3" '
                                      '&& echo "configuration OK"')
    assert dc.validate_with_dockerd(dockerd, '{"debug": true}\n', "/etc/docker/daemon.json") == (
        True, "configuration OK")


def test_dockerd_refuses_and_the_message_names_the_real_path(tmp_path):
    dockerd = _fake_dockerd(tmp_path, 'echo "unable to configure the Docker daemon with file $3: the following\n'
                                      'directives don\'t match any configuration option: bogus" >&2; exit 1')
    with pytest.raises(dc.DaemonConfigError) as caught:
        dc.validate_with_dockerd(dockerd, '{"bogus": 1}\n', "/etc/docker/daemon.json")
    text = str(caught.value)
    assert text == ("%s --validate refused the new /etc/docker/daemon.json (nothing was written): unable to "
                    "configure the Docker daemon with file /etc/docker/daemon.json: the following directives don't "
                    "match any configuration option: bogus" % dockerd)


def test_dockerd_that_hangs_is_stopped(tmp_path):
    dockerd = _fake_dockerd(tmp_path, "exec sleep 30")
    with pytest.raises(dc.DaemonConfigError, match="did not finish within 1 seconds"):
        dc.validate_with_dockerd(dockerd, "{}\n", "/etc/docker/daemon.json", timeout=1)


@pytest.mark.skipif(not os.path.exists("/usr/sbin/dockerd"), reason="no dockerd installed")
def test_installed_dockerd_20_10_has_no_validate():
    validated, message = dc.validate_with_dockerd("/usr/sbin/dockerd", "{}\n", "/etc/docker/daemon.json")
    assert validated is False and "has no --validate" in message


def test_explicit_dockerd_path_must_exist(tmp_path):
    with pytest.raises(dc.DaemonConfigError, match="^dockerd_path: '.*/nope' is not an executable file$"):
        dc.find_dockerd(str(tmp_path / "nope"))


def test_dockerd_is_found_on_path_then_in_the_fallbacks(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", str(bin_dir))
    fallback = _fake_dockerd(tmp_path, "exit 0")
    monkeypatch.setattr(dc, "DOCKERD_FALLBACKS", (str(tmp_path / "missing"), fallback))
    assert dc.find_dockerd() == fallback
    on_path = _fake_dockerd(bin_dir, "exit 0")
    assert dc.find_dockerd() == on_path


def test_missing_dockerd_skips_the_check_and_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(dc, "DOCKERD_FALLBACKS", (str(tmp_path / "dockerd"),))
    result = dc.converge(_params(tmp_path / "daemon.json", settings={"debug": True}, validate=True))[0]
    assert result["changed"] is True and result["validated_by_dockerd"] is False
    assert result["dockerd_validation"] == "not run: no dockerd was found on PATH or as %s" % (tmp_path / "dockerd")


# The whole run

def _params(path, **extra):
    params = dict(path=str(path), settings={}, remove=[], log_driver=None, log_opts=None, allow_unknown_keys=False,
                  validate=False, dockerd_path=None, backup=False, force=False)
    params.update(extra)
    return params


def test_converge_sets_keeps_and_is_idempotent(tmp_path):
    path = tmp_path / "daemon.json"
    path.write_text('{"data-root": "/srv/docker",  "debug": false}')
    warnings = []
    params = _params(path, settings={"debug": True}, log_driver="local", log_opts={"max-file": 4})
    result, changes = dc.converge(params, warn=warnings.append)
    assert result["changed"] is True and result["restart_required"] is True
    assert result["changed_keys"] == ["debug", "log-driver", "log-opts"]
    assert json.loads(path.read_text()) == result["config"] == {
        "data-root": "/srv/docker", "debug": True, "log-driver": "local", "log-opts": {"max-file": "4"}}
    assert list(json.loads(path.read_text())) == ["data-root", "debug", "log-driver", "log-opts"]
    assert changes.before() == {"debug": False, "log-driver": None, "log-opts": None}
    assert len(warnings) == 1 and "log_opts.max-file" in warnings[0]
    assert result["dockerd_validation"] == "not run: validate=false"

    before = path.stat().st_mtime_ns
    result, changes = dc.converge(params)
    assert result["changed"] is False and result["changed_keys"] == [] and not changes
    assert result["dockerd_validation"] == "not run: the configuration is unchanged"
    assert path.stat().st_mtime_ns == before


def test_converge_in_check_mode_writes_nothing(tmp_path):
    path = tmp_path / "sub" / "daemon.json"
    result = dc.converge(_params(path, settings={"debug": True}), check_mode=True)[0]
    assert result["changed"] is True and result["config"] == {"debug": True}
    assert not path.parent.exists()


def test_converge_refuses_invalid_json_unless_forced(tmp_path):
    path = tmp_path / "daemon.json"
    path.write_bytes(b'{"debug": true,}')
    params = _params(path, settings={"debug": False}, backup=True)
    with pytest.raises(dc.DaemonConfigError) as caught:
        dc.converge(params)
    assert str(caught.value) == ("%s is not valid JSON (line 1, column 16: Expecting property name enclosed in "
                                 "double quotes); it was left as it is: fix it, or set force=true to replace it"
                                 % path)
    assert path.read_bytes() == b'{"debug": true,}'
    result, changes = dc.converge(dict(params, force=True))
    assert result["changed"] is True and json.loads(path.read_text()) == {"debug": False}
    assert open(result["backup_file"], "rb").read() == b'{"debug": true,}'
    assert "(unparseable file)" in changes.keys()


def test_converge_remove_and_set_the_same_key_is_refused(tmp_path):
    with pytest.raises(dc.DaemonConfigError, match="'debug' is both set \\(settings.debug\\) and listed in remove"):
        dc.converge(_params(tmp_path / "d.json", settings={"debug": True}, remove=["debug"]))


def test_converge_masks_logging_credentials(tmp_path):
    path = tmp_path / "daemon.json"
    result, changes = dc.converge(_params(path, log_driver="splunk",
                                          log_opts={"splunk-url": "https://s:8088", "splunk-token": "SECRET"}))
    assert result["config"]["log-opts"]["splunk-token"] == "********"
    assert changes.after()["log-opts"]["splunk-token"] == "********"
    assert json.loads(path.read_text())["log-opts"]["splunk-token"] == "SECRET"


def test_converge_missing_file_and_nothing_to_set_creates_nothing(tmp_path):
    path = tmp_path / "daemon.json"
    result = dc.converge(_params(path, remove=["debug"]))[0]
    assert result["changed"] is False and result["config"] == {}
    assert not path.exists()


# ---- plan_options: engine_info's preflight plan of the module ----

def test_plan_options_in_sync_only_when_nothing_would_change(tmp_path):
    path = tmp_path / "daemon.json"
    path.write_text(json.dumps({"log-driver": "local", "log-opts": {"max-size": "10m"}, "debug": True}))
    options = {"path": str(path), "log_driver": "local", "log_opts": {"max-size": "10m"}}
    assert dc.plan_options(options) == {"in_sync": True, "changed_keys": [], "error": None,
                                        "options_digest": data_digest(options)}
    changed = dc.plan_options(dict(options, settings={"debug": False}))
    assert changed["in_sync"] is False and changed["changed_keys"] == ["debug"]
    assert dc.plan_options(dict(options, remove=["debug"]))["changed_keys"] == ["debug"]


def test_plan_options_empty_logging_means_not_managed(tmp_path):
    path = tmp_path / "daemon.json"
    path.write_text(json.dumps({"log-driver": "local"}))
    assert dc.plan_options({"path": str(path), "log_driver": "", "log_opts": {}})["in_sync"] is True


def test_plan_options_is_not_in_sync_when_the_module_would_warn(tmp_path):
    path = tmp_path / "daemon.json"
    path.write_text(json.dumps({"log-driver": "local", "log-opts": {"max-file": "3"}}))
    # max-file given as a number: written as the string "3" (same data), but the module warns.
    plan = dc.plan_options({"path": str(path), "log_driver": "local", "log_opts": {"max-file": 3}})
    assert plan["in_sync"] is False and plan["changed_keys"] == []


def test_plan_options_reports_an_unparseable_file(tmp_path):
    path = tmp_path / "daemon.json"
    path.write_text("{not json")
    plan = dc.plan_options({"path": str(path), "log_driver": "local"})
    assert plan["in_sync"] is False and "not valid JSON" in plan["error"]
    forced = dc.plan_options({"path": str(path), "log_driver": "local", "force": True})
    assert forced["in_sync"] is False and forced["error"] is None and forced["changed_keys"] == ["log-driver"]


# ---- review findings (issue 12): each failed before its fix ----

AS_ROOT = os.geteuid() == 0


def test_converge_keeps_the_mode_and_owner_of_the_file(tmp_path):
    path = tmp_path / "daemon.json"
    path.write_text(json.dumps({"log-driver": "splunk", "log-opts": {"splunk-url": "https://s:8088",
                                                                     "splunk-token": "T0KEN"}}))
    os.chmod(str(path), 0o600)
    if AS_ROOT:
        os.chown(str(path), 1234, 5678)
    result = dc.converge(_params(path, settings={"debug": True}))[0]
    assert result["changed"] is True and json.loads(path.read_text())["debug"] is True
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    if AS_ROOT:
        assert (path.stat().st_uid, path.stat().st_gid) == (1234, 5678)


def test_converge_writes_through_a_symlink(tmp_path):
    real = tmp_path / "store" / "daemon.json"
    real.parent.mkdir()
    real.write_text("{}")
    os.chmod(str(real), 0o640)
    link = tmp_path / "daemon.json"
    link.symlink_to(real)
    result = dc.converge(_params(link, settings={"debug": True}, backup=True))[0]
    assert link.is_symlink() and json.loads(real.read_text()) == {"debug": True}
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert open(result["backup_file"]).read() == "{}"
    assert stat.S_IMODE(os.stat(result["backup_file"]).st_mode) == 0o640


def test_backups_made_within_one_second_are_unique_and_the_newest_five_are_kept(tmp_path):
    path = tmp_path / "daemon.json"
    path.write_text("{}")
    made = []
    for number in range(8):
        result = dc.converge(_params(path, settings={"max-concurrent-downloads": number + 1}, backup=True))[0]
        made.append(result["backup_file"])
    assert len(set(made)) == 8
    kept = sorted(name for name in os.listdir(str(tmp_path)) if name != "daemon.json")
    assert [os.path.join(str(tmp_path), name) for name in kept] == made[-5:]
    assert json.loads(open(made[-1]).read()) == {"max-concurrent-downloads": 7}


def test_backup_keep_is_honoured_and_zero_keeps_all(tmp_path):
    path = tmp_path / "daemon.json"
    path.write_text("{}")
    for number in range(4):
        dc.converge(_params(path, settings={"mtu": 1400 + number}, backup=True, backup_keep=2))
    assert len(os.listdir(str(tmp_path))) == 1 + 2
    for number in range(4):
        dc.converge(_params(path, settings={"mtu": 1300 + number}, backup=True, backup_keep=0))
    assert len(os.listdir(str(tmp_path))) == 1 + 2 + 4


@pytest.mark.parametrize("keep", [-1, True, "5", 2.5])
def test_bad_backup_keep_is_one_line_and_changes_nothing(tmp_path, keep):
    path = tmp_path / "daemon.json"
    path.write_text("{}")
    with pytest.raises(dc.DaemonConfigError, match="^backup_keep: .* is not a number of backups; give 1 or more"):
        dc.converge(_params(path, settings={"debug": True}, backup=True, backup_keep=keep))
    assert os.listdir(str(tmp_path)) == ["daemon.json"] and path.read_text() == "{}"


@pytest.mark.parametrize("value, where", [
    (float("nan"), "settings.x"),
    (float("inf"), "settings.x"),
    ({"gc": {"keep": float("-inf")}}, "settings.x.gc.keep"),
    ([1, float("nan")], "settings.x[1]"),
])
def test_nan_and_infinities_are_refused_naming_the_key(tmp_path, value, where):
    path = tmp_path / "daemon.json"
    with pytest.raises(dc.DaemonConfigError) as caught:
        dc.converge(_params(path, settings={"x": value}, allow_unknown_keys=True))
    assert str(caught.value).startswith(where + ": ")
    assert "NaN and infinities have no JSON form" in str(caught.value)
    assert not path.exists()


def test_render_refuses_nan_naming_the_key():
    with pytest.raises(dc.DaemonConfigError, match="^builder.gc.ratio: nan is not a number JSON can hold"):
        dc.render({"debug": True, "builder": {"gc": {"ratio": float("nan")}}})


@pytest.mark.parametrize("settings, message", [
    ({"metrics-addr": "127.0.0.1:" + "9" * 5000}, "settings.metrics-addr: '127.0.0.1:99999"),
    ({"hosts": ["tcp://0.0.0.0:" + "1" * 5000]}, "has an invalid port '1111"),
    ({"hosts": ["fd://\u00b2"]}, "is not fd:// or fd://<number>"),
    ({"max-concurrent-downloads": 10 ** 30}, "is beyond the 64-bit integers the engine reads"),
    ({"max-concurrent-downloads": 2 ** 63}, "is out of range; the engine reads integers from"),
    ({"shutdown-timeout": 2 ** 63}, "is out of range; the engine reads integers from"),
    ({"default-shm-size": 10 ** 5000}, "settings.default-shm-size: a integer too large to show is beyond"),
    ({"builder": {1: "x"}}, "settings.builder: 1 is not a usable key"),
    ({"x": {"deep": 10 ** 5000}}, "settings.x.deep: a integer too large to show is beyond the 64-bit"),
    ({"x": "\ud800"}, "settings.x: '\\ud800' is not valid text"),
    ({"x": {1: 2, "a": 3}}, "settings.x: 1 is not a usable key"),
    ({"x": b"bytes"}, "settings.x: b'bytes' is a bytes; it must be JSON data"),
])
def test_inputs_that_ended_in_a_traceback_or_were_wrongly_accepted(tmp_path, settings, message):
    path = tmp_path / "daemon.json"
    with pytest.raises(dc.DaemonConfigError) as caught:
        dc.converge(_params(path, settings=settings, allow_unknown_keys=True))
    text = str(caught.value)
    assert message in text and "\n" not in text and len(text) < 400, text
    assert not path.exists()


@pytest.mark.parametrize("params, message", [
    (dict(settings="debug"), "settings must be a dictionary of daemon.json keys to values, not a string"),
    (dict(settings=[["debug", True]]), "settings must be a dictionary of daemon.json keys to values, not a list"),
    (dict(path="daemon.json"), "path: 'daemon.json' is not an absolute path"),
    (dict(path="/tmp/a\x00b"), "path: '/tmp/a\\x00b' contains a NUL character"),
    (dict(path=5), "path must be the absolute path of the file, not an integer"),
])
def test_malformed_parameters_are_one_line(tmp_path, params, message):
    with pytest.raises(dc.DaemonConfigError) as caught:
        dc.converge(dict(_params(tmp_path / "daemon.json", settings={"debug": True}), **params))
    assert str(caught.value).startswith(message)


def test_a_deeply_nested_file_is_an_unusable_file(tmp_path):
    path = tmp_path / "daemon.json"
    path.write_text("[" * 100000 + "]" * 100000)
    assert dc.read_config(str(path)).error == "it is nested too deeply to read"


# Secrets never shown

TOKEN_A, TOKEN_B = "A-splunk-token-0123", "B-splunk-token-4567"
PROXY = "http://deploy:Pr0xy-Pa55@proxy.example.com:3128"


def test_differing_shortcut_and_key_do_not_show_the_tokens():
    with pytest.raises(dc.DaemonConfigError) as caught:
        dc.apply_shortcuts({"log-opts": {"splunk-token": TOKEN_A, "splunk-url": "https://s:8088"}}, None,
                           {"splunk-token": TOKEN_B, "splunk-url": "https://s:8088"})
    text = str(caught.value)
    assert text.startswith("log_opts and settings.log-opts are both given and differ")
    assert TOKEN_A not in text and TOKEN_B not in text and "'splunk-token': '********'" in text


def test_proxy_credentials_are_masked_in_result_and_diff(tmp_path):
    path = tmp_path / "daemon.json"
    path.write_text(json.dumps({"proxies": {"http-proxy": "http://deploy:0ld-Pa55@proxy.example.com:3128"}}))
    result, changes = dc.converge(_params(path, settings={"proxies": {"http-proxy": PROXY, "no-proxy": "localhost"}}))
    assert json.loads(path.read_text())["proxies"]["http-proxy"] == PROXY
    shown = json.dumps([result, changes.as_diff()])
    assert "Pr0xy-Pa55" not in shown and "0ld-Pa55" not in shown
    assert result["config"]["proxies"]["http-proxy"] == "http://deploy:********@proxy.example.com:3128"
    assert changes.after()["proxies"]["http-proxy"] == "http://deploy:********@proxy.example.com:3128 (changed)"
    assert changes.before()["proxies"] == {"http-proxy": "http://deploy:********@proxy.example.com:3128"}


def test_a_changed_token_alone_is_in_the_diff_as_a_change(tmp_path):
    path = tmp_path / "daemon.json"
    opts = {"splunk-url": "https://s:8088", "splunk-token": TOKEN_A}
    path.write_text(json.dumps({"log-driver": "splunk", "log-opts": opts}))
    result, changes = dc.converge(_params(path, log_driver="splunk", log_opts=dict(opts, **{"splunk-token": TOKEN_B})))
    assert result["changed_keys"] == ["log-opts"]
    assert changes.before()["log-opts"]["splunk-token"] == "********"
    assert changes.after()["log-opts"] == {"splunk-url": "https://s:8088", "splunk-token": "******** (changed)"}
    assert TOKEN_A not in json.dumps(changes.as_diff()) and TOKEN_B not in json.dumps(result)


@pytest.mark.parametrize("settings, secret", [
    ({"registry-mirrors": ["https://user:M1rror-Pa55@mirror.example.com"]}, "M1rror-Pa55"),
    ({"registry-mirrors": "https://user:M1rror-Pa55@mirror.example.com"}, "M1rror-Pa55"),
    ({"proxies": "http://u:Pr0xy-Pa55@proxy"}, "Pr0xy-Pa55"),
    ({"proxies": {"http-proxy": ["http://u:Pr0xy-Pa55@proxy"]}}, "Pr0xy-Pa55"),
    ({"log-driver": "splunk", "log-opts": {"splunk-token": ["S3cret-T0ken"], "splunk-url": "https://s"}},
     "S3cret-T0ken"),
    ({"log-driver": "syslog", "log-opts": {"syslog-address": "tcp://u:Sys-Pa55@h:99999"}}, "Sys-Pa55"),
    ({"log-driver": "gelf", "log-opts": {"gelf-address": "udp://u:G3lf-Pa55@h:12201"}}, "G3lf-Pa55"),
    ({"log-driver": "gelf", "log-opts": {"gelf-address": "udp://u:G3lf-Pa55@h"}}, "G3lf-Pa55"),
    ({"log-driver": "syslog", "log-opts": {"syslog-address": "tcp://h:\u00b2"}}, None),
    ({"log-driver": "syslog", "log-opts": {"syslog-address": "tcp://h:" + "5" * 5000}}, None),
])
def test_errors_do_not_show_secrets(tmp_path, settings, secret):
    with pytest.raises(InvalidValue) as caught:
        dc.converge(_params(tmp_path / "daemon.json", settings=settings))
    text = str(caught.value)
    assert "\n" not in text and len(text) < 400, text
    if secret:
        assert secret not in text and "********" in text, text


def test_warnings_do_not_show_secrets(tmp_path):
    warnings = []
    dc.converge(_params(tmp_path / "daemon.json", log_driver="splunk",
                        log_opts={"splunk-url": "https://s:8088", "splunk-token": 987654321}), warn=warnings.append)
    assert warnings and "987654321" not in json.dumps(warnings), warnings
    assert "log_opts.splunk-token: the int ******** was passed as the string ********" in warnings[0]


def test_masked_options_for_the_invocation():
    options = {"path": "/etc/docker/daemon.json", "log_driver": "splunk",
               "log_opts": {"splunk-token": TOKEN_A, "splunk-url": "https://s:8088", "tag": "x"},
               "settings": {"proxies": {"http-proxy": PROXY}, "log-opts": {"logentries-token": TOKEN_B},
                            "tlskey": "/etc/docker/key.pem", "x-api-key": "k3y"},
               "remove": ["debug"], "backup": True}
    shown = dc.masked_options(options)
    assert shown["log_opts"] == {"splunk-token": "********", "splunk-url": "https://s:8088", "tag": "x"}
    assert shown["settings"] == {"proxies": {"http-proxy": "http://deploy:********@proxy.example.com:3128"},
                                 "log-opts": {"logentries-token": "********"}, "tlskey": "/etc/docker/key.pem",
                                 "x-api-key": "********"}
    assert shown["remove"] == ["debug"] and shown["path"] == options["path"]
    assert options["log_opts"]["splunk-token"] == TOKEN_A, "the options themselves are not changed"
    for malformed in (None, "text", {"settings": "http://u:p@h", "log_opts": [1]}, {"settings": None}):
        dc.masked_options(malformed)


def test_dockerd_output_does_not_show_secrets(tmp_path):
    dockerd = _fake_dockerd(tmp_path, 'cat "$3" >&2; exit 1')
    path = tmp_path / "daemon.json"
    with pytest.raises(dc.DaemonConfigError) as caught:
        dc.converge(_params(path, validate=True, dockerd_path=dockerd, log_driver="splunk",
                            log_opts={"splunk-url": "https://s:8088", "splunk-token": TOKEN_A},
                            settings={"proxies": {"http-proxy": PROXY}}))
    text = str(caught.value)
    assert "refused the new" in text and TOKEN_A not in text and "Pr0xy-Pa55" not in text, text
    assert not path.exists()
