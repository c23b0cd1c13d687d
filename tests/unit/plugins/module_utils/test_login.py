"""login: merging credentials into the docker client's config.json, from realistic files."""
import base64
import copy
import json
import os

import pytest

from ansible_collections.dockhand.docker.plugins.module_utils import login
from ansible_collections.dockhand.docker.plugins.module_utils.errors import DockerError, InvalidValue

REGISTRY = "registry.example.com:5000"
PASSWORD = "s3cr3t-Passw0rd"


def auth(user, password):
    return base64.b64encode(("%s:%s" % (user, password)).encode()).decode()


# A config.json as `docker login` and a user's settings leave it.
REALISTIC = {
    "auths": {
        "other.example.com": {"auth": auth("someone", "else")},
        "https://index.docker.io/v1/": {"auth": auth("hubuser", "hubtoken")},
    },
    "psFormat": "table {{.Names}}\t{{.Status}}",
    "HttpHeaders": {"User-Agent": "Docker-Client/20.10"},
    "currentContext": "default",
}


def merge(config, registry=REGISTRY, username="deploy", password=PASSWORD, state="present"):
    original = copy.deepcopy(config)
    change = login.merge_login(config, registry, username, password, state, "/root/.docker/config.json")
    assert config == original, "the config given is not changed"
    return change


def test_login_adds_the_entry_and_keeps_everything_else():
    change = merge(REALISTIC)
    assert change.changed is True and change.needs_check is True and change.username == "deploy"
    assert change.config["auths"][REGISTRY] == {"auth": auth("deploy", PASSWORD)}
    for key in ("other.example.com", "https://index.docker.io/v1/"):
        assert change.config["auths"][key] == REALISTIC["auths"][key]
    for key in ("psFormat", "HttpHeaders", "currentContext"):
        assert change.config[key] == REALISTIC[key]
    assert change.before == {}
    assert change.after == dict(registry=REGISTRY, config_key=REGISTRY, username="deploy", password="********")
    assert PASSWORD not in json.dumps([change.before, change.after])


def test_the_same_credentials_change_nothing():
    config = dict(REALISTIC, auths=dict(REALISTIC["auths"], **{REGISTRY: {"auth": auth("deploy", PASSWORD)}}))
    change = merge(config)
    assert change.changed is False and change.needs_check is False and change.config == config


@pytest.mark.parametrize("spelling", ["https://registry.example.com:5000", "http://registry.example.com:5000",
                                      "registry.example.com:5000/v1/", "https://registry.example.com:5000/v2/",
                                      "REGISTRY.example.com:5000"])
def test_credentials_under_another_spelling_count_as_stored(spelling):
    config = {"auths": {spelling: {"auth": auth("deploy", PASSWORD)}}}
    assert merge(config).changed is False
    # Other credentials under that spelling: the canonical key is written, the other spelling kept.
    stale = {"auths": {spelling: {"auth": auth("deploy", "old")}}}
    change = merge(stale)
    assert change.changed is True and change.before["username"] == "deploy"
    assert change.after["password"] == "******** (changed)"
    assert set(change.config["auths"]) == {spelling, REGISTRY}


@pytest.mark.parametrize("given", ["registry.example.com:5000", "https://registry.example.com:5000",
                                   "https://registry.example.com:5000/v2/", "Registry.Example.com:5000"])
def test_the_registry_may_be_given_as_a_url(given):
    change = merge({}, registry=given)
    assert list(change.config["auths"]) == [REGISTRY]


def test_separate_username_and_password_fields_are_read():
    config = {"auths": {REGISTRY: {"username": "deploy", "password": PASSWORD}}}
    assert merge(config).changed is False


def test_a_changed_password_is_a_change_shown_as_a_mask():
    config = {"auths": {REGISTRY: {"auth": auth("deploy", "old-password")}}}
    change = merge(config)
    assert change.changed is True and change.needs_check is True
    assert change.before == dict(registry=REGISTRY, config_key=REGISTRY, username="deploy", password="********")
    assert change.after["password"] == "******** (changed)"
    assert "old-password" not in json.dumps([change.before, change.after])


def test_a_changed_user_with_the_same_password():
    change = merge({"auths": {REGISTRY: {"auth": auth("old-user", PASSWORD)}}})
    assert change.changed is True and change.before["username"] == "old-user"
    assert change.after["password"] == "********"


def test_auths_missing_or_empty():
    for config in ({}, {"auths": {}}, {"auths": None}, {"credsStore": "desktop"}):
        change = merge(config)
        assert change.changed is True and list(change.config["auths"]) == [REGISTRY]


@pytest.mark.parametrize("auths", [[], "text", 5, True])
def test_auths_not_an_object_is_one_line(auths):
    with pytest.raises(DockerError) as caught:
        merge({"auths": auths})
    assert str(caught.value) == ('the docker client config /root/.docker/config.json has an "auths" that is not a '
                                 'JSON object')


def test_an_entry_that_is_not_an_object_is_replaced():
    change = merge({"auths": {REGISTRY: "garbage", "other": 5}})
    assert change.changed is True and change.before == {}
    assert change.config["auths"] == {REGISTRY: {"auth": auth("deploy", PASSWORD)}, "other": 5}


