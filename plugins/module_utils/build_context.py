# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""List and digest a docker build context the way the engine's builder sees it.

The image module rebuilds only when the digest of the build inputs changes, so
the file selection must agree with Docker's: a file that ``.dockerignore``
excludes must not count, every file the builder receives must.

Semantics reproduced from Docker's builder (BuildKit, docker CLI >= 23):

* A line is a comment only when ``#`` is its first character; other lines are
  trimmed, blank ones skipped, a UTF-8 BOM on the first line is dropped.
* ``!`` makes an exception; the rest is cleaned like Go's ``filepath.Clean``
  and one leading ``/`` is dropped. A lone ``!`` is an error.
* Patterns follow Go's ``filepath.Match`` syntax: ``*``, ``?``, ``[...]``
  with ``^`` negation (``!`` inside brackets is a literal, as in Go and
  Docker), ``\\`` escapes; ``**`` spans directories. Docker turns a pattern
  into a regular expression, which gives a few quirks that are kept here:
  a leading ``**`` followed by plain text is a suffix test (``**.log``
  matches ``a/b.log``), a trailing ``**`` after plain text is a prefix test.
* A pattern matching a directory matches everything below it; the last
  matching line decides. Like Docker's walker, a pattern that was not
  evaluated for a directory (because its line could not change the result
  there) is not inherited by the directory's contents.
* Excluded directories are still searched when an exception could re-include
  something inside them.

A ``<Dockerfile>.dockerignore`` next to the Dockerfile replaces the context's
``.dockerignore``, as in BuildKit.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import functools
import hashlib
import json
import os
import re
import stat
import warnings

from ansible_collections.dockhand.docker.plugins.module_utils.errors import InvalidValue
from ansible_collections.dockhand.docker.plugins.module_utils.units import short_repr

DEFAULT_DOCKERFILE = 'Dockerfile'
IGNORE_FILE = '.dockerignore'

# Bump when the digest input format changes: every image then rebuilds once.
_DIGEST_FORMAT = b'dockhand.build-digest/1\n'
_CHUNK_SIZE = 1024 * 1024
# Docker reads .dockerignore with Go's bufio.Scanner, which fails on a line of 64 KiB or more.
_MAX_IGNORE_LINE_BYTES = 64 * 1024 - 1

# Go's strings.TrimSpace set (unicode.IsSpace); str.strip() would also drop \x1c-\x1f.
_GO_SPACE = '\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a' \
            '\u2028\u2029\u202f\u205f\u3000'
# Characters Docker escapes before handing the pattern to its regexp engine.
_REGEX_LITERALS = '.+()|{}$'
# Backslash escapes of letters mean what Go's regexp makes of them (Docker passes
# them through); these are the ones Python's re reads the same way (with re.ASCII).
_ESCAPES = frozenset('dDsSwWbBAafnrtv')
_CLASS_ESCAPES = frozenset('dDsSwWafnrtv')
_UNSUPPORTED_ESCAPES = frozenset('xpPQC01234567')
_LITERAL_PREFIX_END = re.compile(r'[*?\[\]\\^]')

_EXACT, _PREFIX, _SUFFIX, _REGEX = 'exact', 'prefix', 'suffix', 'regex'


def _kind(value):
    """'an int', 'a list': what a value is, for messages."""
    name = type(value).__name__
    return ('an ' if name[:1] in 'aeiou' else 'a ') + name


class InvalidBuildContext(InvalidValue):
    """A build context, Dockerfile or .dockerignore that cannot be used; the message says why and what to do."""


class _BadPattern(Exception):
    pass


def _go_clean(path):
    """Go's filepath.Clean for slash-separated paths (posixpath.normpath keeps a leading '//')."""
    rooted = path.startswith('/')
    parts = []
    for part in path.split('/'):
        if part in ('', '.'):
            continue
        if part == '..':
            if parts and parts[-1] != '..':
                parts.pop()
            elif not rooted:
                parts.append('..')
            continue
        parts.append(part)
    cleaned = ('/' if rooted else '') + '/'.join(parts)
    return cleaned or '.'


