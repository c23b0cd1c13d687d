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

import base64
import errno
import importlib.util
import json
import os
import re
import socket
import sys
from urllib.parse import quote, urlencode

from ansible.module_utils.basic import env_fallback

from ansible_collections.dockhand.docker.plugins.module_utils.errors import DockerError, InvalidValue

# The Docker SDK is imported on first use, not with this file: importing it (requests, urllib3)
# is about a third of a preflight read's time on a small host, and engine_info reads a local
# engine without it (LocalReads below).
_LOADED_SDK = {}


def sdk_installed():
    """Whether the Docker SDK for Python can be found (without importing it)."""
    return importlib.util.find_spec('docker') is not None


def _sdk():
    """The SDK's modules, imported once; a missing or broken SDK is the one-line SDK message."""
    if not _LOADED_SDK:
        try:
            import docker
            import docker.constants
            import docker.errors
            import docker.tls
            from requests.exceptions import RequestException
        except ImportError:
            raise DockerError(sdk_missing_message())
        _LOADED_SDK.update(docker=docker, errors=docker.errors, request_error=RequestException)
    return _LOADED_SDK


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


# SSL errors of the SDK's stack, matched by name as well.
_SSL_ERRORS = ('SSLError', 'SSLCertVerificationError')
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
    # An SSL error means the ssl module is loaded; importing it only to ask would cost the local reads.
    ssl = sys.modules.get('ssl')
    for cause in causes:
        if ssl is not None and isinstance(cause, ssl.SSLCertVerificationError):
            detail = getattr(cause, 'verify_message', None) or getattr(cause, 'reason', None) or 'rejected'
            return ('TLS handshake failed: the certificate of the engine could not be verified (%s); give ca_path '
                    'with the CA that signed it, or validate_certs: false to connect without verifying it' % detail)
    for cause in causes:
        if (ssl is not None and isinstance(cause, ssl.SSLError)) or type(cause).__name__ in _SSL_ERRORS:
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


def _answered_status(exc):
    """The HTTP status of an error the engine answered with (0 for an SDK APIError without one), else None."""
    if isinstance(exc, EngineAnswer):
        return exc.status_code
    errors = _LOADED_SDK.get('errors')
    if errors is not None and isinstance(exc, errors.APIError):
        return 404 if isinstance(exc, errors.NotFound) else (exc.status_code or 0)
    return None


def _connection_failure(exc):
    """Whether ``exc`` means the engine could not be reached or did not answer as HTTP."""
    if isinstance(exc, (OSError, NotAnAnswer)):
        return True
    http_client = sys.modules.get('http.client')
    if http_client is not None and isinstance(exc, http_client.HTTPException):
        return True
    errors = _LOADED_SDK.get('errors')
    return errors is not None and isinstance(exc, (errors.DockerException, _LOADED_SDK['request_error']))


class NotAnAnswer(Exception):
    """What came back over the engine's socket was not an HTTP answer (LocalReads)."""


class EngineAnswer(Exception):
    """An error the engine answered with, read by :class:`LocalReads` (the SDK raises its APIError)."""

    def __init__(self, status_code, explanation):
        super(EngineAnswer, self).__init__('%s (HTTP %s)' % (explanation, status_code))
        self.status_code = status_code
        self.explanation = explanation


def _filters_json(filters):
    """Filters as the SDK sends them: each value a list of strings, booleans as 'true' or 'false'."""
    encoded = {}
    for name, want in filters.items():
        if isinstance(want, bool):
            want = 'true' if want else 'false'
        encoded[name] = [item if isinstance(item, str) else str(item)
                         for item in (want if isinstance(want, list) else [want])]
    return json.dumps(encoded)


def _query(params):
    """The query string of a read, as the SDK sends it (parameters that are None left out)."""
    pairs = [(key, _filters_json(value) if key == 'filters' else value) for key, value in params if value is not None]
    return '?' + urlencode(pairs) if pairs else ''


def _sdk_file_value(path, pattern):
    try:
        with open(path) as source:
            found = re.search(pattern, source.read(), re.M)
    except OSError:
        return None
    return found.group(1) if found else None


def sdk_defaults():
    """(SDK version, the API version the SDK speaks at most), read from its files without importing
    it; None when the SDK is missing or its files are not as expected (then the SDK is imported)."""
    spec = importlib.util.find_spec('docker')
    if spec is None or not spec.submodule_search_locations:
        return None
    root = list(spec.submodule_search_locations)[0]
    api = _sdk_file_value(os.path.join(root, 'constants.py'), r"^DEFAULT_DOCKER_API_VERSION = ['\"]([0-9.]+)['\"]")
    version = (_sdk_file_value(os.path.join(root, '_version.py'), r"^__version__ = version = ['\"]([^'\"]+)['\"]")
               or _sdk_file_value(os.path.join(root, 'version.py'), r"^version = ['\"]([^'\"]+)['\"]"))
    return (version, api) if api and version else None


