"""Bad input to the swarm's workload modules (service, service_info, network, secret, config) on a manager of
the lab's swarm: one line each, no traceback, no secret shown, and nothing created or changed in the swarm."""
import json

import pytest

from ansible_runner import run_playbook
from swarm_tools import node_docker, reset_swarm

pytestmark = pytest.mark.lab

NODES = ["dockhand-node%d" % i for i in range(1, 6)]
MANAGER = NODES[0]
IMAGE = "dockhand-test/busybox:latest"
SECRET = "workloads-bad-input-s3cr3t"
S = dict(name="bad-svc", image=IMAGE, resolve_image="never", args=["sleep", "60"], endpoint_mode="dnsrr")

ROWS = [
    ("service", dict(S, limits={"memory": "lots"}), "limits.memory"),
    ("service", dict(S, limits={"memory": "1m"}), "limits.memory"),
    ("service", dict(S, limits={"cpus": "0"}), "limits.cpus"),
    ("service", dict(S, limits={"memroy": "64m"}), "memroy"),
    ("service", dict(S, reservations={"memory": "64m", "pids": 3}), "pids"),
    ("service", dict(S, mode="global", replicas=3), "replicas applies"),
    ("service", dict(S, mode="sometimes"), "mode"),
    ("service", dict(S, update_config={"order": "random"}), "order"),
    ("service", dict(S, update_config={"monitor": "soon"}), "update_config.monitor"),
    ("service", dict(S, placement={"preferences": [{"pack": "x"}]}), "placement.preferences"),
    ("service", dict(S, publish=[{"target": 99999}]), "publish[0].target"),
    ("service", dict(S, publish=[{"published": 80}]), "target"),
    ("service", dict(S, networks=["no-such-network"]), "no-such-network"),
    ("service", dict(S, secrets=[{"name": "no-such-secret"}]), "no-such-secret"),
    ("service", dict(S, env={"A=B": "1"}), "variable name"),
    ("service", dict(S, env={"API_TOKEN": {"v": SECRET}}), "env.API_TOKEN"),
    ("service", dict(S, workdir="relative"), "working_dir"),
    ("service", dict(S, image="Upper/Case:1", resolve_image="always"), "lowercase"),
    ("service", dict(S, image="127.0.0.1:5999/none/app:1", resolve_image="always"), "127.0.0.1:5999"),
    ("service", dict(S, registry_auth={"username": "u"}), "password"),
    ("service", dict(S, log_driver="splunk", log_options={"splunk-url": "https://s:8088"}), "splunk-token"),
    ("service", dict(image=IMAGE, services=[{"name": "a"}, {"name": "a"}]), "used twice"),
    ("service", dict(image=IMAGE, services=[{"name": "a", "colour": "red"}]), "unknown option"),
    ("service", dict(S, wait_timeout="inf"), "wait_timeout"),
    ("service_info", dict(name="a", names=["b"]), "mutually exclusive"),
    ("service_info", dict(names=["web", " "]), "must not be empty"),
    ("network", dict(name="bad-net", driver="overlay", ipam={"config": [{"subnet": "10.300.0.0/24"}]}), "10.300"),
    ("network", dict(name="bad-net", driver="overlay", ipam={"config": [{"subnet": "10.30.0.0/24",
                                                                         "gateway": "10.31.0.1"}]}), "gateway"),
    ("network", dict(name="bad-net", driver="overlay", ipam={"config": [{"subnt": "10.30.0.0/24"}]}), "subnt"),
    ("network", dict(name="bad-net", driver="overlay", scope="galaxy"), "scope"),
    ("network", dict(name="bad-net", driver="overlay", labels={"a": ["b"]}), "labels"),
    ("network", dict(name="bad-net", driver="no such/driver!"), "driver"),
    ("network", dict(name="bad-net", driver="bridge", encrypted=True), "encrypted"),
    ("network", dict(name="ingress", state="absent"), "ingress"),
    ("network", dict(networks=[{"name": "n"}, {"name": "n"}]), "used twice"),
    ("network", dict(name="bad-net", wait_timeout=0), "wait_timeout"),
    ("secret", dict(name="bad-secret"), "data"),
    ("secret", dict(name="bad-secret", data=SECRET, src="/etc/hostname"), "not both"),
    ("secret", dict(name="bad secret!", data=SECRET), "bad secret!"),
    ("secret", dict(name="bad-secret", src="/nonexistent/file"), "/nonexistent/file"),
    ("secret", dict(name="bad-secret", data=SECRET, keep_versions=-1), "keep_versions"),
    ("config", dict(name="bad-config", data="x", template_driver="jinja"), "template_driver"),
    ("config", dict(name="bad-config", data="x" * 600 * 1024), "500"),
    ("config", dict(configs=[{"name": "c", "data": "x"}, {"name": "c", "data": "y"}]), "used twice"),
]


def swarm_objects():
    out = {}
    for kind in ("service", "secret", "config", "network"):
        out[kind] = sorted(node_docker(MANAGER, kind, "ls", "--format", "{{.ID}} {{.Name}}").splitlines())
    # The engine makes docker_gwbridge on its own a moment after the swarm starts.
    out["network"] = [line for line in out["network"] if not line.endswith(" docker_gwbridge")]
    return out


@pytest.fixture(scope="module")
def swarm(lab_nodes):
    address = dict((node["name"], node["address"]) for node in lab_nodes["nodes"])
    reset_swarm(NODES)
    node_docker(MANAGER, "swarm", "init", "--advertise-addr", address[MANAGER])
    yield lab_nodes
    reset_swarm(NODES)


def test_bad_workload_input_is_one_line_and_changes_nothing(swarm):
    tasks = [{"name": "row %d" % index, "dockhand.docker.%s" % module: args, "ignore_errors": True}
             for index, (module, args, _fragment) in enumerate(ROWS)]
    before = swarm_objects()
    run = run_playbook(tasks, hosts=MANAGER, inventory=swarm, extra_args=["-vvv"], timeout=900)
    assert swarm_objects() == before
    problems = []
    for index, (module, args, fragment) in enumerate(ROWS):
        result = run.result(MANAGER, task=index)
        msg = str(result.get("msg", ""))
        where = "row %d (%s %s)" % (index, module, json.dumps(args)[:100])
        if not result.get("failed"):
            problems.append("%s did not fail" % where)
        elif "\n" in msg.strip() or "Traceback" in msg + str(result.get("exception")) or "unexpected" in msg:
            problems.append("%s: not one clean line: %r" % (where, msg[:400]))
        elif fragment.lower() not in msg.lower():
            problems.append("%s: %r does not say %r" % (where, msg[:300], fragment))
    if SECRET in run.stdout + run.stderr:
        problems.append("the secret appears in the output")
    assert not problems, "\n".join(problems)
    assert len(ROWS) >= 20
