# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for build context listing (.dockerignore) and the build digest."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.dockhand.docker.plugins.module_utils import build_context
from ansible_collections.dockhand.docker.plugins.module_utils.build_context import (
    DockerIgnore,
    InvalidBuildContext,
    build_digest,
    context_files,
)

# (.dockerignore lines, context-relative path, excluded?). Expectations follow Docker's
# builder; the cases marked "Docker" were checked against a real `docker build`.
MATCHES = [
    (['*.md'], 'README.md', True),
    (['*.md'], 'docs/guide.md', False),  # '*' stops at '/'
    (['*.md'], 'README.mdx', False),
    (['**/*.log'], 'app.log', True),  # '**' matches zero directories
    (['**/*.log'], 'a/b/c.log', True),
    (['**/*.log'], 'a/b/c.log.txt', False),
    (['docs/'], 'docs', True),
    (['docs/'], 'docs/x/y.txt', True),  # a trailing '/' is cleaned away; children go with the directory
    (['docs/'], 'docsx/y.txt', False),
    (['docs', '!docs/keep.md'], 'docs/keep.md', False),
    (['docs', '!docs/keep.md'], 'docs/other.md', True),
    (['docs', '!docs/keep.md'], 'docs/sub/keep.md', True),
    (['/abs'], 'abs', True),  # a leading '/' is the context root
    (['/abs'], 'x/abs', False),
    (['temp?'], 'tempa', True),
    (['temp?'], 'temp', False),
    (['temp?'], 'tempab', False),
    (['temp?'], './tempa/', True),  # the path is cleaned too
    (['[a-c].txt'], 'b.txt', True),
    (['[a-c].txt'], 'd.txt', False),
    (['[^a].txt'], 'b.txt', True),  # Go's negation is '^'
    (['[^a].txt'], 'a.txt', False),
    (['[!a].txt'], 'b.txt', False),  # '!' inside [...] is a literal for Go and Docker, not a negation
    (['[!a].txt'], '!.txt', True),
    (['[!a].txt'], 'a.txt', True),
    (['# comment', '', '   ', 'x'], 'x', True),
    (['# comment', '', '   ', 'x'], '# comment', False),
    ([' # not a comment'], '# not a comment', True),  # only '#' in column 1 starts a comment
    (['  *.tmp  \r'], 'a.tmp', True),  # surrounding whitespace is trimmed
    (['./x'], 'x', True),
    (['x/../y'], 'y', True),
    (['x/../y'], 'x', False),
    (['a/**/b'], 'a/b', True),
    (['a/**/b'], 'a/x/y/b', True),
    (['a/**/b'], 'a/x/c', False),
    (['a/**/b'], 'c/a/x/b', False),
    (['*.md', '!README.md'], 'README.md', False),
    (['*.md', '!README.md', 'README.md'], 'README.md', True),  # the last matching line wins
    (['*.md', '!README*.md', 'README-secret.md'], 'README-secret.md', True),
    (['*.md', '!README*.md', 'README-secret.md'], 'README.md', False),
    (['*.md', 'README-secret.md', '!README*.md'], 'README-secret.md', False),
    (['build'], 'build/out/bin/app', True),  # a pattern matching a parent directory
    (['build/out'], 'build/out/bin/app', True),
    (['build/out'], 'build/other', False),
    (['*/temp*'], 'somedir/temporary.txt', True),
    (['*/temp*'], 'temporary.txt', False),
    (['*/*/temp*'], 'somedir/subdir/temporary.txt', True),
    (['**'], 'any/path/at/all', True),
    (['dir/**'], 'dir', False),
    (['dir/**'], 'dir/x/y', True),
    (['**/.git'], '.git/config', True),
    (['**/.git'], 'sub/.git/HEAD', True),
    (['.*'], '.env', True),
    (['.*'], 'a.env', False),
    (['a.b'], 'axb', False),  # '.' is a literal
    (['foo\\*bar'], 'foo*bar', True),  # '\' escapes
    (['foo\\*bar'], 'fooxbar', False),
    (['*', '!keep'], 'keep', False),
    (['*', '!keep'], 'other', True),
    (['**file'], 'dir/myfile', True),  # Docker: leading '**' + plain text is a suffix test
    (['a**b'], 'axb', False),  # Docker: a '**' inside a name spans whole directories only
    (['a**b'], 'a/x/b', True),
    (['abc**'], 'abcdef/g', True),  # Docker: plain text + trailing '**' is a prefix test
    (['\ufeffsecret'], 'secret', True),  # a UTF-8 BOM before the first line is ignored
    (['a', '!a/b', 'a'], 'a/b', False),  # Docker: the second 'a' never applied to the directory a
    (['a/b', '!a'], 'a/b', True),  # Docker: '!a' did not apply to a (nothing was excluded yet there)
    (['**', '!src', 'src/keep'], 'src/keep/x', True),
    (['**', '!src', 'src/keep'], 'src/app.py', False),
    (['node_modules', '!node_modules/p'], 'node_modules/p/index.js', False),
]


