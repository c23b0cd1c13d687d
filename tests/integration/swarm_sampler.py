"""A view of a running swarm from outside the play: several times a second, which engines answer,
whether the swarm has a leader, and how many containers of each service run on the nodes.

Each lab node's engine is reached straight through its socket, seen from this machine as
/proc/<node's PID 1>/root/run/docker.sock, so a sample costs a few milliseconds and needs
neither `docker exec` nor the play. Task counts are the containers that run (on every node),
not the managers' bookkeeping: a task counts while its process runs, even while the swarm has
no leader to ask.

    with SwarmSampler(NODES, services=["web", "agent"]) as sampler:
        ... run the play ...
    figures = sampler.figures()   # fewest_managers_up, longest_leaderless_s, fewest_running[...]

Besides whether engines answer, each sample keeps the Raft view of the first manager that lists the
nodes: how many managers the swarm has and how many of them are reachable (none while it has no
leader), so a test can tell that a majority stayed reachable through a change of the manager set.
"""
import http.client
import json
import socket
import subprocess
import threading
import time
import urllib.parse


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout):
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self._path)


def node_socket(node):
    """The path of a lab node's engine socket as this machine sees it."""
    pid = subprocess.run(["docker", "inspect", "--format", "{{.State.Pid}}", node], capture_output=True,
                         text=True, check=True).stdout.strip()
    return "/proc/%s/root/run/docker.sock" % pid


def engine_get(path, url, timeout=0.5):
    """GET ``url`` from the engine at socket ``path``: the decoded JSON, or None when it does not answer
    (or answers with an error, as a manager without a leader does)."""
    connection = _UnixConnection(path, timeout)
    try:
        connection.request("GET", url)
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            return None
        return json.loads(body) if body else {}
    except (OSError, ValueError, http.client.HTTPException):
        return None
    finally:
        connection.close()


class SwarmSampler(object):
    """Samples the lab's swarm in a thread until stopped; ``samples`` holds one dict per sample."""

    def __init__(self, nodes, services=(), managers=(), period=0.2):
        self.nodes = list(nodes)
        self.managers = list(managers) or self.nodes[:3]
        self.services = list(services)
        self.period = period
        self.sockets = dict((node, node_socket(node)) for node in self.nodes)
        self.samples = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="swarm-sampler", daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=10)

    def _containers(self, node):
        query = urllib.parse.quote(json.dumps({"label": ["com.docker.swarm.service.name"]}))
        listed = engine_get(self.sockets[node], "/containers/json?filters=%s" % query)
        return None if listed is None else [entry["Labels"]["com.docker.swarm.service.name"] for entry in listed]

    def sample(self):
        """One sample: {t, up: [nodes whose engine answers], leader: bool, running: {service: n},
        raft: {managers, reachable} or None (no manager listed the nodes)}."""
        at = time.monotonic()
        up, running, leader, raft = [], dict((service, 0) for service in self.services), False, None
        for node in self.nodes:
            names = self._containers(node)
            if names is None:
                continue
            up.append(node)
            for name in names:
                if name in running:
                    running[name] += 1
        for manager in self.managers:
            if manager not in up:
                continue
            listed = engine_get(self.sockets[manager], "/nodes")
            if listed is not None:
                statuses = [entry["ManagerStatus"] for entry in listed if entry.get("ManagerStatus")]
                leader = any(status.get("Leader") for status in statuses)
                raft = dict(managers=len(statuses),
                            reachable=sum(1 for status in statuses if status.get("Reachability") == "reachable"))
                break
        return dict(t=at, up=up, leader=leader, running=running, raft=raft)

    def _run(self):
        while not self._stop.is_set():
            started = time.monotonic()
            self.samples.append(self.sample())
            self._stop.wait(max(0.0, self.period - (time.monotonic() - started)))

    def figures(self):
        """What the test asserts on: samples, their rate and the longest gap between two, the fewest
        managers up, the longest stretch without a leader and the time without one in all, the most
        managers down at once, the fewest running containers per service, and from the Raft views: the
        manager counts seen, the fewest reachable managers and the least margin of reachable managers
        over a majority of the managers the swarm had at that moment (negative: quorum was short)."""
        samples = self.samples
        if not samples:
            return dict(samples=0)
        longest, start = 0.0, None
        for sample in samples:
            if not sample["leader"] and start is None:
                start = sample["t"]
            elif sample["leader"] and start is not None:
                longest, start = max(longest, sample["t"] - start), None
        if start is not None:
            longest = max(longest, samples[-1]["t"] - start)
        elections, was = 0, True
        for sample in samples:
            if was and not sample["leader"]:
                elections += 1
            was = sample["leader"]
        span = samples[-1]["t"] - samples[0]["t"]
        gaps = [later["t"] - earlier["t"] for earlier, later in zip(samples, samples[1:])]
        leaderless = sum(later["t"] - earlier["t"] for earlier, later in zip(samples, samples[1:])
                         if not earlier["leader"])
        views = [sample["raft"] for sample in samples if sample.get("raft")]
        margins = [view["reachable"] - (view["managers"] // 2 + 1) for view in views]
        return dict(
            samples=len(samples),
            per_second=round(len(samples) / span, 1) if span else None,
            longest_gap_s=round(max(gaps), 2) if gaps else None,
            fewest_managers_up=min(len([n for n in sample["up"] if n in self.managers]) for sample in samples),
            most_engines_down=max(len(self.nodes) - len(sample["up"]) for sample in samples),
            leaderless_stretches=elections,
            longest_leaderless_s=round(longest, 2),
            leaderless_s=round(leaderless, 2),
            manager_counts=sorted(set(view["managers"] for view in views)),
            fewest_reachable_managers=min(view["reachable"] for view in views) if views else None,
            least_quorum_margin=min(margins) if margins else None,
            fewest_running=dict((service, min(sample["running"][service] for sample in samples))
                                for service in self.services),
        )
