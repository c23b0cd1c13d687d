#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: image_info
short_description: Inspect images, their layers and history, and what a registry holds for them
description:
  - For one or many references (or image IDs) reports whether the image exists and its ID,
    references, registry digests, size, creation time, platform, labels (including the
    build-input digest that M(dockhand.docker.image) stores), layers and history as
    C(docker history) shows it.
  - With O(registry=true) also asks the image's registry for its manifest digest and, for a
    manifest list, the platforms it offers.
  - Changes nothing.
author:
  - dockhand.docker maintainers (@dockhand)
version_added: 0.1.0
extends_documentation_fragment:
  - dockhand.docker.connection
  - dockhand.docker.connection.ATTRIBUTES
  - dockhand.docker.connection.INFO_ATTRIBUTES
options:
  name:
    description: One image reference or ID. Mutually exclusive with O(names); one of them is required.
    type: str
  names:
    description: Several image references or IDs.
    type: list
    elements: str
  registry:
    description:
      - Also ask the registry for the manifest digest and platforms of each reference.
      - The registry is asked through the engine (its C(insecure-registries), C(certs.d) and mirrors
        apply), with the credentials the docker CLI would use - a credential helper named in
        C(config.json), else the C(auths) entry that M(dockhand.docker.login) writes.
    type: bool
    default: false
'''

EXAMPLES = r'''
- name: What is app:1.4, and does the registry hold the same?
  dockhand.docker.image_info:
    name: 127.0.0.1:5000/team/app:1.4
    registry: true
  register: app_image

- name: Compare the local and the registry digest
  ansible.builtin.assert:
    that: app_image.image.registry.digest in (app_image.image.repo_digests | map('regex_replace', '^.*@', '') | list)
'''

RETURN = r'''
images:
  description: One entry per asked name, in order.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The normalised reference (or the ID as given).
      type: str
    exists:
      description: Whether the engine has the image; the other keys are missing when it does not.
      type: bool
    id:
      description: Image ID.
      type: str
    repo_tags:
      description: References that point at the image.
      type: list
      elements: str
    repo_digests:
      description: Registry digests the engine knows for the image.
      type: list
      elements: str
    size:
      description: Size in bytes.
      type: int
    created:
      description: Creation time.
      type: str
    os:
      description: Operating system of the image.
      type: str
    architecture:
      description: Architecture of the image.
      type: str
    labels:
      description: Labels of the image.
      type: dict
    build_digest:
      description: The build-input digest M(dockhand.docker.image) stored, if any.
      type: str
    layers:
      description: Layer digests (C(RootFS.Layers)).
      type: list
      elements: str
    history:
      description: The image's history, newest first, as C(docker history) shows it.
      type: list
      elements: dict
      contains:
        created_by:
          description: The instruction that made the layer.
          type: str
        size:
          description: Bytes the step added.
          type: int
        created:
          description: Creation time, in seconds since the epoch.
          type: int
        comment:
          description: Comment of the step.
          type: str
    registry:
      description: What the registry holds for the reference.
      returned: when O(registry=true) and the name is a reference
      type: dict
      contains:
        digest:
          description: Manifest digest, or null when the registry does not have the reference.
          type: str
        platforms:
          description: Platforms of a manifest list (or the one of a single manifest).
          type: list
          elements: str
image:
  description: The entry of RV(images) for O(name), when O(name) was used.
  returned: when O(name) is given
  type: dict
'''

from ansible_collections.dockhand.docker.plugins.module_utils import bytecode_cache  # noqa: F401 pylint: disable=unused-import
from ansible_collections.dockhand.docker.plugins.module_utils.images import image_facts
from ansible_collections.dockhand.docker.plugins.module_utils.module import (
    asked_names,
    name_or_names_module,
    one_or_many,
)


def gather(module):
    params = module.params
    images = [image_facts(module.client, name, params['registry'], params['timeout'])
              for name in asked_names(params)]
    return one_or_many(params, 'images', 'image', images)


def main():
    module = name_or_names_module(dict(registry=dict(type='bool', default=False)))
    module.run(gather)


if __name__ == '__main__':
    main()
