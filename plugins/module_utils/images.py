# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Images: build only when the inputs change, tag, push only what the registry lacks, pull,
load and save archives, remove.

Every decision is taken from facts that cost no change (the build-input digest stored as a
label, ``inspect``, the registry's manifest digest, an archive's own manifest), so check mode
reports exactly what a real run would do.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import shutil
import tarfile
import tempfile

from ansible_collections.dockhand.docker.plugins.module_utils.build_context import (
    DockerIgnore,
    InvalidBuildContext,
    build_digest,
    context_files,
)
from ansible_collections.dockhand.docker.plugins.module_utils.diff import ChangeSet
from ansible_collections.dockhand.docker.plugins.module_utils.errors import DockerError
from ansible_collections.dockhand.docker.plugins.module_utils.items import merge_items
from ansible_collections.dockhand.docker.plugins.module_utils.plan import checked_plan
from ansible_collections.dockhand.docker.plugins.module_utils.reference import is_image_id, parse_reference
from ansible_collections.dockhand.docker.plugins.module_utils.registry import find_platform
from ansible_collections.dockhand.docker.plugins.module_utils.registry_view import registry_call
from ansible_collections.dockhand.docker.plugins.module_utils.units import InvalidValue

BUILD_DIGEST_LABEL = 'dockhand.build-digest'

# The image module's build options, and the options of one image: items of its `images` take
# these, with the top level's values (TOP_LEVEL_DEFAULTS unless given) as defaults.
BUILD_SPEC = dict(
    context=dict(type='path', required=True),
    dockerfile=dict(type='str', default='Dockerfile'),
    args=dict(type='dict'),
    target=dict(type='str'),
    labels=dict(type='dict'),
    nocache=dict(type='bool', default=False),
    pull=dict(type='bool', default=False),
    platform=dict(type='str'),
)
ITEM_SPEC = dict(
    name=dict(type='str'),
    state=dict(type='str', choices=['present', 'absent']),
    source=dict(type='str', choices=['build', 'pull', 'load', 'local']),
    build=dict(type='dict', options=BUILD_SPEC),
    rebuild=dict(type='str', choices=['auto', 'always', 'never']),
    tags=dict(type='list', elements='str'),
    push=dict(type='bool'),
    platform=dict(type='str'),
    archive_path=dict(type='path'),
    export_path=dict(type='path'),
    force=dict(type='bool'),
)
TOP_LEVEL_DEFAULTS = dict(state='present', rebuild='auto', push=False, force=False)
_STAGE = re.compile(r'^\s*FROM\s+(?:--\S+\s+)*\S+\s+AS\s+(\S+)\s*$', re.IGNORECASE)
_STEP = re.compile(r'^Step (\d+/\d+) : (.*)$')


def _fail(option, value, reason):
    raise InvalidValue('%s: %r %s' % (option, value, reason))


def dockerfile_stages(path):
    """Names of the stages (``FROM ... AS name``) of a Dockerfile, in order."""
    with open(path, 'rb') as handle:
        text = handle.read().decode('utf-8', 'replace')
    return [match.group(1) for match in (_STAGE.match(line) for line in text.splitlines()) if match]


def context_archive(context, dockerfile):
    """The build context as an uncompressed tar in a temporary file: exactly the files the
    build digest covers (so a change the digest misses cannot reach the builder either), plus
    the directories that hold them or that .dockerignore leaves in, owned by root as docker sends them."""
    files = context_files(context, dockerfile)
    ignore = DockerIgnore.from_context(context, dockerfile)
    directories = set()
    for relpath in files:
        parent = os.path.dirname(relpath)
        while parent:
            directories.add(parent)
            parent = os.path.dirname(parent)
    for root, dirs, _files in os.walk(context):
        for name in dirs:
            relpath = os.path.relpath(os.path.join(root, name), context).replace(os.sep, '/')
            if not ignore.excludes(relpath):
                directories.add(relpath)
    archive = tempfile.TemporaryFile()
    with tarfile.open(fileobj=archive, mode='w') as tar:
        for relpath in sorted(directories) + list(files):
            info = tar.gettarinfo(os.path.join(context, relpath), arcname=relpath)
            info.uid = info.gid = 0
            info.uname = info.gname = ''
            if info.isfile():
                with open(os.path.join(context, relpath), 'rb') as handle:
                    tar.addfile(info, handle)
            else:
                tar.addfile(info)
    archive.seek(0)
    return archive


