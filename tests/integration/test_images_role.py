"""The images role builds, tags and pushes a list of images, logging in first; a second run changes nothing."""
import base64
import json
import subprocess
import urllib.error
import urllib.request
import uuid

import pytest

from ansible_runner import run_playbook
from registry_tools import MANIFEST_ACCEPT

pytestmark = pytest.mark.engine

ROLE = "dockhand.docker.images"
IMAGE_TASK = "Build, tag and push the images in one module run"
LOGIN_TASK = "Log in to the registries"

SINGLE = """\
FROM {base}
COPY app.txt /app.txt
CMD ["cat", "/app.txt"]
"""

TWO_STAGE = """\
FROM {base} AS build
RUN mkdir -p /out && dd if=/dev/zero of=/out/ballast bs=1024 count=1024 2>/dev/null && echo built > /out/version
FROM {base} AS final
COPY --from=build /out/version /version
CMD ["cat", "/version"]
"""


CONTEXT_TASK = "Copy build contexts from the controller"


def docker(*args, check=True):
    proc = subprocess.run(["docker"] + list(args), capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        raise AssertionError("docker %s: %s" % (" ".join(args), proc.stderr))
    return proc.stdout.strip()


def request(method, url, username=None, password=None):
    """(status, Docker-Content-Digest) of one registry request."""
    headers = {"Accept": MANIFEST_ACCEPT}
    if username:
        headers["Authorization"] = "Basic " + base64.b64encode(("%s:%s" % (username, password)).encode()).decode()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers, method=method), timeout=30) as resp:
            return resp.status, resp.headers.get("Docker-Content-Digest")
    except urllib.error.HTTPError as exc:
        return exc.code, None


def registry_digest(host, repository, tag, username=None, password=None):
    status, digest = request("HEAD", "http://%s/v2/%s/manifests/%s" % (host, repository, tag), username, password)
    return digest if status == 200 else None


class Pushed(object):
    """Repositories pushed by a test, deleted from their registry afterwards (with the local images)."""

    def __init__(self, uid):
        self.uid = uid
        self.entries = []

    def add(self, host, repository, tags, username=None, password=None):
        self.entries.append((host, repository, tags, username, password))
        return "%s/%s" % (host, repository)

    def clean(self):
        for host, repository, tags, username, password in self.entries:
            for tag in tags:
                digest = registry_digest(host, repository, tag, username, password)
                if digest:
                    request("DELETE", "http://%s/v2/%s/manifests/%s" % (host, repository, digest), username, password)
        refs = docker("images", "--format", "{{.Repository}}:{{.Tag}}", check=False).split()
        mine = [ref for ref in refs if self.uid in ref]
        if mine:
            docker("rmi", "-f", *mine, check=False)


@pytest.fixture
def pushed():
    tracker = Pushed(uuid.uuid4().hex[:8])
    yield tracker
    tracker.clean()


def make_context(path, dockerfile, **files):
    path.mkdir()
    (path / "Dockerfile").write_text(dockerfile)
    for name, text in files.items():
        (path / name).write_text(text)
    return str(path)


def play(**role_vars):
    return [dict(name="images role", hosts="localhost", gather_facts=False,
                 roles=[dict(role=ROLE, vars=role_vars)])]


