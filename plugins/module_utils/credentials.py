# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Registry credentials as the docker CLI finds them: config.json's ``auths``, or a credential helper.

The docker client config names a helper per registry (``credHelpers``) or one for every
registry (``credsStore``); when one is named it is asked first, as the CLI asks it: run as
``docker-credential-<name> get`` with the registry on stdin, it answers with JSON
``{"ServerURL", "Username", "Secret"}``. When it holds nothing for the registry, the ``auths``
entry is used, as the Docker SDK does when it pushes (the CLI would go anonymous): the reads
then use the credentials the image module's push uses.

Failures are one line naming the helper and the registry; a secret never appears in them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import signal
import subprocess

from ansible_collections.dockhand.docker.plugins.module_utils.registry import (
    RegistryError,
    config_key,
    config_keys_matching,
    credential_helper,
    default_config_path,
    entry_credentials,
    normalize_registry,
    read_config,
)

# The user name a helper answers with when its secret is an identity (refresh) token.
TOKEN_USERNAME = '<token>'
HELPER_PREFIX = 'docker-credential-'
HELPER_TIMEOUT = 30
_HELPER_NAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._-]*$')
# What docker-credential-helpers print when they hold nothing for the server.
_NOT_FOUND = re.compile(r'credentials not found', re.IGNORECASE)


class Credentials(object):
    """Credentials for one registry: a user and password, or an identity token; ``source`` says where from."""

    def __init__(self, registry, source, username=None, password=None, identitytoken=None):
        self.registry = registry
        self.source = source
        self.username = username or None
        self.password = password
        self.identitytoken = identitytoken or None

    def auth_config(self):
        """The engine's X-Registry-Auth object (the SDK's ``auth_config``) for these credentials."""
        server = config_key(self.registry)
        if self.identitytoken:
            return dict(identitytoken=self.identitytoken, serveraddress=server)
        return dict(username=self.username, password=self.password or '', serveraddress=server)

    def who(self):
        """'user NAME' or 'an identity token', for messages."""
        return 'user %s' % self.username if self.username and not self.identitytoken else 'an identity token'

    def __repr__(self):  # never the secret, even in a debugger or a traceback
        return 'Credentials(%s, %s, %s)' % (self.registry, self.who(), self.source)


def helper_answer(helper, registry, returncode, stdout, stderr):
    """The Credentials of a helper's answer, None when it holds nothing for the registry.

    Raises RegistryError (kind ``config``) naming helper and registry for any other failure.
    Its output is quoted only when the helper failed: an answer that is not JSON may hold the secret.
    """
    program = HELPER_PREFIX + helper
    text = (stdout or b'').decode('utf-8', 'replace').strip()
    errors = (stderr or b'').decode('utf-8', 'replace').strip()
    if returncode != 0:
        said = text or errors
        if _NOT_FOUND.search(said):
            return None
        first = ' '.join(said.splitlines()[0].split())[:200] if said else 'no output'
        raise RegistryError('credential helper %s failed for registry %s (exit %s): %s'
                            % (program, registry, returncode, first), kind='config')
    try:
        answer = json.loads(text)
    except ValueError:
        answer = None
    if not isinstance(answer, dict) or not isinstance(answer.get('Secret', ''), str) \
            or not isinstance(answer.get('Username', ''), str):
        raise RegistryError('credential helper %s did not answer for registry %s with JSON '
                            '{"ServerURL", "Username", "Secret"}' % (program, registry), kind='config')
    username, secret = answer.get('Username') or '', answer.get('Secret') or ''
    source = 'credential helper %s' % program
    if username == TOKEN_USERNAME:
        return Credentials(registry, source, identitytoken=secret) if secret else None
    if not username and not secret:
        return None
    return Credentials(registry, source, username=username, password=secret)


def run_helper(helper, registry, timeout=HELPER_TIMEOUT):
    """Ask ``docker-credential-<helper> get`` for this registry's credentials, as the docker CLI does."""
    program = HELPER_PREFIX + helper
    if not _HELPER_NAME.match(helper):
        raise RegistryError('the docker client config names credential helper %r for registry %s, which is not '
                            'a helper name' % (helper, registry), kind='config')
    try:
        # A session of its own: on a timeout the helper and whatever it started are ended together.
        process = subprocess.Popen([program, 'get'], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, start_new_session=True)
    except OSError as exc:
        reason = 'it is not installed on this host (not found on PATH)' if isinstance(exc, FileNotFoundError) \
            else (exc.strerror or str(exc))
        raise RegistryError('credential helper %s for registry %s cannot run: %s' % (program, registry, reason),
                            kind='config')
    try:
        stdout, stderr = process.communicate(config_key(registry).encode('utf-8'), timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except OSError:
            process.kill()
        process.communicate()
        raise RegistryError('credential helper %s did not answer for registry %s within %s s'
                            % (program, registry, timeout), kind='config')
    return helper_answer(helper, registry, process.returncode, stdout, stderr)


def registry_credentials(registry_host, config_path=None, run=run_helper):
    """The Credentials the docker CLI would use for this registry, or None (anonymous).

    ``config_path`` defaults to $DOCKER_CONFIG/config.json or ~/.docker/config.json.
    """
    registry = normalize_registry(registry_host)
    path = config_path or default_config_path()
    config = read_config(path)
    helper = credential_helper(registry, config=config)
    if helper:
        found = run(helper, registry)
        if found is not None:
            return found
    auths = config.get('auths') if isinstance(config.get('auths'), dict) else {}
    for key in config_keys_matching(auths, registry):
        entry = auths[key]
        token = entry.get('identitytoken') if isinstance(entry, dict) else None
        if isinstance(token, str) and token:
            return Credentials(registry, path, identitytoken=token)
        found = entry_credentials(entry)
        if found:
            return Credentials(registry, path, username=found[0], password=found[1])
    return None
