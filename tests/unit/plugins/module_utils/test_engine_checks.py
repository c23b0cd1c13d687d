"""engine_info's checks: the engine's clock, the swarm certificate's expiry (a DER walk checked
against certificates made by `cryptography`) and the TCP probes (against real sockets on loopback)."""
import base64
import calendar
import datetime
import socket

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.dockhand.docker.plugins.module_utils import engine_checks
from ansible_collections.dockhand.docker.plugins.module_utils.engine_checks import (
    certificate_not_after,
    parse_rfc3339,
    probe_ports,
    probe_targets,
    read_checks,
    swarm_cert_facts,
)
from ansible_collections.dockhand.docker.plugins.module_utils.errors import InvalidValue
from ansible_collections.dockhand.docker.tests.unit.engine_fixtures import ENGINES, load
from ansible_collections.dockhand.docker.tests.unit.strategies import hostile_text

UTC = datetime.timezone.utc
KEY = ec.generate_private_key(ec.SECP256R1())


def make_cert(not_after, not_before=datetime.datetime(2020, 1, 1, tzinfo=UTC), with_version=True):
    """A PEM certificate like a swarm node's (ECDSA, CN = node ID, OU = role), valid until not_after."""
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "clusterid"),
                      x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "swarm-worker"),
                      x509.NameAttribute(NameOID.COMMON_NAME, "nodeid")])
    builder = (x509.CertificateBuilder().subject_name(name)
               .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "swarm-ca")]))
               .public_key(KEY.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(not_before).not_valid_after(not_after))
    cert = builder.sign(KEY, hashes.SHA256())
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def epoch(moment):
    return calendar.timegm(moment.utctimetuple())


@pytest.mark.parametrize("text, expected", [
    ("2026-12-03T13:22:45.634451126Z", 1796304165.634451126),
    ("2026-12-03T13:22:45Z", 1796304165),
    ("2026-12-03T14:22:45.5+01:00", 1796304165.5),
    ("2026-12-03T08:22:45-05:00", 1796304165),
    ("", None), (None, None), ("yesterday", None), ("2026-13-03T13:22:45Z", None), ("2026-12-03T13:22:45", None),
])
def test_engine_system_time(text, expected):
    assert parse_rfc3339(text) == pytest.approx(expected) if expected else parse_rfc3339(text) is None


@pytest.mark.parametrize("engine", ENGINES)
def test_recorded_engines_give_their_clock(engine):
    info = load(engine, "info-worker")
    assert parse_rfc3339(info["SystemTime"]) > 1.7e9


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=datetime.datetime(1970, 1, 2), max_value=datetime.datetime(9999, 1, 1)),
       st.integers(-14 * 60, 14 * 60))
def test_any_engine_time_round_trips(moment, offset_minutes):
    zone = datetime.timezone(datetime.timedelta(minutes=offset_minutes))
    text = moment.replace(tzinfo=UTC).astimezone(zone).isoformat()
    assert parse_rfc3339(text) == pytest.approx(moment.replace(tzinfo=UTC).timestamp(), abs=1e-6)


@given(hostile_text())
def test_any_text_is_a_time_or_none(text):
    value = parse_rfc3339(text)
    assert value is None or isinstance(value, float) or isinstance(value, int)


@pytest.mark.parametrize("not_after", [
    datetime.datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC),
    datetime.datetime(2049, 12, 31, 23, 59, 59, tzinfo=UTC),   # UTCTime
    datetime.datetime(2050, 1, 1, 0, 0, 0, tzinfo=UTC),        # GeneralizedTime from 2050 on
    datetime.datetime(1999, 6, 1, tzinfo=UTC),
])
def test_not_after_as_cryptography_wrote_it(not_after):
    pem = make_cert(not_after, not_before=datetime.datetime(1990, 1, 1, tzinfo=UTC))
    assert certificate_not_after(pem) == epoch(not_after)


