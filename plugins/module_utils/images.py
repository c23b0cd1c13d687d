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
import tarfile
import tempfile

from ansible_collections.dockhand.docker.plugins.module_utils.build_context import (
    DockerIgnore,
    build_digest,
    context_files,
)
from ansible_collections.dockhand.docker.plugins.module_utils.diff import ChangeSet
from ansible_collections.dockhand.docker.plugins.module_utils.errors import DockerError, InvalidValue
from ansible_collections.dockhand.docker.plugins.module_utils.files import write_atomically
from ansible_collections.dockhand.docker.plugins.module_utils.frame import (
    UNCHANGED,
    ItemForm,
    Plan,
    Resource,
    preflight_plan,
)
from ansible_collections.dockhand.docker.plugins.module_utils.reference import is_image_id, parse_reference
from ansible_collections.dockhand.docker.plugins.module_utils.registry import find_platform
from ansible_collections.dockhand.docker.plugins.module_utils.registry_view import RegistryView, registry_call
from ansible_collections.dockhand.docker.plugins.module_utils.secrets import masked_mapping

BUILD_DIGEST_LABEL = 'dockhand.build-digest'

# The build options of one image (the image's own spec, IMAGE_SPEC, is below the planner).
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
        self.digest = build_digest(self.context, self.dockerfile, args=self.args, target=self.target,
                                   labels=self.labels, platform=self.platform)
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


class ImageWanted(object):
    """One image as asked for, validated: references parsed, build inputs digested, archive read."""

    def __init__(self, item, label):
        self.item = item
        self.label = label
        self.state = item['state']
        self.ref = self._reference(item['name'], 'name')
        self.name = str(self.ref) if self.ref else item['name']       # how results name it
        self.local_name = self.ref.familiar if self.ref else item['name']
        self.tags = [self._reference(tag, 'tags') for tag in item.get('tags') or []]
        self.source = item.get('source') or ('build' if item.get('build') else
                                             'load' if item.get('archive_path') else 'pull')
        self.build = None
        self.archive_content = None
        if self.state == 'absent':
            return
        if self.source == 'build':
            if not item.get('build'):
                raise InvalidValue('source is build but no build options are given')
            self.build = BuildSpec(item['build'])
        elif self.source == 'load':
            if not item.get('archive_path'):
                raise InvalidValue('archive_path is required with source: load')
            self.archive_content = archive_images(item['archive_path'])
        elif self.source == 'pull' and self.ref is None:
            raise InvalidValue('name: an image ID cannot be pulled; give a reference such as app:1.0')
        if item.get('push'):
            for ref in self.references():
                if ref is None or ref.tag is None:
                    raise InvalidValue('push: %s has no tag to push' % (ref.familiar if ref else item['name']))

    @staticmethod
    def _reference(text, option):
        if option == 'name' and is_image_id(text):
            return None
        try:
            return parse_reference(text)
        except InvalidValue as exc:
            raise InvalidValue('%s: %s' % (option, exc.msg))

    def references(self):
        """The name and every tag: what is pushed."""
        return [self.ref] + self.tags


class ImageCurrent(object):
    """What the engine (and, where asked, the registry and the archive file) hold now."""

    def __init__(self, image):
        self.image = image              # inspect of the image's name, or None
        self.tag_ids = {}               # tag (familiar) -> the image ID it points to now, or None
        self.remote = {}                # reference (str) -> the digest its registry holds, or None
        self.platforms = None           # for a pull: what the registry offers
        self.missing_from_engine = None  # for a load: image IDs / tags of the archive the engine lacks
        self.export = None              # for an export: (image IDs, tags) the archive file holds now

    @property
    def image_id(self):
        return (self.image or {}).get('Id')


