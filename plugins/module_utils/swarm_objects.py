# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Swarm secrets and configs on the item frame (see :mod:`frame`), made changeable by versions.

The swarm never changes the data of a secret or a config. So one logical name (``db_password``)
is a series of objects, each named ``NAME-<short salted hash>`` and labelled with the logical
name, the full salted hash, its salt and a generation number (the highest is the current one).
New content makes a new version; every service that uses any version of the logical name moves
to the current one in the same run (one spec update per service, rolled by the engine per its
own update_config); old versions no service uses are removed, the newest ``keep_versions`` of
them kept for a rollback. Secrets and configs are one resource with a different kind (:data:`KINDS`).

- ``prepare``: every item validated and its content read (``data`` or the file ``src``), then
  the engine must be a swarm manager.
- ``read_all``: the objects of the kind and the services, once for every item.
- ``plan`` (:func:`plan_object`, pure): the version wanted, the services to move, the versions to remove.
- ``apply``: the new version created (or an earlier one made current again, or relabelled);
  :meth:`SwarmObjects.finish` then moves the services, waits for them and removes old versions.

The data, and anything derived from it other than the salted hash, never leaves this module:
not in results, diffs, errors or the module's shown parameters.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import hashlib
import hmac
import os
import re
import time

from ansible_collections.dockhand.docker.plugins.module_utils.container_options import string_pairs
from ansible_collections.dockhand.docker.plugins.module_utils.engine import swarm_facts
from ansible_collections.dockhand.docker.plugins.module_utils.errors import DockerError, DockhandError, InvalidValue
from ansible_collections.dockhand.docker.plugins.module_utils.frame import (
    FAILED,
    UNCHANGED,
    ItemForm,
    Plan,
    Resource,
    converge,
    module_result,
    preflight_plan,
)
from ansible_collections.dockhand.docker.plugins.module_utils.module import DockhandModule
from ansible_collections.dockhand.docker.plugins.module_utils.rollout import wait_for_rollout
from ansible_collections.dockhand.docker.plugins.module_utils.secrets import SECRET_MASK


class Kind(object):
    """What differs between secrets and configs: API names and the options only one of them has."""

    def __init__(self, name, plural, ref_id, ref_name, extra_spec=None, blank_refused=False):
        self.name = name                    # 'secret'
        self.plural = plural                # 'secrets': the list option, the API path, the SDK's list method
        self.ref_id = ref_id                # key of a service's reference: 'SecretID'
        self.ref_name = ref_name            # 'SecretName'
        self.spec_key = plural.capitalize()  # ContainerSpec.Secrets / .Configs
        self.extra_spec = extra_spec or {}
        self.blank_refused = blank_refused  # the engine refuses a secret of white space only


KINDS = {
    'secret': Kind('secret', 'secrets', 'SecretID', 'SecretName', blank_refused=True),
    'config': Kind('config', 'configs', 'ConfigID', 'ConfigName',
                   extra_spec=dict(template_driver=dict(type='str', choices=['golang']))),
}

LABEL_PREFIX = 'dockhand.docker.'
NAME_LABEL = LABEL_PREFIX + 'name'
HASH_LABEL = LABEL_PREFIX + 'hash'
SALT_LABEL = LABEL_PREFIX + 'salt'
GENERATION_LABEL = LABEL_PREFIX + 'generation'

# The engine's limits: data of 1 byte to less than 500 KiB (swarmkit's MaxSecretSize; configs
# have the same limit in Docker 20.10), names of up to 64 of [a-zA-Z0-9-_.], starting and
# ending with a letter or digit. A version adds "-" and SHORT_HASH characters to the name.
MAX_DATA = 500 * 1024
MAX_OBJECT_NAME = 64
SHORT_HASH = 12
MAX_NAME = MAX_OBJECT_NAME - 1 - SHORT_HASH
MAX_KEEP = 100
_OBJECT_NAME = re.compile(r'^[a-zA-Z0-9]+(?:[a-zA-Z0-9_.-]*[a-zA-Z0-9])?\Z')