class BuildSpec(object):
    """The build options, validated; ``digest`` is the digest of every build input."""

    def __init__(self, options):
        self.context = options.get('context')
        if not self.context:
            raise InvalidValue('build.context: the build context directory is required')
        self.context = os.path.abspath(os.path.expanduser(self.context))
        self.dockerfile = options.get('dockerfile') or 'Dockerfile'
        self.args = {}
        for key, value in (options.get('args') or {}).items():
            if not isinstance(value, str):
                _fail('build.args.%s' % key, value, 'is a %s; build args must be strings (quote the value)'
                      % type(value).__name__)
            self.args[str(key)] = value
        self.labels = dict((str(key), str(value)) for key, value in (options.get('labels') or {}).items())
        self.target = options.get('target')
        self.platform = options.get('platform')
        self.nocache = bool(options.get('nocache'))
        self.pull = bool(options.get('pull'))
        try:
            self.digest = build_digest(self.context, self.dockerfile, args=self.args, target=self.target,
                                       labels=self.labels, platform=self.platform)
        except InvalidBuildContext as exc:
            raise InvalidValue('build: %s' % exc)
        if self.target:
            dockerfile = os.path.join(self.context, self.dockerfile)  # join keeps an absolute path as it is
            stages = dockerfile_stages(dockerfile)
            if self.target not in stages:
                _fail('build.target', self.target, 'is not a stage of %s; its stages are: %s'
                      % (self.dockerfile, ', '.join(stages) or 'none (no FROM ... AS name)'))


def archive_images(path):
    """(image IDs, repo tags) that a ``docker save`` archive holds, from its manifest.json."""
    try:
        with tarfile.open(path) as archive:
            member = archive.extractfile('manifest.json')
            manifest = json.loads(member.read().decode('utf-8'))
    except (OSError, KeyError, ValueError, tarfile.TarError) as exc:
        raise InvalidValue('archive_path: %s is not an image archive made by docker save (%s)' % (path, exc))
    ids, tags = [], []
    for entry in manifest:
        config = entry.get('Config') or ''
        # Docker's own layout names the config <hex>.json; the OCI layout blobs/sha256/<hex>.
        ids.append('sha256:' + os.path.basename(config).split('.')[0])
        tags.extend(entry.get('RepoTags') or [])
    return ids, tags