@pytest.mark.parametrize('lines, path, excluded', MATCHES, ids=['%s~%s' % ('|'.join(m[0]), m[1]) for m in MATCHES])
def test_excludes(lines, path, excluded):
    assert DockerIgnore(lines).excludes(path) is excluded


def test_lines_as_one_string_and_cleaned_patterns():
    ignore = DockerIgnore('# comment\n./a/\n! /b/../c\n\n**/*.log\n')
    assert ignore.patterns == ['a', '!c', '**/*.log']


def test_no_patterns_exclude_nothing():
    assert DockerIgnore([]).excludes('anything/at/all') is False


# (line, fragment of the reason). Each must fail as Docker's builder would, or is refused
# because its meaning in Docker's matcher is not reproduced.
BAD_PATTERNS = [
    ('[abc', "'[' is never closed"),
    ('a[', "'[' is never closed"),
    ('[]', "']' is misplaced"),
    ('[x-]', "']' is misplaced"),
    ('[-x]', "'-' is misplaced"),
    ('[a-b-c]', "'-' is misplaced"),
    ('[z-a]', 'bad character range'),
    ('foo\\', 'ends with a backslash'),
    ('!', "'!' needs a pattern"),
    ('! ', "'!' needs a pattern"),
    ('!/', "'!' needs a pattern"),
    ('[[:alpha:]]', 'POSIX classes'),
    ('[*]', 'not supported'),
    ('\\x41', 'not supported'),
    ('\\q', 'not a valid escape'),
]


@pytest.mark.parametrize('line, reason', BAD_PATTERNS, ids=[b[0] for b in BAD_PATTERNS])
def test_bad_pattern(line, reason):
    with pytest.raises(InvalidBuildContext) as info:
        DockerIgnore(['# first', '*.md', line], source='/ctx/.dockerignore')
    message = str(info.value)
    assert message.startswith('/ctx/.dockerignore line 3: invalid pattern ')
    assert reason in message
    assert '\n' not in message


def _write(root, relpath, content='x', mode=None):
    path = root.joinpath(*relpath.split('/'))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    if mode is not None:
        path.chmod(mode)
    return path


def _tree(root, ignore=None):
    _write(root, 'Dockerfile', 'FROM scratch\nCOPY . /app/\n')
    for relpath in ('src/app.py', 'src/lib/util.py', 'README.md', 'docs/guide.md', 'docs/keep.md', 'app.log',
                    'logs/deep/x.log', 'node_modules/pkg/index.js', 'build/out.bin'):
        _write(root, relpath, relpath)
    if ignore is not None:
        _write(root, '.dockerignore', ignore)
    return root