def _escape(char, in_class):
    if ord(char) < 128 and not char.isalnum():
        return '\\' + char
    if char == 'z' and not in_class:
        return r'\Z'
    if char in (_CLASS_ESCAPES if in_class else _ESCAPES):
        return '\\' + char
    if char in _UNSUPPORTED_ESCAPES:
        raise _BadPattern(f'the escape \\{char} is not supported; remove the backslash')
    where = ' inside [...]' if in_class else ''
    raise _BadPattern(f'\\{char} is not a valid escape{where}; remove the backslash')


def _class_member(text, pos, out):
    """One character of a [...] class (Go grammar: not '-' or ']' unless escaped)."""
    if pos >= len(text):
        raise _BadPattern("'[' is never closed; add ']' or escape it as '\\['")
    char = text[pos]
    if char in '-]':
        raise _BadPattern(f"'{char}' is misplaced inside [...]; escape it as '\\{char}'")
    if char == '\\':
        if pos + 1 >= len(text):
            raise _BadPattern("'[' is never closed; add ']' or escape it as '\\['")
        out.append(_escape(text[pos + 1], True))
        return pos + 2
    if char in '*?':
        raise _BadPattern(f"'{char}' inside [...] is not supported (Docker mistranslates it); use '\\{char}'")
    if text.startswith('[:', pos):
        raise _BadPattern("POSIX classes such as [:alpha:] are not supported; list the characters instead")
    out.append('\\' + char if char in _REGEX_LITERALS else char)
    return pos + 1


def _class(text, pos, out):
    """Translate the [...] class starting at text[pos]; return the position after it."""
    out.append('[')
    pos += 1
    if pos < len(text) and text[pos] == '^':
        out.append('^')
        pos += 1
    members = 0
    while True:
        if pos < len(text) and text[pos] == ']' and members:
            out.append(']')
            return pos + 1
        pos = _class_member(text, pos, out)
        if pos < len(text) and text[pos] == '-':
            out.append('-')
            pos = _class_member(text, pos + 1, out)
        members += 1


def _translate(text):
    """Return (kind, regex) for a cleaned pattern, choosing the kind as Docker does."""
    out = []
    kind = _EXACT
    pos = 0
    first = True
    while pos < len(text):
        char = text[pos]
        if char == '*' and text.startswith('**', pos):
            pos += 2
            if text.startswith('/', pos):
                pos += 1
            if pos >= len(text):
                if kind == _EXACT:
                    kind = _PREFIX
                else:
                    out.append('.*')
                    kind = _REGEX
            else:
                out.append('(?:.*/)?')
                kind = _REGEX
            if first:
                kind = _SUFFIX
        elif char == '*':
            out.append('[^/]*')
            kind = _REGEX
            pos += 1
        elif char == '?':
            out.append('[^/]')
            kind = _REGEX
            pos += 1
        elif char == '\\':
            if pos + 1 >= len(text):
                raise _BadPattern('it ends with a backslash; escape it as \\\\ or remove it')
            out.append(_escape(text[pos + 1], False))
            kind = _REGEX
            pos += 2
        elif char == '[':
            pos = _class(text, pos, out)
            kind = _REGEX
        else:
            # ']' alone is a literal; '^' stays an anchor, as in Docker's regexp.
            out.append('\\' + char if char in _REGEX_LITERALS else char)
            if char == ']':
                kind = _REGEX
            pos += 1
        first = False
    if kind != _REGEX:
        return kind, None
    with warnings.catch_warnings():
        # '[' inside a class is a literal for Go and Python alike; Python only warns.
        warnings.simplefilter('ignore', FutureWarning)
        try:
            return kind, re.compile(''.join(out) + r'\Z', re.ASCII)
        except re.error as exc:
            raise _BadPattern(f'{exc.msg}; fix the pattern') from None


@functools.lru_cache(maxsize=512)
def _segment_regex(segment):
    body = ''.join('[^/]*' if char == '*' else '[^/]' if char == '?' else re.escape(char) for char in segment)
    return re.compile(body + r'\Z')


