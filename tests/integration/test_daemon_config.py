"""dockhand.docker.daemon_config through ansible-playbook, on daemon.json files in temporary directories.

Never the engine's own /etc/docker/daemon.json: every test passes a path under tmp_path.
"""
import json
import os
import stat

import pytest

from ansible_runner import run_for_output, run_module, run_playbook

MODULE = "dockhand.docker.daemon_config"
EXISTING = {"data-root": "/srv/docker", "debug": False, "registry-mirrors": ["https://mirror.example.com"]}


@pytest.fixture
def daemon_json(tmp_path):
    """A daemon.json that already holds keys this test does not manage, laid out unlike the module would."""
    path = tmp_path / "docker" / "daemon.json"
    path.parent.mkdir()
    path.write_text(json.dumps(EXISTING))
    return path


def configure(path, extra_args=(), env=None, **args):
    return run_module(MODULE, dict(args, path=str(path)), extra_args=extra_args, env=env)


def assert_one_line_failure(run, result, message):
    assert run.returncode != 0, result
    assert result.get("failed") is True, result
    assert message in result["msg"], result["msg"]
    assert "\n" not in result["msg"]
    assert "Traceback" not in json.dumps(result), result


def test_sets_logging_keeps_other_keys_and_is_idempotent(daemon_json):
    run, result = configure(daemon_json, log_driver="json-file", log_opts={"max-size": "10m", "max-file": "3"})
    assert run.returncode == 0, run.stdout[-3000:]
    assert result["changed"] is True and result["restart_required"] is True
    assert result["changed_keys"] == ["log-driver", "log-opts"]
    written = json.loads(daemon_json.read_text())
    assert written == dict(EXISTING, **{"log-driver": "json-file", "log-opts": {"max-size": "10m", "max-file": "3"}})
    assert list(written) == ["data-root", "debug", "registry-mirrors", "log-driver", "log-opts"]
    assert result["config"] == written and result["path"] == str(daemon_json)
    assert daemon_json.read_text().endswith("}\n") and '\n  "debug": false,\n' in daemon_json.read_text()
    assert stat.S_IMODE(daemon_json.stat().st_mode) == 0o644
    assert (daemon_json.stat().st_uid, daemon_json.stat().st_gid) == (0, 0)
    assert sorted(os.listdir(str(daemon_json.parent))) == ["daemon.json"]

    content, mtime = daemon_json.read_bytes(), daemon_json.stat().st_mtime_ns
    run, result = configure(daemon_json, log_driver="json-file", log_opts={"max-file": "3", "max-size": "10m"})
    assert run.returncode == 0 and result["changed"] is False and result["restart_required"] is False
    assert result["changed_keys"] == []
    assert daemon_json.read_bytes() == content and daemon_json.stat().st_mtime_ns == mtime


def test_same_data_in_another_layout_is_not_rewritten(daemon_json):
    daemon_json.write_text('{"debug":false,\n\n "registry-mirrors":["https://mirror.example.com"],'
                           '"data-root":"/srv/docker"}')
    content, mtime = daemon_json.read_bytes(), daemon_json.stat().st_mtime_ns
    run, result = configure(daemon_json, settings={"debug": False, "data-root": "/srv/docker"})
    assert run.returncode == 0 and result["changed"] is False, result
    assert daemon_json.read_bytes() == content and daemon_json.stat().st_mtime_ns == mtime


def test_remove_a_key(daemon_json):
    run, result = configure(daemon_json, remove=["debug", "not-there"])
    assert run.returncode == 0 and result["changed"] is True and result["changed_keys"] == ["debug"]
    assert json.loads(daemon_json.read_text()) == {"data-root": "/srv/docker",
                                                   "registry-mirrors": ["https://mirror.example.com"]}
    run, result = configure(daemon_json, remove=["debug"])
    assert result["changed"] is False


