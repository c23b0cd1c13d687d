"""plan_image: what is wanted and what the engine and the registry hold -> the steps, pure."""
import pytest

from ansible_collections.dockhand.docker.plugins.module_utils.errors import DockerError, InvalidValue
from ansible_collections.dockhand.docker.plugins.module_utils.images import (
    BUILD_DIGEST_LABEL,
    FORM,
    ImageCurrent,
    ImageWanted,
    plan_image,
    step_action,
)
from ansible_collections.dockhand.docker.tests.unit.engine_fixtures import ENGINES, load

NAME = "127.0.0.1:5000/team/app:1"
TAG = "127.0.0.1:5000/team/app:latest"
REMOTE = "sha256:" + "a" * 64


@pytest.fixture
def context(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM scratch AS final\nCOPY a /a\n")
    (tmp_path / "a").write_text("a")
    return str(tmp_path)


def wanted(**options):
    params = dict((key, None) for key in FORM.module_spec())
    params.update(FORM.defaults)
    params.update(options)
    params["name"] = params["name"] or NAME
    label, item = FORM.items(params)[0]
    return ImageWanted(item, label)


def current(engine, digest_label=None, repo_digests=(), **extra):
    image = load(engine, "image")
    image["Config"]["Labels"] = dict(image["Config"].get("Labels") or {})
    if digest_label:
        image["Config"]["Labels"][BUILD_DIGEST_LABEL] = digest_label
    image["RepoDigests"] = list(repo_digests)
    result = ImageCurrent(image)
    for key, value in extra.items():
        setattr(result, key, value)
    return result


def actions(steps):
    return [step_action(kind, argument) for kind, argument in steps]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_new_build_tags_pushes_and_exports_everything(engine, context):
    want = wanted(build={"context": context}, tags=[TAG], push=True, export_path="/srv/app.tar")
    steps, changes = plan_image(want, ImageCurrent(None))
    assert actions(steps) == ["built", "tagged " + TAG, "pushed " + NAME, "pushed " + TAG, "exported"]
    assert changes.keys()[0] == "archive /srv/app.tar" and "build_digest" in changes.keys()


@pytest.mark.parametrize("engine", ENGINES)
def test_the_same_build_inputs_change_nothing(engine, context):
    want = wanted(build={"context": context}, tags=[TAG], push=True)
    have = current(engine, want.build.digest, ["127.0.0.1:5000/team/app@" + REMOTE],
                   tag_ids={TAG: load(engine, "image")["Id"]}, remote={NAME: REMOTE, TAG: REMOTE})
    steps, changes = plan_image(want, have)
    assert steps == [] and not changes
    # A tag that moved elsewhere, and a registry that lacks a tag: only those.
    have.tag_ids[TAG] = "sha256:other"
    have.remote[TAG] = None
    assert actions(plan_image(want, have)[0]) == ["tagged " + TAG, "pushed " + TAG]


@pytest.mark.parametrize("engine", ENGINES)
def test_rebuild_always_and_never(engine, context):
    stale = current(engine, "sha256:old-inputs")
    assert actions(plan_image(wanted(build={"context": context}), stale)[0]) == ["built"]
    assert plan_image(wanted(build={"context": context}, rebuild="never"), stale)[0] == []
    fresh = current(engine, wanted(build={"context": context}).build.digest)
    assert actions(plan_image(wanted(build={"context": context}, rebuild="always"), fresh)[0]) == ["built"]


@pytest.mark.parametrize("engine", ENGINES)
def test_pull_only_what_the_registry_has_newer_for_this_platform(engine):
    want = wanted(source="pull")
    have = current(engine, repo_digests=["127.0.0.1:5000/team/app@" + REMOTE], platforms=["linux/amd64"],
                   remote={NAME: REMOTE})
    assert plan_image(want, have, "linux/amd64")[0] == []
    have.remote[NAME] = "sha256:" + "b" * 64
    assert actions(plan_image(want, have, "linux/amd64")[0]) == ["pulled"]
    with pytest.raises(DockerError) as err:
        plan_image(want, have, "linux/arm64")
    assert "no image for platform linux/arm64" in err.value.msg and "linux/amd64" in err.value.msg
    have.remote[NAME] = None
    with pytest.raises(DockerError) as err:
        plan_image(want, have, "linux/amd64")
    assert "does not exist in 127.0.0.1:5000" in err.value.msg


@pytest.mark.parametrize("engine", ENGINES)
def test_local_absent_and_load(engine, tmp_path):
    with pytest.raises(InvalidValue) as err:
        plan_image(wanted(source="local"), ImageCurrent(None))
    assert "is not on the engine (source: local)" in err.value.msg
    assert actions(plan_image(wanted(state="absent"), current(engine))[0]) == ["removed"]
    assert plan_image(wanted(state="absent"), ImageCurrent(None))[0] == []
    have = current(engine, missing_from_engine=[])
    load_wanted = wanted(source="local")
    load_wanted.source = "load"
    load_wanted.item["archive_path"] = "/srv/app.tar"
    assert plan_image(load_wanted, have)[0] == []
    have.missing_from_engine = ["sha256:abc"]
    assert actions(plan_image(load_wanted, have)[0]) == ["loaded"]


@pytest.mark.parametrize("engine", ENGINES)
def test_an_archive_that_holds_the_image_is_not_written_again(engine):
    image_id = load(engine, "image")["Id"]
    want = wanted(source="local", export_path="/srv/app.tar")
    have = current(engine, export=([image_id], ["127.0.0.1:5000/team/app:1"]))
    assert plan_image(want, have)[0] == []
    have.export = ([image_id], ["other:1"])
    assert actions(plan_image(want, have)[0]) == ["exported"]


def test_bad_items_are_refused_before_anything_is_read(context):
    for options, fragment in [
        (dict(source="build"), "no build options"),
        (dict(source="load"), "archive_path is required"),
        (dict(name="sha256:" + "0" * 64, source="pull"), "cannot be pulled"),
        (dict(name="app@sha256:" + "0" * 64, source="local", push=True), "no tag to push"),
        (dict(name="Upper/Case:1", source="local"), "name:"),
        (dict(tags=["Bad Tag!"], source="local"), "tags:"),
    ]:
        with pytest.raises(InvalidValue) as err:
            wanted(**options)
        assert fragment in err.value.msg, (options, err.value.msg)
