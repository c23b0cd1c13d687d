# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a registry holds, as the Docker engine on the host sees it.

The image code asks two questions: which manifest digest a tag (or digest) names, and which
platforms an image offers. The engine answers both through its distribution endpoint
(``GET /distribution/{name}/json``, API 1.30 and newer). It reaches the registry with its own
settings: ``insecure-registries`` (https first, then plain http), the CA and client
certificates in ``/etc/docker/certs.d/<registry>/``, mirrors. So the answer is what its push
or pull sees. The credentials go along as X-Registry-Auth, found as the docker CLI finds them
(config.json or a credential helper, see credentials.py).

Measured on Docker 20.10 (API 1.41) and 26.1 (API 1.45), which answer alike:

* 200 ``{"Descriptor": {"mediaType", "digest", "size"}, "Platforms": [...]}``; a manifest list
  gives each entry's platform (attestations as unknown/unknown), one image its config's platform;
* 404 ``manifest unknown`` for a missing tag, digest or repository: not in the registry;
* 500 ``...: no basic auth credentials`` when the registry wants credentials and none came,
  401 ``unauthorized: authentication required`` when it refused them;
* 500 ``Get "https://...": dial tcp ...`` (and the like) when the engine cannot reach it.

Engines older than API 1.30 have no such endpoint; only there is the registry read directly
(RegistryClient), with the same settings taken from the engine's ``GET /info`` and from certs.d.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import os
import socket
import ssl

from ansible_collections.dockhand.docker.plugins.module_utils.credentials import registry_credentials
from ansible_collections.dockhand.docker.plugins.module_utils.registry import (
    DOCKER_HUB,
    DOCKER_HUB_API,
    RegistryClient,
    RegistryError,
    normalize_registry,
)

DISTRIBUTION_API = (1, 30)
CERTS_ROOT = '/etc/docker/certs.d'
QUESTIONS = ('manifest_digest', 'platforms', 'describe')


def registry_call(client, ref, timeout, what, *args):
    """Ask the registry of ``ref`` (a parsed reference) one question, as the engine behind ``client`` sees it.

    ``what``: ``manifest_digest(repository, tag_or_digest)`` -> 'sha256:...' or None when the
    registry lacks it; ``platforms(repository, reference)`` -> ['linux/amd64', ...] or None;
    ``describe(repository, reference)`` -> {digest, platforms} or None. Failures are a
    DockerError of one line naming the registry.
    """
    if what not in QUESTIONS:
        raise ValueError('unknown registry question %r' % what)
    return getattr(RegistryView(client, ref.registry, timeout), what)(*args)


def image_name(registry, repository, reference):
    """'registry/repository:tag' or 'registry/repository@sha256:...'."""
    separator = '@' if ':' in reference else ':'
    return '%s/%s%s%s' % (registry, repository, separator, reference)


def platform_text(platform):
    """'os/arch[/variant]' of a platform object; None for attestation entries (unknown os)."""
    if not isinstance(platform, dict) or platform.get('os') in (None, '', 'unknown'):
        return None
    parts = [platform['os'], platform.get('architecture') or 'unknown']
    if platform.get('variant'):
        parts.append(platform['variant'])
    return '/'.join(parts)


def distribution_facts(answer):
    """{digest, platforms} of a distribution endpoint answer, platforms in the registry's order."""
    descriptor = (answer or {}).get('Descriptor') or {}
    platforms = []
    for platform in (answer or {}).get('Platforms') or []:
        text = platform_text(platform)
        if text and text not in platforms:
            platforms.append(text)
    return dict(digest=descriptor.get('digest'), platforms=platforms)


_HINTS = (
    ('server gave HTTP response to HTTPS client',
     'if it serves plain HTTP, list it in insecure-registries of that engine'),
    ('certificate signed by unknown authority',
     'put the CA that signed its certificate in /etc/docker/certs.d/%(registry)s/ca.crt on the engine\'s host'),
)