def test_backup_keeps_the_old_content(daemon_json):
    old = daemon_json.read_bytes()
    run, result = configure(daemon_json, settings={"live-restore": True}, backup=True)
    assert run.returncode == 0 and result["changed"] is True
    backup = result["backup_file"]
    assert os.path.dirname(backup) == str(daemon_json.parent) and backup.startswith(str(daemon_json) + ".")
    assert open(backup, "rb").read() == old
    run, result = configure(daemon_json, settings={"live-restore": True}, backup=True)
    assert result["changed"] is False and "backup_file" not in result
    assert len(os.listdir(str(daemon_json.parent))) == 2


def test_check_mode_writes_nothing(daemon_json, tmp_path):
    old, mtime = daemon_json.read_bytes(), daemon_json.stat().st_mtime_ns
    run, result = configure(daemon_json, extra_args=["--check"], settings={"live-restore": True}, remove=["debug"],
                            backup=True)
    assert run.returncode == 0 and result["changed"] is True
    assert result["changed_keys"] == ["debug", "live-restore"]
    assert result["config"] == {"data-root": "/srv/docker", "registry-mirrors": ["https://mirror.example.com"],
                                "live-restore": True}
    assert "backup_file" not in result
    assert daemon_json.read_bytes() == old and daemon_json.stat().st_mtime_ns == mtime
    assert os.listdir(str(daemon_json.parent)) == ["daemon.json"]

    missing = tmp_path / "new" / "daemon.json"
    run, result = configure(missing, extra_args=["--check"], settings={"debug": True})
    assert run.returncode == 0 and result["changed"] is True
    assert not missing.parent.exists()


def test_diff_shows_only_the_changed_keys(daemon_json):
    run, result = configure(daemon_json, extra_args=["--diff"], settings={"debug": True, "data-root": "/srv/docker"},
                            log_driver="local")
    assert run.returncode == 0
    diff = result["diff"][0] if isinstance(result["diff"], list) else result["diff"]
    assert diff["before"] == {"debug": False, "log-driver": None}
    assert diff["after"] == {"debug": True, "log-driver": "local"}
    assert diff["before_header"] == "%s (current)" % daemon_json


def test_creates_the_file_and_its_directory(tmp_path):
    path = tmp_path / "etc" / "docker" / "daemon.json"
    run, result = configure(path, settings={"default-address-pools": [{"base": "10.200.0.0/16", "size": 24}]})
    assert run.returncode == 0 and result["changed"] is True, result
    assert json.loads(path.read_text()) == {"default-address-pools": [{"base": "10.200.0.0/16", "size": 24}]}
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o755


BAD_INPUT = [
    (dict(log_driver="jsonfile"), "log_driver: 'jsonfile' is not a logging driver this engine knows"),
    (dict(log_driver="json-file", log_opts={"max-szie": "10m"}),
     "log_opts: unknown option 'max-szie' for the json-file logging driver; it accepts:"),
    (dict(log_opts={"max-file": 0}), "log_opts.max-file: '0' is out of range; use a positive integer"),
    (dict(log_driver="syslog", log_opts={"syslog-address": "syslog.example.com:514"}),
     "log_opts.syslog-address: 'syslog.example.com:514' is not a syslog address"),
    (dict(log_driver="gelf", log_opts={"tag": "app"}), "log_opts: the gelf logging driver needs the 'gelf-address'"),
    (dict(log_driver="gelf", remove=["log-opts"]), "log_opts: the gelf logging driver needs the 'gelf-address'"),
    (dict(log_driver="syslog"), "log-opts (kept from %(path)s): unknown option 'max-size' for the syslog logging"),
    (dict(settings={"live-restore": "yes"}),
     "settings.live-restore: 'yes' is a string; it must be a boolean (true or false)"),
    (dict(settings={"max-concurrent-downloads": 0}),
     "settings.max-concurrent-downloads: 0 is out of range; it must be a positive integer"),
    (dict(settings={"hosts": "tcp://0.0.0.0:2375"}), "settings.hosts: 'tcp://0.0.0.0:2375' is a string; it must be "
                                                     "a list of strings"),
    (dict(settings={"registry-mirror": ["https://m.example.com"]}),
     "settings: 'registry-mirror' is not a daemon.json key the engine documents; did you mean 'registry-mirrors'?"),
    (dict(settings={"log-driver": "local"}, log_driver="json-file"),
     "log_driver and settings.log-driver are both given and differ"),
    (dict(settings={"debug": True}, remove=["debug"]), "'debug' is both set (settings.debug) and listed in remove"),
]


