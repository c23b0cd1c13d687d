from ansible_collections.dockhand.docker.plugins.module_utils.engine import (
    engine_facts,
    host_facts,
    installed_package,
    restart_pending,
    swarm_facts,
)


class Client:
    docker_host = "unix:///var/run/docker.sock"
    api_version = "1.41"
    sdk_version = "5.0.3"


INFO = {
    "Name": "node1", "ID": "ABCD", "ServerVersion": "20.10.24", "Driver": "overlay2",
    "LoggingDriver": "json-file", "CgroupDriver": "cgroupfs", "CgroupVersion": "1", "NCPU": 2,
    "MemTotal": 1 << 30, "Containers": 5, "ContainersRunning": 2, "ContainersPaused": 1,
    "ContainersStopped": 2, "Images": 7, "OperatingSystem": "Debian GNU/Linux 12 (bookworm)",
    "Plugins": {"Log": ["syslog", "json-file", "local"]}, "DockerRootDir": "/var/lib/docker",
    "Swarm": {"LocalNodeState": "inactive", "NodeID": "", "ControlAvailable": False},
}
VERSION = {"Version": "20.10.24", "ApiVersion": "1.41", "MinAPIVersion": "1.12", "Os": "linux", "Arch": "amd64"}


def test_flattened_engine_facts():
    facts = engine_facts(INFO, VERSION, Client())
    assert facts["server_version"] == "20.10.24"
    assert facts["api_version"] == "1.41" and facts["api_version_used"] == "1.41"
    assert facts["containers"] == {"total": 5, "running": 2, "paused": 1, "stopped": 2}
    assert facts["log_drivers"] == ["json-file", "local", "syslog"]
    assert facts["memory_bytes"] == 1073741824
    assert facts["cgroup_version"] == "1"
    assert facts["sdk_version"] == "5.0.3"
    assert facts["swarm"]["state"] == "inactive" and facts["swarm"]["cluster_id"] is None


def test_older_engines_without_cgroup_version():
    info = dict(INFO)
    del info["CgroupVersion"]
    assert engine_facts(info, VERSION, Client())["cgroup_version"] is None


def test_manager_of_an_active_swarm():
    swarm = swarm_facts({"Swarm": {"LocalNodeState": "active", "NodeID": "n1", "NodeAddr": "172.30.77.11",
                                   "ControlAvailable": True, "Cluster": {"ID": "c1"}, "Managers": 3,
                                   "Nodes": 5}})
    assert swarm == {"state": "active", "node_id": "n1", "node_address": "172.30.77.11", "is_manager": True,
                     "cluster_id": "c1", "managers": 3, "nodes": 5, "error": ""}


def test_worker_does_not_claim_manager_counts():
    swarm = swarm_facts({"Swarm": {"LocalNodeState": "active", "NodeID": "n4", "ControlAvailable": False,
                                   "Managers": 0, "Nodes": 0}})
    assert swarm["is_manager"] is False and swarm["managers"] is None and swarm["nodes"] is None


def test_locked_swarm_state_passes_through():
    assert swarm_facts({"Swarm": {"LocalNodeState": "locked"}})["state"] == "locked"


def test_host_facts_systemd_enabled_and_disabled(tmp_path):
    (tmp_path / "run" / "systemd" / "system").mkdir(parents=True)
    assert host_facts(str(tmp_path)) == {"init_system": "systemd", "service_enabled": False}
    wants = tmp_path / "etc" / "systemd" / "system" / "multi-user.target.wants"
    wants.mkdir(parents=True)
    (wants / "other.service").write_text("")
    assert host_facts(str(tmp_path)) == {"init_system": "systemd", "service_enabled": False}
    # `systemctl enable` makes a link; it counts even when its target is not under this root.
    (wants / "docker.service").symlink_to(tmp_path / "missing" / "docker.service")
    assert host_facts(str(tmp_path)) == {"init_system": "systemd", "service_enabled": True}


def test_host_facts_init_scripts(tmp_path):
    (tmp_path / "etc" / "rc2.d").mkdir(parents=True)
    assert host_facts(str(tmp_path)) == {"init_system": "sysv", "service_enabled": False}
    (tmp_path / "etc" / "rc2.d" / "K01docker").write_text("")
    assert host_facts(str(tmp_path)) == {"init_system": "sysv", "service_enabled": False}
    (tmp_path / "etc" / "rc2.d" / "S01docker").write_text("")
    assert host_facts(str(tmp_path)) == {"init_system": "sysv", "service_enabled": True}


def test_restart_pending_is_the_marker_or_a_link_to_nothing(tmp_path):
    assert restart_pending(str(tmp_path)) is False
    marker = tmp_path / "var" / "lib" / "dockhand" / "restart-pending"
    marker.parent.mkdir(parents=True)
    marker.symlink_to(tmp_path / "nowhere")
    assert restart_pending(str(tmp_path)) is True


DPKG_STATUS = """Package: containerd
Status: install ok installed
Version: 1.6.20~ds1-1+b1
Description: daemon
 docker.io mentioned in a description line
 Package: docker.io

Package: docker.io
Status: hold ok installed
Priority: optional
Version: 20.10.24+dfsg1-1+deb12u1+b6
Depends: adduser,
 containerd
Description: Linux container runtime

Package: runc
Status: deinstall ok config-files
Version: 1.1.5+ds1-1+deb12u1
"""


def _status(tmp_path, text):
    path = tmp_path / "var" / "lib" / "dpkg" / "status"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_installed_package_reads_version_and_hold(tmp_path):
    assert installed_package("docker.io", str(tmp_path)) is None  # no dpkg
    _status(tmp_path, DPKG_STATUS)
    assert installed_package("docker.io", str(tmp_path)) == {
        "name": "docker.io", "version": "20.10.24+dfsg1-1+deb12u1+b6", "held": True}
    assert installed_package("containerd", str(tmp_path)) == {
        "name": "containerd", "version": "1.6.20~ds1-1+b1", "held": False}
    # removed with its configuration left, or never there
    assert installed_package("runc", str(tmp_path)) is None
    assert installed_package("docker-ce", str(tmp_path)) is None


def test_installed_package_unpacked_only_is_not_installed(tmp_path):
    _status(tmp_path, "Package: docker.io\nStatus: install ok unpacked\nVersion: 20.10.24+dfsg1-1\n")
    assert installed_package("docker.io", str(tmp_path)) is None
