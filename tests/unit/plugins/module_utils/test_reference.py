# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for image reference parsing and normalisation."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.dockhand.docker.plugins.module_utils.reference import (
    ImageReference,
    InvalidReference,
    is_image_id,
    parse_reference,
)

HEX64 = '0123456789abcdef' * 4
HEX96 = '0123456789abcdef' * 6
HEX128 = '0123456789abcdef' * 8
D256 = 'sha256:' + HEX64
D384 = 'sha384:' + HEX96
D512 = 'sha512:' + HEX128
HUB = 'docker.io'

# (input, registry, repository, tag, digest, str(), familiar)
GOOD = [
    ('nginx', HUB, 'library/nginx', 'latest', None, 'docker.io/library/nginx:latest', 'nginx:latest'),
    ('nginx:1.25', HUB, 'library/nginx', '1.25', None, 'docker.io/library/nginx:1.25', 'nginx:1.25'),
    ('library/nginx', HUB, 'library/nginx', 'latest', None, 'docker.io/library/nginx:latest', 'nginx:latest'),
    ('docker.io/nginx', HUB, 'library/nginx', 'latest', None, 'docker.io/library/nginx:latest', 'nginx:latest'),
    ('docker.io/library/nginx:stable', HUB, 'library/nginx', 'stable', None,
     'docker.io/library/nginx:stable', 'nginx:stable'),
    ('index.docker.io/library/nginx:latest', HUB, 'library/nginx', 'latest', None,
     'docker.io/library/nginx:latest', 'nginx:latest'),
    ('index.docker.io/nginx', HUB, 'library/nginx', 'latest', None, 'docker.io/library/nginx:latest', 'nginx:latest'),
    # Only index.docker.io is an alias; registry-1.docker.io stays a separate registry.
    ('registry-1.docker.io/nginx', 'registry-1.docker.io', 'nginx', 'latest', None,
     'registry-1.docker.io/nginx:latest', 'registry-1.docker.io/nginx:latest'),
    ('team/app', HUB, 'team/app', 'latest', None, 'docker.io/team/app:latest', 'team/app:latest'),
    ('team/app/web:2', HUB, 'team/app/web', '2', None, 'docker.io/team/app/web:2', 'team/app/web:2'),
    ('docker.io/team/app', HUB, 'team/app', 'latest', None, 'docker.io/team/app:latest', 'team/app:latest'),
    # library/ is stripped from the familiar name only for one-component official images.
    ('library/a/b', HUB, 'library/a/b', 'latest', None, 'docker.io/library/a/b:latest', 'library/a/b:latest'),
    ('ghcr.io/org/app:v1.2.3', 'ghcr.io', 'org/app', 'v1.2.3', None,
     'ghcr.io/org/app:v1.2.3', 'ghcr.io/org/app:v1.2.3'),
    ('ghcr.io/app', 'ghcr.io', 'app', 'latest', None, 'ghcr.io/app:latest', 'ghcr.io/app:latest'),
    ('quay.io/library/app', 'quay.io', 'library/app', 'latest', None,
     'quay.io/library/app:latest', 'quay.io/library/app:latest'),
    ('localhost/app', 'localhost', 'app', 'latest', None, 'localhost/app:latest', 'localhost/app:latest'),
    ('localhost:5000/app:dev', 'localhost:5000', 'app', 'dev', None,
     'localhost:5000/app:dev', 'localhost:5000/app:dev'),
    ('127.0.0.1:5000/team/app', '127.0.0.1:5000', 'team/app', 'latest', None,
     '127.0.0.1:5000/team/app:latest', '127.0.0.1:5000/team/app:latest'),
    ('[::1]:5000/app', '[::1]:5000', 'app', 'latest', None, '[::1]:5000/app:latest', '[::1]:5000/app:latest'),
    ('[2001:db8::1]/app:1', '[2001:db8::1]', 'app', '1', None, '[2001:db8::1]/app:1', '[2001:db8::1]/app:1'),
    ('registry.example.com:443/a/b/c:tag', 'registry.example.com:443', 'a/b/c', 'tag', None,
     'registry.example.com:443/a/b/c:tag', 'registry.example.com:443/a/b/c:tag'),
    ('registry.example.com:65535/a', 'registry.example.com:65535', 'a', 'latest', None,
     'registry.example.com:65535/a:latest', 'registry.example.com:65535/a:latest'),
    ('my-registry.internal/app', 'my-registry.internal', 'app', 'latest', None,
     'my-registry.internal/app:latest', 'my-registry.internal/app:latest'),
    ('reg:5000/app', 'reg:5000', 'app', 'latest', None, 'reg:5000/app:latest', 'reg:5000/app:latest'),
    # Upper case makes the first component a host, and the host keeps its spelling.
    ('Registry.Example.COM/app:1', 'Registry.Example.COM', 'app', '1', None,
     'Registry.Example.COM/app:1', 'Registry.Example.COM/app:1'),
    ('MyHost/app', 'MyHost', 'app', 'latest', None, 'MyHost/app:latest', 'MyHost/app:latest'),
    # A colon after the last '/' is a tag separator, never a port.
    ('app:5000', HUB, 'library/app', '5000', None, 'docker.io/library/app:5000', 'app:5000'),
    ('localhost:5000', HUB, 'library/localhost', '5000', None,
     'docker.io/library/localhost:5000', 'localhost:5000'),
    ('foo__bar', HUB, 'library/foo__bar', 'latest', None, 'docker.io/library/foo__bar:latest', 'foo__bar:latest'),
    ('foo.bar_baz-qux', HUB, 'library/foo.bar_baz-qux', 'latest', None,
     'docker.io/library/foo.bar_baz-qux:latest', 'foo.bar_baz-qux:latest'),
    ('a--b', HUB, 'library/a--b', 'latest', None, 'docker.io/library/a--b:latest', 'a--b:latest'),
    ('a---b/c-d', HUB, 'a---b/c-d', 'latest', None, 'docker.io/a---b/c-d:latest', 'a---b/c-d:latest'),
    ('0/1', HUB, '0/1', 'latest', None, 'docker.io/0/1:latest', '0/1:latest'),
    ('nginx:_underscore', HUB, 'library/nginx', '_underscore', None,
     'docker.io/library/nginx:_underscore', 'nginx:_underscore'),
    ('nginx:V1.0-RC_2', HUB, 'library/nginx', 'V1.0-RC_2', None,
     'docker.io/library/nginx:V1.0-RC_2', 'nginx:V1.0-RC_2'),
    ('nginx:' + 't' * 128, HUB, 'library/nginx', 't' * 128, None,
     'docker.io/library/nginx:' + 't' * 128, 'nginx:' + 't' * 128),
    # A digest without a tag leaves the tag unset; both together are allowed.
    ('nginx@' + D256, HUB, 'library/nginx', None, D256, 'docker.io/library/nginx@' + D256, 'nginx@' + D256),
    ('nginx:1.25@' + D256, HUB, 'library/nginx', '1.25', D256,
     'docker.io/library/nginx:1.25@' + D256, 'nginx:1.25@' + D256),
    ('r.io/a:1@' + D256, 'r.io', 'a', '1', D256, 'r.io/a:1@' + D256, 'r.io/a:1@' + D256),
    ('localhost:5000/app@' + D256, 'localhost:5000', 'app', None, D256,
     'localhost:5000/app@' + D256, 'localhost:5000/app@' + D256),
    ('team/app@' + D384, HUB, 'team/app', None, D384, 'docker.io/team/app@' + D384, 'team/app@' + D384),
    ('ghcr.io/o/a:x@' + D512, 'ghcr.io', 'o/a', 'x', D512, 'ghcr.io/o/a:x@' + D512, 'ghcr.io/o/a:x@' + D512),
    # 64 hex characters are fine as a namespace or under an explicit registry.
    (HEX64 + '/app', HUB, HEX64 + '/app', 'latest', None,
     'docker.io/' + HEX64 + '/app:latest', HEX64 + '/app:latest'),
    ('ghcr.io/' + HEX64, 'ghcr.io', HEX64, 'latest', None,
     'ghcr.io/' + HEX64 + ':latest', 'ghcr.io/' + HEX64 + ':latest'),
    # 255 characters of name exactly: 'docker.io/' + 'a/' + 243 characters.
    ('a/' + 'b' * 243, HUB, 'a/' + 'b' * 243, 'latest', None,
     'docker.io/a/' + 'b' * 243 + ':latest', 'a/' + 'b' * 243 + ':latest'),
]