class _Pattern(object):
    def __init__(self, text, exception):
        self.text = text
        self.exception = exception
        self.kind, self.regex = _translate(text)

    def __str__(self):
        return ('!' if self.exception else '') + self.text

    def matches(self, path):
        if self.kind == _EXACT:
            return path == self.text
        if self.kind == _PREFIX:
            return path.startswith(self.text[:-2])
        if self.kind == _SUFFIX:
            suffix = self.text[2:]
            return path.endswith(suffix) or (suffix.startswith('/') and path == suffix[1:])
        return self.regex.match(path) is not None

    def may_match_below(self, directory):
        """False only when no path strictly inside ``directory`` can match this pattern."""
        inside = directory + '/'
        if self.kind == _EXACT:
            return self.text.startswith(inside)
        if self.kind == _SUFFIX:
            return True
        if self.kind == _PREFIX or _LITERAL_PREFIX_END.search(self.text):
            lead = self.text[:-2] if self.kind == _PREFIX else self.text[:_LITERAL_PREFIX_END.search(self.text).start()]
            return inside.startswith(lead) or lead.startswith(inside)
        # Only literals, '*', '?' and '**' are left: compare segment by segment.
        segments = self.text.split('/')
        parts = directory.split('/')
        for index, part in enumerate(parts):
            if index >= len(segments):
                return False
            if '**' in segments[index]:
                return True
            if not _segment_regex(segments[index]).match(part):
                return False
        return len(segments) > len(parts)


class DockerIgnore(object):
    """The patterns of a .dockerignore file, matched the way Docker's builder matches them."""

    def __init__(self, lines, source=None):
        """``lines``: the file's text lines (a str is split on newlines). ``source`` names the file in errors."""
        if isinstance(lines, bytes):
            lines = lines.decode('utf-8', 'surrogateescape')
        if isinstance(lines, str):
            lines = lines.split('\n')
        self.source = source
        self._patterns = []
        where = source or IGNORE_FILE
        for number, line in enumerate(lines, 1):
            if not isinstance(line, str):
                raise InvalidBuildContext(f'{where} line {number}: {short_repr(line)} is {_kind(line)}, not a line '
                                          'of text')
            if len(line) > _MAX_IGNORE_LINE_BYTES // 4 and \
                    len(line.encode('utf-8', 'surrogatepass')) > _MAX_IGNORE_LINE_BYTES:
                raise InvalidBuildContext(f'{where} line {number} is {len(line)} characters long; Docker cannot read '
                                          'a .dockerignore line of 64 KiB or more, so shorten it')
            if number == 1 and line.startswith('\ufeff'):
                line = line[1:]
            if line.startswith('#'):
                continue
            pattern = self._read_line(line)
            if pattern is None:
                continue
            try:
                self._patterns.append(self._parse(pattern))
            except _BadPattern as exc:
                raise InvalidBuildContext(f'{where} line {number}: invalid pattern '
                                          f'{short_repr(line.strip(_GO_SPACE))}: {exc}') from None
        self._exceptions = [pattern for pattern in self._patterns if pattern.exception]

    @staticmethod
    def _read_line(line):
        """What Docker's .dockerignore reader keeps of a line, or None."""
        pattern = line.strip(_GO_SPACE)
        if not pattern:
            return None
        invert = pattern.startswith('!')
        if invert:
            pattern = pattern[1:].strip(_GO_SPACE)
        if pattern:
            pattern = _go_clean(pattern)
            if len(pattern) > 1 and pattern.startswith('/'):
                pattern = pattern[1:]
        return '!' + pattern if invert else pattern

    @staticmethod
    def _parse(pattern):
        # The pattern matcher trims and cleans once more, then splits off the '!'.
        pattern = _go_clean(pattern.strip(_GO_SPACE))
        if pattern.startswith('!'):
            if pattern == '!':
                raise _BadPattern("'!' needs a pattern after it")
            return _Pattern(pattern[1:], True)
        return _Pattern(pattern, False)

    @classmethod
    def from_context(cls, context_dir, dockerfile=None):
        """Read ``<dockerfile>.dockerignore`` (when ``dockerfile`` is given and it exists) or ``.dockerignore``.

        Returns an empty DockerIgnore when neither exists. ``dockerfile`` is context-relative.
        """
        root = _path_text(context_dir, 'the build context')
        if dockerfile is not None:
            dockerfile = _path_text(dockerfile, 'dockerfile')
        return cls._load(root, _ignore_candidates(dockerfile))[0]

    @classmethod
    def _load(cls, root, candidates):
        for relpath in candidates:
            path = os.path.join(root, *relpath.split('/'))
            try:
                with open(path, 'rb') as handle:
                    data = handle.read()
            except (FileNotFoundError, NotADirectoryError):
                continue
            except OSError as exc:
                raise InvalidBuildContext(f'cannot read {short_repr(path)}: {exc.strerror or exc}; '
                                          'make it readable') from None
            return cls(data, source=path), relpath
        return cls([]), None

    @property
    def patterns(self):
        """The effective patterns, cleaned as Docker holds them ('!' marks exceptions)."""
        return [str(pattern) for pattern in self._patterns]

    def excludes(self, relpath):
        """True when the slash-separated, context-relative ``relpath`` is left out of the build context."""
        path = _go_clean(_path_text(relpath, 'the path to match', file_system=False)).lstrip('/')
        if path in ('', '.'):
            return False
        parts = path.split('/')
        hits = None
        excluded = False
        for end in range(1, len(parts) + 1):
            excluded, hits = self._step('/'.join(parts[:end]), hits)
        return excluded

    def _step(self, path, parent_hits):
        """Match ``path`` given its parent directory's per-pattern hits (None at the top level).

        Returns (excluded, hits). As in Docker's walker, a pattern skipped for a
        directory because it could not change the result is recorded as not
        matching, so the directory's contents do not inherit it.
        """
        excluded = False
        hits = [False] * len(self._patterns)
        for index, pattern in enumerate(self._patterns):
            hit = parent_hits[index] if parent_hits is not None else False
            if not hit:
                if pattern.exception != excluded:
                    continue
                hit = pattern.matches(path)
            hits[index] = hit
            if hit:
                excluded = not pattern.exception
        return excluded, hits

    def may_reinclude_below(self, directory):
        """False only when no exception pattern can re-include anything inside ``directory``."""
        directory = _path_text(directory, 'the directory to match', file_system=False)
        return any(pattern.may_match_below(directory) for pattern in self._exceptions)


