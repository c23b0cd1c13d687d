"""The one-line reasons the client layer gives for connection failures.

The exceptions are built the way requests and urllib3 nest them, so the walk through
causes is tested on the real exception types, not on stand-ins.
"""
import errno
import socket
import ssl

import pytest
import requests.exceptions
import urllib3.exceptions

from ansible_collections.dockhand.docker.plugins.module_utils.client import (
    describe_api_error,
    describe_connection_error,
)


def wrapped(root):
    """requests.ConnectionError(MaxRetryError(reason=root)), as requests raises it."""
    retry = urllib3.exceptions.MaxRetryError(None, "/version", reason=root)
    return requests.exceptions.ConnectionError(retry)


@pytest.mark.parametrize("root, host, expected", [
    (ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"), "tcp://127.0.0.1:1", "connection refused"),
    (FileNotFoundError(errno.ENOENT, "No such file or directory"), "unix:///run/x.sock",
     "socket /run/x.sock does not exist"),
    (PermissionError(errno.EACCES, "Permission denied"), "unix:///var/run/docker.sock", "permission denied"),
    (OSError(errno.EHOSTUNREACH, "No route to host"), "tcp://198.51.100.1:2376", "no route to host"),
    (ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"),
     "tcp://127.0.0.1:2376", "TLS handshake failed"),
    (socket.timeout("timed out"), "tcp://127.0.0.1:2376", "timed out after 5 s"),
])
def test_connection_failures_name_their_cause(root, host, expected):
    reason = describe_connection_error(wrapped(root), host, timeout=5)
    assert expected in reason
    assert "\n" not in reason


def test_refused_through_urllib3_new_connection_error():
    # urllib3 2.x keeps the errno only in the message of NewConnectionError.
    new_conn = urllib3.exceptions.NewConnectionError(
        None, "Failed to establish a new connection: [Errno 111] Connection refused")
    assert describe_connection_error(wrapped(new_conn), "tcp://127.0.0.1:1") == \
        "connection refused (is the Docker engine listening there?)"


def test_unknown_cause_falls_back_to_its_text_on_one_line():
    reason = describe_connection_error(RuntimeError("something\n  odd   happened"), "tcp://h:1")
    assert reason == "something odd happened"


def test_api_error_text_and_status():
    class FakeResponse:  # the minimum requests.Response surface APIError reads
        status_code = 409
        reason = "Conflict"
        url = "http://docker/containers/create"

    from docker.errors import APIError
    exc = APIError("409 Client Error", response=FakeResponse(), explanation=b"Conflict. The name is in use")
    assert describe_api_error(exc) == "Conflict. The name is in use (HTTP 409)"
