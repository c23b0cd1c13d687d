#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: login
short_description: Log in to a container registry, or log out, like docker login
description:
  - Stores credentials for a registry in the docker client configuration file (C(config.json)),
    as C(docker login) does, so that the docker CLI, the Docker SDK and the modules of this
    collection can pull from and push to that registry.
  - New or changed credentials are first checked by the Docker engine (the engine logs in to the
    registry); wrong credentials fail the task and leave the file as it was.
  - When the file already holds exactly these credentials for the registry (those the docker CLI
    would use, from the entry under its canonical key or else one under another spelling of it
    such as C(https://host)), nothing is contacted and the task reports no change, unless
    O(reauthorize=true).
  - With O(state=absent), removes the registry's entry, like C(docker logout).
  - The file is rewritten atomically; every other setting in it is kept. A new file gets mode
    C(0600) (its new directory C(0700)); an existing one keeps its owner and its mode, less any
    access by group and others, since it holds credentials. A symbolic link stays a link.
author:
  - dockhand.docker maintainers (@dockhand)
version_added: 0.1.0
extends_documentation_fragment:
  - dockhand.docker.connection
  - dockhand.docker.connection.ATTRIBUTES
options:
  registry_url:
    description:
      - The registry to log in to, as C(host[:port]); a URL such as V(https://registry.example.com) is accepted.
      - V(docker.io) (and V(index.docker.io), V(https://index.docker.io/v1/)) means Docker Hub, whose credentials
        are stored under the key C(https://index.docker.io/v1/), as C(docker login) stores them.
    type: str
    default: docker.io
    aliases: [registry]
  username:
    description:
      - The user name to log in as.
      - Required when O(state=present).
    type: str
  password:
    description:
      - The password or access token of O(username).
      - Required when O(state=present). Never shown in the output, the diff or any message.
    type: str
  reauthorize:
    description:
      - Have the engine check the credentials with the registry even when the file already holds them.
      - The task still reports a change only when the file changes.
    type: bool
    default: false
    aliases: [reauth]
  state:
    description:
      - V(present) stores the credentials; V(absent) removes the registry's entry (every spelling of
        its key, such as C(host) and C(https://host)).
    type: str
    choices: [present, absent]
    default: present
  config_path:
    description:
      - The docker client configuration file to edit.
      - Defaults to C(config.json) in the directory E(DOCKER_CONFIG) when that is set, else to
        C(~/.docker/config.json) of the user the module runs as.
      - Created (with its directory) when it does not exist.
    type: path
    aliases: [dockercfg_path]
notes:
  - This module writes C(auths) entries; it does not store credentials in a credential helper
    (C(credsStore), C(credHelpers) in C(config.json)). When the file names a helper for the
    registry, the module warns, because the docker CLI and this collection's registry reads ask
    that helper first and use the entry written here only when the helper has none.
  - The password is stored base64-encoded, not encrypted, exactly as C(docker login) stores it without a
    credential helper; the file is readable by its owner only.
  - The engine checks new credentials, so O(docker_host) must reach an engine that can reach the registry.
seealso:
  - name: docker login
    description: The docker CLI command this module mirrors.
    link: https://docs.docker.com/reference/cli/docker/login/
attributes:
  check_mode:
    description: Has the engine check new credentials, then reports the change without writing the file.
    support: full
  diff_mode:
    description: Shows the registry and user name before and after; the password only as a mask.
    support: full
  platform:
    description: Edits the file on the managed host and talks to the engine set by O(docker_host).
    support: full
    platforms: posix
'''

EXAMPLES = r'''
- name: Log in to a private registry
  dockhand.docker.login:
    registry_url: registry.example.com:5000
    username: deploy
    password: "{{ vault_registry_password }}"

- name: Log in to Docker Hub with an access token, for another user's docker CLI
  dockhand.docker.login:
    username: myhubuser
    password: "{{ vault_hub_token }}"
    config_path: /home/ci/.docker/config.json

- name: Log out
  dockhand.docker.login:
    registry_url: registry.example.com:5000
    state: absent
'''

RETURN = r'''
login_result:
  description: What was logged in to or out of. The password is never returned.
  returned: success
  type: dict
  contains:
    registry:
      description: The registry, normalised to C(host[:port]) (V(docker.io) for Docker Hub).
      type: str
      sample: registry.example.com:5000
    config_key:
      description: The key of the registry's entry in C(auths).
      type: str
      sample: registry.example.com:5000
    username:
      description: The user name now stored (O(state=present)), or the one removed (O(state=absent); null when
        there was no entry).
      type: str
      sample: deploy
    config_path:
      description: The configuration file that was used.
      type: str
      sample: /root/.docker/config.json
'''

from ansible_collections.dockhand.docker.plugins.module_utils import bytecode_cache  # noqa: F401 pylint: disable=unused-import
from ansible_collections.dockhand.docker.plugins.module_utils.login import ARGUMENT_SPEC, REQUIRED_IF, manage
from ansible_collections.dockhand.docker.plugins.module_utils.module import DockhandModule


def main():
    module = DockhandModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True, required_if=REQUIRED_IF)
    module.run(manage)


if __name__ == '__main__':
    main()