class LocalReads(object):
    """The engine's read calls, over its local socket, with the standard library.

    Why: engine_info reads every host on every site.yml run, and importing the SDK costs more
    than the reads. Each method is the SDK method of the same name (same path, query and answer);
    a call this table lacks goes to the SDK.
    """

    # SDK method -> (path, its query parameters in the SDK's order and the engine's names)
    ROUTES = {
        'info': ('/info', ()),
        'inspect_swarm': ('/swarm', ()),
        'nodes': ('/nodes', (('filters', 'filters'),)),
        'inspect_node': ('/nodes/{0}', ()),
        'inspect_image': ('/images/{0}/json', ()),
        'inspect_container': ('/containers/{0}/json', ()),
        'inspect_network': ('/networks/{0}', (('verbose', 'verbose'), ('scope', 'scope'))),
        'inspect_service': ('/services/{0}', (('insert_defaults', 'insertDefaults'),)),
        'inspect_task': ('/tasks/{0}', ()),
        'services': ('/services', (('filters', 'filters'), ('status', 'status'))),
        'tasks': ('/tasks', (('filters', 'filters'),)),
        'secrets': ('/secrets', (('filters', 'filters'),)),
        'configs': ('/configs', (('filters', 'filters'),)),
        'inspect_distribution': ('/distribution/{0}/json', ()),
    }

    def __init__(self, socket_path, timeout):
        self.socket_path = socket_path
        self.timeout = timeout
        self.api_version = None

    def get(self, path, headers=None, versioned=True):
        """GET ``path``; the answer's JSON, or EngineAnswer for an error status."""
        prefix = '/v%s' % self.api_version if versioned else ''
        status, body = _unix_get(self.socket_path, prefix + path, dict(headers or {}, Host='docker'), self.timeout)
        if status >= 400:
            try:
                explanation = json.loads(body.decode('utf-8', 'replace'))['message']
            except (ValueError, KeyError, TypeError):
                explanation = body.decode('utf-8', 'replace').strip()
            raise EngineAnswer(status, explanation)
        return json.loads(body.decode('utf-8')) if body else None

    def reads(self, method, args, kwargs):
        """Whether this call is one of the reads, with arguments as the callers give them."""
        route = self.ROUTES.get(method)
        if route is None or len(args) != route[0].count('{') or not all(isinstance(arg, str) for arg in args):
            return False
        known = set(name for name, _engine in route[1])
        if method == 'inspect_distribution':
            known.add('auth_config')
        return set(kwargs) <= known

    def call(self, method, *args, **kwargs):
        path, query = self.ROUTES[method]
        if method == 'inspect_distribution':
            # Our callers always give auth_config; the SDK sends it as this header.
            auth = base64.urlsafe_b64encode(json.dumps(kwargs.pop('auth_config', None) or {}).encode('ascii'))
            headers = {'X-Registry-Auth': auth.decode('ascii')}
        else:
            headers = None
        url = path.format(*[quote(arg, safe='/:') for arg in args])
        return self.get(url + _query([(engine, kwargs.get(name)) for name, engine in query]), headers)


def _unix_get(socket_path, target, headers, timeout):
    """(status, body) of ``GET target`` over a unix socket, asked as HTTP/1.0: the engine then sends
    no chunked body and closes the connection after its answer. Written out because http.client,
    with the ssl and email modules it imports, costs a small host more CPU than engine_info's reads.
    """
    request = 'GET %s HTTP/1.0\r\n%s\r\n' % (target, ''.join('%s: %s\r\n' % item for item in headers.items()))
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(socket_path)
        sock.sendall(request.encode('latin-1'))
        received, length, end = bytearray(), None, -1
        while length is None or len(received) < end + 4 + length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
            if end < 0:
                end = received.find(b'\r\n\r\n')
                if end >= 0:
                    length = _content_length(bytes(received[:end]))
    finally:
        sock.close()
    status_line = bytes(received[:max(end, 0)]).split(b'\r\n', 1)[0].split(None, 2)
    if end < 0 or len(status_line) < 2 or not status_line[0].startswith(b'HTTP/') or not status_line[1].isdigit():
        raise NotAnAnswer('the answer on the socket was not HTTP')
    body = bytes(received[end + 4:])
    if length is not None and len(body) < length:
        raise NotAnAnswer('the answer on the socket ended after %d of its %d bytes' % (len(body), length))
    return int(status_line[1]), body if length is None else body[:length]


def _content_length(head):
    """The Content-Length of an answer's head, None when it has none (the body ends with the connection)."""
    for line in head.split(b'\r\n')[1:]:
        name, _colon, value = line.partition(b':')
        if name.strip().lower() == b'content-length' and value.strip().isdigit():
            return int(value.strip())
    return None


class EngineClient(object):
    """A connected Docker engine: the low-level SDK client plus what was learnt connecting.

    Modules call the engine through :meth:`call`, which converts every SDK failure into a
    :class:`DockerError` naming the engine; the thin helpers below cover the common calls.
    ``read_only`` (engine_info): the module changes nothing, so /info is read once, and read
    calls to a local socket without TLS go through :class:`LocalReads`; the SDK is imported only
    for a call they lack.
    """

    def __init__(self, params, warn=None, read_only=False):
        self.warn = warn or (lambda message: None)
        self.read_only = read_only
        self._info = None
        self.docker_host = params.get('docker_host') or DEFAULT_DOCKER_HOST
        timeout = params.get('timeout')
        if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, int) or timeout < 0):
            raise InvalidValue('timeout: %r is not a number of seconds; give a whole number above 0' % (timeout,))
        self.timeout = timeout or DEFAULT_TIMEOUT
        requested = params.get('api_version') or 'auto'
        if requested != 'auto':
            try:
                _api_version_tuple(requested)
            except ValueError:
                raise DockerError('api_version %r is not a version such as 1.41 or "auto"' % requested)
        defaults = sdk_defaults() if read_only else None
        tls_wanted = params.get('tls') or params.get('validate_certs')
        if defaults and self.docker_host.startswith('unix://') and not tls_wanted:
            self._start_local(defaults, requested)
        else:
            self._start_sdk(params, requested)

    def _start_local(self, defaults, requested):
        self.sdk_version, sdk_api = defaults
        self._tls = False
        self._api = None
        self._reader = LocalReads(self.docker_host[len('unix://'):], self.timeout)
        self._version_info = None
        if requested == 'auto':
            self._version_info = self._guard(lambda: self._reader.get('/version', versioned=False), 'connect')
            server_api = self._version_info.get('ApiVersion') or sdk_api
            self.api_version = min(server_api, sdk_api, key=_api_version_tuple)
        else:
            self.api_version = requested
        self._reader.api_version = self.api_version

    def _start_sdk(self, params, requested):
        docker = _sdk()['docker']
        self.sdk_version = getattr(docker, '__version__', 'unknown')
        self._reader = None
        self._tls = self._tls_config(params)
        self._version_info = None
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
            self.api_version = requested
        self._api = self._api_client(self.api_version)

    @property
    def api(self):
        """The SDK's low-level client, made on first use where the reads did without it."""
        if getattr(self, '_api', None) is None:
            self._api = self._api_client(self.api_version)
        return self._api

    @api.setter
    def api(self, value):
        self._api = value

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
        sdk = _sdk()
        try:
            return sdk['docker'].tls.TLSConfig(client_cert=(cert, key) if cert else None,
                                               ca_cert=ca_path if verify else None, verify=bool(verify))
        except sdk['errors'].TLSParameterError as exc:
            raise DockerError('invalid TLS settings for %s: %s' % (self.docker_host, exc))

    def _api_client(self, version):
        docker = _sdk()['docker']
        tls = getattr(self, '_tls', False)
        api = self._guard(lambda: docker.APIClient(base_url=self.docker_host, version=version,
                                                   timeout=self.timeout, tls=tls), 'connect')
        if tls and (tls.ca_cert or not tls.verify):
            _pin_verify(api)
        return api

    def _guard(self, func, action, missing_ok=False, explain=None):
        try:
            return func()
        except Exception as exc:  # pylint: disable=broad-except
            status = _answered_status(exc)
            if status is None and not _connection_failure(exc):
                raise
            failure = exc
        if status == 404 and missing_ok:
            return None
        if status is not None:
            raise self._api_failure(action, failure, explain)
        raise DockerError('Cannot reach the Docker engine at %s: %s'
                          % (self.docker_host, describe_connection_error(failure, self.docker_host, self.timeout)))

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

    def _bound(self, method, args, kwargs):
        """``method(*args, **kwargs)`` as a function of nothing: a local read where there is one, else the SDK's."""
        reader = getattr(self, '_reader', None)
        if reader is not None and reader.reads(method, args, kwargs):
            return lambda: reader.call(method, *args, **kwargs)
        func = getattr(self.api, method)
        return lambda: func(*args, **kwargs)

    def call(self, action, method, *args, **kwargs):
        """Run ``self.api.<method>(*args, **kwargs)``; ``action`` describes it for error messages."""
        return self._guard(self._bound(method, args, kwargs), action)

    def call_or_none(self, action, method, *args, **kwargs):
        """Like :meth:`call`, but a 404 from the engine gives ``None`` (inspecting what may not exist)."""
        return self._guard(self._bound(method, args, kwargs), action, missing_ok=True)

    def read_or_none(self, action, explain, method, *args, **kwargs):
        """Like :meth:`call_or_none`, for answers only the caller can read: ``explain(status, text)``
        gives the one line for an error the engine answered with (None keeps the usual one)."""
        return self._guard(self._bound(method, args, kwargs), action, missing_ok=True, explain=explain)

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
            if self._reader is not None:
                self._version_info = self._guard(lambda: self._reader.get('/version', versioned=False),
                                                 'report its version')
            else:
                self._version_info = self.call('report its version', 'version', api_version=False)
        return self._version_info

    def info(self):
        """The engine's /info; read once by a client that only reads (several planners ask for it)."""
        if self._info is None or not self.read_only:
            self._info = self.call('report its state', 'info')
        return self._info

    def close(self):
        api = getattr(self, '_api', None)
        if api is not None:
            api.close()
