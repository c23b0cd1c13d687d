"""dockhand.docker.image against the real engine and the loopback registries."""
import json
import os
import subprocess
import uuid

import pytest

from ansible_runner import run_playbook

pytestmark = pytest.mark.engine

TWO_STAGE = """\
FROM {base} AS build
ARG VERSION=1
RUN mkdir -p /out && dd if=/dev/zero of=/out/ballast bs=1024 count=2048 2>/dev/null && echo "$VERSION" > /out/version
FROM {base} AS final
COPY --from=build /out/version /version
COPY app.txt /app.txt
CMD ["cat", "/version"]
"""


def docker(*args, check=True):
    proc = subprocess.run(["docker"] + list(args), capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        raise AssertionError("docker %s: %s" % (" ".join(args), proc.stderr))
    return proc.stdout.strip()


def inspect_image(name):
    proc = subprocess.run(["docker", "image", "inspect", name], capture_output=True, text=True, check=False)
    return json.loads(proc.stdout)[0] if proc.returncode == 0 else None


def named_images():
    return sorted(docker("images", "--no-trunc", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}").splitlines())


def image_task(args, extra_args=(), env=None):
    run = run_playbook([{"name": "image", "dockhand.docker.image": args}], extra_args=extra_args, env=env)
    return run, run.result()


@pytest.fixture
def repo():
    """A unique repository name; every image under it is removed afterwards."""
    name = "dockhand-test/img-%s" % uuid.uuid4().hex[:8]
    yield name
    refs = docker("images", "--format", "{{.Repository}}:{{.Tag}}", check=False).split()
    mine = [ref for ref in refs if name in ref]
    if mine:
        docker("rmi", "-f", *mine, check=False)
    # Rebuilds leave the replaced images dangling; only dockhand's builds carry this label.
    docker("image", "prune", "-f", "--filter", "label=dockhand.build-digest", check=False)


@pytest.fixture
def context(tmp_path, test_image):
    (tmp_path / "Dockerfile").write_text(TWO_STAGE.format(base=test_image))
    (tmp_path / "app.txt").write_text("v1\n")
    (tmp_path / "notes.md").write_text("not part of the image\n")
    (tmp_path / ".dockerignore").write_text("*.md\n")
    return tmp_path


def test_two_stage_build_with_target_keeps_only_the_final_stage(context, repo):
    run, result = image_task({"name": repo + ":final", "build": {"context": str(context), "target": "final"}})
    assert run.returncode == 0, run.stdout[-3000:]
    assert result["changed"] is True and result["actions"] == ["built"]
    assert any("COPY app.txt" in line for line in result["build_log"])
    result = image_task({"name": repo + ":build", "build": {"context": str(context), "target": "build"}})[1]
    assert result["actions"] == ["built"]
    final, build = inspect_image(repo + ":final"), inspect_image(repo + ":build")
    assert final["Size"] < build["Size"] - 1024 * 1024  # the 2 MiB ballast stayed in the build stage
    history = docker("history", "--no-trunc", "--format", "{{.CreatedBy}}", repo + ":final")
    assert "ballast" not in history and "app.txt" in history
    assert docker("run", "--rm", repo + ":final") == "1"
    assert final["Config"]["Labels"]["dockhand.build-digest"] == result["image"]["build_digest"] or \
        final["Config"]["Labels"]["dockhand.build-digest"].startswith("sha256:")


def test_rebuild_only_when_inputs_change(context, repo):
    args = {"name": repo + ":1", "build": {"context": str(context), "target": "final", "args": {"VERSION": "1"}}}
    first = image_task(args)[1]
    assert first["actions"] == ["built"]
    again = image_task(args)[1]
    assert again["changed"] is False and again["image"]["id"] == first["image"]["id"]

    (context / "notes.md").write_text("edited, but .dockerignore excludes it\n")
    (context / "more-notes.md").write_text("new and excluded\n")
    assert image_task(args)[1]["changed"] is False

    (context / "app.txt").write_text("v2\n")
    changed = image_task(args)[1]
    assert changed["actions"] == ["built"] and changed["image"]["id"] != first["image"]["id"]

    bumped = image_task(dict(args, build=dict(args["build"], args={"VERSION": "2"})))[1]
    assert bumped["actions"] == ["built"]
    assert docker("run", "--rm", repo + ":1") == "2"


def test_check_mode_builds_nothing(context, repo):
    args = {"name": repo + ":c", "build": {"context": str(context)}}
    run, result = image_task(args, extra_args=["--check", "--diff"])
    assert result["changed"] is True and result["actions"] == ["built"]
    assert inspect_image(repo + ":c") is None


def test_tags_are_idempotent_and_moved(context, repo, test_image):
    args = {"name": repo + ":1", "build": {"context": str(context)}, "tags": [repo + ":stable"]}
    first = image_task(args)[1]
    assert first["actions"] == ["built", "tagged %s:stable" % repo]
    assert image_task(args)[1]["changed"] is False
    docker("tag", test_image, repo + ":stable")  # someone points the tag elsewhere
    moved = image_task(args)[1]
    assert moved["actions"] == ["tagged %s:stable" % repo]
    assert inspect_image(repo + ":stable")["Id"] == first["image"]["id"]


def test_push_only_when_the_registry_lacks_it(context, repo, registries):
    name = "%s/%s:1" % (registries["plain"], repo)
    args = {"name": name, "build": {"context": str(context)}, "tags": [name.replace(":1", ":latest")], "push": True}
    run, first = image_task(args)
    assert run.returncode == 0, run.stdout[-3000:]
    assert [entry["pushed"] for entry in first["pushed"]] == [True, True]
    digest = first["pushed"][0]["digest"]
    assert digest.startswith("sha256:")
    assert "%s/%s@%s" % (registries["plain"], repo, digest) in inspect_image(name)["RepoDigests"]
    second = image_task(args)[1]
    assert second["changed"] is False
    assert [entry["pushed"] for entry in second["pushed"]] == [False, False]
    assert second["pushed"][0]["digest"] == digest


def test_push_with_wrong_password_is_clear_and_secret(context, repo, registries, tmp_path):
    secret = "wrong-%s" % uuid.uuid4().hex
    config_dir = tmp_path / "docker-config"
    config_dir.mkdir()
    import base64
    auth = base64.b64encode(("%s:%s" % (registries["username"], secret)).encode()).decode()
    (config_dir / "config.json").write_text(json.dumps({"auths": {registries["auth"]: {"auth": auth}}}))
    name = "%s/%s:1" % (registries["auth"], repo)
    run, result = image_task({"name": name, "build": {"context": str(context)}, "push": True},
                             extra_args=["-vvv"], env={"DOCKER_CONFIG": str(config_dir)})
    assert run.returncode != 0 and result["failed"] is True
    assert registries["auth"] in result["msg"] and "\n" not in result["msg"]
    assert secret not in run.stdout + run.stderr
    assert auth not in run.stdout + run.stderr


def test_push_to_a_registry_that_is_down_names_it(context, repo):
    name = "127.0.0.1:5999/%s:1" % repo
    result = image_task({"name": name, "build": {"context": str(context)}, "push": True})[1]
    assert result["failed"] is True and "127.0.0.1:5999" in result["msg"]


def test_pull_checks_the_platform_before_downloading(context, repo, registries):
    from registry_tools import push_local, push_manifest_list
    source = "%s/%s:single" % (registries["plain"], repo)
    image_task({"name": source, "build": {"context": str(context)}, "push": True})
    manifest = push_local(source, source)
    listed = push_manifest_list(registries["plain"], repo, "multi", [
        {"digest": manifest, "platform": {"os": "linux", "architecture": "amd64"}},
        {"digest": manifest, "platform": {"os": "linux", "architecture": "s390x"}},
    ])
    assert listed.startswith("sha256:")
    multi = "%s/%s:multi" % (registries["plain"], repo)
    result = image_task({"name": multi, "source": "pull", "platform": "linux/arm64"})[1]
    assert result["failed"] is True
    assert "linux/arm64" in result["msg"] and "linux/amd64" in result["msg"] and "linux/s390x" in result["msg"]
    assert inspect_image(multi) is None
    pulled = image_task({"name": multi, "source": "pull"})[1]
    assert pulled["actions"] == ["pulled"], pulled
    assert inspect_image(multi) is not None
    assert image_task({"name": multi, "source": "pull"})[1]["changed"] is False


BAD = [
    ({"name": "Upper/Case:1", "source": "local"}, "must be lowercase"),
    ({"name": "ok:1", "build": {"context": "/nonexistent/ctx"}}, "/nonexistent/ctx"),
    ({"name": "ok:1", "build": {"context": "CTX", "dockerfile": "Missing.Dockerfile"}}, "Missing.Dockerfile"),
    ({"name": "ok:1", "build": {"context": "CTX", "target": "nosuchstage"}}, "is not a stage of Dockerfile"),
    ({"name": "ok:1", "build": {"context": "CTX", "args": {"VERSION": 2}}}, "build args must be strings"),
    ({"name": "ok:1", "source": "load", "archive_path": "/nonexistent.tar"}, "/nonexistent.tar"),
]


@pytest.mark.parametrize("args, fragment", BAD, ids=[fragment for _args, fragment in BAD])
def test_bad_input_is_one_line(context, repo, args, fragment):
    args = json.loads(json.dumps(args).replace('"CTX"', json.dumps(str(context))).replace("ok:1", repo + ":bad"))
    before = named_images()
    run, result = image_task(args)
    assert run.returncode != 0 and result["failed"] is True
    assert fragment in result["msg"] and "\n" not in result["msg"], result["msg"]
    assert "Traceback" not in json.dumps(result)
    assert named_images() == before


def test_absent_untags_and_removes(context, repo):
    image_task({"name": repo + ":1", "build": {"context": str(context)}, "tags": [repo + ":2"]})
    result = image_task({"name": repo + ":1", "state": "absent"})[1]
    assert result["changed"] is True and inspect_image(repo + ":1") is None
    assert inspect_image(repo + ":2") is not None  # another name still points at it
    assert image_task({"name": repo + ":1", "state": "absent"})[1]["changed"] is False


def test_export_is_idempotent(context, repo, tmp_path_factory):
    archive = str(tmp_path_factory.mktemp("archives") / "app.tar")  # not inside the build context
    args = {"name": repo + ":1", "build": {"context": str(context)}, "export_path": archive}
    first = image_task(args)[1]
    assert first["actions"] == ["built", "exported"] and os.path.getsize(archive) > 0
    stamp = os.stat(archive).st_mtime_ns
    assert image_task(args)[1]["changed"] is False
    assert os.stat(archive).st_mtime_ns == stamp


def test_image_info_reports_layers_history_and_registry(context, repo, registries):
    name = "%s/%s:info" % (registries["plain"], repo)
    built = image_task({"name": name, "build": {"context": str(context)}, "push": True})[1]
    run = run_playbook([{"name": "info", "dockhand.docker.image_info": {
        "names": [name, name.replace(":info", ":missing")], "registry": True}}])  # loopback registry only
    assert run.returncode == 0, run.stdout[-2000:]
    found, missing = run.result()["images"]
    cli = inspect_image(name)
    assert found["exists"] is True and found["id"] == cli["Id"] == built["image"]["id"]
    assert found["layers"] == cli["RootFS"]["Layers"]
    assert found["build_digest"] == built["image"]["build_digest"]
    # The CLI trims each line; the imported base layer has no instruction at all.
    history = docker("history", "--no-trunc", "--format", "{{.CreatedBy}}|", name).splitlines()
    assert [step["created_by"].strip() for step in found["history"]] == [line[:-1].strip() for line in history]
    assert found["registry"]["digest"] == built["pushed"][0]["digest"]
    assert found["registry"]["platforms"] == ["linux/amd64"]
    assert missing == {"name": "%s/%s:missing" % (registries["plain"], repo), "exists": False,
                       "registry": {"digest": None, "platforms": []}}


@pytest.mark.lab
def test_save_then_load_into_a_lab_node_is_idempotent(context, repo, tmp_path_factory, lab_nodes):
    archive = str(tmp_path_factory.mktemp("ship") / "app.tar")
    name = repo + ":ship"
    first = image_task({"name": name, "build": {"context": str(context)}, "export_path": archive})[1]
    assert first["actions"] == ["built", "exported"]
    assert image_task({"name": name, "source": "local", "export_path": archive})[1]["changed"] is False
    node = lab_nodes["nodes"][3]["name"]  # a Docker 26 node: the archive crosses engine versions
    docker("cp", archive, "%s:/root/app.tar" % node)  # not /tmp: docker cp cannot see a tmpfs mount
    load = {"name": "load", "dockhand.docker.image": {"name": name, "source": "load", "archive_path": "/root/app.tar"}}
    loaded = run_playbook([load], hosts=node, inventory=lab_nodes)
    assert loaded.returncode == 0, loaded.stdout[-2000:]
    assert loaded.result(node)["actions"] == ["loaded"]
    assert loaded.result(node)["image"]["id"] == first["image"]["id"]
    again = run_playbook([load], hosts=node, inventory=lab_nodes)
    assert again.result(node)["changed"] is False


def test_many_images_in_one_run(context, repo, registries, tmp_path_factory, test_image):
    other = tmp_path_factory.mktemp("other-context")
    (other / "Dockerfile").write_text("FROM %s\nLABEL role=worker\n" % test_image)
    names = ["%s/%s:api" % (registries["plain"], repo), "%s/%s:worker" % (registries["plain"], repo)]
    args = {"push": True, "images": [{"name": names[0], "build": {"context": str(context), "target": "final"}},
                                     {"name": names[1], "build": {"context": str(other)}}]}
    run, result = image_task(args)
    assert run.returncode == 0, run.stdout[-3000:]
    assert [entry["actions"] for entry in result["images"]] == [["built", "pushed %s" % names[0]],
                                                                ["built", "pushed %s" % names[1]]]
    again = image_task(args)[1]
    assert again["changed"] is False and [entry["changed"] for entry in again["images"]] == [False, False]
    duplicate = image_task({"images": [{"name": names[0], "source": "local"}, {"name": names[0], "source": "local"}]})
    assert duplicate[1]["failed"] is True and "used twice" in duplicate[1]["msg"]
