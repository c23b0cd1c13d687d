# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Networks on the item frame (see :mod:`frame`): local bridge networks and swarm overlay networks.

- ``prepare``: every item parsed through the option table (:data:`FIELDS`); then the engine's
  swarm role is read once (an overlay network needs a swarm manager).
- ``read``: the network's inspect; only when it is to be recreated or removed, what uses it: this
  engine's containers (with their aliases and fixed addresses) and the swarm's services.
- ``plan`` (:func:`plan_network`, pure): created, recreated, removed or unchanged, the differences
  and the create body. The engine changes nothing of a network in place, so any difference is a
  remove and create, refused while something uses the network unless ``force``.
- ``apply``: detaches the users (containers disconnected, the network taken out of the services'
  specs), removes the network (waiting until the services' old tasks have let it go), creates the
  new one and reattaches the users. When the engine refuses the new network, the old one is
  created again as it was and the users go back to it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import ipaddress
import re
import time

from ansible_collections.dockhand.docker.plugins.module_utils.container_options import string_pairs as _string_pairs
from ansible_collections.dockhand.docker.plugins.module_utils.diff import ChangeSet
from ansible_collections.dockhand.docker.plugins.module_utils.engine import swarm_facts
from ansible_collections.dockhand.docker.plugins.module_utils.errors import DockerError, InvalidValue
from ansible_collections.dockhand.docker.plugins.module_utils.fields import Field, table_spec
from ansible_collections.dockhand.docker.plugins.module_utils.frame import (
    UNCHANGED,
    ItemForm,
    Plan,
    Resource,
    check_keys,
    preflight_plan,
)
from ansible_collections.dockhand.docker.plugins.module_utils.units import short_repr

# Networks every engine (or every swarm) has; they are not this module's to change or remove.
PREDEFINED = ('bridge', 'host', 'none', 'ingress', 'docker_gwbridge')
# Driver options the engine adds to what it was given, per driver (measured on Docker 20.10 and
# 26.1, see tests/unit/fixtures/README.md): compared only when the user gives them.
ENGINE_FILLED_OPTIONS = {'overlay': ('com.docker.network.driver.overlay.vxlanid_list',)}
# The overlay driver encrypts when this option is present, whatever its value.
ENCRYPTED = 'encrypted'
# Label the engine puts on a service task's container (its service is the network's user).
TASK_LABEL = 'com.docker.swarm.task.id'
DEFAULT_WAIT_TIMEOUT = 120

_NAME = re.compile(r'^[a-zA-Z0-9][a-zA-Z0-9_.-]*\Z')
NAME_MAX = 200
# A driver: a name or a plugin reference (vendor/plugin:tag).
_DRIVER = re.compile(r'^[a-zA-Z0-9][a-zA-Z0-9_.:/@-]*\Z')
_CONTAINER_ID = re.compile(r'^[0-9a-f]{64}\Z')
_ADDRESS_TEXT = re.compile(r'^[0-9a-fA-F.:]+\Z')
_CIDR_TEXT = re.compile(r'^[0-9a-fA-F.:]+/[0-9]{1,3}\Z')
# Engine answers meaning "still used" when a network is removed (service tasks shutting down).
_IN_USE = ('in use', 'active endpoints')
# How a swarm manager names what uses a network it refuses to remove.
_IN_USE_BY = re.compile(r'in use by (task|service) ([0-9a-z]+)')
IPAM_KEYS = ('driver', 'options', 'config')
IPAM_CONFIG_KEYS = ('subnet', 'gateway', 'ip_range', 'aux_addresses')


# ---- parsers: user value -> API value; InvalidValue with one line naming the option ----

def _shown(value):
    text = short_repr(value)
    return text if len(text) <= 80 else text[:77] + '...'


def string_pairs(option):
    """container_options.string_pairs, refusing first what it would put into its message as it is (a name
    with control characters, or of thousands of characters) or could not turn into text at all (a number
    of more than 4,300 digits)."""
    parse = _string_pairs(option)

    def checked(value, ctx=None):
        for key, item in (value.items() if isinstance(value, dict) else ()):
            if isinstance(key, str) and (not key.isprintable() or len(key) > NAME_MAX):
                raise InvalidValue('%s: %s is not a name; names are printable, at most %d characters'
                                   % (option, _shown(key), NAME_MAX))
            for part in (key, item):
                if isinstance(part, int) and not isinstance(part, bool) and abs(part) >= 10 ** 1000:
                    raise InvalidValue('%s: a number of more than 1,000 digits is no name or value; give a string'
                                       % option)
        return parse(value, ctx)
    return checked


def _known_keys(where, value, known):
    """frame.check_keys, with unknown keys quoted and cut short: they come from the user as they are."""
    if isinstance(value, dict):
        unknown = sorted(_shown(key) for key in value if key not in known)
        if unknown:
            raise InvalidValue('%s: unknown key%s %s; known keys: %s' % (
                where, 's' if len(unknown) > 1 else '', ', '.join(unknown[:5]), ', '.join(known)))
    return check_keys(where, value, known)


def _as_bool(value, ctx=None):
    return bool(value)


def _plugin_name(option):
    def parse(value, ctx=None):
        if not isinstance(value, str) or not _DRIVER.match(value) or len(value) > 255:
            raise InvalidValue('%s: %s is not a driver name; give a name such as bridge or overlay, or a plugin '
                               'such as vendor/plugin:tag' % (option, _shown(value)))
        return value
    return parse


def _encrypted(value, ctx=None):
    return '' if value else None


def _shown_encrypted(value):
    return value is not None


def _present(value, ctx=None):
    # The current side of ``encrypted``: the option's presence is what counts.
    return None if value is None else ''


def _driver_options(value, ctx=None):
    options = string_pairs('driver_options')(value, ctx)
    if ENCRYPTED in options:
        raise InvalidValue('driver_options: give encrypted: true instead of the driver option %r' % ENCRYPTED)
    return options


def _current_driver_options(value, ctx):
    """The network's driver options without ``encrypted`` (an option of its own) and without what the
    engine added for its driver, unless the user gives those keys."""
    given = ctx.wanted.wanted.get('driver_options') or {}
    filled = ENGINE_FILLED_OPTIONS.get((ctx.current or {}).get('Driver'), ())
    return dict((key, option) for key, option in (value or {}).items()
                if key != ENCRYPTED and (key not in filled or key in given))


def _labels(value, ctx=None):
    return dict(value or {})


def _ip_network(where, text):
    if not isinstance(text, str) or not _CIDR_TEXT.match(text):
        raise InvalidValue('%s: %s is not a subnet; write it as ADDRESS/PREFIX, such as 10.10.0.0/24 or '
                           'fd00:10::/64' % (where, _shown(text)))
    try:
        return ipaddress.ip_network(text)
    except ValueError as exc:
        network = _loose_network(text)
        if network is not None:
            raise InvalidValue('%s: %s has bits set beyond its prefix; the subnet is %s' % (where, text, network))
        raise InvalidValue('%s: %s is not a subnet (%s)' % (where, text, exc))


def _loose_network(text):
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def _ip_address(where, text):
    if not isinstance(text, str) or not _ADDRESS_TEXT.match(text):
        raise InvalidValue('%s: %s is not an IP address' % (where, _shown(text)))
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        raise InvalidValue('%s: %s is not an IP address' % (where, _shown(text)))


def _inside(where, address, subnet):
    if address.version != subnet.version or address not in subnet:
        raise InvalidValue('%s: %s is not inside the subnet %s' % (where, address, subnet))


def parse_ipam_config(entry, where):
    """One ``ipam.config`` entry -> the API's IPAM config (canonical addresses)."""
    _known_keys(where, entry, IPAM_CONFIG_KEYS)
    if entry.get('subnet') is None:
        raise InvalidValue('%s: needs a subnet (ADDRESS/PREFIX); gateway, ip_range and aux_addresses are '
                           'parts of a subnet' % where)
    subnet = _ip_network(where + '.subnet', entry['subnet'])
    config = {'Subnet': str(subnet)}
    if entry.get('gateway') is not None:
        gateway = _ip_address(where + '.gateway', entry['gateway'])
        _inside(where + '.gateway', gateway, subnet)
        if gateway == subnet.network_address and subnet.num_addresses > 2:
            raise InvalidValue('%s.gateway: %s is the address of the subnet itself; give a host address such as %s'
                               % (where, gateway, subnet.network_address + 1))
        config['Gateway'] = str(gateway)
    if entry.get('ip_range') is not None:
        ip_range = _ip_network(where + '.ip_range', entry['ip_range'])
        if ip_range.version != subnet.version or not ip_range.subnet_of(subnet):
            raise InvalidValue('%s.ip_range: %s is not inside the subnet %s' % (where, ip_range, subnet))
        config['IPRange'] = str(ip_range)
    if entry.get('aux_addresses') is not None:
        aux = {}
        for name, text in string_pairs(where + '.aux_addresses')(entry['aux_addresses'], None).items():
            address = _ip_address('%s.aux_addresses.%s' % (where, name), text)
            _inside('%s.aux_addresses.%s' % (where, name), address, subnet)
            aux[name] = str(address)
        if aux:
            config['AuxiliaryAddresses'] = aux
    return config


def parse_ipam(value, ctx=None):
    """``ipam`` -> the API's IPAM with only the parts given (an empty config list lets the engine choose).

    A plain dict option whose keys are checked here: ansible-core's own checks of sub-options raise on
    keys that are not strings and on huge numbers instead of refusing them.
    """
    _known_keys('ipam', value, IPAM_KEYS)
    if value.get('config') is not None and not isinstance(value['config'], list):
        raise InvalidValue('ipam.config: must be a list of subnets ({subnet, gateway, ip_range, aux_addresses}), '
                           'not %s' % _shown(value['config']))
    ipam = {}
    if value.get('driver') is not None:
        ipam['Driver'] = _plugin_name('ipam.driver')(value['driver'])
    if value.get('options') is not None:
        ipam['Options'] = string_pairs('ipam.options')(value['options'], ctx)
    configs = []
    for index, entry in enumerate(value.get('config') or ()):
        where = 'ipam.config[%d]' % index
        config = parse_ipam_config(entry, where)
        subnet = ipaddress.ip_network(config['Subnet'])
        for other_index, other in enumerate(configs):
            if subnet.overlaps(ipaddress.ip_network(other['Subnet'])):
                raise InvalidValue('%s.subnet: %s overlaps ipam.config[%d].subnet %s; subnets of a network must not '
                                   'overlap' % (where, subnet, other_index, other['Subnet']))
        configs.append(config)
    if configs:
        ipam['Config'] = configs
    return ipam


def _canonical(text, parse):
    try:
        return str(parse(text))
    except ValueError:
        return text


def canonical_config(config):
    """An IPAM config as the engine reports it, with canonical addresses and no empty keys."""
    result = {}
    for key, parse in (('Subnet', _loose_network), ('Gateway', ipaddress.ip_address), ('IPRange', _loose_network)):
        if config.get(key):
            result[key] = _canonical(config[key], parse)
    if config.get('AuxiliaryAddresses'):
        result['AuxiliaryAddresses'] = dict((name, _canonical(text, ipaddress.ip_address))
                                            for name, text in config['AuxiliaryAddresses'].items())
    return result


def _config_order(config):
    network = _loose_network(config.get('Subnet') or '')
    return (network.version, network.network_address.packed, network.prefixlen) if network else (9, b'', 0)


def _family(config):
    network = _loose_network(config.get('Subnet') or '')
    return network.version if network else None


def _current_ipam(value, ctx):
    """The network's IPAM reduced to the parts the user gives.

    Config: only the entries of the address families the user gives subnets of (the engine adds an
    IPv4 subnet of its own to a network given only an IPv6 one); an entry whose subnet the user gives
    is reduced to the keys given with it, the others of those families are compared whole.
    """
    value = value or {}
    given = ctx.wanted.wanted.get('ipam') or {}
    have = {}
    if 'Driver' in given:
        have['Driver'] = value.get('Driver') or 'default'
    if 'Options' in given:
        have['Options'] = dict(value.get('Options') or {})
    if 'Config' in given:
        wanted_keys = dict((config['Subnet'], set(config)) for config in given['Config'])
        families = set(_family(config) for config in given['Config'])
        configs = []
        for config in value.get('Config') or ():
            config = canonical_config(config)
            if _family(config) not in families:
                continue
            keys = wanted_keys.get(config.get('Subnet'))
            configs.append(dict((key, item) for key, item in config.items() if keys is None or key in keys))
        have['Config'] = sorted(configs, key=_config_order)
    return have


def _wanted_ipam(value, ctx=None):
    value = dict(value)
    if 'Config' in value:
        value['Config'] = sorted(value['Config'], key=_config_order)
    return value


def show_ipam(value):
    """The API's IPAM in the option's own words (for diffs)."""
    shown = {}
    if 'Driver' in value:
        shown['driver'] = value['Driver']
    if 'Options' in value:
        shown['options'] = value['Options']
    if 'Config' in value:
        shown['config'] = [dict((name, config[key]) for key, name in (
            ('Subnet', 'subnet'), ('Gateway', 'gateway'), ('IPRange', 'ip_range'),
            ('AuxiliaryAddresses', 'aux_addresses')) if key in config) for config in value['Config']]
    return shown


# The one table of network options: argument spec, place in the API, parsing, comparison, diffs.
# ``path`` is where GET /networks/<id> reports the setting; the create body takes the same keys.
FIELDS = (
    Field('driver', dict(type='str'), ('Driver',), _plugin_name('driver')),
    Field('scope', dict(type='str', choices=['local', 'swarm']), ('Scope',)),
    Field('attachable', dict(type='bool'), ('Attachable',), _as_bool, normalise=_as_bool),
    Field('internal', dict(type='bool'), ('Internal',), _as_bool, normalise=_as_bool),
    Field('enable_ipv6', dict(type='bool'), ('EnableIPv6',), _as_bool, normalise=_as_bool),
    Field('encrypted', dict(type='bool'), ('Options', ENCRYPTED), _encrypted, normalise=_present,
          show=_shown_encrypted),
    Field('ipam', dict(type='dict'), ('IPAM',), parse_ipam, normalise=_current_ipam,
          compare_form=_wanted_ipam, show=show_ipam),
    Field('labels', dict(type='dict'), ('Labels',), string_pairs('labels'), normalise=_labels),
    Field('driver_options', dict(type='dict'), ('Options',), _driver_options, normalise=_current_driver_options),
)

NETWORK_SPEC = dict(
    name=dict(type='str'),
    state=dict(type='str', default='present', choices=['present', 'absent']),
    force=dict(type='bool', default=False),
)
NETWORK_SPEC.update(table_spec(FIELDS))
FORM = ItemForm(NETWORK_SPEC, 'networks', 'network', module_only=dict(
    wait_timeout=dict(type='int', default=DEFAULT_WAIT_TIMEOUT),
))


class NetworkWanted(object):
    """One network as asked for, fully parsed and validated."""

    def __init__(self, item, label):
        self.item = item
        self.label = label
        self.name = item['name']
        self.state = item['state']
        self.force = bool(item.get('force'))
        self.wanted = {}        # option name -> API value, only for the options given

    @property
    def driver(self):
        return self.wanted.get('driver')

    @property
    def needs_swarm(self):
        return self.state == 'present' and (self.driver == 'overlay' or self.wanted.get('scope') == 'swarm')


def parse_network(item, label):
    """A :class:`NetworkWanted` from one merged item; InvalidValue (naming ``label``) for bad input."""
    wanted = NetworkWanted(item, label)
    try:
        name = wanted.name
        if not isinstance(name, str) or not _NAME.match(name) or len(name) > NAME_MAX:
            raise InvalidValue('name: %s is not a network name; use letters, digits, _ . - (starting with a letter or '
                               'digit), at most %d characters' % (_shown(name), NAME_MAX))
        if wanted.state == 'absent':
            if name in PREDEFINED:
                raise InvalidValue('%s is a network the engine defines itself; it cannot be removed' % name)
            return wanted
        for field in FIELDS:
            if item.get(field.name) is not None:
                wanted.wanted[field.name] = field.parse(item[field.name], None)
        if wanted.wanted.get('ipam') == {}:
            del wanted.wanted['ipam']
        _check_combinations(wanted)
    except InvalidValue as exc:
        # The item is named by its name; a name that is no name is shown quoted and cut short.
        shown = label if isinstance(label, str) and label.isprintable() and 0 < len(label) <= 80 else _shown(label)
        raise InvalidValue('%s: %s' % (shown, exc.msg))
    return wanted


def _check_combinations(wanted):
    given, driver = wanted.wanted, wanted.driver
    if ENCRYPTED in given and given[ENCRYPTED] is not None and driver != 'overlay':
        raise InvalidValue('encrypted: only overlay networks are encrypted; give driver: overlay with it')
    if driver == 'overlay' and given.get('scope') == 'local':
        raise InvalidValue('scope: an overlay network spans the swarm; its scope is swarm, not local')
    configs = (given.get('ipam') or {}).get('Config') or ()
    if any(ipaddress.ip_network(config['Subnet']).version == 6 for config in configs) and \
            not given.get('enable_ipv6'):
        raise InvalidValue('ipam.config: an IPv6 subnet needs enable_ipv6: true')


# ---- what uses a network ----

class ContainerUser(object):
    """A container of this engine attached to the network, with what reattaching it needs."""

    kind = 'container'

    def __init__(self, container_id, name, endpoint):
        self.id = container_id
        self.name = name
        self.endpoint = endpoint    # how it is connected again: Aliases, IPAMConfig (its fixed addresses)

    @property
    def addresses(self):
        ipam = self.endpoint.get('IPAMConfig') or {}
        return [ipam[key] for key in ('IPv4Address', 'IPv6Address') if ipam.get(key)]

    def report(self):
        entry = dict(type=self.kind, name=self.name, id=self.id)
        if self.endpoint.get('Aliases'):
            entry['aliases'] = list(self.endpoint['Aliases'])
        ipam = self.endpoint.get('IPAMConfig') or {}
        for key, option in (('IPv4Address', 'ipv4_address'), ('IPv6Address', 'ipv6_address')):
            if ipam.get(key):
                entry[option] = ipam[key]
        return entry

    def describe(self):
        extra = []
        report = self.report()
        if report.get('aliases'):
            extra.append('aliases %s' % ', '.join(report['aliases']))
        extra.extend(self.addresses)
        return 'container %s%s' % (self.name, ' (%s)' % '; '.join(extra) if extra else '')


class ServiceUser(object):
    """A swarm service whose spec names the network: where (TaskTemplate or the old Spec.Networks) and how."""

    kind = 'service'

    def __init__(self, service_id, name, attachments):
        self.id = service_id
        self.name = name
        self.attachments = attachments  # [(place, index, entry)]: place 'TaskTemplate' or 'Spec'

    def report(self):
        report = dict(type=self.kind, name=self.name, id=self.id)
        aliases = [alias for _place, _index, network in self.attachments for alias in network.get('Aliases') or ()]
        if aliases:
            report['aliases'] = aliases
        return report

    def describe(self):
        return 'service %s' % self.name


def container_user(inspect, network_id, network_name):
    """A :class:`ContainerUser` from a container's inspect (None for a service task's container)."""
    if TASK_LABEL in ((inspect.get('Config') or {}).get('Labels') or {}):
        return None
    networks = (inspect.get('NetworkSettings') or {}).get('Networks') or {}
    settings = networks.get(network_name)
    if settings is None:
        settings = next((entry for entry in networks.values() if entry.get('NetworkID') == network_id), {})
    container_id = inspect['Id']
    # The engine adds the short container ID as an alias by itself; it is not the user's.
    aliases = [alias for alias in settings.get('Aliases') or () if alias != container_id[:12]]
    endpoint = {}
    if aliases:
        endpoint['Aliases'] = aliases
    ipam = dict((key, value) for key, value in (settings.get('IPAMConfig') or {}).items() if value)
    if ipam:
        endpoint['IPAMConfig'] = ipam
    return ContainerUser(container_id, (inspect.get('Name') or container_id[:12]).lstrip('/'), endpoint)


def _network_entries(spec):
    for place, networks in (('TaskTemplate', (spec.get('TaskTemplate') or {}).get('Networks')),
                            ('Spec', spec.get('Networks'))):
        for index, entry in enumerate(networks or ()):
            yield place, index, entry


def service_user(service, network_id, network_name):
    """A :class:`ServiceUser` when the service's spec names the network (by ID or by name), else None."""
    spec = service.get('Spec') or {}
    attachments = [(place, index, copy.deepcopy(entry)) for place, index, entry in _network_entries(spec)
                   if entry.get('Target') in (network_id, network_name)]
    if not attachments:
        return None
    return ServiceUser(service['ID'], spec.get('Name') or service['ID'], attachments)


def spec_without_network(spec, targets):
    """A copy of a service spec without the network entries whose Target is one of ``targets``."""
    spec = copy.deepcopy(spec)
    task = spec.get('TaskTemplate') or {}
    if task.get('Networks'):
        task['Networks'] = [entry for entry in task['Networks'] if entry.get('Target') not in targets]
    if spec.get('Networks'):
        spec['Networks'] = [entry for entry in spec['Networks'] if entry.get('Target') not in targets]
    return spec


def spec_with_network(spec, attachments, target):
    """A copy of a service spec with ``attachments`` put back at their places, pointing at ``target``."""
    spec = copy.deepcopy(spec)
    for place, index, entry in attachments:
        holder = spec.setdefault('TaskTemplate', {}) if place == 'TaskTemplate' else spec
        networks = holder.setdefault('Networks', [])
        if any(existing.get('Target') == target for existing in networks):
            continue
        networks.insert(min(index, len(networks)), dict(entry, Target=target))
    return spec


class Users(object):
    """What uses a network: this engine's containers and the swarm's services."""

    def __init__(self, containers=(), services=()):
        self.containers = sorted(containers, key=lambda user: user.name)
        self.services = sorted(services, key=lambda user: user.name)

    def all(self):
        return self.containers + self.services

    def __bool__(self):
        return bool(self.containers or self.services)

    __nonzero__ = __bool__

    def describe(self):
        return ', '.join(user.describe() for user in self.all())

    def report(self):
        return [user.report() for user in self.all()]


# ---- plan: pure ----

class Context(object):
    """What the fields' comparison needs: the wanted network and the current inspect."""

    def __init__(self, wanted, current):
        self.wanted = wanted
        self.current = current


class NetworkPlan(Plan):
    """A plan with what uses the network (detached and reattached when ``force``)."""

    def __init__(self, name, action=UNCHANGED, changes=None, body=None, wanted=None, current=None, users=None,
                 reattach=None):
        super(NetworkPlan, self).__init__(name, action, changes, body, wanted, current)
        self.users = users if users is not None else Users()           # detached first
        self.reattach = reattach if reattach is not None else Users()  # attached to the new network

    @property
    def network_id(self):
        return (self.current or {}).get('Id')


def differences(wanted, current):
    """A :class:`ChangeSet` of every option given whose value differs from the network's."""
    changes = ChangeSet()
    ctx = Context(wanted, current)
    for field in FIELDS:
        if field.name not in wanted.wanted:
            continue
        want = field.compare_form(wanted.wanted[field.name], ctx)
        have = field.current(current, ctx)
        if want != have:
            changes.add(field.name, field.show(have), field.show(want))
    return changes


def kept_settings(current):
    """The create body of a network like ``current``: on a recreate, the options not given stay as they were."""
    driver = current.get('Driver')
    filled = ENGINE_FILLED_OPTIONS.get(driver, ())
    ipam = current.get('IPAM') or {}
    body = {'Driver': driver, 'Scope': current.get('Scope'), 'Attachable': bool(current.get('Attachable')),
            'Internal': bool(current.get('Internal')), 'EnableIPv6': bool(current.get('EnableIPv6')),
            'Labels': dict(current.get('Labels') or {}),
            'Options': dict((key, value) for key, value in (current.get('Options') or {}).items() if key not in filled),
            'IPAM': {'Driver': ipam.get('Driver') or 'default', 'Options': dict(ipam.get('Options') or {}),
                     'Config': [canonical_config(config) for config in ipam.get('Config') or ()]}}
    return dict((key, value) for key, value in body.items() if value is not None)


def restore_body(current):
    """The create body of the network ``current`` as it is (to put it back when a recreate fails)."""
    return dict(kept_settings(current), Name=current['Name'], CheckDuplicate=True)


def create_body(wanted, current=None):
    """The body of POST /networks/create: the options given, over the current network's own on a recreate.

    When the driver changes, only what does not belong to a driver is kept (labels, internal, attachable):
    another driver's scope, options and address pool would not fit.
    """
    given = wanted.wanted
    body = kept_settings(current) if current else {}
    if current and given.get('driver', current.get('Driver')) != current.get('Driver'):
        body = dict((key, body[key]) for key in ('Labels', 'Internal', 'Attachable') if key in body)
    body.update(Name=wanted.name, CheckDuplicate=True)
    for field in FIELDS:
        if field.name not in given or field.name in (ENCRYPTED, 'driver_options', 'ipam'):
            continue
        field.put(body, given[field.name])
    if 'driver_options' in given:
        encrypted = (body.get('Options') or {}).get(ENCRYPTED)
        body['Options'] = dict(given['driver_options'])
        if encrypted is not None:
            body['Options'][ENCRYPTED] = encrypted
    if ENCRYPTED in given:
        options = body.setdefault('Options', {})
        options.pop(ENCRYPTED, None)
        if given[ENCRYPTED] is not None:
            options[ENCRYPTED] = given[ENCRYPTED]
    if 'ipam' in given:
        body.setdefault('IPAM', {}).update(copy.deepcopy(given['ipam']))
    return body


def _created_changes(wanted):
    changes = ChangeSet()
    changes.add('exists', False, True)
    for field in FIELDS:
        if field.name in wanted.wanted:
            changes.add(field.name, None, field.show(wanted.wanted[field.name]))
    return changes


def reattached_users(users, body, swarm_scope):
    """(what is reattached to the network of ``body``, the fixed addresses its subnets do not hold).

    A container keeps its aliases and its addresses. On a swarm network the engine records the address
    it allocated as the container's own, so there an address outside the new subnets is dropped (the
    container gets a new one); on a local network it was given on purpose, and is reported.
    """
    subnets = [_loose_network(config.get('Subnet') or '') for config in (body.get('IPAM') or {}).get('Config') or ()]
    subnets = [subnet for subnet in subnets if subnet is not None]
    containers, outside = [], []
    for user in users.containers:
        endpoint = copy.deepcopy(user.endpoint)
        ipam = endpoint.get('IPAMConfig') or {}
        for key in ('IPv4Address', 'IPv6Address'):
            if not ipam.get(key):
                continue
            address = _loose_address(ipam[key])
            if address is not None and any(address.version == subnet.version and address in subnet
                                           for subnet in subnets):
                continue
            if swarm_scope:
                del ipam[key]
            else:
                outside.append('%s (%s)' % (user.name, ipam[key]))
        if 'IPAMConfig' in endpoint and not ipam:
            del endpoint['IPAMConfig']
        containers.append(ContainerUser(user.id, user.name, endpoint))
    return Users(containers, users.services), outside


def _loose_address(text):
    try:
        return ipaddress.ip_address(text.split('/')[0])
    except ValueError:
        return None


def plan_network(wanted, current, users=None, is_manager=True):
    """What to do about one network: a :class:`NetworkPlan`. Pure.

    ``current`` is the network's inspect (None when there is none); ``users`` what uses it (read only
    when it is to be removed or recreated); ``is_manager``: the engine is a swarm manager.
    Raises InvalidValue for a change that must not be made (nothing has been changed then).
    """
    name = wanted.name
    if current is None:
        if wanted.state == 'absent':
            return NetworkPlan(name, wanted=wanted)
        return NetworkPlan(name, 'created', _created_changes(wanted), body=create_body(wanted), wanted=wanted)
    if wanted.state == 'absent':
        changes = ChangeSet()
        changes.add('exists', True, False)
        action = 'removed'
    else:
        changes = differences(wanted, current)
        if not changes:
            return NetworkPlan(name, changes=changes, wanted=wanted, current=current)
        action = 'recreated'
    if current.get('Ingress') or name in PREDEFINED:
        raise InvalidValue('network %s is one the engine defines itself; it cannot be %s (%s differ)'
                           % (name, action, ', '.join(changes.keys())) if action == 'recreated' else
                           'network %s is one the engine defines itself; it cannot be removed' % name)
    if current.get('Scope') == 'swarm' and not is_manager:
        raise InvalidValue('network %s is a swarm network; it is %s on a swarm manager, and this engine is not one'
                           % (name, action))
    if users is None:
        raise DockerError('network %s: what uses it was not read (a bug in dockhand.docker; please report it)' % name)
    body = create_body(wanted, current) if action == 'recreated' else None
    what = 'must be recreated to change %s' % ', '.join(changes.keys()) if action == 'recreated' else 'is to be removed'
    if users and not wanted.force:
        raise InvalidValue(
            'network %s %s, but it is in use by %s; nothing was changed. Set force: true to detach them, %s'
            % (name, what, users.describe(), 'recreate the network and reattach them' if action == 'recreated'
               else 'then remove the network'))
    reattach = Users()
    if body is not None:
        reattach, outside = reattached_users(users, body, current.get('Scope') == 'swarm')
        if outside:
            raise InvalidValue('network %s %s, but the fixed addresses of %s would be outside its subnets; nothing '
                               'was changed. Give a subnet that holds them' % (name, what, ', '.join(outside)))
    if users:
        changes.add('detached', [], [user.describe() for user in users.all()])
    return NetworkPlan(name, action, changes, body=body, wanted=wanted, current=current, users=users,
                       reattach=reattach)


# ---- the resource ----

class Networks(Resource):
    """Plans and applies a batch of networks on one engine; nothing changes unless every plan may be made."""

    form = FORM
    all_or_nothing = True
    parallel_apply = False  # recreations may detach the same container or service

    def __init__(self, client, check_mode, diff=False, wait_timeout=DEFAULT_WAIT_TIMEOUT, sleep=time.sleep):
        super(Networks, self).__init__(client, check_mode, diff=diff)
        if isinstance(wait_timeout, bool) or not isinstance(wait_timeout, int) or wait_timeout <= 0:
            raise InvalidValue('wait_timeout: %s is not a number of seconds; give a whole number above 0'
                               % _shown(wait_timeout))
        self.wait_timeout = wait_timeout
        self.swarm = None
        self._sleep = sleep

    @property
    def is_manager(self):
        return bool(self.swarm and self.swarm['is_manager'])

    def prepare(self, items):
        wanted = [parse_network(item, label) for label, item in items]
        self.swarm = swarm_facts(self.client.info())
        for one in wanted:
            if one.needs_swarm and not self.is_manager:
                state = self.swarm['state']
                role = 'a swarm worker' if state == 'active' else 'not in a swarm (%s)' % state
                raise InvalidValue('%s: an overlay network is made on a swarm manager, and this engine is %s; run the '
                                   'task on a manager (dockhand.docker.swarm makes one)' % (one.label, role))
        return wanted

    def read(self, wanted):
        current = self.inspect(wanted.name)
        if current is not None and current.get('Name') != wanted.name:
            current = None  # the engine matched the name as the start of another network's ID
        users = None
        if current is not None and (wanted.state == 'absent' or differences(wanted, current)):
            users = self.users(current)
        return current, users

    def inspect(self, name):
        """The network called ``name`` (None when there is none).

        Just after a swarm network was recreated, a node that ran tasks on the old one keeps its copy of
        it for a while (seen for 5 to 30 s), and the engine calls the name ambiguous: wait, up to
        wait_timeout, until only the new one is left. Two networks of one name in different scopes
        (a local one and a swarm one) stay so: that fails at once.
        """
        deadline = time.time() + self.wait_timeout
        while True:
            try:
                return self.client.call_or_none('inspect network %s' % name, 'inspect_network', name)
            except DockerError as exc:
                if 'ambiguous' not in exc.msg:
                    raise
            same = [network for network in self.client.call('list the networks', 'networks', names=[name])
                    if network.get('Name') == name]
            if set(network.get('Scope') for network in same) != {'swarm'}:
                raise DockerError('there are %d networks called %s (%s); a task names a network by its name: remove '
                                  'the one that is not wanted' % (len(same), name, ', '.join(sorted(
                                      '%s %s' % (network.get('Scope'), network.get('Id')) for network in same))))
            if time.time() > deadline:
                raise DockerError('network %s is still ambiguous after %d s: %d swarm networks have that name here '
                                  '(an old one not yet cleaned up on this node?)' % (name, self.wait_timeout,
                                                                                     len(same)))
            self._sleep(1)

    def users(self, network):
        """This engine's containers on ``network`` and the swarm services whose spec names it."""
        network_id, name = network['Id'], network['Name']
        containers = []
        for container_id in sorted(network.get('Containers') or {}):
            if not _CONTAINER_ID.match(container_id):
                continue  # the load balancer's and the ingress sandbox's endpoints
            inspect = self.client.call_or_none('inspect container %s' % container_id, 'inspect_container',
                                               container_id)
            user = container_user(inspect, network_id, name) if inspect else None
            if user is not None:
                containers.append(user)
        services = []
        if network.get('Scope') == 'swarm' and self.is_manager:
            for service in self.client.call('list the services', 'services'):
                user = service_user(service, network_id, name)
                if user is not None:
                    services.append(user)
        return Users(containers, services)

    def plan(self, wanted, current):
        network, users = current
        return plan_network(wanted, network, users, self.is_manager)

    def result(self, plan):
        result = super(Networks, self).result(plan)
        result['id'] = plan.network_id if plan.action != 'removed' else None
        if plan.action == 'created':
            result['id'] = None
        result['detached'] = plan.users.report()
        result['reattached'] = plan.reattach.report()
        return result

    # ---- apply ----

    def apply(self, plan):
        if plan.action == 'created':
            return dict(id=self._create(plan.name, plan.body))
        detached = self._detach(plan)
        try:
            self._remove(plan.name, plan.network_id, plan.users)
        except DockerError as exc:
            back = self._reattach(plan.users, plan.network_id, detached)
            raise DockerError('%s; the network stays as it was%s' % (exc.msg, _reattached_note(back)),
                              detached=detached, reattached=back['done'])
        if plan.action == 'removed':
            return dict(id=None, detached=detached, reattached=[])
        try:
            new_id = self._create(plan.name, plan.body, after_removal=True)
        except DockerError as exc:
            old_id = self._create(plan.name, restore_body(plan.current), after_removal=True)
            back = self._reattach(plan.users, old_id, detached)
            raise DockerError('%s; the network was created again as it was (ID %s)%s' % (
                exc.msg, old_id, _reattached_note(back)), id=old_id, detached=detached, reattached=back['done'])
        back = self._reattach(plan.reattach, new_id, detached)
        if back['failed']:
            raise DockerError('network %s was recreated (ID %s), but reattaching failed: %s' % (
                plan.name, new_id, '; '.join(back['failed'])), id=new_id, detached=detached, reattached=back['done'])
        return dict(id=new_id, detached=detached, reattached=back['done'])

    def _create(self, name, body, after_removal=False):
        """Create the network; just after the old one of that name was removed, a node that ran tasks
        on it may still hold its copy for a few seconds, and the engine then refuses the name as
        taken: that is waited out, up to wait_timeout."""
        deadline = time.time() + self.wait_timeout
        while True:
            try:
                created = self.client.post_json('create network %s' % name, '/networks/create', [], body)
                return created['Id']
            except DockerError as exc:
                if not after_removal or 'already exists' not in exc.msg or time.time() > deadline:
                    raise
            self._sleep(1)

    def _detach(self, plan):
        detached = []
        for user in plan.users.containers:
            self.client.call('disconnect container %s from network %s' % (user.name, plan.name),
                             'disconnect_container_from_network', user.id, plan.network_id)
            detached.append(user.report())
        targets = (plan.network_id, plan.name)
        for user in plan.users.services:
            self._update_service(user, lambda spec: spec_without_network(spec, targets))
            detached.append(user.report())
        return detached

    def _update_service(self, user, change):
        service = self.client.call('inspect service %s' % user.name, 'inspect_service', user.id)
        self.client.post_json('update service %s' % user.name, '/services/{0}/update?version={1}',
                              [service['ID'], str(service['Version']['Index'])], change(service['Spec']))

    def _remove(self, name, network_id, users):
        """Remove the network. While what was detached still holds it (a service's old tasks shutting
        down), try again until wait_timeout; something else holding it (a container of another node on
        an attachable overlay, which this engine cannot disconnect) fails at once, naming it."""
        ours = set(user.id for user in users.all())
        deadline = time.time() + self.wait_timeout
        while True:
            try:
                self.client.call('remove network %s' % name, 'remove_network', network_id)
                return
            except DockerError as exc:
                if not any(text in exc.msg for text in _IN_USE):
                    raise
                holder = self._holder(exc.msg)
                if holder is not None and holder[0] not in ours:
                    raise DockerError('network %s is in use by %s, which this task did not detach; disconnect it '
                                      'first' % (name, holder[1]))
                if not ours or time.time() > deadline:
                    raise
                self._sleep(0.5)

    def _holder(self, message):
        """(ID of what it belongs to, its description) of the task or service the engine names as using the
        network; None when the message names none or the task is gone."""
        match = _IN_USE_BY.search(message)
        if match is None:
            return None
        kind, ident = match.groups()
        if kind == 'service':
            return ident, 'service %s' % ident
        task = self.client.call_or_none('inspect task %s' % ident, 'inspect_task', ident)
        if task is None:
            return None
        if task.get('ServiceID'):
            return task['ServiceID'], 'a task of service %s' % task['ServiceID']
        container = ((task.get('Spec') or {}).get('NetworkAttachmentSpec') or {}).get('ContainerID') or ''
        node = self.client.call_or_none('inspect node %s' % task.get('NodeID'), 'inspect_node', task.get('NodeID'))
        hostname = ((node or {}).get('Description') or {}).get('Hostname') or task.get('NodeID')
        return container, 'container %s on node %s' % (container[:12] or ident, hostname)

    def _reattach(self, users, network_id, detached):
        """Connect the detached containers and put the network back into the detached services' specs."""
        done, failed = [], []
        ids = set(entry['id'] for entry in detached)
        for user in users.all():
            if user.id not in ids:
                continue
            try:
                if user.kind == 'container':
                    ipam = user.endpoint.get('IPAMConfig') or {}
                    self.client.call('connect container %s to network %s' % (user.name, network_id),
                                     'connect_container_to_network', user.id, network_id,
                                     aliases=user.endpoint.get('Aliases') or None,
                                     ipv4_address=ipam.get('IPv4Address'), ipv6_address=ipam.get('IPv6Address'),
                                     link_local_ips=ipam.get('LinkLocalIPs') or None)
                else:
                    self._update_service(user, lambda spec, user=user: spec_with_network(
                        spec, user.attachments, network_id))
                done.append(user.report())
            except DockerError as exc:
                failed.append('%s: %s' % (user.describe(), exc.msg))
        return dict(done=done, failed=failed)


def _reattached_note(back):
    note = ''
    if back['done']:
        note += '; reattached %s' % ', '.join('%s %s' % (entry['type'], entry['name']) for entry in back['done'])
    if back['failed']:
        note += '; reattaching failed for %s' % '; '.join(back['failed'])
    return note


def plan_items(client, items):
    """What the network module would do with these items, in check mode (engine_info's plan_networks):
    ``actions`` has each network's name and action."""
    def summary(results):
        return dict(actions=dict((result['name'], result['action']) for result in results))
    return preflight_plan(Networks(client, check_mode=True), items, summary)