def plan_image(wanted, current, platform=None):
    """The steps that bring one image where it is wanted: ``(actions, steps, changes)``. Pure.

    Steps are ``(kind, argument)``: build, pull, load, tag <ref>, push <ref>, export <path>,
    remove. A build, pull or load gives a new image, so every tag, push and export after it
    is due as well.
    """
    changes, steps = ChangeSet(), []
    image_id = current.image_id
    if wanted.state == 'absent':
        if image_id is not None:
            changes.add('exists', image_id, None)
            steps.append(('remove', None))
        return steps, changes
    new_image = False
    if wanted.source == 'build':
        label = ((current.image or {}).get('Config') or {}).get('Labels') or {}
        rebuild = wanted.item.get('rebuild') or 'auto'
        if current.image is None or rebuild == 'always' or (
                rebuild == 'auto' and label.get(BUILD_DIGEST_LABEL) != wanted.build.digest):
            changes.add('build_digest', label.get(BUILD_DIGEST_LABEL), wanted.build.digest)
            steps.append(('build', None))
            new_image = True
    elif wanted.source == 'pull':
        ref = wanted.ref
        remote = ref.digest or current.remote.get(str(ref))
        if remote is None:
            raise DockerError('%s does not exist in %s' % (ref.familiar, ref.registry))
        try:
            match = find_platform(current.platforms or [], platform)
        except ValueError as exc:
            raise InvalidValue('platform: %s' % exc)
        if match is None:
            raise DockerError('%s has no image for platform %s; the registry offers: %s'
                              % (ref.familiar, platform, ', '.join(current.platforms or [])))
        if current.image is None or remote not in _local_digests(ref, current.image):
            changes.add('pulled', image_id, '%s@%s' % (ref.familiar, remote))
            steps.append(('pull', None))
            new_image = True
    elif wanted.source == 'load':
        if current.missing_from_engine:
            changes.add('loaded', None, wanted.item['archive_path'])
            steps.append(('load', None))
            new_image = current.image is None or current.missing_from_engine
    elif current.image is None:
        raise InvalidValue('image %s is not on the engine (source: local); build, pull or load it first'
                           % wanted.local_name)
    for tag in wanted.tags:
        have = current.tag_ids.get(tag.familiar)
        if new_image or have != image_id:
            changes.add('tag %s' % tag.familiar, have, 'the new image' if new_image else image_id)
            steps.append(('tag', tag))
    if wanted.item.get('push'):
        for ref in wanted.references():
            remote = current.remote.get(str(ref))
            if new_image or remote is None or remote not in _local_digests(ref, current.image):
                pushed = 'the new image' if new_image else image_id
                changes.add('registry %s' % ref.familiar, remote, 'push of %s' % pushed)
                steps.append(('push', ref))
    export = wanted.item.get('export_path')
    if export:
        ids, tags = current.export or ([], [])
        if new_image or image_id is None or ids != [image_id] or wanted.local_name not in tags:
            changes.add('archive %s' % export, None, 'the new image' if new_image else image_id)
            steps.append(('export', export))
    return steps, changes


def step_action(kind, argument):
    """How a step is reported in ``actions``."""
    words = dict(build='built', pull='pulled', load='loaded', tag='tagged', push='pushed', export='exported',
                 remove='removed')
    if kind in ('tag', 'push'):
        return '%s %s' % (words[kind], argument.familiar)
    return words[kind]


