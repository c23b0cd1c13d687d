#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: image
short_description: Build, tag, push, pull, load, save or remove an image, only when needed
description:
  - Builds an image from a Dockerfile only when its build inputs changed. The inputs are the
    Dockerfile, every file of the context that C(.dockerignore) does not exclude (names, modes,
    contents), the build args, target, labels and platform. Their digest is stored on the image
    as the label C(dockhand.build-digest) and compared on the next run.
  - Pushes a reference only when the registry's manifest digest differs from the image's, and
    after a push checks that the registry now holds the digest the engine reported.
  - Pulls after reading the registry's manifest (list) and fails, naming the platforms offered,
    when the wanted platform is not among them; nothing is downloaded in that case.
  - Loads an archive only when the engine lacks its images; saves one only when the file does
    not already hold the image.
author:
  - dockhand.docker maintainers (@dockhand)
version_added: 0.1.0
extends_documentation_fragment:
  - dockhand.docker.connection
  - dockhand.docker.connection.ATTRIBUTES
options:
  name:
    description:
      - Image reference, such as V(registry.example.com:5000/team/app:1.4) or V(nginx) (normalised
        to V(docker.io/library/nginx:latest)). An image ID is accepted with O(state=absent) and
        O(source=local).
      - Mutually exclusive with O(images); one of them is required.
    type: str
  images:
    description:
      - Many images in one task, worked on one after another. Each item is a dictionary that
        takes the options of this module but O(images) (C(name) is required, names unique);
        options given at the top level are defaults for every item.
      - One module run for the whole list costs much less than a loop of tasks.
    type: list
    elements: dict
  state:
    description: Whether the image should be on the engine.
    type: str
    choices: [present, absent]
    default: present
  source:
    description:
      - Where the image comes from with O(state=present). V(build) from O(build), V(pull) from its
        registry, V(load) from O(archive_path), V(local) must already be on the engine.
      - Defaults to V(build) when O(build) is given, V(load) when O(archive_path) is given, else V(pull).
    type: str
    choices: [build, pull, load, local]
  build:
    description: How to build the image, with O(source=build).
    type: dict
    suboptions:
      context:
        description: Directory sent to the builder.
        type: path
        required: true
      dockerfile:
        description: Dockerfile path, relative to O(build.context).
        type: str
        default: Dockerfile
      args:
        description:
          - Build arguments; values must be strings.
          - The values of arguments whose name contains C(PASSWORD), C(PASSWD), C(TOKEN), C(SECRET) or C(KEY)
            are shown as C(********) in the task's invocation.
        type: dict
      target:
        description: Stage of a multi-stage Dockerfile to build; it must be a C(FROM ... AS) stage.
        type: str
      labels:
        description: Labels set on the image.
        type: dict
      nocache:
        description: Build without the layer cache.
        type: bool
        default: false
      pull:
        description: Refresh the base images while building.
        type: bool
        default: false
      platform:
        description: Platform to build for, such as V(linux/amd64).
        type: str
  rebuild:
    description:
      - V(auto) builds when the image is missing or its build-input digest differs.
      - V(always) builds on every run; V(never) only when the image is missing.
    type: str
    choices: [auto, always, never]
    default: auto
  tags:
    description:
      - More references for the same image. A reference that points at another image is moved.
    type: list
    elements: str
  push:
    description:
      - Push O(name) and every one of O(tags) whose digest the registry lacks.
      - Credentials are found as the docker CLI finds them in the client configuration
        (C(config.json)) - the credential helper it names for the registry (C(credHelpers), then
        C(credsStore)), else its C(auths) entry, which M(dockhand.docker.login) writes.
      - What the registry holds is asked through the engine, so its C(insecure-registries), the
        certificates in C(/etc/docker/certs.d/<registry>/) and its mirrors apply.
    type: bool
    default: false
  platform:
    description: Platform to pull, such as V(linux/arm64); defaults to the engine's own.
    type: str
  archive_path:
    description: A C(docker save) archive to load, with O(source=load).
    type: path
  export_path:
    description: Write a C(docker save) archive of the image here, unless the file already holds it.
    type: path
  force:
    description:
      - With O(state=absent), also remove the image when other references point at it or stopped
        containers use it.
    type: bool
    default: false
