#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: swarm_backup_store
short_description: Keep swarm backups on the controller with their manifests, or check one before a restore
description:
  - Runs where the backups are kept (the controller, with C(delegate_to=localhost)).
  - With O(state=stored), takes an archive of a manager's swarm state already copied there
    (O(incoming)), checks its SHA-256 against the one the manager computed, and files it as
    C(<directory>/<cluster ID>/<UTC time>.tar.gz) with a manifest beside it (C(<UTC time>.manifest.json),
    holding the cluster ID, node ID, hostname, advertise address, engine version, autolock, time, the
    archive's SHA-256 and the IDs and names of the networks, secrets, configs and services) and the swarm's
    declarative state (C(<UTC time>.state.yml), the P(dockhand.docker.services#role) role's variables).
    Then only the newest O(keep) backups of that cluster are kept.
  - With O(state=checked), reads the manifest beside O(archive), checks that it is one this
    collection wrote and that the archive has its SHA-256, and refuses the archive of a locked
    swarm (autolock). Fails before anything changes otherwise.
  - A locked swarm's archive cannot be restored, because the engine unlocks a manager only once its swarm
    has a leader, which a manager restored alone never has (measured on Docker 20.10, the unlock
    and every swarm call after it wait for ever). Take backups with autolock off.
  - The manifest never holds a join token, the unlock key or secret data.
author:
  - dockhand.docker maintainers (@dockhand)
version_added: 0.1.0
extends_documentation_fragment:
  - dockhand.docker.connection
  - dockhand.docker.connection.FILE_ATTRIBUTES
options:
  state:
    description: V(stored) files a new backup; V(checked) checks one before a restore.
    type: str
    choices: [stored, checked]
    default: stored
  directory:
    description: With O(state=stored), the directory of the backups, one subdirectory per cluster (mode C(0700)).
    type: path
  incoming:
    description: With O(state=stored), the archive as it was copied from the manager; it is moved into place.
    type: path
  sha256:
    description: With O(state=stored), the SHA-256 the manager computed for the archive.
    type: str
  manifest:
    description:
      - With O(state=stored), the manifest's fields the manager knows
        (RV(dockhand.docker.swarm_backup_info#module:manifest)).
    type: dict
  declarative_state:
    description:
      - With O(state=stored), the swarm's declarative state to write beside the archive
        (RV(dockhand.docker.swarm_backup_info#module:declarative_state)).
    type: dict
  keep:
    description: With O(state=stored), how many backups of the cluster to keep, the newest; older ones are removed.
    type: int
    default: 7
  archive:
    description: With O(state=checked), the archive to check; its manifest is the C(.manifest.json) beside it.
    type: path
  unlock_key:
    description:
      - With O(state=checked), the unlock key the swarm had when the archive was taken. Only looked at to
        word the refusal of a locked swarm's archive; never shown.
    type: str
attributes:
  check_mode:
    description: Checks as usual; with O(state=stored) writes, moves and removes nothing.
    support: full
  diff_mode:
    description: No diff is returned.
    support: none
  platform:
    description: Runs where the backups are kept, on its files.
    support: full
    platforms: posix
notes:
  - Does not need the Docker SDK for Python.
  - The archive holds the swarm's keys (encrypted with the unlock key when the swarm is locked);
    keep the backup directory as safe as the managers.
seealso:
  - module: dockhand.docker.swarm_archive
  - module: dockhand.docker.swarm_backup_info
'''

EXAMPLES = r'''
- name: File a fetched archive with its manifest, keeping the newest 7
  dockhand.docker.swarm_backup_store:
    directory: /srv/swarm-backups
    incoming: /srv/swarm-backups/.incoming/node2.tar.gz
    sha256: "{{ archived.sha256 }}"
    manifest: "{{ backup_view.manifest }}"
    declarative_state: "{{ backup_view.declarative_state }}"
    keep: 7
  delegate_to: localhost

- name: Check an archive before restoring it
  dockhand.docker.swarm_backup_store:
    state: checked
    archive: /srv/swarm-backups/x1bw0zt4fsr3e9p5m2q7c8d6a/20261203T235000Z.tar.gz
    unlock_key: "{{ vault_swarm_unlock_key | default(omit) }}"
  delegate_to: localhost
  register: checked
'''

RETURN = r'''
archive:
  description: The archive (filed, or checked).
  returned: always
  type: str
  sample: /srv/swarm-backups/x1bw0zt4fsr3e9p5m2q7c8d6a/20261203T235000Z.tar.gz
manifest_path:
  description: The manifest beside the archive.
  returned: always
  type: str
state_path:
  description: The declarative state beside the archive.
  returned: when O(state=stored)
  type: str
manifest:
  description: The manifest (see the description for its fields).
  returned: always
  type: dict
removed:
  description: The backups removed to keep the newest O(keep), by their UTC time.
  returned: when O(state=stored)
  type: list
  elements: str
kept:
  description: The backups of the cluster there now, oldest first.
  returned: when O(state=stored)
  type: list
  elements: str
'''

import datetime
import json
import os
import shutil

from ansible.module_utils.common.yaml import HAS_YAML, yaml_dump

from ansible_collections.dockhand.docker.plugins.module_utils import bytecode_cache  # noqa: F401 pylint: disable=unused-import
from ansible_collections.dockhand.docker.plugins.module_utils.errors import DockerError, InvalidValue
from ansible_collections.dockhand.docker.plugins.module_utils.files import write_atomically
from ansible_collections.dockhand.docker.plugins.module_utils.module import DockhandModule
from ansible_collections.dockhand.docker.plugins.module_utils.swarm_archive import sha256_of
from ansible_collections.dockhand.docker.plugins.module_utils.swarm_backup import (
    archive_mismatch,
    backup_files,
    backup_stamp,
    build_manifest,
    check_manifest,
    expired,
    manifest_name,
    stamp_of,
    unlock_key_problem,
)

ARGUMENT_SPEC = dict(
    state=dict(type='str', choices=['stored', 'checked'], default='stored'),
    directory=dict(type='path'),
    incoming=dict(type='path'),
    sha256=dict(type='str'),
    manifest=dict(type='dict'),
    declarative_state=dict(type='dict'),
    keep=dict(type='int', default=7),
    archive=dict(type='path'),
    unlock_key=dict(type='str', no_log=True),
)
STATE_HEADER = ('# The swarm as the dockhand.docker.services role\'s variables, read when the backup was taken.\n'
                '# Secrets are listed without data (give it from the vault to replay them).\n')


def _stamps(directory):
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    return [stamp for stamp in (stamp_of(name) for name in names) if stamp]


def _remove(path):
    try:
        os.unlink(path)
    except OSError as exc:
        if os.path.lexists(path):
            raise DockerError('cannot remove the old backup file %s: %s' % (path, exc.strerror or exc))


def store(module):
    params = module.params
    for option in ('directory', 'incoming', 'sha256', 'manifest'):
        if not params[option]:
            raise InvalidValue('%s: state=stored needs it' % option)
    actual = sha256_of(params['incoming'])
    if actual != params['sha256'].strip().lower():
        if not module.check_mode:
            _remove(params['incoming'])
        raise DockerError('the archive copied from the manager has sha256 %s, the manager computed %s: it was '
                          'damaged on the way and was not kept; run the backup again' % (actual, params['sha256']))
    cluster = params['manifest'].get('cluster_id')
    if not isinstance(cluster, str) or not cluster.isalnum():
        raise InvalidValue('manifest: has no cluster_id')
    directory = os.path.join(params['directory'], cluster)
    taken = _stamps(directory)
    now = datetime.datetime.utcnow().replace(microsecond=0)
    stamp = backup_stamp(now, taken)
    files = dict((kind, os.path.join(directory, name)) for kind, name in backup_files(stamp).items())
    manifest = build_manifest(params['manifest'], now.isoformat() + 'Z', actual, os.path.basename(files['archive']))
    removed = expired(taken + [stamp], params['keep'])
    kept = sorted(set(taken + [stamp]) - set(removed))
    result = dict(changed=True, archive=files['archive'], manifest_path=files['manifest'], state_path=files['state'],
                  manifest=manifest, removed=removed, kept=kept)
    if module.check_mode:
        return result
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o700)
    try:
        shutil.move(params['incoming'], files['archive'])
        os.chmod(files['archive'], 0o600)
    except OSError as exc:
        raise DockerError('cannot file the archive as %s: %s' % (files['archive'], exc))
    write_atomically(files['manifest'], json.dumps(manifest, indent=2, sort_keys=True) + '\n', private=True)
    state = params['declarative_state'] or {}
    text = yaml_dump(state, default_flow_style=False, sort_keys=True) if HAS_YAML else json.dumps(state, indent=2)
    write_atomically(files['state'], STATE_HEADER + text, private=True)
    for old in removed:
        for name in backup_files(old).values():
            _remove(os.path.join(directory, name))
    return result


def check(module):
    params = module.params
    if not params['archive']:
        raise InvalidValue('archive: state=checked needs the archive to check')
    archive = params['archive']
    manifest_path = os.path.join(os.path.dirname(archive), manifest_name(os.path.basename(archive)))
    try:
        with open(manifest_path) as stream:
            manifest = json.load(stream)
    except OSError as exc:
        raise InvalidValue('swarm_restore_archive: the manifest %s beside the archive cannot be read (%s); give an '
                           'archive written by the swarm_backup playbook' % (manifest_path, exc.strerror or exc))
    except ValueError as exc:
        raise InvalidValue('the manifest %s is not JSON (%s)' % (manifest_path, exc))
    manifest = check_manifest(manifest)
    if not os.path.isfile(archive):
        raise InvalidValue('swarm_restore_archive: %s is not a file' % archive)
    mismatch = archive_mismatch(manifest, sha256_of(archive))
    if mismatch:
        raise InvalidValue(mismatch)
    problem = unlock_key_problem(manifest, params['unlock_key'])
    if problem:
        raise InvalidValue(problem)
    return dict(changed=False, archive=archive, manifest_path=manifest_path, manifest=manifest)


def main():
    module = DockhandModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    module.run(store if module.params['state'] == 'stored' else check, needs_sdk=False)


if __name__ == '__main__':
    main()
