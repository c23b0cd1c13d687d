# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Converging one or many containers: validate everything, then plan and act per container.

The work runs in three phases so that bad input changes nothing:

1. ``prepare``: every item is merged with the top-level defaults, checked against the
   argument spec and parsed through the option table; engine facts and images are looked up
   once each. Any error stops here, before a single container is touched.
2. ``plan``: one inspect per container, compared with what was asked for; the result is an
   action (created, updated, recreated, ...) and a change set for diff mode.
3. ``apply``: the action, unless in check mode. Plans and actions of different containers
   run in parallel, ``parallel`` at a time.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from concurrent.futures import ThreadPoolExecutor

from ansible_collections.dockhand.docker.plugins.module_utils.container_options import (
    API_OPTIONS,
    NEEDS_ENGINE_INFO,
    TOP_LEVEL_DEFAULTS,
    Context,
    item_argument_spec,
    normalise_log_config,
    parse_log_config,
)
from ansible_collections.dockhand.docker.plugins.module_utils.diff import ChangeSet
from ansible_collections.dockhand.docker.plugins.module_utils.errors import DockerError
from ansible_collections.dockhand.docker.plugins.module_utils.items import merge_items
from ansible_collections.dockhand.docker.plugins.module_utils.plan import checked_plan
from ansible_collections.dockhand.docker.plugins.module_utils.reference import is_image_id, parse_reference
from ansible_collections.dockhand.docker.plugins.module_utils.units import InvalidValue

# Default seconds the engine waits after the stop signal before killing (docker's own default).
ENGINE_STOP_TIMEOUT = 10


class ContainerSpec(object):
    """One container as asked for, fully parsed and validated."""

    def __init__(self, item, label):
        self.item = item
        self.label = label              # how errors name it: the name, or containers[N]
        self.name = item['name']
        self.state = item['state']
        self.wanted = {}                # option name -> API value, only for options the user gave
        self.log_config = None
        self.image = None               # reference string given to the engine
        self.image_id = None            # ID the image resolves to now (None: missing, check mode)
        self.image_inspect = None
        self.networks = None            # [(name, endpoint settings)] or None
        self.warnings = []


def _fail(label, exc):
    raise InvalidValue('%s: %s' % (label, exc))


def converge_items(client, params, check_mode, diff=False):
    """The container module's work: items merged with the top-level options, prepared, converged.

    ``params`` are the module's parameters (``containers`` or the options of one container, and
    ``parallel``). Returns one result dict per container, in order.
    """
    items = merge_items(params, item_argument_spec(), 'containers', TOP_LEVEL_DEFAULTS)
    converger = Converger(client, check_mode, params.get('parallel') or 4, diff=diff)
    return converger.converge(converger.prepare(items))


def plan_items(client, items, parallel=4):
    """What the container module would do with ``containers: items``, in check mode: nothing changes.

    For a preflight read (see :mod:`plan`). ``in_sync`` is true only when every container would
    stay unchanged with no warning to give; ``actions`` has each container's action.
    """
    def work():
        results = converge_items(client, dict(containers=items, parallel=parallel), check_mode=True)
        failed = [result for result in results if result.get('failed')]
        return dict(
            in_sync=not failed and all(result['action'] == 'unchanged' and not result.get('warnings')
                                       for result in results),
            actions=dict((result['name'], result['action']) for result in results),
            error='; '.join('%s: %s' % (result['name'], result['msg']) for result in failed) or None,
        )
    return checked_plan(items, 'items_digest', work, actions={})


