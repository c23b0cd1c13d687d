"""Secrets and configs on the frame (swarm_objects): the salted hash, input validation, the planner from the
answers recorded on the lab's 3 + 2 swarm (Docker 20.10 and 26.1), and the runs against the stand-in engine:
services moved in one update each, old versions removed beyond keep_versions, never one in use."""
import base64
import hashlib
import json
import os
import time

import pytest

from ansible_collections.dockhand.docker.plugins.module_utils import swarm_objects as so
from ansible_collections.dockhand.docker.plugins.module_utils.errors import DockerError, InvalidValue
from ansible_collections.dockhand.docker.plugins.module_utils.frame import converge
from ansible_collections.dockhand.docker.tests.unit.engine_fixtures import ENGINES, load
from ansible_collections.dockhand.docker.tests.unit.fake_engine import FakeClient, VirtualTime

# The throwaway contents tools/record_fixtures.py gave the recorded versions (REC_SECRETS).
FIRST, SECOND = "dockhand-recording-throwaway-1", "dockhand-recording-throwaway-2"
APP_CONF, GREETING = "listen 8080\n", "task {{ .Task.Slot }}\n"
SECRET, CONFIG = so.KINDS["secret"], so.KINDS["config"]
REAL_ITERATIONS = so.ITERATIONS


@pytest.fixture(autouse=True)
def quick_hash(monkeypatch):
    """New versions hashed with few rounds (the recorded ones keep theirs: their labels say how many)."""
    monkeypatch.setattr(so, "ITERATIONS", 1000)


@pytest.fixture
def real_hash(monkeypatch):
    """The module's own count of rounds, as the lab's versions were made with."""
    monkeypatch.setattr(so, "ITERATIONS", REAL_ITERATIONS)


def item(kind="secret", **options):
    merged = dict((key, None) for key in so.FORMS[kind].spec)
    merged.update(so.FORMS[kind].defaults)
    merged.update(options)
    return merged


def wanted(kind="secret", salt=b"s" * 16, force=False, **options):
    options.setdefault("name", "db")
    return so.parse_item(so.KINDS[kind], item(kind, **options), options["name"], force=force, new_salt=salt)


def params(kind="secret", **options):
    merged = dict((key, None) for key in so.FORMS[kind].module_spec())
    merged.update(so.FORMS[kind].defaults)
    merged.update(force=False, wait=True, wait_timeout=30)
    merged.update(options)
    return merged


def swarm(engine="engine-20.10", rotated=False, **extra):
    suffix = "-rotated" if rotated else ""
    tasks = load(engine, "tasks" + suffix)
    # The nodes the recorded tasks ran on, all ready (the rollout waiter leaves out nodes that are down).
    extra.setdefault("nodes", [{"ID": ident, "Status": {"State": "ready"}, "Description": {"Hostname": ident[:6]}}
                               for ident in sorted(set(task["NodeID"] for task in tasks if task.get("NodeID")))])
    return FakeClient(info=load(engine, "info-leader"), secrets=load(engine, "secrets" + suffix),
                      configs=load(engine, "configs" + suffix), services=load(engine, "services" + suffix),
                      tasks=tasks, **extra)


@pytest.fixture(autouse=True)
def virtual_time(monkeypatch):
    clock = VirtualTime()
    monkeypatch.setattr(so, "time", clock)
    return clock


def run(client, kind="secret", check_mode=False, diff=True, **options):
    resource = so.SwarmObjects(kind, client, check_mode, diff=diff, force=options.pop("force", False),
                               wait=options.pop("wait", True), wait_timeout=30)
    results = converge(resource, params(kind, **options))
    resource.finish(results)
    return results


def named(objects, name):
    return next(obj for obj in objects if obj["Spec"]["Name"] == name)


def version_names(objects, logical):
    return [obj["Spec"]["Name"] for obj in so.versions_of(objects, logical)]


def refs(client, service, kind=SECRET):
    return so.references(client._inspect_service(service), kind)


# ---- the salted hash ----

