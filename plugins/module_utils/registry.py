# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small client for the Docker Registry HTTP API v2, and the docker client's credentials file.

Modules use it to ask a registry what a tag points to (the manifest digest) and which platforms
an image offers, without pulling anything. It needs only the Python standard library, so it
runs on any managed host with Python 3.8 or newer.

Authentication follows the registry's ``WWW-Authenticate`` challenge: HTTP Basic, or a Bearer
token fetched from the token service the registry names. Every failure is a
:class:`RegistryError` whose ``msg`` is one line naming the registry and the cause; passwords
and tokens never appear in it.

The pure helpers (challenge parsing, credential encoding and lookup, scheme choice, platform
matching) are separate functions so that they can be tested without a registry.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import errno
import hashlib
import json
import os
import re
import socket
import ssl
from http.client import HTTPException
from urllib.error import HTTPError, URLError
from urllib.parse import quote, urlencode, urljoin, urlsplit
from urllib.request import HTTPRedirectHandler, HTTPSHandler, Request, build_opener

from ansible_collections.dockhand.docker.plugins.module_utils.errors import DockerError

DOCKER_HUB = 'docker.io'
DOCKER_HUB_API = 'https://registry-1.docker.io'
# The key `docker login` uses in config.json for Docker Hub.
DOCKER_HUB_CONFIG_KEY = 'https://index.docker.io/v1/'
# Other names that mean Docker Hub (registry-1.docker.io is an endpoint name docker leaves alone).
DOCKER_HUB_ALIASES = ('docker.io', 'index.docker.io')

MEDIA_TYPE_DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json'
MEDIA_TYPE_DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json'
MEDIA_TYPE_OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'
MEDIA_TYPE_OCI_INDEX = 'application/vnd.oci.image.index.v1+json'
MEDIA_TYPE_DOCKER_SCHEMA1 = 'application/vnd.docker.distribution.manifest.v1+prettyjws'
MANIFEST_MEDIA_TYPES = (MEDIA_TYPE_DOCKER_MANIFEST, MEDIA_TYPE_DOCKER_LIST, MEDIA_TYPE_OCI_MANIFEST,
                        MEDIA_TYPE_OCI_INDEX)
LIST_MEDIA_TYPES = (MEDIA_TYPE_DOCKER_LIST, MEDIA_TYPE_OCI_INDEX)

DEFAULT_TIMEOUT = 30
MAX_REDIRECTS = 5
# Manifests are small; a larger answer is not a manifest (and must not exhaust memory).
MAX_MANIFEST_BYTES = 4 * 1024 * 1024
MAX_CONFIG_BYTES = 16 * 1024 * 1024


class RegistryError(DockerError):
    """A registry failure to report as one line.

    ``msg`` names the registry and the cause; ``kind`` classifies it for callers:
    ``unreachable``, ``auth_required``, ``auth_failed``, ``denied``, ``not_found``, ``config``
    or ``protocol``. ``status`` is the HTTP status when there was one.
    """

    def __init__(self, msg, kind='protocol', status=None):
        super(RegistryError, self).__init__(msg)
        self.kind = kind
        self.status = status


# --------------------------------------------------------------------------- registry names


def normalize_registry(value):
    """The registry host[:port] of what users write: 'https://host:5000/v2/' -> 'host:5000'.

    Every spelling of Docker Hub ('index.docker.io', 'https://index.docker.io/v1/', ...) gives
    'docker.io'. Host names are lower-cased (they are case-insensitive); ports are kept.
    """
    text = (value or '').strip()
    if not text:
        return DOCKER_HUB
    if '://' in text:
        text = text.split('://', 1)[1]
    text = text.split('/', 1)[0]
    host, port = _split_host_port(text)
    host = host.lower()
    if host in DOCKER_HUB_ALIASES and port is None:
        return DOCKER_HUB
    return '%s:%s' % (host, port) if port is not None else host