# The salted hash of the content. Version names and labels can be read by anyone who can list
# the swarm's secrets, and they appear in Ansible's output and logs; a plain digest of a
# low-entropy secret (a PIN, a dictionary word) is reversed by trying every candidate. So the
# hash is keyed with a random salt of the logical name (no precomputed tables, no comparing
# names across swarms) and made deliberately slow: PBKDF2-HMAC-SHA256 with ITERATIONS (about
# 50 ms on a 2-core Xeon of 2023), so that each guess costs that much. The salt is kept from
# version to version, so that the same content is recognised; the label records the scheme and
# the iteration count, so that versions hashed with another count are still recognised.
HASH_SCHEME = 'pbkdf2-sha256'
ITERATIONS = 200000
SALT_BYTES = 16
_ITERATIONS_ACCEPTED = (1, 10 ** 7)   # a label outside is not ours to trust (and must not cost hours)

# Service rollout states (UpdateStatus.State) that end in failure.


def object_spec(kind):
    """The argument spec of one item of ``kind``, with the defaults of the top level."""
    spec = dict(
        name=dict(type='str'),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        data=dict(type='str', no_log=True),
        data_is_b64=dict(type='bool', default=False),
        src=dict(type='path'),
        labels=dict(type='dict'),
        keep_versions=dict(type='int', default=1),
    )
    spec.update(kind.extra_spec)
    return spec


def item_form(kind):
    return ItemForm(object_spec(kind), kind.plural, kind.name, module_only={
        # The list holds items, not secrets: Ansible must not mask it (each item's data is masked by masked_params).
        kind.plural: dict(type='list', elements='dict', no_log=False),
        'force': dict(type='bool', default=False),
        'wait': dict(type='bool', default=True),
        'wait_timeout': dict(type='int', default=300),
    })


FORMS = dict((name, item_form(kind)) for name, kind in KINDS.items())


# ---- the salted hash ----

def salted_hash(content, salt, iterations=None):
    """``'pbkdf2-sha256$<iterations>$<hex>'``: the slow salted hash of ``content`` (bytes) with ``salt``
    (bytes), ITERATIONS rounds unless ``iterations`` says otherwise."""
    iterations = iterations or ITERATIONS
    digest = hashlib.pbkdf2_hmac('sha256', content, salt, iterations)
    return '%s$%d$%s' % (HASH_SCHEME, iterations, binascii.hexlify(digest).decode('ascii'))


def hash_hex(hashed):
    """The hex digest part of a :func:`salted_hash` value."""
    return hashed.rsplit('$', 1)[-1]


def _hash_label_parts(labels):
    """(salt bytes, iterations, hash label) of a version's labels; None when they are not a valid pair."""
    hashed, salt = labels.get(HASH_LABEL), labels.get(SALT_LABEL)
    if not isinstance(hashed, str) or not isinstance(salt, str):
        return None
    parts = hashed.split('$')
    if len(parts) != 3 or parts[0] != HASH_SCHEME or not parts[1].isdigit() or not parts[1].isascii():
        return None
    iterations = int(parts[1])
    if not _ITERATIONS_ACCEPTED[0] <= iterations <= _ITERATIONS_ACCEPTED[1]:
        return None
    try:
        return binascii.unhexlify(salt), iterations, hashed
    except (binascii.Error, ValueError):
        return None


# ---- prepare: what is wanted (no change) ----

class ObjectWanted(object):
    """One secret or config as asked for: validated, its content read (held here and nowhere else)."""

    def __init__(self, kind, item, label, force=False, new_salt=None):
        self.kind = kind
        self.item = item
        self.label = label
        self.name = item.get('name')
        self.state = item.get('state')
        self.force = force
        self.keep_versions = item.get('keep_versions')
        self.template_driver = item.get('template_driver')
        self.labels = None                  # the user's labels (strings), None when not given
        self.content = None                 # bytes given to the engine
        self.new_salt = new_salt if new_salt is not None else os.urandom(SALT_BYTES)
        self._digests = {}

    def digest(self, salt, iterations=None):
        """The salted hash of the content (and the templating driver: it changes what tasks read)."""
        key = (salt, iterations or ITERATIONS)
        if key not in self._digests:
            hashed = (self.template_driver or '').encode('ascii') + b'\n' + self.content
            self._digests[key] = salted_hash(hashed, *key)
        return self._digests[key]

    def create_body(self, name, labels):
        body = {'Name': name, 'Labels': labels, 'Data': base64.b64encode(self.content).decode('ascii')}
        if self.template_driver:
            body['Templating'] = {'Name': self.template_driver}
        return body


