"""A stand-in for EngineClient in unit tests of the resources' prepare and apply steps.

It answers reads from what a test gives it (recorded inspect answers, see engine_fixtures),
records every call, and counts the calls that would change something (``writes``), so a test
can assert that bad input changed nothing and that a change happened in the right order.
"""
import copy
import itertools

from ansible_collections.dockhand.docker.plugins.module_utils.errors import DockerError

# SDK methods (and client helpers) that change the engine.
WRITES = frozenset((
    'create_container_from_config', 'start', 'stop', 'restart', 'remove_container', 'rename', 'pull',
    'connect_container_to_network', 'post_json', 'build', 'tag', 'push', 'load_image', 'get_image',
    'remove_image', 'update_node', 'remove_node', 'init_swarm', 'join_swarm', 'leave_swarm', 'update_swarm',
    'send_json',
    'unlock_swarm', 'remove_secret', 'remove_config', 'remove_network', 'disconnect_container_from_network',
))


class FakeClient(object):
    docker_host = 'unix:///var/run/docker.sock'
    timeout = 60
    api_version = '1.41'
    sdk_version = '7.1.0'

    def __init__(self, containers=None, images=None, info=None, version=None, nodes=None, fail=None,
                 stream_chunks=None, secrets=None, configs=None, services=None, tasks=None, networks=None,
                 distribution=None):
        self.containers = copy.deepcopy(containers or {})   # name -> inspect
        self.images = copy.deepcopy(images or {})           # reference or ID -> inspect
        self._info = info or {'NCPU': 2, 'LoggingDriver': 'json-file',
                              'Plugins': {'Log': ['json-file', 'local', 'syslog']}}
        self._version = version or {'Os': 'linux', 'Arch': 'amd64', 'ApiVersion': '1.41'}
        self.nodes = copy.deepcopy(nodes or [])
        self.fail = dict(fail or {})       # method -> DockerError to raise, once
        self.stream_chunks = stream_chunks or {}
        self.calls = []
        self._ids = itertools.count(1)
        # Swarm objects: GET /secrets, /configs, /services and /tasks answers (lists).
        self.objects = {'secrets': copy.deepcopy(secrets or []), 'configs': copy.deepcopy(configs or [])}
        self.services = copy.deepcopy(services or [])
        self.tasks = copy.deepcopy(tasks or [])
        self.networks = copy.deepcopy(networks or {})          # name -> inspect
        self.distribution = copy.deepcopy(distribution or {})  # image name -> GET /distribution answer
        self.busy_removals = 0     # how many more times removing a network answers "in use by task"
        self.busy_task = 'x'       # ... naming this task, looked up in network_tasks (ID -> GET /tasks/<id>)
        self.network_tasks = {}

    # ---- what modules call ----

    def info(self):
        self.calls.append(('info',))
        return copy.deepcopy(self._info)

    def version(self):
        self.calls.append(('version',))
        return copy.deepcopy(self._version)

    def call(self, action, method, *args, **kwargs):
        self.calls.append((method,) + args)
        if method in self.fail:
            raise self.fail.pop(method)
        result = getattr(self, '_' + method)(*args, **kwargs)
        if result is None and method.startswith('inspect'):
            raise DockerError('Docker engine failed to %s: not found (HTTP 404)' % action, status_code=404)
        return result

    def call_or_none(self, action, method, *args, **kwargs):
        try:
            return self.call(action, method, *args, **kwargs)
        except DockerError as exc:
            if exc.details.get('status_code') == 404:
                return None
            raise

    def post_json(self, action, path, path_args, body):
        self.calls.append(('post_json', path) + tuple(path_args) + (body,))
        if 'post_json' in self.fail:
            raise self.fail.pop('post_json')
        if path.startswith('/networks/'):
            return self._post_network(path, path_args, copy.deepcopy(body))
        if not path.startswith('/containers/'):
            return self._post_swarm_object(path, path_args, copy.deepcopy(body))
        container = self._by_id(path_args[0])
        container['HostConfig'].update(body)
        return {}

    def read_or_none(self, action, explain, method, *args, **kwargs):
        return self.call_or_none(action, method, *args, **kwargs)

    def send_json(self, action, method, path, path_args=(), body=None, params=None, headers=None):
        """Services: create (its tasks run at once, on the first node), update at a version, remove."""
        self.calls.append(('send_json', method, path) + tuple(path_args) + (body,))
        if 'send_json' in self.fail:
            raise self.fail.pop('send_json')
        if method == 'DELETE':
            self.services = [s for s in self.services if s['ID'] != path_args[0]]
            self.tasks = [t for t in self.tasks if t.get('ServiceID') != path_args[0]]
            return None
        if path.endswith('/create'):
            ident = 'svc%d' % next(self._ids)
            self.services.append({'ID': ident, 'Version': {'Index': 1}, 'Spec': copy.deepcopy(body)})
            replicas = ((body.get('Mode') or {}).get('Replicated') or {}).get('Replicas', 1)
            node = self.nodes[0]['ID'] if self.nodes else 'n1'
            self.tasks.extend({'ID': '%s-t%d' % (ident, slot), 'ServiceID': ident, 'Slot': slot, 'NodeID': node,
                               'DesiredState': 'running', 'Status': {'State': 'running'},
                               'Spec': copy.deepcopy(body.get('TaskTemplate'))} for slot in range(1, replicas + 1))
            return {'ID': ident}
        return self._post_swarm_object(path, (path_args[0], str(params['version'])), copy.deepcopy(body))

    def _inspect_distribution(self, name, auth_config=None):
        return copy.deepcopy(self.distribution.get(name))

    def stream(self, action, method, consume, *args, **kwargs):
        self.calls.append((method,) + args)
        if method in self.fail:
            raise self.fail.pop(method)
        for chunk in self.stream_chunks.get(method, []):
            consume(chunk)
        getattr(self, '_' + method, lambda *a, **k: None)(*args, **kwargs)

    # ---- bookkeeping ----

    @property
    def writes(self):
        return [call for call in self.calls if call[0] in WRITES]

    def methods(self):
        return [call[0] for call in self.calls]

    def _by_id(self, ident):
        for name, container in self.containers.items():
            if container.get('Id') == ident or name == ident:
                return container
        raise DockerError('no such container %s' % ident, status_code=404)

    # ---- containers ----

    def _inspect_container(self, name):
        found = self.containers.get(name)
        if found is None:
            found = next((c for c in self.containers.values() if c.get('Id') == name), None)
        return copy.deepcopy(found)

    def _create_container_from_config(self, body, name):
        ident = 'new%d' % next(self._ids)
        host = dict(body.get('HostConfig') or {})
        config = dict((key, value) for key, value in body.items() if key not in ('HostConfig', 'NetworkingConfig'))
        self.containers[name] = {'Id': ident, 'Name': '/' + name, 'Image': self.images.get(body['Image'], {}).get('Id'),
                                 'Config': config, 'HostConfig': host, 'State': {'Running': False}}
        return {'Id': ident}

    def _start(self, ident):
        self._by_id(ident)['State'] = {'Running': True, 'Status': 'running'}

    def _stop(self, ident, timeout=None):
        self._by_id(ident)['State'] = {'Running': False, 'Status': 'exited'}

    def _restart(self, ident, timeout=None):
        self._start(ident)

    def _rename(self, ident, new_name):
        for name, container in list(self.containers.items()):
            if container.get('Id') == ident:
                del self.containers[name]
                container['Name'] = '/' + new_name
                self.containers[new_name] = container
                return None
        raise DockerError('no such container %s' % ident)

    def _remove_container(self, ident, force=False):
        for name, container in list(self.containers.items()):
            if container.get('Id') == ident:
                del self.containers[name]
                return None
        raise DockerError('no such container %s' % ident)

    def _connect_container_to_network(self, ident, network, **kwargs):
        if self._network(network) is not None:  # a network a test gave (see networks below)
            addresses = (('IPv4Address', 'ipv4_address'), ('IPv6Address', 'ipv6_address'))
            ipam = dict((key, kwargs[arg]) for key, arg in addresses if kwargs.get(arg))
            endpoint = dict(Aliases=kwargs.get('aliases'), IPAMConfig=ipam or None)
            self._post_network('/networks/{0}/connect', [network], {'Container': ident, 'EndpointConfig': endpoint})
        return None

    # ---- images ----

    def _inspect_image(self, name):
        return copy.deepcopy(self.images.get(name))

    def _pull(self, name, tag=None, **kwargs):
        reference = '%s:%s' % (name, tag) if tag else name
        self.images.setdefault(reference, {'Id': 'sha256:pulled', 'RepoDigests': []})

    def _tag(self, image_id, repository, tag=None, force=False):
        image = next((image for image in self.images.values() if image.get('Id') == image_id), {'Id': image_id})
        self.images['%s:%s' % (repository, tag) if tag else repository] = image

    def _remove_image(self, name, force=False):
        self.images.pop(name, None)

    def _history(self, image_id):
        return []

    # ---- swarm nodes ----

    def _nodes(self):
        return copy.deepcopy(self.nodes)

    def _inspect_node(self, node_id):
        return copy.deepcopy(next((node for node in self.nodes if node['ID'] == node_id), None))

    def _update_node(self, node_id, version, spec):
        for node in self.nodes:
            if node['ID'] == node_id:
                node['Spec'] = copy.deepcopy(spec)
                node['Version']['Index'] += 1

    def _remove_node(self, node_id, force=False):
        self.nodes = [node for node in self.nodes if node['ID'] != node_id]

    # ---- swarm secrets, configs and services ----

    def _listed(self, entries, filters):
        labels = (filters or {}).get('label') or []
        wanted = dict(label.split('=', 1) for label in labels)
        return [copy.deepcopy(entry) for entry in entries
                if all((entry['Spec'].get('Labels') or {}).get(key) == value for key, value in wanted.items())]

    def _secrets(self, filters=None):
        return self._listed(self.objects['secrets'], filters)

    def _configs(self, filters=None):
        return self._listed(self.objects['configs'], filters)

    def _services(self, filters=None):
        return copy.deepcopy(self.services)

    def _inspect_service(self, ident, insert_defaults=None):
        return copy.deepcopy(next((service for service in self.services if ident in (service['ID'], service[
            'Spec']['Name'])), None))

    def _tasks(self, filters=None):
        service, desired = (filters or {}).get('service'), (filters or {}).get('desired-state')
        found = [copy.deepcopy(task) for task in self.tasks
                 if service in (None, task.get('ServiceID')) and desired in (None, task.get('DesiredState'))]
        if (filters or {}).get('_up-to-date') and service:
            # The engine's own filter: tasks made from the service's current spec.
            spec = ((self._inspect_service(service) or {}).get('Spec') or {}).get('TaskTemplate') or {}
            found = [task for task in found if (task.get('Spec') or {}).get('ContainerSpec')
                     == spec.get('ContainerSpec')]
        return found

    def _remove_object(self, plural, ident):
        key = 'SecretID' if plural == 'secrets' else 'ConfigID'
        users = [service['Spec']['Name'] for service in self.services
                 for ref in service['Spec']['TaskTemplate']['ContainerSpec'].get(plural.capitalize()) or ()
                 if ref.get(key) == ident]
        if users:
            raise DockerError('%s is in use by the following service: %s (HTTP 400)' % (ident, users[0]),
                              status_code=400)
        before = len(self.objects[plural])
        self.objects[plural] = [entry for entry in self.objects[plural] if entry['ID'] != ident]
        if len(self.objects[plural]) == before:
            raise DockerError('%s not found (HTTP 404)' % ident, status_code=404)

    def _remove_secret(self, ident):
        self._remove_object('secrets', ident)

    def _remove_config(self, ident):
        self._remove_object('configs', ident)

    def _post_swarm_object(self, path, path_args, body):
        plural = path.split('/')[1]
        if path.endswith('/create'):
            if any(entry['Spec']['Name'] == body['Name'] for entry in self.objects[plural]):
                raise DockerError('%s already exists (HTTP 409)' % body['Name'], status_code=409)
            ident = 'obj%d' % next(self._ids)
            body.pop('Data', None)  # the engine never returns a secret's data
            self.objects[plural].append({'ID': ident, 'Version': {'Index': 1}, 'CreatedAt': 'now', 'Spec': body})
            return {'ID': ident}
        ident, version = path_args
        entries = self.services if plural == 'services' else self.objects[plural]
        entry = next((entry for entry in entries if entry['ID'] == ident), None)
        if entry is None:
            raise DockerError('%s not found (HTTP 404)' % ident, status_code=404)
        if str(entry['Version']['Index']) != version:
            raise DockerError('update out of sequence (HTTP 500)', status_code=500)
        entry['Version']['Index'] += 1
        if plural == 'services':
            # A rollout that is over at once: the running tasks have the new task spec.
            entry['PreviousSpec'], entry['Spec'] = entry['Spec'], body
            entry['UpdateStatus'] = {'State': 'completed'}
            for task in self.tasks:
                if task.get('ServiceID') == ident and task.get('DesiredState') == 'running':
                    task['Spec'] = copy.deepcopy(body.get('TaskTemplate'))
            return {'Warnings': None}
        entry['Spec']['Labels'] = body['Labels']
        return None

    # ---- networks (and the services that name them) ----

    def _network(self, ident):
        """Like the engine: a full ID, then a name (the key), then the start of an ID."""
        for matches in (lambda name, net: net.get('Id') == ident, lambda name, net: name == ident,
                        lambda name, net: (net.get('Id') or '').startswith(ident)):
            found = [net for name, net in self.networks.items() if matches(name, net)]
            if found:
                return found[0]
        return None

    def _network_name(self, network):
        return next(name for name, net in self.networks.items() if net is network)

    def _inspect_network(self, ident, verbose=None, scope=None):
        return copy.deepcopy(self._network(ident))

    def _networks(self, names=None, ids=None, filters=None):
        return [copy.deepcopy(net) for name, net in self.networks.items() if not names or name in names]

    def _network_users(self, network):
        return [service['Spec']['Name'] for service in self.services
                for entry in (service['Spec'].get('TaskTemplate') or {}).get('Networks') or ()
                if entry.get('Target') in (network['Id'], network['Name'])]

    def _remove_network(self, ident):
        network = self._network(ident)
        if network is None:
            raise DockerError('network %s not found (HTTP 404)' % ident, status_code=404)
        users = self._network_users(network)
        if users:
            raise DockerError('rpc error: code = FailedPrecondition desc = network %s is in use by service %s '
                              '(HTTP 400)' % (network['Id'], users[0]), status_code=400)
        if self.busy_removals:
            self.busy_removals -= 1
            raise DockerError('rpc error: code = FailedPrecondition desc = network %s is in use by task %s (HTTP 400)'
                              % (network['Id'], self.busy_task), status_code=400)
        if network.get('Scope') != 'swarm' and network.get('Containers'):
            raise DockerError('error while removing network: network %s id %s has active endpoints (HTTP 403)'
                              % (network['Name'], network['Id']), status_code=403)
        del self.networks[self._network_name(network)]

    def _disconnect_container_from_network(self, container, net_id, force=False):
        network, found = self._network(net_id), self._by_id(container)
        network['Containers'].pop(found['Id'], None)
        found['NetworkSettings']['Networks'].pop(network['Name'], None)

    def _post_network(self, path, path_args, body):
        if path == '/networks/create':
            return self._create_network(body)
        network = self._network(path_args[0])
        container = self._by_id(body['Container'])
        endpoint = dict(body.get('EndpointConfig') or {})
        endpoint['Aliases'] = list(endpoint.get('Aliases') or []) + [container['Id'][:12]]
        endpoint['NetworkID'] = network['Id']
        container.setdefault('NetworkSettings', {}).setdefault('Networks', {})[network['Name']] = endpoint
        network.setdefault('Containers', {})[container['Id']] = {'Name': container['Name'].lstrip('/')}
        return None

    def _create_network(self, body):
        if body['Name'] in self.networks:
            raise DockerError('network with name %s already exists (HTTP 409)' % body['Name'], status_code=409)
        number = next(self._ids)
        driver = body.get('Driver') or 'bridge'
        ipam = dict(body.get('IPAM') or {})
        ipam.setdefault('Driver', 'default')
        if not ipam.get('Config'):  # the engine picks a subnet
            ipam['Config'] = [{'Subnet': '10.0.%d.0/24' % number, 'Gateway': '10.0.%d.1' % number}]
        options = dict(body.get('Options') or {})
        if driver == 'overlay':
            options['com.docker.network.driver.overlay.vxlanid_list'] = str(4096 + number)
        network_id = ('%064x' % number)
        self.networks[body['Name']] = {
            'Name': body['Name'], 'Id': network_id, 'Driver': driver,
            'Scope': body.get('Scope') or ('swarm' if driver == 'overlay' else 'local'),
            'Attachable': bool(body.get('Attachable')), 'Internal': bool(body.get('Internal')),
            'EnableIPv6': bool(body.get('EnableIPv6')), 'Ingress': False, 'IPAM': ipam, 'Options': options,
            'Labels': dict(body.get('Labels') or {}), 'Containers': {}}
        return {'Id': network_id, 'Warning': ''}

    def _inspect_task(self, ident):
        return copy.deepcopy(self.network_tasks.get(ident))


class VirtualTime(object):
    """A clock for waiters under test (in place of the time module): sleeping moves it on at once."""

    def __init__(self):
        self.now = 0.0

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds
