# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Swarm services on the item frame (see :mod:`frame`): one or many, changed in place, rolled out.

- ``prepare``: every item parsed through the option table (service_options); the image
  resolved to the digest its registry holds (pinned as ``REF@sha256:...``, as
  ``docker service create`` does), networks, secrets and configs resolved to what the swarm has.
- ``plan`` (:func:`plan_service`, pure): the service's current spec with the wanted options set;
  only options given are compared, keyed options key by key. A difference is an update of the
  service at its version, never a remove and create.
- ``apply``: create, update or remove, then wait for the rollout (:mod:`rollout`).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import copy
import json

from ansible_collections.dockhand.docker.plugins.module_utils.container_options import (
    Context,
    parse_log_config,
)
from ansible_collections.dockhand.docker.plugins.module_utils.containers import parse_networks
from ansible_collections.dockhand.docker.plugins.module_utils.credentials import Credentials, registry_credentials
from ansible_collections.dockhand.docker.plugins.module_utils.diff import ChangeSet
from ansible_collections.dockhand.docker.plugins.module_utils.engine import swarm_facts as local_swarm_facts
from ansible_collections.dockhand.docker.plugins.module_utils.errors import DockerError, InvalidValue
from ansible_collections.dockhand.docker.plugins.module_utils.frame import (
    DEFAULT_PARALLEL,
    UNCHANGED,
    ItemForm,
    Plan,
    Resource,
    preflight_plan,
)
from ansible_collections.dockhand.docker.plugins.module_utils.reference import parse_reference
from ansible_collections.dockhand.docker.plugins.module_utils.registry_view import RegistryView
from ansible_collections.dockhand.docker.plugins.module_utils.rollout import assess, wait_for_removal, wait_for_rollout
from ansible_collections.dockhand.docker.plugins.module_utils.secrets import masked_mapping
from ansible_collections.dockhand.docker.plugins.module_utils.service_options import (
    KEYED,
    SECRET_FILE_MODE,
    SERVICE_SPEC,
    SPEC_OPTIONS,
    keyed_current,
    merged,
    mode_name,
    mode_spec,
)
from ansible_collections.dockhand.docker.plugins.module_utils.swarm_objects import current_version, service_reference

FORM = ItemForm(SERVICE_SPEC, 'services', 'service',
                module_only=dict(parallel=dict(type='int', default=DEFAULT_PARALLEL)))
# Where a service's secrets and configs are in its ContainerSpec, and their references' keys.
OBJECT_KINDS = dict(secrets=dict(key='Secrets', id='SecretID', name='SecretName'),
                    configs=dict(key='Configs', id='ConfigID', name='ConfigName'))


class ServiceWanted(object):
    """One service as asked for, fully parsed and validated."""

    def __init__(self, item, label):
        self.item = item
        self.label = label
        self.name = item['name']
        self.state = item['state']
        self.secret_env = tuple(item.get('secret_env') or ())
        self.wanted = {}            # option name -> API value, for the spec options given
        self.image = None           # the image as the spec will hold it (pinned unless resolve_image: never)
        self.mode = None            # the spec's Mode, when mode or replicas is given
        self.networks = None        # [{Target: ID, Aliases}] (IDs resolved)
        self.objects = {}           # 'secrets'/'configs' -> [reference], resolved
        self.log_driver = None
        self.auth = None            # X-Registry-Auth for the engine, when credentials are sent
        self.warnings = []


def parse_service(item, label, engine_info=None):
    """A :class:`ServiceWanted` from one merged item (no engine read); InvalidValue naming ``label``."""
    wanted = ServiceWanted(item, label)
    try:
        if not isinstance(wanted.name, str) or not wanted.name.strip() or len(wanted.name) > 63:
            raise InvalidValue('name: %r is not a service name (1 to 63 characters)' % (wanted.name,))
        if wanted.state == 'present' and not item.get('image'):
            raise InvalidValue('image is required unless state is absent')
        ctx = Context(item, engine_info)
        for option in SPEC_OPTIONS:
            if item.get(option.name) is not None:
                wanted.wanted[option.name] = option.parse(item[option.name], ctx)
        _check_mode(item)
        if item.get('replicas') is not None or item['mode'] != 'replicated' or item.get('max_concurrent'):
            wanted.mode = mode_spec(item['mode'], item.get('replicas'), item.get('max_concurrent'))
        log_config = parse_log_config(item, ctx, wanted.warnings)
        if log_config is not None:
            wanted.log_driver = {'Name': log_config['Type'], 'Options': log_config['Config']}
        if item.get('networks') is not None:
            wanted.networks = parse_networks(item['networks'])
            for name, endpoint in wanted.networks:
                if endpoint.get('IPAMConfig'):
                    raise InvalidValue('networks: %s: a service cannot have a fixed ipv4_address' % name)
        for kind in OBJECT_KINDS:
            for index, entry in enumerate(item.get(kind) or []):
                _check_object(kind, index, entry)
    except InvalidValue as exc:
        raise InvalidValue('%s: %s' % (label, exc.msg))
    return wanted


