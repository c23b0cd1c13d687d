#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: secret
short_description: Swarm secrets that can change - versioned, the services that use them moved to each new version
description:
  - Run on a swarm manager. Converges one secret (O(name)) or many (O(secrets)) by their logical
    names. A swarm secret cannot be changed once made; this module makes each content a version
    of the logical name and keeps the services on the current version.
  - New content creates a new version. Every service that uses any version of the logical name
    (or a secret named exactly the logical name that this module did not make) is moved to it in
    the same run - one spec update per service, even when several secrets of the task change -
    and the engine rolls it out per the service's own C(update_config). Content that matches an
    earlier version still there makes that version current again.
  - Versions that no service uses any more are removed, keeping the newest O(keep_versions) of
    them besides the current one, for a rollback. A version a service still uses is never removed.
  - The same content and labels change nothing (V(changed=false)). The secret's data never
    appears in results, diffs, errors or the logged parameters.
  - All input is validated, and every O(src) read, before anything changes; on an engine that is
    not a swarm manager the task fails with one line.
author:
  - dockhand.docker maintainers (@dockhand)
version_added: 0.1.0
extends_documentation_fragment:
  - dockhand.docker.connection
  - dockhand.docker.connection.ATTRIBUTES
  - dockhand.docker.swarm_object
options:
  name:
    description:
      - The logical name of the secret. Letters, digits, C(-), C(_) and C(.), starting and ending
        with a letter or digit, at most 51 characters (a version adds 13).
      - Mutually exclusive with O(secrets); one of them is required.
    type: str
  secrets:
    description:
      - Many secrets in one task. Each item takes O(name), O(state), O(data), O(data_is_b64),
        O(src), O(labels) and O(keep_versions); C(name) is required and unique. Options given at
        the top level are defaults for every item.
      - A secret of white space only is refused, as the engine does.
    type: list
    elements: dict
'''

EXAMPLES = r'''
- name: A database password, from the vault; the services using db_password move to each new version
  dockhand.docker.secret:
    name: db_password
    data: "{{ vault_db_password }}"
    labels:
      team: shop

- name: TLS key and certificate in one task, so that a service using both rolls once
  dockhand.docker.secret:
    keep_versions: 2
    secrets:
      - name: shop_tls_key
        src: /etc/ssl/private/shop.key
      - name: shop_tls_cert
        src: /etc/ssl/certs/shop.pem

- name: Binary content
  dockhand.docker.secret:
    name: keytab
    data: "{{ lookup('file', 'files/app.keytab.b64') }}"
    data_is_b64: true

- name: Remove every version (fails, naming them, while services use one)
  dockhand.docker.secret:
    name: db_password
    state: absent
'''

RETURN = r'''
secrets:
  description:
    - One entry per secret, in the order given; the entries of failed secrets have C(msg).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The logical name.
      type: str
    action:
      description:
        - What happened (in check mode, would happen) - V(created) (the first version),
          V(rotated) (a new or an earlier version made current, or services moved to it),
          V(updated) (labels set in place), V(pruned) (only old versions removed), V(removed)
          (O(state=absent)), V(unchanged), or V(failed).
      type: str
      sample: rotated
    changed:
      description: Whether anything changed for this secret.
      type: bool
    version:
      description: Name of the current version afterwards; null with O(state=absent).
      type: str
      sample: db_password-3f9c2a71b0de
    id:
      description: ID of the current version; null for a version check mode would create.
      type: str
    versions:
      description: Names of the versions afterwards, the current one first.
      type: list
      elements: str
    services:
      description: Names of the services moved (or that would be) to the current version.
      type: list
      elements: str
      sample: [shop_web]
    removed_versions:
      description: Names of the versions removed (or that would be).
      type: list
      elements: str
    in_use:
      description: Versions kept although due for removal, because services use them, with those services.
      type: dict
      sample: {db_password-77aa01c2d3e4: [legacy_app]}
    changes:
      description: What differed - C(content), C(version), C(labels), C(services), C(versions).
      type: list
      elements: str
    diff:
      description: Before and after of what differed; never the data.
      type: dict
      returned: in diff mode, when something differed
    msg:
      description: Why this secret failed.
      type: str
      returned: when it failed
secret:
  description: The entry of RV(secrets) for O(name), when O(name) was used.
  returned: when O(name) is given
  type: dict
'''

from ansible_collections.dockhand.docker.plugins.module_utils import bytecode_cache  # noqa: F401 pylint: disable=unused-import
from ansible_collections.dockhand.docker.plugins.module_utils.swarm_objects import run_module


def main():
    run_module('secret')


if __name__ == '__main__':
    main()
