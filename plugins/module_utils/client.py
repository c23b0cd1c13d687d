# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place where dockhand.docker talks to a Docker engine.

Every module builds its client here, from the shared connection options, and every call to
the engine goes through :class:`EngineClient`, so that a missing SDK, an unreachable engine,
a TLS failure or an API error always becomes one clear line (:class:`DockerError`) instead of
a traceback.

Works with the Docker SDK for Python 5.0.3 (Debian's python3-docker) and 7.x.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import socket
import ssl
import sys

from ansible.module_utils.basic import env_fallback

from ansible_collections.dockhand.docker.plugins.module_utils.errors import DockerError, InvalidValue

try:
    import docker
    from docker.errors import APIError, DockerException, NotFound, TLSParameterError
    from requests.exceptions import RequestException
    HAS_DOCKER_SDK = True
    DOCKER_SDK_VERSION = getattr(docker, '__version__', 'unknown')
except ImportError:
    HAS_DOCKER_SDK = False
    DOCKER_SDK_VERSION = None

    # Placeholders so that ``except`` clauses below stay valid without the SDK.
    class DockerException(Exception):
        pass

    class APIError(DockerException):
        pass

    class NotFound(APIError):
        pass

    class TLSParameterError(DockerException):
        pass

    class RequestException(Exception):
        pass


DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock'
DEFAULT_TIMEOUT = 60

# Argument-spec fragment shared by every module; documented in doc_fragments/connection.py.
# Names and aliases are the ones community.docker users already know.
CONNECTION_ARGSPEC = dict(
    docker_host=dict(type='str', default=DEFAULT_DOCKER_HOST, aliases=['docker_url'],
                     fallback=(env_fallback, ['DOCKER_HOST'])),
    tls=dict(type='bool', default=False, fallback=(env_fallback, ['DOCKER_TLS'])),
    # No default: "not given" (verify whenever TLS is used) differs from an explicit false.
    validate_certs=dict(type='bool', aliases=['tls_verify'], fallback=(env_fallback, ['DOCKER_TLS_VERIFY'])),
    ca_path=dict(type='path', aliases=['ca_cert', 'tls_ca_cert', 'cacert_path']),
    client_cert=dict(type='path', aliases=['tls_client_cert', 'cert_path']),
    client_key=dict(type='path', aliases=['tls_client_key', 'key_path']),
    api_version=dict(type='str', default='auto', aliases=['docker_api_version'],
                     fallback=(env_fallback, ['DOCKER_API_VERSION'])),
    timeout=dict(type='int', default=DEFAULT_TIMEOUT, fallback=(env_fallback, ['DOCKER_TIMEOUT'])),
)


def sdk_missing_message(host_name=None):
    """The one-line message for a managed host without the Docker SDK for Python."""
    where = ' on %s' % host_name if host_name else ''
    return ('The Docker SDK for Python is not installed%s for %s (%s): install the '
            'python3-docker package or "pip install docker" for that interpreter.'
            % (where, sys.executable, sys.version.split()[0]))


def _api_version_tuple(version):
    return tuple(int(part) for part in str(version).split('.'))


def _walk_causes(exc, seen=None):
    """Yield exc and everything it wraps: requests and urllib3 hide the root cause in args/reason."""
    seen = seen if seen is not None else set()
    if exc is None or id(exc) in seen:
        return
    seen.add(id(exc))
    yield exc
    for attr in ('reason', '__cause__', '__context__'):
        nested = getattr(exc, attr, None)
        if isinstance(nested, BaseException):
            yield from _walk_causes(nested, seen)
    for arg in getattr(exc, 'args', ()):
        if isinstance(arg, BaseException):
            yield from _walk_causes(arg, seen)


# requests and urllib3 timeouts, matched by name because either may be missing.
_TIMEOUT_ERRORS = ('ConnectTimeout', 'ReadTimeout', 'ConnectTimeoutError', 'ReadTimeoutError')


def _errno_of(exc):
    if isinstance(exc, OSError) and exc.errno:
        return exc.errno
    text = str(exc)
    for code, marker in ((errno.ECONNREFUSED, 'Connection refused'), (errno.ENOENT, 'No such file'),
                         (errno.EACCES, 'Permission denied'), (errno.EHOSTUNREACH, 'No route to host')):
        if marker in text:
            return code
    return None


def describe_connection_error(exc, docker_host, timeout=None):
    """Turn whatever the SDK raised while connecting into the reason part of one line."""
    causes = list(_walk_causes(exc))
    for cause in causes:
        if isinstance(cause, ssl.SSLCertVerificationError):
            detail = getattr(cause, 'verify_message', None) or getattr(cause, 'reason', None) or 'rejected'
            return ('TLS handshake failed: the certificate of the engine could not be verified (%s); give ca_path '
                    'with the CA that signed it, or validate_certs: false to connect without verifying it' % detail)
    for cause in causes:
        if isinstance(cause, ssl.SSLError) or type(cause).__name__ in ('SSLError', 'SSLCertVerificationError'):
            reason = getattr(cause, 'reason', None) or str(cause).splitlines()[0]
            return 'TLS handshake failed (%s); check ca_path, client_cert, client_key and validate_certs' % reason
    for cause in causes:
        if isinstance(cause, socket.timeout) or type(cause).__name__ in _TIMEOUT_ERRORS:
            return 'timed out after %s s' % timeout if timeout else 'timed out'
    for cause in causes:
        code = _errno_of(cause)
        if code == errno.ENOENT and docker_host.startswith('unix://'):
            return 'socket %s does not exist (is the Docker engine running?)' % docker_host[len('unix://'):]
        if code == errno.EACCES:
            return 'permission denied (run as root or as a member of the docker group)'
        if code == errno.ECONNREFUSED:
            return 'connection refused (is the Docker engine listening there?)'
        if code == errno.EHOSTUNREACH:
            return 'no route to host'
    for cause in causes:
        if type(cause).__name__ == 'NameResolutionError' or 'Name or service not known' in str(cause):
            return 'the host name does not resolve'
    last = causes[-1] if causes else exc
    return ' '.join(str(last).split()) or type(last).__name__


def describe_api_error(exc):
    """One line for an error the engine answered with."""
    explanation = getattr(exc, 'explanation', None)
    if isinstance(explanation, bytes):
        explanation = explanation.decode('utf-8', 'replace')
    status = getattr(exc, 'status_code', None)
    text = ' '.join(str(explanation or exc).split())
    return '%s (HTTP %s)' % (text, status) if status else text


def _quiet_insecure_request_warnings():
    try:
        import urllib3
        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    except (ImportError, AttributeError):
        pass


def _pin_verify(api):
    """Make the session verify exactly as configured (ca_path, or not at all).

    requests replaces a session's ``verify`` with REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE when
    either is set, so a ca_path would give way to the system bundle and validate_certs: false
    would verify after all. Proxies from the environment still apply.
    """
    merge = api.merge_environment_settings

    def merged(url, proxies, stream, verify, cert):
        settings = merge(url, proxies, stream, verify, cert)
        settings['verify'] = api.verify
        return settings
    api.merge_environment_settings = merged


class EngineClient(object):
    """A connected Docker engine: the low-level SDK client plus what was learnt connecting.

    Modules call the engine through :meth:`call`, which converts every SDK failure into a
    :class:`DockerError` naming the engine; the thin helpers below cover the common calls.
    """

    def __init__(self, params, warn=None):
        self.warn = warn or (lambda message: None)
        if not HAS_DOCKER_SDK:
            raise DockerError(sdk_missing_message())
        self.docker_host = params.get('docker_host') or DEFAULT_DOCKER_HOST
        self.sdk_version = DOCKER_SDK_VERSION
        timeout = params.get('timeout')
        if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, int) or timeout < 0):
            raise InvalidValue('timeout: %r is not a number of seconds; give a whole number above 0' % (timeout,))
        self.timeout = timeout or DEFAULT_TIMEOUT
        self._tls = self._tls_config(params)
        self._version_info = None
        requested = params.get('api_version') or 'auto'
        if requested == 'auto':
            # Negotiate ourselves instead of the SDK's version='auto', which flattens the
            # connection error into a string and loses the cause we want to report.
            probe = self._api_client(docker.constants.MINIMUM_DOCKER_API_VERSION)
            self._version_info = self._guard(lambda: probe.version(api_version=False), 'connect')
            server_api = self._version_info.get('ApiVersion') or docker.constants.DEFAULT_DOCKER_API_VERSION
            sdk_api = docker.constants.DEFAULT_DOCKER_API_VERSION
            self.api_version = min(server_api, sdk_api, key=_api_version_tuple)
            probe.close()
        else:
            try:
                _api_version_tuple(requested)
            except ValueError:
                raise DockerError('api_version %r is not a version such as 1.41 or "auto"' % requested)
            self.api_version = requested
        self.api = self._api_client(self.api_version)

    def _tls_config(self, params):
        """TLS settings: ``tls`` or ``validate_certs: true`` turn TLS on; it verifies the engine's
        certificate (against ca_path, else the system's CAs) unless validate_certs is false."""
        tls, verify = params.get('tls'), params.get('validate_certs')
        if not (tls or verify):
            return False
        if verify is None:
            verify = True
        elif not verify:
            self.warn('validate_certs is false: the certificate of the Docker engine at %s is not verified, so '
                      'anyone between here and there can pose as the engine' % self.docker_host)
            _quiet_insecure_request_warnings()  # said once above, not once per request on stderr
        ca_path, cert, key = params.get('ca_path'), params.get('client_cert'), params.get('client_key')
        cert_dir = os.environ.get('DOCKER_CERT_PATH')
        if cert_dir:
            ca_path = ca_path or os.path.join(cert_dir, 'ca.pem')
            cert = cert or os.path.join(cert_dir, 'cert.pem')
            key = key or os.path.join(cert_dir, 'key.pem')
        if bool(cert) != bool(key):
            raise DockerError('client_cert and client_key must be given together for TLS client authentication')
        for option, path in (('ca_path', ca_path if verify else None), ('client_cert', cert), ('client_key', key)):
            if path and not os.path.isfile(path):
                raise DockerError('%s: file %s does not exist' % (option, path))
        try:
            return docker.tls.TLSConfig(client_cert=(cert, key) if cert else None,
                                        ca_cert=ca_path if verify else None, verify=bool(verify))
        except TLSParameterError as exc:
            raise DockerError('invalid TLS settings for %s: %s' % (self.docker_host, exc))

    def _api_client(self, version):
        api = self._guard(lambda: docker.APIClient(base_url=self.docker_host, version=version,
                                                   timeout=self.timeout, tls=self._tls), 'connect')
        if self._tls and (self._tls.ca_cert or not self._tls.verify):
            _pin_verify(api)
        return api

    def _guard(self, func, action, missing_ok=False, explain=None):
        try:
            return func()
        except NotFound as exc:
            if missing_ok:
                return None
            raise self._api_failure(action, exc, explain)
        except APIError as exc:
            raise self._api_failure(action, exc, explain)
        except (DockerException, RequestException, OSError) as exc:
            raise DockerError('Cannot reach the Docker engine at %s: %s'
                              % (self.docker_host, describe_connection_error(exc, self.docker_host, self.timeout)))

    def _api_failure(self, action, exc, explain=None):
        status = getattr(exc, 'status_code', None)
        if explain is not None:
            explanation = getattr(exc, 'explanation', None)
            if isinstance(explanation, bytes):
                explanation = explanation.decode('utf-8', 'replace')
            message = explain(status, explanation or str(exc))
            if message:
                return DockerError(message, status_code=status)
        return DockerError('Docker engine at %s failed to %s: %s'
                           % (self.docker_host, action, describe_api_error(exc)), status_code=status)

    def call(self, action, method, *args, **kwargs):
        """Run ``self.api.<method>(*args, **kwargs)``; ``action`` describes it for error messages."""
        func = getattr(self.api, method)
        return self._guard(lambda: func(*args, **kwargs), action)

    def call_or_none(self, action, method, *args, **kwargs):
        """Like :meth:`call`, but a 404 from the engine gives ``None`` (inspecting what may not exist)."""
        func = getattr(self.api, method)
        return self._guard(lambda: func(*args, **kwargs), action, missing_ok=True)

    def read_or_none(self, action, explain, method, *args, **kwargs):
        """Like :meth:`call_or_none`, for answers only the caller can read: ``explain(status, text)``
        gives the one line for an error the engine answered with (None keeps the usual one)."""
        func = getattr(self.api, method)
        return self._guard(lambda: func(*args, **kwargs), action, missing_ok=True, explain=explain)

    def stream(self, action, method, consume, *args, **kwargs):
        """Run an SDK call that answers with a stream (build, push, pull, load, save) to its end.

        ``consume`` gets every chunk; it may raise DockerError for an error the engine reports
        inside the stream (a failed build step, a refused push), which is passed on as it is.
        """
        func = getattr(self.api, method)

        def run():
            answer = func(*args, **kwargs)
            for chunk in (answer if answer is not None else ()):
                consume(chunk)
        return self._guard(run, action)

    def post_json(self, action, path, path_args, body):
        """POST a JSON body to an API path the SDK has no (or only a partial) method for.

        Example: the SDK's update_container() lacks NanoCpus and PidsLimit, which the engine's
        update endpoint accepts. This is the one place that uses the SDK's request helpers.
        """
        return self.send_json(action, 'POST', path, path_args, body)

    def send_json(self, action, method, path, path_args=(), body=None, params=None, headers=None):
        """Send ``body`` as JSON to an API path with the SDK's request helpers; the answer's JSON (or None).

        For calls whose SDK method lacks something the engine takes: a service spec sent as it
        is, with the registry credentials in ``headers`` (X-Registry-Auth) and ``params``.
        """
        api = self.api

        # The SDK adds its Content-Type to a headers dict of its own making when none is given.
        extra = dict(params=params, headers=dict(headers)) if headers else dict(params=params)

        def send():
            url = api._url(path, *path_args)
            if method == 'POST':
                response = api._post_json(url, data=body, **extra)
            else:
                response = api._delete(url, **extra)
            api._raise_for_status(response)
            # Some endpoints (a secret's or config's label update) answer with an empty body: None.
            return response.json() if response.content else None
        return self._guard(send, action)

    def version(self):
        if self._version_info is None:
            self._version_info = self.call('report its version', 'version', api_version=False)
        return self._version_info

    def info(self):
        return self.call('report its state', 'info')

    def close(self):
        api = getattr(self, 'api', None)
        if api is not None:
            api.close()