@pytest.mark.parametrize("args,message", BAD_INPUT)
def test_bad_input_is_one_line_and_changes_nothing(daemon_json, args, message):
    daemon_json.write_text(json.dumps(dict(EXISTING, **{"log-opts": {"max-size": "10m"}})))
    old, mtime = daemon_json.read_bytes(), daemon_json.stat().st_mtime_ns
    run, result = configure(daemon_json, **args)
    assert_one_line_failure(run, result, message % {"path": daemon_json})
    assert daemon_json.read_bytes() == old and daemon_json.stat().st_mtime_ns == mtime
    assert os.listdir(str(daemon_json.parent)) == ["daemon.json"]


@pytest.mark.parametrize("content,position", [
    (b'{\n  "debug": true,\n}\n', "line 3, column 1: Expecting property name enclosed in double quotes"),
    (b'{"debug": true} trailing', "line 1, column 17: Extra data"),
    (b'["debug"]', "it holds a JSON list, not an object"),
])
def test_unparseable_file_is_refused_unless_forced(daemon_json, content, position):
    daemon_json.write_bytes(content)
    run, result = configure(daemon_json, settings={"debug": False}, backup=True)
    assert_one_line_failure(run, result, "%s is not valid JSON (%s); it was left as it is: fix it, or set "
                                         "force=true to replace it" % (daemon_json, position))
    assert daemon_json.read_bytes() == content
    assert os.listdir(str(daemon_json.parent)) == ["daemon.json"]

    run, result = configure(daemon_json, settings={"debug": False}, backup=True, force=True)
    assert run.returncode == 0 and result["changed"] is True, result
    assert json.loads(daemon_json.read_text()) == {"debug": False}
    assert open(result["backup_file"], "rb").read() == content


def test_empty_file_counts_as_empty_configuration(daemon_json):
    daemon_json.write_text("")
    run, result = configure(daemon_json, settings={"debug": True})
    assert run.returncode == 0 and result["changed_keys"] == ["debug"]
    assert json.loads(daemon_json.read_text()) == {"debug": True}


def test_non_string_log_options_are_converted_with_a_warning(daemon_json):
    run, result = configure(daemon_json, log_driver="local", log_opts={"max-file": 5, "compress": False})
    assert run.returncode == 0, result
    assert json.loads(daemon_json.read_text())["log-opts"] == {"max-file": "5", "compress": "false"}
    warnings = result.get("warnings", [])
    assert any("log_opts.max-file" in warning and "'5'" in warning for warning in warnings), result
    assert any("log_opts.compress" in warning and "'false'" in warning for warning in warnings), result
    run, result = configure(daemon_json, log_driver="local", log_opts={"max-file": 5, "compress": False})
    assert result["changed"] is False


@pytest.mark.skipif(not os.path.exists("/usr/sbin/dockerd"), reason="no dockerd installed")
def test_dockerd_20_10_has_no_validate_and_the_result_says_so(daemon_json):
    run, result = configure(daemon_json, settings={"debug": True}, dockerd_path="/usr/sbin/dockerd")
    assert run.returncode == 0 and result["changed"] is True, result
    assert result["validated_by_dockerd"] is False
    assert result["dockerd_validation"].startswith("/usr/sbin/dockerd has no --validate (Docker Engine 23.0")


