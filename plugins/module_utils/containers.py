# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Containers on the item frame (see :mod:`frame`): one or many, limits changed in place.

- ``prepare``: every item parsed through the option table (container_options); engine facts
  and images looked up once each. Images to pull are pulled only once every item is valid.
- ``plan`` (:func:`plan_container`, pure): one inspect compared with what is wanted gives an
  action (created, updated, recreated, ...), the differences and the engine's update body.
- ``apply``: the action. A recreate creates the new container (under a temporary name) before
  the old one is stopped, so an engine that refuses the new one leaves the old one running.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

from ansible_collections.dockhand.docker.plugins.module_utils.container_options import (
    API_OPTIONS,
    CONTAINER_SPEC,
    NEEDS_ENGINE_INFO,
    Context,
    normalise_log_config,
    parse_log_config,
)
from ansible_collections.dockhand.docker.plugins.module_utils.diff import ChangeSet
from ansible_collections.dockhand.docker.plugins.module_utils.errors import DockerError, InvalidValue
from ansible_collections.dockhand.docker.plugins.module_utils.frame import (
    DEFAULT_PARALLEL,
    UNCHANGED,
    ItemForm,
    Plan,
    Resource,
    check_keys,
    preflight_plan,
)
from ansible_collections.dockhand.docker.plugins.module_utils.reference import is_image_id, parse_reference
from ansible_collections.dockhand.docker.plugins.module_utils.secrets import masked_mapping

# Default seconds the engine waits after the stop signal before killing (docker's own default).
ENGINE_STOP_TIMEOUT = 10
# Suffixes of the names a recreate uses while the new and the old container exist side by side.
NEW_SUFFIX, OLD_SUFFIX = '-dockhand-new', '-dockhand-old'
# What the engine accepts as a container name (and the room a recreate needs for its suffix).
_CONTAINER_NAME = re.compile(r'^/?[a-zA-Z0-9][a-zA-Z0-9_.-]*\Z')
NAME_MAX = 240
NETWORK_KEYS = ('name', 'aliases', 'ipv4_address')

FORM = ItemForm(CONTAINER_SPEC, 'containers', 'container',
                module_only=dict(parallel=dict(type='int', default=DEFAULT_PARALLEL)))


class ContainerWanted(object):
    """One container as asked for, fully parsed and validated."""

    def __init__(self, item, label):
        self.item = item
        self.label = label              # how errors name it: the name, or containers[N]
        self.name = item['name']
        self.state = item['state']
        self.secret_env = tuple(item.get('secret_env') or ())
        self.wanted = {}                # option name -> API value, only for options the user gave
        self.log_config = None
        self.image = None               # reference string given to the engine
        self.image_inspect = None       # inspect of that image (None: missing, to be pulled)
        self.pull = False               # the image is to be pulled before the container is planned
        self.networks = None            # [(name, endpoint settings)] or None
        self.warnings = []

    @property
    def image_id(self):
        return (self.image_inspect or {}).get('Id')


# ---- prepare: parse and validate (no change) ----

def parse_container(item, label, engine_info=None, image_inspect=None):
    """A :class:`ContainerWanted` from one merged item; InvalidValue (naming ``label``) for bad input."""
    wanted = ContainerWanted(item, label)
    try:
        _check_name(wanted.name)
        if wanted.state != 'absent' and not item.get('image'):
            raise InvalidValue('image is required unless state is absent')
        if item.get('restart_retries') is not None and item.get('restart_policy') is None:
            raise InvalidValue("restart_retries needs restart_policy: on-failure")
        wanted.image = image_reference(item['image']) if item.get('image') else None
        wanted.image_inspect = image_inspect
        ctx = Context(item, engine_info, image_inspect)
        for option in API_OPTIONS:
            if item.get(option.name) is not None:
                wanted.wanted[option.name] = option.parse(item[option.name], ctx)
        _check_memory_reservation(wanted.wanted)
        wanted.log_config = parse_log_config(item, ctx, wanted.warnings)
        if item.get('networks') is not None:
            wanted.networks = parse_networks(item['networks'])
    except InvalidValue as exc:
        raise InvalidValue('%s: %s' % (label, exc.msg))
    return wanted


