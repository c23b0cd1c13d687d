# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parse and normalise image references the way the docker CLI and daemon do.

A reference is ``name[:tag][@digest]`` where ``name`` is ``[registry/]path``.
Normalisation fills in ``docker.io`` and the ``library/`` namespace so that two
spellings of the same image compare equal.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

from ansible_collections.dockhand.docker.plugins.module_utils.errors import InvalidValue
from ansible_collections.dockhand.docker.plugins.module_utils.units import short_repr

DEFAULT_REGISTRY = 'docker.io'
# The old index host is an alias the daemon rewrites; registry-1.docker.io is a
# real endpoint name and is deliberately left alone (docker does the same).
LEGACY_REGISTRY = 'index.docker.io'
OFFICIAL_NAMESPACE = 'library'
NAME_MAX_LENGTH = 255
TAG_MAX_LENGTH = 128

# Patterns end in \Z, not $, because $ also matches before a trailing newline.
_HOST_LABEL = re.compile(r'^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\Z')
_PORT = re.compile(r'^[0-9]{1,5}\Z')
_COMPONENT = re.compile(r'^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*\Z')
_COMPONENT_CHARS = re.compile(r'^[a-z0-9._-]*\Z')
_BAD_SEPARATOR = re.compile(r'[._-]+')
_GOOD_SEPARATOR = re.compile(r'^(?:[._]|__|-+)\Z')
_TAG = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}\Z')
_TAG_CHARS = re.compile(r'^[A-Za-z0-9_.-]*\Z')
_HEX = re.compile(r'^[0-9a-f]+\Z')
# Docker's grammar takes an IPv6 registry as hex digits and colons only (no dotted IPv4 tail).
_IPV6_CHARS = re.compile(r'^[0-9A-Fa-f:]+\Z')
_ANY_HEX = re.compile(r'^[0-9a-fA-F]+\Z')
_FULL_ID = re.compile(r'^[0-9a-f]{64}\Z')
_SHORT_ID = re.compile(r'^[0-9a-f]{12,64}\Z')
_DIGEST_HEX_LENGTH = {'sha256': 64, 'sha384': 96, 'sha512': 128}


class InvalidReference(InvalidValue):
    """An image reference that docker would refuse; the message says why."""


def _fail(text, reason):
    # repr() quotes strings and still shows None or numbers unambiguously; long ones are cut short.
    raise InvalidReference(f'invalid image reference {short_repr(text)}: {reason}')


class ImageReference:
    """A normalised image reference (registry, repository, tag, digest).

    Build one with parse_reference(); the constructor does not validate.
    """

    __slots__ = ('_digest', '_registry', '_repository', '_tag')

    def __init__(self, registry, repository, tag=None, digest=None):
        self._registry = registry
        self._repository = repository
        self._tag = tag
        self._digest = digest

    # Read-only: instances are hashable, so their fields must not change.
    registry = property(lambda self: self._registry)
    repository = property(lambda self: self._repository)
    tag = property(lambda self: self._tag)
    digest = property(lambda self: self._digest)

    @property
    def name(self):
        """Fully qualified name without tag or digest."""
        return f'{self._registry}/{self._repository}'

    @property
    def familiar_name(self):
        """The short name ``docker images`` shows."""
        if self._registry != DEFAULT_REGISTRY:
            return self.name
        prefix = OFFICIAL_NAMESPACE + '/'
        rest = self._repository[len(prefix):]
        if self._repository.startswith(prefix) and '/' not in rest:
            return rest
        first = self._repository.split('/')[0]
        if '/' in self._repository and ('.' in first or first == 'localhost'):
            # 'docker.io/0.0/app' shortened to '0.0/app' would read as registry 0.0.
            return self.name
        return self._repository

    @property
    def familiar(self):
        """Short form with tag and/or digest, e.g. ``nginx:1.25``."""
        return self.familiar_name + self._suffix()

    def _suffix(self):
        suffix = ''
        if self._tag is not None:
            suffix += ':' + self._tag
        if self._digest is not None:
            suffix += '@' + self._digest
        return suffix

    def with_tag(self, tag):
        """Return a copy with ``tag`` and no digest; raises InvalidReference."""
        # The digest pins different content than the new tag may point to.
        if not isinstance(tag, str):
            _fail(self.name, f'the tag must be a string, not {type(tag).__name__}')
        candidate = ImageReference(self._registry, self._repository, tag)
        reason = _tag_problem(tag)
        if reason:
            _fail(str(candidate), reason)
        return candidate

    def _key(self):
        return (self._registry, self._repository, self._tag, self._digest)

    def __eq__(self, other):
        if not isinstance(other, ImageReference):
            return NotImplemented
        return self._key() == other._key()

    def __ne__(self, other):
        result = self.__eq__(other)
        if result is NotImplemented:
            return result
        return not result

    def __hash__(self):
        return hash(self._key())

    def __str__(self):
        return self.name + self._suffix()

    def __repr__(self):
        return (f'ImageReference(registry={self._registry!r}, repository={self._repository!r}, '
                f'tag={self._tag!r}, digest={self._digest!r})')