def test_same_content_and_salt_give_the_same_hash_another_salt_or_count_another():
    first = so.salted_hash(b"hunter2", b"a" * 16, 1000)
    assert first == so.salted_hash(b"hunter2", b"a" * 16, 1000)
    assert first.startswith("pbkdf2-sha256$1000$") and len(so.hash_hex(first)) == 64
    assert so.hash_hex(first) == hashlib.pbkdf2_hmac("sha256", b"hunter2", b"a" * 16, 1000).hex()
    assert so.salted_hash(b"hunter2", b"b" * 16, 1000) != first
    assert so.salted_hash(b"hunter2", b"a" * 16, 1001) != first
    assert so.salted_hash(b"hunter3", b"a" * 16, 1000) != first


def test_the_real_count_makes_each_guess_cost_milliseconds():
    # About 50 ms on this project's 2-core machines (see ITERATIONS' comment); at least 5 ms anywhere likely.
    assert REAL_ITERATIONS >= 200000
    started = time.perf_counter()
    so.salted_hash(b"1234", b"s" * 16, REAL_ITERATIONS)
    assert time.perf_counter() - started > 0.005


def test_a_new_name_gets_a_random_salt_kept_by_its_later_versions():
    one, two = wanted(data="x", salt=None), wanted(data="x", salt=None)
    assert len(one.new_salt) == 16 and one.new_salt != two.new_salt
    client = swarm()
    first = run(client, name="fresh", data="one")[0]
    salt = so._labels(named(client.objects["secrets"], first["version"]))[so.SALT_LABEL]
    second = run(client, name="fresh", data="two")[0]
    assert so._labels(named(client.objects["secrets"], second["version"]))[so.SALT_LABEL] == salt


@pytest.mark.parametrize("data", ["hunter2", "1234", "correct horse battery staple"])
def test_neither_labels_nor_results_hold_the_data_or_an_unsalted_digest(data):
    client = swarm()
    shown = json.dumps([run(client, check_mode=check, name="pin", data=data) for check in (True, False)])
    labels = json.dumps([obj["Spec"] for obj in client.objects["secrets"]])
    raw = data.encode()
    unsalted = [getattr(hashlib, name)(raw).hexdigest() for name in ("md5", "sha1", "sha256", "sha512")]
    unsalted += [base64.b64encode(raw).decode(), raw.hex()]
    for text in (shown, labels):
        assert data not in text
        for digest in unsalted:
            assert digest not in text and digest[:12] not in text
    # What the engine was sent holds it, base64-encoded as the API takes it, and nothing else does.
    creates = [call for call in client.calls if call[:2] == ("post_json", "/secrets/create")]
    assert [base64.b64decode(call[-1]["Data"]) for call in creates] == [raw]


def test_masked_params_hide_every_data_and_keep_the_rest():
    shown = so.masked_params(dict(data="top", name="db", secrets=[dict(name="a", data="inner"), dict(name="b"), 5]))
    assert shown == dict(data="********", name="db", secrets=[dict(name="a", data="********"), dict(name="b"), 5])


def test_the_module_spec_marks_data_no_log_and_the_lists_not():
    for kind in ("secret", "config"):
        spec = so.FORMS[kind].module_spec()
        assert spec["data"]["no_log"] is True and spec[kind + "s"]["no_log"] is False
    assert "template_driver" in so.FORMS["config"].spec and "template_driver" not in so.FORMS["secret"].spec


# ---- input ----

def src_file(tmp_path, content, name="content"):
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


BAD_INPUT = [
    (dict(name="bad name", data="x"), "name: 'bad name' is not a usable name"),
    (dict(name="-x", data="x"), "is not a usable name"),
    (dict(name="a" * 52, data="x"), "at most 51 characters"),
    (dict(name=None, data="x"), "name: None"),
    (dict(data="x", src="/etc/hostname"), "give either data or src"),
    (dict(), "not neither"),
    (dict(data=""), "data: is empty"),
    (dict(data="   \n"), "holds only white space"),
    (dict(data="x" * so.MAX_DATA), "the engine takes less than 512000 bytes"),
    (dict(data="not base64!", data_is_b64=True), "data: not valid base64"),
    (dict(data="\ud800", data_is_b64=False), "cannot be encoded as UTF-8"),
    (dict(src="/nonexistent/file"), "src: /nonexistent/file does not exist on the managed host"),
    (dict(src="/"), "src: / is not a regular file"),
    (dict(src="a\x00b"), "src: 'a\\x00b' is not a path (it holds a NUL character)"),
    (dict(src="/etc/hostname", data_is_b64=True), "data_is_b64 applies to data"),
    (dict(data="x", labels={"dockhand.docker.name": "other"}), "labels: dockhand.docker.name is reserved"),
    (dict(data="x", labels={"": "x"}), "labels: '' is not a name"),
    (dict(data="x", labels={"a": ["b"]}), "labels.a: the value is a list"),
    (dict(data="x", keep_versions=-1), "keep_versions: -1 is not a count"),
    (dict(data="x", keep_versions=101), "keep_versions: 101"),
]


