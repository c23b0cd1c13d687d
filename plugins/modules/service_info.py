#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: service_info
short_description: Report swarm services, their tasks and whether they converged
description:
  - Reports one service (O(name)), several (O(names)) or every service of the swarm (neither),
    on a swarm manager - each with its options in the units M(dockhand.docker.service) takes,
    the image its running tasks run, its update status, its tasks (slot, node, desired and
    current state, error, container ID, time) and a C(converged) summary (running of desired).
  - A service that does not exist is reported with RV(services[].exists=false); that is not an error.
  - Changes nothing.
author:
  - dockhand.docker maintainers (@dockhand)
version_added: 0.1.0
extends_documentation_fragment:
  - dockhand.docker.connection
  - dockhand.docker.connection.ATTRIBUTES
  - dockhand.docker.connection.INFO_ATTRIBUTES
options:
  name:
    description: One service's name or ID; its facts are also returned as RV(service).
    type: str
  names:
    description: Several services' names or IDs, reported in that order.
    type: list
    elements: str
  secret_env:
    description:
      - Names of environment variables whose values are secrets, besides those whose name contains
        C(PASSWORD), C(PASSWD), C(TOKEN), C(SECRET) or C(KEY) (in any case). Their values are shown as C(********).
    type: list
    elements: str
seealso:
  - module: dockhand.docker.service
'''

EXAMPLES = r'''
- name: Is the web service running everywhere?
  dockhand.docker.service_info:
    name: web
  register: web

- name: Insist on it
  ansible.builtin.assert:
    that: web.service.converged.converged
    fail_msg: "{{ web.service.converged.running }} of {{ web.service.converged.desired }} tasks run"

- name: Every service of the swarm
  dockhand.docker.service_info:
  register: swarm_services
'''

RETURN = r'''
services:
  description: One entry per service asked for (or every service), in order.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The service's name (for a missing one, the name asked for).
      type: str
    exists:
      description: Whether the service exists.
      type: bool
    id:
      description: The service's ID.
      type: str
    mode:
      description: V(replicated), V(global), V(replicated-job) or V(global-job).
      type: str
    image:
      description: The image of the spec (pinned to a digest when the service module set it).
      type: str
    running_images:
      description: The images the running tasks run (more than one during a rollout).
      type: list
      elements: str
    options:
      description: The spec's options in the units M(dockhand.docker.service) takes (C(limits), C(env), ...).
      type: dict
    update_status:
      description: The last update's C(state), C(message), C(started_at) and C(completed_at); null if never updated.
      type: dict
    converged:
      description: Whether the service runs as its spec says - C(converged), C(running) and C(desired) tasks.
      type: dict
    tasks:
      description: Its tasks, with C(slot), C(node), C(node_id), C(desired_state), C(state), C(error),
        C(container_id) and C(timestamp).
      type: list
      elements: dict
service:
  description: The entry of RV(services) for O(name).
  returned: when O(name) is given
  type: dict
'''

from ansible_collections.dockhand.docker.plugins.module_utils import bytecode_cache  # noqa: F401 pylint: disable=unused-import
from ansible_collections.dockhand.docker.plugins.module_utils.errors import InvalidValue
from ansible_collections.dockhand.docker.plugins.module_utils.module import DockhandModule
from ansible_collections.dockhand.docker.plugins.module_utils.services import read_services


def gather(module):
    params = module.params
    names = [params['name']] if params['name'] is not None else params['names']
    if any(not name.strip() for name in names or ()):
        raise InvalidValue('service names must not be empty')
    services = read_services(module.client, names, params['secret_env'] or ())
    result = dict(services=services)
    if params['name'] is not None:
        result['service'] = services[0]
    return result


def main():
    module = DockhandModule(argument_spec=dict(name=dict(type='str'), names=dict(type='list', elements='str'),
                                               secret_env=dict(type='list', elements='str', no_log=False)),
                            supports_check_mode=True, mutually_exclusive=[('name', 'names')])
    module.run(gather)


if __name__ == '__main__':
    main()
