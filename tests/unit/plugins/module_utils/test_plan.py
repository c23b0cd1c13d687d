"""plan.data_digest must equal what a playbook computes with the builtin filters, or no plan is ever used."""
import pytest
from ansible.plugins.filter.core import get_hash, to_json

from ansible_collections.dockhand.docker.plugins.module_utils.plan import checked_plan, data_digest


@pytest.mark.parametrize("data", [
    [{"name": "web", "image": "app:1", "memory": "64m", "cpus": 0.25, "pids_limit": 64, "init": True}],
    {"path": "/etc/docker/daemon.json", "settings": {}, "remove": [], "log_driver": "", "log_opts": {"max-file": "3"}},
    [{"name": "café", "env": {"Z": None, "A": ["x", 1.5]}}],
    [],
])
def test_digest_is_the_controllers(data):
    controller = get_hash(to_json(data, sort_keys=True, separators=[",", ":"]), "sha256")
    assert data_digest(data) == controller


def test_digest_tells_items_apart():
    assert data_digest([{"memory": "64m"}]) != data_digest([{"memory": "96m"}])
    assert data_digest({"a": 1, "b": 2}) == data_digest({"b": 2, "a": 1})


def test_checked_plan_turns_a_failure_into_its_error():
    def work():
        raise ValueError("memory: 'lots' is not a size")
    plan = checked_plan([{"memory": "lots"}], "items_digest", work, actions={})
    assert plan == {"in_sync": False, "error": "memory: 'lots' is not a size", "actions": {},
                    "items_digest": data_digest([{"memory": "lots"}])}
    assert checked_plan([], "items_digest", lambda: dict(in_sync=True, actions={}))["in_sync"] is True
