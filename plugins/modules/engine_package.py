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

from ansible_collections.dockhand.docker.plugins.module_utils import bytecode_cache  # noqa: F401 pylint: disable=unused-import
from ansible_collections.dockhand.docker.plugins.module_utils.engine_package import work
from ansible_collections.dockhand.docker.plugins.module_utils.module import DockhandModule

ARGUMENT_SPEC = dict(
    name=dict(type='str', default='docker.io'),
    version=dict(type='str', required=True),
    change_version=dict(type='bool', default=True),
    restart=dict(type='bool', default=False),
)


def main():
    module = DockhandModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    module.run(work, needs_sdk=False)


if __name__ == '__main__':
    main()