def _check_mode(item):
    mode, replicas = item['mode'], item.get('replicas')
    if replicas is not None and mode not in ('replicated', 'replicated-job'):
        raise InvalidValue('replicas applies to mode replicated or replicated-job, not %s' % mode)
    if item.get('max_concurrent') is not None and mode != 'replicated-job':
        raise InvalidValue('max_concurrent applies to mode replicated-job only')
    for option in ('replicas', 'max_concurrent'):
        value = item.get(option)
        if value is not None and not 0 <= value <= 2 ** 31:
            raise InvalidValue('%s: %d must be 0 or more' % (option, value))


def _check_object(kind, index, entry):
    where = '%s[%d]' % (kind, index)
    if not entry['name'].strip():
        raise InvalidValue('%s.name: needs the secret or config name' % where)
    if entry.get('mode') is not None and not 0 <= entry['mode'] <= 0o777:
        raise InvalidValue('%s.mode: %r is not a file mode (0 to 0777)' % (where, entry['mode']))
    for key in ('uid', 'gid'):
        if entry.get(key) is not None and not str(entry[key]).isdigit():
            raise InvalidValue('%s.%s: %r is not a number' % (where, key, entry[key]))


def pinned_image(image, digest):
    """``image`` pinned to ``digest`` the way ``docker service create`` writes it: REF:TAG@DIGEST."""
    ref = parse_reference(image)
    if ref.digest:
        return ref.familiar
    return '%s@%s' % (ref.familiar, digest)


def registry_auth_header(auth_config):
    """The engine's X-Registry-Auth value: URL-safe base64 of the JSON credentials."""
    return base64.urlsafe_b64encode(json.dumps(auth_config).encode('utf-8')).decode('ascii')


# ---- plan: pure ----

def _shown(option, value, wanted):
    shown = option.show(value)
    return masked_mapping(shown, wanted.secret_env) if option.name == 'env' and isinstance(shown, dict) else shown


def new_spec(wanted):
    """The spec of a service to create: every option given, at its place."""
    spec = {'Name': wanted.name, 'TaskTemplate': {'ContainerSpec': {'Image': wanted.image}},
            'Mode': wanted.mode or mode_spec('replicated')}
    for option in SPEC_OPTIONS:
        if option.name in wanted.wanted:
            option.put(spec, wanted.wanted[option.name])
    _put_planned(spec, wanted)
    return spec


def _put_planned(spec, wanted):
    task = spec.setdefault('TaskTemplate', {})
    if wanted.networks is not None:
        task['Networks'] = wanted.networks
    for kind, place in OBJECT_KINDS.items():
        if kind in wanted.objects:
            task.setdefault('ContainerSpec', {})[place['key']] = wanted.objects[kind]
    if wanted.log_driver is not None:
        task['LogDriver'] = wanted.log_driver


def _comparable_networks(networks):
    return sorted((entry.get('Target'), sorted(entry.get('Aliases') or [])) for entry in networks or [])


def _comparable_objects(references, place):
    return sorted((ref.get(place['name']), ref.get(place['id']), (ref.get('File') or {}).get('Name'),
                   str((ref.get('File') or {}).get('UID')), str((ref.get('File') or {}).get('GID')),
                   (ref.get('File') or {}).get('Mode')) for ref in references or [])