class ImageManager(object):
    """Converges one image reference; ``result`` collects what happened."""

    def __init__(self, client, params, check_mode, warn):
        self.client = client
        self.params = params
        self.check_mode = check_mode
        self.warn = warn
        self.changes = ChangeSet()
        self.actions = []
        self.build_log = []
        self.name = self._reference(params['name'], 'name')
        self.tags = [self._reference(tag, 'tags') for tag in params.get('tags') or []]

    @staticmethod
    def _reference(text, option):
        if is_image_id(text) and option == 'name':
            return None
        try:
            return parse_reference(text)
        except ValueError as exc:
            raise InvalidValue('%s: %s' % (option, exc))

    @property
    def local_name(self):
        return self.name.familiar if self.name else self.params['name']

    def inspect(self, name=None):
        name = name or self.local_name
        return self.client.call_or_none('inspect image %s' % name, 'inspect_image', name)

    # ---- present ----

    def present(self):
        source = self.params.get('source')
        build = BuildSpec(self.params['build']) if source == 'build' else None
        archive = self.params.get('archive_path')
        if source == 'load':
            if not archive:
                raise InvalidValue('archive_path is required with source: load')
            archive_content = archive_images(archive)
        image = self.inspect()
        if source == 'build':
            image = self._build(build, image)
        elif source == 'pull':
            image = self._pull(image)
        elif source == 'load':
            image = self._load(archive, archive_content, image)
        elif image is None:
            raise InvalidValue('image %s is not on the engine (source: local); build, pull or load it first'
                               % self.local_name)
        image_id = (image or {}).get('Id')
        for tag in self.tags:
            self._tag(tag, image_id)
        pushed = []
        if self.params.get('push'):
            for ref in [self.name] + self.tags:
                pushed.append(self._push(ref, image))
        if self.params.get('export_path'):
            self._export(self.params['export_path'], image_id)
        return dict(image=self._facts(image_id), pushed=pushed)

    def _build(self, build, image):
        rebuild = self.params.get('rebuild') or 'auto'
        current = ((image or {}).get('Config') or {}).get('Labels') or {}
        if image is not None and rebuild == 'never':
            return image
        if image is not None and rebuild == 'auto' and current.get(BUILD_DIGEST_LABEL) == build.digest:
            return image
        self.changes.add('build_digest', current.get(BUILD_DIGEST_LABEL), build.digest)
        self.actions.append('built')
        if self.check_mode:
            return image
        labels = dict(build.labels)
        labels[BUILD_DIGEST_LABEL] = build.digest
        dockerfile = os.path.relpath(os.path.join(build.context, build.dockerfile), build.context)
        kwargs = dict(dockerfile=dockerfile, tag=self.local_name, buildargs=build.args, labels=labels,
                      nocache=build.nocache, pull=build.pull, rm=True, forcerm=True, decode=True)
        if build.target:
            kwargs['target'] = build.target
        if build.platform:
            kwargs['platform'] = build.platform
        with context_archive(build.context, build.dockerfile) as archive:
            self.client.stream('build %s' % self.local_name, 'build', self._read_build, fileobj=archive,
                               custom_context=True, **kwargs)
        return self.inspect()

    def _read_build(self, chunk):
        if 'stream' in chunk:
            self.build_log.extend(line for line in chunk['stream'].splitlines() if line.strip())
        if 'error' in chunk or 'errorDetail' in chunk:
            detail = (chunk.get('errorDetail') or {}).get('message') or chunk.get('error')
            steps = [line for line in self.build_log if _STEP.match(line)]
            where = ' at %s' % steps[-1] if steps else ''
            raise DockerError('build of %s failed%s: %s' % (self.local_name, where, ' '.join(detail.split())),
                              build_log=self.build_log)

    def _tag(self, ref, image_id):
        existing = self.inspect(ref.familiar)
        if existing is not None and existing.get('Id') == image_id:
            return
        self.changes.add('tag %s' % ref.familiar, (existing or {}).get('Id'), image_id)
        self.actions.append('tagged %s' % ref.familiar)
        if not self.check_mode:
            self.client.call('tag %s' % ref.familiar, 'tag', image_id, ref.familiar_name, ref.tag, force=True)

    # ---- registry side ----

    def _registry_call(self, ref, what, *args):
        return registry_call(self.client, ref, self.params.get('timeout'), what, *args)

    def _push(self, ref, image):
        if ref.tag is None:
            raise InvalidValue('push: %s has no tag to push' % ref.familiar)
        image_id = (image or {}).get('Id')
        remote = self._registry_call(ref, 'manifest_digest', ref.repository, ref.tag)
        local = _local_digests(ref, image)
        if remote is not None and remote in local:
            return dict(ref=str(ref), digest=remote, pushed=False)
        self.changes.add('registry %s' % ref.familiar, remote, 'push of %s' % image_id)
        self.actions.append('pushed %s' % ref.familiar)
        if self.check_mode:
            return dict(ref=str(ref), digest=None, pushed=True)
        reported = []
        check = _stream_errors('push of %s' % ref.familiar)

        def read(chunk):
            check(chunk)
            aux = chunk.get('aux') or {}
            if aux.get('Digest'):
                reported.append(aux['Digest'])
        self.client.stream('push %s' % ref.familiar, 'push', read, ref.familiar_name, tag=ref.tag, stream=True,
                           decode=True)
        after = self._registry_call(ref, 'manifest_digest', ref.repository, ref.tag)
        if not reported or after != reported[-1]:
            raise DockerError('push of %s could not be verified: the engine reported %s but %s now holds %s'
                              % (ref.familiar, reported[-1] if reported else 'no digest', ref.registry, after))
        return dict(ref=str(ref), digest=after, pushed=True)

    def _platform(self):
        wanted = self.params.get('platform')
        if wanted:
            return wanted
        version = self.client.version()
        return '%s/%s' % (version.get('Os') or 'linux', version.get('Arch') or 'amd64')

    def _pull(self, image):
        ref = self.name
        if ref is None:
            raise InvalidValue('name: an image ID cannot be pulled; give a reference such as app:1.0')
        platform = self._platform()
        available = self._registry_call(ref, 'platforms', ref.repository, ref.digest or ref.tag)
        if available is None:
            raise DockerError('%s does not exist in %s' % (ref.familiar, ref.registry))
        try:
            match = find_platform(available, platform)
        except ValueError as exc:
            raise InvalidValue('platform: %s' % exc)
        if match is None:
            raise DockerError('%s has no image for platform %s; the registry offers: %s'
                              % (ref.familiar, platform, ', '.join(available)))
        remote = ref.digest or self._registry_call(ref, 'manifest_digest', ref.repository, ref.tag)
        if image is not None and remote in _local_digests(ref, image):
            return image
        self.changes.add('pulled', (image or {}).get('Id'), '%s@%s' % (ref.familiar, remote))
        self.actions.append('pulled')
        if self.check_mode:
            return image
        self.client.stream('pull %s' % ref.familiar, 'pull', _stream_errors('pull of %s' % ref.familiar),
                           ref.familiar_name, tag=ref.digest or ref.tag, platform=self.params.get('platform'),
                           stream=True, decode=True)
        return self.inspect()

    # ---- archives ----

    def _load(self, archive, archive_content, image):
        ids, tags = archive_content
        missing = [image_id for image_id in ids if self.inspect(image_id) is None]
        untagged = [tag for tag in tags if (self.inspect(tag) or {}).get('Id') not in ids]
        if not missing and not untagged:
            return image if image is not None else self.inspect()
        self.changes.add('loaded', None, archive)
        self.actions.append('loaded')
        if self.check_mode:
            return image
        with open(archive, 'rb') as handle:
            self.client.stream('load %s' % archive, 'load_image', _stream_errors('load of %s' % archive), handle)
        return self.inspect()

    def _export(self, path, image_id):
        if image_id is None:  # check mode, before a build
            self.actions.append('exported')
            return
        if os.path.exists(path):
            try:
                ids, tags = archive_images(path)
            except InvalidValue:
                ids, tags = [], []
            if ids == [image_id] and self.local_name in tags:
                return
        self.changes.add('archive %s' % path, None, image_id)
        self.actions.append('exported')
        if self.check_mode:
            return
        directory = os.path.dirname(os.path.abspath(path))
        handle, temp = tempfile.mkstemp(prefix='.dockhand-save-', dir=directory)
        try:
            with os.fdopen(handle, 'wb') as out:
                self.client.stream('save %s' % self.local_name, 'get_image', out.write, self.local_name)
            os.chmod(temp, 0o644)
            shutil.move(temp, path)
        finally:
            if os.path.exists(temp):
                os.unlink(temp)

    # ---- absent ----

    def absent(self):
        image = self.inspect()
        if image is None:
            return dict(image=dict(name=self._display_name(), exists=False))
        self.changes.add('exists', image['Id'], None)
        self.actions.append('removed')
        if not self.check_mode:
            self.client.call('remove image %s' % self.local_name, 'remove_image', self.local_name,
                             force=bool(self.params.get('force')))
        return dict(image=dict(name=self._display_name(), id=image['Id'], exists=self.check_mode))

    def _display_name(self):
        return str(self.name) if self.name else self.params['name']

    def _facts(self, image_id):
        image = self.inspect(image_id) if image_id and not self.check_mode else None
        labels = ((image or {}).get('Config') or {}).get('Labels') or {}
        return dict(name=self._display_name(), id=image_id, exists=image_id is not None,
                    build_digest=labels.get(BUILD_DIGEST_LABEL), repo_tags=(image or {}).get('RepoTags') or [],
                    repo_digests=(image or {}).get('RepoDigests') or [])