def test_validate_false_skips_dockerd(daemon_json):
    run, result = configure(daemon_json, settings={"debug": True}, validate=False)
    assert run.returncode == 0 and result["changed"] is True
    assert result["validated_by_dockerd"] is False and result["dockerd_validation"] == "not run: validate=false"


def _fake_dockerd(tmp_path, body):
    """A dockerd that has --validate, as Docker Engine 23.0 and newer do."""
    script = tmp_path / "fake-dockerd"
    script.write_text("#!/bin/sh\n" + body + "\n")
    script.chmod(0o755)
    return str(script)


def test_newer_dockerd_validates_the_candidate(daemon_json, tmp_path):
    dockerd = _fake_dockerd(tmp_path, 'grep -q \'"live-restore": true\' "$3" && echo "configuration OK"')
    run, result = configure(daemon_json, settings={"live-restore": True}, dockerd_path=dockerd)
    assert run.returncode == 0, result
    assert result["validated_by_dockerd"] is True and result["dockerd_validation"] == "configuration OK"


def test_newer_dockerd_refusal_is_one_line_and_changes_nothing(daemon_json, tmp_path):
    dockerd = _fake_dockerd(tmp_path, 'echo "unable to configure the Docker daemon with file $3: the following '
                                      'directives are specified both as a flag and in the configuration file: hosts"'
                                      ' >&2; exit 1')
    old = daemon_json.read_bytes()
    run, result = configure(daemon_json, settings={"hosts": ["unix:///var/run/docker.sock"]}, dockerd_path=dockerd,
                            extra_args=["--check"])
    assert_one_line_failure(run, result, "--validate refused the new %s (nothing was written): unable to configure "
                                         "the Docker daemon with file %s: the following directives are specified "
                                         "both as a flag" % (daemon_json, daemon_json))
    assert daemon_json.read_bytes() == old


def test_runs_without_the_docker_sdk(daemon_json):
    """Editing a file needs no Docker SDK: Debian's python3 (which has none here) runs the module."""
    if not os.path.exists("/usr/bin/python3"):
        pytest.skip("no system python3")
    run, result = configure(daemon_json, settings={"debug": True},
                            env={"ANSIBLE_PYTHON_INTERPRETER": "/usr/bin/python3"})
    assert run.returncode == 0, result
    assert result["changed"] is True and json.loads(daemon_json.read_text())["debug"] is True


def test_connection_options_are_accepted_and_ignored(daemon_json):
    run = run_playbook([{"name": "daemon.json", MODULE: {"path": str(daemon_json), "settings": {"debug": True},
                                                         "docker_host": "tcp://192.0.2.1:2375", "timeout": 1}}])
    result = run.result()
    assert run.returncode == 0 and result["changed"] is True, result


# ---- review findings (issue 12) ----

def test_an_existing_file_keeps_its_mode_and_owner(daemon_json):
    os.chmod(str(daemon_json), 0o600)
    os.chown(str(daemon_json), 1234, 5678)
    run, result = configure(daemon_json, settings={"debug": True})
    assert run.returncode == 0 and result["changed"] is True, result
    assert json.loads(daemon_json.read_text())["debug"] is True
    assert stat.S_IMODE(daemon_json.stat().st_mode) == 0o600
    assert (daemon_json.stat().st_uid, daemon_json.stat().st_gid) == (1234, 5678)


def test_a_symlinked_file_stays_a_link(daemon_json, tmp_path):
    link = tmp_path / "daemon-link.json"
    link.symlink_to(daemon_json)
    os.chmod(str(daemon_json), 0o640)
    run, result = configure(link, settings={"debug": True}, backup=True)
    assert run.returncode == 0 and result["changed"] is True, result
    assert link.is_symlink() and json.loads(daemon_json.read_text())["debug"] is True
    assert stat.S_IMODE(daemon_json.stat().st_mode) == 0o640
    assert json.loads(open(result["backup_file"]).read()) == EXISTING


