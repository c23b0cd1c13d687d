"""Reading and resetting swarms on the lab nodes with the plain docker CLI (the independent view)."""
import json
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor


def node_docker(node, *args, check=True):
    """`docker ARGS` inside a lab node; stdout stripped."""
    proc = subprocess.run(["docker", "exec", node, "docker"] + list(args), capture_output=True, text=True,
                          check=False, timeout=120)
    if check and proc.returncode != 0:
        raise AssertionError("%s: docker %s: %s" % (node, " ".join(args), proc.stderr))
    return proc.stdout.strip()


def cli_swarm(address, managers, workers=()):
    """A swarm formed with the plain CLI: the first manager creates it, the others join (``address``:
    {node: its address}). Returns the join tokens by role."""
    first = managers[0]
    node_docker(first, "swarm", "init", "--advertise-addr", address[first])
    tokens = dict((role, node_docker(first, "swarm", "join-token", "-q", role)) for role in ("manager", "worker"))
    for role, names in (("manager", managers[1:]), ("worker", workers)):
        for name in names:
            node_docker(name, "swarm", "join", "--advertise-addr", address[name], "--token", tokens[role],
                        "%s:2377" % address[first])
    return tokens


def swarm_state(node):
    """The node's view of the swarm: LocalNodeState, NodeID, cluster ID (managers only), role."""
    info = json.loads(node_docker(node, "info", "--format", "{{json .Swarm}}"))
    return dict(state=info["LocalNodeState"], node_id=info["NodeID"], manager=info["ControlAvailable"],
                cluster_id=(info.get("Cluster") or {}).get("ID"))


def node_list(manager):
    """`docker node ls` from a manager as dicts (Hostname, ID, Status, ManagerStatus, Availability)."""
    lines = node_docker(manager, "node", "ls", "--format", "{{json .}}").splitlines()
    return [json.loads(line) for line in lines]


def managers_of(manager):
    return sorted(node["Hostname"] for node in node_list(manager) if node["ManagerStatus"])


def wait_for(what, predicate, timeout=90, interval=1.0):
    """Poll ``predicate`` until it returns a true value (returned); fail naming ``what``."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
        except AssertionError as exc:  # a manager without a leader answers with an error for a while
            last = exc
        else:
            if last:
                return last
        time.sleep(interval)
    raise AssertionError("timed out after %ds waiting for %s (last: %r)" % (timeout, what, last))


def leader_of(manager):
    """Hostname of the leader as ``manager`` sees it, or None."""
    leaders = [node["Hostname"] for node in node_list(manager) if node["ManagerStatus"] == "Leader"]
    return leaders[0] if leaders else None


def start_node(name):
    """Start a stopped lab node and wait until its engine answers."""
    subprocess.run(["docker", "start", name], check=True, capture_output=True, timeout=120)
    wait_for("the engine in %s" % name, lambda: node_docker(name, "info", "--format", "{{.Name}}", check=False))


def reset_swarm(nodes):
    """Every lab node running and in no swarm (a bare lab for the next test)."""
    def reset(name):
        running = subprocess.run(["docker", "inspect", "--format", "{{.State.Running}}", name],
                                 capture_output=True, text=True, check=False).stdout.strip()
        if running != "true":
            start_node(name)
        node_docker(name, "swarm", "leave", "--force", check=False)
    with ThreadPoolExecutor(len(nodes)) as pool:
        list(pool.map(reset, nodes))


def swarm_report(nodes, log_lines=15):
    """What each node's engine says of the swarm, and the end of the engine's log of each node not
    active in it (of every node when all are): printed when a lab test fails, so a failure seen once
    in CI can be read afterwards. CI keeps the end of long output, so the short parts come first."""
    def state(name):
        answer = subprocess.run(["docker", "exec", name, "docker", "info", "--format",
                                 "{{.Swarm.LocalNodeState}} {{.Swarm.NodeID}} control={{.Swarm.ControlAvailable}}"
                                 " {{.Swarm.Error}}"],
                                capture_output=True, text=True, check=False, timeout=60)
        return (answer.stdout + answer.stderr).strip()

    def log(name):
        # grpc's connection chatter would push what matters out of the lines CI keeps.
        tail = subprocess.run(["docker", "exec", name, "sh", "-c",
                               "(journalctl -u docker --no-pager -n 400 2>/dev/null || tail -n 400 /var/log/docker.log)"
                               " | grep -v module=grpc | tail -n %d" % log_lines],
                              capture_output=True, text=True, check=False, timeout=60)
        return "== log of %s:\n%s" % (name, tail.stdout.strip())
    nodes_seen = subprocess.run(["docker", "exec", nodes[0], "docker", "node", "ls", "--format",
                                 "{{.ID}} {{.Hostname}} {{.Status}} {{.ManagerStatus}}"],
                                capture_output=True, text=True, check=False, timeout=60)
    with ThreadPoolExecutor(len(nodes)) as pool:
        states = dict(zip(nodes, pool.map(state, nodes)))
        troubled = [name for name in nodes if not states[name].startswith("active ")] or list(nodes)
        logs = list(pool.map(log, troubled))
    return "\n".join(["== docker node ls on %s:\n%s" % (nodes[0], nodes_seen.stdout + nodes_seen.stderr),
                      "== each engine's swarm state:"] + ["%s: %s" % (name, states[name]) for name in nodes] + logs)