@pytest.mark.parametrize("options,message", BAD_INPUT)
def test_bad_input_is_one_line_naming_the_option_and_never_the_data(options, message):
    options = dict(name="db", **options) if "name" not in options else options
    with pytest.raises(InvalidValue) as caught:
        so.parse_item(SECRET, item(**options), "secrets[3]")
    assert caught.value.msg.startswith("secrets[3]: ") and message in caught.value.msg
    assert "\n" not in caught.value.msg and len(caught.value.msg) < 400
    if options.get("data") and len(options["data"]) > 3:
        assert options["data"] not in caught.value.msg


def test_files_and_base64_give_the_bytes_and_configs_take_white_space(tmp_path):
    assert wanted(src=src_file(tmp_path, b"\x00\xffbinary")).content == b"\x00\xffbinary"
    assert wanted(data=base64.b64encode(b"\x01\x02").decode() + "\n", data_is_b64=True).content == b"\x01\x02"
    assert wanted("config", data="  \n").content == b"  \n"
    with pytest.raises(InvalidValue, match="is empty"):
        wanted(src=src_file(tmp_path, b"", "empty"))
    with pytest.raises(InvalidValue, match="512000 bytes"):
        wanted(src=src_file(tmp_path, b"x" * (so.MAX_DATA + 5), "big"))
    assert wanted(state="absent").content is None  # nothing read for a removal


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a file of mode 000")
def test_an_unreadable_file_is_one_line(tmp_path):
    path = src_file(tmp_path, b"x")
    os.chmod(path, 0)
    with pytest.raises(InvalidValue, match="cannot be read: Permission denied"):
        wanted(src=path)


@pytest.mark.parametrize("info,state", [("info-worker", "a worker"), ("info", "not in a swarm (inactive)"),
                                        ("info-locked", "not in a swarm (locked)")])
@pytest.mark.parametrize("engine", ENGINES)
def test_only_a_manager_runs_it_and_nothing_else_is_asked(engine, info, state):
    client = FakeClient(info=load(engine, info))
    with pytest.raises(InvalidValue) as caught:
        run(client, name="db", data="x")
    assert caught.value.msg == "secret runs on a swarm manager; this engine is %s" % state
    assert client.methods() == ["info"]


def test_bad_input_fails_before_the_engine_is_asked():
    client = swarm()
    with pytest.raises(InvalidValue, match="^b: keep_versions: -3 is not a count"):
        run(client, secrets=[dict(name="a", data="x"), dict(name="b", data="x", keep_versions=-3)])
    with pytest.raises(InvalidValue, match="wait_timeout: 0"):
        so.SwarmObjects("secret", client, False, wait_timeout=0).prepare([])
    assert client.calls == []


# ---- the planner, from the recorded swarm ----

@pytest.mark.parametrize("engine", ENGINES)
def test_recorded_versions_are_what_the_planner_reads(engine):
    secrets, services = load(engine, "secrets"), load(engine, "services")
    versions = so.versions_of(secrets, "rec-db-password")
    assert len(versions) == 1 and so.generation(versions[0]) == 1
    assert so._user_labels(versions[0]) == {"team": "rec"}
    assert [obj["Spec"]["Name"] for obj in so.unversioned_of(secrets, "rec-legacy")] == ["rec-legacy"]
    using = so.users(services, SECRET)
    assert [so.service_name(service) for service in using[versions[0]["ID"]]] == ["rec-web"]
    web = next(service for service in services if so.service_name(service) == "rec-web")
    ref = so.references(web, SECRET)[0]
    assert ref["File"] == {"Name": "db_password", "UID": "1000", "GID": "1000", "Mode": 256}
    assert [so.object_name(obj) for obj in so.versions_of(load(engine, "secrets-rotated"), "rec-db-password")] \
        == version_names(load(engine, "secrets-rotated"), "rec-db-password")


