"""dig and HostvarsOnce: how the collection's filters read hostvars."""
from collections.abc import Mapping

from ansible_collections.dockhand.docker.plugins.filter.hazards import site_hazards
from ansible_collections.dockhand.docker.plugins.filter.site import site_summary
from ansible_collections.dockhand.docker.plugins.plugin_utils.facts import HostvarsOnce, dig


class CountingHostvars(Mapping):
    """hostvars that counts how often each host's variables are worked out, as Ansible does at each access."""

    def __init__(self, hosts):
        self.hosts, self.reads = hosts, {}

    def __getitem__(self, host):
        self.reads[host] = self.reads.get(host, 0) + 1
        return dict(self.hosts[host])

    def __contains__(self, host):
        # As Ansible's: whether a host is known costs no read of its variables.
        return host in self.hosts

    def __iter__(self):
        return iter(self.hosts)

    def __len__(self):
        return len(self.hosts)


READ = {"engine": {"server_version": "26.1.5", "logging_driver": "json-file"},
        "checks": {"ports": [], "swarm_state": "inactive"}}
HOSTS = {"h1": {"docker_host_preflight": READ}, "h2": {"docker_host_preflight": READ}}


def test_each_host_is_read_once_and_answers_as_before():
    counting = CountingHostvars(HOSTS)
    once = HostvarsOnce(counting)
    assert dig(once, "h1", "docker_host_preflight", "engine", "server_version") == "26.1.5"
    assert dig(once, "h1", "docker_host_preflight", "checks", "ports") == []
    assert "h2" in once and "h3" not in once and len(once) == 2 and sorted(once) == ["h1", "h2"]
    assert dig(once, "h3", "x", default="none") == "none"
    assert counting.reads == {"h1": 1}


def test_the_hazards_and_the_summary_read_each_host_once():
    for filtered in (lambda hv: site_hazards(hv, ["h1", "h2"], now=0), lambda hv: site_summary(hv, ["h1", "h2"])):
        counting = CountingHostvars(HOSTS)
        assert filtered(counting) == filtered(HOSTS)
        assert counting.reads == {"h1": 1, "h2": 1}