def test_docker_hub_uses_its_legacy_key():
    for given in ("docker.io", "index.docker.io", "https://index.docker.io/v1/", ""):
        change = merge(REALISTIC, registry=given, username="hubuser", password="new-token")
        assert change.after["config_key"] == "https://index.docker.io/v1/"
        assert change.after["registry"] == "docker.io"
        assert change.config["auths"]["https://index.docker.io/v1/"] == {"auth": auth("hubuser", "new-token")}
    assert merge(REALISTIC, registry="docker.io", username="hubuser", password="hubtoken").changed is False


@pytest.mark.parametrize("config, helper", [
    ({"credsStore": "desktop"}, "desktop"),
    ({"credHelpers": {"registry.example.com:5000": "ecr-login"}, "credsStore": "pass"}, "ecr-login"),
    ({"credHelpers": {"https://registry.example.com:5000": "gcloud"}}, "gcloud"),
    ({"credHelpers": {"other.example.com": "gcloud"}}, None),
    ({"credsStore": ""}, None),
])
def test_a_credential_helper_is_reported_and_kept(config, helper):
    change = merge(config)
    assert change.helper == helper
    for key in config:
        assert change.config[key] == config[key]


def test_a_username_with_a_colon_is_refused():
    with pytest.raises(InvalidValue, match="^username: 'a:b' contains \":\""):
        merge({}, username="a:b")


# state=absent

def test_logout_removes_every_spelling_and_keeps_the_rest():
    config = copy.deepcopy(REALISTIC)
    config["auths"].update({REGISTRY: {"auth": auth("deploy", PASSWORD)},
                            "https://registry.example.com:5000": {"auth": auth("old", "x")},
                            "registry.example.com:5000/v1/": {}})
    change = merge(config, username=None, password=None, state="absent")
    assert change.changed is True and change.username == "deploy"
    assert set(change.config["auths"]) == {"other.example.com", "https://index.docker.io/v1/"}
    assert change.config["psFormat"] == REALISTIC["psFormat"]
    assert change.before == dict(registry=REGISTRY, config_key=REGISTRY, username="deploy", password="********")
    assert change.after == {} and change.needs_check is False


def test_logout_without_an_entry_changes_nothing():
    for config in ({}, {"auths": {}}, REALISTIC):
        change = merge(config, username=None, password=None, state="absent")
        assert change.changed is False and change.username is None and change.config == config
        assert change.before == {}


def test_logout_of_an_entry_without_credentials():
    change = merge({"auths": {REGISTRY: {}}}, username=None, password=None, state="absent")
    assert change.changed is True and change.username is None
    assert change.before == dict(registry=REGISTRY, config_key=REGISTRY, username=None, password=None)


def test_render_is_tab_indented_json():
    assert login.render_config({"auths": {"r": {"auth": "x"}}}) == '{\n\t"auths": {\n\t\t"r": {\n\t\t\t"auth": "x"' \
                                                                   '\n\t\t}\n\t}\n}\n'


def test_new_file_owner_is_the_nearest_existing_directory(tmp_path):
    home = tmp_path / "home" / "ci"
    home.mkdir(parents=True)
    if os.geteuid() == 0:
        os.chown(str(home), 1234, 5678)
        assert login.new_file_owner(str(home / ".docker" / "config.json")) == (1234, 5678)
        assert login.new_file_owner(str(home / "a" / "b" / "config.json")) == (1234, 5678)
    else:
        assert login.new_file_owner(str(home / ".docker" / "config.json")) is None


class FakeClient(object):
    docker_host = "unix:///var/run/docker.sock"

    def __init__(self, failure=None):
        self.failure = failure
        self.calls = []

    def call(self, action, method, **kwargs):
        self.calls.append((action, method, kwargs))
        if self.failure:
            raise self.failure


@pytest.mark.parametrize("failure, message", [
    (DockerError("login failed: 401", status_code=401), "%s rejected the credentials of user deploy" % REGISTRY),
    (DockerError("Error response from daemon: Get https://r/v2/: unauthorized: incorrect username or password "
                 "for %s" % PASSWORD), "%s rejected the credentials of user deploy" % REGISTRY),
    (DockerError("failed to log in: dial tcp 127.0.0.1:5000: connect: connection refused"),
     "cannot reach registry %s (from the Docker engine at unix:///var/run/docker.sock): connection refused"
     % REGISTRY),
    (DockerError("something else with %s in it" % PASSWORD), "something else with ******** in it"),
])
def test_engine_refusals_are_one_line_without_the_password(failure, message):
    with pytest.raises(DockerError) as caught:
        login.check_with_engine(FakeClient(failure), REGISTRY, "deploy", PASSWORD)
    assert str(caught.value) == message


def test_docker_hub_is_checked_with_its_legacy_address():
    client = FakeClient()
    login.check_with_engine(client, "docker.io", "hubuser", "t")
    assert client.calls[0][2]["registry"] == "https://index.docker.io/v1/"
