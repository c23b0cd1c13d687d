# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Property tests for reference.py: any input gives a normalised reference that reads back the same,
or one InvalidReference line."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.dockhand.docker.plugins.module_utils.reference import (
    NAME_MAX_LENGTH,
    TAG_MAX_LENGTH,
    ImageReference,
    InvalidReference,
    is_image_id,
    parse_reference,
)
from ansible_collections.dockhand.docker.tests.unit.strategies import (
    PROPERTY,
    assert_one_line,
    hostile_text,
    joined,
    json_like,
    number_text,
    scalars,
    weighted,
)

EXAMPLES = 1500
HEX64 = '0123456789abcdef' * 4

registries = weighted(
    (4, st.just('')),
    (3, joined(st.sampled_from(['localhost', 'registry.example.com', 'ghcr.io', 'index.docker.io', 'docker.io',
                                '127.0.0.1', '[::1]', '[2001:db8::1]', '[::ffff:1.2.3.4]', '[fe80::1%eth0]',
                                'Example.COM', 'LOCALHOST', 'a..b', '-a.b', 'h\u00f4st.io', '[::1']),
               st.one_of(st.just(''), joined(st.just(':'), number_text())), st.just('/'))),
)
components = weighted(
    (4, st.from_regex(r'\A[a-z0-9]{1,8}([._-][a-z0-9]{1,8}){0,2}\Z')),
    (1, st.sampled_from(['', 'A', 'a__b', 'a___b', 'a--b', '.a', 'a.', 'a..b', HEX64, 'library', '\u00b2', 'a b'])),
    (1, hostile_text()),
)
paths = st.lists(components, min_size=1, max_size=4).map('/'.join)
tags = weighted(
    (4, st.from_regex(r'\A[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}\Z')),
    (1, st.sampled_from(['', '-a', '.a', 'a' * TAG_MAX_LENGTH, 'a' * (TAG_MAX_LENGTH + 1), '1.\u00b2', 'a:b'])),
)
digests = weighted(
    (3, st.just('sha256:' + HEX64)),
    (1, st.sampled_from(['sha256:' + HEX64.upper(), 'sha256:' + HEX64[:-1], 'sha512:' + HEX64 * 2, 'md5:abc',
                         'sha256', ''])),
)
references = weighted(
    (6, joined(registries, paths, st.one_of(st.just(''), joined(st.just(':'), tags)),
               st.one_of(st.just(''), joined(st.just('@'), digests)))),
    (1, hostile_text()),
    (1, scalars()),
    (1, json_like(max_leaves=4)),
)


@settings(PROPERTY, max_examples=EXAMPLES)
@given(text=references, tag=st.one_of(tags, scalars()))
def test_parse_reference_normalises_or_refuses(text, tag):
    assert is_image_id(text) in (True, False)
    try:
        ref = parse_reference(text)
    except InvalidReference as error:
        assert_one_line(error, 'invalid image reference ')
        return
    assert isinstance(ref, ImageReference)
    assert ref.tag is not None or ref.digest is not None
    assert len(ref.name) <= NAME_MAX_LENGTH
    assert re.match(r'\A[a-z0-9]+([._-]+[a-z0-9]+)*(/[a-z0-9]+([._-]+[a-z0-9]+)*)*\Z', ref.repository)
    # Every spelling the reference offers reads back as the same reference.
    assert parse_reference(str(ref)) == ref
    assert parse_reference(ref.familiar) == ref
    assert hash(parse_reference(str(ref))) == hash(ref)
    try:
        retagged = ref.with_tag(tag)
    except InvalidReference as error:
        assert_one_line(error, 'invalid image reference ')
        return
    assert retagged.tag == tag and retagged.digest is None and retagged.name == ref.name
    assert parse_reference(str(retagged)) == retagged