def plan_service(wanted, current):
    """What to do about one service: ``(action, changes, spec to send or None)``. Pure.

    ``current`` is its inspect (None when it does not exist).
    """
    changes = ChangeSet(secret_keys=())
    if current is None:
        if wanted.state == 'absent':
            return UNCHANGED, changes, None
        spec = new_spec(wanted)
        changes.add('exists', False, True)
        changes.add('image', None, wanted.image)
        for option in SPEC_OPTIONS:
            if option.name in wanted.wanted:
                changes.add(option.name, None, _shown(option, wanted.wanted[option.name], wanted))
        return 'created', changes, spec
    if wanted.state == 'absent':
        changes.add('exists', True, False)
        return 'removed', changes, None

    spec = copy.deepcopy(current.get('Spec') or {})
    container = (spec.get('TaskTemplate') or {}).get('ContainerSpec') or {}
    if container.get('Image') != wanted.image:
        changes.add('image', container.get('Image'), wanted.image)
        spec.setdefault('TaskTemplate', {}).setdefault('ContainerSpec', {})['Image'] = wanted.image
    for option in SPEC_OPTIONS:
        if option.name not in wanted.wanted:
            continue
        value = wanted.wanted[option.name]
        if option.name in KEYED:
            have = keyed_current(option, spec, value)
            if have != value:
                changes.add(option.name, _shown(option, have, wanted), _shown(option, value, wanted))
                option.put(spec, merged(option, spec, value))
            continue
        want, have = option.compare_form(value, None), option.current(spec)
        if have != want:
            changes.add(option.name, _shown(option, have, wanted), _shown(option, want, wanted))
            option.put(spec, value)
    _plan_mode(wanted, spec, changes)
    _plan_planned(wanted, spec, changes)
    if wanted.item.get('force_update'):
        task = spec.setdefault('TaskTemplate', {})
        task['ForceUpdate'] = (task.get('ForceUpdate') or 0) + 1
        changes.add('force_update', False, True)
    return ('updated' if changes else UNCHANGED), changes, spec if changes else None


def _plan_mode(wanted, spec, changes):
    if wanted.mode is None:
        return
    have, want = mode_name(spec.get('Mode')), mode_name(wanted.mode)
    if have != want:
        raise InvalidValue('%s: the mode cannot change from %s to %s in place; remove the service first '
                           '(state: absent), then create it again' % (wanted.label, have, want))
    if spec.get('Mode') != wanted.mode:
        changes.add('mode', spec.get('Mode'), wanted.mode)
        spec['Mode'] = wanted.mode


def _plan_planned(wanted, spec, changes):
    task = spec.setdefault('TaskTemplate', {})
    if wanted.networks is not None and _comparable_networks(task.get('Networks')) != \
            _comparable_networks(wanted.networks):
        changes.add('networks', _comparable_networks(task.get('Networks')), _comparable_networks(wanted.networks))
        task['Networks'] = wanted.networks
    container = task.setdefault('ContainerSpec', {})
    for kind, place in OBJECT_KINDS.items():
        if kind not in wanted.objects:
            continue
        have = _comparable_objects(container.get(place['key']), place)
        want = _comparable_objects(wanted.objects[kind], place)
        if have != want:
            changes.add(kind, [entry[0] for entry in have], [entry[0] for entry in want])
            container[place['key']] = wanted.objects[kind]
    if wanted.log_driver is not None:
        have = task.get('LogDriver') or {}
        have = {'Name': have.get('Name'), 'Options': dict(have.get('Options') or {})}
        if have != wanted.log_driver:
            changes.add('log', dict(have, Options=masked_mapping(have['Options'])),
                        dict(wanted.log_driver, Options=masked_mapping(wanted.log_driver['Options'])))
            task['LogDriver'] = wanted.log_driver


# ---- the resource ----