def _check_name(name):
    if not isinstance(name, str) or not _CONTAINER_NAME.match(name) or len(name) > NAME_MAX:
        raise InvalidValue('name: %r is not a container name; use letters, digits, _ . - (starting with a letter '
                           'or digit), at most %d characters' % (name, NAME_MAX))


def _check_memory_reservation(wanted):
    memory, reservation = wanted.get('memory'), wanted.get('memory_reservation')
    if memory and reservation and reservation > memory:
        raise InvalidValue('memory_reservation is larger than memory; the soft limit must not exceed the hard limit')


def image_reference(image):
    """The reference the engine is given: an image ID as it is, else the familiar form of the reference."""
    if is_image_id(image):
        return image
    return parse_reference(image).familiar


def parse_networks(value):
    """Network names or {name, aliases, ipv4_address} -> [(name, endpoint settings)]."""
    if not isinstance(value, list):
        raise InvalidValue('networks: must be a list of network names or dictionaries')
    networks, seen = [], set()
    for index, entry in enumerate(value):
        where = 'networks[%d]' % index
        if isinstance(entry, str):
            entry = {'name': entry}
        check_keys(where, entry, NETWORK_KEYS)
        name = entry.get('name')
        if not isinstance(name, str) or not name.strip():
            raise InvalidValue('%s: needs a network name' % where)
        if name in seen:
            raise InvalidValue('%s: %r is listed twice' % (where, name))
        seen.add(name)
        endpoint = {}
        aliases = entry.get('aliases')
        if aliases is not None:
            if not isinstance(aliases, list) or not all(isinstance(alias, str) and alias for alias in aliases):
                raise InvalidValue('%s.aliases: must be a list of names, such as [web, www]' % where)
            if aliases:
                endpoint['Aliases'] = list(aliases)
        address = entry.get('ipv4_address')
        if address is not None:
            try:
                ipaddress.IPv4Address(str(address))
            except ValueError:
                raise InvalidValue('%s.ipv4_address: %r is not an IPv4 address' % (where, address))
            endpoint['IPAMConfig'] = {'IPv4Address': str(address)}
        networks.append((name, endpoint))
    return networks


# ---- plan: pure ----

def _short_id(image_id):
    return (image_id or '').replace('sha256:', '')[:12] or 'none'


def _shown(option, value, wanted):
    shown = option.show(value)
    return masked_mapping(shown, wanted.secret_env) if option.name == 'env' else shown


def _shown_log(config, wanted):
    return dict(config, Config=masked_mapping(config.get('Config') or {}, wanted.secret_env))


def plan_container(wanted, current, engine_info=None):
    """What to do about one container: ``(action, changes, update body or None)``.

    ``current`` is its inspect (None when it does not exist); ``engine_info`` GET /info when
    an option needed it. Pure: the same inputs always give the same plan.
    """
    changes = ChangeSet()
    state = wanted.state
    if current is None:
        if state == 'absent':
            return UNCHANGED, changes, None
        changes.add('exists', False, True)
        changes.add('image', None, wanted.image)
        for option in API_OPTIONS:
            if option.name in wanted.wanted:
                changes.add(option.name, None, _shown(option, wanted.wanted[option.name], wanted))
        return 'created', changes, None
    running = bool((current.get('State') or {}).get('Running'))
    if state == 'absent':
        changes.add('exists', True, False)
        return 'removed', changes, None

    ctx = Context(wanted.item, engine_info, wanted.image_inspect)
    recreate, updatable = compare(wanted, current, ctx, changes)
    update = update_body(wanted, current, updatable) if not recreate else None
    if wanted.item.get('recreate'):
        changes.add('recreate', False, True)
        recreate = True

    action = 'recreated' if recreate else 'updated' if update else UNCHANGED
    wants_running = state in ('started', 'restarted') or (state == 'present' and running and recreate)
    if state == 'restarted' and action in (UNCHANGED, 'updated'):
        changes.add('restarted', False, True)
        action = 'restarted'
    elif wants_running and not running and not recreate:
        changes.add('running', False, True)
        action = 'started' if action == UNCHANGED else action
    elif state == 'stopped' and running:
        changes.add('running', True, False)
        action = 'stopped' if action == UNCHANGED else action
    return action, changes, update


