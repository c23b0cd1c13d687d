#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: tls_check
short_description: Check a Docker engine's CA, certificate and private key on the controller before installing them
description:
  - Reads the CA certificate, the engine's certificate and its private key on the controller and
    fails, with one line naming the file and what to do, when
    the key is not the certificate's (their public keys differ);
    the certificate was not signed by a certificate of the CA file, directly or through
    intermediate certificates placed after it in its own file;
    the certificate, an intermediate or the CA has expired or is not valid yet;
    a file cannot be read or holds no PEM certificate or unencrypted PEM private key.
  - Runs entirely on the controller (an action plugin), with the C(cryptography) package that
    ansible-core itself depends on; the managed host needs nothing and the key is not sent to it.
  - Paths are found as M(ansible.builtin.copy) finds its O(ansible.builtin.copy#module:src), so
    a relative path is looked up in the C(files/) directory of the role or the playbook.
  - The key's content never appears in the result or in a message; only its path, type and size.
  - The P(dockhand.docker.docker_host#role) role runs this before it installs a TLS listener's files.
author:
  - dockhand.docker maintainers (@dockhand)
version_added: 0.1.0
extends_documentation_fragment:
  - dockhand.docker.connection
options:
  ca:
    description:
      - The CA certificate that signed the engine's certificate, in PEM; a file of several CA certificates is accepted.
    type: str
    required: true
  certificate:
    description:
      - The engine's certificate, in PEM, optionally followed by the intermediate certificates that lead to the CA.
    type: str
    required: true
  private_key:
    description:
      - The engine's private key, in PEM, unencrypted (the engine cannot read an encrypted one).
    type: str
    required: true
notes:
  - It accepts the connection options of the collection so that C(module_defaults) for
    C(group/dockhand.docker.docker) apply to it too, but ignores them.
  - The certificate's names (subject alternative names) are not checked against the host; clients check those.
attributes:
  action:
    description: Runs on the controller.
    support: full
  check_mode:
    description: Reads and checks only; the same in check mode.
    support: full
  diff_mode:
    description: No diff is returned.
    support: none
  platform:
    description: Runs on the controller only.
    support: full
    platforms: posix
seealso:
  - module: ansible.builtin.copy
'''

EXAMPLES = r'''
- name: Refuse a certificate and key that do not belong together before anything is installed
  dockhand.docker.tls_check:
    ca: files/pki/ca.pem
    certificate: "files/pki/{{ inventory_hostname }}.pem"
    private_key: "files/pki/{{ inventory_hostname }}-key.pem"
'''

RETURN = r'''
ca:
  description: The CA file that was read, as found on the controller.
  returned: success
  type: str
  sample: /home/ops/site/files/pki/ca.pem
certificate:
  description: The certificate file that was read, as found on the controller.
  returned: success
  type: str
  sample: /home/ops/site/files/pki/docker1.pem
private_key:
  description: The key file that was read, as found on the controller (never its content).
  returned: success
  type: str
  sample: /home/ops/site/files/pki/docker1-key.pem
subject:
  description: The certificate's subject.
  returned: success
  type: str
  sample: CN=docker1.example.com
issuer:
  description: The subject of the CA certificate the chain ends at.
  returned: success
  type: str
  sample: CN=Example Docker CA
key:
  description: The key's type and size.
  returned: success
  type: str
  sample: RSA 2048-bit
not_after:
  description: When the certificate expires, in UTC.
  returned: success
  type: str
  sample: "2026-05-01T10:00:00Z"
'''