class Images(Resource):
    """Builds, pulls, loads, tags, pushes, exports and removes images, one item after another
    (a later image may be built FROM an earlier one)."""

    form = None  # set below, once IMAGE_SPEC exists
    sequential = True

    def __init__(self, client, check_mode, diff=False, parallel=1):
        super(Images, self).__init__(client, check_mode, diff=diff, parallel=1)
        self._platform = None
        self._views = {}

    def prepare(self, items):
        wanted = []
        for label, item in items:
            try:
                wanted.append(ImageWanted(item, label))
            except InvalidValue as exc:
                raise InvalidValue('%s: %s' % (label, exc.msg))
        return wanted

    def inspect(self, name):
        return self.client.call_or_none('inspect image %s' % name, 'inspect_image', name)

    def platform(self, wanted):
        if wanted.item.get('platform'):
            return wanted.item['platform']
        if self._platform is None:
            version = self.client.version()
            self._platform = '%s/%s' % (version.get('Os') or 'linux', version.get('Arch') or 'amd64')
        return self._platform

    def registry(self, ref, what, *args):
        """Ask the registry of ``ref``; one view (and one credential look-up) per registry and run."""
        view = self._views.get(ref.registry)
        if view is None:
            view = self._views[ref.registry] = RegistryView(self.client, ref.registry, self.client.timeout)
        return getattr(view, what)(*args)

    def read(self, wanted):
        current = ImageCurrent(self.inspect(wanted.local_name))
        if wanted.state == 'absent':
            return current
        for tag in wanted.tags:
            current.tag_ids[tag.familiar] = (self.inspect(tag.familiar) or {}).get('Id')
        if wanted.source == 'pull':
            ref = wanted.ref
            found = self.registry(ref, 'describe', ref.repository, ref.digest or ref.tag) or {}
            current.platforms = found.get('platforms')
            current.remote[str(ref)] = found.get('digest')
        elif wanted.source == 'load':
            ids, tags = wanted.archive_content
            current.missing_from_engine = ([image_id for image_id in ids if self.inspect(image_id) is None] +
                                           [tag for tag in tags if (self.inspect(tag) or {}).get('Id') not in ids])
        if wanted.item.get('push'):
            for ref in wanted.references():
                current.remote[str(ref)] = self.registry(ref, 'manifest_digest', ref.repository, ref.tag)
        export = wanted.item.get('export_path')
        if export and os.path.exists(export):
            try:
                current.export = archive_images(export)
            except InvalidValue:
                current.export = ([], [])
        return current

    def plan(self, wanted, current):
        platform = self.platform(wanted) if wanted.state == 'present' and wanted.source == 'pull' else None
        steps, changes = plan_image(wanted, current, platform)
        actions = [step_action(kind, argument) for kind, argument in steps]
        plan = Plan(wanted.name, steps[0][0] if steps else UNCHANGED, changes, body=steps, wanted=wanted,
                    current=current)
        plan.actions = actions
        return plan

    def result(self, plan):
        wanted, current = plan.wanted, plan.current
        result = dict(name=wanted.name, changed=plan.changed, actions=plan.actions)
        if self.diff and plan.changes:
            result['diff'] = plan.changes.as_diff(wanted.name)
        image_id = current.image_id
        if wanted.state == 'absent':
            result.update(exists=image_id is not None and self.check_mode, id=image_id)
            return result
        if wanted.item.get('push'):
            due = [argument for kind, argument in plan.body if kind == 'push']
            result['pushed'] = [dict(ref=str(ref), digest=None if ref in due else current.remote.get(str(ref)),
                                     pushed=ref in due) for ref in wanted.references()]
        result.update(self.facts(image_id, current.image))
        return result

    def facts(self, image_id, image):
        labels = ((image or {}).get('Config') or {}).get('Labels') or {}
        return dict(id=image_id, exists=image_id is not None, build_digest=labels.get(BUILD_DIGEST_LABEL),
                    repo_tags=(image or {}).get('RepoTags') or [], repo_digests=(image or {}).get('RepoDigests') or [])

    # ---- apply ----

    def apply(self, plan):
        wanted, current = plan.wanted, plan.current
        run = ImageRun(self.client, wanted, current.image, self.registry)
        pushed = {}
        for kind, argument in plan.body:
            if kind == 'push':
                pushed[str(argument)] = run.push(argument)
            else:
                getattr(run, kind)(argument)
        if wanted.state == 'present':
            run.refresh()  # tags and pushes change what inspect reports
        extra = dict(self.facts(run.image_id, run.image) if wanted.state == 'present' else
                     dict(exists=False, id=current.image_id))
        if wanted.item.get('push'):
            extra['pushed'] = [dict(ref=str(ref), digest=pushed.get(str(ref), current.remote.get(str(ref))),
                                    pushed=str(ref) in pushed) for ref in wanted.references()]
        if run.build_log:
            extra['build_log'] = run.build_log
        return extra