def _split_host_port(text):
    """('host', 'port' or None) of 'host', 'host:port', '[v6]', '[v6]:port'."""
    if text.startswith('['):
        end = text.find(']')
        if end >= 0:
            rest = text[end + 1:]
            return text[:end + 1], (rest[1:] if rest.startswith(':') else None)
        return text, None
    if text.count(':') == 1:
        host, port = text.split(':')
        return host, port
    return text, None


def is_loopback(registry_host):
    """True for localhost, 127.0.0.0/8 and [::1] (with or without a port)."""
    host = _split_host_port(normalize_registry(registry_host))[0].lower()
    if host.startswith('[') and host.endswith(']'):
        host = host[1:-1]
    if host == 'localhost' or host.endswith('.localhost'):
        return True
    if host == '::1':
        return True
    parts = host.split('.')
    return len(parts) == 4 and parts[0] == '127' and all(part.isdigit() and int(part) < 256 for part in parts)


def registry_base_url(registry_host):
    """The API base URL: Docker Hub's API host, plain HTTP on loopback (like the engine), else HTTPS."""
    registry = normalize_registry(registry_host)
    if registry == DOCKER_HUB:
        return DOCKER_HUB_API
    scheme = 'http' if is_loopback(registry) else 'https'
    return '%s://%s' % (scheme, registry)


def config_key(registry_host):
    """The key `docker login` writes in config.json for this registry."""
    registry = normalize_registry(registry_host)
    return DOCKER_HUB_CONFIG_KEY if registry == DOCKER_HUB else registry


def config_keys_matching(auths, registry_host):
    """The keys of an ``auths`` mapping that name this registry, the canonical key first.

    docker accepts 'host', 'http://host', 'https://host' and 'https://host/v1/' spellings.
    """
    registry = normalize_registry(registry_host)
    canonical = config_key(registry)
    keys = [canonical] if canonical in auths else []
    for key in auths:
        if key != canonical and normalize_registry(key) == registry:
            keys.append(key)
    return keys


# --------------------------------------------------------------------------- credentials


def encode_auth(username, password):
    """config.json's ``auth`` value: base64 of 'username:password' (UTF-8)."""
    raw = ('%s:%s' % (username, password)).encode('utf-8')
    return base64.b64encode(raw).decode('ascii')


def decode_auth(value):
    """(username, password) of an ``auth`` value, or None when it is not one."""
    if not value or not isinstance(value, str):
        return None
    try:
        raw = base64.b64decode(value.strip().encode('ascii'), validate=True).decode('utf-8')
    except (ValueError, UnicodeError):
        return None
    username, sep, password = raw.partition(':')
    if not sep or not username:
        return None
    return username, password


def entry_credentials(entry):
    """(username, password) of one ``auths`` entry, from ``auth`` or from separate fields."""
    if not isinstance(entry, dict):
        return None
    decoded = decode_auth(entry.get('auth'))
    if decoded:
        return decoded
    username, password = entry.get('username'), entry.get('password')
    if isinstance(username, str) and username and isinstance(password, str):
        return username, password
    return None


def default_config_path():
    """config.json of the user this runs as: $DOCKER_CONFIG/config.json or ~/.docker/config.json."""
    directory = os.environ.get('DOCKER_CONFIG')
    if not directory:
        directory = os.path.join(os.path.expanduser('~'), '.docker')
    return os.path.join(directory, 'config.json')


def read_config(config_path=None):
    """The parsed docker client config (a dict); {} when the file does not exist.

    Raises RegistryError (kind ``config``) when it cannot be read or is not a JSON object.
    """
    path = config_path or default_config_path()
    try:
        with open(path, 'rb') as handle:
            data = handle.read()
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return {}
        raise RegistryError('cannot read the docker client config %s: %s' % (path, exc.strerror or exc),
                            kind='config')
    if not data.strip():
        return {}
    try:
        config = json.loads(data.decode('utf-8'))
    except ValueError as exc:
        raise RegistryError('the docker client config %s is not valid JSON: %s' % (path, exc), kind='config')
    if not isinstance(config, dict):
        raise RegistryError('the docker client config %s is not a JSON object' % path, kind='config')
    return config


