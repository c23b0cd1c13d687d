"""The secret and config modules driven with generated input through their argument specs and the frame.

As test_module_inputs_property does for the other modules: the module's own argument spec is applied as
AnsibleModule would, then the items go through the frame (converge, then the services moved, waited for
and old versions removed: SwarmObjects.finish) against a stand-in engine holding the secrets, configs
and services recorded on the lab's swarm. Each input must end in a result or one line - never another
exception - input refused as invalid must have changed nothing, and the data given (marked so that it
can be searched for) must never appear in what the module returns or shows of its parameters.
"""
import copy
import json
import os
import shutil
import tempfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.dockhand.docker.plugins.module_utils import frame, rollout
from ansible_collections.dockhand.docker.plugins.module_utils import swarm_objects as so
from ansible_collections.dockhand.docker.tests.unit.engine_fixtures import load
from ansible_collections.dockhand.docker.tests.unit.fake_engine import FakeClient, VirtualTime
from ansible_collections.dockhand.docker.tests.unit.strategies import weighted
from ansible_collections.dockhand.docker.tests.unit.test_module_inputs_property import (
    ANY,
    HOSTILE_TEXT,
    SETTINGS,
    outcome,
    validated,
)

ENGINE = "engine-26.1"
MARK = "DATA-7f3a-"  # every generated data value starts so: the marker must never come back
COUNT = {}

# Files for src, made by the fixture below (the strategies need their paths first).
FILES = os.path.join(tempfile.gettempdir(), "dockhand-swarm-objects-%d" % os.getpid())
FILE_CONTENTS = {"small": b"listen 80\n", "empty": b"", "blank": b" \n", "big": b"x" * (so.MAX_DATA + 1)}

VALUES = {
    "name": st.sampled_from(["rec-db-password", "rec-app-conf", "rec-greeting", "rec-legacy", "web", "a", "b.c",
                             "bad name", "", "-x", "x-", "a" * 51, "a" * 52, "\u00e9t\u00e9"]),
    "state": weighted((8, st.sampled_from(["present", "absent"])), (1, st.just("gone"))),
    "data": st.one_of(st.text(max_size=20).map(lambda text: MARK + text),
                      st.sampled_from([MARK + "  ", MARK + "x" * so.MAX_DATA, MARK + "\ud800", "", "   ",
                                       "ZGF0YQ==", "not base64!"])),
    "data_is_b64": st.booleans(),
    "src": st.sampled_from([os.path.join(FILES, name) for name in ("small", "empty", "blank", "big", "missing")]
                           + [FILES, "", "\x00", "relative/x"]),
    "labels": st.one_of(st.dictionaries(st.sampled_from(["team", "tier", "", "dockhand.docker.name", "a=b"]),
                                        st.one_of(st.text(max_size=5), st.integers(), st.booleans(), st.none(),
                                                  st.lists(st.text(max_size=2), max_size=1)), max_size=3)),
    "keep_versions": st.integers(min_value=-2, max_value=120),
    "template_driver": st.sampled_from(["golang", "jinja", ""]),
    "force": st.booleans(),
    "wait": st.booleans(),
    "wait_timeout": st.integers(min_value=-1, max_value=5),
}


def value(name):
    """Mostly plausible values (to get deep into the code), now and then anything."""
    return weighted((8, VALUES.get(name, ANY)), (1, ANY), (1, HOSTILE_TEXT))


def options(spec, leave_out=(), extra_key=False):
    names = sorted(name for name in spec if name not in leave_out) + (["not_an_option"] if extra_key else [])
    return st.lists(st.sampled_from(names), max_size=5, unique=True).flatmap(
        lambda chosen: st.fixed_dictionaries(dict((name, value(name)) for name in chosen)))


def parameters(kind):
    form = so.FORMS[kind]
    module_only = ["force", "wait", "wait_timeout"]
    top = options(dict((name, None) for name in list(form.item_spec) + module_only), leave_out=("name",))
    item = st.tuples(VALUES["name"], options(form.item_spec, leave_out=("name",), extra_key=True)).map(
        lambda pair: dict(pair[1], name=pair[0]))
    items = st.lists(weighted((6, item), (1, ANY)), max_size=4)
    return st.tuples(top, st.one_of(st.builds(lambda name: {"name": name}, VALUES["name"]),
                                    st.builds(lambda entries: {form.list_key: entries}, items)))


def engine_with_fast_hashes():
    """The recorded swarm; the versions' hash labels say 1 round, so that matching them costs nothing."""
    objects = {}
    for plural in ("secrets", "configs"):
        objects[plural] = load(ENGINE, plural)
        for obj in objects[plural]:
            labels = obj["Spec"].get("Labels") or {}
            if so.HASH_LABEL in labels:
                labels[so.HASH_LABEL] = labels[so.HASH_LABEL].replace("$%d$" % 200000, "$1$")
    return dict(info=load(ENGINE, "info-leader"), services=load(ENGINE, "services"), tasks=load(ENGINE, "tasks"),
                **objects)


RECORDED = engine_with_fast_hashes()


@pytest.fixture(autouse=True, scope="module")
def src_files():
    os.mkdir(FILES)
    for name, content in FILE_CONTENTS.items():
        with open(os.path.join(FILES, name), "wb") as handle:
            handle.write(content)
    yield
    shutil.rmtree(FILES)


@pytest.fixture(autouse=True)
def one_round(monkeypatch):
    monkeypatch.setattr(so, "ITERATIONS", 1)
    monkeypatch.setattr(so, "time", VirtualTime())
    # Fewer polls of the stand-in engine per rollout: what is driven here is the input, not the waiting.
    monkeypatch.setattr(rollout, "POLL_SECONDS", 2.5)


def drive(kind, parts, check_mode):
    params = validated(so.FORMS[kind], parts)
    if params is None:
        return COUNT.setdefault(kind, {}).setdefault("refused by the argument spec", []).append(1)
    client = FakeClient(**copy.deepcopy(RECORDED))
    results = []

    def run():
        resource = so.SwarmObjects(kind, client, check_mode, diff=True, force=params["force"], wait=params["wait"],
                                   wait_timeout=params["wait_timeout"])
        results.extend(frame.converge(resource, params))
        resource.finish(results)
        return results
    COUNT.setdefault(kind, {}).setdefault(outcome(run, client), []).append(1)
    shown = json.dumps([results, so.masked_params(params)], default=repr)
    assert MARK not in shown, "the data came back"
    if check_mode:
        assert client.writes == []


@settings(max_examples=1600, **SETTINGS)
@given(parts=parameters("secret"), check_mode=st.booleans())
def test_secret_module_inputs(parts, check_mode):
    drive("secret", parts, check_mode)


@settings(max_examples=1600, **SETTINGS)
@given(parts=parameters("config"), check_mode=st.booleans())
def test_config_module_inputs(parts, check_mode):
    drive("config", parts, check_mode)


def test_zz_report_the_generated_inputs(capsys):
    # Runs last in this file: how many inputs each module got, and how they ended.
    counts = dict((kind, dict((how, len(hits)) for how, hits in ends.items())) for kind, ends in COUNT.items())
    with capsys.disabled():
        print("\ngenerated secret/config inputs: %s" % counts)
    if os.environ.get("HYPOTHESIS_PROFILE") != "quick":
        for kind in ("secret", "config"):
            assert sum(counts.get(kind, {}).values()) >= 1500
            assert counts[kind].get("done", 0) >= 100, counts[kind]