def _looks_like_registry(first):
    # docker's rule: only these make the first component a host, so plain
    # 'team/app' stays on Docker Hub.
    return ('.' in first or ':' in first or first == 'localhost'
            or first != first.lower())


def _port_problem(port):
    if port == '':
        return 'the registry port after ":" is empty'
    if not _PORT.match(port):
        return f'the registry port {short_repr(port)} must be 1 to 5 digits'
    if not 1 <= int(port) <= 65535:
        return f'the registry port {port} is out of range (1-65535)'
    return None


def _registry_problem(registry):
    if registry.startswith('['):
        end = registry.find(']')
        if end < 0:
            return f'the IPv6 registry address {short_repr(registry)} has no closing "]"'
        address, rest = registry[1:end], registry[end + 1:]
        # Zone IDs ('%eth0') and a dotted IPv4 tail cannot appear in a reference; ipaddress
        # accepts both, so refuse them first.
        valid = bool(_IPV6_CHARS.match(address))
        if valid:
            try:
                ipaddress.IPv6Address(address)
            except ValueError:
                valid = False
        if not valid:
            return f'the registry {short_repr(registry)} is not a valid IPv6 address in brackets'
        if rest == '':
            return None
        if not rest.startswith(':'):
            return f'the registry {short_repr(registry)} has unexpected text after "]"'
        return _port_problem(rest[1:])

    host, sep, port = registry.partition(':')
    if ':' in port:
        return (f'the registry {short_repr(registry)} has more than one ":"; IPv6 addresses must be in brackets, '
                'e.g. [::1]:5000')
    if not all(_HOST_LABEL.match(label) for label in host.split('.')):
        return (f'the registry host {short_repr(host)} is not a valid hostname (dot-separated labels of letters, '
                'digits and inner "-")')
    if sep:
        return _port_problem(port)
    return None


def _component_problem(component):
    if component == '':
        return "the repository path has an empty component (look for '//' or a leading or trailing '/')"
    if not _COMPONENT_CHARS.match(component):
        bad = [c for c in component if not ('a' <= c <= 'z' or '0' <= c <= '9' or c in '._-')]
        return (f'the path component {short_repr(component)} contains {bad[0]!r}; only lowercase letters, digits '
                "and the separators '.', '_', '__' and '-' are allowed")
    if not component[0].isalnum() or not component[-1].isalnum():
        return f'the path component {short_repr(component)} must start and end with a lowercase letter or digit'
    for separator in _BAD_SEPARATOR.findall(component):
        if not _GOOD_SEPARATOR.match(separator):
            return (f"the path component {short_repr(component)} has the separator {separator!r}; use one '.', "
                    "one or two '_', or any number of '-' between letters and digits")
    # Unreachable while the checks above mirror _COMPONENT; kept as a safe fallback.
    return f'the path component {short_repr(component)} is not valid'  # pragma: no cover


def _tag_problem(tag):
    if tag == '':
        return "the tag after ':' is empty"
    if len(tag) > TAG_MAX_LENGTH:
        return f'the tag is {len(tag)} characters long; the maximum is {TAG_MAX_LENGTH}'
    if not _TAG_CHARS.match(tag):
        bad = [c for c in tag if not (c.isascii() and (c.isalnum() or c in '_.-'))]
        return f"the tag contains {bad[0]!r}; only letters, digits, '_', '.' and '-' are allowed"
    if not _TAG.match(tag):
        return f"the tag {short_repr(tag)} must start with a letter, digit or '_'"
    return None