class Services(Resource):
    """Creates, updates and removes services of the swarm this engine manages."""

    form = FORM

    def __init__(self, client, check_mode, diff=False, parallel=DEFAULT_PARALLEL):
        super(Services, self).__init__(client, check_mode, diff=diff, parallel=parallel)
        self.engine_info = None
        self._views = {}
        self._digests = {}

    def prepare(self, items):
        self.engine_info = self.client.info()
        wanted = [parse_service(item, label, self.engine_info) for label, item in items]
        local = local_swarm_facts(self.engine_info)
        if not local['is_manager']:
            raise InvalidValue('services are managed on a swarm manager; this engine is %s' % (
                'a worker' if local['state'] == 'active' else 'not in a swarm (%s)' % local['state']))
        for one in wanted:
            if one.state == 'present':
                self._resolve(one)
        return wanted

    # ---- reads that make the wanted spec whole ----

    def _resolve(self, wanted):
        item = wanted.item
        try:
            ref = parse_reference(item['image'])
        except InvalidValue as exc:
            raise InvalidValue('%s: image: %s' % (wanted.label, exc.msg))
        credentials = self._credentials(ref, item)
        if item['resolve_image'] == 'never' or ref.digest:
            wanted.image = ref.familiar
        else:
            wanted.image = pinned_image(item['image'], self._digest(wanted, ref))
        send_auth = item.get('with_registry_auth')
        if credentials is not None and send_auth is not False:
            wanted.auth = registry_auth_header(credentials.auth_config())
        if wanted.networks is not None:
            wanted.networks = [dict(dict(Target=self._network_id(wanted, name)),
                                    **({'Aliases': endpoint['Aliases']} if endpoint.get('Aliases') else {}))
                               for name, endpoint in wanted.networks]
        for kind in OBJECT_KINDS:
            if item.get(kind) is not None:
                wanted.objects[kind] = [self._object_reference(wanted, kind, entry) for entry in item[kind]]

    def _credentials(self, ref, item):
        auth = item.get('registry_auth')
        if auth:
            return Credentials(ref.registry, 'registry_auth', username=auth['username'], password=auth['password'])
        return registry_credentials(ref.registry)

    def _digest(self, wanted, ref):
        key = ref.familiar
        if key not in self._digests:
            view = self._views.get(ref.registry)
            if view is None:
                view = self._views[ref.registry] = RegistryView(self.client, ref.registry, self.client.timeout)
            found = view.describe(ref.repository, ref.tag)
            if found is None or not found.get('digest'):
                raise DockerError('%s: image %s is not in its registry %s; push it first, or set resolve_image: '
                                  'never for an image the nodes already have' % (wanted.label, ref.familiar,
                                                                                  ref.registry))
            self._digests[key] = found['digest']
        return self._digests[key]

    def _network_id(self, wanted, name):
        network = self.client.call_or_none('inspect network %s' % name, 'inspect_network', name)
        if network is None:
            raise InvalidValue('%s: networks: there is no network %r; create it first '
                               '(dockhand.docker.network)' % (wanted.label, name))
        if network.get('Scope') != 'swarm':
            raise InvalidValue('%s: networks: %r is a %s network; services attach to swarm-scoped (overlay) '
                               'networks' % (wanted.label, name, network.get('Scope')))
        return network['Id']

    def _object_reference(self, wanted, kind, entry):
        singular = kind[:-1]
        found = current_version(self.client, singular, entry['name']) or self._unversioned(kind, entry['name'])
        if found is None:
            raise InvalidValue('%s: %s: there is no %s %r in the swarm; create it first (dockhand.docker.%s)'
                               % (wanted.label, kind, singular, entry['name'], singular))
        return service_reference(singular, entry['name'], found, target=entry.get('target'),
                                 uid=entry.get('uid') or '0', gid=entry.get('gid') or '0',
                                 mode=entry['mode'] if entry.get('mode') is not None else SECRET_FILE_MODE)

    def _unversioned(self, kind, name):
        # A secret or config made elsewhere, under exactly this name.
        for found in self.client.call('list the %s' % kind, kind, filters={'name': name}) or []:
            if found['Spec']['Name'] == name:
                return dict(id=found['ID'], name=name)
        return None

    # ---- read, plan, apply ----

    def read(self, wanted):
        return self.client.call_or_none('inspect service %s' % wanted.name, 'inspect_service', wanted.name)

    def plan(self, wanted, current):
        action, changes, spec = plan_service(wanted, current)
        return Plan(wanted.name, action, changes, body=spec, wanted=wanted, current=current)

    def result(self, plan):
        result = super(Services, self).result(plan)
        result.update(id=(plan.current or {}).get('ID'), image=plan.wanted.image)
        if plan.wanted.warnings:
            result['warnings'] = plan.wanted.warnings
        return result

    def apply(self, plan):
        wanted, current = plan.wanted, plan.current
        headers = {'X-Registry-Auth': wanted.auth} if wanted.auth else None
        timeout = wanted.item['wait_timeout']
        if plan.action == 'removed':
            self.client.send_json('remove service %s' % wanted.name, 'DELETE', '/services/{0}', [current['ID']])
            if wanted.item['wait']:
                wait_for_removal(self.client, current['ID'], wanted.name, timeout)
            return dict(id=None)
        if plan.action == 'created':
            created = self.client.send_json('create service %s' % wanted.name, 'POST', '/services/create',
                                            body=plan.body, headers=headers)
            service_id = created['ID']
        else:
            service_id = current['ID']
            params = {'version': current['Version']['Index']}
            if wanted.auth:
                params['registryAuthFrom'] = 'spec'
            self.client.send_json('update service %s' % wanted.name, 'POST', '/services/{0}/update', [service_id],
                                  body=plan.body, params=params, headers=headers)
        extra = dict(id=service_id)
        if wanted.item['wait']:
            extra['rollout'] = wait_for_rollout(self.client, service_id, wanted.name, timeout)
        return extra


# ---- secrets in what the module shows of its parameters ----

def masked_item(item):
    """A service item (or the top level) with its secret env values and logging options masked."""
    if not isinstance(item, dict):
        return item
    masked = dict(item)
    secret_env = item.get('secret_env') if isinstance(item.get('secret_env'), list) else []
    for key in ('env', 'log_options'):
        if isinstance(item.get(key), dict):
            masked[key] = masked_mapping(item[key], [str(name) for name in secret_env or ()])
    if isinstance(item.get('registry_auth'), dict):
        masked['registry_auth'] = masked_mapping(item['registry_auth'])
    return masked


def masked_params(params):
    masked = masked_item(params)
    if isinstance(params.get('services'), list):
        masked['services'] = [masked_item(item) for item in params['services']]
    return masked


def plan_items(client, items, parallel=DEFAULT_PARALLEL):
    """What the service module would do with ``services: items``, in check mode (a preflight read).

    ``actions`` has each service's action; ``services`` what a summary shows of each existing
    one (image, running of desired tasks, limits), read in the same run.
    """
    def summary(results):
        names = [result['name'] for result in results if result.get('id')]
        facts = read_services(client, names) if names else []
        return dict(actions=dict((result['name'], result['action']) for result in results),
                    services=[dict(name=found['name'], image=found['image'], converged=found['converged'],
                                   limits=found['options'].get('limits') or {}) for found in facts
                              if found.get('exists')])
    return preflight_plan(Services(client, check_mode=True, parallel=parallel), items, summary)


# ---- what service_info reports ----

def service_facts(service, tasks, nodes, secret_env=()):
    """One service as service_info reports it: its spec in the units the service module takes,
    the image its running tasks run, its update status, its tasks and whether it converged."""
    spec = service.get('Spec') or {}
    active = set(node['ID'] for node in nodes if (node.get('Status') or {}).get('State') != 'down')
    names = dict((node['ID'], (node.get('Description') or {}).get('Hostname')) for node in nodes)
    current = [task for task in tasks if task.get('DesiredState') not in ('shutdown', 'remove')]
    converged, running, desired = assess(service, current, active)
    options = {}
    for option in SPEC_OPTIONS:
        value = option.raw(spec)
        if value not in (None, {}, [], ''):
            options[option.name] = _shown(option, value, _Masking(secret_env))
    status = service.get('UpdateStatus') or {}
    running_images = sorted(set(((task.get('Spec') or {}).get('ContainerSpec') or {}).get('Image')
                                for task in current if (task.get('Status') or {}).get('State') == 'running'))
    return dict(
        id=service.get('ID'), name=spec.get('Name'), mode=mode_name(spec.get('Mode')),
        image=((spec.get('TaskTemplate') or {}).get('ContainerSpec') or {}).get('Image'),
        running_images=running_images, options=options,
        update_status=dict(state=status.get('State'), message=status.get('Message'),
                           started_at=status.get('StartedAt'),
                           completed_at=status.get('CompletedAt')) if status else None,
        converged=dict(converged=converged, running=running, desired=desired),
        tasks=[dict(id=task.get('ID'), slot=task.get('Slot'), node=names.get(task.get('NodeID')),
                    node_id=task.get('NodeID'), desired_state=task.get('DesiredState'),
                    state=(task.get('Status') or {}).get('State'), error=(task.get('Status') or {}).get('Err'),
                    container_id=((task.get('Status') or {}).get('ContainerStatus') or {}).get('ContainerID'),
                    timestamp=(task.get('Status') or {}).get('Timestamp'))
               for task in sorted(tasks, key=lambda task: (task.get('Slot') or 0, task.get('NodeID') or '',
                                                           (task.get('Status') or {}).get('Timestamp') or ''))],
    )


class _Masking(object):
    """The part of a ServiceWanted that _shown looks at: which env names are secret."""

    def __init__(self, secret_env):
        self.secret_env = tuple(secret_env or ())


def read_services(client, names=None, secret_env=()):
    """service_info's facts of the services ``names`` (every service when None), in the order asked."""
    nodes = client.call('list the swarm nodes', 'nodes')
    found = []
    for name in names if names is not None else [s['Spec']['Name'] for s in client.call('list the services',
                                                                                          'services')]:
        service = client.call_or_none('inspect service %s' % name, 'inspect_service', name)
        if service is None:
            found.append(dict(name=name, exists=False))
            continue
        tasks = client.call('list the tasks of service %s' % name, 'tasks', filters={'service': service['ID']})
        found.append(dict(service_facts(service, tasks or [], nodes, secret_env), exists=True))
    return found
