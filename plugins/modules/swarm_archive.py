#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: swarm_archive
short_description: Archive a stopped engine's swarm state directory, or put an archive of it back
description:
  - With O(state=created), archives the directory O(src) (by default C(/var/lib/docker/swarm), the
    Raft store, keys and certificates of a swarm node) into O(path), gzip-compressed, readable by
    its owner only, and returns its SHA-256.
  - With O(state=extracted), checks that the archive at O(path) has the SHA-256 O(sha256) and that
    every member is a file or directory under the directory's own name, then unpacks it beside
    O(src) and swaps the two with renames. A failed check changes nothing.
  - The engine must be stopped while either runs; only then is the Raft store consistent. The
    playbooks C(dockhand.docker.swarm_backup) and C(dockhand.docker.swarm_restore)
    stop and start it around this module.
  - The archive holds the swarm's keys (encrypted with the unlock key when the swarm is locked);
    keep it as safe as the swarm's managers.
author:
  - dockhand.docker maintainers (@dockhand)
version_added: 0.1.0
extends_documentation_fragment:
  - dockhand.docker.connection
  - dockhand.docker.connection.FILE_ATTRIBUTES
options:
  path:
    description: The archive on the managed host (a C(.tar.gz)); its directory is created (mode C(0700)) when missing.
    type: path
    required: true
  src:
    description: The swarm state directory of the engine.
    type: path
    default: /var/lib/docker/swarm
  state:
    description: V(created) archives O(src) into O(path); V(extracted) replaces O(src) with the archive at O(path).
    type: str
    choices: [created, extracted]
    default: created
  sha256:
    description: With O(state=extracted), the SHA-256 the archive must have (from its manifest). Required then.
    type: str
attributes:
  check_mode:
    description: Checks the archive (with V(extracted)) and reports what would be done; writes nothing.
    support: full
  diff_mode:
    description: No diff is returned.
    support: none
  platform:
    description: Runs on the managed host, on its files.
    support: full
    platforms: posix
notes:
  - This module only works on files of the managed host and does not need the Docker SDK for Python.
seealso:
  - module: dockhand.docker.swarm_backup_store
  - module: dockhand.docker.swarm_backup_info
'''

EXAMPLES = r'''
- name: Archive the swarm state of a stopped manager
  dockhand.docker.swarm_archive:
    path: /var/lib/dockhand/swarm-backup/swarm.tar.gz
  register: archived

- name: Put it back on a fresh host, engine stopped
  dockhand.docker.swarm_archive:
    path: /var/lib/dockhand/swarm-restore/swarm.tar.gz
    state: extracted
    sha256: "{{ archived.sha256 }}"
'''

RETURN = r'''
path:
  description: The archive.
  returned: always
  type: str
  sample: /var/lib/dockhand/swarm-backup/swarm.tar.gz
sha256:
  description: The archive's SHA-256 (null in check mode).
  returned: when O(state=created)
  type: str
  sample: 2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae
size:
  description: The archive's size in bytes (null in check mode).
  returned: when O(state=created)
  type: int
  sample: 40960
replaced:
  description: Whether a state directory was there and was (or would be) replaced.
  returned: when O(state=extracted)
  type: bool
  sample: false
'''

from ansible_collections.dockhand.docker.plugins.module_utils import bytecode_cache, swarm_archive  # noqa: F401 pylint: disable=unused-import
from ansible_collections.dockhand.docker.plugins.module_utils.errors import InvalidValue
from ansible_collections.dockhand.docker.plugins.module_utils.module import DockhandModule

ARGUMENT_SPEC = dict(
    path=dict(type='path', required=True),
    src=dict(type='path', default=swarm_archive.DEFAULT_STATE_DIR),
    state=dict(type='str', choices=['created', 'extracted'], default='created'),
    sha256=dict(type='str'),
)


def work(module):
    params = module.params
    if params['state'] == 'created':
        result = swarm_archive.create_archive(params['src'], params['path'], check_mode=module.check_mode)
        return dict(result, changed=True)
    if not params['sha256']:
        raise InvalidValue('sha256: state=extracted needs the sha256 the archive must have (from its manifest)')
    result = swarm_archive.extract_archive(params['path'], params['src'], params['sha256'].strip().lower(),
                                           check_mode=module.check_mode)
    return dict(result, path=params['path'], changed=True)


def main():
    module = DockhandModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    module.run(work, needs_sdk=False)


if __name__ == '__main__':
    main()