def converge_item(client, params, check_mode, warn):
    """One image of the image module; ``params`` are its parameters overlaid with the item.

    Returns ``(result, changes)``: the item's result and the :class:`ChangeSet` for diff mode.
    """
    params = dict(params)
    if params.get('source') is None:
        params['source'] = 'build' if params.get('build') else ('load' if params.get('archive_path') else 'pull')
    if params['source'] == 'build' and not params.get('build'):
        raise InvalidValue('%s: source is build but no build options are given' % params['name'])
    manager = ImageManager(client, params, check_mode, warn)
    result = manager.absent() if params['state'] == 'absent' else manager.present()
    if not params.get('push'):
        result.pop('pushed', None)
    result.update(changed=bool(manager.actions), actions=manager.actions)
    if manager.build_log:
        result['build_log'] = manager.build_log
    return result, manager.changes


def plan_items(client, items):
    """What the image module would do with ``images: items``, in check mode: nothing changes.

    For a preflight read (see :mod:`plan`). Nothing is built, tagged or pushed; the registries
    are asked what they hold, with the credentials stored on the host. ``in_sync`` is true only
    when no image would change and no warning is due; ``actions`` has each image's actions and
    ``pushed`` the references checked in their registries, with the digests found there.
    """
    def work():
        warnings = []
        planned = [converge_item(client, item, True, warnings.append)[0]
                   for _name, item in merge_items(dict(images=items), ITEM_SPEC, 'images', TOP_LEVEL_DEFAULTS)]
        return dict(in_sync=not warnings and not any(item['changed'] for item in planned),
                    actions=dict((item['image']['name'], item['actions']) for item in planned),
                    pushed=[push for item in planned for push in item.get('pushed', [])])
    return checked_plan(items, 'items_digest', work, actions={}, pushed=[])


