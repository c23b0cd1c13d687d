#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: service
short_description: Converge one or many swarm services, updated in place and rolled out
description:
  - Creates, updates and removes services of the swarm the engine manages (run it on a manager).
  - The image is resolved to the digest its registry holds and pinned as C(REF:TAG@sha256:...),
    the way C(docker service create) does; an image the registry cannot resolve fails the task,
    naming it, unless O(resolve_image=never).
  - Only the options given are compared with the service's spec, after normalising (units, the
    values the engine fills in, the pinned digest); dictionary options (O(limits), O(placement),
    O(update_config), ...) key by key. A difference updates the service in place at its
    current version (its tasks roll per O(update_config)); nothing different means no write,
    C(changed=false) and the same tasks. O(force_update=true) redeploys on purpose.
  - With O(wait=true) the task waits until the rollout is done, by the rule the docker CLI uses
    - every slot runs a task of the new spec (replicated), one per eligible node (global), or
    every job task completed (jobs), leaving out nodes that are down - and then for the
    update's monitor period. A rollout that fails names every failed task, its node and the
    engine's error; one that rolled back (O(update_config.failure_action=rollback)) says so
    and fails.
  - With O(services), one task converges many services, O(parallel) at a time; options at the
    top level are defaults for every item. All input is validated before anything changes.
author:
  - dockhand.docker maintainers (@dockhand)
version_added: 0.1.0
extends_documentation_fragment:
  - dockhand.docker.connection
  - dockhand.docker.connection.ATTRIBUTES