# (input, fragment the message must contain)
BAD = [
    ('Nginx', "repository name must be lowercase (did you mean 'nginx'?)"),
    ('team/App:V1', "repository name must be lowercase (did you mean 'team/app:V1'?)"),
    ('ghcr.io/Org/app', "did you mean 'ghcr.io/org/app'?"),
    ('nginx:', "the tag after ':' is empty"),
    ('nginx@', "the digest after '@' is empty"),
    ('nginx@sha256:abc', "the sha256 digest must be exactly 64 lowercase hex digits, got 'abc'"),
    ('nginx@sha256:' + HEX64.upper(), 'the sha256 digest must be lowercase hex'),
    ('nginx@sha256:' + 'g' * 64, 'must be exactly 64 lowercase hex digits'),
    ('nginx@sha384:' + HEX64, 'the sha384 digest must be exactly 96 lowercase hex digits'),
    ('nginx@md5:' + 'a' * 32, "the digest algorithm 'md5' is not supported; expected 'sha256:'"),
    ('nginx@' + HEX64, 'has no algorithm'),
    ('nginx@' + D256 + '@' + D256, 'must be exactly 64 lowercase hex digits'),
    ('a//b', 'the repository path has an empty component'),
    ('a/', 'the repository path has an empty component'),
    ('/a', 'the repository path has an empty component'),
    ('ghcr.io/', 'the repository path has an empty component'),
    ('-a', "the path component '-a' must start and end with a lowercase letter or digit"),
    ('a-', "the path component 'a-' must start and end with a lowercase letter or digit"),
    ('a/.b', "the path component '.b' must start and end"),
    ('a..b', "the path component 'a..b' has the separator '..'"),
    ('a___b', "has the separator '___'"),
    ('a_-b', "has the separator '_-'"),
    ('___', "the path component '___' must start and end"),
    ('a b', "the path component 'a b' contains ' '"),
    ('team/app!', "contains '!'"),
    ('nginx:1+build', "the tag contains '+'"),
    ('nginx:-rc', "the tag '-rc' must start with a letter, digit or '_'"),
    ('nginx:.hidden', "must start with a letter, digit or '_'"),
    ('nginx:1:2', "the tag contains ':'"),
    ('nginx:' + 't' * 129, 'the tag is 129 characters long; the maximum is 128'),
    ('a/' + 'b' * 244, 'the full name (registry/repository) is 256 characters long; the maximum is 255'),
    ('r.io/' + '/'.join(['abcdefghij'] * 25), 'is 279 characters long'),
    (HEX64, 'a 64-character hex repository name is not allowed'),
    (HEX64 + ':v1', 'would be mistaken for an image ID'),
    ('', 'the reference is empty'),
    (' nginx', "leading or trailing whitespace is not allowed (did you mean 'nginx'?)"),
    ('nginx\n', 'leading or trailing whitespace is not allowed'),
    ('host:99999/app', 'the registry port 99999 is out of range (1-65535)'),
    ('host:0/app', 'the registry port 0 is out of range'),
    ('host:123456/app', "the registry port '123456' must be 1 to 5 digits"),
    ('host:/app', 'the registry port after ":" is empty'),
    ('host:abc/app', "the registry port 'abc' must be 1 to 5 digits"),
    ('bad_host.io/app', "the registry host 'bad_host.io' is not a valid hostname"),
    ('-host.io/app', "the registry host '-host.io' is not a valid hostname"),
    ('a..io/app', "the registry host 'a..io' is not a valid hostname"),
    ('::1/app', 'IPv6 addresses must be in brackets'),
    ('[::1/app', 'has no closing "]"'),
    ('[::g]:5000/app', "the registry '[::g]:5000' is not a valid IPv6 address"),
    ('[fe80::1%eth0]/app', 'is not a valid IPv6 address'),
    ('[::1]x/app', 'has unexpected text after "]"'),
    (':tag', 'the repository name is empty'),
    ('@' + D256, 'the repository name is empty'),
]