@pytest.mark.parametrize("engine", ENGINES)
def test_same_content_is_unchanged(engine):
    plan = so.plan_object(wanted(name="rec-db-password", data=FIRST), load(engine, "secrets"), load(engine, "services"))
    assert (plan.action, plan.changes.keys(), plan.moves, plan.remove) == ("unchanged", [], [], [])
    config = so.plan_object(wanted("config", name="rec-greeting", data=GREETING, template_driver="golang"),
                            load(engine, "configs"), load(engine, "services"))
    assert config.action == "unchanged"


@pytest.mark.parametrize("engine", ENGINES)
def test_new_content_is_the_version_the_lab_made_and_its_service_moves(engine, real_hash):
    secrets, services = load(engine, "secrets"), load(engine, "services")
    plan = so.plan_object(wanted(name="rec-db-password", data=SECOND), secrets, services)
    made = so.versions_of(load(engine, "secrets-rotated"), "rec-db-password")[0]
    assert plan.action == "rotated" and plan.target["name"] == so.object_name(made)
    assert plan.target["labels"] == made["Spec"]["Labels"]  # same salt and count: the same name and hash
    assert plan.moved_services == ["rec-web"] and plan.remove == []
    assert plan.changes.keys() == ["content", "services", "version", "versions"]
    old = version_names(secrets, "rec-db-password")[0]
    diff = plan.changes.as_diff()
    assert diff["before"]["services"] == {"rec-web": old} and diff["after"]["services"] == {"rec-web": made["Spec"][
        "Name"]}
    assert diff["after"]["content"] == "changed" and diff["after"]["versions"] == [made["Spec"]["Name"], old]


@pytest.mark.parametrize("engine", ENGINES)
def test_the_recorded_rotation_moved_the_service_and_kept_the_file(engine):
    before, after = load(engine, "services"), load(engine, "services-rotated")
    web_before = next(s for s in before if so.service_name(s) == "rec-web")
    web_after = next(s for s in after if so.service_name(s) == "rec-web")
    old_ref, new_ref = so.references(web_before, SECRET)[0], so.references(web_after, SECRET)[0]
    assert old_ref["File"] == new_ref["File"] and old_ref["SecretID"] != new_ref["SecretID"]
    current = so.versions_of(load(engine, "secrets-rotated"), "rec-db-password")[0]
    assert (new_ref["SecretID"], new_ref["SecretName"]) == (current["ID"], so.object_name(current))
    assert web_after["Version"]["Index"] > web_before["Version"]["Index"]
    assert so.references(web_after, CONFIG) == so.references(web_before, CONFIG)


@pytest.mark.parametrize("engine", ENGINES)
def test_after_the_rotation_nothing_changes_and_keep_zero_prunes_the_unused_version(engine):
    secrets, services = load(engine, "secrets-rotated"), load(engine, "services-rotated")
    again = so.plan_object(wanted(name="rec-db-password", data=SECOND), secrets, services)
    assert again.action == "unchanged" and again.versions_after() == version_names(secrets, "rec-db-password")
    pruned = so.plan_object(wanted(name="rec-db-password", data=SECOND, keep_versions=0), secrets, services)
    assert pruned.action == "pruned" and pruned.changes.keys() == ["versions"]
    assert [so.object_name(v) for v in pruned.remove] == version_names(secrets, "rec-db-password")[1:]


@pytest.mark.parametrize("engine", ENGINES)
def test_content_of_an_earlier_version_makes_it_current_again(engine):
    secrets, services = load(engine, "secrets-rotated"), load(engine, "services-rotated")
    newest, earlier = version_names(secrets, "rec-db-password")
    plan = so.plan_object(wanted(name="rec-db-password", data=FIRST), secrets, services)
    assert plan.action == "rotated" and plan.create is None and plan.target["name"] == earlier
    assert plan.relabel[so.GENERATION_LABEL] == "3" and plan.relabel["team"] == "rec"
    assert plan.moved_services == ["rec-web"] and plan.versions_after() == [earlier, newest]
    assert plan.changes.as_diff()["after"]["content"] == "as in %s (an earlier version)" % earlier


