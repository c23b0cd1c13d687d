#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: engine_info
short_description: Report what a Docker engine is and what it runs
description:
  - Reports what C(docker version) and C(docker info) tell an operator about one Docker engine,
    in a stable, flat shape meant for preflight checks and conditionals.
  - Changes nothing; always reports C(changed=false).
  - Always reports RV(checks), the facts a preflight needs to find hazards before a change (the
    clocks, the engine version, C(live-restore), the swarm node certificate's expiry); with
    O(probe_ports), also whether this host reaches the swarm's ports of the other members.
  - On a local socket without TLS (the default O(docker_host)), the reads go to the engine with
    Python's standard library, at the API version the Docker SDK would speak; the SDK must still
    be installed (its absence fails the task, so that the P(dockhand.docker.docker_host#role) role
    installs it), but is imported only for a read the module cannot make itself. This keeps the
    per-host cost of the site's preflight low.
author:
  - dockhand.docker maintainers (@dockhand)
version_added: 0.1.0
extends_documentation_fragment:
  - dockhand.docker.connection
  - dockhand.docker.connection.ATTRIBUTES
  - dockhand.docker.connection.INFO_ATTRIBUTES
options:
  raw:
    description:
      - Also return the engine's unprocessed C(info) and C(version) answers as RV(info) and RV(version).
    type: bool
    default: false
  swarm_info:
    description:
      - Also return what M(dockhand.docker.swarm_info) returns (without join tokens or unlock key)
        as RV(swarm_info), from the same engine read; one call instead of two when a play needs both.
    type: bool
    default: false
  probe_ports:
    description:
      - TCP ports to connect to from the managed host, reported in RV(checks.ports); nothing is sent
        over a connection, it is closed once made.
      - The connects run in parallel threads, at most 32 at once; a port that does not answer
        within 3 seconds counts as blocked (a LAN answers in milliseconds, and 3 s covers one lost SYN).
        A refused connect is tried twice more, 1.5 s apart, since an engine that restarts its swarm
        components closes its ports for a moment.
      - When this host is a swarm member, each manager its engine knows (C(Swarm.RemoteManagers)
        of C(docker info)) is probed on its swarm port too, unless listed here already.
      - The P(dockhand.docker.docker_host#role) role and C(dockhand.docker.site) pass every
        manager's C(2377) and every other member's C(7946), from the inventory.
      - An empty list probes only the managers the engine knows.
    type: list
    elements: dict
    suboptions:
      address:
        description: Host name or IP address to connect to.
        type: str
        required: true
      port:
        description: TCP port.
        type: int
        required: true
      proto:
        description: Only C(tcp) is probed (the swarm's UDP ports cannot be tested by a connect).
        type: str
        choices: [tcp]
        default: tcp
  controller_time:
    description:
      - The controller's clock when the task was sent, in seconds since the epoch, as
        C({{ now().timestamp() }}) gives it; returned in RV(checks.clock.controller_time).
      - With the controller's clock after the task, it brackets the moment the engine was read, so a
        comparison of the clocks (the P(dockhand.docker.docker_host#role) role's hazard check) cannot
        blame a host for the time the task took.
    type: float
  plan_daemon_config:
    description:
      - Also tell whether M(dockhand.docker.daemon_config) with these options would change the
        file, as RV(daemon_config_plan). The module's own checks and comparison run on the file as
        it is now; nothing is written.
      - Takes the options of M(dockhand.docker.daemon_config) that decide the content (C(path),
        C(settings), C(remove), C(log_driver), C(log_opts), C(allow_unknown_keys), C(force)); an
        empty C(log_driver) or C(log_opts) means not managed, as when a task omits them.
      - For a preflight read that lets a later task skip the module when the file is already as
        wanted (the P(dockhand.docker.docker_host#role) role does so).
      - Bad options are not an error here; RV(daemon_config_plan.error) says what is wrong.
    type: dict
  plan_images:
    description:
      - Also tell what M(dockhand.docker.image) would do with these items as its
        O(dockhand.docker.image#module:images), as RV(images_plan). The module's own code runs,
        in check mode. Build inputs are compared with the image's, registries are asked (with the
        credentials stored on the host) what they hold, and nothing is built, tagged or pushed.
      - For a preflight read that lets a later task skip the image module when every image is
        already as wanted (the P(dockhand.docker.images#role) role does so with C(images_preread_var)).
      - Bad items or an unreachable registry are not an error here; RV(images_plan.error) says what is wrong.
    type: list
    elements: dict
  plan_containers:
    description:
      - Also tell what M(dockhand.docker.container) would do with these items as its
        O(dockhand.docker.container#module:containers), as RV(containers_plan). The module's own
        planning code runs, in check mode, so nothing is pulled, created or changed.
      - For a preflight read that lets a later task skip the container module when every
        container is already as wanted (the P(dockhand.docker.containers#role) role does so with
        C(containers_preread_var)).
      - Bad items are not an error here; RV(containers_plan.error) says what is wrong.
    type: list
    elements: dict
  plan_networks:
    description:
      - Also tell what M(dockhand.docker.network) would do with these items as its
        O(dockhand.docker.network#module:networks), as RV(networks_plan); nothing is created.
    type: list
    elements: dict
  plan_secrets:
    description:
      - Also tell what M(dockhand.docker.secret) would do with these items as its
        O(dockhand.docker.secret#module:secrets), as RV(secrets_plan), on a swarm manager; nothing is
        created. The items' C(data) is masked in the task's invocation and left out of the plan's digest.
    type: list
    elements: dict
  plan_configs:
    description:
      - Also tell what M(dockhand.docker.config) would do with these items, as RV(configs_plan).
    type: list
    elements: dict
  plan_services:
    description:
      - Also tell what M(dockhand.docker.service) would do with these items as its
        O(dockhand.docker.service#module:services), as RV(services_plan), on a swarm manager. The
        module's own planning code runs in check mode (images are resolved in their registries);
        nothing is created or updated.
      - For a preflight read that lets a later task skip the service module (the
        P(dockhand.docker.services#role) role does so with C(services_preread_var)).
      - Bad items are not an error here; RV(services_plan.error) says what is wrong.
    type: list
    elements: dict
'''

EXAMPLES = r'''
- name: Read the engine's facts
  dockhand.docker.engine_info:
  register: docker_engine

- name: Refuse engines older than 20.10
  ansible.builtin.assert:
    that: docker_engine.engine.server_version is version('20.10', '>=')
    fail_msg: "{{ inventory_hostname }} runs Docker {{ docker_engine.engine.server_version }}"

- name: Read the engine, and find out whether daemon.json already has the wanted logging driver
  dockhand.docker.engine_info:
    plan_daemon_config:
      log_driver: local
      log_opts: {max-size: 10m}
  register: docker_engine

- name: Set it only when it does not
  dockhand.docker.daemon_config:
    log_driver: local
    log_opts: {max-size: 10m}
  when: not docker_engine.daemon_config_plan.in_sync

- name: Read the engine, and whether this host reaches the managers' swarm port
  dockhand.docker.engine_info:
    controller_time: "{{ now().timestamp() }}"
    probe_ports:
      - {address: 10.0.0.11, port: 2377}
      - {address: 10.0.0.12, port: 2377}
  register: docker_engine

- name: Stop when a manager cannot be reached
  ansible.builtin.assert:
    that: docker_engine.checks.ports | rejectattr('open') | list | length == 0
    fail_msg: >-
      {{ docker_engine.checks.ports | rejectattr('open') | map(attribute='address') | join(', ') }} not reachable

- name: Talk to a remote engine over TLS
  dockhand.docker.engine_info:
    docker_host: tcp://docker1.example.com:2376
    validate_certs: true
    ca_path: /etc/docker/certs/ca.pem
    client_cert: /etc/docker/certs/cert.pem
    client_key: /etc/docker/certs/key.pem
'''

RETURN = r'''
engine:
  description: The engine's facts.
  returned: success
  type: dict
  contains:
    docker_host:
      description: The engine address that was used.
      type: str
      sample: unix:///var/run/docker.sock
    name:
      description: Host name the engine reports.
      type: str
      sample: node1
    id:
      description: The engine's ID.
      type: str
    server_version:
      description: Docker engine version.
      type: str
      sample: 20.10.24
    api_version:
      description: Highest API version the engine supports.
      type: str
      sample: '1.41'
    min_api_version:
      description: Lowest API version the engine supports.
      type: str
      sample: '1.12'
    api_version_used:
      description: API version this module spoke (the lower of the engine's and the Docker SDK's, or O(api_version)).
      type: str
      sample: '1.41'
    sdk_version:
      description: Version of the Docker SDK for Python on the managed host.
      type: str
      sample: 5.0.3
    os:
      description: Operating system type of the engine (C(linux) or C(windows)).
      type: str
      sample: linux
    arch:
      description: Architecture in Go's notation.
      type: str
      sample: amd64
    operating_system:
      description: Distribution the engine runs on.
      type: str
      sample: Debian GNU/Linux 12 (bookworm)
    kernel_version:
      description: Kernel release.
      type: str
    storage_driver:
      description: Storage driver for images and containers.
      type: str
      sample: overlay2
    docker_root_dir:
      description: The engine's data directory.
      type: str
      sample: /var/lib/docker
    logging_driver:
      description: Default logging driver for new containers.
      type: str
      sample: json-file
    log_drivers:
      description: Logging drivers the engine offers, built in and from plugins.
      type: list
      elements: str
      sample: [awslogs, fluentd, gcplogs, gelf, journald, json-file, local, logentries, splunk, syslog]
    cgroup_driver:
      description: C(cgroupfs) or C(systemd).
      type: str
      sample: cgroupfs
    cgroup_version:
      description: C(1) or C(2); null when the engine is too old to say.
      type: str
      sample: '1'
    cpus:
      description: CPUs the engine sees.
      type: int
      sample: 2
    memory_bytes:
      description: Memory the engine sees, in bytes.
      type: int
      sample: 25225019392
    live_restore:
      description: Whether containers keep running while the engine restarts.
      type: bool
    containers:
      description: Container counts.
      type: dict
      contains:
        total:
          description: All containers.
          type: int
        running:
          description: Running containers.
          type: int
        paused:
          description: Paused containers.
          type: int
        stopped:
          description: Stopped containers.
          type: int
    images:
      description: Number of images.
      type: int
    swarm:
      description: The engine's part in a swarm.
      type: dict
      contains:
        state:
          description: C(inactive), C(pending), C(active), C(locked) or C(error).
          type: str
          sample: active
        node_id:
          description: This node's ID; empty when not in a swarm.
          type: str
        node_address:
          description: Address this node is known by in the swarm.
          type: str
        is_manager:
          description: Whether this node is a manager.
          type: bool
        cluster_id:
          description: The swarm's ID; only managers know it, null elsewhere.
          type: str
        managers:
          description: Number of managers (as seen by a manager).
          type: int
        nodes:
          description: Number of nodes (as seen by a manager).
          type: int
        error:
          description: The engine's swarm error text, if any.
          type: str
    host:
      description:
        - How the engine is run on the host the module runs on. Only when O(docker_host) is a
          local socket (C(unix://)); null for a remote engine.
      type: dict
      contains:
        init_system:
          description: C(systemd) when systemd runs the host, else C(sysv) (init scripts).
          type: str
        service_enabled:
          description:
            - Whether the C(docker) service starts at boot (a systemd C(multi-user.target) want,
              or an rc start link).
          type: bool
        restart_pending:
          description:
            - Whether C(/var/lib/dockhand/restart-pending) is there - the mark P(dockhand.docker.docker_host#role)
              leaves between changing the engine's configuration and restarting it, so that a run that
              stopped in between is finished by the next one.
          type: bool
        tls_listener_opened:
          description:
            - Whether C(/var/lib/dockhand/docker_host/tls-listener) is there - the mark
              P(dockhand.docker.docker_host#role) leaves when it opens the TLS listener, so that turning
              the listener off takes away what it opened.
          type: bool
        package:
          description:
            - The engine's Debian package (C(docker.io)) as dpkg has it installed, read from
              C(/var/lib/dpkg/status); null when it is not installed (another package, or not a
              Debian-like host).
          type: dict
          contains:
            name:
              description: The package's name.
              type: str
              sample: docker.io
            version:
              description: Its installed Debian version.
              type: str
              sample: 20.10.24+dfsg1-1+deb12u1+b6
            held:
              description: Whether it is on hold (C(apt-mark hold)), so that upgrades leave it alone.
              type: bool
checks:
  description: What a preflight needs to find hazards before any change.
  returned: success
  type: dict
  contains:
    engine_version:
      description: Docker engine version.
      type: str
      sample: 20.10.24
    live_restore:
      description: Whether the engine runs with C(live-restore) (which swarm mode refuses).
      type: bool
    swarm_state:
      description: C(inactive), C(pending), C(active), C(locked) or C(error).
      type: str
    is_manager:
      description: Whether this node is a swarm manager.
      type: bool
    node_address:
      description: Address this node is known by in the swarm; empty when not in a swarm.
      type: str
    clock:
      description: The clocks, read with the engine.
      type: dict
      contains:
        engine_system_time:
          description: The engine's clock (C(SystemTime) of C(docker info)), as it wrote it.
          type: str
          sample: '2026-03-01T12:00:00.123456789Z'
        engine_time:
          description: The engine's clock in seconds since the epoch; null when it gave none.
          type: float
        host_time:
          description: The managed host's clock when the engine was read, in seconds since the epoch.
          type: float
        controller_time:
          description: O(controller_time) as given; null without it.
          type: float
    swarm_cert:
      description:
        - The swarm node certificate (C(<DockerRootDir>/swarm/certificates/swarm-node.crt)); null when
          the engine is not in a swarm, has no such file or is not on this host (O(docker_host) not C(unix://)).
      type: dict
      contains:
        path:
          description: The certificate file.
          type: str
        not_after:
          description: When it expires (UTC, ISO 8601); null when it could not be read.
          type: str
          sample: '2026-06-01T12:00:00Z'
        days_left:
          description: Days until it expires by the host's clock (negative when it has expired).
          type: float
          sample: 89.5
        error:
          description: Why it could not be read; null when it was.
          type: str
    ports:
      description: Each port probed (O(probe_ports) and the managers the engine knows); null without O(probe_ports).
      type: list
      elements: dict
      contains:
        address:
          description: The address connected to.
          type: str
        port:
          description: The port.
          type: int
        proto:
          description: C(tcp).
          type: str
        source:
          description: C(given) (from O(probe_ports)) or C(swarm) (a manager the engine knows).
          type: str
        open:
          description: Whether the connect succeeded.
          type: bool
        error:
          description: Why it did not (C(connection refused), C(no answer within 3 s)...); null when open.
          type: str
    ports_seconds:
      description: How long the probes took, in seconds.
      returned: when O(probe_ports) is given
      type: float
swarm_info:
  description:
    - The result M(dockhand.docker.swarm_info) would give (C(state), C(is_manager), C(node_id),
      and on a manager C(swarm), C(nodes), C(quorum)).
  returned: when O(swarm_info=true)
  type: dict
daemon_config_plan:
  description: What M(dockhand.docker.daemon_config) would do with O(plan_daemon_config).
  returned: when O(plan_daemon_config) is given
  type: dict
  contains:
    in_sync:
      description: Whether the file would stay as it is, with no warning to give.
      type: bool
    changed_keys:
      description: The keys the module would change.
      type: list
      elements: str
      sample: [log-driver, log-opts]
    error:
      description: Why the options could not be planned (bad options, an unreadable file); null when they could.
      type: str
    options_digest:
      description:
        - Identifies the options planned, so a later task can check it has the same ones - the
          SHA-256 of their compact, key-sorted JSON, as
          C(options | to_json(sort_keys=true, separators=[',', ':']) | hash('sha256')) gives on the controller.
      type: str
images_plan:
  description: What M(dockhand.docker.image) would do with O(plan_images).
  returned: when O(plan_images) is given
  type: dict
  contains:
    in_sync:
      description: Whether no image would change, with no warning to give.
      type: bool
    actions:
      description: Each image's name and the actions the module would take for it (empty when none).
      type: dict
      sample: {127.0.0.1:5000/team/app:1.4: [built, pushed 127.0.0.1:5000/team/app:1.4]}
    pushed:
      description: References to push, each with the digest its registry holds now.
      type: list
      elements: dict
      contains:
        ref:
          description: The reference.
          type: str
        digest:
          description: Manifest digest the registry holds for it; null when a push is due.
          type: str
        pushed:
          description: Whether the module would push it.
          type: bool
    error:
      description: Why the items could not be planned (bad input, a failed read); null when they could.
      type: str
    items_digest:
      description: Identifies the items planned, as RV(containers_plan.items_digest) does.
      type: str
containers_plan:
  description: What M(dockhand.docker.container) would do with O(plan_containers).
  returned: when O(plan_containers) is given
  type: dict
  contains:
    in_sync:
      description: Whether every container would stay unchanged, with no warning to give.
      type: bool
    actions:
      description: Each container's name and the action the module would report for it.
      type: dict
      sample: {web: unchanged, worker: updated}
    error:
      description: Why the items could not be planned (bad input, a failed read); null when they could.
      type: str
    items_digest:
      description:
        - Identifies the items planned, so a later task can check it has the same ones - the SHA-256
          of their compact, key-sorted JSON, as
          C(items | to_json(sort_keys=true, separators=[',', ':']) | hash('sha256')) gives on the controller.
      type: str
networks_plan:
  description:
    - What M(dockhand.docker.network) would do with O(plan_networks) - C(in_sync), C(actions) (each network's
      name and action), C(error), C(items_digest).
  returned: when O(plan_networks) is given
  type: dict
secrets_plan:
  description:
    - What M(dockhand.docker.secret) would do with O(plan_secrets) - C(in_sync), C(actions), C(error), C(items_digest).
  returned: when O(plan_secrets) is given
  type: dict
configs_plan:
  description: What M(dockhand.docker.config) would do with O(plan_configs), as RV(secrets_plan).
  returned: when O(plan_configs) is given
  type: dict
services_plan:
  description: What M(dockhand.docker.service) would do with O(plan_services).
  returned: when O(plan_services) is given
  type: dict
  contains:
    in_sync:
      description: Whether every service would stay unchanged, with no warning to give.
      type: bool
    actions:
      description: Each service's name and the action the module would report for it.
      type: dict
      sample: {web: unchanged}
    services:
      description:
        - Each existing service's C(name), C(image), C(converged) (C(running) of C(desired) tasks) and C(limits).
      type: list
      elements: dict
    error:
      description: Why the items could not be planned; null when they could.
      type: str
    items_digest:
      description: Identifies the items planned, as RV(containers_plan.items_digest) does.
      type: str
info:
  description: The engine's unprocessed C(GET /info) answer.
  returned: when O(raw=true)
  type: dict
version:
  description: The engine's unprocessed C(GET /version) answer.
  returned: when O(raw=true)
  type: dict
'''

from ansible_collections.dockhand.docker.plugins.module_utils import bytecode_cache  # noqa: F401 pylint: disable=unused-import
from ansible_collections.dockhand.docker.plugins.module_utils.daemon_config import masked_options, plan_options
from ansible_collections.dockhand.docker.plugins.module_utils.engine import engine_facts
from ansible_collections.dockhand.docker.plugins.module_utils.engine_checks import read_checks
from ansible_collections.dockhand.docker.plugins.module_utils.module import DockhandModule
from ansible_collections.dockhand.docker.plugins.module_utils.swarm import read_swarm


# Each planner is imported only where its plan is asked for: site.yml reads every host with this
# module, most hosts plan one or two kinds, and importing them all is a good part of a re-run's
# time on a small host. Ansible still ships them (it finds imports inside functions too).
def _images():
    from ansible_collections.dockhand.docker.plugins.module_utils import images
    return images


def _containers():
    from ansible_collections.dockhand.docker.plugins.module_utils import containers
    return containers


def _networks():
    from ansible_collections.dockhand.docker.plugins.module_utils import networks
    return networks


def _swarm_objects():
    from ansible_collections.dockhand.docker.plugins.module_utils import swarm_objects
    return swarm_objects


def _services():
    from ansible_collections.dockhand.docker.plugins.module_utils import services
    return services


def gather(module):
    client = module.client
    info, version = client.info(), client.version()
    result = dict(engine=engine_facts(info, version, client),
                  checks=read_checks(info, version, client.docker_host.startswith('unix://'),
                                     wanted_ports=module.params['probe_ports'],
                                     controller_time=module.params['controller_time']))
    if module.params['swarm_info']:
        result['swarm_info'] = read_swarm(client, info)
    if module.params['plan_daemon_config'] is not None:
        result['daemon_config_plan'] = plan_options(module.params['plan_daemon_config'])
    if module.params['plan_images'] is not None:
        result['images_plan'] = _images().plan_items(client, module.params['plan_images'])
    if module.params['plan_containers'] is not None:
        result['containers_plan'] = _containers().plan_items(client, module.params['plan_containers'])
    if module.params['plan_networks'] is not None:
        result['networks_plan'] = _networks().plan_items(client, module.params['plan_networks'])
    for kind in ('secret', 'config'):
        if module.params['plan_%ss' % kind] is not None:
            result['%ss_plan' % kind] = _swarm_objects().plan_items(client, kind, module.params['plan_%ss' % kind])
    if module.params['plan_services'] is not None:
        result['services_plan'] = _services().plan_items(client, module.params['plan_services'])
    if module.params['raw']:
        result.update(info=info, version=version)
    return result


def masked_params(params):
    """The options and items the plans are given, with their secrets masked (env values, build args, tokens)."""
    masked = dict(params)
    for option, planner in (('plan_containers', _containers), ('plan_images', _images), ('plan_services', _services)):
        if isinstance(params.get(option), list):
            masked[option] = [planner().masked_item(item) for item in params[option]]
    if params.get('plan_daemon_config') is not None:
        masked['plan_daemon_config'] = masked_options(params['plan_daemon_config'])
    for option, kind in (('plan_secrets', 'secrets'), ('plan_configs', 'configs')):
        if isinstance(params.get(option), list):
            masked[option] = _swarm_objects().masked_params({kind: params[option]})[kind]
    return masked


def main():
    module = DockhandModule(masked_params=masked_params, read_only=True,
                            argument_spec=dict(raw=dict(type='bool', default=False),
                                               swarm_info=dict(type='bool', default=False),
                                               probe_ports=dict(type='list', elements='dict', options=dict(
                                                   address=dict(type='str', required=True),
                                                   port=dict(type='int', required=True),
                                                   proto=dict(type='str', choices=['tcp'], default='tcp'))),
                                               controller_time=dict(type='float'),
                                               plan_daemon_config=dict(type='dict'),
                                               plan_images=dict(type='list', elements='dict'),
                                               plan_containers=dict(type='list', elements='dict'),
                                               plan_networks=dict(type='list', elements='dict'),
                                               plan_secrets=dict(type='list', elements='dict', no_log=False),
                                               plan_configs=dict(type='list', elements='dict'),
                                               plan_services=dict(type='list', elements='dict')),
                            supports_check_mode=True)
    module.run(gather)


if __name__ == '__main__':
    main()