def test_context_files(tmp_path):
    _tree(tmp_path, 'Dockerfile\n.dockerignore\n*.md\ndocs\n!docs/keep.md\n**/*.log\nnode_modules\n')
    (tmp_path / 'empty-dir').mkdir()
    assert context_files(str(tmp_path)) == [
        '.dockerignore',  # always sent, even when excluded
        'Dockerfile',
        'build/out.bin',
        'docs/keep.md',  # re-included from an excluded directory
        'src/app.py',
        'src/lib/util.py',
    ]


def test_context_files_without_dockerignore(tmp_path):
    _tree(tmp_path)
    assert len(context_files(tmp_path)) == 10


def test_wildcard_exception_searches_excluded_directories(tmp_path):
    _tree(tmp_path, 'docs\nsrc\n!**/keep.md\n!src/*/util.py\n')
    files = context_files(tmp_path)
    assert 'docs/keep.md' in files
    assert 'src/lib/util.py' in files
    assert 'docs/guide.md' not in files
    assert 'src/app.py' not in files


def test_symlinks_are_listed_not_followed(tmp_path):
    _tree(tmp_path, 'node_modules\n')
    (tmp_path / 'link-to-file').symlink_to('README.md')
    (tmp_path / 'link-to-dir').symlink_to('node_modules')
    (tmp_path / 'dangling').symlink_to('nowhere')
    files = context_files(tmp_path)
    assert {'link-to-file', 'link-to-dir', 'dangling'} <= set(files)
    assert not any(name.startswith(('link-to-dir/', 'node_modules')) for name in files)


def test_special_files_are_skipped(tmp_path):
    _tree(tmp_path)
    os.mkfifo(str(tmp_path / 'fifo'))
    assert 'fifo' not in context_files(tmp_path)


def test_dockerfile_specific_ignore_file_takes_precedence(tmp_path):
    _tree(tmp_path, 'src\n')
    _write(tmp_path, 'deploy/app.Dockerfile', 'FROM scratch\n')
    _write(tmp_path, 'deploy/app.Dockerfile.dockerignore', 'docs\ndeploy/app.Dockerfile*\n')
    files = context_files(tmp_path, 'deploy/app.Dockerfile')
    assert 'src/app.py' in files  # the context's .dockerignore is not used
    assert 'docs/guide.md' not in files
    assert {'deploy/app.Dockerfile', 'deploy/app.Dockerfile.dockerignore', '.dockerignore'} <= set(files)
    assert 'src/app.py' not in context_files(tmp_path)  # the default Dockerfile has no ignore file of its own


def test_from_context(tmp_path):
    _tree(tmp_path, '*.md\n')
    assert DockerIgnore.from_context(tmp_path).patterns == ['*.md']
    assert DockerIgnore.from_context(tmp_path).source == os.path.join(str(tmp_path), '.dockerignore')
    assert DockerIgnore.from_context(tmp_path / 'src').patterns == []


def test_dockerfile_paths(tmp_path):
    _tree(tmp_path, 'Dockerfile\nsub\n')
    _write(tmp_path, 'sub/Dockerfile.prod', 'FROM scratch\n')
    assert 'sub/Dockerfile.prod' in context_files(tmp_path, './sub/Dockerfile.prod')
    assert 'sub/Dockerfile.prod' in context_files(tmp_path, str(tmp_path / 'sub' / 'Dockerfile.prod'))
    assert 'Dockerfile' in context_files(tmp_path, None)
    assert build_digest(tmp_path, 'sub/../sub/Dockerfile.prod') == build_digest(tmp_path, 'sub/Dockerfile.prod')


# --- build_digest -------------------------------------------------------------------------

IGNORE = 'secret.txt\n*.log\ncache\n!cache/keep\n'


@pytest.fixture
def context(tmp_path):
    root = tmp_path / 'ctx'
    _write(root, 'Dockerfile', 'FROM scratch\nCOPY . /app/\n', 0o644)
    _write(root, '.dockerignore', IGNORE, 0o644)
    _write(root, 'app.py', 'print("hello")\n', 0o644)
    _write(root, 'lib/util.py', 'X = 1\n', 0o644)
    _write(root, 'secret.txt', 'hunter2', 0o600)
    _write(root, 'debug.log', 'log', 0o644)
    _write(root, 'cache/blob', 'cached', 0o644)
    _write(root, 'cache/keep', 'kept', 0o644)
    (root / 'link').symlink_to('app.py')
    return root


def _rename(path, new_name):
    path.rename(path.with_name(new_name))


MUST_CHANGE = {
    'content': lambda root: _write(root, 'app.py', 'print("bye")\n'),
    'same size content': lambda root: _write(root, 'app.py', 'print("hellO")\n'),
    'nested content': lambda root: _write(root, 'lib/util.py', 'X = 2\n'),
    'rename': lambda root: _rename(root / 'app.py', 'main.py'),
    'move to directory': lambda root: (root / 'app.py').rename(root / 'lib' / 'app.py'),
    'chmod +x': lambda root: (root / 'app.py').chmod(0o755),
    'chmod g+w': lambda root: (root / 'lib' / 'util.py').chmod(0o664),
    'add file': lambda root: _write(root, 'new.py', ''),
    'add empty file in new dir': lambda root: _write(root, 'pkg/__init__.py', ''),
    'remove file': lambda root: (root / 'lib' / 'util.py').unlink(),
    'dockerfile content': lambda root: _write(root, 'Dockerfile', 'FROM scratch\n'),
    'dockerignore content': lambda root: _write(root, '.dockerignore', IGNORE + '# note\n'),
    're-included file content': lambda root: _write(root, 'cache/keep', 'changed'),
    'symlink target': lambda root: ((root / 'link').unlink(), (root / 'link').symlink_to('lib/util.py')),
    'symlink replaced by file': lambda root: ((root / 'link').unlink(), _write(root, 'link', 'app.py')),
    'ignore rule no longer excludes': lambda root: _write(root, '.dockerignore', 'secret.txt\ncache\n'),
}

MUST_NOT_CHANGE = {
    'excluded file content': lambda root: _write(root, 'secret.txt', 'hunter3'),
    'excluded file mode': lambda root: (root / 'secret.txt').chmod(0o644),
    'excluded file added': lambda root: _write(root, 'trace.log', 'more'),
    'file added in excluded dir': lambda root: _write(root, 'cache/deep/blob2', 'more'),
    'excluded file removed': lambda root: (root / 'debug.log').unlink(),
    'mtime': lambda root: [os.utime(str(path), (1, 1)) for path in root.rglob('*') if not path.is_symlink()],
    'empty directory added': lambda root: (root / 'empty').mkdir(),
    'directory mode': lambda root: (root / 'lib').chmod(0o700),
}


@pytest.mark.parametrize('change', sorted(MUST_CHANGE))
def test_digest_changes(context, change):
    before = build_digest(context)
    MUST_CHANGE[change](context)
    assert build_digest(context) != before


@pytest.mark.parametrize('change', sorted(MUST_NOT_CHANGE))
def test_digest_does_not_change(context, change):
    before = build_digest(context)
    MUST_NOT_CHANGE[change](context)
    assert build_digest(context) == before


def test_digest_is_stable_and_well_formed(context):
    digest = build_digest(str(context))
    assert digest == build_digest(context)
    assert digest.startswith('sha256:') and len(digest) == 71
    assert int(digest[7:], 16) >= 0


# The digest of the `context` fixture with the parameters below.
GOLDEN = '836f70675a7bc53c021a9bc6e80628db8e6a77a1f206d47a0aed8a54a841e204'


def test_digest_format_is_frozen(context):
    # A change here rebuilds every image built with an older version once; bump _DIGEST_FORMAT then.
    assert build_digest(context, args={'A': '1'}, target='prod', labels={'x': 'y'}, platform='linux/amd64') == \
        'sha256:' + GOLDEN


def test_digest_same_tree_elsewhere(context, tmp_path):
    copy = tmp_path / 'elsewhere' / 'ctx'
    for path in sorted(context.rglob('*')):
        relpath = path.relative_to(context).as_posix()
        if path.is_symlink():
            copy.joinpath(relpath).symlink_to(os.readlink(str(path)))
        elif path.is_file():
            _write(copy, relpath, path.read_text(), path.stat().st_mode & 0o7777)
    assert build_digest(copy) == build_digest(context)


def test_digest_streams_in_chunks(context, monkeypatch):
    _write(context, 'big.bin', 'abc' * 1000)
    whole = build_digest(context)
    monkeypatch.setattr(build_context, '_CHUNK_SIZE', 7)
    assert build_digest(context) == whole


BASE_PARAMETERS = {'args': {'A': '1', 'B': '2'}, 'target': 'prod', 'labels': {'team': 'x'}, 'platform': 'linux/amd64'}

PARAMETER_CHANGES = [
    ('args', {'A': '1', 'B': '3'}),
    ('args', {'A': '1'}),
    ('args', {'A': '1', 'B': '2', 'C': '3'}),
    ('args', {'A': '1', 'B': None}),
    ('target', 'dev'),
    ('target', None),
    ('labels', {'team': 'y'}),
    ('labels', {}),
    ('platform', 'linux/arm64'),
    ('platform', None),
]


@pytest.mark.parametrize('name, value', PARAMETER_CHANGES, ids=['%s=%r' % change for change in PARAMETER_CHANGES])
def test_digest_changes_with_parameters(context, name, value):
    changed = dict(BASE_PARAMETERS, **{name: value})
    assert build_digest(context, **changed) != build_digest(context, **BASE_PARAMETERS)


def test_digest_ignores_parameter_order_and_empty_values(context):
    assert build_digest(context, args={'A': '1', 'B': '2'}, labels={'a': '1', 'b': '2'}) == \
        build_digest(context, args={'B': '2', 'A': '1'}, labels={'b': '2', 'a': '1'})
    assert build_digest(context, args={}, labels={}, target='', platform='') == build_digest(context)


def test_digest_changes_with_dockerfile_path(context):
    _write(context, 'Dockerfile.copy', (context / 'Dockerfile').read_text(), 0o644)
    assert build_digest(context, 'Dockerfile.copy') != build_digest(context)


def test_digest_follows_a_symlinked_dockerfile(context):
    _write(context, 'cache/Dockerfile.real', 'FROM scratch\n')  # excluded by 'cache'
    (context / 'Dockerfile').unlink()
    (context / 'Dockerfile').symlink_to('cache/Dockerfile.real')
    before = build_digest(context)
    _write(context, 'cache/Dockerfile.real', 'FROM scratch\nUSER 1\n')
    assert build_digest(context) != before


def test_digest_refuses_unserialisable_parameters(context):
    with pytest.raises(InvalidBuildContext, match='cannot digest the build parameters'):
        build_digest(context, args={'A': object()})


# --- errors -------------------------------------------------------------------------------

def _error(function, *args):
    with pytest.raises(InvalidBuildContext) as info:
        function(*args)
    message = str(info.value)
    assert '\n' not in message
    return message


@pytest.mark.parametrize('function', [context_files, build_digest])
def test_missing_context(tmp_path, function):
    missing = str(tmp_path / 'nope')
    message = _error(function, missing)
    assert repr(missing) in message and 'does not exist' in message


def test_context_is_a_file(tmp_path):
    path = _write(tmp_path, 'file')
    assert 'is not a directory' in _error(context_files, str(path))


@pytest.mark.parametrize('function', [context_files, build_digest])
def test_missing_dockerfile(tmp_path, function):
    message = _error(function, str(tmp_path), 'Dockerfile.nope')
    assert "'Dockerfile.nope' not found" in message and repr(str(tmp_path)) in message


