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
  - When the file already holds exactly these credentials for the registry, nothing is
    contacted and the task reports no change, unless O(reauthorize=true).
  - With O(state=absent), removes the registry's entry, like C(docker logout).
  - The file is rewritten atomically with mode C(0600); every other setting in it is kept.
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
  - Credential helpers (C(credsStore) and C(credHelpers) in C(config.json)) are not used. When the file names one
    for the registry, the module warns, because the docker CLI would then ask the helper instead of reading the
    entry this module writes.
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

import json
import os
import re
import tempfile

from ansible_collections.dockhand.docker.plugins.module_utils.diff import SECRET_MASK
from ansible_collections.dockhand.docker.plugins.module_utils.errors import DockerError
from ansible_collections.dockhand.docker.plugins.module_utils.module import DockhandModule
from ansible_collections.dockhand.docker.plugins.module_utils.registry import (
    DOCKER_HUB,
    DOCKER_HUB_CONFIG_KEY,
    RegistryError,
    config_key,
    config_keys_matching,
    credential_helper,
    default_config_path,
    encode_auth,
    entry_credentials,
    normalize_registry,
    read_config,
)

# How engines say the registry refused the credentials (20.10: HTTP 500 naming the 401; newer: HTTP 401).
_REJECTED = re.compile(r'401 Unauthorized|\bunauthorized\b|incorrect username or password', re.IGNORECASE)
_REFUSED = re.compile(r'connection refused', re.IGNORECASE)


def _scrub(text, secret):
    return text.replace(secret, SECRET_MASK) if secret else text


def validate_with_engine(module, registry, username, password):
    """Have the engine log in to the registry; a refusal becomes one line naming registry and user."""
    server = DOCKER_HUB_CONFIG_KEY if registry == DOCKER_HUB else registry
    try:
        module.client.call('log in to %s' % registry, 'login', username=username, password=password,
                           registry=server, reauth=True)
    except DockerError as exc:
        text = _scrub(exc.msg, password)
        if exc.details.get('status_code') == 401 or _REJECTED.search(text):
            raise DockerError('%s rejected the credentials of user %s' % (registry, username))
        if 'failed to log in' in text and _REFUSED.search(text):
            raise DockerError('cannot reach registry %s (from the Docker engine at %s): connection refused'
                              % (registry, module.client.docker_host))
        raise DockerError(text)


def _owner_for(path):
    """(uid, gid) the written file should have: the old file's, else its directory's."""
    for candidate in (path, os.path.dirname(path)):
        try:
            info = os.stat(candidate)
        except OSError:
            continue
        return info.st_uid, info.st_gid
    return None


def write_config(path, config):
    """Replace ``path`` atomically with ``config`` (tab-indented JSON like docker's), mode 0600."""
    target = os.path.realpath(path)
    directory = os.path.dirname(target)
    try:
        if not os.path.isdir(directory):
            parent_owner = _owner_for(os.path.dirname(directory))
            os.makedirs(directory, 0o700)
            if os.geteuid() == 0 and parent_owner:
                os.chown(directory, *parent_owner)
        owner = _owner_for(target)
        handle, temp = tempfile.mkstemp(prefix='.%s.' % os.path.basename(target), dir=directory)
        try:
            with os.fdopen(handle, 'w') as stream:
                stream.write(json.dumps(config, indent='\t') + '\n')
                stream.flush()
                os.fsync(stream.fileno())
            os.chmod(temp, 0o600)
            if os.geteuid() == 0 and owner:
                os.chown(temp, *owner)
            os.replace(temp, target)
        except BaseException:
            if os.path.exists(temp):
                os.unlink(temp)
            raise
    except OSError as exc:
        raise DockerError('cannot write the docker client config %s: %s' % (path, exc.strerror or exc))


def _side(registry, key, username, password_mark):
    return dict(registry=registry, config_key=key, username=username, password=password_mark)


def manage(module):
    params = module.params
    registry = normalize_registry(params['registry_url'])
    key = config_key(registry)
    path = params['config_path'] or default_config_path()
    try:
        config = read_config(path)
        helper = credential_helper(registry, config=config)
    except RegistryError as exc:
        raise DockerError(exc.msg)
    auths = config.get('auths')
    if auths is not None and not isinstance(auths, dict):
        raise DockerError('the docker client config %s has an "auths" that is not a JSON object' % path)
    auths = dict(auths or {})

    if params['state'] == 'present':
        username, password = params['username'], params['password']
        if ':' in username:
            raise DockerError('the username %r contains ":", which the docker config format cannot store' % username)
        stored = entry_credentials(auths.get(key))
        if helper:
            module.warn('%s names the credential helper "%s" for %s; the docker CLI will ask docker-credential-%s '
                        'and not read the entry written here' % (path, helper, registry, helper))
        same = stored == (username, password)
        if not same or params['reauthorize']:
            validate_with_engine(module, registry, username, password)
        changed = not same
        if changed:
            auths[key] = {'auth': encode_auth(username, password)}
            config['auths'] = auths
            if not module.check_mode:
                write_config(path, config)
        before = _side(registry, key, stored[0], SECRET_MASK) if stored else {}
        changed_mark = SECRET_MASK + ' (changed)' if stored and stored[1] != password else SECRET_MASK
        after = _side(registry, key, username, changed_mark)
        result_user = username
    else:
        keys = config_keys_matching(auths, registry)
        removed = [entry_credentials(auths[found]) for found in keys]
        removed_user = next((found[0] for found in removed if found), None)
        changed = bool(keys)
        if changed:
            for found in keys:
                del auths[found]
            config['auths'] = auths
            if not module.check_mode:
                write_config(path, config)
        before = _side(registry, key, removed_user, SECRET_MASK if removed_user else None) if keys else {}
        after = {}
        result_user = removed_user

    result = dict(changed=changed,
                  login_result=dict(registry=registry, config_key=key, username=result_user, config_path=path))
    if module._diff:
        result['diff'] = dict(before=before, after=after, before_header='%s (current)' % path,
                              after_header='%s (wanted)' % path)
    return result


def main():
    argument_spec = dict(
        registry_url=dict(type='str', default=DOCKER_HUB, aliases=['registry']),
        username=dict(type='str'),
        password=dict(type='str', no_log=True),
        reauthorize=dict(type='bool', default=False, aliases=['reauth']),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        config_path=dict(type='path', aliases=['dockercfg_path']),
    )
    module = DockhandModule(argument_spec=argument_spec, supports_check_mode=True,
                            required_if=[('state', 'present', ('username', 'password'))])
    module.run(manage)


if __name__ == '__main__':
    main()