def _local_digests(ref, image):
    """Registry digests the engine knows for ``image`` (an inspect dict) in the repository of ``ref``."""
    digests = set()
    for entry in (image or {}).get('RepoDigests') or []:
        name, _sep, digest = entry.partition('@')
        try:
            if parse_reference(name).name == ref.name:
                digests.add(digest)
        except ValueError:
            continue
    return digests


def image_facts(client, name, with_registry=False, timeout=None):
    """What image_info reports for one reference or ID."""
    ref = None
    if not is_image_id(name):
        try:
            ref = parse_reference(name)
        except ValueError as exc:
            raise InvalidValue('names: %s' % exc)
    local = ref.familiar if ref else name
    facts = dict(name=str(ref) if ref else name)
    image = client.call_or_none('inspect image %s' % local, 'inspect_image', local)
    facts['exists'] = image is not None
    if image is not None:
        labels = (image.get('Config') or {}).get('Labels') or {}
        history = client.call('read the history of image %s' % local, 'history', image['Id'])
        facts.update(
            id=image['Id'], repo_tags=image.get('RepoTags') or [], repo_digests=image.get('RepoDigests') or [],
            size=image.get('Size'), created=image.get('Created'), os=image.get('Os'),
            architecture=image.get('Architecture'), labels=labels, build_digest=labels.get(BUILD_DIGEST_LABEL),
            layers=(image.get('RootFS') or {}).get('Layers') or [],
            history=[dict(created_by=step.get('CreatedBy') or '', size=step.get('Size') or 0,
                          created=step.get('Created'), comment=step.get('Comment') or '') for step in history or []])
    if with_registry and ref is not None and (ref.tag or ref.digest):
        found = registry_call(client, ref, timeout, 'describe', ref.repository, ref.digest or ref.tag)
        facts['registry'] = found or dict(digest=None, platforms=[])
    return facts


def _stream_errors(what):
    """A stream consumer that turns an error the engine reports inside a stream into DockerError."""
    def check(chunk):
        if isinstance(chunk, dict) and ('error' in chunk or 'errorDetail' in chunk):
            detail = (chunk.get('errorDetail') or {}).get('message') or chunk.get('error')
            raise DockerError('%s failed: %s' % (what, ' '.join(str(detail).split())))
    return check