BAD_TYPES = [
    (None, "invalid image reference None: expected a string, got NoneType"),
    (42, 'invalid image reference 42: expected a string, got int'),
    (b'nginx', "invalid image reference b'nginx': expected a string, got bytes"),
]


@pytest.mark.parametrize('text, registry, repository, tag, digest, full, familiar', GOOD, ids=[g[0][:60] for g in GOOD])
def test_parse_good(text, registry, repository, tag, digest, full, familiar):
    ref = parse_reference(text)
    assert (ref.registry, ref.repository, ref.tag, ref.digest) == (registry, repository, tag, digest)
    assert str(ref) == full
    assert ref.familiar == familiar
    assert ref.name == registry + '/' + repository
    # The canonical form is a fixed point: parsing it again gives the same reference.
    assert parse_reference(full) == ref
    assert parse_reference(ref.familiar) == ref


@pytest.mark.parametrize('text, fragment', BAD, ids=[b[0][:60] for b in BAD])
def test_parse_bad(text, fragment):
    with pytest.raises(InvalidReference) as exc_info:
        parse_reference(text)
    message = str(exc_info.value)
    assert message.startswith(f'invalid image reference {text!r}: ')
    assert fragment in message
    assert '\n' not in message  # repr() escapes a newline in the input


@pytest.mark.parametrize('value, message', BAD_TYPES)
def test_parse_rejects_non_strings(value, message):
    with pytest.raises(InvalidReference) as exc_info:
        parse_reference(value)
    assert str(exc_info.value) == message


