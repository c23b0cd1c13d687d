#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: config
short_description: Swarm configs that can change - versioned like secrets, with their services moved to each new version
description:
  - The configs twin of M(dockhand.docker.secret), run on a swarm manager - one config (O(name)) or
    many (O(configs)) by their logical names, with the same versions, the same moves of the
    services and the same removal of old versions; see that module for the details.
  - New content, or another O(template_driver), makes a new version; tasks read it at the
    target path their service gives (C(/<name>) unless the service says otherwise).
  - The content is never shown, as a secret's is not (a configuration file may still hold
    something private); names and labels carry only its slow salted hash.
author:
  - dockhand.docker maintainers (@dockhand)
version_added: 0.1.0
extends_documentation_fragment:
  - dockhand.docker.swarm_object
  - dockhand.docker.connection
  - dockhand.docker.connection.ATTRIBUTES
options:
  name:
    description:
      - The logical name of the config; the rules of M(dockhand.docker.secret)'s O(dockhand.docker.secret#module:name).
      - Mutually exclusive with O(configs); one of them is required.
    type: str
  configs:
    description:
      - Many configs in one task; items take the options of one config (O(template_driver)
        too) and the top-level options are their defaults.
    type: list
    elements: dict
  template_driver:
    description:
      - V(golang) makes the content a Go template that the engine renders for each task (the
        service's and the task's names, environment variables, the task's secrets and configs).
    type: str
    choices: [golang]
'''

EXAMPLES = r'''
- name: An application's configuration file; the services using app_conf move to each new version
  dockhand.docker.config:
    name: app_conf
    src: /srv/shop/app.conf
    labels:
      team: shop

- name: A Go template file on the host, rendered by the engine for each task
  dockhand.docker.config:
    name: greeting
    src: /srv/shop/greeting.tmpl
    template_driver: golang

- name: Several configs in one task, three earlier versions of each kept
  dockhand.docker.config:
    keep_versions: 3
    configs:
      - name: nginx_conf
        src: files/nginx.conf
      - name: mime_types
        src: files/mime.types
'''

RETURN = r'''
config:
  description: The entry of RV(configs) for O(name), when O(name) was used.
  returned: when O(name) is given
  type: dict
configs:
  description:
    - One entry per config, in the order given, with the keys of M(dockhand.docker.secret)'s
      RV(dockhand.docker.secret#module:secrets) entries (C(version) is the current version's name).
  returned: always
  type: list
  elements: dict
'''

from ansible_collections.dockhand.docker.plugins.module_utils import bytecode_cache  # noqa: F401 pylint: disable=unused-import
from ansible_collections.dockhand.docker.plugins.module_utils.swarm_objects import run_module


def main():
    """The secret module's code (swarm_objects.run_module), for the kind config."""
    run_module('config')


if __name__ == '__main__':
    main()