@pytest.mark.parametrize('dockerfile', ['../Dockerfile', 'sub/../../Dockerfile', '/etc/hostname'])
def test_dockerfile_outside_context(tmp_path, dockerfile):
    root = _tree(tmp_path / 'ctx')
    _write(tmp_path, 'Dockerfile', 'FROM scratch\n')
    message = _error(context_files, str(root), dockerfile)
    assert repr(dockerfile) in message and 'is outside the build context' in message


def test_dockerfile_is_a_directory(tmp_path):
    _tree(tmp_path)
    assert 'is a directory' in _error(context_files, str(tmp_path), 'src')
    assert 'is a directory' in _error(context_files, str(tmp_path), '.')


def test_dockerfile_is_a_broken_symlink(tmp_path):
    (tmp_path / 'Dockerfile').symlink_to('missing')
    assert 'is a broken symlink' in _error(context_files, str(tmp_path))


@pytest.mark.parametrize('function', [context_files, build_digest])
def test_bad_pattern_in_file(tmp_path, function):
    _tree(tmp_path, '*.md\n\n[abc\n')
    message = _error(function, str(tmp_path))
    assert message.startswith(repr(os.path.join(str(tmp_path), '.dockerignore'))[1:-1] + ' line 3: ')
    assert "'[abc'" in message


def test_unreadable_file(context, monkeypatch):
    real_open = open

    def fake_open(path, *args, **kwargs):
        if str(path).endswith('app.py'):
            raise PermissionError(13, 'Permission denied')
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(build_context, 'open', fake_open, raising=False)
    message = _error(build_digest, context)
    assert repr(str(context / 'app.py')) in message and 'Permission denied' in message


def test_unreadable_file_that_is_excluded_is_not_read(context, monkeypatch):
    real_open = open

    def fake_open(path, *args, **kwargs):
        if str(path).endswith('secret.txt'):
            raise PermissionError(13, 'Permission denied')
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(build_context, 'open', fake_open, raising=False)
    assert build_digest(context).startswith('sha256:')


def test_unreadable_directory(context, monkeypatch):
    real_scandir = os.scandir

    def fake_scandir(path):
        if str(path).endswith(('lib', 'cache')):
            raise PermissionError(13, 'Permission denied')
        return real_scandir(path)

    monkeypatch.setattr(build_context.os, 'scandir', fake_scandir)
    message = _error(context_files, context)
    assert repr(str(context / 'lib')) in message and 'Permission denied' in message
    (context / 'lib' / 'util.py').unlink()
    (context / 'lib').rmdir()
    # 'cache' is excluded: Docker skips it when unreadable, even though an exception points into it.
    assert 'cache/keep' not in context_files(context)


def test_unreadable_dockerignore(tmp_path, monkeypatch):
    _tree(tmp_path, '*.md\n')
    real_open = open

    def fake_open(path, *args, **kwargs):
        if str(path).endswith('.dockerignore'):
            raise PermissionError(13, 'Permission denied')
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(build_context, 'open', fake_open, raising=False)
    message = _error(context_files, tmp_path)
    assert '.dockerignore' in message and 'Permission denied' in message


# --- hostile input (issue 12): one line, never another exception --------------------------

@pytest.mark.parametrize('context_dir, fragment', [
    (5, 'the build context must be a path (a string), not the int 5'),
    (1.5, 'not the float 1.5'),
    (True, 'not the bool True'),
    (['/tmp'], 'not the list'),
    (b'/tmp', 'not the bytes'),
    (10 ** 5000, 'not the int <an integer of about 5001 digits>'),
    ('/tmp/a\x00b', "the build context '/tmp/a\\x00b' contains a NUL character; remove it"),
    ('/tmp/\ud800', "cannot be a file name here"),
], ids=['int', 'float', 'bool', 'list', 'bytes', 'huge-int', 'nul', 'surrogate'])
@pytest.mark.parametrize('function', [context_files, build_digest, DockerIgnore.from_context])
def test_a_context_that_is_no_path_is_refused(function, context_dir, fragment):
    assert fragment in _error(function, context_dir)