def test_invalid_reference_is_a_value_error():
    assert issubclass(InvalidReference, ValueError)


def test_exact_messages():
    with pytest.raises(InvalidReference) as exc_info:
        parse_reference('Nginx')
    assert str(exc_info.value) == (
        "invalid image reference 'Nginx': repository name must be lowercase (did you mean 'nginx'?)")
    with pytest.raises(InvalidReference) as exc_info:
        parse_reference('nginx:')
    assert str(exc_info.value) == "invalid image reference 'nginx:': the tag after ':' is empty"


def test_uppercase_without_valid_lowercase_form_gives_no_suggestion():
    with pytest.raises(InvalidReference) as exc_info:
        parse_reference('My_-App')
    assert str(exc_info.value) == "invalid image reference 'My_-App': repository name must be lowercase"


@pytest.mark.parametrize('text, familiar_name', [
    ('nginx', 'nginx'),
    ('docker.io/library/nginx:1', 'nginx'),
    ('team/app', 'team/app'),
    ('library/a/b', 'library/a/b'),
    ('localhost:5000/app', 'localhost:5000/app'),
    ('ghcr.io/library/app', 'ghcr.io/library/app'),
    # A Docker Hub namespace that reads as a registry keeps docker.io (found by hypothesis).
    ('index.docker.io/0.0/0', 'docker.io/0.0/0'),
    ('docker.io/localhost/app', 'docker.io/localhost/app'),
])
def test_familiar_name(text, familiar_name):
    assert parse_reference(text).familiar_name == familiar_name


@pytest.mark.parametrize('default_tag, expected', [('latest', 'latest'), ('stable', 'stable'), (None, None)])
def test_default_tag(default_tag, expected):
    assert parse_reference('nginx', default_tag=default_tag).tag == expected
    # An explicit tag or a digest always wins over the default.
    assert parse_reference('nginx:1', default_tag=default_tag).tag == '1'
    assert parse_reference('nginx@' + D256, default_tag=default_tag).tag is None


def test_with_tag_replaces_tag_and_drops_digest():
    ref = parse_reference('ghcr.io/org/app:1@' + D256)
    retagged = ref.with_tag('2.0')
    fields = (retagged.registry, retagged.repository, retagged.tag, retagged.digest)
    assert fields == ('ghcr.io', 'org/app', '2.0', None)
    assert str(retagged) == 'ghcr.io/org/app:2.0'
    # The original is untouched.
    assert str(ref) == 'ghcr.io/org/app:1@' + D256


def test_with_tag_on_digest_only_reference():
    assert str(parse_reference('nginx@' + D256).with_tag('x')) == 'docker.io/library/nginx:x'


@pytest.mark.parametrize('tag, fragment', [
    ('', "invalid image reference 'docker.io/library/nginx:': the tag after ':' is empty"),
    ('a+b', "invalid image reference 'docker.io/library/nginx:a+b': the tag contains '+'"),
    ('-x', "the tag '-x' must start with a letter, digit or '_'"),
    ('x' * 129, 'the tag is 129 characters long'),
    ('v1\n', "the tag contains '\\n'"),
    (None, "invalid image reference 'docker.io/library/nginx': the tag must be a string, not NoneType"),
    (1, 'the tag must be a string, not int'),
])
def test_with_tag_validates(tag, fragment):
    with pytest.raises(InvalidReference) as exc_info:
        parse_reference('nginx').with_tag(tag)
    assert fragment in str(exc_info.value)


@pytest.mark.parametrize('a, b', [
    ('nginx', 'docker.io/library/nginx:latest'),
    ('nginx', 'index.docker.io/nginx'),
    ('library/nginx:1', 'docker.io/nginx:1'),
    ('localhost:5000/app', 'localhost:5000/app:latest'),
    ('nginx@' + D256, 'docker.io/library/nginx@' + D256),
])
def test_equal_spellings(a, b):
    ra, rb = parse_reference(a), parse_reference(b)
    assert ra == rb
    assert (ra != rb) is False
    assert hash(ra) == hash(rb)
    assert len({ra, rb}) == 1