@pytest.mark.parametrize("engine", ENGINES)
def test_labels_alone_change_in_place_and_a_new_version_keeps_them(engine):
    secrets, services = load(engine, "secrets"), load(engine, "services")
    relabel = so.plan_object(wanted(name="rec-db-password", data=FIRST, labels={"team": "ops", "tier": 1}),
                             secrets, services)
    assert relabel.action == "updated" and relabel.moves == [] and relabel.create is None
    assert relabel.relabel["team"] == "ops" and relabel.relabel["tier"] == "1"
    assert relabel.relabel[so.HASH_LABEL] == so._labels(so.versions_of(secrets, "rec-db-password")[0])[so.HASH_LABEL]
    assert relabel.changes.as_diff() == {"before": {"labels": {"team": "rec"}},
                                         "after": {"labels": {"team": "ops", "tier": "1"}}}
    rotated = so.plan_object(wanted(name="rec-db-password", data="third"), secrets, services)
    assert rotated.create["Labels"]["team"] == "rec" and "labels" not in rotated.changes.keys()


@pytest.mark.parametrize("engine", ENGINES)
def test_the_templating_driver_is_part_of_the_content(engine):
    configs, services = load(engine, "configs"), load(engine, "services")
    plain = so.plan_object(wanted("config", name="rec-greeting", data=GREETING), configs, services)
    assert plain.action == "rotated" and "Templating" not in plain.create
    assert plain.moved_services == ["rec-web"]
    templated = so.plan_object(wanted("config", name="rec-app-conf", data=APP_CONF, template_driver="golang"),
                               configs, services)
    assert templated.create["Templating"] == {"Name": "golang"}


@pytest.mark.parametrize("engine", ENGINES)
def test_services_of_an_unversioned_object_of_that_name_move_and_it_stays(engine):
    secrets, services = load(engine, "secrets"), load(engine, "services")
    plan = so.plan_object(wanted(name="rec-legacy", data="new"), secrets, services)
    assert plan.action == "created" and plan.moved_services == ["rec-legacy-user"] and plan.remove == []
    assert plan.changes.as_diff()["before"]["services"] == {"rec-legacy-user": "rec-legacy"}
    absent = so.plan_object(wanted(name="rec-legacy", state="absent"), secrets, services)
    assert absent.action == "unchanged"


@pytest.mark.parametrize("engine", ENGINES)
def test_removal_is_refused_while_a_service_uses_a_version_unless_forced(engine):
    secrets, services = load(engine, "secrets-rotated"), load(engine, "services-rotated")
    newest, earlier = version_names(secrets, "rec-db-password")
    with pytest.raises(InvalidValue) as caught:
        so.plan_object(wanted(name="rec-db-password", state="absent"), secrets, services)
    assert caught.value.msg.startswith("secret rec-db-password is in use (%s by rec-web); nothing was removed" % newest)
    forced = so.plan_object(wanted(name="rec-db-password", state="absent", force=True), secrets, services)
    assert forced.action == "removed" and [so.object_name(v) for v in forced.remove] == [earlier]
    assert forced.in_use == {newest: ["rec-web"]} and forced.warnings == ["%s kept: used by rec-web" % newest]
    assert so.plan_object(wanted(name="nothing-here", state="absent"), secrets, services).action == "unchanged"


def test_a_foreign_object_with_the_version_name_is_refused():
    client = swarm()
    name = run(client, check_mode=True, name="rec-db-password", data="x")[0]["version"]
    client.objects["secrets"].append({"ID": "foreign", "Spec": {"Name": name, "Labels": {}}})
    result = run(client, name="rec-db-password", data="x")[0]
    assert result["failed"] and result["msg"] == ("a secret named %s exists that is not a version of rec-db-password "
                                                  "(its labels differ); remove or rename it" % name)
    assert client.writes == []


def test_versions_are_ordered_by_generation_then_creation():
    def version(ident, created, gen):
        return {"ID": ident, "CreatedAt": created, "Spec": {"Name": ident, "Labels": {
            so.NAME_LABEL: "x", so.GENERATION_LABEL: gen}}}
    objects = [version("a", "2", "1"), version("b", "1", "3"), version("c", "3", "x"), version("d", "4", "3")]
    assert [v["ID"] for v in so.versions_of(objects, "x")] == ["d", "b", "a", "c"]