def _ignore_candidates(dockerfile):
    candidates = [IGNORE_FILE]
    if dockerfile:
        candidates.insert(0, dockerfile + IGNORE_FILE)
    return candidates


def _path_text(path, what, file_system=True):
    """``path`` (a str or path-like object) as a str (that the file system can take); raises InvalidBuildContext."""
    if isinstance(path, os.PathLike):
        path = os.fspath(path)
    if not isinstance(path, str):
        raise InvalidBuildContext(f'{what} must be a path (a string), not the {type(path).__name__} '
                                  f'{short_repr(path)}')
    if not file_system:
        return path
    if '\x00' in path:
        raise InvalidBuildContext(f'{what} {short_repr(path)} contains a NUL character; remove it')
    try:
        os.fsencode(path)
    except UnicodeEncodeError:
        raise InvalidBuildContext(f'{what} {short_repr(path)} cannot be a file name here (it has characters the '
                                  'file system encoding cannot hold); rename it') from None
    return path


def _check_context(context_dir):
    if context_dir is None or (isinstance(context_dir, str) and not context_dir):
        raise InvalidBuildContext('the build context path is empty; set it to the directory holding the Dockerfile')
    given = _path_text(context_dir, 'the build context')
    root = os.path.abspath(given)
    if not os.path.exists(root):
        raise InvalidBuildContext(f'build context {short_repr(given)} does not exist; set it to the directory '
                                  'holding the Dockerfile')
    if not os.path.isdir(root):
        raise InvalidBuildContext(f'build context {short_repr(given)} is not a directory; set it to the directory '
                                  'holding the Dockerfile')
    return root


def _outside(relpath):
    return relpath == os.pardir or relpath.startswith(os.pardir + os.sep)