def compare(wanted, current, ctx, changes):
    """Record every difference in ``changes``; return (a new container is needed, updatable options that differ)."""
    recreate, updatable = False, []
    if wanted.image_id is None or current.get('Image') != wanted.image_id:
        changes.add('image', '%s (%s)' % ((current.get('Config') or {}).get('Image'), _short_id(current.get('Image'))),
                    '%s (%s)' % (wanted.image, _short_id(wanted.image_id) if wanted.image_id else 'to be pulled'))
        recreate = True
    host = current.get('HostConfig') or {}
    for option in API_OPTIONS:
        if option.name not in wanted.wanted:
            continue
        value = option.compare_form(wanted.wanted[option.name], ctx)
        have = option.current(current, ctx)
        if have == value:
            continue
        changes.add(option.name, _shown(option, have, wanted), _shown(option, value, wanted))
        # A container limited with --cpu-quota cannot switch to NanoCpus in place.
        in_place = option.updatable and not (option.name == 'cpus' and (host.get('CpuQuota') or host.get('CpuPeriod')))
        if in_place:
            updatable.append(option)
        else:
            recreate = True
    if wanted.log_config is not None:
        have = normalise_log_config(host.get('LogConfig'), ctx)
        want = dict(wanted.log_config)
        if wanted.item.get('log_options') is None:
            have.pop('Config')
            want.pop('Config')
        elif want['Type'] == ((ctx.engine_info or {}).get('LoggingDriver') or want['Type']):
            # With the engine's default driver, the engine adds daemon.json's log-opts for the
            # keys the container does not set; only the keys given are the container's own.
            have['Config'] = dict((key, value) for key, value in have['Config'].items() if key in want['Config'])
        if have != want:
            changes.add('log', _shown_log(have, wanted), _shown_log(want, wanted))
            recreate = True
    if wanted.networks is not None:
        have = sorted((current.get('NetworkSettings') or {}).get('Networks') or {})
        want = sorted(name for name, _endpoint in wanted.networks)
        if have != want:
            changes.add('networks', have, want)
            recreate = True
    return recreate, updatable


def update_body(wanted, current, updatable):
    """The engine's update body for the updatable options that differ (None when none do).

    Swap: when the user does not manage ``memory_swap``, a new memory keeps the engine's default
    of swap = 2 x memory if the container had it, and otherwise keeps the container's amount of
    swap when the new memory would exceed its swap limit (which the engine refuses).
    """
    body = dict((option.key, wanted.wanted[option.name]) for option in updatable)
    if 'Memory' in body and 'memory_swap' not in wanted.wanted:
        host = current.get('HostConfig') or {}
        memory, swap = host.get('Memory') or 0, host.get('MemorySwap') or 0
        if memory and swap == 2 * memory:
            body['MemorySwap'] = 2 * body['Memory']
        elif memory and swap > 0 and body['Memory'] > swap:
            body['MemorySwap'] = body['Memory'] + (swap - memory)
    return body or None


def create_body(wanted):
    """The engine's create body, and the networks to connect before the container starts."""
    body = {'Image': wanted.image, 'HostConfig': {}}
    for option in API_OPTIONS:
        if option.name in wanted.wanted:
            # Inspect nests Config; the create body has those keys at the top.
            path = option.path[1:] if option.path[0] == 'Config' else option.path
            option.put(body, wanted.wanted[option.name], path)
    if 'PortBindings' in body['HostConfig']:
        body['ExposedPorts'] = dict((port, {}) for port in body['HostConfig']['PortBindings'])
    if wanted.log_config is not None:
        body['HostConfig']['LogConfig'] = wanted.log_config
    extra_networks = []
    if wanted.networks:
        (first, endpoint), extra_networks = wanted.networks[0], wanted.networks[1:]
        body['HostConfig']['NetworkMode'] = first
        body['NetworkingConfig'] = {'EndpointsConfig': {first: endpoint}}
    return body, extra_networks


# ---- the resource ----

