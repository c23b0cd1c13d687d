import pytest
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.dockhand.docker.plugins.filter.engine_version import docker_host_state, engine_version_in_sync
from ansible_collections.dockhand.docker.plugins.filter.items import plan_digest, plan_in_sync

ORIGINAL = "20.10.24+dfsg1-1+deb12u1+b6"
BUMPED = ORIGINAL + "+dockhand1"


def package(version, held=True):
    return {"name": "docker.io", "version": version, "held": held}


@pytest.mark.parametrize("read, wanted, expected", [
    (package(ORIGINAL), "", True),
    (None, "", True),
    (None, None, True),
    (package(ORIGINAL), "20.10.24", True),
    (package(ORIGINAL), " 20.10.24 ", True),
    (package(ORIGINAL), ORIGINAL, True),
    (package(BUMPED), BUMPED, True),
    (package(ORIGINAL, held=False), ORIGINAL, False),
    (None, "20.10.24", False),
    (package(ORIGINAL), "26.1", False),
    # the repositories may offer ORIGINAL exactly: engine_package decides
    (package(BUMPED), ORIGINAL, False),
    ({"version": ORIGINAL}, ORIGINAL, False),
    ("20.10.24", "20.10.24", False),
])
def test_engine_version_in_sync(read, wanted, expected):
    assert engine_version_in_sync(read, wanted) is expected


# ---- docker_host_state: the docker_host role's rules in one call ----

OPTIONS = {"path": "/etc/docker/daemon.json", "settings": {}, "remove": [], "log_driver": "local",
           "log_opts": {"max-size": "10m"}}


def read_of(service_enabled=True, tls_listener_opened=False, restart_pending=False, pkg=None, daemon_in_sync=True,
            digest_of=None, host=True):
    digest_of = OPTIONS if digest_of is None else digest_of
    engine_host = {"service_enabled": service_enabled, "tls_listener_opened": tls_listener_opened,
                   "restart_pending": restart_pending, "package": pkg}
    return {"engine": {"host": engine_host} if host else {},
            "daemon_config_plan": {"in_sync": daemon_in_sync, "options_digest": plan_digest(digest_of)}}


def test_a_host_in_sync_has_no_work():
    state = docker_host_state(read_of(), OPTIONS)
    assert state == dict(in_sync=True, tls_was_on=False, version_in_sync=True, restart_was_pending=False,
                         version_pending=False, restart_due=False, config_may_change=False, work=False)


@pytest.mark.parametrize("read, kwargs, changed", [
    (read_of(service_enabled=False), {}, {"in_sync": False, "work": True}),
    (read_of(tls_listener_opened=True), {}, {"in_sync": False, "tls_was_on": True, "config_may_change": True,
                                             "work": True}),
    (read_of(), {"tls_listener": True}, {"in_sync": False, "config_may_change": True, "work": True}),
    (read_of(daemon_in_sync=False), {}, {"in_sync": False, "config_may_change": True, "work": True}),
    # a plan made for other options does not count
    (read_of(digest_of=dict(OPTIONS, log_driver="json-file")), {},
     {"in_sync": False, "config_may_change": True, "work": True}),
    (read_of(), {"engine_version": "26.1"}, {"in_sync": False, "version_in_sync": False, "work": True}),
    (read_of(pkg=package(ORIGINAL)), {"engine_version": "20.10.24"}, {}),
    (read_of(restart_pending=True), {}, {"restart_was_pending": True, "restart_due": True, "work": True}),
    (read_of(), {"restart_always": True}, {"restart_due": True, "work": True}),
    (read_of(), {"restart_needed": True}, {"restart_due": True, "work": True}),
    (read_of(), {"package_plan": {"version_pending": True}},
     {"version_pending": True, "restart_due": True, "work": True}),
    # no host block (not local, or an older read): the marker says whether a listener was opened
    (read_of(host=False), {"tls_marker": True},
     {"in_sync": False, "tls_was_on": True, "config_may_change": True, "work": True}),
    (read_of(host=False), {}, {"in_sync": False, "work": True}),
])
def test_each_rule(read, kwargs, changed):
    expected = docker_host_state(read_of(), OPTIONS)
    expected.update(changed)
    assert docker_host_state(read, OPTIONS, **kwargs) == expected


@pytest.mark.parametrize("read", [None, {}, "text", {"failed": True, "msg": "no engine"}, {"engine": None},
                                  {"engine": {"host": None}}, {"engine": {"host": "x"}}])
def test_no_usable_read_means_work(read):
    state = docker_host_state(read, OPTIONS)
    assert state["in_sync"] is False and state["work"] is True


def jinja_rules(read, tls_listener, tls_marker, engine_version, restart_always, restart_needed, package_plan):
    """The role's variables as they were written in Jinja before docker_host_state, term by term."""
    engine = read.get("engine") if isinstance(read, dict) else None
    engine_host = engine.get("host") if isinstance(engine, dict) else None
    host = engine_host or {}
    tls_was_on = (host.get("tls_listener_opened", False) if engine_host is not None else tls_marker)
    daemon = plan_in_sync(read, "daemon_config_plan", OPTIONS)
    version = engine_version_in_sync(host.get("package"), engine_version)
    in_sync = host.get("service_enabled", False) and not tls_listener and not tls_was_on and daemon and version
    restart_due = (restart_needed or host.get("restart_pending", False) or restart_always
                   or (package_plan or {}).get("version_pending", False))
    return bool(in_sync), bool(restart_due), bool(not in_sync or restart_due)


@given(service_enabled=st.booleans(), opened=st.booleans(), pending=st.booleans(), daemon=st.booleans(),
       held=st.sampled_from([None, True, False]), host=st.booleans(), tls_listener=st.booleans(),
       tls_marker=st.booleans(), engine_version=st.sampled_from(["", "20.10.24", "26.1"]),
       restart_always=st.booleans(), restart_needed=st.booleans(), version_pending=st.booleans())
def test_same_answers_as_the_jinja_rules(service_enabled, opened, pending, daemon, held, host, tls_listener,
                                         tls_marker, engine_version, restart_always, restart_needed,
                                         version_pending):
    pkg = None if held is None else package(ORIGINAL, held=held)
    read = read_of(service_enabled, opened, pending, pkg, daemon, host=host)
    package_plan = {"version_pending": version_pending}
    state = docker_host_state(read, OPTIONS, tls_listener=tls_listener, tls_marker=tls_marker,
                              engine_version=engine_version, restart_always=restart_always,
                              restart_needed=restart_needed, package_plan=package_plan)
    in_sync, restart_due, work = jinja_rules(read, tls_listener, tls_marker, engine_version, restart_always,
                                             restart_needed, package_plan)
    assert (state["in_sync"], state["restart_due"], state["work"]) == (in_sync, restart_due, work)