def _auths(config):
    auths = config.get('auths')
    return auths if isinstance(auths, dict) else {}


def credential_helper(registry_host, config_path=None, config=None):
    """The credential helper docker would ask for this registry ('credHelpers', then 'credsStore').

    None when none is set. credentials.py runs it; the login module warns with its name.
    """
    if config is None:
        config = read_config(config_path)
    helpers = config.get('credHelpers')
    if isinstance(helpers, dict):
        registry = normalize_registry(registry_host)
        for key, helper in helpers.items():
            if normalize_registry(key) == registry and helper:
                return helper
    store = config.get('credsStore')
    return store if isinstance(store, str) and store else None


def load_credentials(registry_host, config_path=None, config=None):
    """(username, password) for this registry from config.json's ``auths``, or None.

    The canonical key wins over other spellings of the same registry. Entries kept by a
    credential helper (no ``auth`` in the file) give None; see :func:`credential_helper`.
    """
    if config is None:
        config = read_config(config_path)
    auths = _auths(config)
    for key in config_keys_matching(auths, registry_host):
        found = entry_credentials(auths[key])
        if found:
            return found
    return None


# --------------------------------------------------------------------------- challenges

_TOKEN = r'[!#$%&\'*+.^_`|~0-9A-Za-z-]+'
_CHALLENGE_PARAM = re.compile(r'\s*(%s)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|(%s))\s*' % (_TOKEN, r'[^\s,]*'))
_CHALLENGE_SCHEME = re.compile(r'\s*(%s)(?=\s|,|$)' % _TOKEN)


def parse_challenges(header):
    """Parse a ``WWW-Authenticate`` value into [(scheme lower-cased, {param lower-cased: value})].

    Handles quoted values with commas and backslash escapes, and several challenges in one header.
    Anything unparsable ends the parse; what was understood so far is returned.
    """
    challenges = []
    text = header or ''
    pos = 0
    while pos < len(text):
        while pos < len(text) and text[pos] in ', \t':
            pos += 1
        scheme = _CHALLENGE_SCHEME.match(text, pos)
        if not scheme:
            break
        params = {}
        pos = scheme.end()
        while True:
            param = _CHALLENGE_PARAM.match(text, pos)
            if not param:
                break
            name = param.group(1).lower()
            quoted, bare = param.group(2), param.group(3)
            params[name] = re.sub(r'\\(.)', r'\1', quoted) if quoted is not None else bare
            pos = param.end()
            if pos < len(text) and text[pos] == ',':
                # A comma followed by 'word=' continues this challenge; 'word ' starts a new one.
                following = _CHALLENGE_PARAM.match(text, pos + 1)
                if following:
                    pos += 1
                    continue
            break
        challenges.append((scheme.group(1).lower(), params))
    return challenges


def choose_challenge(header):
    """(scheme, params) to answer: Bearer when offered, else Basic; None when neither."""
    challenges = parse_challenges(header)
    for wanted in ('bearer', 'basic'):
        for scheme, params in challenges:
            if scheme == wanted:
                return scheme, params
    return None


# --------------------------------------------------------------------------- platforms

_ARCH_ALIASES = {
    'x86_64': 'amd64', 'x86-64': 'amd64', 'amd64': 'amd64',
    'aarch64': 'arm64', 'arm64': 'arm64',
    'i386': '386', 'i686': '386', '386': '386',
    'armhf': 'arm', 'armel': 'arm', 'arm': 'arm',
}
# Variants implied by an architecture alias or by the architecture alone.
_ALIAS_VARIANT = {'armhf': 'v7', 'armel': 'v6'}
_DEFAULT_VARIANT = {'arm': 'v7'}
_KNOWN_OS = ('linux', 'windows', 'darwin', 'freebsd', 'netbsd', 'openbsd', 'solaris', 'illumos', 'aix',
             'plan9', 'js', 'wasip1', 'android', 'ios', 'dragonfly')


