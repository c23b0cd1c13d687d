"""What engine_info reported must be true on the node itself."""


def test_dockerd_runs_under_systemd(host):
    assert host.service("docker").is_running
    assert host.service("docker").is_enabled


def test_engine_answers_on_its_socket(host):
    assert host.socket("unix:///run/docker.sock").is_listening
    out = host.check_output("docker info --format '{{.Name}} {{.Driver}} {{.Swarm.LocalNodeState}}'")
    name, driver, swarm_state = out.split()
    assert name == host.check_output("hostname")
    assert driver in ("overlay2", "vfs", "fuse-overlayfs")
    assert swarm_state == "inactive"


def test_python_sdk_is_debians(host):
    pkg = host.package("python3-docker")
    assert pkg.is_installed
    assert pkg.version.startswith("5.0.3")
