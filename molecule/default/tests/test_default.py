"""What site.yml left on each node, read with the docker CLI and the node's own files."""
import json

MANAGERS = ["dh-molecule-node1", "dh-molecule-node2", "dh-molecule-node3"]
WORKERS = ["dh-molecule-node4", "dh-molecule-node5"]
IMAGE = "127.0.0.1:5000/dockhand/demo-app:1.0"


def name_of(host):
    return host.check_output("hostname")


def docker_json(host, *args):
    return json.loads(host.check_output("docker " + " ".join(args)))


def test_docker_host_stage_set_the_logging_driver(host):
    config = json.loads(host.file("/etc/docker/daemon.json").content_string)
    assert config["log-driver"] == "local"
    assert config["log-opts"] == {"max-size": "10m", "max-file": "3"}
    assert host.check_output("docker info --format '{{.LoggingDriver}}'") == "local"


def test_images_stage_built_and_pushed_the_demo_app(host):
    if name_of(host) != MANAGERS[0]:
        return
    labels = docker_json(host, "image", "inspect", "--format", "'{{json .Config.Labels}}'", IMAGE)
    assert labels["org.opencontainers.image.title"] == "dockhand demo app"
    # The registry (relayed to 127.0.0.1:5000 in the node) holds the digest the engine pushed.
    pushed = docker_json(host, "image", "inspect", "--format", "'{{json .RepoDigests}}'", IMAGE)
    manifest = host.check_output(
        "python3 -c \"import urllib.request as u; r = u.urlopen(u.Request('http://127.0.0.1:5000/v2/dockhand/demo-app/"
        "manifests/1.0', method='HEAD', headers={'Accept': 'application/vnd.docker.distribution.manifest.v2+json'}));"
        " print(r.headers['Docker-Content-Digest'])\"")
    assert "127.0.0.1:5000/dockhand/demo-app@" + manifest in pushed


def test_swarm_stage_formed_three_managers_and_two_workers(host):
    info = docker_json(host, "info", "--format", "'{{json .Swarm}}'")
    assert info["LocalNodeState"] == "active"
    assert info["ControlAvailable"] is (name_of(host) in MANAGERS)
    if name_of(host) in MANAGERS:
        nodes = [json.loads(line) for line in host.check_output("docker node ls --format '{{json .}}'").splitlines()]
        assert sorted(node["Hostname"] for node in nodes) == MANAGERS + WORKERS
        assert sorted(node["ManagerStatus"] for node in nodes if node["ManagerStatus"]) == [
            "Leader", "Reachable", "Reachable"]
        assert all(node["Status"] == "Ready" for node in nodes)


def test_containers_stage_runs_the_demo_app_with_its_limits(host):
    if name_of(host) not in WORKERS:
        assert "demo-web" not in host.check_output("docker ps -a --format '{{.Names}}'").split()
        return
    container = docker_json(host, "inspect", "demo-web")[0]
    assert container["State"]["Running"] is True
    assert container["Config"]["Image"] == IMAGE
    limits = container["HostConfig"]
    assert limits["Memory"] == 64 * 1024 * 1024 and limits["MemoryReservation"] == 32 * 1024 * 1024
    assert limits["NanoCpus"] == 250000000 and limits["PidsLimit"] == 64
    assert limits["CapDrop"] == ["ALL"] and limits["LogConfig"]["Type"] == "local"
    page = host.check_output("docker exec demo-web wget -qO- http://127.0.0.1:8080/greeting.txt")
    assert page == "hello from dockhand"


def test_services_stage_runs_the_demo_service_on_the_app_workers(host):
    if name_of(host) != MANAGERS[0]:
        return
    service = docker_json(host, "service", "inspect", "demo-svc")[0]
    template = service["Spec"]["TaskTemplate"]
    assert template["ContainerSpec"]["Image"].startswith(IMAGE + "@sha256:")
    assert template["Resources"]["Limits"] == {"MemoryBytes": 64 * 1024 * 1024, "NanoCPUs": 250000000}
    assert [secret["SecretName"] for secret in template["ContainerSpec"]["Secrets"]][0].startswith("demo_token")
    tasks = host.check_output("docker service ps --filter desired-state=running --format '{{.Node}} {{.CurrentState}}'"
                              " demo-svc").splitlines()
    assert len(tasks) == 2 and all(line.split()[0] in WORKERS and "Running" in line for line in tasks), tasks