def normalize_platform(value):
    """'os/arch[/variant]' in the registry's (Go's) names, as docker compares platforms.

    Accepts a string ('linux/amd64', 'linux/arm64/v8', 'x86_64', 'linux/arm') or a manifest
    list's platform dict. The OS defaults to linux; architecture aliases are mapped
    (x86_64 -> amd64, aarch64 -> arm64); arm64's default variant v8 is dropped and 32-bit
    arm without a variant means v7. Raises ValueError for an empty or malformed value.
    """
    if isinstance(value, dict):
        os_name = value.get('os') or 'linux'
        arch = value.get('architecture') or ''
        variant = value.get('variant') or ''
    else:
        parts = [part.strip() for part in str(value or '').strip().lower().split('/')]
        if not parts or not parts[0] or len(parts) > 3 or not all(parts):
            raise ValueError('%r is not a platform such as linux/amd64 or linux/arm64/v8' % (value,))
        if len(parts) == 1:
            if parts[0] in _KNOWN_OS:
                raise ValueError('%r names only an operating system; give os/architecture, such as %s/amd64'
                                 % (value, parts[0]))
            os_name, arch, variant = 'linux', parts[0], ''
        else:
            os_name, arch = parts[0], parts[1]
            variant = parts[2] if len(parts) == 3 else ''
    os_name, arch, variant = os_name.lower(), arch.lower(), variant.lower()
    if not arch:
        raise ValueError('%r has no architecture' % (value,))
    variant = variant or _ALIAS_VARIANT.get(arch, '')
    arch = _ARCH_ALIASES.get(arch, arch)
    if arch == 'arm64' and variant == 'v8':
        variant = ''
    variant = variant or _DEFAULT_VARIANT.get(arch, '')
    return '/'.join(part for part in (os_name, arch, variant) if part)


def platform_matches(wanted, candidate):
    """True when ``candidate`` satisfies ``wanted`` (both strings or platform dicts).

    A wanted platform without a variant accepts any variant of that os/architecture, except
    32-bit arm, where no variant means v7.
    """
    wanted_parts = normalize_platform(wanted).split('/')
    candidate_parts = normalize_platform(candidate).split('/')
    if wanted_parts[:2] != candidate_parts[:2]:
        return False
    return len(wanted_parts) == 2 or wanted_parts == candidate_parts


def find_platform(platforms, wanted):
    """The first of ``platforms`` (strings or dicts) matching ``wanted``, or None."""
    for candidate in platforms:
        try:
            if platform_matches(wanted, candidate):
                return candidate
        except ValueError:
            continue
    return None


def _platform_string(platform):
    """'os/arch[/variant]' of a manifest list platform dict, as written (not normalised)."""
    parts = [platform.get('os') or 'unknown', platform.get('architecture') or 'unknown']
    if platform.get('variant'):
        parts.append(platform['variant'])
    return '/'.join(parts)


# --------------------------------------------------------------------------- HTTP


class RegistryResponse(object):
    """One HTTP answer: ``status``, ``headers`` (case-insensitive get), ``body`` bytes, final ``url``."""

    def __init__(self, status, headers, body, url):
        self.status = status
        self.headers = headers
        self.body = body
        self.url = url

    def header(self, name, default=None):
        value = self.headers.get(name) if self.headers is not None else None
        return value if value is not None else default

    def json(self):
        return json.loads(self.body.decode('utf-8'))