class Containers(Resource):
    """Plans and applies a batch of containers on one engine."""

    form = FORM

    def __init__(self, client, check_mode, diff=False, parallel=DEFAULT_PARALLEL):
        super(Containers, self).__init__(client, check_mode, diff=diff, parallel=parallel)
        self.engine_info = None
        self._images = {}

    def prepare(self, items):
        if any(item.get(key) is not None for _label, item in items for key in NEEDS_ENGINE_INFO):
            self.engine_info = self.client.info()
        wanted = []
        for label, item in items:
            image = self._image(label, item) if item.get('image') and item['state'] != 'absent' else None
            wanted.append(parse_container(item, label, self.engine_info, image))
        self._pull_missing(wanted)
        return wanted

    def _image(self, label, item):
        """Inspect of the item's image (once per reference); None when it is to be pulled."""
        try:
            reference = image_reference(item['image'])
        except InvalidValue as exc:
            raise InvalidValue('%s: %s' % (label, exc.msg))
        key = (reference, item['pull'])
        if key not in self._images:
            found = None if item['pull'] == 'always' else self.client.call_or_none(
                'inspect image %s' % reference, 'inspect_image', reference)
            if found is None and is_image_id(reference):
                raise InvalidValue('%s: image ID %s is not on the engine' % (label, reference))
            if found is None and item['pull'] == 'never':
                raise InvalidValue('%s: image %s is not on the engine and pull is never; build or load it first, '
                                   'or allow pull: missing' % (label, reference))
            self._images[key] = found
        return self._images[key]

    def _pull_missing(self, wanted):
        """Pull what is missing (or always pulled) once every item is valid; never in check mode."""
        pulled = {}
        for one in wanted:
            if one.image is None or one.image_inspect is not None or one.state == 'absent' or self.check_mode:
                continue
            if one.image not in pulled:
                ref = parse_reference(one.image)
                self.client.call('pull image %s' % one.image, 'pull', ref.familiar_name,
                                 tag=ref.digest or ref.tag or 'latest')
                found = self.client.call_or_none('inspect image %s' % one.image, 'inspect_image', one.image)
                if found is None:
                    raise DockerError('%s: pulling %s did not give an image' % (one.label, one.image))
                pulled[one.image] = found
            one.image_inspect = pulled[one.image]

    def read(self, wanted):
        return self.client.call_or_none('inspect container %s' % wanted.name, 'inspect_container', wanted.name)

    def plan(self, wanted, current):
        action, changes, update = plan_container(wanted, current, self.engine_info)
        return Plan(wanted.name, action, changes, body=update, wanted=wanted, current=current)

    def result(self, plan):
        result = super(Containers, self).result(plan)
        result['id'] = (plan.current or {}).get('Id')
        if plan.wanted.warnings:
            result['warnings'] = plan.wanted.warnings
        return result

    # ---- apply ----

    def apply(self, plan):
        wanted, current, action = plan.wanted, plan.current, plan.action
        if action == 'removed':
            self._stop(wanted, current)
            self.client.call('remove container %s' % wanted.name, 'remove_container', current['Id'])
            return dict(id=None)
        if action == 'created':
            container_id = self._create(wanted, wanted.name)
            if wanted.state in ('started', 'restarted'):
                try:
                    self.client.call('start container %s' % wanted.name, 'start', container_id)
                except DockerError as exc:
                    # A container that cannot start would look done to the next run: take it away.
                    self.client.call('remove container %s' % wanted.name, 'remove_container', container_id,
                                     force=True)
                    raise DockerError('%s; the new container was removed' % exc.msg)
            return dict(id=container_id)
        if action == 'recreated':
            return dict(id=self._recreate(wanted, current))
        container_id = current['Id']
        if plan.body:
            self.client.post_json('update the limits of container %s' % wanted.name, '/containers/{0}/update',
                                  [container_id], plan.body)
        if action == 'restarted':
            self.client.call('restart container %s' % wanted.name, 'restart', container_id,
                             timeout=self._stop_timeout(wanted, current))
        elif wanted.state == 'started' and not current['State'].get('Running'):
            self.client.call('start container %s' % wanted.name, 'start', container_id)
        elif wanted.state == 'stopped' and current['State'].get('Running'):
            self._stop(wanted, current)
        return dict(id=container_id)

    def _recreate(self, wanted, current):
        """Create the new container beside the old one, then swap them; put the old one back if
        the new one does not start."""
        client, name = self.client, wanted.name
        was_running = bool((current.get('State') or {}).get('Running'))
        start = wanted.state in ('started', 'restarted') or (wanted.state == 'present' and was_running)
        for leftover in (name + NEW_SUFFIX, name + OLD_SUFFIX):
            self._remove_leftover(leftover)
        new_id = self._create(wanted, name + NEW_SUFFIX)
        try:
            self._stop(wanted, current)
            client.call('rename container %s' % name, 'rename', current['Id'], name + OLD_SUFFIX)
        except DockerError:
            client.call('remove the new container %s' % name, 'remove_container', new_id, force=True)
            raise
        try:
            client.call('rename container %s' % name, 'rename', new_id, name)
            if start:
                client.call('start container %s' % name, 'start', new_id)
        except DockerError as exc:
            try:
                self._put_back(name, current, new_id, was_running)
            except DockerError as again:
                raise DockerError('%s; putting the old container back failed too: %s' % (exc.msg, again.msg))
            raise DockerError('%s; the old container was put back%s'
                              % (exc.msg, ' and started again' if was_running else ''))
        client.call('remove the old container %s' % name, 'remove_container', current['Id'], force=True)
        return new_id

    def _put_back(self, name, current, new_id, was_running):
        self.client.call('remove the new container %s' % name, 'remove_container', new_id, force=True)
        self.client.call('rename container %s back' % name, 'rename', current['Id'], name)
        if was_running:
            self.client.call('start container %s again' % name, 'start', current['Id'])

    def _remove_leftover(self, name):
        # A run that died half-way through a recreate may have left one of its temporary containers.
        found = self.client.call_or_none('inspect container %s' % name, 'inspect_container', name)
        if found is not None:
            self.client.call('remove container %s' % name, 'remove_container', found['Id'], force=True)

    def _stop_timeout(self, wanted, current):
        if wanted.item.get('stop_timeout') is not None:
            return wanted.item['stop_timeout']
        configured = ((current or {}).get('Config') or {}).get('StopTimeout')
        return configured if configured is not None else ENGINE_STOP_TIMEOUT

    def _stop(self, wanted, current):
        if (current.get('State') or {}).get('Running'):
            self.client.call('stop container %s' % wanted.name, 'stop', current['Id'],
                             timeout=self._stop_timeout(wanted, current))

    def _create(self, wanted, name):
        body, extra_networks = create_body(wanted)
        created = self.client.call('create container %s' % wanted.name, 'create_container_from_config', body, name)
        for network, endpoint in extra_networks:
            self.client.call('connect container %s to network %s' % (wanted.name, network),
                             'connect_container_to_network', created['Id'], network,
                             aliases=endpoint.get('Aliases'),
                             ipv4_address=(endpoint.get('IPAMConfig') or {}).get('IPv4Address'))
        return created['Id']