@pytest.mark.parametrize('a, b', [
    ('nginx', 'nginx:1'),
    ('nginx', 'ghcr.io/nginx'),
    ('nginx@' + D256, 'nginx:latest@' + D256),
    ('nginx:1@' + D256, 'nginx:1'),
    ('team/app', 'team/app/web'),
    # Registry host spelling is kept, so case differences are distinct references.
    ('Registry.io/app', 'registry.io/app'),
])
def test_different_references(a, b):
    ra, rb = parse_reference(a), parse_reference(b)
    assert ra != rb
    assert (ra == rb) is False
    assert len({ra, rb}) == 2


def test_equality_with_other_types():
    ref = parse_reference('nginx')
    assert ref != 'docker.io/library/nginx:latest'
    assert (ref == 'docker.io/library/nginx:latest') is False
    assert ref.__eq__('nginx') is NotImplemented


def test_constructor_and_repr():
    ref = ImageReference('docker.io', 'library/nginx', 'latest')
    assert ref == parse_reference('nginx')
    assert repr(ref) == "ImageReference(registry='docker.io', repository='library/nginx', tag='latest', digest=None)"


def test_reference_fields_are_read_only():
    ref = parse_reference('nginx')
    with pytest.raises(AttributeError):
        ref.tag = 'other'
    assert ref.tag == 'latest'


@pytest.mark.parametrize('text, expected', [
    (D256, True),
    (HEX64, True),
    (HEX64[:12], True),
    (HEX64[:40], True),
    ('abcdef012345', True),
    (HEX64[:11], False),
    (HEX64 + '0', False),
    ('sha256:' + HEX64[:12], False),
    ('sha256:' + HEX64.upper(), False),
    (HEX64.upper(), False),
    ('ABCDEF012345', False),
    ('sha512:' + HEX128, False),
    ('nginx', False),
    ('deadbeefcafz', False),
    (HEX64[:12] + '\n', False),
    ('', False),
    (None, False),
    (123456789012, False),
])
def test_is_image_id(text, expected):
    assert is_image_id(text) is expected


# --- hostile input (issue 12): one line, never another exception --------------------------

HUGE = 10 ** 5000  # str() of it raises ValueError on Python 3.11+ (the 4,300-digit limit)

HOSTILE = [
    (HUGE, 'invalid image reference <an integer of about 5001 digits>: expected a string, got int'),
    (-HUGE, 'invalid image reference <an integer of about 5001 digits>: expected a string, got int'),
    ([HUGE], 'invalid image reference [<an integer of about 5001 digits>]: expected a string, got list'),
    # Docker's grammar has no dotted IPv4 tail in a bracketed IPv6 registry; ipaddress accepts one.
    ('[::ffff:1.2.3.4]:5000/app', "the registry '[::ffff:1.2.3.4]:5000' is not a valid IPv6 address in brackets"),
    ('[::1.2.3.4]/app', 'is not a valid IPv6 address in brackets'),
    ('localhost:²/app', "the registry port '²' must be 1 to 5 digits"),
    ('localhost:' + '9' * 5000 + '/app', "the registry port '9999"),
    ('app:²', "the tag contains '²'"),
    ('a' * 100000, "invalid image reference 'aaaa"),
]


@pytest.mark.parametrize('value, message', HOSTILE, ids=['%d' % index for index in range(len(HOSTILE))])
def test_hostile_references_are_refused_in_one_line(value, message):
    with pytest.raises(InvalidReference) as exc_info:
        parse_reference(value)
    text = str(exc_info.value)
    assert message in text
    assert '\n' not in text and len(text) < 1000


def test_long_references_are_cut_short_in_messages():
    with pytest.raises(InvalidReference) as exc_info:
        parse_reference('A' * 100000)
    text = str(exc_info.value)
    assert text.startswith("invalid image reference '" + 'A' * 100 + "'... (100000 characters): ")
    assert len(text) < 1000


def test_with_tag_refuses_a_huge_int():
    with pytest.raises(InvalidReference, match='the tag must be a string, not int'):
        parse_reference('nginx').with_tag(HUGE)


@pytest.mark.parametrize('text', ['[::1]:5000/app', '[2001:DB8::1]/app', '[fe80::1:2:3:4]:5000/x'])
def test_bracketed_ipv6_registries_still_accepted(text):
    assert parse_reference(text).registry == text.split('/')[0]
