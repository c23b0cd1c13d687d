"""dockhand.docker.login against the real engine and the htpasswd registry, through ansible-playbook."""
import base64
import json
import os
import stat
import subprocess

import pytest

from ansible_runner import run_for_output, run_module
from registry_tools import push_local

pytestmark = pytest.mark.engine

MODULE = "dockhand.docker.login"
OTHER_KEYS = {
    "auths": {"registry.example.com": {"auth": base64.b64encode(b"someone:else").decode()}},
    "psFormat": "table {{.Names}}",
    "HttpHeaders": {"User-Agent": "dockhand-test"},
}


@pytest.fixture
def creds(registries):
    return dict(registry=registries["auth"], username=registries["username"], password=registries["password"])


@pytest.fixture
def config(tmp_path):
    """A config.json that already holds other settings and another registry's credentials."""
    path = tmp_path / "dockercfg" / "config.json"
    path.parent.mkdir()
    path.write_text(json.dumps(OTHER_KEYS, indent=2))
    return path


def login(creds, config_path, extra_args=(), env=None, **overrides):
    args = dict(registry_url=creds["registry"], username=creds["username"], password=creds["password"],
                config_path=str(config_path) if config_path else None)
    args.update(overrides)
    args = dict((key, value) for key, value in args.items() if value is not None)
    return run_module(MODULE, args, extra_args=extra_args, env=env)


def entry(config_path, key):
    return json.loads(config_path.read_text())["auths"].get(key)


def decoded(config_path, key):
    return base64.b64decode(entry(config_path, key)["auth"]).decode()


def assert_one_line_failure(run, result, msg):
    assert run.returncode != 0
    assert result.get("failed") is True, result
    assert result["msg"] == msg
    assert "Traceback" not in json.dumps(result)


def test_login_writes_a_usable_entry_and_keeps_the_rest(creds, config, test_image):
    run, result = login(creds, config)
    assert run.returncode == 0, run.stdout
    assert result["changed"] is True
    assert result["login_result"] == dict(registry=creds["registry"], config_key=creds["registry"],
                                          username=creds["username"], config_path=str(config))
    assert stat.S_IMODE(os.stat(config).st_mode) == 0o600
    assert decoded(config, creds["registry"]) == "%s:%s" % (creds["username"], creds["password"])
    data = json.loads(config.read_text())
    for key in ("psFormat", "HttpHeaders"):
        assert data[key] == OTHER_KEYS[key]
    assert data["auths"]["registry.example.com"] == OTHER_KEYS["auths"]["registry.example.com"]
    assert creds["password"] not in run.stdout + run.stderr
    assert os.listdir(config.parent) == ["config.json"], "no temporary file left behind"

    # The same credentials again: nothing to do, nothing contacted.
    before = config.read_bytes()
    run, result = login(creds, config)
    assert run.returncode == 0 and result["changed"] is False
    assert config.read_bytes() == before

    # The docker CLI can push with this file.
    target = "%s/dockhand-test/login-check:v1" % creds["registry"]
    try:
        digest = push_local(test_image, target, docker_config=str(config.parent))
    finally:
        subprocess.run(["docker", "rmi", target], capture_output=True, check=False)
    assert digest.startswith("sha256:")


def run_verbose(tmp_path, args, password, callback):
    """ansible-playbook -vvv with the given stdout callback; returns (returncode, stdout + stderr).

    The password comes from a variable, as it would from a vault (see run_for_output).
    """
    task = {MODULE: dict(args, password="{{ registry_password }}"), "name": "verbose login"}
    return run_for_output([task], tmp_path, {"registry_password": password}, ["-vvv"], callback)


def test_wrong_password_is_one_line_and_leaks_nowhere(creds, config, tmp_path):
    login(creds, config)
    before = config.read_bytes()
    wrong = "Wr0ng-" + creds["password"][::-1]
    expected = "%s rejected the credentials of user %s" % (creds["registry"], creds["username"])
    run, result = login(creds, config, password=wrong)
    assert_one_line_failure(run, result, expected)
    assert config.read_bytes() == before
    assert wrong not in json.dumps(result)
    leaked = [wrong, base64.b64encode(("%s:%s" % (creds["username"], wrong)).encode()).decode()]

    # -vvv shows module arguments and results: with the JSON callback and with the default one.
    args = dict(registry_url=creds["registry"], username=creds["username"], config_path=str(config))
    for callback in ("ansible.posix.json", "default"):
        returncode, output = run_verbose(tmp_path, args, wrong, callback)
        assert returncode != 0
        assert expected in output
        assert not [secret for secret in leaked if secret in output], callback
    assert config.read_bytes() == before