def _dockerfile_relpath(root, dockerfile):
    """The context-relative, slash-separated Dockerfile path; raises unless it is a file inside ``root``."""
    given = _path_text(dockerfile, 'dockerfile') if dockerfile is not None and dockerfile != '' \
        else DEFAULT_DOCKERFILE
    path = os.path.normpath(given if os.path.isabs(given) else os.path.join(root, given))
    relpath = os.path.relpath(path, root)
    if _outside(relpath):
        # The same place spelled through a symlink (e.g. /tmp vs /private/tmp)?
        real = os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path))
        relpath = os.path.relpath(real, os.path.realpath(root))
        if _outside(relpath):
            raise InvalidBuildContext(f'Dockerfile {short_repr(given)} is outside the build context '
                                      f'{short_repr(root)}; move it into the context or use a context that contains it')
        path = os.path.join(root, relpath)
    if relpath == os.curdir or os.path.isdir(path):
        raise InvalidBuildContext(f'Dockerfile {short_repr(given)} in build context {short_repr(root)} is a '
                                  'directory; set dockerfile to the file itself')
    if not os.path.exists(path):
        what = 'is a broken symlink' if os.path.lexists(path) else 'not found'
        raise InvalidBuildContext(f'Dockerfile {short_repr(given)} {what} in build context {short_repr(root)}; '
                                  'create it or set dockerfile to its path relative to the context')
    return relpath.replace(os.sep, '/')


def _scan(root, ignore):
    """Context-relative paths of the files and symlinks the builder receives (before the always-sent ones)."""
    found = []
    pending = [('', None, False)]
    while pending:
        directory, hits, dir_excluded = pending.pop()
        path = os.path.join(root, *directory.split('/')) if directory else root
        try:
            with os.scandir(path) as listing:
                entries = list(listing)
        except OSError as exc:
            if dir_excluded and isinstance(exc, PermissionError):
                continue  # Docker skips unreadable directories it would not send anyway.
            raise InvalidBuildContext(f'cannot read directory {short_repr(path)}: {exc.strerror or exc}; make it '
                                      f'readable or exclude it in {IGNORE_FILE}') from None
        for entry in entries:
            relpath = f'{directory}/{entry.name}' if directory else entry.name
            excluded, entry_hits = ignore._step(relpath, hits)
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
                is_leaf = not is_dir and (entry.is_symlink() or entry.is_file(follow_symlinks=False))
            except OSError as exc:
                raise InvalidBuildContext(f'cannot inspect {short_repr(entry.path)}: {exc.strerror or exc}; make it '
                                          f'readable or exclude it in {IGNORE_FILE}') from None
            if is_dir:
                if not excluded or ignore.may_reinclude_below(relpath):
                    pending.append((relpath, entry_hits, excluded))
            elif is_leaf and not excluded:
                found.append(relpath)
            # Sockets, FIFOs and devices are not build inputs.
    return found


def _context(context_dir, dockerfile):
    root = _check_context(context_dir)
    dockerfile = _dockerfile_relpath(root, dockerfile)
    ignore, ignore_relpath = DockerIgnore._load(root, _ignore_candidates(dockerfile))
    files = set(_scan(root, ignore))
    # The builder always gets the Dockerfile and the ignore file, whatever they exclude.
    files.add(dockerfile)
    for relpath in (IGNORE_FILE, ignore_relpath):
        if relpath and os.path.lexists(os.path.join(root, relpath)) \
                and not os.path.isdir(os.path.join(root, relpath)):
            files.add(relpath)
    return root, dockerfile, sorted(files)


def context_files(context_dir, dockerfile=DEFAULT_DOCKERFILE):
    """Sorted context-relative paths (files and symlinks) the engine would receive for this context.

    ``dockerfile`` is relative to the context (an absolute path inside it works too).
    Raises InvalidBuildContext for a missing context or Dockerfile, a Dockerfile
    outside the context, an unreadable directory or a bad .dockerignore pattern.
    """
    return _context(context_dir, dockerfile)[2]


def _field(value):
    return b'%d:' % len(value) + value