class Converger(object):
    """Plans and applies a batch of containers on one engine."""

    def __init__(self, client, check_mode, parallel=4, diff=False):
        self.client = client
        self.check_mode = check_mode
        self.diff = diff
        self.parallel = max(1, parallel)
        self._engine_info = None
        self._images = {}

    # ---- phase 1: prepare (no changes) ----

    def engine_info(self):
        if self._engine_info is None:
            self._engine_info = self.client.info()
        return self._engine_info

    def prepare(self, items):
        if any(item.get(key) is not None for _label, item in items for key in NEEDS_ENGINE_INFO + ('log_options',)):
            self.engine_info()
        specs = [self._prepare_one(label, item) for label, item in items]
        return specs

    def _prepare_one(self, label, item):
        spec = ContainerSpec(item, label)
        if spec.state != 'absent':
            if not item.get('image'):
                raise InvalidValue('%s: image is required unless state is absent' % label)
            self._resolve_image(spec)
        ctx = Context(item, self._engine_info, spec.image_inspect)
        try:
            for option in API_OPTIONS:
                if item.get(option.name) is not None:
                    spec.wanted[option.name] = option.parse(item[option.name], ctx)
            spec.log_config = parse_log_config(item, ctx, spec.warnings)
            if item.get('networks') is not None:
                spec.networks = _parse_networks(item['networks'])
        except InvalidValue as exc:
            _fail(label, exc)
        return spec

    def _resolve_image(self, spec):
        image, pull = spec.item['image'], spec.item['pull']
        if is_image_id(image):
            reference = image
        else:
            try:
                reference = parse_reference(image).familiar
            except ValueError as exc:
                _fail(spec.label, exc)
        key = (reference, pull)
        if key not in self._images:
            self._images[key] = self._find_image(reference, pull, spec.label, is_image_id(image))
        spec.image = reference
        spec.image_inspect = self._images[key]
        spec.image_id = (spec.image_inspect or {}).get('Id')

    def _find_image(self, reference, pull, label, by_id):
        found = None if pull == 'always' else self.client.call_or_none(
            'inspect image %s' % reference, 'inspect_image', reference)
        if found is not None or by_id:
            if found is None:
                raise InvalidValue('%s: image ID %s is not on the engine' % (label, reference))
            return found
        if pull == 'never':
            raise InvalidValue('%s: image %s is not on the engine and pull is never; build or load it first, '
                               'or allow pull: missing' % (label, reference))
        if self.check_mode:
            return None
        name, _sep, tag = reference.rpartition(':') if '@' not in reference else (reference, '', None)
        if '/' in tag:  # the colon was a registry port, not a tag
            name, tag = reference, None
        self.client.call('pull image %s' % reference, 'pull', name, tag=tag or None)
        found = self.client.call_or_none('inspect image %s' % reference, 'inspect_image', reference)
        if found is None:
            raise DockerError('%s: pulling %s did not give an image' % (label, reference))
        return found

    # ---- phases 2 and 3: plan and apply, in parallel ----

    def converge(self, specs):
        """Return one result dict per spec, in order."""
        if len(specs) == 1 or self.parallel == 1:
            return [self._converge_one(spec) for spec in specs]
        with ThreadPoolExecutor(max_workers=min(self.parallel, len(specs))) as pool:
            return list(pool.map(self._converge_one, specs))

    def _converge_one(self, spec):
        action = 'unchanged'
        try:
            current = self.client.call_or_none('inspect container %s' % spec.name, 'inspect_container', spec.name)
            action, changes, update = self._plan(spec, current)
            container_id = (current or {}).get('Id')
            if not self.check_mode and action != 'unchanged':
                container_id = self._apply(spec, current, action, update)
            result = dict(name=spec.name, action=action, changed=action != 'unchanged', id=container_id,
                          changes=changes.keys())
            if changes and self.diff:
                result['diff'] = changes.as_diff(spec.name)
        except DockerError as exc:
            # A failure part-way (say, start after create) may already have changed the container.
            result = dict(name=spec.name, action='failed', changed=not self.check_mode and action != 'unchanged',
                          failed=True, msg=exc.msg)
        if spec.warnings:
            result['warnings'] = spec.warnings
        return result

    def _plan(self, spec, current):
        changes = ChangeSet()
        state = spec.state
        if current is None:
            if state == 'absent':
                return 'unchanged', changes, None
            changes.add('exists', False, True)
            changes.add('image', None, spec.image)
            for option in API_OPTIONS:
                if option.name in spec.wanted:
                    changes.add(option.name, None, option.show(spec.wanted[option.name]))
            return 'created', changes, None
        running = bool((current.get('State') or {}).get('Running'))
        if state == 'absent':
            changes.add('exists', True, False)
            return 'removed', changes, None

        ctx = Context(spec.item, self._engine_info, spec.image_inspect)
        recreate = self._compare(spec, current, ctx, changes)
        update = self._update_body(spec, current, changes) if not recreate else None
        if spec.item.get('recreate'):
            changes.add('recreate', False, True)
            recreate = True

        if recreate:
            action = 'recreated'
        elif update:
            action = 'updated'
        else:
            action = 'unchanged'
        wants_running = state in ('started', 'restarted') or (state == 'present' and running and recreate)
        if state == 'restarted' and action in ('unchanged', 'updated'):
            changes.add('restarted', False, True)
            action = 'restarted'
        elif wants_running and not running and not recreate:
            changes.add('running', False, True)
            action = 'started' if action == 'unchanged' else action
        elif state == 'stopped' and running:
            changes.add('running', True, False)
            action = 'stopped' if action == 'unchanged' else action
        return action, changes, update

    def _compare(self, spec, current, ctx, changes):
        """Record differences; True when one of them needs a new container."""
        recreate = False
        if spec.image_id is None or current.get('Image') != spec.image_id:
            changes.add('image', '%s (%s)' % (current['Config'].get('Image'), _short_id(current.get('Image'))),
                        '%s (%s)' % (spec.image, _short_id(spec.image_id) if spec.image_id else 'to be pulled'))
            recreate = True
        for option in API_OPTIONS:
            if option.name not in spec.wanted:
                continue
            wanted = option.wanted_for_compare(spec.wanted[option.name], ctx)
            if option.current(current, ctx) != wanted:
                changes.add(option.name, option.show(option.current(current, ctx)), option.show(wanted))
                recreate = recreate or not option.updatable
        if spec.log_config is not None:
            have = normalise_log_config(current['HostConfig'].get('LogConfig'), ctx)
            want = dict(spec.log_config)
            if spec.item.get('log_options') is None:
                have.pop('Config')
                want.pop('Config')
            elif want['Type'] == ((ctx.engine_info or {}).get('LoggingDriver') or want['Type']):
                # With the engine's default driver, the engine adds daemon.json's log-opts for the
                # keys the container does not set; only the keys given are the container's own.
                have['Config'] = dict((key, value) for key, value in have['Config'].items() if key in want['Config'])
            if have != want:
                changes.add('log', have, want)
                recreate = True
        if spec.networks is not None:
            have = sorted((current.get('NetworkSettings') or {}).get('Networks') or {})
            want = sorted(name for name, _endpoint in spec.networks)
            if have != want:
                changes.add('networks', have, want)
                recreate = True
        return recreate

    def _update_body(self, spec, current, changes):
        """The engine's update body for the limits that differ (None when none do)."""
        body = {}
        for option in API_OPTIONS:
            if option.updatable and option.name in changes.keys():
                body[option.key] = spec.wanted[option.name]
        if 'Memory' in body and 'memory_swap' not in spec.wanted:
            host = current['HostConfig']
            # Keep the engine's default of swap = 2 x memory when the user never set swap.
            if host.get('Memory') and host.get('MemorySwap') == 2 * host['Memory']:
                body['MemorySwap'] = 2 * body['Memory']
        return body or None

    def _apply(self, spec, current, action, update):
        client, name = self.client, spec.name
        if action == 'removed':
            self._stop(spec, current)
            client.call('remove container %s' % name, 'remove_container', current['Id'])
            return None
        if action in ('created', 'recreated'):
            running = bool(current and (current.get('State') or {}).get('Running'))
            if current is not None:
                self._stop(spec, current)
                client.call('remove container %s' % name, 'remove_container', current['Id'])
            container_id = self._create(spec)
            if spec.state in ('started', 'restarted') or (spec.state == 'present' and running):
                client.call('start container %s' % name, 'start', container_id)
            return container_id
        container_id = current['Id']
        if update:
            client.post_json('update the limits of container %s' % name, '/containers/{0}/update',
                             [container_id], update)
        if action == 'restarted':
            client.call('restart container %s' % name, 'restart', container_id,
                        timeout=self._stop_timeout(spec, current))
        elif spec.state in ('started',) and not current['State'].get('Running'):
            client.call('start container %s' % name, 'start', container_id)
        elif spec.state == 'stopped' and current['State'].get('Running'):
            self._stop(spec, current)
        return container_id

    def _stop_timeout(self, spec, current):
        if spec.item.get('stop_timeout') is not None:
            return spec.item['stop_timeout']
        configured = ((current or {}).get('Config') or {}).get('StopTimeout')
        return configured if configured is not None else ENGINE_STOP_TIMEOUT

    def _stop(self, spec, current):
        if (current.get('State') or {}).get('Running'):
            self.client.call('stop container %s' % spec.name, 'stop', current['Id'],
                             timeout=self._stop_timeout(spec, current))

    def _create(self, spec):
        body = {'Image': spec.image, 'HostConfig': {}}
        for option in API_OPTIONS:
            if option.name in spec.wanted:
                target = body['HostConfig'] if option.section == 'HostConfig' else body
                target[option.key] = spec.wanted[option.name]
        if 'Env' in body:
            body['Env'] = spec.wanted['env']
        if 'PortBindings' in body['HostConfig']:
            body['ExposedPorts'] = dict((port, {}) for port in body['HostConfig']['PortBindings'])
        if spec.log_config is not None:
            body['HostConfig']['LogConfig'] = spec.log_config
        extra_networks = []
        if spec.networks:
            (first, endpoint), extra_networks = spec.networks[0], spec.networks[1:]
            body['HostConfig']['NetworkMode'] = first
            body['NetworkingConfig'] = {'EndpointsConfig': {first: endpoint}}
        created = self.client.call('create container %s' % spec.name, 'create_container_from_config',
                                   body, spec.name)
        for network, endpoint in extra_networks:
            self.client.call('connect container %s to network %s' % (spec.name, network),
                             'connect_container_to_network', created['Id'], network,
                             aliases=endpoint.get('Aliases'),
                             ipv4_address=(endpoint.get('IPAMConfig') or {}).get('IPv4Address'))
        return created['Id']


def _short_id(image_id):
    return (image_id or '').replace('sha256:', '')[:12] or 'none'


def _parse_networks(value):
    """Network names or {name, aliases, ipv4_address} -> [(name, endpoint settings)]."""
    networks, seen = [], set()
    for entry in value:
        if isinstance(entry, str):
            entry = {'name': entry}
        if not isinstance(entry, dict) or not entry.get('name'):
            raise InvalidValue('networks: %r must be a network name or a dictionary with a name' % (entry,))
        if entry['name'] in seen:
            raise InvalidValue('networks: %r is listed twice' % entry['name'])
        seen.add(entry['name'])
        endpoint = {}
        if entry.get('aliases'):
            endpoint['Aliases'] = [str(alias) for alias in entry['aliases']]
        if entry.get('ipv4_address'):
            endpoint['IPAMConfig'] = {'IPv4Address': str(entry['ipv4_address'])}
        networks.append((entry['name'], endpoint))
    return networks