def parse_item(kind, item, label, force=False, new_salt=None):
    """An :class:`ObjectWanted` from one merged item; InvalidValue naming ``label`` for bad input.

    Messages name the option and never hold the data.
    """
    wanted = ObjectWanted(kind, item, label, force=force, new_salt=new_salt)
    try:
        for check in (_check_name, _check_keep_versions):
            check(item)
        wanted.labels = _user_labels_given(item.get('labels'))
        wanted.content = _content(kind, item) if wanted.state == 'present' else None
    except InvalidValue as exc:
        raise InvalidValue('%s: %s' % (label, exc.msg))
    return wanted


def _check_name(item):
    name = item.get('name')
    if not isinstance(name, str) or not _OBJECT_NAME.match(name) or len(name) > MAX_NAME:
        raise InvalidValue('name: %r is not a usable name; use letters, digits, - _ . (starting and ending with a '
                           'letter or digit), at most %d characters (the version adds %d)'
                           % (name if not isinstance(name, str) or len(name) < 80 else name[:77] + '...',
                              MAX_NAME, SHORT_HASH + 1))


def _check_keep_versions(item):
    keep = item.get('keep_versions')
    if isinstance(keep, bool) or not isinstance(keep, int) or not 0 <= keep <= MAX_KEEP:
        raise InvalidValue('keep_versions: %r is not a count; give 0 to %d earlier versions to keep' % (keep, MAX_KEEP))


def _user_labels_given(value):
    """The labels option as strings (None when not given); the module's own keys refused."""
    if value is None:
        return None
    labels = string_pairs('labels')(value, None)
    reserved = sorted(key for key in labels if key.startswith(LABEL_PREFIX))
    if reserved:
        raise InvalidValue('labels: %s is reserved (labels starting with %s are set by this module)'
                           % (reserved[0], LABEL_PREFIX))
    return labels


def _content(kind, item):
    """The bytes to store, from ``data`` or ``src``; checked against the engine's limits."""
    data, src = item.get('data'), item.get('src')
    if (data is None) == (src is None):
        raise InvalidValue('give either data or src (a file on the managed host) with state present, not %s'
                           % ('both' if data is not None else 'neither'))
    if src is not None:
        if item.get('data_is_b64'):
            raise InvalidValue('data_is_b64 applies to data; the file src is read as it is')
        content = read_src(src)
    elif item.get('data_is_b64'):
        try:
            content = base64.b64decode(''.join(data.split()), validate=True)
        except (binascii.Error, ValueError):
            raise InvalidValue('data: not valid base64 (data_is_b64 is true); give base64 text, or data_is_b64: false')
    else:
        try:
            content = data.encode('utf-8')
        except UnicodeError:
            # Python's own message would quote a character of the data.
            raise InvalidValue('data: cannot be encoded as UTF-8; give it base64-encoded with data_is_b64: true')
    where = 'src %s' % src if src is not None else 'data'
    if not content:
        raise InvalidValue('%s: is empty; the engine refuses a %s without data' % (where, kind.name))
    if len(content) >= MAX_DATA:
        raise InvalidValue('%s: %d bytes; the engine takes less than %d bytes (500 KiB) for a %s'
                           % (where, len(content), MAX_DATA, kind.name))
    if kind.blank_refused and not content.strip():
        raise InvalidValue('%s: holds only white space, which the engine refuses for a secret' % where)
    return content


