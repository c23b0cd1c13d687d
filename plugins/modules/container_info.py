#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: container_info
short_description: Report the state, settings and limits of Docker containers
description:
  - Reports, for one or more containers, what an operator checks with C(docker inspect), C(docker logs)
    and C(docker top), in a flat shape meant for assertions and conditionals.
  - Resource limits come back in the units the C(dockhand.docker.container) module takes
    (V(64m), V(0.5)), with V(null) for anything not limited.
  - A container that does not exist is reported with RV(containers[].exists=false); that is not an error.
  - Changes nothing; always reports C(changed=false).
author:
  - dockhand.docker maintainers (@dockhand)
version_added: 0.1.0
extends_documentation_fragment:
  - dockhand.docker.connection
  - dockhand.docker.connection.ATTRIBUTES
  - dockhand.docker.connection.INFO_ATTRIBUTES
options:
  name:
    description:
      - Name or ID of one container.
      - Its facts are also returned as RV(container).
      - Exactly one of O(name) and O(names) is required.
    type: str
  names:
    description:
      - Names or IDs of several containers, reported in RV(containers) in the same order.
      - Exactly one of O(name) and O(names) is required.
    type: list
    elements: str
  logs_tail:
    description:
      - Also return the last this many lines the container wrote to standard output and,
        separately, to standard error (RV(containers[].stdout_lines), RV(containers[].stderr_lines)).
      - V(0) reads no logs.
      - The lines are searched for among the last 100000 lines of the log (both streams together),
        so a stream that has written nothing in that span returns fewer lines.
      - With a logging driver that cannot be read back (for example V(none)), the lines are V(null)
        and a warning says why.
    type: int
    default: 0
  secret_env:
    description:
      - Names of environment variables whose values are secrets, besides those whose name contains
        C(PASSWORD), C(PASSWD), C(TOKEN), C(SECRET) or C(KEY) (in any case). Their values are
        shown as C(********) in RV(containers[].env).
    type: list
    elements: str
  processes:
    description:
      - Also return the processes running in each running container, as C(docker top) shows them
        (RV(containers[].processes)).
    type: bool
    default: false
seealso:
  - module: dockhand.docker.container_exec
'''

EXAMPLES = r'''
- name: Read one container
  dockhand.docker.container_info:
    name: web
  register: web

- name: Insist that it runs with its memory limit
  ansible.builtin.assert:
    that:
      - web.container.exists
      - web.container.running
      - web.container.limits.memory == '512m'

- name: Show why a container stopped
  dockhand.docker.container_info:
    name: worker
    logs_tail: 20
  register: worker

- name: Print the exit code and the last error lines
  ansible.builtin.debug:
    msg: "{{ worker.container.exit_code }}: {{ worker.container.stderr_lines | join('\n') }}"
  when: worker.container.exists and not worker.container.running

- name: Read several containers and their processes
  dockhand.docker.container_info:
    names: [web, worker, cron]
    processes: true
  register: app

- name: List the containers that are missing
  ansible.builtin.debug:
    msg: "{{ app.containers | rejectattr('exists') | map(attribute='name') | list }}"
'''

RETURN = r'''
container:
  description: The facts of the container named by O(name); see RV(containers) for the keys.
  returned: when O(name) is given
  type: dict
