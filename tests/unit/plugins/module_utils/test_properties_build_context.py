# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Property tests for build_context.py: any .dockerignore text, path or build parameter gives a
result of the documented type or one InvalidBuildContext line."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import shutil
import tempfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.dockhand.docker.plugins.module_utils.build_context import (
    DockerIgnore,
    InvalidBuildContext,
    build_digest,
    context_files,
)
from ansible_collections.dockhand.docker.tests.unit.strategies import (
    PROPERTY,
    any_float,
    any_int,
    assert_one_line,
    fragments_text,
    hostile_text,
    json_like,
    mappings,
    scalars,
    weighted,
)

EXAMPLES = 1500

# Short lines and paths: Python's re backtracks, so a pattern with many '*' against a long name
# takes exponential time (see the note in the report of issue 12); that is not what is tested here.
_pattern_pieces = ['*', '**', '?', '[', ']', '^', '!', '\\', '/', 'a', 'b', '.', '-', '{', '(', '|', '$', '+', '#',
                   '\\x', '\\d', '[a-z]', '[^a]', '[:alpha:]', '[z-a]', '\\*', ' ', '\t', '\ufeff', '..', 'a/b']
patterns = fragments_text(_pattern_pieces, max_parts=6).map(lambda text: text[:40])
ignore_lines = weighted((4, st.lists(patterns, max_size=6)), (1, patterns), (1, st.binary(max_size=40)),
                        (1, st.lists(st.one_of(patterns, scalars()), max_size=3)))
relpaths = weighted((4, st.lists(st.sampled_from(['a', 'b', 'a.md', 'x.log', '.', '..', '', 'dir', '\u00e9']),
                                 min_size=1, max_size=4).map('/'.join)),
                    (1, hostile_text().map(lambda text: text[:40])), (1, scalars()))


@settings(PROPERTY, max_examples=EXAMPLES)
@given(lines=ignore_lines, path=relpaths, directory=relpaths)
def test_dockerignore_matches_or_refuses(lines, path, directory):
    try:
        ignore = DockerIgnore(lines)
    except InvalidBuildContext as error:
        assert_one_line(error, '.dockerignore line ')
        return
    assert all(isinstance(pattern, str) for pattern in ignore.patterns)
    for method, argument in ((ignore.excludes, path), (ignore.may_reinclude_below, directory)):
        try:
            assert method(argument) in (True, False)
        except InvalidBuildContext as error:
            assert not isinstance(argument, str)
            assert_one_line(error, 'the ')


@pytest.fixture(scope='module')
def tree():
    """A small context inside an otherwise empty directory, so '..' never reaches other files."""
    base = tempfile.mkdtemp(prefix='dockhand-properties-')
    root = os.path.join(base, 'ctx')
    os.makedirs(os.path.join(root, 'sub'))
    for relpath, text in (('Dockerfile', 'FROM scratch\n'), ('.dockerignore', '*.log\n!keep.log\n'),
                          ('app.py', 'x'), ('sub/a.log', 'y'), ('sub/keep.log', 'z')):
        with open(os.path.join(root, relpath), 'w') as handle:
            handle.write(text)
    yield root
    shutil.rmtree(base)


# Text scalars could name '/etc' or '/': the context is only ever a generated name inside the tree.
not_text = st.one_of(st.none(), st.booleans(), any_int(), any_float(), st.binary(max_size=8), json_like(max_leaves=3))
names = weighted((3, st.sampled_from(['Dockerfile', 'sub', 'app.py', 'missing', '.', '..', '', 'sub/../Dockerfile'])),
                 (1, hostile_text().map(lambda text: text.replace('/', '')[:40])))
text_values = weighted((4, st.text(max_size=10)), (1, scalars()), (1, json_like(max_leaves=3)))
parameters = st.fixed_dictionaries({}, optional={
    'args': weighted((3, mappings(st.text(max_size=5), st.one_of(st.text(max_size=5), st.none()), max_size=3)),
                     (1, json_like(max_leaves=4))),
    'labels': weighted((3, mappings(st.text(max_size=5), st.text(max_size=5), max_size=3)),
                       (1, json_like(max_leaves=4))),
    'target': text_values,
    'platform': text_values,
})


@settings(PROPERTY, max_examples=EXAMPLES)
@given(context_name=weighted((3, st.just('')), (1, names), (1, not_text)),
       dockerfile=weighted((3, names), (1, scalars())), parameters=parameters)
def test_context_and_digest_or_refusal(tree, context_name, dockerfile, parameters):
    # Generated names stay inside the tree's parent: the context may be missing, never elsewhere.
    context = os.path.join(tree, context_name) if isinstance(context_name, str) else context_name
    for function, arguments in ((context_files, {}), (DockerIgnore.from_context, {}), (build_digest, parameters)):
        try:
            result = function(context, dockerfile, **arguments)
        except InvalidBuildContext as error:
            assert_one_line(error)
            continue
        if function is context_files:
            # At least the Dockerfile, whatever .dockerignore says; sorted paths relative to the context.
            assert isinstance(result, list) and result == sorted(result) and result
            assert all(isinstance(path, str) and not os.path.isabs(path) for path in result)
        elif function is build_digest:
            assert re.match(r'\Asha256:[0-9a-f]{64}\Z', result)
            assert build_digest(context, dockerfile, **arguments) == result  # the same input, the same digest
        else:
            assert isinstance(result, DockerIgnore)
