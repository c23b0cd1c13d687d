"""After the docker_host role: daemon.json key by key, the engine running with it."""
import json


def test_daemon_json_holds_managed_and_unmanaged_keys(host):
    config = json.loads(host.file("/etc/docker/daemon.json").content_string)
    assert config["log-driver"] == "local"
    assert config["log-opts"] == {"max-size": "5m", "max-file": "2"}
    assert config["max-concurrent-downloads"] == 4  # placed by prepare, not managed by the role
    assert host.file("/etc/docker/daemon.json").mode == 0o644


def test_engine_uses_the_driver(host):
    assert host.check_output("docker info --format '{{.LoggingDriver}}'") == "local"
    assert host.service("docker").is_running and host.service("docker").is_enabled


def test_new_containers_get_the_driver(host):
    host.run("docker rm -f dh-logcheck")
    host.check_output("docker run -d --name dh-logcheck dockhand-test/busybox:latest sleep 60")
    try:
        log_config = json.loads(host.check_output("docker inspect -f '{{json .HostConfig.LogConfig}}' dh-logcheck"))
        assert log_config["Type"] == "local"
    finally:
        host.run("docker rm -f dh-logcheck")
