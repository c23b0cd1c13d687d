# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The engine's Debian package at a version: what is installed and held (dpkg), what the host's apt
repositories offer (apt-cache madison), which version to take (debian_version), and the install with
the package's own restart of the engine held back, so that the caller restarts it once."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import socket

from ansible_collections.dockhand.docker.plugins.module_utils.debian_version import compare_versions, wanted_version
from ansible_collections.dockhand.docker.plugins.module_utils.errors import DockerError, InvalidValue
from ansible_collections.dockhand.docker.plugins.module_utils.files import write_atomically

POLICY_RC_D = '/usr/sbin/policy-rc.d'
POLICY_RC_D_SAVED = POLICY_RC_D + '.dockhand-saved'
APT_ENV = dict(DEBIAN_FRONTEND='noninteractive', LC_ALL='C', LANG='C')


def _run(module, args, what):
    rc, out, err = module.run_command(args, environ_update=APT_ENV)
    if rc != 0:
        lines = [line.strip() for line in (err or out or '').splitlines() if line.strip()]
        last = lines[-1] if lines else 'no output'
        raise DockerError('%s failed on %s (exit %d): %s' % (what, socket.gethostname(), rc, last))
    return out


def read_installed(module, name):
    """(version, held) of the installed package, (None, False) when it is not installed."""
    rc, out, _err = module.run_command(['dpkg-query', '-W', '-f', '${Status}\t${Version}', name],
                                       environ_update=APT_ENV)
    status, _tab, version = out.partition('\t')
    status = status.split()
    if rc != 0 or len(status) != 3 or status[2] != 'installed' or not version.strip():
        return None, False
    return version.strip(), status[0] == 'hold'


def parse_madison(text, name):
    """The versions `apt-cache madison` lists for package ``name``, newest first, each once."""
    versions = []
    for line in text.splitlines():
        parts = [part.strip() for part in line.split('|')]
        if len(parts) >= 3 and parts[0] == name and parts[1] and parts[1] not in versions:
            versions.append(parts[1])
    return sorted(versions, key=_SortKey, reverse=True)


class _SortKey(object):
    def __init__(self, version):
        self.version = version

    def __lt__(self, other):
        return compare_versions(self.version, other.version) < 0


def offered_versions(module, name):
    return parse_madison(_run(module, ['apt-cache', 'madison', name], 'apt-cache madison %s' % name), name)


def shown(name, version, held):
    if version is None:
        return '%s not installed\n' % name
    return '%s %s%s\n' % (name, version, ' (held)' if held else '')


def install(module, name, version, restart):
    """apt-get install name=version (up or down, a hold notwithstanding), the package's own restart
    of its services held back by a policy-rc.d that refuses every action unless ``restart``."""
    command = ['apt-get', 'install', '-y', '-q', '--no-install-recommends', '--allow-downgrades',
               '--allow-change-held-packages', '-o', 'Dpkg::Options::=--force-confdef',
               '-o', 'Dpkg::Options::=--force-confold', '%s=%s' % (name, version)]
    if restart:
        _run(module, command, 'apt-get install %s=%s' % (name, version))
        return
    saved = os.path.lexists(POLICY_RC_D)
    if saved:
        os.rename(POLICY_RC_D, POLICY_RC_D_SAVED)
    try:
        write_atomically(POLICY_RC_D, '#!/bin/sh\n# dockhand.docker.engine_package: the caller restarts the engine\n'
                                      'exit 101\n', mode=0o755, owner=(0, 0))
        _run(module, command, 'apt-get install %s=%s' % (name, version))
    finally:
        if os.path.lexists(POLICY_RC_D):
            os.unlink(POLICY_RC_D)
        if saved:
            os.rename(POLICY_RC_D_SAVED, POLICY_RC_D)


def work(module):
    params = module.params
    name, wanted = params['name'], (params['version'] or '').strip()
    if not wanted:
        raise InvalidValue('version: give the Debian version of %s to run, or a prefix of one (such as 20.10.24)'
                           % name)
    installed, held = read_installed(module, name)
    available = []
    target = installed if installed == wanted else None
    if target is None:
        available = offered_versions(module, name)
        target = wanted_version(wanted, installed, available)
        if target is None:
            # The package index may be old or missing: ask the repositories once more.
            _run(module, ['apt-get', 'update', '-q'], 'apt-get update')
            available = offered_versions(module, name)
            target = wanted_version(wanted, installed, available)
    if target is None:
        raise InvalidValue('version %s of %s: no apt repository of %s offers it (offered: %s; installed: %s); '
                           'nothing was changed' % (wanted, name, socket.gethostname(),
                                                    ', '.join(available) or 'none', installed or 'none'))
    version_change = target != installed
    version_pending = version_change and not params['change_version']
    after_version = installed if version_pending else target
    result = dict(name=name, installed=installed, version=target, available=available,
                  version_pending=version_pending, held=after_version is not None,
                  changed=(version_change and not version_pending) or (not held and after_version is not None))
    if result['changed'] and module._diff:
        result['diff'] = dict(before=shown(name, installed, held), after=shown(name, after_version, True),
                              before_header='%s (before)' % name, after_header='%s (after)' % name)
    if module.check_mode:
        return result
    if version_change and not version_pending:
        install(module, name, target, params['restart'])
    if after_version is not None and not read_installed(module, name)[1]:
        _run(module, ['apt-mark', 'hold', name], 'apt-mark hold %s' % name)
    return result