@settings(max_examples=60, deadline=None)
@given(st.datetimes(min_value=datetime.datetime(1990, 1, 2), max_value=datetime.datetime(9998, 1, 1)))
def test_not_after_of_any_date(moment):
    moment = moment.replace(microsecond=0, tzinfo=UTC)
    pem = make_cert(moment, not_before=datetime.datetime(1990, 1, 1, tzinfo=UTC))
    assert certificate_not_after(pem) == epoch(moment)


def test_the_first_certificate_of_a_chain_is_the_node_one():
    node = make_cert(datetime.datetime(2030, 1, 1, tzinfo=UTC))
    ca = make_cert(datetime.datetime(2040, 1, 1, tzinfo=UTC))
    assert certificate_not_after(node + ca) == epoch(datetime.datetime(2030, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize("text", [
    "", "hello", "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----",
    "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----",
    "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
])
def test_not_a_certificate(text):
    with pytest.raises(InvalidValue):
        certificate_not_after(text)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_are_a_date_or_invalid(data):
    pem = "-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----" % base64.b64encode(data).decode()
    try:
        certificate_not_after(pem)
    except InvalidValue:
        pass


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 700))
def test_a_cut_certificate_is_invalid(cut):
    der = base64.b64decode("".join(make_cert(datetime.datetime(2030, 1, 1, tzinfo=UTC)).splitlines()[1:-1]))
    cut_der = base64.b64encode(der[:max(0, len(der) - cut)]).decode()
    pem = "-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----" % cut_der
    try:
        value = certificate_not_after(pem)
    except InvalidValue:
        return
    assert value == epoch(datetime.datetime(2030, 1, 1, tzinfo=UTC))  # cut only after the dates


def write_swarm_cert(root, pem):
    directory = root / "swarm" / "certificates"
    directory.mkdir(parents=True)
    (directory / "swarm-node.crt").write_text(pem)


def test_swarm_cert_facts(tmp_path):
    not_after = datetime.datetime(2030, 1, 11, tzinfo=UTC)
    write_swarm_cert(tmp_path, make_cert(not_after))
    facts = swarm_cert_facts(str(tmp_path), epoch(datetime.datetime(2030, 1, 1, tzinfo=UTC)))
    assert facts == dict(path=str(tmp_path / "swarm/certificates/swarm-node.crt"), not_after="2030-01-11T00:00:00Z",
                         days_left=10.0, error=None)
    assert swarm_cert_facts(str(tmp_path), epoch(datetime.datetime(2030, 1, 12, tzinfo=UTC)))["days_left"] == -1.0


def test_swarm_cert_missing_or_broken(tmp_path):
    assert swarm_cert_facts(str(tmp_path), 0) is None
    write_swarm_cert(tmp_path, "garbage")
    facts = swarm_cert_facts(str(tmp_path), 0)
    assert facts["not_after"] is None
    assert facts["error"].startswith("cannot read ") and "no PEM certificate" in facts["error"]


@pytest.fixture
def listening():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    yield server.getsockname()[1]
    server.close()


def closed_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def test_probes_on_loopback(listening):
    closed = closed_port()
    results = probe_ports([dict(address="127.0.0.1", port=listening, proto="tcp"),
                           dict(address="127.0.0.1", port=closed, proto="tcp"),
                           dict(address="no-such-host.invalid", port=2377, proto="tcp")], timeout=2,
                          refused_retries=0)
    assert results[0] == dict(address="127.0.0.1", port=listening, proto="tcp", open=True, error=None)
    assert results[1]["open"] is False and results[1]["error"] == "connection refused"
    assert results[2]["open"] is False and results[2]["error"].startswith("cannot resolve no-such-host.invalid")


def test_probes_run_in_parallel():
    import time
    calls = []

    def slow_connect(address, port, timeout):
        calls.append(port)
        time.sleep(0.3)
        return False, "no answer within %g s" % timeout

    started = time.monotonic()
    targets = [dict(address="10.0.0.1", port=port, proto="tcp") for port in range(20)]
    results = probe_ports(targets, connect=slow_connect)
    assert time.monotonic() - started < 1.5
    assert [result["port"] for result in results] == list(range(20)) and sorted(calls) == list(range(20))
    assert results[0]["error"] == "no answer within 3 s"


