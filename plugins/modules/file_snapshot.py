#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: file_snapshot
short_description: Save a set of files on the host, and put them all back as they were
description:
  - With O(state=saved), records what is at each of O(paths) now, as a snapshot named O(name)
    under O(root) on the managed host. For a regular file, its content, mode and owner; for a
    symbolic link, its target as written and the same record for the file it points to; for a
    path where nothing is, that nothing is there (and which of its directories are missing).
    A snapshot of the same name is replaced.
  - With O(state=restored), puts every path of the snapshot back as recorded, byte for byte, with
    its mode and owner. A file that did not exist is removed, with the directories made for it
    since, when they are empty. A link stays a link (it is made again when it was changed or
    removed) and the file it points to is restored. Paths that are already as recorded are not
    touched. The snapshot is kept; remove it with O(state=discarded).
  - With O(state=discarded), removes the snapshot.
  - For changes that must be undone together, such as all the files an engine restart depends
    on (C(daemon.json), its TLS files and a systemd drop-in); the
    P(dockhand.docker.docker_host#role) role rolls them back this way when the engine does not
    come up.
  - Every file is written atomically (a temporary file in the same directory, flushed, then
    renamed), so a reader never sees half of one.
author:
  - dockhand.docker maintainers (@dockhand)
version_added: 0.1.0
extends_documentation_fragment:
  - dockhand.docker.connection
options:
  name:
    description:
      - The snapshot's name; letters, digits, V(_), V(.) and V(-), at most 100 characters.
    type: str
    required: true
  paths:
    description:
      - The paths to save, as absolute paths. Each must be a regular file, a symbolic link (to a
        regular file or to nothing yet) or absent; a directory is refused.
      - Required with O(state=saved); ignored otherwise.
    type: list
    elements: path
  state:
    description:
      - V(saved) records the paths, V(restored) puts them back, V(discarded) removes the snapshot.
    type: str
    choices: [saved, restored, discarded]
    default: saved
  root:
    description:
      - The directory that holds the snapshots, one directory each (mode C(0700)), created when missing.
    type: path
    default: /var/lib/dockhand/snapshots
notes:
  - The saved copies keep the files' content, private keys included, readable only by the user the
    module runs as (mode C(0600) in a C(0700) directory). Discard a snapshot once it is not needed.
  - Content is never returned; RV(files) shows each file's SHA-256.
  - Restoring a snapshot that does not exist changes nothing and returns RV(found=false).
  - This module only works on files of the managed host. It accepts the connection options of the
    collection so that C(module_defaults) for C(group/dockhand.docker.docker) apply to it too,
    but ignores them, and it does not need the Docker SDK for Python.
attributes:
  check_mode:
    description: Reports what would be saved, restored or removed; writes nothing.
    support: full
  diff_mode:
    description: No diff is returned.
    support: none
  platform:
    description: Runs on the managed host, on its files.
    support: full
    platforms: posix
seealso:
  - module: dockhand.docker.daemon_config
'''

EXAMPLES = r'''
- name: Save what the engine's restart depends on
  dockhand.docker.file_snapshot:
    name: engine
    paths:
      - /etc/docker/daemon.json
      - /etc/docker/tls/ca.pem
      - /etc/docker/tls/cert.pem
      - /etc/docker/tls/key.pem
      - /etc/systemd/system/docker.service.d/dockhand-hosts.conf

- name: Change the files and restart the engine, or put them all back
  block:
    - name: Set the logging driver
      dockhand.docker.daemon_config:
        log_driver: local
    - name: Restart the engine
      ansible.builtin.service:
        name: docker
        state: restarted
  rescue:
    - name: Put the files back as they were
      dockhand.docker.file_snapshot:
        name: engine
        state: restored
    - name: Start the engine with them
      ansible.builtin.service:
        name: docker
        state: restarted
  always:
    - name: Forget the snapshot
      dockhand.docker.file_snapshot:
        name: engine
        state: discarded
'''

RETURN = r'''
name:
  description: The snapshot's name.
  returned: success
  type: str
  sample: engine
snapshot:
  description: The snapshot's directory on the host.
  returned: success
  type: str
  sample: /var/lib/dockhand/snapshots/engine
files:
  description:
    - What was recorded for each path, in the order given.
  returned: when O(state=saved)
  type: list
  elements: dict
  contains:
    path:
      description: The path.
      type: str
    state:
      description: V(file), V(link) or V(absent).
      type: str
    mode:
      description: The file's mode, in octal. Only for V(file).
      type: str
    uid:
      description: The file's owner. Only for V(file).
      type: int
    gid:
      description: The file's group. Only for V(file).
      type: int
    sha256:
      description: The SHA-256 of the file's content. Only for V(file).
      type: str
    link:
      description: The link's target as written. Only for V(link).
      type: str
    target:
      description: The same record for the file the link points to, with its absolute path. Only for V(link).
      type: dict
  sample:
    - {path: /etc/docker/daemon.json, state: file, mode: "0644", uid: 0, gid: 0, sha256: 9f86d08...}
    - {path: /etc/docker/tls/key.pem, state: absent}
found:
  description: Whether there was a snapshot of that name to restore or discard.
  returned: when O(state=restored) or O(state=discarded)
  type: bool
  sample: true
restored:
  description: The paths that were (in check mode, would be) put back because they differed from the snapshot.
  returned: when O(state=restored)
  type: list
  elements: str
  sample: [/etc/docker/daemon.json, /etc/docker/tls/key.pem]
'''

from ansible_collections.dockhand.docker.plugins.module_utils import bytecode_cache, snapshots  # noqa: F401 pylint: disable=unused-import
from ansible_collections.dockhand.docker.plugins.module_utils.errors import InvalidValue
from ansible_collections.dockhand.docker.plugins.module_utils.module import DockhandModule

ARGUMENT_SPEC = dict(
    name=dict(type='str', required=True),
    paths=dict(type='list', elements='path'),
    state=dict(type='str', choices=['saved', 'restored', 'discarded'], default='saved'),
    root=dict(type='path', default=snapshots.DEFAULT_ROOT),
)


def main():
    module = DockhandModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    module.run(work, needs_sdk=False)


def work(module):
    params = module.params
    root, name, state = params['root'], snapshots.checked_name(params['name']), params['state']
    result = dict(name=name, snapshot=snapshots.snapshot_dir(root, name))
    if state == 'saved':
        if not params['paths']:
            raise InvalidValue('paths: state=saved needs the paths to save')
        records = snapshots.save(root, name, params['paths'], check_mode=module.check_mode)
        result.update(changed=True, files=snapshots.shown(records))
    elif state == 'restored':
        found, restored = snapshots.restore(root, name, check_mode=module.check_mode)
        result.update(changed=bool(restored), found=found, restored=restored)
    else:
        found = snapshots.discard(root, name, check_mode=module.check_mode)
        result.update(changed=found, found=found)
    return result


if __name__ == '__main__':
    main()