attributes:
  check_mode:
    description: Decides from digests and inspection alone, so it reports exactly what a real run would do.
    support: full
  diff_mode:
    description: Shows the build digest, tags, registry digests and archives that would change.
    support: full
  platform:
    description: Runs on the host that reaches the engine set by O(docker_host).
    support: full
    platforms: posix
'''

EXAMPLES = r'''
- name: Build the production stage and push it with a second tag
  dockhand.docker.image:
    name: 127.0.0.1:5000/team/app:1.4
    build:
      context: /srv/app
      target: production
      args:
        VERSION: "1.4"
    tags:
      - 127.0.0.1:5000/team/app:latest
    push: true

- name: Build and push several images in one module run
  dockhand.docker.image:
    push: true                  # top-level options are defaults for every item
    images:
      - name: 127.0.0.1:5000/team/api:2.0
        build: {context: /srv/api}
      - name: 127.0.0.1:5000/team/worker:2.0
        build: {context: /srv/worker, target: production}

- name: Pull for the engine's own platform (fails if the registry lacks it)
  dockhand.docker.image:
    name: registry.example.com/base/debian:12
    source: pull

- name: Ship an image as a file and load it elsewhere
  dockhand.docker.image:
    name: team/app:1.4
    source: local
    export_path: /var/tmp/app-1.4.tar

- name: Remove an image and every other name of it
  dockhand.docker.image:
    name: team/app:1.3
    state: absent
    force: true
'''

RETURN = r'''
images:
  description:
    - One entry per image, in the order given (with O(name), the one image).
    - An image that failed has C(failed) and C(msg); the others keep their results.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The normalised reference (or the ID as given).
      type: str
      sample: 127.0.0.1:5000/team/app:1.4
    changed:
      description: Whether this image changed (in check mode, would change).
      type: bool
    actions:
      description: What was done (or would be done in check mode), in order.
      type: list
      elements: str
      sample: [built, tagged 127.0.0.1:5000/team/app:latest, pushed 127.0.0.1:5000/team/app:1.4]
    id:
      description: Image ID afterwards; null when it does not exist (or is not built yet in check mode).
      type: str
    exists:
      description: Whether the image is on the engine afterwards.
      type: bool
    build_digest:
      description: Digest of the build inputs stored on the image.
      type: str
    repo_tags:
      description: References that point at the image.
      type: list
      elements: str
    repo_digests:
      description: Registry digests the engine knows for the image.
      type: list
      elements: str
    pushed:
      description: One entry per reference pushed or checked, with the registry's digest.
      returned: when O(push=true)
      type: list
      elements: dict
      contains:
        ref:
          description: The reference.
          type: str
        digest:
          description:
            - Manifest digest the registry holds for it, verified after a push.
            - Null when a push is due, in check mode.
          type: str
        pushed:
          description: Whether it was pushed in this run (in check mode, would be).
          type: bool
    build_log:
      description: Output lines of the build.
      returned: when a build ran (also when it failed)
      type: list
      elements: str
    diff:
      description: Before and after of what differs.
      returned: in diff mode, when something differs
      type: dict
    msg:
      description: Why this image failed.
      returned: when this image failed
      type: str
image:
  description: The entry of RV(images) for O(name).
  returned: when O(name) is given
  type: dict
actions:
  description: RV(images[].actions) of the one image, at the top level.
  returned: when O(name) is given
  type: list
  elements: str
pushed:
  description: RV(images[].pushed) of the one image, at the top level.
  returned: when O(push=true) and O(name) is given
  type: list
  elements: dict
build_log:
  description: RV(images[].build_log) of the one image, at the top level.
  returned: when a build ran and O(name) is given
  type: list
  elements: str
'''

from ansible_collections.dockhand.docker.plugins.module_utils import bytecode_cache  # noqa: F401 pylint: disable=unused-import
from ansible_collections.dockhand.docker.plugins.module_utils.frame import converge, module_result
from ansible_collections.dockhand.docker.plugins.module_utils.images import FORM, Images, masked_params
from ansible_collections.dockhand.docker.plugins.module_utils.module import DockhandModule


def run(module):
    images = Images(module.client, module.check_mode, diff=module._diff)
    return module_result(module, FORM, converge(images, module.params), single_at_top=True)


def main():
    module = DockhandModule(masked_params=masked_params,
                            **FORM.module_kwargs(required_if=[('source', 'load', ['archive_path'])]))
    module.run(run)


if __name__ == '__main__':
    main()