class _NoRedirect(HTTPRedirectHandler):
    """Redirects are followed by RegistryClient itself, to drop credentials on other hosts."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def _describe_url_error(exc, timeout):
    """The reason part of 'cannot reach registry ...' for a transport failure."""
    reason = getattr(exc, 'reason', exc)
    if isinstance(reason, (socket.timeout,)) or 'timed out' in str(reason):
        return 'timed out after %s s' % timeout
    if isinstance(reason, ssl.SSLError) or type(reason).__name__ == 'SSLCertVerificationError':
        detail = getattr(reason, 'reason', None) or getattr(reason, 'verify_message', None) or str(reason)
        return 'TLS failed (%s)' % detail
    code = getattr(reason, 'errno', None)
    if code == errno.ECONNREFUSED or 'Connection refused' in str(reason):
        return 'connection refused'
    if code == errno.EHOSTUNREACH:
        return 'no route to host'
    if code == errno.ENETUNREACH:
        return 'network unreachable'
    if isinstance(reason, socket.gaierror) or 'Name or service not known' in str(reason):
        return 'the host name does not resolve'
    if isinstance(reason, ConnectionResetError):
        return 'connection reset'
    if isinstance(reason, HTTPException):
        return 'not an HTTP answer (%s); is it a registry, and is the scheme right?' % type(reason).__name__
    text = getattr(reason, 'strerror', None) or str(reason)
    return ' '.join(text.split()) or type(reason).__name__


def _error_summary(response):
    """'CODE: message' from a registry's JSON error body, or ''."""
    try:
        errors = response.json().get('errors') or []
        first = errors[0]
        text = '%s: %s' % (first.get('code', 'ERROR'), first.get('message', ''))
    except (ValueError, AttributeError, IndexError, TypeError, UnicodeError):
        return ''
    return ' '.join(text.split())[:300]


def _media_type_of(content_type, data):
    """The manifest's media type: the Content-Type when it names one, else the body's own claim."""
    media_type = (content_type or '').split(';')[0].strip()
    if media_type in MANIFEST_MEDIA_TYPES + (MEDIA_TYPE_DOCKER_SCHEMA1,):
        return media_type
    if isinstance(data.get('mediaType'), str) and data['mediaType']:
        return data['mediaType']
    if data.get('schemaVersion') == 1:
        return MEDIA_TYPE_DOCKER_SCHEMA1
    if 'manifests' in data:
        return MEDIA_TYPE_OCI_INDEX
    return MEDIA_TYPE_OCI_MANIFEST


def realm_may_get_credentials(realm, registry_url):
    """Whether Basic credentials may go to a token service: on https, or on the registry's own host."""
    realm_parts, registry_parts = urlsplit(realm), urlsplit(registry_url)
    if realm_parts.scheme.lower() == 'https':
        return True
    return bool(realm_parts.hostname) and realm_parts.hostname == registry_parts.hostname


def _without_query(url):
    parts = urlsplit(url)
    return '%s://%s%s' % (parts.scheme, parts.netloc, parts.path)