def _hash_file(path, hint):
    """(sha256 digest, size, permission bits) of a file, read in chunks."""
    content = hashlib.sha256()
    size = 0
    try:
        with open(path, 'rb') as handle:
            mode = stat.S_IMODE(os.fstat(handle.fileno()).st_mode)
            while True:
                chunk = handle.read(_CHUNK_SIZE)
                if not chunk:
                    break
                content.update(chunk)
                size += len(chunk)
    except OSError as exc:
        raise InvalidBuildContext(f'cannot read {short_repr(path)}: {exc.strerror or exc}; {hint}') from None
    return content.digest(), size, mode


_CANNOT_DIGEST = 'cannot digest the build parameters: '


def _string_mapping(value, what, none_allowed=False):
    """``value`` if it maps strings to strings (or to None, where that is allowed); raises InvalidBuildContext."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidBuildContext(f'{_CANNOT_DIGEST}{what} must be a dictionary of names to strings, not '
                                  f'{_kind(value)}')
    for key, item in value.items():
        if not isinstance(key, str):
            raise InvalidBuildContext(f'{_CANNOT_DIGEST}{what} must have string names; {short_repr(key)} is '
                                      f'{_kind(key)}')
        if not isinstance(item, str) and not (item is None and none_allowed):
            raise InvalidBuildContext(f'{_CANNOT_DIGEST}{what}: the value of {short_repr(key)} is {_kind(item)}, '
                                      'not a string (quote the value)')
    return value


def _optional_string(value, what):
    if value is not None and not isinstance(value, str):
        raise InvalidBuildContext(f'{_CANNOT_DIGEST}{what} must be a string, not the {type(value).__name__} '
                                  f'{short_repr(value)}')
    return value


def _canonical_parameters(dockerfile, args, target, labels, platform):
    # The engine takes build args and labels as strings: 1 and '1' must not digest differently.
    args = _string_mapping(args, 'build args', none_allowed=True)  # None: the engine takes the arg's default
    labels = _string_mapping(labels, 'build labels')
    target = _optional_string(target, 'the build target')
    platform = _optional_string(platform, 'the build platform')
    parameters = {
        'dockerfile': dockerfile,
        'args': args or {},
        'target': target or None,
        'labels': labels or {},
        'platform': platform or None,
    }
    try:
        text = json.dumps(parameters, sort_keys=True, separators=(',', ':'), ensure_ascii=True, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidBuildContext(f'cannot digest the build parameters ({exc}); use strings for args, labels, '
                                  'target and platform') from None
    return text.encode('ascii')


def build_digest(context_dir, dockerfile=DEFAULT_DOCKERFILE, args=None, target=None, labels=None, platform=None):
    """'sha256:<hex>' over everything that decides what a build produces.

    Covers each file of context_files() (path, type, permission bits, size and
    content; a symlink's target text), the Dockerfile path and its content
    (even through a symlink), and the build args, target, labels and platform as
    canonical JSON. No mtimes, owners or inode data, so the digest is the same
    on every machine for the same tree. Empty or None args/labels/target/platform
    count as unset.
    """
    root, dockerfile, files = _context(context_dir, dockerfile)
    digest = hashlib.sha256(_DIGEST_FORMAT)
    digest.update(b'P' + _field(_canonical_parameters(dockerfile, args, target, labels, platform)))
    dockerfile_path = os.path.join(root, *dockerfile.split('/'))
    content = _hash_file(dockerfile_path, 'make the Dockerfile readable')[0]
    digest.update(b'D' + _field(content))
    for relpath in files:
        path = os.path.join(root, *relpath.split('/'))
        name = _field(os.fsencode(relpath))
        try:
            is_link = stat.S_ISLNK(os.lstat(path).st_mode)
            target_text = os.readlink(os.fsencode(path)) if is_link else None
        except OSError as exc:
            raise InvalidBuildContext(f'cannot read {short_repr(path)}: {exc.strerror or exc}; was the context '
                                      'changed while it was read?') from None
        if is_link:
            digest.update(b'L' + name + _field(target_text))
            continue
        content, size, mode = _hash_file(path, f'make it readable or exclude it in {IGNORE_FILE}')
        digest.update(b'F' + name + _field(b'%o' % mode) + _field(b'%d' % size) + _field(content))
    return 'sha256:' + digest.hexdigest()
