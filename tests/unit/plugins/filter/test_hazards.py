"""site_hazards, swarm_probe_targets and swarm_probe_map: the preflight's verdicts from each host's
engine_info checks."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.dockhand.docker.plugins.filter.hazards import (
    FilterModule,
    member_address,
    site_hazards,
    swarm_probe_map,
    swarm_probe_targets,
)
from ansible_collections.dockhand.docker.tests.unit.strategies import hostile_text

NOW = 1800000000.0
DAY = 86400
MANAGERS, WORKERS = ["m1", "m2", "m3"], ["w1", "w2"]
HOSTS = MANAGERS + WORKERS
ADDRESSES = {"m1": "10.0.0.11", "m2": "10.0.0.12", "m3": "10.0.0.13", "w1": "10.0.1.21", "w2": "10.0.1.22"}


def iso(seconds):
    import time
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def checks(version="20.10.24", live_restore=False, cert_days=80.0, ports=(), clock_offset=0.0, sent=NOW - 2,
           cert_error=None, manager=False, state="active"):
    return dict(engine_version=version, live_restore=live_restore, swarm_state=state, is_manager=manager,
                clock=dict(engine_time=NOW - 1 + clock_offset, host_time=NOW - 1 + clock_offset, controller_time=sent,
                           engine_system_time=iso(NOW - 1 + clock_offset)),
                swarm_cert=None if cert_days is None else dict(
                    path="/var/lib/docker/swarm/certificates/swarm-node.crt", error=cert_error,
                    not_after=None if cert_error else iso(NOW + cert_days * DAY), days_left=cert_days),
                ports=list(ports))


def hostvars(**overrides):
    """Every host of the swarm read fine; overrides: host -> {var: value} (checks= replaces the checks)."""
    result = {}
    for host in HOSTS:
        own = dict(overrides.get(host, {}))
        host_checks = own.pop("checks", checks())
        host_checks["is_manager"] = host_checks.get("is_manager") or host in MANAGERS
        result[host] = dict(dict(swarm_advertise_addr=ADDRESSES[host], docker_host_preflight=dict(checks=host_checks)),
                            **own)
    return result


def hazards(hv, **kwargs):
    kwargs.setdefault("now", NOW)
    return site_hazards(hv, kwargs.pop("hosts", HOSTS), MANAGERS, WORKERS, **kwargs)


def test_a_healthy_site_has_no_hazards():
    assert hazards(hostvars(), docker_hosts=HOSTS) == dict(errors=[], warnings=[])


def blocked(address, port, error="no answer within 3 s"):
    return dict(address=address, port=port, proto="tcp", open=False, error=error, source="given")


# (host overrides, expected errors, expected warnings): one hazard at a time, the whole line.
TABLE = [
    ({"w1": dict(checks=checks(ports=[blocked("10.0.0.11", 2377)]))},
     ["w1 cannot reach m1 (10.0.0.11) on 2377/tcp, the managers' swarm port: no answer within 3 s"], []),
    ({"m2": dict(checks=checks(ports=[blocked("10.0.1.22", 7946, "connection refused")]))},
     ["m2 cannot reach w2 (10.0.1.22) on 7946/tcp, the members' gossip port: connection refused"], []),
    ({"w2": dict(checks=checks(ports=[dict(blocked("10.0.0.99", 2377), source="swarm")]))},
     ["w2 cannot reach the manager at 10.0.0.99 (known to the swarm, not in the inventory) on 2377/tcp, "
      "the managers' swarm port: no answer within 3 s"], []),
    ({"w1": dict(docker_host_daemon_settings={"live-restore": True})},
     ["w1 (swarm_workers): live-restore is on, docker_host_daemon_settings sets it; Docker 20.10 and 26.1 refuse "
      "to run a swarm node with it (the engine exits at start: \"--live-restore daemon configuration is "
      "incompatible with swarm mode\"). Leave it out of docker_host_daemon_settings (docker_host_daemon_remove: "
      "[live-restore] takes it out of daemon.json)"], []),
    ({"m1": dict(checks=checks(live_restore=True))},
     ["m1 (swarm_managers): live-restore is on, the engine runs with it (daemon.json); Docker 20.10 and 26.1 "
      "refuse to run a swarm node with it (the engine exits at start: \"--live-restore daemon configuration is "
      "incompatible with swarm mode\"). Leave it out of docker_host_daemon_settings (docker_host_daemon_remove: "
      "[live-restore] takes it out of daemon.json)"], []),
    ({"m1": dict(checks=checks(live_restore=True), docker_host_daemon_remove=["live-restore"])}, [], []),
    ({"m1": dict(checks=checks(live_restore=True), docker_host_daemon_settings={"live-restore": False})}, [], []),
    ({"w2": dict(checks=checks(cert_days=3.25))}, [],
     ["w2: its swarm node certificate expires in 3.2 days (%s, swarm_cert_warn_days 14.0). Nodes renew theirs "
      "while they reach a manager: find out why this one did not, or run `docker swarm ca --rotate` on a manager, "
      "which gives every node a new certificate" % iso(NOW + 3.25 * DAY)]),
    ({"w2": dict(checks=checks(cert_days=-2))},
     ["w2: its swarm node certificate expired on %s, so it cannot talk to the swarm and cannot renew it (docker "
      "swarm ca --rotate does not reach a node whose certificate has expired). Recover: run `docker swarm leave "
      "--force` on w2, remove its old entry (`docker node rm`) from a healthy manager, then run site.yml again, "
      "which joins it afresh" % iso(NOW - 2 * DAY)], []),
    ({"m3": dict(checks=checks(cert_days=-0.5))},
     ["m3: its swarm node certificate expired on %s, so it cannot talk to the swarm and cannot renew it (docker "
      "swarm ca --rotate does not reach a node whose certificate has expired). Recover: run `docker swarm leave "
      "--force` on m3 after `docker node demote m3` from another manager, remove its old entry (`docker node rm`) "
      "from a healthy manager, then run site.yml again, which joins it afresh" % iso(NOW - 0.5 * DAY)], []),
    ({"w1": dict(checks=checks(cert_error="permission denied"))}, [],
     ["w1: the swarm node certificate could not be checked: permission denied"]),
    ({"w1": dict(checks=checks(clock_offset=45))},
     ["w1: its engine clock is 44 s ahead of the controller's (more than 30 s): swarm TLS certificates and raft "
      "need close clocks; sync it (NTP, chrony or systemd-timesyncd)"], []),
    ({"m2": dict(checks=checks(clock_offset=-120))},
     ["m2: its engine clock is 119 s behind the controller's (more than 30 s): swarm TLS certificates and raft "
      "need close clocks; sync it (NTP, chrony or systemd-timesyncd)"], []),
    ({"m2": dict(checks=checks(clock_offset=-25)), "w1": dict(checks=checks(clock_offset=29))}, [], []),
    ({"m3": dict(checks=checks(version="26.1.5"))}, [],
     ["the managers run different engine versions: 20.10.24 (m1, m2), 26.1.5 (m3). A swarm may mix them while an "
      "upgrade rolls, not to stay: bring every manager to one version"]),
    ({"w1": dict(checks=checks(version="26.1.5"))}, [], []),
]


@pytest.mark.parametrize("overrides, errors, warnings", TABLE)
def test_each_hazard(overrides, errors, warnings):
    assert hazards(hostvars(**overrides)) == dict(errors=errors, warnings=warnings)


def test_a_port_nobody_serves_yet_is_not_blocked():
    # Before the swarm is made (or while a peer is out of it) nothing listens on 2377 and 7946.
    fresh = dict((host, dict(checks=checks(state="inactive", cert_days=None,
                                           ports=[blocked("10.0.0.11", 2377, "connection refused")])))
                 for host in HOSTS)
    assert hazards(hostvars(**fresh))["errors"] == []
    # A worker about to join must reach the managers of the swarm that exists.
    joining = dict(checks=checks(state="inactive", cert_days=None, ports=[blocked("10.0.0.11", 2377)]))
    assert hazards(hostvars(w1=joining))["errors"] == [
        "w1 cannot reach m1 (10.0.0.11) on 2377/tcp, the managers' swarm port: no answer within 3 s"]
    # A manager whose engine is down or locked serves nothing either.
    m1_locked = dict(checks=checks(state="locked"))
    w1_blocked = dict(checks=checks(ports=[blocked("10.0.0.11", 2377), blocked("10.0.0.11", 7946)]))
    assert hazards(hostvars(m1=m1_locked, w1=w1_blocked))["errors"] == []
    # A worker's 2377 is nobody's business.
    assert hazards(hostvars(m1=dict(checks=checks(ports=[blocked("10.0.1.21", 2377)]))))["errors"] == []


@pytest.mark.parametrize("swarm_read, counted", [
    (dict(state="active", is_manager=True, swarm=dict(id="S1")), True),  # a manager with a leader
    (dict(state="active", is_manager=True), False),  # no leader: cut off, its listeners restart
    (None, True),  # read without swarm_info: the engine's state alone decides
])
def test_the_ports_of_a_manager_without_a_leader_are_not_counted(swarm_read, counted):
    m2_read = dict(checks=dict(checks(), is_manager=True))
    if swarm_read is not None:
        m2_read["swarm_info"] = swarm_read
    w1 = dict(checks=checks(ports=[blocked("10.0.0.12", 7946, "connection refused")]))
    errors = hazards(hostvars(m2=dict(docker_host_preflight=m2_read), w1=w1))["errors"]
    assert errors == (["w1 cannot reach m2 (10.0.0.12) on 7946/tcp, the members' gossip port: connection refused"]
                      if counted else [])


def test_a_peer_outside_the_reads_counts_when_the_swarm_knows_it():
    probes = [blocked("10.0.0.11", 2377), dict(blocked("10.0.0.12", 2377), source="swarm")]
    result = hazards(hostvars(w1=dict(checks=checks(ports=probes))), hosts=["w1"])
    assert result["errors"] == [
        "w1 cannot reach m2 (10.0.0.12) on 2377/tcp, the managers' swarm port: no answer within 3 s"]


def test_a_long_preflight_is_not_taken_for_a_clock_error():
    # The read was sent 10 minutes before the filter runs: a clock anywhere in that window is fine.
    slow = checks(clock_offset=-300, sent=NOW - 600)
    assert hazards(hostvars(w1=dict(checks=slow))) == dict(errors=[], warnings=[])


def test_without_the_send_time_only_a_clock_ahead_is_named():
    late = checks(clock_offset=-300, sent=None)
    assert hazards(hostvars(w1=dict(checks=late)))["errors"] == []
    early = checks(clock_offset=60, sent=None)
    assert hazards(hostvars(w1=dict(checks=early)))["errors"][0].startswith("w1: its engine clock is 59 s ahead")


def test_every_manager_expired_asks_for_a_new_cluster():
    expired = dict(checks=checks(cert_days=-1))
    errors = hazards(hostvars(m1=expired, m2=expired, m3=expired))["errors"]
    assert len(errors) == 4
    assert errors[-1].startswith("every manager read (m1, m2, m3) has an expired swarm certificate")
    assert "docker swarm init --force-new-cluster" in errors[-1]


def test_all_errors_at_once_one_line_each():
    hv = hostvars(w1=dict(checks=checks(ports=[blocked("10.0.0.11", 2377), blocked("10.0.0.12", 2377)]),
                          docker_host_daemon_settings={"live-restore": True}),
                  m2=dict(checks=checks(clock_offset=90)))
    result = hazards(hv)
    assert [line.split(" ")[0] for line in result["errors"]] == ["w1", "w1", "w1", "m2:"]
    assert all("\n" not in line for line in result["errors"])


def test_a_host_whose_engine_could_not_be_read():
    hv = hostvars()
    hv["w2"]["docker_host_preflight"] = {"failed": True, "msg": "no engine"}
    assert hazards(hv) == dict(errors=[], warnings=[])
    # Its daemon settings still count: it is about to join with them.
    hv["w2"]["docker_host_daemon_settings"] = {"live-restore": "true"}
    assert hazards(hv)["errors"][0].startswith("w2 (swarm_workers): live-restore is on")


def test_the_role_names_its_own_settings_variables():
    hv = hostvars(w1=dict(docker_host_hazard_settings={"live-restore": True}, docker_host_daemon_settings={}))
    assert hazards(hv)["errors"] == []
    found = hazards(hv, settings_var="docker_host_hazard_settings", remove_var="docker_host_hazard_remove")
    assert found["errors"][0].startswith("w1 (swarm_workers): live-restore is on")


def test_a_host_outside_the_swarm_may_keep_live_restore():
    hv = hostvars()
    hv["solo"] = dict(docker_host_preflight=dict(checks=checks(live_restore=True, cert_days=None)))
    assert hazards(hv, hosts=HOSTS + ["solo"]) == dict(errors=[], warnings=[])


@pytest.mark.parametrize("docker_hosts, warning", [
    ([], "the inventory has no docker_hosts group: site.yml takes the hosts of swarm_managers and swarm_workers "
         "(m1, m2, m3, w1, w2) as its Docker hosts; add them to a docker_hosts group to say so"),
    (["m1", "m2", "m3", "w1"], "w2 (swarm_workers) not in docker_hosts: site.yml takes them as Docker hosts too "
                               "(every stage runs on them); add them to docker_hosts to say so"),
    (HOSTS + ["other"], None),
    (None, None),
])
def test_the_inventory_check(docker_hosts, warning):
    assert hazards(hostvars(), docker_hosts=docker_hosts)["warnings"] == ([warning] if warning else [])


def test_now_is_required():
    with pytest.raises(ValueError):
        site_hazards(hostvars(), HOSTS, MANAGERS, WORKERS)


# swarm_probe_targets


def test_targets_of_a_worker_and_a_manager():
    hv = hostvars()
    assert swarm_probe_targets(hv, "w1", MANAGERS, WORKERS) == [
        dict(address="10.0.0.11", port=2377, proto="tcp"), dict(address="10.0.0.11", port=7946, proto="tcp"),
        dict(address="10.0.0.12", port=2377, proto="tcp"), dict(address="10.0.0.12", port=7946, proto="tcp"),
        dict(address="10.0.0.13", port=2377, proto="tcp"), dict(address="10.0.0.13", port=7946, proto="tcp"),
        dict(address="10.0.1.22", port=7946, proto="tcp")]
    assert [(t["address"], t["port"]) for t in swarm_probe_targets(hv, "m1", MANAGERS, WORKERS)] == [
        ("10.0.0.12", 2377), ("10.0.0.12", 7946), ("10.0.0.13", 2377), ("10.0.0.13", 7946),
        ("10.0.1.21", 7946), ("10.0.1.22", 7946)]
    assert swarm_probe_targets(hv, "elsewhere", MANAGERS, WORKERS) == []


def test_the_map_gives_every_member_its_targets_and_no_one_else():
    hv = hostvars()
    assert swarm_probe_map(hv, MANAGERS, WORKERS) == dict((host, swarm_probe_targets(hv, host, MANAGERS, WORKERS))
                                                          for host in HOSTS)
    assert swarm_probe_map(hv) == {}
    assert FilterModule().filters()["swarm_probe_map"] is swarm_probe_map


def test_the_map_reads_each_members_variables_once():
    reads = []

    class Counting(dict):
        def __getitem__(self, host):
            reads.append(host)
            return dict.__getitem__(self, host)

        def get(self, host, default=None):
            return self[host] if host in self else default

    swarm_probe_map(Counting(hostvars()), MANAGERS, WORKERS)
    assert sorted(reads) == sorted(HOSTS)


@pytest.mark.parametrize("install, read, expected", [
    (False, dict(failed=True, msg="Error connecting: no socket"),
     ["m2: Error connecting: no socket; docker_host_install is false, so nothing would install it: install "
      "docker.io and python3-docker, or set docker_host_install: true"]),
    ("no", dict(failed=True), ["m2: the engine could not be read; docker_host_install is false, so nothing would "
                               "install it: install docker.io and python3-docker, or set docker_host_install: true"]),
    (True, dict(failed=True, msg="no engine"), []),  # docker_host installs it
    (None, dict(failed=True, msg="no engine"), []),  # not set: docker_host's default installs it
    (False, dict(unreachable=True, msg="ssh: no route"), []),  # Ansible reports an unreachable host
    (False, dict(engine=dict(version="26.1.5"), checks={}), []),
])
def test_an_engine_nothing_would_install_is_an_error(install, read, expected):
    own = dict(docker_host_preflight=read)
    if install is not None:
        own["docker_host_install"] = install
    hv = hostvars(m2=own)
    assert hazards(hv, install_var="docker_host_install")["errors"] == expected
    assert hazards(hv)["errors"] == []  # not asked for


@pytest.mark.parametrize("host_vars, expected", [
    (dict(swarm_advertise_addr="10.0.0.11"), ("10.0.0.11", 2377)),
    (dict(swarm_advertise_addr="10.0.0.11:4567"), ("10.0.0.11", 4567)),
    (dict(swarm_advertise_addr="[fd00::11]:2377"), ("fd00::11", 2377)),
    (dict(swarm_advertise_addr="fd00::11"), ("fd00::11", 2377)),
    (dict(swarm_advertise_addr="eth1", ansible_host="192.0.2.5"), ("192.0.2.5", 2377)),
    (dict(swarm_advertise_addr="", ansible_host="mgr1.example.com", swarm_listen_addr="0.0.0.0:2400"),
     ("mgr1.example.com", 2400)),
    (dict(), ("the-host", 2377)),
    (dict(swarm_advertise_addr="10.0.0.11:²"), ("the-host", 2377)),
])
def test_member_address(host_vars, expected):
    assert member_address(host_vars, "the-host") == expected


@settings(max_examples=300, deadline=None)
@given(hostile_text(), hostile_text(), hostile_text())
def test_any_address_variables_give_an_address(advertise, listen, ansible_host):
    address, port = member_address(dict(swarm_advertise_addr=advertise, swarm_listen_addr=listen,
                                        ansible_host=ansible_host), "h")
    assert isinstance(port, int) and 0 <= port <= 99999 and address


OVERRIDES = st.fixed_dictionaries({}, optional=dict(
    version=st.sampled_from(["20.10.24", "26.1.5"]), live_restore=st.booleans(),
    cert_days=st.one_of(st.none(), st.floats(-400, 400)), clock_offset=st.floats(-1e6, 1e6),
    sent=st.one_of(st.none(), st.floats(NOW - 1e5, NOW)),
    ports=st.lists(st.builds(blocked, st.sampled_from(list(ADDRESSES.values()) + ["192.0.2.1"]),
                             st.sampled_from([7946, 4789])), max_size=3)))


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(HOSTS), OVERRIDES), st.floats(0, 60),
       st.one_of(st.none(), st.lists(st.sampled_from(HOSTS), unique=True)))
def test_any_site_gives_one_line_per_hazard_naming_a_host(per_host, warn_days, docker_hosts):
    hv = hostvars(**dict((host, dict(checks=checks(**values))) for host, values in per_host.items()))
    result = site_hazards(hv, HOSTS, MANAGERS, WORKERS, now=NOW, warn_days=warn_days, docker_hosts=docker_hosts)
    assert set(result) == {"errors", "warnings"}
    for line in result["errors"] + result["warnings"]:
        assert "\n" not in line and any(host in line for host in HOSTS), line
    blocked_count = sum(len(values.get("ports", [])) for values in per_host.values())
    assert len([line for line in result["errors"] if " cannot reach " in line]) == blocked_count
    expected_live = sum(1 for values in per_host.values() if values.get("live_restore"))
    assert len([line for line in result["errors"] if "live-restore is on" in line]) == expected_live