class ImageRun(object):
    """Carries out the steps of one image's plan against the engine."""

    def __init__(self, client, wanted, image, registry):
        self.client = client
        self.wanted = wanted
        self.image = image
        self.registry = registry    # Images.registry: asks a reference's registry
        self.build_log = []

    @property
    def image_id(self):
        return (self.image or {}).get('Id')

    def refresh(self):
        self.image = self.client.call_or_none('inspect image %s' % self.wanted.local_name, 'inspect_image',
                                              self.wanted.local_name)

    def build(self, _argument):
        build, name = self.wanted.build, self.wanted.local_name
        labels = dict(build.labels)
        labels[BUILD_DIGEST_LABEL] = build.digest
        dockerfile = os.path.relpath(os.path.join(build.context, build.dockerfile), build.context)
        kwargs = dict(dockerfile=dockerfile, tag=name, buildargs=build.args, labels=labels,
                      nocache=build.nocache, pull=build.pull, rm=True, forcerm=True, decode=True)
        if build.target:
            kwargs['target'] = build.target
        if build.platform:
            kwargs['platform'] = build.platform
        with context_archive(build.context, build.dockerfile) as archive:
            self.client.stream('build %s' % name, 'build', self._read_build, fileobj=archive,
                               custom_context=True, **kwargs)
        self.refresh()

    def _read_build(self, chunk):
        if 'stream' in chunk:
            self.build_log.extend(line for line in chunk['stream'].splitlines() if line.strip())
        if 'error' in chunk or 'errorDetail' in chunk:
            detail = (chunk.get('errorDetail') or {}).get('message') or chunk.get('error')
            steps = [line for line in self.build_log if _STEP.match(line)]
            where = ' at %s' % steps[-1] if steps else ''
            raise DockerError('build of %s failed%s: %s' % (self.wanted.local_name, where,
                                                            ' '.join(str(detail).split())),
                              build_log=self.build_log)

    def pull(self, _argument):
        ref = self.wanted.ref
        self.client.stream('pull %s' % ref.familiar, 'pull', _stream_errors('pull of %s' % ref.familiar),
                           ref.familiar_name, tag=ref.digest or ref.tag, platform=self.wanted.item.get('platform'),
                           stream=True, decode=True)
        self.refresh()

    def load(self, _argument):
        archive = self.wanted.item['archive_path']
        with open(archive, 'rb') as handle:
            self.client.stream('load %s' % archive, 'load_image', _stream_errors('load of %s' % archive), handle)
        self.refresh()

    def tag(self, ref):
        self.client.call('tag %s' % ref.familiar, 'tag', self.image_id, ref.familiar_name, ref.tag, force=True)

    def push(self, ref):
        """Push ``ref`` and check that its registry now holds what the engine says it pushed."""
        reported = []
        check = _stream_errors('push of %s' % ref.familiar)

        def read(chunk):
            check(chunk)
            aux = chunk.get('aux') or {}
            if aux.get('Digest'):
                reported.append(aux['Digest'])
        self.client.stream('push %s' % ref.familiar, 'push', read, ref.familiar_name, tag=ref.tag, stream=True,
                           decode=True)
        after = self.registry(ref, 'manifest_digest', ref.repository, ref.tag)
        if not reported or after != reported[-1]:
            raise DockerError('push of %s could not be verified: the engine reported %s but %s now holds %s'
                              % (ref.familiar, reported[-1] if reported else 'no digest', ref.registry, after))
        return after

    def export(self, path):
        write_atomically(path, write=lambda out: self.client.stream(
            'save %s' % self.wanted.local_name, 'get_image', out.write, self.wanted.local_name))

    def remove(self, _argument):
        self.client.call('remove image %s' % self.wanted.local_name, 'remove_image', self.wanted.local_name,
                         force=bool(self.wanted.item.get('force')))


IMAGE_SPEC = dict(
    name=dict(type='str'),
    state=dict(type='str', default='present', choices=['present', 'absent']),
    source=dict(type='str', choices=['build', 'pull', 'load', 'local']),
    build=dict(type='dict', options=BUILD_SPEC),
    rebuild=dict(type='str', default='auto', choices=['auto', 'always', 'never']),
    tags=dict(type='list', elements='str'),
    push=dict(type='bool', default=False),
    platform=dict(type='str'),
    archive_path=dict(type='path'),
    export_path=dict(type='path'),
    force=dict(type='bool', default=False),
)
FORM = ItemForm(IMAGE_SPEC, 'images', 'image')
Images.form = FORM


def plan_items(client, items):
    """What the image module would do with ``images: items``, in check mode (a preflight read, see
    :mod:`plan`): nothing is built, tagged or pushed; registries are asked what they hold, with the
    credentials stored on the host. ``actions`` has each image's actions and ``pushed`` the
    references checked in their registries, with the digests found there."""
    def summary(results):
        return dict(actions=dict((result['name'], result['actions']) for result in results),
                    pushed=[push for result in results for push in result.get('pushed', [])])
    return preflight_plan(Images(client, check_mode=True), items, summary)


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


def masked_item(item):
    """An image item (or the top level) with the values of secret-looking build args masked."""
    if not isinstance(item, dict) or not isinstance(item.get('build'), dict) \
            or not isinstance(item['build'].get('args'), dict):
        return item
    return dict(item, build=dict(item['build'], args=masked_mapping(item['build']['args'])))


def masked_params(params):
    """The image module's parameters as they may be shown (invocation, log)."""
    masked = masked_item(params)
    if isinstance(params.get('images'), list):
        masked['images'] = [masked_item(item) for item in params['images']]
    return masked