# ---- runs against the stand-in engine ----

@pytest.mark.parametrize("engine", ENGINES)
def test_check_mode_reports_the_version_and_services_and_changes_nothing(engine, real_hash):
    client = swarm(engine)
    result = run(client, check_mode=True, name="rec-db-password", data=SECOND)[0]
    made = version_names(load(engine, "secrets-rotated"), "rec-db-password")[0]
    assert (result["action"], result["changed"], result["version"], result["id"]) == ("rotated", True, made, None)
    assert result["services"] == ["rec-web"] and client.writes == []


@pytest.mark.parametrize("engine", ENGINES)
def test_a_rotation_moves_the_service_keeping_target_uid_gid_mode(engine):
    client = swarm(engine)
    before = refs(client, "rec-web")
    result = run(client, name="rec-db-password", data=SECOND)[0]
    assert (result["action"], result["services"]) == ("rotated", ["rec-web"])
    after = refs(client, "rec-web")
    assert after[0]["File"] == before[0]["File"] and after[0]["SecretName"] == result["version"]
    assert after[0]["SecretID"] == result["id"] and refs(client, "rec-web", CONFIG) == refs(
        swarm(engine), "rec-web", CONFIG)
    assert result["versions"] == [result["version"], before[0]["SecretName"]] and result["removed_versions"] == []
    again = run(client, name="rec-db-password", data=SECOND)[0]
    assert again["changed"] is False and again["services"] == []
    third = run(client, name="rec-db-password", data="third")[0]
    assert third["removed_versions"] == [before[0]["SecretName"]]
    assert version_names(client.objects["secrets"], "rec-db-password") == [third["version"], result["version"]]


def test_two_items_used_by_one_service_update_it_once():
    client = swarm()
    results = run(client, "config", configs=[dict(name="rec-app-conf", data="listen 9090\n"),
                                             dict(name="rec-greeting", data="hi {{ .Task.Slot }}\n",
                                                  template_driver="golang")])
    assert [result["services"] for result in results] == [["rec-web"], ["rec-web"]]
    updates = [call for call in client.calls if call[:2] == ("post_json", "/services/{0}/update?version={1}")]
    assert len(updates) == 1
    mounted = dict((ref["File"]["Name"], ref["ConfigName"]) for ref in refs(client, "rec-web", CONFIG))
    assert mounted == {"/etc/app.conf": results[0]["version"], "/greeting": results[1]["version"]}


def test_a_service_that_cannot_be_moved_fails_its_items_and_removes_nothing():
    client = swarm(rotated=True)
    original = client._post_swarm_object

    def refuse_services(path, path_args, body):
        if path.startswith("/services/"):
            raise DockerError("Docker engine failed to update service rec-web: out of sequence (HTTP 500)")
        return original(path, path_args, body)
    client._post_swarm_object = refuse_services
    result = run(client, name="rec-db-password", data="third")[0]
    assert result["failed"] and result["changed"] and result["action"] == "failed"
    assert result["msg"] == ("moving service rec-web failed: Docker engine failed to update service rec-web: out "
                             "of sequence (HTTP 500)")
    assert not [call for call in client.writes if call[0] == "remove_secret"]


def test_a_version_a_service_took_back_meanwhile_is_kept_and_reported():
    client = swarm(rotated=True)
    newest, earlier = version_names(client.objects["secrets"], "rec-db-password")
    legacy_user = next(s for s in client.services if so.service_name(s) == "rec-legacy-user")
    resource = so.SwarmObjects("secret", client, False, wait=False)
    results = converge(resource, params(name="rec-db-password", data="third"))
    # After the plan and before the removals, another service starts to use the earliest version.
    legacy_user["Spec"]["TaskTemplate"]["ContainerSpec"]["Secrets"].append(so.service_reference(
        "secret", "rec-db-password", dict(id=named(client.objects["secrets"], earlier)["ID"], name=earlier),
        target="old"))
    resource.finish(results)
    assert results[0]["in_use"] == {earlier: ["rec-legacy-user"]} and results[0]["removed_versions"] == []
    assert results[0]["warnings"] == ["%s kept: used by rec-legacy-user" % earlier]
    assert results[0]["versions"] == [results[0]["version"], newest, earlier]