def test_role_builds_and_pushes_then_changes_nothing(registries, test_image, pushed, tmp_path):
    plain = registries["plain"]
    one = pushed.add(plain, "dockhand-test/role-%s-one" % pushed.uid, ["1", "latest"])
    two = pushed.add(plain, "dockhand-test/role-%s-two" % pushed.uid, ["1"])
    # The first context is copied from the "controller" (images_contexts) to where the build reads it.
    source = make_context(tmp_path / "controller-one", SINGLE.format(base=test_image), **{"app.txt": "one\n"})
    images = [
        {"name": one + ":1", "tags": [one + ":latest"], "build": {"context": str(tmp_path / "one")}},
        {"name": two + ":1",
         "build": {"context": make_context(tmp_path / "two", TWO_STAGE.format(base=test_image)), "target": "final"}},
    ]
    role_vars = dict(images_list=images, images_defaults={"push": True},
                     images_contexts=[{"src": source + "/", "dest": str(tmp_path / "one") + "/"}])

    run = run_playbook(None, plays=play(**role_vars))
    assert run.returncode == 0, run.stdout[-3000:]
    assert run.named(LOGIN_TASK)["skipped"] is True  # no credentials given: no login
    assert run.named(CONTEXT_TASK)["changed"] is True
    assert (tmp_path / "one" / "app.txt").read_text() == "one\n"
    first, second = run.named(IMAGE_TASK)["images"]
    assert first["actions"] == ["built", "tagged %s:latest" % one, "pushed %s:1" % one, "pushed %s:latest" % one]
    assert second["actions"] == ["built", "pushed %s:1" % two]
    for result, (repository, tags) in ((first, (one, ["1", "latest"])), (second, (two, ["1"]))):
        repository = repository.split("/", 1)[1]
        assert [registry_digest(plain, repository, tag) for tag in tags] == [p["digest"] for p in result["pushed"]]
    history = docker("history", "--no-trunc", "--format", "{{.CreatedBy}}", two + ":1")
    assert "ballast" not in history  # only the final stage was built into the image
    assert docker("run", "--rm", two + ":1") == "built"

    again = run_playbook(None, plays=play(**role_vars))
    assert again.returncode == 0, again.stdout[-3000:]
    assert again.stats["localhost"]["changed"] == 0
    assert again.named(CONTEXT_TASK)["changed"] is False
    results = again.named(IMAGE_TASK)["images"]
    assert [r["actions"] for r in results] == [[], []]
    assert [p["pushed"] for r in results for p in r["pushed"]] == [False, False, False]


def test_login_then_push_keeps_the_password_secret(registries, test_image, pushed, tmp_path):
    auth, username, password = registries["auth"], registries["username"], registries["password"]
    name = pushed.add(auth, "dockhand-test/role-%s-auth" % pushed.uid, ["1"], username, password) + ":1"
    config_dir = tmp_path / "docker-config"  # the credentials land here, not in root's own config
    config_dir.mkdir()
    secrets = tmp_path / "secrets.json"
    secrets.write_text(json.dumps({"registry_password": password}))
    role_vars = dict(
        images_registry_logins=[{"registry_url": auth, "username": username, "password": "{{ registry_password }}"}],
        images_list=[{"name": name, "push": True,
                      "build": {"context": make_context(tmp_path / "ctx", SINGLE.format(base=test_image),
                                                        **{"app.txt": "auth\n"})}}],
    )
    encoded = base64.b64encode(("%s:%s" % (username, password)).encode()).decode()

    run = run_playbook(None, plays=play(**role_vars), extra_args=["-vvv", "-e", "@%s" % secrets],
                       env={"DOCKER_CONFIG": str(config_dir)})
    assert run.returncode == 0, run.stdout[-3000:]
    assert password not in run.stdout + run.stderr
    assert encoded not in run.stdout + run.stderr
    login = run.named(LOGIN_TASK)
    assert login["changed"] is True and "censored" in login["results"][0]
    stored = json.loads((config_dir / "config.json").read_text())["auths"][auth]["auth"]
    assert base64.b64decode(stored).decode() == "%s:%s" % (username, password)
    result = run.named(IMAGE_TASK)["images"][0]
    assert result["actions"] == ["built", "pushed %s" % name]
    repository = name.split("/", 1)[1].rsplit(":", 1)[0]
    assert registry_digest(auth, repository, "1", username, password) == result["pushed"][0]["digest"]
    assert registry_digest(auth, repository, "1") is None  # the registry does require the credentials

    again = run_playbook(None, plays=play(**role_vars), extra_args=["-vvv", "-e", "@%s" % secrets],
                         env={"DOCKER_CONFIG": str(config_dir)})
    assert again.returncode == 0, again.stdout[-3000:]
    assert again.stats["localhost"]["changed"] == 0
    assert again.named(CONTEXT_TASK)["changed"] is False
    assert password not in again.stdout + again.stderr


def test_a_mistyped_option_fails_before_anything_is_built(test_image, pushed, tmp_path):
    context = make_context(tmp_path / "ctx", SINGLE.format(base=test_image), **{"app.txt": "typo\n"})
    name = "127.0.0.1:5000/dockhand-test/role-%s-typo:1" % pushed.uid
    run = run_playbook(None, plays=play(images_list=[{"name": name, "build": {"context": context}},
                                                     {"name": name, "build": {"context": context}, "tag": ["x"]}]))
    assert run.returncode != 0
    assert "images_list.tag" in run.stdout
    assert docker("images", "-q", name) == ""