containers:
  description:
    - One entry per asked name or ID, in the order asked.
    - A missing container has only RV(containers[].name) and RV(containers[].exists).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The container's name (without a leading slash); for a missing one, the name asked for.
      type: str
      sample: web
    exists:
      description: Whether the container exists.
      type: bool
      sample: true
    id:
      description: The full container ID.
      type: str
      sample: 951b1b2056f786ee3b6bd8f44f755d056cfd0e80919d0294402d665a4732c6c1
    state:
      description: V(created), V(running), V(paused), V(restarting), V(removing), V(exited) or V(dead).
      type: str
      sample: running
    running:
      description: Whether RV(containers[].state) is V(running) (a paused container is not running).
      type: bool
    paused:
      description: Whether the container is paused.
      type: bool
    health:
      description: V(none) without a health check, else V(starting), V(healthy) or V(unhealthy).
      type: str
      sample: healthy
    exit_code:
      description: Exit code of the last run; V(null) while the container has not exited
        (states V(created), V(running), V(paused)).
      type: int
      sample: 137
    oom_killed:
      description: Whether the kernel killed the last run for lack of memory.
      type: bool
    error:
      description: The engine's error for the last start, if any.
      type: str
    created:
      description: When the container was created (RFC 3339).
      type: str
    started_at:
      description: When the container last started (RFC 3339); V(null) if it never started.
      type: str
      sample: '2024-05-01T10:00:00.123456789Z'
    finished_at:
      description: When the container last stopped (RFC 3339); V(null) if it never stopped.
      type: str
    restart_count:
      description: How often the engine restarted it under its restart policy.
      type: int
    image:
      description: The image reference the container was created with.
      type: str
      sample: nginx:1.25
    image_id:
      description: ID of the image the container runs.
      type: str
      sample: sha256:5b9d7febb24cfa000ccca296b619b5220e90da4a68ed7840dff359675576e5cf
    command:
      description: The command (arguments after the entrypoint); empty when there is none.
      type: list
      elements: str
      sample: [nginx, -g, daemon off;]
    entrypoint:
      description: The entrypoint; empty when there is none.
      type: list
      elements: str
    user:
      description: The user the processes run as; V(null) for the image's default.
      type: str
    workdir:
      description: The working directory; V(null) for the image's default.
      type: str
    restart_policy:
      description: V(no), V(always), V(unless-stopped) or V(on-failure).
      type: str
    restart_retries:
      description: Maximum restarts for V(on-failure); V(0) means no limit or not applicable.
      type: int
    limits:
      description: Resource limits, in the units the C(container) module takes; V(null) means not limited.
      type: dict
      contains:
        memory:
          description: Memory limit, such as V(64m).
          type: str
          sample: 64m
        memory_reservation:
          description: Memory soft limit, such as V(32m).
          type: str
        memory_swap:
          description:
            - Memory plus swap limit, such as V(128m).
            - V(unlimited) when swap is unlimited (the engine's -1); V(null) when not set, which
              the engine treats as twice RV(containers[].limits.memory).
          type: str
        cpus:
          description: CPUs, such as V(0.5) (from C(--cpus)).
          type: str
          sample: '0.5'
        cpu_shares:
          description: Relative CPU weight.
          type: int
        cpuset_cpus:
          description: CPUs the container may use, such as V(0-2).
          type: str
        pids_limit:
          description: Maximum number of processes.
          type: int
        ulimits:
          description: Per-process limits, each with C(name), C(soft) and C(hard).
          type: list
          elements: dict
          sample: [{name: nofile, soft: 1024, hard: 2048}]
    log_driver:
      description: The logging driver.
      type: str
      sample: json-file
    log_options:
      description:
        - The logging driver's options, as strings.
        - Credentials (C(splunk-token) and the like) are shown as C(********).
      type: dict
      sample: {max-size: 10m}
    addresses:
      description: IPv4 address in each network the container is attached to; V(null) while not running.
      type: dict
      sample: {bridge: 172.17.0.2}
    ports:
      description:
        - Published ports, each with C(container_port), C(protocol), C(host_ip) and C(host_port).
        - For a running container, the bindings it really got; otherwise the configured ones,
          where C(host_port) is V(null) when the engine picks the port.
      type: list
      elements: dict
      sample: [{container_port: 80, protocol: tcp, host_ip: 127.0.0.1, host_port: 8080}]
    mounts:
      description:
        - Mounts, each with C(type) (V(bind), V(volume), V(tmpfs)...), C(source) (host path, or the
          volume's name), C(target) and C(read_only).
      type: list
      elements: dict
      sample: [{type: volume, source: data, target: /var/lib/data, read_only: false}]
    labels:
      description: The container's labels (including those from its image).
      type: dict
    env:
      description:
        - The environment variables the container starts with (including those from its image).
        - Values of secret-looking variables (see O(secret_env)) are shown as C(********).
      type: dict
      sample: {PATH: /usr/bin:/bin}
    stdout_lines:
      description: The last O(logs_tail) lines of standard output; V(null) if the logs cannot be read.
      returned: when O(logs_tail) is more than 0 and the container exists
      type: list
      elements: str
    stderr_lines:
      description: The last O(logs_tail) lines of standard error; V(null) if the logs cannot be read.
      returned: when O(logs_tail) is more than 0 and the container exists
      type: list
      elements: str
    processes:
      description:
        - The processes in the container, one dict per process keyed by the columns C(docker top)
          shows (such as C(PID), C(USER), C(CMD)); empty when the container is not running.
      returned: when O(processes=true) and the container exists
      type: list
      elements: dict
      sample: [{UID: root, PID: '4242', PPID: '4220', C: '0', STIME: '10:00', TTY: '?', TIME: '00:00:00',
                CMD: sleep 1000}]
'''

from ansible_collections.dockhand.docker.plugins.module_utils import bytecode_cache  # noqa: F401 pylint: disable=unused-import
from ansible_collections.dockhand.docker.plugins.module_utils.container_facts import (
    container_facts,
    missing_container_facts,
)
from ansible_collections.dockhand.docker.plugins.module_utils.errors import DockerError, InvalidValue
from ansible_collections.dockhand.docker.plugins.module_utils.module import (
    asked_names,
    name_or_names_module,
    one_or_many,
)

# How many log lines (both streams) are searched at most for the last lines of each stream.
LOG_LOOKBACK = 100000


def _text(data):
    if data is None:
        return ''
    if isinstance(data, bytes):
        return data.decode('utf-8', 'replace')
    return data


def _read_window(module, facts, window):
    lines = []
    for stream in ('stdout', 'stderr'):
        data = module.client.call('read the %s of container %r' % (stream, facts['name']), 'logs',
                                  facts['id'], stdout=stream == 'stdout', stderr=stream == 'stderr',
                                  tail=window)
        lines.append(_text(data).splitlines())
    return lines


def read_logs(module, facts, tail):
    """(last ``tail`` stdout lines, last ``tail`` stderr lines); (None, None) with a warning if unreadable.

    The engine applies ``tail`` to both streams together before it picks one, so the window is
    widened until each stream has ``tail`` lines, the window holds the whole log (the two
    streams of one window add up to fewer lines than asked for), or LOG_LOOKBACK is reached.
    """
    window = tail * 2
    try:
        while True:
            out, err = _read_window(module, facts, window)
            if (len(out) >= tail and len(err) >= tail) or len(out) + len(err) < window \
                    or window >= max(LOG_LOOKBACK, tail):
                return out[-tail:], err[-tail:]
            window = min(window * 4, max(LOG_LOOKBACK, tail))
    except DockerError as exc:
        module.warn('container %r: logs cannot be read: %s' % (facts['name'], exc.msg))
        return None, None


def read_processes(module, facts):
    if facts['state'] not in ('running', 'paused'):
        return []
    top = module.client.call('list the processes of container %r' % facts['name'], 'top', facts['id'])
    titles = top.get('Titles') or []
    return [dict(zip(titles, row)) for row in top.get('Processes') or []]


def gather(module):
    params = module.params
    names = asked_names(params)
    for name in names:
        if not name or not name.strip():
            raise InvalidValue('container names must not be empty')
    if params['logs_tail'] < 0:
        raise InvalidValue('logs_tail must be 0 (no logs) or a positive number of lines, not %d'
                           % params['logs_tail'])
    containers = []
    for name in names:
        inspect = module.client.call_or_none('inspect container %r' % name, 'inspect_container', name)
        if inspect is None:
            containers.append(missing_container_facts(name))
            continue
        facts = container_facts(inspect, params['secret_env'] or ())
        if params['logs_tail']:
            facts['stdout_lines'], facts['stderr_lines'] = read_logs(module, facts, params['logs_tail'])
        if params['processes']:
            facts['processes'] = read_processes(module, facts)
        containers.append(facts)
    return one_or_many(params, 'containers', 'container', containers)


def main():
    module = name_or_names_module(dict(
        logs_tail=dict(type='int', default=0),
        processes=dict(type='bool', default=False),
        secret_env=dict(type='list', elements='str', no_log=False),
    ))
    module.run(gather)


if __name__ == '__main__':
    main()