def explain_engine_answer(registry, name, status, text, credentials, engine):
    """One line for an error the distribution endpoint answered with (see the module docstring)."""
    text = ' '.join(str(text or '').split())
    if 'no basic auth credentials' in text or (status == 401 and credentials is None):
        return ('authentication required by %s; log in with dockhand.docker.login or give credentials'
                % registry)
    if status == 401:
        return '%s rejected the credentials of %s (from %s)' % (registry, credentials.who(), credentials.source)
    if status == 403 or text.startswith('denied'):
        who = credentials.who() if credentials else 'anonymous users'
        return '%s denied %s access to %s: %s' % (registry, who, name, text)
    hint = ''.join('; ' + advice % dict(registry=registry) for marker, advice in _HINTS if marker in text)
    return 'cannot read %s from registry %s (through the Docker engine at %s): %s%s' % (
        name, registry, engine, text, hint)


class RegistryView(object):
    """One registry, asked through one engine."""

    def __init__(self, client, registry, timeout=None):
        self.client = client
        self.registry = normalize_registry(registry)
        self.timeout = timeout or client.timeout
        self._credentials = False  # not looked up yet

    @property
    def credentials(self):
        if self._credentials is False:
            self._credentials = registry_credentials(self.registry)
        return self._credentials

    def describe(self, repository, reference):
        """{digest, platforms} of ``reference``, or None when the registry lacks it."""
        if _api_version(self.client.api_version) < DISTRIBUTION_API:
            return self._direct(repository, reference)
        name = image_name(self.registry, repository, reference)
        credentials = self.credentials

        def explain(status, text):
            return explain_engine_answer(self.registry, name, status, text, credentials, self.client.docker_host)
        answer = self.client.read_or_none(
            'read %s from its registry' % name, explain, 'inspect_distribution', name,
            auth_config=credentials.auth_config() if credentials else {})
        return distribution_facts(answer) if answer is not None else None

    def manifest_digest(self, repository, reference):
        found = self.describe(repository, reference)
        return found['digest'] if found else None

    def platforms(self, repository, reference):
        found = self.describe(repository, reference)
        return found['platforms'] if found else None

    # ---- direct reads, for engines without the distribution endpoint

    def _direct(self, repository, reference):
        # The engine cannot answer (API < 1.30): read the registry from here, with the settings
        # the engine would use (its /info for insecure registries and mirrors, certs.d here).
        credentials = self.credentials
        if credentials and credentials.identitytoken:
            raise RegistryError('%s: an identity token (from %s) cannot be used to read the registry directly; the '
                                'engine at %s is older than API 1.30' % (self.registry, credentials.source,
                                                                         self.client.docker_host), kind='config')
        registry_config = (self.client.info() or {}).get('RegistryConfig') or {}
        failure = None
        for endpoint in registry_endpoints(self.registry, registry_config):
            reader = RegistryClient(self.registry, username=credentials.username if credentials else None,
                                    password=credentials.password if credentials else None,
                                    timeout=self.timeout, base_url=endpoint['url'],
                                    ssl_context=tls_context(endpoint['host'], endpoint['secure']))
            try:
                digest = reader.manifest_digest(repository, reference)
            except RegistryError as exc:
                # As the engine does: on to the next endpoint after a mirror's failure or a transport
                # failure (an insecure registry's https before its plain http).
                if endpoint['mirror'] or exc.kind == 'unreachable':
                    failure = exc
                    continue
                raise
            if digest is None:
                if endpoint['mirror']:
                    continue  # a mirror lacks what Docker Hub itself may hold
                return None
            return dict(digest=digest, platforms=reader.platforms(repository, reference))
        if failure is not None:
            raise failure
        return None


def _api_version(version):
    try:
        return tuple(int(part) for part in str(version).split('.'))
    except ValueError:
        return DISTRIBUTION_API


# --------------------------------------------------------------------------- the engine's settings


def _split_host(index_name):
    """The host part of 'host', 'host:port', '[v6]:port'."""
    if index_name.startswith('['):
        return index_name[1:index_name.find(']')] if ']' in index_name else index_name
    return index_name.rsplit(':', 1)[0] if index_name.count(':') == 1 else index_name