# ---- secrets in what the module shows of its parameters ----

def masked_item(item, inherited_secret_env=()):
    """A container item (or the top level) with its secret env values and logging options masked.

    ``inherited_secret_env`` is the top level's ``secret_env``, which items inherit.
    """
    if not isinstance(item, dict):
        return item
    masked = dict(item)
    secret_env = item.get('secret_env') if isinstance(item.get('secret_env'), list) else inherited_secret_env
    for key in ('env', 'log_options'):
        if isinstance(item.get(key), dict):
            masked[key] = masked_mapping(item[key], [str(name) for name in secret_env or ()])
    return masked


def masked_params(params):
    """The container module's parameters as they may be shown (invocation, log)."""
    masked = masked_item(params)
    if isinstance(params.get('containers'), list):
        top_secret_env = params.get('secret_env') if isinstance(params.get('secret_env'), list) else ()
        masked['containers'] = [masked_item(item, top_secret_env) for item in params['containers']]
    return masked


def plan_items(client, items, parallel=DEFAULT_PARALLEL):
    """What the container module would do with ``containers: items``, in check mode (a preflight
    read, see :mod:`plan`); ``actions`` has each container's action."""
    def summary(results):
        return dict(actions=dict((result['name'], result['action']) for result in results))
    return preflight_plan(Containers(client, check_mode=True, parallel=parallel), items, summary)
