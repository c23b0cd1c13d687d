# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Log in to a registry, or out, in the docker client's ``config.json``, as ``docker login`` does.

:func:`merge_login` is the pure part: the file's data, a registry and the wanted credentials
give the new data, whether it changed and the two sides of the diff (the password only as a
mask). :func:`manage` is the module ``dockhand.docker.login``: it reads the file, has the
engine check new credentials, and writes the file with :func:`files.write_atomically`.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import os
import re
from collections import namedtuple

from ansible_collections.dockhand.docker.plugins.module_utils.errors import DockerError, InvalidValue
from ansible_collections.dockhand.docker.plugins.module_utils.files import write_atomically
from ansible_collections.dockhand.docker.plugins.module_utils.registry import (
    DOCKER_HUB,
    DOCKER_HUB_CONFIG_KEY,
    config_key,
    config_keys_matching,
    credential_helper,
    default_config_path,
    encode_auth,
    entry_credentials,
    normalize_registry,
    read_config,
)
from ansible_collections.dockhand.docker.plugins.module_utils.secrets import SECRET_MASK, scrub

ARGUMENT_SPEC = dict(
    registry_url=dict(type='str', default=DOCKER_HUB, aliases=['registry']),
    username=dict(type='str'),
    password=dict(type='str', no_log=True),
    reauthorize=dict(type='bool', default=False, aliases=['reauth']),
    state=dict(type='str', default='present', choices=['present', 'absent']),
    config_path=dict(type='path', aliases=['dockercfg_path']),
)
REQUIRED_IF = [('state', 'present', ('username', 'password'))]
# ~/.docker holds credentials: made private, as the docker CLI makes it.
CONFIG_DIRECTORY_MODE = 0o700

# How engines say the registry refused the credentials (20.10: HTTP 500 naming the 401; newer: HTTP 401).
_REJECTED = re.compile(r'401 Unauthorized|\bunauthorized\b|incorrect username or password', re.IGNORECASE)
_REFUSED = re.compile(r'connection refused', re.IGNORECASE)


# What merge_login found: the new ``config``, ``changed``, the diff's ``before`` and ``after``,
# the user name to report, whether the engine must check the credentials (``needs_check``:
# they are not in the file yet) and the credential ``helper`` the file names.
LoginChange = namedtuple('LoginChange', 'config changed before after username needs_check helper')


def _side(registry, key, username, password_mark):
    return dict(registry=registry, config_key=key, username=username, password=password_mark)


def stored_credentials(auths, registry):
    """(username, password) the docker CLI would use for ``registry``: the canonical key's entry
    first, else another spelling of the registry's key (``https://host``, ``host/v1/``); or None."""
    for key in config_keys_matching(auths, registry):
        found = entry_credentials(auths[key])
        if found:
            return found
    return None


def merge_login(config, registry_url, username=None, password=None, state='present', path='config.json'):
    """The docker client config ``config`` (a dict, as read) after logging in to or out of a registry.

    ``state=present`` stores ``username``/``password`` under the registry's canonical key (as
    ``docker login`` writes it: ``host[:port]``, or ``https://index.docker.io/v1/`` for Docker
    Hub); it changes nothing when the credentials the docker CLI would use for the registry
    are already these. ``state=absent`` removes every spelling of the registry's key. Every
    other key of the file is kept. ``config`` itself is not changed; ``path`` is for messages.
    Raises :class:`DockerError` when ``auths`` is not an object, :class:`InvalidValue` for a
    user name the file format cannot hold.
    """
    registry = normalize_registry(registry_url)
    key = config_key(registry)
    auths = config.get('auths')
    if auths is not None and not isinstance(auths, dict):
        raise DockerError('the docker client config %s has an "auths" that is not a JSON object' % path)
    auths = copy.deepcopy(auths or {})
    new = copy.deepcopy(config)
    helper = credential_helper(registry, config=config)

    if state == 'present':
        if ':' in username:
            raise InvalidValue('username: %r contains ":", which the docker config format cannot store' % username)
        stored = stored_credentials(auths, registry)
        changed = stored != (username, password)
        if changed:
            auths[key] = {'auth': encode_auth(username, password)}
            new['auths'] = auths
        before = _side(registry, key, stored[0], SECRET_MASK) if stored else {}
        mark = SECRET_MASK + ' (changed)' if stored and stored[1] != password else SECRET_MASK
        return LoginChange(new, changed, before, _side(registry, key, username, mark), username, changed, helper)

    keys = config_keys_matching(auths, registry)
    removed = [entry_credentials(auths[found]) for found in keys]
    removed_user = next((found[0] for found in removed if found), None)
    for found in keys:
        del auths[found]
    if keys:
        new['auths'] = auths
    before = _side(registry, key, removed_user, SECRET_MASK if removed_user else None) if keys else {}
    return LoginChange(new, bool(keys), before, {}, removed_user, False, helper)


def render_config(config):
    """config.json's text, tab-indented like the docker CLI writes it."""
    return json.dumps(config, indent='\t') + '\n'


def new_file_owner(path):
    """(uid, gid) a new config.json and its new directories get: those of the nearest existing
    directory above it, when running as root (root writing ``/home/ci/.docker/config.json`` for
    user ci); None otherwise."""
    if os.geteuid() != 0:
        return None
    directory = os.path.dirname(os.path.abspath(path))
    while True:
        try:
            info = os.stat(directory)
        except OSError:
            parent = os.path.dirname(directory)
            if parent == directory:
                return None
            directory = parent
            continue
        return info.st_uid, info.st_gid


def check_with_engine(client, registry, username, password):
    """Have the engine log in to the registry; a refusal is one line naming registry and user."""
    server = DOCKER_HUB_CONFIG_KEY if registry == DOCKER_HUB else registry
    try:
        client.call('log in to %s' % registry, 'login', username=username, password=password, registry=server,
                    reauth=True)
    except DockerError as exc:
        # The engine's words, to tell a refusal from an unreachable registry; never the password.
        text = scrub(exc.msg, [password])
        if exc.details.get('status_code') == 401 or _REJECTED.search(text):
            raise DockerError('%s rejected the credentials of user %s' % (registry, username))
        if 'failed to log in' in text and _REFUSED.search(text):
            raise DockerError('cannot reach registry %s (from the Docker engine at %s): connection refused'
                              % (registry, client.docker_host))
        raise DockerError(text)


def manage(module):
    """The module's work: read, merge, check new credentials with the engine, write."""
    params = module.params
    path = params['config_path'] or default_config_path()
    change = merge_login(read_config(path), params['registry_url'], params['username'], params['password'],
                         params['state'], path)
    registry = normalize_registry(params['registry_url'])
    if params['state'] == 'present':
        if change.helper:
            module.warn('%s names the credential helper "%s" for %s; the docker CLI and the registry reads of this '
                        'collection ask docker-credential-%s first and use the entry written here only when it has '
                        'none' % (path, change.helper, registry, change.helper))
        if change.needs_check or params['reauthorize']:
            check_with_engine(module.client, registry, params['username'], params['password'])
    if change.changed and not module.check_mode:
        write_atomically(path, render_config(change.config), private=True, directory_mode=CONFIG_DIRECTORY_MODE,
                         new_owner=new_file_owner(path))
    result = dict(changed=change.changed, login_result=dict(registry=registry, config_key=config_key(registry),
                                                            username=change.username, config_path=path))
    if module._diff:
        result['diff'] = dict(before=change.before, after=change.after, before_header='%s (current)' % path,
                              after_header='%s (wanted)' % path)
    return result