options:
  name:
    description: Name of the service. Mutually exclusive with O(services); one of them is required.
    type: str
  services:
    description:
      - Many services in one task. Each item takes the options of this module (all but O(services) and
        O(parallel)); C(name) is required in every item and names must be unique.
      - Options given at the top level of the task are defaults for every item.
    type: list
    elements: dict
  parallel:
    description: How many services of O(services) are worked on (and waited for) at the same time.
    type: int
    default: 4
  state:
    description:
      - V(present) the service exists with the options given.
      - V(absent) it is removed (with O(wait=true), the task waits until its tasks are gone).
    type: str
    choices: [present, absent]
    default: present
  image:
    description: Image reference, such as V(registry.example.com/team/web:1.4). Required unless O(state=absent).
    type: str
  resolve_image:
    description:
      - V(always) resolves the image to the digest its registry holds (through the engine, with the
        credentials the docker CLI would use) and pins it; the registry must have it.
      - V(never) uses the reference as given, for an image that exists only in the nodes' own stores
        (as C(docker service create --no-resolve-image)).
    type: str
    choices: [always, never]
    default: always
  with_registry_auth:
    description:
      - Send the registry credentials with the request, so that nodes can pull a private image.
      - Unset, they are sent when there are any (O(registry_auth), or the client's C(config.json)).
    type: bool
  registry_auth:
    description: Credentials for the image's registry, instead of the client's C(config.json).
    type: dict
    suboptions:
      username:
        description: The user name.
        type: str
        required: true
      password:
        description: The password or token. Never shown.
        type: str
        required: true
  mode:
    description:
      - V(replicated) runs O(replicas) tasks; V(global) one on every eligible node; V(replicated-job)
        runs O(replicas) tasks to completion, O(max_concurrent) at a time; V(global-job) one to
        completion on every eligible node.
      - The mode of an existing service cannot change; the task fails saying so.
    type: str
    choices: [replicated, global, replicated-job, global-job]
    default: replicated
  replicas:
    description: Tasks of a V(replicated) service (default 1), or completions of a V(replicated-job).
    type: int
  max_concurrent:
    description: Tasks of a V(replicated-job) that run at the same time (default O(replicas)).
    type: int
  command:
    description: Replaces the image's entrypoint (a list, or a string split like a shell would).
    type: raw
  args:
    description: Arguments of the command (replaces the image's CMD).
    type: raw
  env:
    description:
      - Environment variables; values become strings.
      - Values of variables whose name contains C(PASSWORD), C(PASSWD), C(TOKEN), C(SECRET) or C(KEY)
        (in any case), or listed in O(secret_env), are shown as C(********).
    type: dict
  secret_env:
    description: Further names of O(env) whose values are secrets.
    type: list
    elements: str
  labels:
    description: Labels of the service.
    type: dict
  container_labels:
    description: Labels of the service's containers.
    type: dict
  hostname:
    description: Host name of the containers (Go templates such as C({{.Task.Slot}}) work).
    type: str
  user:
    description: User (name or UID, optionally C(:group)) the process runs as.
    type: str
  workdir:
    description: Working directory of the process; an absolute path.
    type: str
  mounts:
    description:
      - Bind mounts, volumes and tmpfs, as for M(dockhand.docker.container) (dictionaries with C(type),
        C(source), C(target), C(read_only), or V(SOURCE:TARGET[:ro]) strings).
    type: list
    elements: raw
  networks:
    description:
      - Overlay networks to attach, as names or dictionaries with C(name) and C(aliases). They must exist.
    type: list
    elements: raw
  dns:
    description: DNS settings of the containers.
    type: dict
    suboptions:
      nameservers:
        description: Name servers.
        type: list
        elements: str
      search:
        description: Search domains.
        type: list
        elements: str
      options:
        description: Resolver options.
        type: list
        elements: str
  healthcheck:
    description: Health check, as for M(dockhand.docker.container).
    type: dict
  stop_grace_period:
    description: Time to wait after the stop signal before the container is killed (V(10s)).
    type: str
  stop_signal:
    description: Signal that stops the containers.
    type: str
  read_only:
    description: Mount the containers' root file systems read-only.
    type: bool
  init:
    description: Run an init process in the containers.
    type: bool
  cap_add:
    description: Capabilities to add, with or without C(CAP_).
    type: list
    elements: str
  cap_drop:
    description: Capabilities to drop, with or without C(CAP_).
    type: list
    elements: str
  sysctls:
    description: Kernel parameters of the containers' namespaces.
    type: dict
  ulimits:
    description: Resource limits as V(NAME=SOFT[:HARD]) or dictionaries, as for M(dockhand.docker.container).
    type: list
    elements: raw
  log_driver:
    description: Logging driver of the tasks; checked as for containers.
    type: str
  log_options:
    description: Options of the logging driver, validated as for containers; credentials are never shown.
    type: dict
  limits:
    description: cgroup limits of each task, in the units of M(dockhand.docker.container).
    type: dict
    suboptions:
      memory:
        description: Memory limit (V(64m)); at least V(6m).
        type: str
      cpus:
        description: CPUs (V(0.25)).
        type: str
      pids:
        description: Maximum number of processes.
        type: int
  reservations:
    description: What the scheduler reserves for each task on its node.
    type: dict
    suboptions:
      memory:
        description: Memory (V(32m)).
        type: str
      cpus:
        description: CPUs (V(0.1)).
        type: str
  restart_policy:
    description: When the tasks' containers are restarted.
    type: dict
    suboptions:
      condition:
        description: V(none), V(on-failure) or V(any) (the engine's default).
        type: str
        choices: [none, on-failure, any]
      delay:
        description: Time between restarts (V(5s)).
        type: str
      max_attempts:
        description: Restarts before giving up (0 - no limit).
        type: int
      window:
        description: Time over which a restart counts as failed.
        type: str
  placement:
    description: Where tasks may run.
    type: dict
    suboptions:
      constraints:
        description: Constraints such as V(node.role == worker) or V(node.labels.tier == app).
        type: list
        elements: str
      preferences:
        description: Spread preferences, as dictionaries with the key V(spread) and a label such as V(node.labels.zone).
        type: list
        elements: dict
      max_replicas_per_node:
        description: Tasks of this service per node at most.
        type: int
  publish:
    description:
      - Published ports. This engine's kernel may lack IPVS, without which the ingress routing mesh
        does not work; use O(publish[].mode=host) there.
    type: list
    elements: dict
    suboptions:
      target:
        description: Port inside the container.
        type: int
        required: true
      published:
        description: Port on the nodes (left out - the engine picks one).
        type: int
      protocol:
        description: Protocol.
        type: str
        choices: [tcp, udp, sctp]
        default: tcp
      mode:
        description: V(ingress) (the routing mesh) or V(host) (the node the task runs on).
        type: str
        choices: [ingress, host]
        default: ingress
  endpoint_mode:
    description: V(vip) (a virtual IP, needs IPVS) or V(dnsrr) (DNS round robin).
    type: str
    choices: [vip, dnsrr]
  update_config:
    description: How an update rolls through the tasks.
    type: dict
    suboptions:
      parallelism:
        description: Tasks updated at the same time (0 - all).
        type: int
      delay:
        description: Time between batches (V(10s)).
        type: str
      order:
        description:
          - V(stop-first) (the engine's default) or V(start-first) (the new task runs before the old one stops).
        type: str
        choices: [start-first, stop-first]
      failure_action:
        description: What a failed update does - V(pause), V(continue) or V(rollback).
        type: str
        choices: [pause, continue, rollback]
      monitor:
        description: How long each updated task is watched for failure (V(5s) when not set).
        type: str
      max_failure_ratio:
        description: Share of failed tasks tolerated (0 to 1).
        type: float
  rollback_config:
    description:
      - How a rollback rolls through the tasks, with the keys of O(update_config).
      - Its C(failure_action) is V(pause) or V(continue).
    type: dict
    suboptions:
      parallelism:
        description: Tasks rolled back at the same time.
        type: int
      delay:
        description: Time between batches.
        type: str
      order:
        description: V(stop-first) or V(start-first).
        type: str
        choices: [start-first, stop-first]
      failure_action:
        description: V(pause) or V(continue).
        type: str
        choices: [pause, continue]
      monitor:
        description: How long each task is watched.
        type: str
      max_failure_ratio:
        description: Share of failed tasks tolerated.
        type: float
  secrets:
    description:
      - Secrets given to the tasks, by their names. For a secret made by M(dockhand.docker.secret), the
        name is its logical name and the newest version is used; when that module rotates it, it
        moves the services along.
    type: list
    elements: dict
    suboptions:
      name:
        description: The secret's (logical) name.
        type: str
        required: true
      target:
        description: File name in C(/run/secrets/) (default - the name).
        type: str
      uid:
        description: Owner of the file.
        type: str
      gid:
        description: Group of the file.
        type: str
      mode:
        description: File mode (default C(0444)).
        type: int
  configs:
    description:
      - Configs given to the tasks, by their names, as O(secrets) (the default target is C(/<name>)).
    type: list
    elements: dict
    suboptions:
      name:
        description: The config's (logical) name.
        type: str
        required: true
      target:
        description: Path of the file in the container (default C(/<name>)).
        type: str
      uid:
        description: Owner of the file.
        type: str
      gid:
        description: Group of the file.
        type: str
      mode:
        description: File mode (default C(0444)).
        type: int
  force_update:
    description: Redeploy every task even when nothing differs (always a change).
    type: bool
    default: false
  wait:
    description: Wait until the rollout is done (or the service's tasks are gone, with O(state=absent)).
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for the rollout.
    type: int
    default: 300
attributes:
  check_mode:
    description: Resolves the image and reports what would change; creates, updates and removes nothing.
    support: full
  diff_mode:
    description: The options that differ, before and after (secrets masked).
    support: full
  platform:
    description: Runs on the host that reaches the engine (a swarm manager) set by O(docker_host).
    support: full
    platforms: posix
seealso:
  - module: dockhand.docker.service_info
  - module: dockhand.docker.network
  - module: dockhand.docker.secret
'''

EXAMPLES = r'''
- name: A web service with limits, rolled out start-first
  dockhand.docker.service:
    name: web
    image: registry.example.com/team/web:1.4
    replicas: 3
    limits: {memory: 64m, cpus: 0.25}
    reservations: {memory: 32m}
    networks: [app]
    secrets:
      - name: db_password
    placement:
      constraints: [node.labels.tier == app]
    update_config: {order: start-first, failure_action: rollback, monitor: 10s}
    endpoint_mode: dnsrr
    publish:
      - {target: 80, published: 8080, mode: host}

- name: Many services in one task
  dockhand.docker.service:
    image: registry.example.com/team/worker:2.0
    limits: {memory: 96m}
    services:
      - name: worker-a
      - name: worker-b
        replicas: 2

- name: A job that runs to completion
  dockhand.docker.service:
    name: migrate
    image: registry.example.com/team/app:1.4
    mode: replicated-job
    args: [migrate]
'''

RETURN = r'''
services:
  description: One entry per service, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The service's name.
      type: str
    action:
      description: V(created), V(updated), V(removed), V(unchanged) or V(failed).
      type: str
    changed:
      description: Whether this service changed (in check mode, would change).
      type: bool
    id:
      description: The service's ID (null when removed, or created in check mode).
      type: str
    image:
      description: The image as the service's spec holds it (pinned to a digest unless O(resolve_image=never)).
      type: str
    changes:
      description: Names of the options that differed.
      type: list
      elements: str
    rollout:
      description: How the rollout ended - C(running) and C(desired) tasks (completed ones for jobs), C(seconds).
      type: dict
      returned: when the service was created or updated and O(wait=true)
    diff:
      description: Before and after of what differed, in the units the options take.
      type: dict
      returned: in diff mode, when something differed
    msg:
      description: Why this service failed; a failed rollout names each failed task, its node and error.
      type: str
      returned: when it failed
service:
  description: The entry of RV(services) for O(name).
  returned: when O(name) is given
  type: dict
'''

from ansible_collections.dockhand.docker.plugins.module_utils import bytecode_cache  # noqa: F401 pylint: disable=unused-import
from ansible_collections.dockhand.docker.plugins.module_utils.frame import converge, module_result
from ansible_collections.dockhand.docker.plugins.module_utils.module import DockhandModule
from ansible_collections.dockhand.docker.plugins.module_utils.services import FORM, Services, masked_params


def run(module):
    services = Services(module.client, module.check_mode, diff=module._diff, parallel=module.params['parallel'])
    return module_result(module, FORM, converge(services, module.params))


def main():
    module = DockhandModule(masked_params=masked_params, **FORM.module_kwargs())
    module.run(run)


if __name__ == '__main__':
    main()