class RegistryClient(object):
    """Talks to one registry over the HTTP API v2, authenticating as its challenges ask."""

    def __init__(self, registry_host, username=None, password=None, timeout=DEFAULT_TIMEOUT,
                 validate_certs=True, base_url=None, ssl_context=None):
        """``ssl_context`` (CAs, client certificate) wins over ``validate_certs``."""
        self.registry = normalize_registry(registry_host)
        self.base_url = (base_url or registry_base_url(self.registry)).rstrip('/')
        self.username = username or None
        self._password = password if username else None
        self.timeout = timeout
        self.validate_certs = validate_certs
        handlers = [_NoRedirect()]
        if ssl_context is None and not validate_certs:
            ssl_context = ssl.create_default_context()
            ssl_context.check_hostname = False
            ssl_context.verify_mode = ssl.CERT_NONE
        if ssl_context is not None:
            handlers.append(HTTPSHandler(context=ssl_context))
        self._opener = build_opener(*handlers)
        self._basic = None          # 'Basic ...' once the registry asked for it
        self._tokens = {}           # scope -> 'Bearer ...'

    # ---------------------------------------------------------------- transport

    def _send(self, method, url, headers, body=None, max_bytes=None):
        """One HTTP exchange (no redirects followed); any status is a response, never an exception."""
        request = Request(url, data=body, headers=headers)
        request.get_method = lambda: method
        try:
            handle = self._opener.open(request, timeout=self.timeout)
        except HTTPError as exc:
            handle = exc
        except (URLError, HTTPException, socket.timeout, ssl.SSLError, OSError) as exc:
            raise RegistryError('cannot reach registry %s (%s): %s'
                                % (self.registry, _without_query(url), _describe_url_error(exc, self.timeout)),
                                kind='unreachable')
        try:
            status = handle.getcode()
            response_headers = handle.headers if handle.headers is not None else {}
            if method == 'HEAD':
                data = b''
            else:
                data = handle.read(max_bytes + 1) if max_bytes else handle.read()
        except (HTTPException, socket.timeout, ssl.SSLError, OSError) as exc:
            raise RegistryError('cannot reach registry %s (%s): %s'
                                % (self.registry, _without_query(url), _describe_url_error(exc, self.timeout)),
                                kind='unreachable')
        finally:
            handle.close()
        if max_bytes and len(data) > max_bytes:
            raise RegistryError('registry %s sent more than %d bytes for %s'
                                % (self.registry, max_bytes, _without_query(url)))
        return RegistryResponse(status, response_headers, data, url)

    def _send_following(self, method, url, headers, body=None, max_bytes=None):
        """_send, following redirects; credentials go only to the host that was asked first."""
        origin = urlsplit(url).netloc
        for _hop in range(MAX_REDIRECTS + 1):
            response = self._send(method, url, headers, body, max_bytes)
            location = response.header('Location')
            if response.status not in (301, 302, 303, 307, 308) or not location:
                return response
            url = urljoin(url, location)
            if urlsplit(url).netloc != origin:
                headers = dict((key, value) for key, value in headers.items() if key.lower() != 'authorization')
            if response.status == 303:
                method, body = ('GET' if method != 'HEAD' else 'HEAD'), None
        raise RegistryError('registry %s redirected more than %d times for %s'
                            % (self.registry, MAX_REDIRECTS, _without_query(url)))

    # ---------------------------------------------------------------- authentication

    def _basic_header(self):
        raw = ('%s:%s' % (self.username, self._password)).encode('utf-8')
        return 'Basic ' + base64.b64encode(raw).decode('ascii')

    def _auth_required(self):
        return RegistryError('authentication required by %s; log in with dockhand.docker.login or give credentials'
                             % self.registry, kind='auth_required', status=401)

    def _rejected(self):
        return RegistryError('%s rejected the credentials of user %s' % (self.registry, self.username),
                             kind='auth_failed', status=401)

    def _fetch_token(self, params, scope):
        realm = params.get('realm')
        if not realm:
            raise RegistryError('registry %s asked for a bearer token without naming a token service (realm)'
                                % self.registry)
        query = []
        if params.get('service'):
            query.append(('service', params['service']))
        for item in (scope or '').split(' '):
            if item:
                query.append(('scope', item))
        if self.username:
            query.append(('account', self.username))
        url = realm + ('&' if '?' in realm else '?') + urlencode(query) if query else realm
        headers = {'Accept': 'application/json'}
        if self.username:
            if not realm_may_get_credentials(realm, self.base_url):
                raise RegistryError('registry %s names a token service on plain http at another host (%s); the '
                                    'credentials of user %s are not sent there'
                                    % (self.registry, _without_query(realm), self.username), kind='config')
            headers['Authorization'] = self._basic_header()
        response = self._send_following('GET', url, headers, max_bytes=MAX_MANIFEST_BYTES)
        if response.status in (401, 403):
            if self.username:
                raise self._rejected()
            raise self._auth_required()
        if response.status != 200:
            raise RegistryError('the token service of %s (%s) answered HTTP %s %s'
                                % (self.registry, _without_query(url), response.status,
                                   _error_summary(response)).rstrip(), status=response.status)
        try:
            answer = response.json()
            token = answer.get('token') or answer.get('access_token')
        except (ValueError, AttributeError, UnicodeError):
            token = None
        if not token or not isinstance(token, str):
            raise RegistryError('the token service of %s (%s) sent no token' % (self.registry, _without_query(url)))
        return 'Bearer ' + token

    def _answer_challenge(self, response, scope):
        """The Authorization value answering a 401, or a RegistryError explaining why there is none."""
        chosen = choose_challenge(response.header('WWW-Authenticate', ''))
        if chosen is None:
            if self.username:
                raise self._rejected()
            raise self._auth_required()
        scheme, params = chosen
        if scheme == 'basic':
            if not self.username:
                raise self._auth_required()
            self._basic = self._basic_header()
            return self._basic
        wanted_scope = scope or params.get('scope') or ''
        self._tokens[wanted_scope] = self._fetch_token(params, wanted_scope)
        return self._tokens[wanted_scope]

    def _failed_after_auth(self, response, repository):
        chosen = choose_challenge(response.header('WWW-Authenticate', ''))
        error = chosen[1].get('error', '') if chosen else ''
        if error == 'insufficient_scope' or (chosen and chosen[0] == 'bearer' and self.username):
            target = ' to %s' % repository if repository else ''
            who = 'user %s' % self.username if self.username else 'anonymous users'
            hint = '' if self.username else '; log in with dockhand.docker.login or give credentials'
            return RegistryError('%s denied %s access%s (the repository may not exist)%s'
                                 % (self.registry, who, target, hint), kind='denied', status=401)
        if self.username:
            return self._rejected()
        return self._auth_required()

    # ---------------------------------------------------------------- requests

    def request(self, method, path, repository=None, actions=('pull',), headers=None, body=None,
                max_bytes=None):
        """Send ``method`` to ``path`` (e.g. '/v2/repo/manifests/tag'), authenticating as challenged.

        ``repository`` and ``actions`` form the token scope ('repository:NAME:pull,push').
        Returns the :class:`RegistryResponse` of any status except a 401 that credentials could
        not answer (a RegistryError). Transport failures raise RegistryError (``unreachable``).
        """
        url = self.base_url + path
        scope = 'repository:%s:%s' % (repository, ','.join(actions)) if repository else None
        base_headers = dict(headers or {})
        token = self._tokens.get(scope or '') or self._basic
        sent = dict(base_headers)
        if token:
            sent['Authorization'] = token
        response = self._send_following(method, url, sent, body, max_bytes)
        if response.status != 401:
            return response
        if token is not None and token == self._basic:
            # Basic credentials were sent and refused; a new challenge cannot change that.
            raise self._failed_after_auth(response, repository)
        authorization = self._answer_challenge(response, scope)
        sent = dict(base_headers, Authorization=authorization)
        response = self._send_following(method, url, sent, body, max_bytes)
        if response.status == 401:
            raise self._failed_after_auth(response, repository)
        return response

    def _check(self, response, what, repository):
        """Raise a RegistryError for a failed (non-2xx, non-404) answer."""
        if 200 <= response.status < 300:
            return
        summary = _error_summary(response)
        detail = ': %s' % summary if summary else ''
        if response.status == 403:
            who = 'user %s' % self.username if self.username else 'anonymous users'
            raise RegistryError('%s denied %s access to %s%s' % (self.registry, who, repository, detail),
                                kind='denied', status=403)
        if response.status == 429:
            raise RegistryError('%s refused %s: too many requests (rate limit)%s' % (self.registry, what, detail),
                                status=429)
        raise RegistryError('%s answered HTTP %s for %s%s' % (self.registry, response.status, what, detail),
                            status=response.status)

    @staticmethod
    def _manifest_path(repository, reference):
        return '/v2/%s/manifests/%s' % (repository, quote(reference, safe=':@'))

    @staticmethod
    def _describe(repository, reference):
        separator = '@' if ':' in reference else ':'
        return '%s%s%s' % (repository, separator, reference)

    def _not_found(self, repository, reference):
        return RegistryError('manifest %s not found in %s' % (self._describe(repository, reference), self.registry),
                             kind='not_found', status=404)

    def manifest_digest(self, repository, reference):
        """'sha256:...' that ``reference`` (tag or digest) points to, or None when unknown (404)."""
        headers = {'Accept': ', '.join(MANIFEST_MEDIA_TYPES)}
        what = 'manifest %s' % self._describe(repository, reference)
        path = self._manifest_path(repository, reference)
        response = self.request('HEAD', path, repository, headers=headers)
        if response.status == 404:
            return None
        digest = response.header('Docker-Content-Digest') if 200 <= response.status < 300 else None
        if digest:
            return digest
        # Some registries refuse HEAD or leave the header out: ask with GET and hash the body.
        response = self.request('GET', path, repository, headers=headers, max_bytes=MAX_MANIFEST_BYTES)
        if response.status == 404:
            return None
        self._check(response, what, repository)
        return response.header('Docker-Content-Digest') or 'sha256:' + hashlib.sha256(response.body).hexdigest()

    def manifest(self, repository, reference):
        """(media type, parsed manifest, digest) of ``reference``; RegistryError ``not_found`` on 404."""
        headers = {'Accept': ', '.join(MANIFEST_MEDIA_TYPES)}
        response = self.request('GET', self._manifest_path(repository, reference), repository, headers=headers,
                                max_bytes=MAX_MANIFEST_BYTES)
        if response.status == 404:
            raise self._not_found(repository, reference)
        self._check(response, 'manifest %s' % self._describe(repository, reference), repository)
        try:
            data = response.json()
        except (ValueError, UnicodeError):
            raise RegistryError('%s sent a manifest for %s that is not JSON'
                                % (self.registry, self._describe(repository, reference)))
        if not isinstance(data, dict):
            raise RegistryError('%s sent a manifest for %s that is not a JSON object'
                                % (self.registry, self._describe(repository, reference)))
        media_type = _media_type_of(response.header('Content-Type'), data)
        digest = response.header('Docker-Content-Digest') or 'sha256:' + hashlib.sha256(response.body).hexdigest()
        return media_type, data, digest

    def blob(self, repository, digest, max_bytes=MAX_CONFIG_BYTES):
        """The bytes of blob ``digest`` (meant for small blobs such as image configs)."""
        response = self.request('GET', '/v2/%s/blobs/%s' % (repository, digest), repository,
                                max_bytes=max_bytes)
        if response.status == 404:
            raise RegistryError('blob %s not found in %s/%s' % (digest, self.registry, repository),
                                kind='not_found', status=404)
        self._check(response, 'blob %s of %s' % (digest, repository), repository)
        return response.body

    def platforms(self, repository, reference):
        """Platforms ('os/arch[/variant]') the image offers, in the registry's order.

        A manifest list or OCI index gives one entry per listed manifest (attestation entries
        with os 'unknown' are left out); a single manifest gives the one platform of its config.
        """
        media_type, data, _digest = self.manifest(repository, reference)
        if media_type in LIST_MEDIA_TYPES:
            found = []
            for entry in data.get('manifests') or []:
                platform = entry.get('platform') if isinstance(entry, dict) else None
                if not isinstance(platform, dict) or platform.get('os') in (None, '', 'unknown'):
                    continue
                text = _platform_string(platform)
                if text not in found:
                    found.append(text)
            return found
        if media_type == MEDIA_TYPE_DOCKER_SCHEMA1:
            return ['linux/%s' % (data.get('architecture') or 'amd64')]
        config = data.get('config') or {}
        config_digest = config.get('digest') if isinstance(config, dict) else None
        if not config_digest:
            raise RegistryError('%s sent a manifest for %s without a config'
                                % (self.registry, self._describe(repository, reference)))
        try:
            image_config = json.loads(self.blob(repository, config_digest).decode('utf-8'))
        except (ValueError, UnicodeError):
            raise RegistryError('the image config %s in %s/%s is not JSON' % (config_digest, self.registry, repository))
        if not isinstance(image_config, dict):
            raise RegistryError('the image config %s in %s/%s is not a JSON object'
                                % (config_digest, self.registry, repository))
        return [_platform_string(image_config)]