def _resolve(host):
    try:
        return sorted(set(info[4][0] for info in socket.getaddrinfo(host, None)))
    except (socket.gaierror, UnicodeError, OSError):
        return []


def is_secure_registry(registry_config, index_name, resolve=_resolve):
    """Whether the engine treats the registry as secure (https with a verified certificate only).

    As the engine decides: an entry of ``IndexConfigs`` wins; otherwise the registry is
    insecure when its host (an IP, or every address the name resolves to, any one matching)
    lies in one of ``InsecureRegistryCIDRs`` (127.0.0.0/8 by default).
    """
    index_configs = registry_config.get('IndexConfigs') or {}
    if index_name in index_configs and isinstance(index_configs[index_name], dict):
        return bool(index_configs[index_name].get('Secure', True))
    host = _split_host(index_name)
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        addresses = []
        for found in resolve(host):
            try:
                addresses.append(ipaddress.ip_address(found.split('%')[0]))
            except ValueError:
                continue
    for cidr in registry_config.get('InsecureRegistryCIDRs') or []:
        try:
            network = ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            continue
        if any(address.version == network.version and address in network for address in addresses):
            return False
    return True


def registry_endpoints(registry, registry_config, resolve=_resolve):
    """The endpoints the engine tries for a pull, in order: [{url, host, secure, mirror}].

    Docker Hub: the configured mirrors, then Hub's API host. Any other registry: https, and
    for an insecure registry plain http after it.
    """
    registry = normalize_registry(registry)
    if registry == DOCKER_HUB:
        endpoints = []
        for mirror in registry_config.get('Mirrors') or []:
            host = normalize_registry(mirror)
            url = mirror.rstrip('/') if '://' in mirror else 'https://' + mirror.rstrip('/')
            endpoints.append(dict(url=url, host=host, secure=is_secure_registry(registry_config, host, resolve),
                                  mirror=True))
        endpoints.append(dict(url=DOCKER_HUB_API, host=DOCKER_HUB, secure=True, mirror=False))
        return endpoints
    secure = is_secure_registry(registry_config, registry, resolve)
    endpoints = [dict(url='https://' + registry, host=registry, secure=secure, mirror=False)]
    if not secure:
        endpoints.append(dict(url='http://' + registry, host=registry, secure=False, mirror=False))
    return endpoints


def certs_dir_files(directory, listdir=os.listdir):
    """(CA files, [(client certificate, key)]) in one certs.d directory, as the engine reads it.

    ``*.crt`` are CAs; ``*.cert`` and ``*.key`` are client pairs by name, and half a pair is an
    error, as it is for the engine. A missing directory gives nothing.
    """
    try:
        names = sorted(listdir(directory))
    except OSError:
        return [], []
    cas, pairs = [], []
    for name in names:
        base, extension = os.path.splitext(name)
        path = os.path.join(directory, name)
        if extension == '.crt':
            cas.append(path)
        elif extension == '.cert':
            if base + '.key' not in names:
                raise RegistryError('%s: client certificate %s has no key %s.key (CA certificates must end in '
                                    '.crt)' % (directory, name, base), kind='config')
            pairs.append((path, os.path.join(directory, base + '.key')))
        elif extension == '.key' and base + '.cert' not in names:
            raise RegistryError('%s: key %s has no client certificate %s.cert' % (directory, name, base),
                                kind='config')
    return cas, pairs


def tls_context(host, secure, certs_root=CERTS_ROOT):
    """The TLS settings the engine uses for ``host``: for a secure registry the system CAs plus
    certs.d's, and its client certificate (the first pair: Python holds one); for an insecure
    one no verification at all (the engine then falls back to plain http)."""
    context = ssl.create_default_context()
    if not secure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    directory = os.path.join(certs_root, host)
    cas, pairs = certs_dir_files(directory)
    try:
        for path in cas:
            context.load_verify_locations(cafile=path)
        if pairs:
            context.load_cert_chain(pairs[0][0], pairs[0][1])
    except (ssl.SSLError, OSError) as exc:
        raise RegistryError('cannot use the certificates in %s for %s: %s' % (directory, host, exc), kind='config')
    return context