def read_src(path):
    """The bytes of the file ``path`` on the managed host (at most MAX_DATA + 1 of them are read)."""
    if '\x00' in path:
        raise InvalidValue('src: %r is not a path (it holds a NUL character)' % path)
    if not os.path.exists(path):
        raise InvalidValue('src: %s does not exist on the managed host' % path)
    if not os.path.isfile(path):
        raise InvalidValue('src: %s is not a regular file' % path)
    try:
        with open(path, 'rb') as handle:
            return handle.read(MAX_DATA + 1)
    except OSError as exc:
        raise InvalidValue('src: %s cannot be read: %s' % (path, exc.strerror or type(exc).__name__))


# ---- reading what the swarm holds ----

def _labels(obj):
    return ((obj.get('Spec') or {}).get('Labels')) or {}


def object_name(obj):
    return (obj.get('Spec') or {}).get('Name')


def generation(obj):
    value = _labels(obj).get(GENERATION_LABEL)
    return int(value) if isinstance(value, str) and value.isdigit() and value.isascii() and len(value) < 19 else 0


def versions_of(objects, logical_name):
    """The versions of ``logical_name`` among ``objects`` (GET /secrets or /configs), the current one first."""
    versions = [obj for obj in objects or () if _labels(obj).get(NAME_LABEL) == logical_name]
    return sorted(versions, key=lambda obj: (generation(obj), obj.get('CreatedAt') or '', obj.get('ID') or ''),
                  reverse=True)


def unversioned_of(objects, logical_name):
    """An object named exactly ``logical_name`` that this module did not make (by hand, or another tool).

    Services that use it move to the versions like any other user; it is never removed here.
    """
    return [obj for obj in objects or () if object_name(obj) == logical_name and NAME_LABEL not in _labels(obj)]


def references(service, kind):
    """A service's references to objects of ``kind`` (its spec's ContainerSpec.Secrets or .Configs)."""
    container = (((service.get('Spec') or {}).get('TaskTemplate') or {}).get('ContainerSpec')) or {}
    return container.get(kind.spec_key) or []


def service_name(service):
    return (service.get('Spec') or {}).get('Name') or service.get('ID')


def users(services, kind):
    """{object ID: [service, ...]}: which services refer to which objects of ``kind``."""
    found = {}
    for service in sorted(services or (), key=service_name):
        for ref in references(service, kind):
            ident = ref.get(kind.ref_id)
            if ident and service not in found.setdefault(ident, []):
                found[ident].append(service)
    return found


# ---- what the lead's service module (and anyone) looks up ----

def current_version(client, kind, logical_name):
    """``{id, name}`` of the current (newest) version of ``logical_name``, or None when it has none.

    ``kind`` is 'secret' or 'config'. Reads the swarm's objects of that kind through ``client``
    (an EngineClient of a manager). A service refers to the version by its ID and name (see
    :func:`service_reference`), so a service spec built from it uses exactly what this module made.
    """
    kind = KINDS[kind]
    objects = client.call('list the %s' % kind.plural, kind.plural,
                          filters={'label': ['%s=%s' % (NAME_LABEL, logical_name)]})
    versions = versions_of(objects, logical_name)
    return dict(id=versions[0]['ID'], name=object_name(versions[0])) if versions else None


def service_reference(kind, logical_name, version, target=None, uid='0', gid='0', mode=0o444):
    """The entry of a service's ``ContainerSpec.Secrets`` (or ``.Configs``) that mounts ``version``.

    ``version`` is what :func:`current_version` returns. ``target`` is the file name the task
    reads: for a secret, relative to /run/secrets/ (default: the logical name, so that the path
    stays the same from version to version); for a config, a path (default: /<logical name>).
    uid, gid (strings) and mode (an integer, 0o444 as the CLI's default) are the file's.
    """
    kind = KINDS[kind]
    if target is None:
        target = logical_name if kind.name == 'secret' else '/' + logical_name
    return {'File': {'Name': target, 'UID': str(uid), 'GID': str(gid), 'Mode': mode},
            kind.ref_id: version['id'], kind.ref_name: version['name']}


def moved_reference(kind, ref, version):
    """``ref`` pointed at ``version`` ({id, name}): the same file (target, uid, gid, mode), the new object."""
    moved = dict(ref)
    moved[kind.ref_id] = version['id']
    moved[kind.ref_name] = version['name']
    return moved


