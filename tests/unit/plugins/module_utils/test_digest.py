"""data_digest must equal what a playbook computes with the builtin filters, or no plan is ever used."""
import pytest
from ansible.plugins.filter.core import get_hash, to_json

from ansible_collections.dockhand.docker.plugins.module_utils.digest import data_digest


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