@pytest.mark.parametrize("answers, calls, expected", [
    ([(False, "connection refused"), (True, None)], 2, (True, None)),  # a port closed for a moment
    ([(False, "connection refused")] * 3, 3, (False, "connection refused")),  # closed: 2 retries, then said
    ([(False, "no answer within 3 s")], 1, (False, "no answer within 3 s")),  # dropped: not tried again
    ([(True, None)], 1, (True, None)),
])
def test_a_refused_connect_is_tried_again(answers, calls, expected):
    given, slept = list(answers), []

    def connect(_address, _port, _timeout):
        return given.pop(0) if len(given) > 1 else given[0]

    target = dict(address="10.0.0.1", port=7946, proto="tcp")
    (result,) = probe_ports([target], connect=connect, sleep=slept.append)
    assert (result["open"], result["error"]) == expected
    assert slept == [engine_checks.REFUSED_RETRY_DELAY] * (calls - 1)


def test_a_dropped_connect_times_out(monkeypatch):
    def timeout(*_args, **_kwargs):
        raise socket.timeout("timed out")
    monkeypatch.setattr(engine_checks.socket, "create_connection", timeout)
    (result,) = probe_ports([dict(address="10.0.0.1", port=2377, proto="tcp")], timeout=0.5)
    assert result["error"] == "no answer within 0.5 s"


@pytest.mark.parametrize("engine", ENGINES)
def test_a_member_adds_the_managers_its_engine_knows(engine):
    info = load(engine, "info-worker")
    known = [manager["Addr"].rsplit(":", 1)[0] for manager in info["Swarm"]["RemoteManagers"]]
    given = [dict(address=known[0], port=2377, proto="tcp"), dict(address="10.9.9.9", port=7946, proto="tcp")]
    targets = probe_targets(given, info)
    assert targets[:2] == [dict(given[0], source="given"), dict(given[1], source="given")]
    added = [(target["address"], target["port"], target["source"]) for target in targets[2:]]
    assert added == [(address, 2377, "swarm") for address in known[1:] if address != info["Swarm"]["NodeAddr"]]


def test_checks_without_probes():
    info = {"ServerVersion": "26.1.5", "LiveRestoreEnabled": True, "SystemTime": "2026-01-01T00:00:00Z",
            "DockerRootDir": "/nonexistent", "Swarm": {"LocalNodeState": "inactive"}}
    checks = read_checks(info, {"Version": "26.1.5"}, True, controller_time=1767225599.5, clock=lambda: 1767225600.25)
    assert checks == dict(engine_version="26.1.5", live_restore=True, swarm_state="inactive", is_manager=False,
                          node_address="", swarm_cert=None, ports=None,
                          clock=dict(engine_system_time="2026-01-01T00:00:00Z", engine_time=1767225600,
                                     host_time=1767225600.25, controller_time=1767225599.5))


def test_checks_with_probes_of_a_manager(tmp_path, listening):
    write_swarm_cert(tmp_path, make_cert(datetime.datetime(2030, 1, 1, tzinfo=UTC)))
    info = {"ServerVersion": "20.10.24", "DockerRootDir": str(tmp_path),
            "Swarm": {"LocalNodeState": "active", "ControlAvailable": True, "NodeAddr": "127.0.0.2",
                      "RemoteManagers": [{"Addr": "127.0.0.2:2377"}, {"Addr": "127.0.0.1:%d" % listening}]}}
    checks = read_checks(info, {}, True, wanted_ports=[])
    assert checks["is_manager"] and checks["swarm_cert"]["not_after"] == "2030-01-01T00:00:00Z"
    assert checks["ports"] == [dict(address="127.0.0.1", port=listening, proto="tcp", source="swarm",
                                    open=True, error=None)]
    assert checks["ports_seconds"] < 1
    # An engine that is not on this host: its files are not here to read.
    assert read_checks(info, {}, False)["swarm_cert"] is None