def test_absent_removes_every_version_once_no_service_uses_one():
    client = swarm()
    client.services = [s for s in client.services if so.service_name(s) != "rec-web"]
    result = run(client, name="rec-db-password", state="absent")[0]
    assert result["action"] == "removed" and result["versions"] == [] and len(result["removed_versions"]) == 1
    assert so.versions_of(client.objects["secrets"], "rec-db-password") == []
    assert run(client, name="rec-db-password", state="absent")[0]["changed"] is False


def test_the_diff_names_versions_and_never_shows_the_data():
    client = swarm()
    result = run(client, name="rec-db-password", data="the-new-secret-value")[0]
    assert result["diff"]["before_header"] == "secret rec-db-password (current)"
    assert "the-new-secret-value" not in json.dumps(result)


# ---- what the service module looks up ----

@pytest.mark.parametrize("engine", ENGINES)
def test_current_version_and_the_reference_a_service_takes(engine):
    client = swarm(engine, rotated=True)
    current = so.current_version(client, "secret", "rec-db-password")
    newest = so.versions_of(client.objects["secrets"], "rec-db-password")[0]
    assert current == {"id": newest["ID"], "name": newest["Spec"]["Name"]}
    assert client.calls[-1] == ("secrets",)
    assert so.current_version(client, "config", "nothing") is None
    assert so.service_reference("secret", "db", current) == {
        "File": {"Name": "db", "UID": "0", "GID": "0", "Mode": 0o444}, "SecretID": current["id"],
        "SecretName": current["name"]}
    assert so.service_reference("config", "app", current, target="/etc/app.conf", uid=1000, mode=0o400)["File"] == {
        "Name": "/etc/app.conf", "UID": "1000", "GID": "0", "Mode": 0o400}
    assert so.service_reference("config", "app", current)["File"]["Name"] == "/app"


# ---- waiting for the services moved ----

class Clock(object):
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def waited(client, ids, timeout=10):
    clock = Clock()
    return so.wait_for_services(client, ids, timeout, clock=clock, sleep=clock.sleep), clock.now


@pytest.mark.parametrize("engine", ENGINES)
def test_a_service_whose_tasks_run_its_spec_is_done_after_the_monitor_period(engine):
    client = swarm(engine, rotated=True)
    web = next(s for s in client.services if so.service_name(s) == "rec-web")
    failures, slept = waited(client, [web["ID"]])
    assert failures == {} and 5.0 <= slept < 6.0


@pytest.mark.parametrize("engine", ENGINES)
def test_tasks_of_the_previous_spec_keep_it_waiting_until_the_timeout(engine):
    client = swarm(engine, rotated=True)
    client.tasks = load(engine, "tasks")  # the tasks of before the rotation
    web = next(s for s in client.services if so.service_name(s) == "rec-web")
    web["UpdateStatus"] = None
    failures, slept = waited(client, [web["ID"]], timeout=5)
    assert failures == {web["ID"]: "service rec-web: it did not converge within 5 s (0 of 1 tasks running)"}
    assert 5.0 <= slept < 6.0


@pytest.mark.parametrize("state,message", [
    ("paused", "service rec-web: its update was paused after tasks failed (update paused due to failure)"),
    ("rollback_completed", "service rec-web: the update failed and the service rolled back to its previous spec "
                           "(update rolled back)")])
def test_a_paused_or_rolled_back_update_fails_at_once(state, message):
    client = swarm(rotated=True)
    web = next(s for s in client.services if so.service_name(s) == "rec-web")
    web["UpdateStatus"] = {"State": state, "Message": message.split("(")[-1].rstrip(")")}
    assert waited(client, [web["ID"]]) == ({web["ID"]: message}, 0.0)


def test_services_removed_meanwhile_are_not_waited_for():
    client = swarm(rotated=True)
    assert waited(client, ["gone"]) == ({}, 0.0)


def test_a_failed_rollout_fails_the_items_that_moved_the_service():
    client = swarm()
    original = client._post_swarm_object

    def paused(path, path_args, body):
        answer = original(path, path_args, body)
        if path.startswith("/services/"):
            client.services[[s["ID"] for s in client.services].index(path_args[0])]["UpdateStatus"] = {
                "State": "paused", "Message": "task exited"}
        return answer
    client._post_swarm_object = paused
    result = run(client, name="rec-db-password", data="third")[0]
    assert result["failed"]
    assert result["msg"] == "service rec-web: its update was paused after tasks failed (task exited)"
    assert version_names(client.objects["secrets"], "rec-db-password")[0] == result["version"]


