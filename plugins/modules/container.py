#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: container
short_description: Converge one or many containers, with cgroup limits changed in place
description:
  - Creates, updates, recreates, starts, stops, restarts or removes containers so that they
    match the options given.
  - Only the options you give are compared with the running container, after normalising
    (image name against image ID, units, command as string or list, order of env and labels,
    port syntax).
  - When only limits differ (O(memory), O(memory_reservation), O(memory_swap), O(cpus),
    O(cpu_shares), O(cpuset_cpus), O(pids_limit), O(restart_policy)) the container is changed
    in place through the engine's update API and keeps its ID. Any other difference recreates it.
  - With O(containers), one task converges a whole list of containers, O(parallel) at a time;
    options at the top level are defaults for every item.
  - All input is validated before anything changes; a bad item anywhere in the list fails the
    task with one line and leaves every container as it was.
author:
  - dockhand.docker maintainers (@dockhand)
version_added: 0.1.0
extends_documentation_fragment:
  - dockhand.docker.connection
  - dockhand.docker.connection.ATTRIBUTES
options:
  name:
    description:
      - Name of the container. Mutually exclusive with O(containers); one of them is required.
    type: str
  containers:
    description:
      - Many containers in one task. Each item is a dictionary that takes the options of this
        module (all but O(containers) and O(parallel)); C(name) is required in every item and
        names must be unique.
      - Options given at the top level of the task are defaults for every item.
    type: list
    elements: dict
  parallel:
    description:
      - How many containers of O(containers) are worked on at the same time.
      - Removal of many containers whose process ignores the stop signal takes about one
        O(stop_timeout) per batch of O(parallel).
    type: int
    default: 4
  state:
    description:
      - V(present) the container exists as configured; it is not started or stopped.
      - V(started) it exists and runs.
      - V(stopped) it exists and does not run.
      - V(restarted) it exists and is restarted (always reports a change).
      - V(absent) it is stopped (waiting up to O(stop_timeout)) and removed.
    type: str
    choices: [present, started, stopped, restarted, absent]
    default: started
  recreate:
    description: Remove and create the container even when nothing differs.
    type: bool
    default: false
  image:
    description:
      - Image reference (V(nginx:1.25), V(registry.example.com:5000/team/app:v2)) or image ID.
      - Required unless O(state=absent). The container is recreated when the reference now
        points to another image ID.
    type: str
  pull:
    description:
      - V(missing) pulls the image only when the engine does not have it.
      - V(always) pulls before comparing; the container is recreated only if the image ID changed.
      - V(never) fails (before changing anything) when the image is missing.
    type: str
    choices: [missing, always, never]
    default: missing
  command:
    description: Command (list of arguments, or a string split like a shell would).
    type: raw
  entrypoint:
    description: Entrypoint (list of arguments, or a string split like a shell would).
    type: raw
  env:
    description:
      - Environment variables. Values are turned into strings (booleans into V(true)/V(false)).
      - Compared together with the image's own environment, in any order.
      - The values of variables whose name contains C(PASSWORD), C(PASSWD), C(TOKEN), C(SECRET)
        or C(KEY) (in any case), and of those listed in O(secret_env), are shown as C(********)
        in results, diffs and the task's invocation; the others stay visible, so that a review
        of a diff can read them.
    type: dict
  secret_env:
    description:
      - Names of further variables of O(env) whose values are secrets (masked like
        C(DB_PASSWORD) is).
    type: list
    elements: str
  labels:
    description: Labels, compared together with the image's labels, in any order.
    type: dict
  ports:
    description:
      - Published ports as V(CONTAINER), V(HOST:CONTAINER) or V(IP:HOST:CONTAINER), optionally
        with V(/udp) or V(/sctp).
    type: list
    elements: raw
  mounts:
    description:
      - Bind mounts and volumes, as dictionaries with C(type) (V(bind), V(volume), V(tmpfs);
        default V(bind) for an absolute C(source), else V(volume)), C(source), C(target) and
        C(read_only), or as strings V(SOURCE:TARGET) or V(SOURCE:TARGET:ro).
    type: list
    elements: raw
  networks:
    description:
      - Networks to attach, as names or dictionaries with C(name), C(aliases) and C(ipv4_address).
      - The first is the container's network mode; the others are connected before it starts.
    type: list
    elements: raw
  restart_policy:
    description: Restart policy; changed in place.
    type: str
    choices: ['no', always, unless-stopped, on-failure]
  restart_retries:
    description: Maximum restarts with O(restart_policy=on-failure).
    type: int
  user:
    description: User (name or UID, optionally C(:group)) the process runs as.
    type: str
  working_dir:
    description: Working directory of the process.
    type: str
  read_only:
    description: Mount the container's root file system read-only.
    type: bool
  init:
    description: Run an init process that reaps zombies and forwards signals.
    type: bool
  healthcheck:
    description:
      - Health check with C(test) (a shell command string, an argument list, or V(NONE) to
        disable the image's), and C(interval), C(timeout), C(start_period) (seconds or
        durations such as V(30s), V(1m30s)) and C(retries).
    type: dict
  stop_signal:
    description: Signal that stops the container, such as V(SIGTERM) or V(SIGQUIT).
    type: str
  stop_timeout:
    description:
      - Seconds to wait after the stop signal before killing the process; stored in the
        container and used when this module stops it. The engine's default is 10.
    type: int
  log_driver:
    description:
      - Logging driver; one of the engine's (built-in or plugin). Defaults to the engine's default.
    type: str
  log_options:
    description:
      - Options of the logging driver, validated for the built-in drivers (names and value
        formats). Non-string values are turned into strings with a warning.
    type: dict
  cap_add:
    description: Capabilities to add, with or without C(CAP_), or V(ALL).
    type: list
    elements: str
  cap_drop:
    description: Capabilities to drop, with or without C(CAP_), or V(ALL).
    type: list
    elements: str
  memory:
    description:
      - Memory limit such as V(64m) or V(1g) (binary units); at least V(6m), the engine's minimum.
      - Changed in place. When O(memory_swap) is not given and the container uses the engine's
        default (swap limit twice the memory), that default follows the new memory.
    type: str
  memory_reservation:
    description: Soft memory limit (V(32m)); changed in place.
    type: str
  memory_swap:
    description:
      - Memory plus swap limit; at least O(memory), or V(-1) for unlimited swap. Changed in place.
    type: str
  cpus:
    description:
      - CPUs the container may use, such as V(0.5) or V(2); more than zero and at most the
        engine's CPU count. Changed in place.
    type: str
  cpu_shares:
    description: Relative CPU weight (2 to 262144; the default is 1024). Changed in place.
    type: int
  cpuset_cpus:
    description: CPUs the container may run on, such as V(0), V(0-1) or V(0,2); changed in place.
    type: str
  pids_limit:
    description: Maximum number of processes; V(0) or V(-1) for no limit. Changed in place.
    type: int
  ulimits:
    description:
      - Resource limits as V(NAME=SOFT[:HARD]) strings (V(nofile=4096:8192)) or dictionaries
        with C(name), C(soft) and C(hard).
    type: list
    elements: raw
