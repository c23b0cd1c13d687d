"""module_utils/credentials.py: config.json auths and the credential-helper protocol, with fake helpers.

Each fake helper is a real executable `docker-credential-<name>` on PATH that records what it
was given on stdin, so the protocol (argument `get`, the server on stdin, JSON on stdout, exit
status and message when it holds nothing) is exercised as the docker CLI exercises it.
"""
import json
import os
import stat

import pytest

from ansible_collections.dockhand.docker.plugins.module_utils import credentials as creds
from ansible_collections.dockhand.docker.plugins.module_utils.registry import RegistryError

SECRET = "helper-s3cret-value"


@pytest.fixture
def helpers(tmp_path, monkeypatch):
    """make(name, script body) puts docker-credential-<name> on PATH; asked(name) is what it got on stdin."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", "%s%s%s" % (bin_dir, os.pathsep, os.environ.get("PATH", "")))
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "cfg"))
    (tmp_path / "cfg").mkdir()

    class Helpers(object):
        config_path = str(tmp_path / "cfg" / "config.json")

        @staticmethod
        def make(name, body):
            path = bin_dir / ("docker-credential-" + name)
            path.write_text('#!/bin/sh\n[ "$1" = get ] || exit 3\ncat > "%s.stdin"\n%s\n' % (path, body))
            path.chmod(path.stat().st_mode | stat.S_IXUSR)

        @staticmethod
        def asked(name):
            return (bin_dir / ("docker-credential-%s.stdin" % name)).read_text()

        @staticmethod
        def config(data):
            (tmp_path / "cfg" / "config.json").write_text(json.dumps(data))
    return Helpers


def answer(username, secret=SECRET, server="172.30.77.1:5001"):
    return "echo '%s'" % json.dumps({"ServerURL": server, "Username": username, "Secret": secret})


def test_cred_helpers_entry_is_run_with_the_registry_on_stdin(helpers):
    helpers.make("lab", answer("dockhand"))
    helpers.config({"credHelpers": {"172.30.77.1:5001": "lab"},
                    "auths": {"172.30.77.1:5001": {"auth": "aWdub3JlZDppZ25vcmVk"}}})
    found = creds.registry_credentials("172.30.77.1:5001")
    assert (found.username, found.password, found.identitytoken) == ("dockhand", SECRET, None)
    assert found.source == "credential helper docker-credential-lab"
    assert helpers.asked("lab") == "172.30.77.1:5001"
    assert found.auth_config() == {"username": "dockhand", "password": SECRET, "serveraddress": "172.30.77.1:5001"}
    assert SECRET not in repr(found)


def test_creds_store_serves_every_other_registry_and_docker_hub_by_its_url(helpers):
    helpers.make("store", answer("hubuser", server="https://index.docker.io/v1/"))
    helpers.config({"credsStore": "store", "credHelpers": {"other:5000": "nothere"}})
    found = creds.registry_credentials("docker.io")
    assert found.username == "hubuser"
    assert helpers.asked("store") == "https://index.docker.io/v1/"
    assert found.auth_config()["serveraddress"] == "https://index.docker.io/v1/"


def test_identity_token(helpers):
    helpers.make("tok", answer("<token>", "refresh-token-value"))
    helpers.config({"credsStore": "tok"})
    found = creds.registry_credentials("registry.example.com")
    assert found.identitytoken == "refresh-token-value" and found.username is None
    assert found.auth_config() == {"identitytoken": "refresh-token-value", "serveraddress": "registry.example.com"}
    assert found.who() == "an identity token"


def test_helper_without_an_entry_gives_way_to_the_auths_entry(helpers):
    """As the Docker SDK resolves them for the push (the CLI would go anonymous)."""
    helpers.make("empty", "echo 'credentials not found in native keychain'; exit 1")
    helpers.config({"credsStore": "empty", "auths": {"172.30.77.1:5001": {"auth": "dXNlcjpwdw=="}}})
    found = creds.registry_credentials("172.30.77.1:5001")
    assert (found.username, found.password, found.source) == ("user", "pw", helpers.config_path)
    assert helpers.asked("empty") == "172.30.77.1:5001"
    assert creds.registry_credentials("elsewhere:5000") is None


def test_failing_helper_is_one_line_naming_helper_and_registry(helpers):
    helpers.make("broken", "echo 'gpg: decryption failed: No secret key' >&2; exit 1")
    helpers.config({"credHelpers": {"172.30.77.1:5001": "broken"}})
    with pytest.raises(RegistryError) as info:
        creds.registry_credentials("172.30.77.1:5001")
    assert info.value.msg == ("credential helper docker-credential-broken failed for registry 172.30.77.1:5001 "
                              "(exit 1): gpg: decryption failed: No secret key")
    assert info.value.kind == "config"


def test_an_answer_that_is_not_json_is_not_quoted(helpers):
    helpers.make("chatty", "echo 'user=dockhand password=%s'" % SECRET)
    helpers.config({"credsStore": "chatty"})
    with pytest.raises(RegistryError) as info:
        creds.registry_credentials("172.30.77.1:5001")
    assert "docker-credential-chatty" in info.value.msg and "172.30.77.1:5001" in info.value.msg
    assert SECRET not in info.value.msg


def test_missing_helper(helpers):
    helpers.config({"credHelpers": {"172.30.77.1:5001": "absent"}})
    with pytest.raises(RegistryError) as info:
        creds.registry_credentials("172.30.77.1:5001")
    assert info.value.msg == ("credential helper docker-credential-absent for registry 172.30.77.1:5001 cannot run: "
                              "it is not installed on this host (not found on PATH)")


def test_helper_name_with_a_path_is_refused(helpers):
    helpers.config({"credsStore": "../../bin/sh"})
    with pytest.raises(RegistryError) as info:
        creds.registry_credentials("172.30.77.1:5001")
    assert "not a helper name" in info.value.msg


def test_slow_helper_times_out(helpers):
    helpers.make("slow", "sleep 5")
    with pytest.raises(RegistryError) as info:
        creds.run_helper("slow", "172.30.77.1:5001", timeout=0.3)
    assert info.value.msg == "credential helper docker-credential-slow did not answer for registry 172.30.77.1:5001 " \
                             "within 0.3 s"


def test_auths_entries_without_a_helper(helpers):
    helpers.config({"auths": {"http://172.30.77.1:5001": {"auth": "ZG9ja2hhbmQ6cHc="},
                              "tok.example": {"identitytoken": "idt"}}})
    found = creds.registry_credentials("172.30.77.1:5001")
    assert (found.username, found.password, found.source) == ("dockhand", "pw", helpers.config_path)
    assert creds.registry_credentials("tok.example").identitytoken == "idt"
    assert creds.registry_credentials("elsewhere:5000") is None


@pytest.mark.parametrize("returncode, stdout, expected", [
    (0, b'{"ServerURL": "r", "Username": "", "Secret": ""}', None),
    (0, b'{"ServerURL": "r", "Username": "<token>", "Secret": ""}', None),
    (1, b"credentials not found in native keychain\n", None),
])
def test_helper_answers_that_mean_nothing_stored(returncode, stdout, expected):
    assert creds.helper_answer("x", "r", returncode, stdout, b"") is expected


@pytest.mark.parametrize("stdout", [b"[]", b'{"Username": 5, "Secret": "s"}', b""])
def test_helper_answers_of_the_wrong_shape(stdout):
    with pytest.raises(RegistryError) as info:
        creds.helper_answer("x", "r", 0, stdout, b"")
    assert "did not answer for registry r with JSON" in info.value.msg