@pytest.mark.parametrize('dockerfile, fragment', [
    (5, 'dockerfile must be a path (a string), not the int 5'),
    (['Dockerfile'], 'not the list'),
    ('Docker\x00file', "dockerfile 'Docker\\x00file' contains a NUL character"),
    ('\udfffDockerfile', 'cannot be a file name here'),
], ids=['int', 'list', 'nul', 'surrogate'])
@pytest.mark.parametrize('function', [context_files, build_digest, DockerIgnore.from_context])
def test_a_dockerfile_that_is_no_path_is_refused(context, function, dockerfile, fragment):
    assert fragment in _error(function, str(context), dockerfile)


def test_paths_may_still_be_path_objects(context):
    assert context_files(context, 'Dockerfile') == context_files(str(context), 'Dockerfile')
    assert DockerIgnore.from_context(context, 'Dockerfile').patterns == \
        DockerIgnore.from_context(str(context)).patterns


@pytest.mark.parametrize('parameters, fragment', [
    ({'args': {'A': 1}}, "build args: the value of 'A' is an int, not a string (quote the value)"),
    ({'args': {'A': True}}, "the value of 'A' is a bool"),
    ({'args': {'A': ['x']}}, "the value of 'A' is a list"),
    ({'args': {1: 'x'}}, 'build args must have string names; 1 is an int'),
    ({'args': ['A=1']}, 'build args must be a dictionary of names to strings, not a list'),
    ({'labels': {'a': None}}, "build labels: the value of 'a' is a NoneType"),
    ({'labels': {'a': 10 ** 5000}}, "build labels: the value of 'a' is an int"),
    ({'target': ['prod']}, "the build target must be a string, not the list ['prod']"),
    ({'platform': 5}, 'the build platform must be a string, not the int 5'),
], ids=['int-arg', 'bool-arg', 'list-arg', 'int-name', 'list-args', 'none-label', 'huge-label', 'list-target',
        'int-platform'])
def test_digest_parameters_must_be_strings(context, parameters, fragment):
    # 1 and '1' reach the engine differently (or not at all); they must not pass as the same input.
    message = _error(lambda: build_digest(context, **parameters))
    assert message.startswith('cannot digest the build parameters: ') and fragment in message


def test_digest_of_a_deeply_nested_parameter_is_refused(context):
    nested = []
    for _depth in range(100000):
        nested = [nested]
    assert 'is a list, not a string' in _error(lambda: build_digest(context, args={'A': nested}))


@pytest.mark.parametrize('lines, fragment', [
    (['*.md', 5], '.dockerignore line 2: 5 is an int, not a line of text'),
    ([None], '.dockerignore line 1: None is a NoneType'),
    ('a' * (64 * 1024), '.dockerignore line 1 is 65536 characters long; Docker cannot read a .dockerignore line of '
                        '64 KiB or more'),
    ('ok\n' + '\u00e9' * (32 * 1024), 'line 2 is 32768 characters long'),  # 64 KiB in UTF-8
], ids=['int-line', 'none-line', 'long-line', 'long-utf8-line'])
def test_dockerignore_lines_that_docker_cannot_read(lines, fragment):
    assert fragment in _error(DockerIgnore, lines)


def test_dockerignore_line_just_below_the_limit_is_read():
    assert DockerIgnore('a' * (64 * 1024 - 1)).patterns == ['a' * (64 * 1024 - 1)]


@pytest.mark.parametrize('path', [5, None, b'a', ['a']], ids=repr)
def test_dockerignore_matching_needs_a_path(path):
    ignore = DockerIgnore(['*.md', '!keep.md'])
    assert 'must be a path (a string)' in _error(ignore.excludes, path)
    assert 'must be a path (a string)' in _error(ignore.may_reinclude_below, path)
