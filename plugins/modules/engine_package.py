#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: engine_package
short_description: Hold the Docker engine's Debian package at a version, or find which version that is
description:
  - Makes the engine's Debian package (O(name), C(docker.io) by default) have the version O(version)
    asks for, and holds it (C(apt-mark hold)) so that upgrades leave it alone.
  - O(version) is a whole Debian version (V(20.10.24+dfsg1-1+deb12u1)) or a prefix of one that ends
    where a part of it ends (V(20.10.24) or V(20.10) match V(20.10.24+dfsg1-1+deb12u1); V(20.10.2)
    does not). An installed version that matches is kept. Otherwise the package is installed at the
    version the host's apt repositories offer that is O(version) exactly, else at the newest offered
    version that matches it (an upgrade or a downgrade).
  - A version no repository offers is refused before anything changes, in one line naming the host,
    the version asked for and the versions offered. When no offered version matches, the package
    index is refreshed (C(apt-get update)) once before the refusal, also in check mode (it changes
    no package).
  - With O(change_version=false) the module only finds the version and holds a package whose version
    is already right; RV(version_pending) says that the version must change. The
    P(dockhand.docker.docker_host#role) role does so in its parallel phase, and changes the version
    later, while the swarm node is drained.
  - Installing the package restarts the engine from the package's own scripts. With O(restart=false)
    (the default) that restart is held back (a temporary C(/usr/sbin/policy-rc.d); one already there
    is put back after), so that the engine keeps running the old program until its caller restarts
    it, once and under its watch.
author:
  - dockhand.docker maintainers (@dockhand)
version_added: 0.1.0
extends_documentation_fragment:
  - dockhand.docker.connection
options:
  name:
    description:
      - The engine's Debian package.
    type: str
    default: docker.io
  version:
    description:
      - The version to have, a whole Debian version or a prefix of one, as described above.
    type: str
    required: true
  change_version:
    description:
      - V(false) changes no version; the package is held when its version is already right.
    type: bool
    default: true
  restart:
    description:
      - Let the package's scripts restart the engine when the version changes (V(true)), or hold
        that restart back for the caller to do (V(false)).
    type: bool
    default: false
notes:
  - Needs C(apt-get), C(apt-cache), C(apt-mark) and C(dpkg-query) on the host (Debian, Ubuntu); the
    Python module C(apt) is not needed.
  - This module works on the managed host's packages. It accepts the connection options of the
    collection so that C(module_defaults) for C(group/dockhand.docker.docker) apply to it too,
    but ignores them, and it does not need the Docker SDK for Python.
attributes:
  check_mode:
    description: Finds the version and reports what would change, with the diff; installs and holds nothing.
    support: full
  diff_mode:
    description: The package's version and hold before and after.
    support: full
  platform:
    description: Runs on the managed host, on its Debian packages.
    support: full
    platforms: debian
seealso:
  - module: dockhand.docker.engine_info
'''

EXAMPLES = r'''
- name: Run Docker 20.10.24 (the newest Debian build of it the repositories offer), held
  dockhand.docker.engine_package:
    version: 20.10.24

- name: Find the version, refuse one no repository offers, change nothing yet
  dockhand.docker.engine_package:
    version: 20.10.24+dfsg1-1+deb12u1
    change_version: false
  register: engine_package_plan

- name: Later, with the node drained - install it, then restart the engine yourself
  dockhand.docker.engine_package:
    version: "{{ engine_package_plan.version }}"
  when: engine_package_plan.version_pending
'''

RETURN = r'''
name:
  description: The package.
  returned: success
  type: str
  sample: docker.io
installed:
  description: Its version before the task; null when it was not installed.
  returned: success
  type: str
  sample: 20.10.24+dfsg1-1+deb12u1+b6
version:
  description: The version it must have (and has, unless RV(version_pending)).
  returned: success
  type: str
  sample: 20.10.24+dfsg1-1+deb12u1+b6+dockhand1
held:
  description: Whether the package is held after the task (in check mode, would be).
  returned: success
  type: bool
version_pending:
  description: The version must change and O(change_version=false) left it as it was.
  returned: success
  type: bool
available:
  description:
    - The versions the host's apt repositories offer, newest first; empty when they were not asked
      (the installed version is O(version) itself).
  returned: success
  type: list
  elements: str
'''

import os
import socket

from ansible_collections.dockhand.docker.plugins.module_utils.debian_version import compare_versions, wanted_version
from ansible_collections.dockhand.docker.plugins.module_utils.errors import DockerError, InvalidValue
from ansible_collections.dockhand.docker.plugins.module_utils.module import DockhandModule

ARGUMENT_SPEC = dict(
    name=dict(type='str', default='docker.io'),
    version=dict(type='str', required=True),
    change_version=dict(type='bool', default=True),
    restart=dict(type='bool', default=False),
)
POLICY_RC_D = '/usr/sbin/policy-rc.d'
POLICY_RC_D_SAVED = POLICY_RC_D + '.dockhand-saved'
APT_ENV = dict(DEBIAN_FRONTEND='noninteractive', LC_ALL='C', LANG='C')


def main():
    module = DockhandModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    module.run(work, needs_sdk=False)


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
        with open(POLICY_RC_D, 'w') as policy:
            policy.write('#!/bin/sh\n# dockhand.docker.engine_package: the caller restarts the engine\nexit 101\n')
        os.chmod(POLICY_RC_D, 0o755)
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


if __name__ == '__main__':
    main()