def _digest_problem(digest):
    expected = "expected 'sha256:' followed by 64 lowercase hex digits"
    if digest == '':
        return "the digest after '@' is empty"
    algorithm, sep, hex_part = digest.partition(':')
    if not sep:
        return f'the digest {short_repr(digest)} has no algorithm; {expected}'
    length = _DIGEST_HEX_LENGTH.get(algorithm)
    if length is None:
        return (f'the digest algorithm {short_repr(algorithm)} is not supported; {expected} '
                '(sha384 and sha512 also work)')
    if _ANY_HEX.match(hex_part) and not _HEX.match(hex_part):
        return f'the {algorithm} digest must be lowercase hex'
    if not _HEX.match(hex_part) or len(hex_part) != length:
        return f'the {algorithm} digest must be exactly {length} lowercase hex digits, got {short_repr(hex_part)}'
    return None


def parse_reference(text, default_tag='latest'):
    """Parse and normalise ``text``; return an ImageReference.

    ``default_tag`` is used only when neither a tag nor a digest is given.
    Raises InvalidReference with a one-line reason.
    """
    if not isinstance(text, str):
        _fail(text, f'expected a string, got {type(text).__name__}')
    if text == '':
        _fail(text, 'the reference is empty')
    if text != text.strip():
        _fail(text, f'leading or trailing whitespace is not allowed (did you mean {short_repr(text.strip())}?)')

    # The name never contains '@', so the first one starts the digest.
    rest, at, digest = text.partition('@')
    if not at:
        digest = None
    # A ':' after the last '/' separates the tag; earlier ones belong to a
    # registry port ('localhost:5000/app' vs 'app:5000').
    slash = rest.rfind('/')
    colon = rest.find(':', slash + 1)
    if colon >= 0:
        name, tag = rest[:colon], rest[colon + 1:]
    else:
        name, tag = rest, None
    if name == '':
        _fail(text, 'the repository name is empty')

    first, sep, remainder = name.partition('/')
    if sep and _looks_like_registry(first):
        registry, written_path = first, remainder
        explicit_registry = True
    else:
        registry, written_path = DEFAULT_REGISTRY, name
        explicit_registry = False

    if explicit_registry:
        reason = _registry_problem(registry)
        if reason:
            _fail(text, reason)
        if registry == LEGACY_REGISTRY:
            registry = DEFAULT_REGISTRY

    if written_path != written_path.lower():
        lowered = written_path.lower()
        if all(_COMPONENT.match(c) for c in lowered.split('/')):
            prefix = name[:len(name) - len(written_path)]
            suggestion = prefix + lowered + text[len(name):]
            _fail(text, f'repository name must be lowercase (did you mean {short_repr(suggestion)}?)')
        _fail(text, 'repository name must be lowercase')
    for component in written_path.split('/'):
        if not _COMPONENT.match(component):
            _fail(text, _component_problem(component))
    if not explicit_registry and _FULL_ID.match(written_path):
        _fail(text, 'a 64-character hex repository name is not allowed because it would be mistaken for an image ID')

    if tag is not None:
        reason = _tag_problem(tag)
        if reason:
            _fail(text, reason)
    if digest is not None:
        reason = _digest_problem(digest)
        if reason:
            _fail(text, reason)

    repository = written_path
    if registry == DEFAULT_REGISTRY and '/' not in repository:
        repository = OFFICIAL_NAMESPACE + '/' + repository
    full_name = registry + '/' + repository
    if len(full_name) > NAME_MAX_LENGTH:
        _fail(text, f'the full name (registry/repository) is {len(full_name)} characters long; '
                    f'the maximum is {NAME_MAX_LENGTH}')

    if tag is None and digest is None:
        tag = default_tag
    return ImageReference(registry, repository, tag, digest)


def is_image_id(text):
    """True for 'sha256:<64 hex>', a 64-hex ID or a 12-64 character hex prefix."""
    if not isinstance(text, str):
        return False
    if text.startswith('sha256:'):
        return bool(_FULL_ID.match(text[len('sha256:'):]))
    return bool(_SHORT_ID.match(text))