def test_changed_password_is_validated_and_replaced(creds, config):
    stale = dict(OTHER_KEYS, auths={creds["registry"]: {"auth": base64.b64encode(
        ("%s:stale-password" % creds["username"]).encode()).decode()}})
    config.write_text(json.dumps(stale))
    run, result = login(creds, config, extra_args=["--diff"])
    assert run.returncode == 0 and result["changed"] is True
    assert decoded(config, creds["registry"]) == "%s:%s" % (creds["username"], creds["password"])
    diff = result["diff"]
    assert diff["before"]["username"] == diff["after"]["username"] == creds["username"]
    assert diff["before"]["password"] != diff["after"]["password"]
    assert "stale-password" not in json.dumps(diff) and creds["password"] not in json.dumps(diff)


def test_reauthorize_contacts_the_registry(creds, config):
    # A stored entry whose password the registry no longer accepts.
    stale = {"auths": {creds["registry"]: {"auth": base64.b64encode(
        ("%s:expired-password" % creds["username"]).encode()).decode()}}}
    config.write_text(json.dumps(stale))
    before = config.read_bytes()
    run, result = login(creds, config, password="expired-password")
    assert run.returncode == 0 and result["changed"] is False, "matching entry: nothing contacted"
    run, result = login(creds, config, password="expired-password", reauthorize=True)
    assert_one_line_failure(run, result, "%s rejected the credentials of user %s" % (creds["registry"],
                                                                                     creds["username"]))
    assert config.read_bytes() == before
    # Right credentials, stored already, reauthorize: validated, file untouched.
    login(creds, config)
    before = config.read_bytes()
    run, result = login(creds, config, reauthorize=True)
    assert run.returncode == 0 and result["changed"] is False
    assert config.read_bytes() == before


def test_check_mode_writes_nothing(creds, tmp_path, config):
    fresh = tmp_path / "fresh" / "config.json"
    run, result = login(creds, fresh, extra_args=["--check", "--diff"])
    assert run.returncode == 0, run.stdout
    assert result["changed"] is True
    assert not fresh.parent.exists()
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["registry"] == creds["registry"]
    assert result["diff"]["after"]["username"] == creds["username"]
    assert creds["password"] not in json.dumps(result)

    before = config.read_bytes()
    run, result = login(creds, config, extra_args=["--check"])
    assert result["changed"] is True and config.read_bytes() == before
    run, result = login(creds, config, extra_args=["--check"], password="wrong-in-check-mode")
    assert result.get("failed") is True and "rejected the credentials" in result["msg"]


def test_new_file_and_directory_are_created_private(creds, tmp_path):
    path = tmp_path / "home" / ".docker" / "config.json"
    path.parent.parent.mkdir()
    run, result = login(creds, path)
    assert run.returncode == 0 and result["changed"] is True
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    assert json.loads(path.read_text()) == {"auths": {creds["registry"]: {"auth": base64.b64encode(
        ("%s:%s" % (creds["username"], creds["password"])).encode()).decode()}}}


def test_default_path_honours_docker_config(creds, tmp_path):
    directory = tmp_path / "from-env"
    run, result = login(creds, None, env={"DOCKER_CONFIG": str(directory)})
    assert run.returncode == 0, run.stdout
    assert result["login_result"]["config_path"] == str(directory / "config.json")
    assert decoded(directory / "config.json", creds["registry"]).startswith(creds["username"] + ":")