def test_backups_are_unique_and_only_the_newest_are_kept(daemon_json):
    made = []
    for number in range(7):
        run, result = configure(daemon_json, settings={"max-concurrent-downloads": number + 1}, backup=True)
        assert run.returncode == 0, result
        made.append(result["backup_file"])
    assert len(set(made)) == 7
    assert sorted(os.listdir(str(daemon_json.parent))) == sorted(["daemon.json"] + [os.path.basename(name)
                                                                                    for name in made[-5:]])
    run, result = configure(daemon_json, settings={"max-concurrent-downloads": 10}, backup=True, backup_keep=2)
    assert len(os.listdir(str(daemon_json.parent))) == 1 + 2
    run, result = configure(daemon_json, settings={"max-concurrent-downloads": 11}, backup=True, backup_keep=-1)
    assert_one_line_failure(run, result, "backup_keep: -1 is not a number of backups")
    assert json.loads(daemon_json.read_text())["max-concurrent-downloads"] == 10


def test_nan_from_a_template_is_refused(daemon_json):
    old = daemon_json.read_bytes()
    run, result = configure(daemon_json, settings={"x-ratio": "{{ 'nan' | float }}"}, allow_unknown_keys=True)
    assert_one_line_failure(run, result, "settings.x-ratio: nan is not a number JSON can hold")
    assert daemon_json.read_bytes() == old


SPLUNK_TOKEN = "9d2b-splunk-token-4f1e"
OTHER_TOKEN = "0c4a-other-token-77aa"
PROXY_PASSWORD = "Pr0xy-Pa55w0rd"


@pytest.mark.parametrize("callback", ["default", "ansible.posix.json"])
def test_secrets_are_shown_nowhere_even_at_vvv(daemon_json, tmp_path, callback):
    variables = {"splunk_token": SPLUNK_TOKEN, "other_token": OTHER_TOKEN, "proxy_password": PROXY_PASSWORD}
    proxy = "http://deploy:{{ proxy_password }}@proxy.example.com:3128"
    splunk = {"splunk-url": "https://splunk.example.com:8088", "splunk-token": "{{ splunk_token }}"}
    tasks = [
        {"name": "set secrets", MODULE: {"path": str(daemon_json), "log_driver": "splunk", "log_opts": splunk,
                                         "settings": {"proxies": {"http-proxy": proxy}}, "validate": False}},
        {"name": "set them again", MODULE: {"path": str(daemon_json), "log_driver": "splunk", "log_opts": splunk,
                                            "settings": {"proxies": {"http-proxy": proxy}}, "validate": False}},
        {"name": "change the token", MODULE: {"path": str(daemon_json), "log_driver": "splunk", "validate": False,
                                              "log_opts": dict(splunk, **{"splunk-token": "{{ other_token }}"})}},
        {"name": "differing shortcut and key", "ignore_errors": True,
         MODULE: {"path": str(daemon_json), "log_opts": splunk,
                  "settings": {"log-opts": dict(splunk, **{"splunk-token": "{{ other_token }}"})}}},
        {"name": "a mirror with credentials", "ignore_errors": True,
         MODULE: {"path": str(daemon_json),
                  "settings": {"registry-mirrors": ["https://deploy:{{ proxy_password }}@mirror.example.com"]}}},
    ]
    returncode, output = run_for_output(tasks, tmp_path, variables, ["-vvv", "--diff"], callback)
    assert returncode == 0, output[-3000:]
    assert "both given and differ" in output and "contains credentials" in output, output[-3000:]
    assert "********" in output and "(changed)" in output
    for secret in (SPLUNK_TOKEN, OTHER_TOKEN, PROXY_PASSWORD):
        assert secret not in output, secret
    written = json.loads(daemon_json.read_text())
    assert written["log-opts"]["splunk-token"] == OTHER_TOKEN
    assert written["proxies"]["http-proxy"] == "http://deploy:%s@proxy.example.com:3128" % PROXY_PASSWORD