@pytest.mark.parametrize("hashed,salt", [
    (None, "00"), ("pbkdf2-sha256$1000$ab", None), ("md5$1000$ab", "00"), ("pbkdf2-sha256$x$ab", "00"),
    ("pbkdf2-sha256$\u0661\u0662$ab", "00"), ("pbkdf2-sha256$0$ab", "00"), ("pbkdf2-sha256$99999999$ab", "00"),
    ("pbkdf2-sha256$1000$ab", "not hex"), ("pbkdf2-sha256$1000", "00"),
])
def test_labels_that_are_not_a_valid_hash_never_match_and_their_salt_is_not_reused(hashed, salt):
    labels = {so.NAME_LABEL: "db", so.GENERATION_LABEL: "4"}
    labels.update((key, value) for key, value in ((so.HASH_LABEL, hashed), (so.SALT_LABEL, salt)) if value is not None)
    assert so._hash_label_parts(labels) is None
    version = {"ID": "v4", "Version": {"Index": 9}, "Spec": {"Name": "db-000000000000", "Labels": labels}}
    plan = so.plan_object(wanted(data="x", salt=b"n" * 16), [version], [])
    assert plan.action == "rotated" and plan.target["generation"] == 5
    assert plan.create["Labels"][so.SALT_LABEL] == (b"n" * 16).hex()


def test_labels_and_an_earlier_version_made_current_are_set_in_place():
    client = swarm(rotated=True)
    newest, earlier = version_names(client.objects["secrets"], "rec-db-password")
    relabelled = run(client, name="rec-db-password", data=FIRST, labels={"team": "ops"})[0]
    assert (relabelled["action"], relabelled["version"], relabelled["services"]) == ("rotated", earlier, ["rec-web"])
    assert so._labels(named(client.objects["secrets"], earlier))[so.GENERATION_LABEL] == "3"
    assert so._labels(named(client.objects["secrets"], earlier))["team"] == "ops"
    assert so.current_version(client, "secret", "rec-db-password")["name"] == earlier
    assert refs(client, "rec-web")[0]["SecretName"] == earlier
    assert [call[0] for call in client.writes] == ["post_json", "post_json"]  # the labels, then the service
    again = run(client, name="rec-db-password", data=FIRST, labels={"team": "ops", "tier": "db"})[0]
    assert again["action"] == "updated" and so._user_labels(named(client.objects["secrets"], earlier)) == {
        "team": "ops", "tier": "db"}
    assert newest in again["versions"]


def test_a_removal_the_engine_refuses_fails_the_item():
    client = swarm(rotated=True)
    client.fail["remove_secret"] = DockerError("Docker engine failed to remove secret x: busy (HTTP 500)")
    result = run(client, name="rec-db-password", data="third")[0]
    assert result["failed"] and result["changed"] and result["msg"].endswith("busy (HTTP 500)")
    assert result["services"] == ["rec-web"] and result["removed_versions"] == []


def test_a_service_removed_before_it_is_moved_is_left_alone():
    client = swarm()
    resource = so.SwarmObjects("secret", client, False, wait=True)
    results = converge(resource, params(name="rec-db-password", data="third"))
    client.services = [s for s in client.services if so.service_name(s) != "rec-web"]
    resource.finish(results)
    assert not results[0].get("failed") and results[0]["removed_versions"] == []


@pytest.mark.parametrize("update,task_state,why", [
    ({"State": "updating"}, "running", "its update did not complete within 2 s (1 of 1 tasks running)"),
    (None, "starting", "it did not converge within 2 s (0 of 1 tasks running)"),
])
def test_an_update_in_progress_or_a_task_starting_is_waited_for(update, task_state, why):
    client = swarm(rotated=True)
    web = next(s for s in client.services if so.service_name(s) == "rec-web")
    web["UpdateStatus"] = update
    for task in client.tasks:
        task["Status"]["State"] = task_state
    failures, slept = waited(client, [web["ID"]], timeout=2)
    assert failures == {web["ID"]: "service rec-web: " + why} and 2.0 <= slept < 2.5