notes:
  - The engine cannot change the limits of a container that was created with C(--cpu-quota)
    instead of C(--cpus) to O(cpus); such a container is recreated.
attributes:
  check_mode:
    description: Reports what would be done to every container and changes nothing.
    support: full
  diff_mode:
    description: Shows, per container, the options that differ before and after.
    support: full
  platform:
    description: Runs on the host that reaches the engine set by O(docker_host).
    support: full
    platforms: posix
'''

EXAMPLES = r'''
- name: Run one container with limits
  dockhand.docker.container:
    name: web
    image: registry.example.com/team/web:1.4
    ports: ["8080:80"]
    memory: 256m
    cpus: 0.5
    pids_limit: 200
    restart_policy: unless-stopped

- name: Run workers in one task, eight at a time
  dockhand.docker.container:
    image: registry.example.com/team/worker:2.0
    memory: 64m
    cpus: 0.25
    env:
      QUEUE: jobs
    parallel: 8
    containers:
      - name: worker-1
      - name: worker-2
      - name: worker-3
        memory: 128m          # an item overrides the defaults above
        env:
          QUEUE: priority

- name: Give every worker more memory, in place (IDs stay)
  dockhand.docker.container:
    image: registry.example.com/team/worker:2.0
    memory: 96m
    containers:
      - name: worker-1
      - name: worker-2

- name: Remove them, stopping in parallel
  dockhand.docker.container:
    state: absent
    stop_timeout: 10
    parallel: 20
    containers:
      - name: worker-1
      - name: worker-2
'''

RETURN = r'''
containers:
  description: One entry per container, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Container name.
      type: str
    action:
      description:
        - What happened (or, in check mode, would happen) - V(created), V(updated), V(recreated),
          V(started), V(stopped), V(restarted), V(removed), V(unchanged), or V(failed).
      type: str
      sample: updated
    changed:
      description: Whether this container changed.
      type: bool
    id:
      description: Container ID after the change; null when removed, or created in check mode.
      type: str
    changes:
      description: Names of the options (and lifecycle facts) that differed.
      type: list
      elements: str
      sample: [memory, cpus]
    diff:
      description: Before and after of what differed, in the units the options take.
      type: dict
      returned: in diff mode, when something differed
    msg:
      description: Why this container failed.
      type: str
      returned: when action is V(failed)
container:
  description: The entry of RV(containers) for O(name), when O(name) was used.
  returned: when O(name) is given
  type: dict
'''

from ansible_collections.dockhand.docker.plugins.module_utils import bytecode_cache  # noqa: F401 pylint: disable=unused-import
from ansible_collections.dockhand.docker.plugins.module_utils.containers import FORM, Containers, masked_params
from ansible_collections.dockhand.docker.plugins.module_utils.frame import converge, module_result
from ansible_collections.dockhand.docker.plugins.module_utils.module import DockhandModule


def run(module):
    containers = Containers(module.client, module.check_mode, diff=module._diff, parallel=module.params['parallel'])
    return module_result(module, FORM, converge(containers, module.params))


def main():
    module = DockhandModule(masked_params=masked_params, **FORM.module_kwargs())
    module.run(run)


if __name__ == '__main__':
    main()
