from ansible_collections.dockhand.docker.plugins.module_utils.diff import SECRET_MASK, ChangeSet, whole_diff


def test_equal_values_are_not_recorded():
    changes = ChangeSet()
    assert changes.compare("memory", 64, 64) is False
    assert not changes
    assert len(changes) == 0
    assert changes.as_diff() == {"before": {}, "after": {}}


def test_only_differences_appear_in_the_diff():
    changes = ChangeSet()
    changes.compare("memory", "64m", "128m")
    changes.compare("cpus", "0.5", "0.5")
    changes.compare("image", "a:1", "a:2")
    assert bool(changes) and len(changes) == 2
    assert changes.keys() == ["image", "memory"]
    diff = changes.as_diff("web")
    assert diff == {"before": {"memory": "64m", "image": "a:1"}, "after": {"memory": "128m", "image": "a:2"},
                    "before_header": "web (current)", "after_header": "web (wanted)"}


def test_secrets_are_masked_but_still_count_as_changes():
    changes = ChangeSet(secret_keys=["password"])
    changes.compare("password", "old-secret", "new-secret")
    changes.compare("user", "a", "b")
    diff = changes.as_diff()
    assert diff["before"] == {"password": SECRET_MASK, "user": "a"}
    assert diff["after"] == {"password": SECRET_MASK, "user": "b"}
    assert "old-secret" not in repr(diff) and "new-secret" not in repr(diff)


def test_an_absent_secret_shows_as_none():
    changes = ChangeSet(secret_keys=["token"])
    changes.compare("token", None, "s3cret")
    assert changes.before() == {"token": None}
    assert changes.after() == {"token": SECRET_MASK}


def test_merge_prefixes_keys_and_keeps_secrets_masked():
    inner = ChangeSet(secret_keys=["password"])
    inner.compare("password", "x", "y")
    inner.compare("email", "a@b", "c@d")
    outer = ChangeSet()
    outer.merge(inner, prefix="registry")
    assert outer.keys() == ["registry.email", "registry.password"]
    assert outer.after() == {"registry.email": "c@d", "registry.password": SECRET_MASK}


def test_add_records_even_equal_values():
    changes = ChangeSet()
    changes.add("state", "running", "running")
    assert changes.keys() == ["state"]


def test_whole_diff_for_creation_and_removal():
    assert whole_diff(None, {"name": "web"}) == {"before": {}, "after": {"name": "web"}}
    assert whole_diff({"name": "web"}, None, "web")["after_header"] == "web (wanted)"