def test_absent_removes_the_entry(creds, config):
    login(creds, config)
    data = json.loads(config.read_text())
    data["auths"]["http://%s" % creds["registry"]] = {"auth": "b2xkOnNwZWxsaW5n"}
    config.write_text(json.dumps(data))
    args = dict(registry_url=creds["registry"], state="absent", config_path=str(config))
    run, result = run_module(MODULE, args, extra_args=["--check", "--diff"])
    assert result["changed"] is True and entry(config, creds["registry"]) is not None
    assert result["diff"]["before"]["username"] == creds["username"] and result["diff"]["after"] == {}

    run, result = run_module(MODULE, args)
    assert run.returncode == 0 and result["changed"] is True
    assert result["login_result"]["username"] == creds["username"]
    data = json.loads(config.read_text())
    assert set(data["auths"]) == {"registry.example.com"}, "every spelling of the registry is removed"
    assert data["psFormat"] == OTHER_KEYS["psFormat"]
    assert stat.S_IMODE(os.stat(config).st_mode) == 0o600

    before = config.read_bytes()
    run, result = run_module(MODULE, args)
    assert run.returncode == 0 and result["changed"] is False
    assert result["login_result"]["username"] is None
    assert config.read_bytes() == before


def test_absent_without_a_file_creates_nothing(tmp_path):
    path = tmp_path / "none" / "config.json"
    run, result = run_module(MODULE, dict(registry_url="127.0.0.1:5001", state="absent", config_path=str(path)))
    assert run.returncode == 0 and result["changed"] is False
    assert not path.parent.exists()


def test_unreachable_registry(creds, config):
    before = config.read_bytes()
    run, result = login(creds, config, registry_url="127.0.0.1:5999")
    assert run.returncode != 0
    assert result["msg"].startswith("cannot reach registry 127.0.0.1:5999 (from the Docker engine at ")
    assert result["msg"].endswith("connection refused")
    assert config.read_bytes() == before


def test_broken_config_is_one_line(creds, config):
    config.write_text("{not json")
    run, result = login(creds, config)
    assert result.get("failed") is True
    assert result["msg"].startswith("the docker client config %s is not valid JSON" % config)
    assert config.read_text() == "{not json"


def test_credential_helper_is_warned_about(creds, config):
    config.write_text(json.dumps({"credsStore": "pass", "auths": {}}))
    run, result = login(creds, config)
    assert run.returncode == 0 and result["changed"] is True
    assert any('credential helper "pass"' in warning for warning in result.get("warnings", [])), result
    assert json.loads(config.read_text())["credsStore"] == "pass"


def test_present_needs_username_and_password(config):
    run, result = run_module(MODULE, dict(registry_url="127.0.0.1:5001", username="x", config_path=str(config)))
    assert result.get("failed") is True and "password" in result["msg"]


def test_symlinked_config_is_updated_in_place(creds, config, tmp_path):
    link = tmp_path / "link.json"
    link.symlink_to(config)
    run, result = login(creds, link)
    assert run.returncode == 0 and result["changed"] is True
    assert link.is_symlink()
    assert decoded(config, creds["registry"]).startswith(creds["username"] + ":")


def test_docker_cli_sees_the_login(creds, config):
    """`docker login` itself agrees: with the entry in place it logs in without asking."""
    login(creds, config)
    env = dict(os.environ, DOCKER_CONFIG=str(config.parent))
    proc = subprocess.run(["docker", "login", creds["registry"]], capture_output=True, text=True, env=env,
                          stdin=subprocess.DEVNULL, check=False, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "Login Succeeded" in proc.stdout


def test_owner_is_kept_and_a_new_file_belongs_to_the_home_owner(creds, config, tmp_path):
    os.chown(str(config), 1234, 5678)
    os.chmod(str(config), 0o640)
    run, result = login(creds, config)
    assert run.returncode == 0 and result["changed"] is True, result
    assert (os.stat(config).st_uid, os.stat(config).st_gid) == (1234, 5678)
    assert stat.S_IMODE(os.stat(config).st_mode) == 0o600, "a file with credentials is not readable by others"

    home = tmp_path / "home" / "ci"
    home.mkdir(parents=True)
    os.chown(str(home), 2345, 6789)
    path = home / ".docker" / "config.json"
    run, result = login(creds, path)
    assert run.returncode == 0 and result["changed"] is True, result
    for made in (path, path.parent):
        assert (os.stat(made).st_uid, os.stat(made).st_gid) == (2345, 6789)
