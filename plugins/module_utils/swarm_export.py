# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A swarm's declarative state in the ``services`` role's own variables (pure).

``services_networks``, ``services_secrets``, ``services_configs`` and ``services_list`` as a swarm
manager's API describes them, so that a backup can be compared with the GitOps repository and
given back to the role as its input. Secrets are listed by name only (their data never leaves
the swarm; a replay needs it from the vault), environment values whose names say they are
secrets and secret-looking logging options are masked, and options are in the units
dockhand.docker.service takes (the same as service_info reports).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii

from ansible_collections.dockhand.docker.plugins.module_utils.networks import ENGINE_FILLED_OPTIONS
from ansible_collections.dockhand.docker.plugins.module_utils.secrets import masked_mapping
from ansible_collections.dockhand.docker.plugins.module_utils.service_options import SPEC_OPTIONS, mode_name
from ansible_collections.dockhand.docker.plugins.module_utils.swarm_objects import (
    LABEL_PREFIX,
    NAME_LABEL,
    versions_of,
)

# What the service module puts in a reference when none is given (see swarm_objects.service_reference).
_DEFAULT_FILE = dict(UID='0', GID='0', Mode=0o444)


def _spec(obj):
    return obj.get('Spec') or {}


def _labels(obj):
    return _spec(obj).get('Labels') or {}


def _user_labels(obj):
    return dict((key, value) for key, value in _labels(obj).items() if not key.startswith(LABEL_PREFIX))


def logical_name(obj):
    """The name a secret or config has in the role's variables: its versions' logical name, or its own."""
    return _labels(obj).get(NAME_LABEL) or _spec(obj).get('Name')


def _current_objects(objects):
    """One object per logical name: the current version (the highest generation), by name."""
    chosen = {}
    for obj in objects or ():
        name = logical_name(obj)
        if name in chosen:
            continue
        versions = versions_of(objects, name) if NAME_LABEL in _labels(obj) else [obj]
        chosen[name] = versions[0]
    return [chosen[name] for name in sorted(chosen)]


def network_items(networks):
    """services_networks: the swarm's own networks (not ingress), with the options the network module takes."""
    items = []
    for net in sorted(networks or (), key=lambda net: net.get('Name') or ''):
        if net.get('Scope') != 'swarm' or net.get('Ingress') or net.get('Name') == 'ingress':
            continue
        driver = net.get('Driver') or 'overlay'
        item = dict(name=net.get('Name'), driver=driver)
        for option, key in (('attachable', 'Attachable'), ('internal', 'Internal'), ('enable_ipv6', 'EnableIPv6')):
            if net.get(key):
                item[option] = True
        options = dict((key, value) for key, value in (net.get('Options') or {}).items()
                       if key not in ENGINE_FILLED_OPTIONS.get(driver, ()))
        if 'encrypted' in options:
            item['encrypted'] = True
            options.pop('encrypted')
        if options:
            item['driver_options'] = options
        if net.get('Labels'):
            item['labels'] = dict(net['Labels'])
        items.append(item)
    return items


def secret_items(secrets):
    """services_secrets: names and user labels only; the data stays in the swarm (and the vault)."""
    items = []
    for obj in _current_objects(secrets):
        item = dict(name=logical_name(obj))
        if _user_labels(obj):
            item['labels'] = _user_labels(obj)
        items.append(item)
    return items


def config_items(configs):
    """services_configs: names, data (text, or base64 with data_is_b64), user labels, template driver."""
    items = []
    for obj in _current_objects(configs):
        item = dict(name=logical_name(obj))
        raw = _spec(obj).get('Data') or ''
        try:
            data = base64.b64decode(raw)
        except (binascii.Error, TypeError, ValueError):
            data = None
        try:
            item['data'] = data.decode('utf-8') if data is not None else raw
        except UnicodeDecodeError:
            item.update(data=raw, data_is_b64=True)
        if _user_labels(obj):
            item['labels'] = _user_labels(obj)
        driver = (_spec(obj).get('Templating') or {}).get('Name')
        if driver:
            item['template_driver'] = driver
        items.append(item)
    return items


def _references(refs, kind, ids, id_key, name_key):
    """A service's secret or config references as the service module's items (defaults left out)."""
    items = []
    for ref in refs or ():
        obj = ids.get(ref.get(id_key))
        name = logical_name(obj) if obj else ref.get(name_key)
        item = dict(name=name)
        target = (ref.get('File') or {}).get('Name')
        default_target = name if kind == 'secret' else '/' + (name or '')
        if target and target != default_target:
            item['target'] = target
        for option, key in (('uid', 'UID'), ('gid', 'GID'), ('mode', 'Mode')):
            value = (ref.get('File') or {}).get(key)
            if value is not None and value != _DEFAULT_FILE[key]:
                item[option] = value
        items.append(item)
    return items


def service_item(service, network_names, secrets_by_id, configs_by_id):
    """One services_list item from a service (GET /services entry)."""
    spec = _spec(service)
    task = spec.get('TaskTemplate') or {}
    container = task.get('ContainerSpec') or {}
    mode = mode_name(spec.get('Mode'))
    item = dict(name=spec.get('Name'), image=container.get('Image'), mode=mode)
    if mode == 'replicated':
        item['replicas'] = (spec['Mode']['Replicated'] or {}).get('Replicas', 1)
    elif mode == 'replicated-job':
        job = spec['Mode']['ReplicatedJob'] or {}
        item.update(replicas=job.get('TotalCompletions', 1), max_concurrent=job.get('MaxConcurrent'))
    networks = task.get('Networks') or spec.get('Networks') or []
    if networks:
        item['networks'] = [network_names.get(net.get('Target'), net.get('Target')) for net in networks]
    if container.get('Secrets'):
        item['secrets'] = _references(container['Secrets'], 'secret', secrets_by_id, 'SecretID', 'SecretName')
    if container.get('Configs'):
        item['configs'] = _references(container['Configs'], 'config', configs_by_id, 'ConfigID', 'ConfigName')
    log_driver = task.get('LogDriver') or {}
    if log_driver.get('Name'):
        item['log_driver'] = log_driver['Name']
        if log_driver.get('Options'):
            item['log_options'] = masked_mapping(dict(log_driver['Options']))
    for option in SPEC_OPTIONS:
        value = option.raw(spec)
        if value in (None, {}, [], ''):
            continue
        shown = option.show(value)
        item[option.name] = masked_mapping(shown) if option.name == 'env' and isinstance(shown, dict) else shown
    return item


def declarative_state(networks=(), secrets=(), configs=(), services=()):
    """The swarm as the services role's variables: {services_networks, services_secrets,
    services_configs, services_list}, each sorted by name."""
    network_names = dict((net.get('Id') or net.get('ID'), net.get('Name')) for net in networks or ())
    secrets_by_id = dict((obj.get('ID'), obj) for obj in secrets or ())
    configs_by_id = dict((obj.get('ID'), obj) for obj in configs or ())
    return dict(
        services_networks=network_items(networks),
        services_secrets=secret_items(secrets),
        services_configs=config_items(configs),
        services_list=[service_item(service, network_names, secrets_by_id, configs_by_id)
                       for service in sorted(services or (), key=lambda service: _spec(service).get('Name') or '')],
    )