# ---- plan: pure ----

class ObjectPlan(Plan):
    """What to do about one logical name.

    ``target``: the version that is to be current ({id (None until created), name, generation,
    labels}); ``create``: the API body of a new version (holds the data: never shown);
    ``relabel``: labels to set on an existing target; ``moves``: [(service, [object IDs it
    refers to that are to point at the target])]; ``remove``: versions to remove; ``in_use``:
    {version name: [service names]} of versions kept because services use them.
    """

    def __init__(self, wanted, versions):
        super(ObjectPlan, self).__init__(wanted.name, wanted=wanted)
        self.kind = wanted.kind
        self.versions = versions
        self.target = None
        self.create = None
        self.relabel = None
        self.moves = []
        self.remove = []
        self.in_use = {}
        self.warnings = []

    @property
    def moved_services(self):
        return [service_name(service) for service, _ids in self.moves]

    def versions_after(self, removed=None):
        """Names of the versions there will be (or are, given the names ``removed``), the current one first."""
        removed = set(object_name(version) for version in self.remove) if removed is None else set(removed)
        target = self.target or {}
        names = [target['name']] if target else []
        return names + [object_name(version) for version in self.versions
                        if object_name(version) not in removed and version['ID'] != target.get('id')]


def plan_object(wanted, objects, services):
    """The :class:`ObjectPlan` of ``wanted`` against GET /secrets (or /configs) and GET /services. Pure,
    but for the salted hash of the content, which is slow on purpose (computed once per salt)."""
    versions = versions_of(objects, wanted.name)
    plan = ObjectPlan(wanted, versions)
    using = users(services, wanted.kind)
    if wanted.state == 'absent':
        return _plan_absent(plan, using)
    current = versions[0] if versions else None
    target = _matching_version(wanted, versions)
    user_labels = wanted.labels if wanted.labels is not None else _user_labels(current)
    top = generation(current) if current else 0
    if target is None:
        salt_hex = _labels(current).get(SALT_LABEL) if current and _hash_label_parts(_labels(current)) else None
        salt = binascii.unhexlify(salt_hex) if salt_hex else wanted.new_salt
        hashed = wanted.digest(salt)
        name = '%s-%s' % (wanted.name, hash_hex(hashed)[:SHORT_HASH])
        clash = [obj for obj in objects or () if object_name(obj) == name]
        if clash:
            raise DockerError('a %s named %s exists that is not a version of %s (its labels differ); remove or '
                              'rename it' % (wanted.kind.name, name, wanted.name))
        labels = dict(user_labels)
        labels.update({NAME_LABEL: wanted.name, HASH_LABEL: hashed, SALT_LABEL: binascii.hexlify(salt).decode('ascii'),
                       GENERATION_LABEL: str(top + 1)})
        plan.target = dict(id=None, name=name, generation=top + 1, labels=labels)
        plan.create = wanted.create_body(name, labels)
        plan.changes.add('content', 'as in %s' % object_name(current) if current else None, 'changed')
    else:
        labels = dict(user_labels)
        labels.update((key, value) for key, value in _labels(target).items() if key.startswith(LABEL_PREFIX))
        if target is not current:
            labels[GENERATION_LABEL] = str(top + 1)
            plan.changes.add('content', 'as in %s' % object_name(current), 'as in %s (an earlier version)'
                             % object_name(target))
        if labels != _labels(target):
            plan.relabel = labels
        plan.target = dict(id=target['ID'], name=object_name(target), generation=generation(target), labels=labels,
                           version=(target.get('Version') or {}).get('Index'))
    if current is None or plan.target['name'] != object_name(current):
        plan.changes.add('version', object_name(current) if current else None, plan.target['name'])
    plan.changes.compare('labels', _user_labels(current if target is None else target), user_labels)
    _plan_moves(plan, objects, using)
    _plan_removals(plan, [version for version in versions if version['ID'] != plan.target['id']], using)
    plan.action = _action(plan, current)
    return plan


def _matching_version(wanted, versions):
    """The version whose salted hash is the content's (hashed with that version's own salt and count)."""
    for version in versions:
        parts = _hash_label_parts(_labels(version))
        if parts is not None:
            salt, iterations, hashed = parts
            if hmac.compare_digest(wanted.digest(salt, iterations), hashed):
                return version
    return None


def _user_labels(obj):
    return dict((key, value) for key, value in _labels(obj).items() if not key.startswith(LABEL_PREFIX)) if obj else {}


def _plan_moves(plan, objects, using):
    """Every service that refers to a version (or the unversioned object) other than the target moves."""
    old_ids = set(version['ID'] for version in plan.versions) | set(obj['ID'] for obj in unversioned_of(
        objects, plan.name))
    old_ids.discard(plan.target['id'])
    by_service = {}
    for ident in sorted(old_ids):
        for service in using.get(ident, ()):
            by_service.setdefault(service['ID'], (service, []))[1].append(ident)
    plan.moves = sorted(by_service.values(), key=lambda move: service_name(move[0]))
    if plan.moves:
        names = dict((obj['ID'], object_name(obj)) for obj in objects or ())
        plan.changes.add('services', dict((service_name(service), ', '.join(sorted(names.get(ident, ident)
                                                                                   for ident in ids)))
                                          for service, ids in plan.moves),
                         dict((service_name(service), plan.target['name']) for service, _ids in plan.moves))


def _plan_removals(plan, others, using, moved=None):
    """Beyond the newest ``keep_versions`` of ``others``, the versions that no service will use are removed."""
    moved = set(service['ID'] for service, _ids in plan.moves) if moved is None else moved
    keep = plan.wanted.keep_versions if plan.wanted.state == 'present' else 0
    for version in others[keep:]:
        still = [service_name(service) for service in using.get(version['ID'], ()) if service['ID'] not in moved]
        if still:
            plan.in_use[object_name(version)] = still
        else:
            plan.remove.append(version)
    plan.changes.compare('versions', [object_name(version) for version in plan.versions], plan.versions_after())


def _plan_absent(plan, using):
    _plan_removals(plan, plan.versions, using, moved=set())
    if plan.in_use and not plan.wanted.force:
        raise InvalidValue('%s %s is in use (%s); nothing was removed. Move the services off it first, or set '
                           'force: true to remove only the versions no service uses'
                           % (plan.kind.name, plan.name, describe_in_use(plan.in_use)))
    for name, services in sorted(plan.in_use.items()):
        plan.warnings.append('%s kept: used by %s' % (name, ', '.join(services)))
    plan.action = 'removed' if plan.remove else UNCHANGED
    return plan


def describe_in_use(in_use):
    return '; '.join('%s by %s' % (name, ', '.join(services)) for name, services in sorted(in_use.items()))


def _action(plan, current):
    if plan.create and current is None:
        return 'created'
    if plan.create or plan.target['id'] != (current or {}).get('ID') or plan.moves:
        return 'rotated'
    if plan.relabel:
        return 'updated'
    if plan.remove:
        return 'pruned'
    return UNCHANGED


# ---- waiting for the services a run moved ----

def wait_for_services(client, service_ids, timeout, clock=None, sleep=None):
    """Wait until every service in ``service_ids`` has rolled out its new spec, by the service module's
    own rule (:func:`rollout.wait_for_rollout`); {service ID: why not} for the others. One deadline for all."""
    clock, sleep = clock or time.monotonic, sleep or time.sleep
    failures = {}
    deadline = clock() + timeout
    for ident in sorted(set(service_ids)):
        service = client.call_or_none('inspect service %s' % ident, 'inspect_service', ident)
        if service is None:
            continue  # removed meanwhile
        try:
            wait_for_rollout(client, ident, service_name(service), max(0, deadline - clock()), clock=clock,
                             sleep=sleep)
        except DockerError as exc:
            failures[ident] = exc.msg
    return failures


def _mounted(container_spec):
    container_spec = container_spec or {}
    return tuple(sorted((kind.name, ref.get(kind.ref_id) or '') for kind in KINDS.values()
                        for ref in container_spec.get(kind.spec_key) or ()))


# ---- the resource ----

class SwarmObjects(Resource):
    """Versions of secrets or configs on a swarm manager; services moved, old versions removed."""

    parallel_apply = False

    def __init__(self, kind, client, check_mode, diff=False, force=False, wait=True, wait_timeout=300):
        super(SwarmObjects, self).__init__(client, check_mode, diff=diff, parallel=1)
        self.kind = KINDS[kind]
        self.form = FORMS[kind]
        self.force = force
        self.wait = wait
        self.wait_timeout = wait_timeout
        self.plans = []

    def prepare(self, items):
        if isinstance(self.wait_timeout, bool) or not isinstance(self.wait_timeout, int) or self.wait_timeout < 1:
            raise InvalidValue('wait_timeout: %r is not a number of seconds; give a whole number above 0'
                               % (self.wait_timeout,))
        wanted = [parse_item(self.kind, item, label, force=self.force) for label, item in items]
        local = swarm_facts(self.client.info())
        if not local['is_manager']:
            raise InvalidValue('%s runs on a swarm manager; this engine is %s' % (self.kind.name, (
                'a worker' if local['state'] == 'active' else 'not in a swarm (%s)' % local['state'])))
        return wanted

    def read_all(self, wanted):
        objects = self.client.call('list the %s' % self.kind.plural, self.kind.plural)
        services = self.client.call('list the services', 'services')
        return [(objects, services)] * len(wanted)

    def plan(self, wanted, current):
        objects, services = current
        return plan_object(wanted, objects, services)

    def check(self, plans):
        self.plans = plans

    def result(self, plan):
        result = super(SwarmObjects, self).result(plan)
        if self.diff and plan.changes:
            result['diff'] = plan.changes.as_diff('%s %s' % (self.kind.name, plan.name))
        result.update(
            version=plan.target['name'] if plan.target else None,
            id=plan.target['id'] if plan.target else None,
            versions=plan.versions_after(),
            services=plan.moved_services,
            removed_versions=[object_name(version) for version in plan.remove],
            in_use=dict(plan.in_use),
            warnings=list(plan.warnings))
        return result

    def apply(self, plan):
        kind = self.kind
        if plan.create is not None:
            created = self.client.post_json('create %s %s' % (kind.name, plan.target['name']),
                                            '/%s/create' % kind.plural, (), plan.create)
            plan.target['id'] = created['ID']
        elif plan.relabel is not None:
            self.client.post_json('set the labels of %s %s' % (kind.name, plan.target['name']),
                                  '/%s/{0}/update?version={1}' % kind.plural,
                                  (plan.target['id'], str(plan.target['version'])),
                                  {'Name': plan.target['name'], 'Labels': plan.relabel})
        return dict(id=plan.target['id']) if plan.target else None

    # ---- after every item's version exists: services, rollout, removals ----

    def finish(self, results):
        """Move the services (one update each, for every item at once), wait for them, remove old versions.

        Failures are put on the items they concern (``changed`` stays true). Nothing in check mode:
        the results already say what would be done.
        """
        if self.check_mode:
            return
        by_name = dict((result['name'], result) for result in results)
        plans = [plan for plan in self.plans if plan.changed and not by_name[plan.name].get('failed')]
        moved = self.move_services(plans, by_name)
        if self.wait and moved:
            for ident, why in sorted(wait_for_services(self.client, list(moved), self.wait_timeout).items()):
                self._fail(by_name, moved[ident][1], why)  # why names the service
        removals = [plan for plan in plans if plan.remove and not by_name[plan.name].get('failed')]
        if removals:
            self.remove_versions(removals, by_name)

    def move_services(self, plans, by_name):
        """Point every moved reference at its item's target, one update per service; {service ID: (name,
        [plans that moved it])} of the services updated."""
        per_service = {}
        for plan in plans:
            target = dict(id=plan.target['id'], name=plan.target['name']) if plan.moves else None
            for service, ids in plan.moves:
                name, refs, moved_by = per_service.setdefault(service['ID'], (service_name(service), {}, []))
                refs.update((ident, target) for ident in ids)
                moved_by.append(plan)
        moved = {}
        for ident, (name, refs, moved_by) in sorted(per_service.items(), key=lambda pair: pair[1][0]):
            try:
                warnings = self._update_service(ident, refs)
            except DockhandError as exc:
                self._fail(by_name, moved_by, 'moving service %s failed: %s' % (name, exc.msg))
                continue
            for plan in moved_by:
                by_name[plan.name].setdefault('warnings', []).extend(
                    'service %s: %s' % (name, warning) for warning in warnings)
            moved[ident] = (name, moved_by)
        return moved

    def _update_service(self, ident, refs):
        """The service's spec, read now, with ``refs`` ({old ID: version}) replaced, sent at its current version."""
        service = self.client.call_or_none('inspect service %s' % ident, 'inspect_service', ident)
        if service is None:
            return []
        spec = service['Spec']
        container = spec['TaskTemplate']['ContainerSpec']
        container[self.kind.spec_key] = [
            moved_reference(self.kind, ref, refs[ref.get(self.kind.ref_id)]) if ref.get(self.kind.ref_id) in refs
            else ref for ref in container.get(self.kind.spec_key) or ()]
        answer = self.client.post_json('update service %s' % service_name(service), '/services/{0}/update?version={1}',
                                       (ident, str(service['Version']['Index'])), spec)
        return [' '.join(str(warning).split()) for warning in (answer or {}).get('Warnings') or ()]

    def remove_versions(self, plans, by_name):
        """Remove the planned versions that no service refers to now (read again: a rollback may have put one back)."""
        using = users(self.client.call('list the services', 'services'), self.kind)
        for plan in plans:
            result, removed = by_name[plan.name], []
            for version in plan.remove:
                still = [service_name(service) for service in using.get(version['ID'], ())]
                if still:
                    result['in_use'][object_name(version)] = still
                    result['warnings'].append('%s kept: used by %s' % (object_name(version), ', '.join(still)))
                    continue
                try:
                    self.client.call('remove %s %s' % (self.kind.name, object_name(version)),
                                     'remove_%s' % self.kind.name, version['ID'])
                except DockhandError as exc:
                    self._fail(by_name, [plan], exc.msg)
                    break
                removed.append(object_name(version))
            result.update(removed_versions=removed, versions=plan.versions_after(removed))

    def _fail(self, by_name, plans, msg):
        for plan in plans:
            result = by_name[plan.name]
            result.update(failed=True, changed=True, action=FAILED,
                          msg='%s; %s' % (result['msg'], msg) if result.get('msg') else msg)


# ---- the modules ----

def masked_params(params):
    """The module's parameters as they may be shown (invocation, log): every ``data`` masked."""
    masked = dict(params)
    if masked.get('data') is not None:
        masked['data'] = SECRET_MASK
    for key in ('secrets', 'configs'):
        if isinstance(params.get(key), list):
            masked[key] = [dict(item, data=SECRET_MASK) if isinstance(item, dict) and item.get('data') is not None
                           else item for item in params[key]]
    return masked


def run_module(kind):
    """The whole of the secret and config modules: converge the items, then :meth:`SwarmObjects.finish`."""
    form = FORMS[kind]
    module = DockhandModule(masked_params=masked_params, **form.module_kwargs())

    def run(running):
        params = running.params
        resource = SwarmObjects(kind, running.client, running.check_mode, diff=running._diff, force=params['force'],
                                wait=params['wait'], wait_timeout=params['wait_timeout'])
        results = converge(resource, params)
        resource.finish(results)
        return module_result(running, form, results)
    module.run(run)


def plan_items(client, kind, items):
    """What the secret or config module would do with these items, in check mode (a preflight
    read): ``actions`` has each item's action. The items' data is never in the plan's digest."""
    def summary(results):
        return dict(actions=dict((result['name'], result['action']) for result in results))
    return preflight_plan(SwarmObjects(kind, client, check_mode=True), items, summary)
