# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """What the secret and config modules share: one resource (versioned swarm objects) of two kinds."""

    DOCUMENTATION = r'''
options:
  state:
    description:
      - V(present) the current version holds the content given and every service that uses the
        logical name uses it.
      - V(absent) every version is removed. Refused, naming the services, while a service uses
        one, unless O(force=true).
    type: str
    choices: [present, absent]
    default: present
  data:
    description:
      - The content, as text (stored as UTF-8), or base64 with O(data_is_b64=true). Required
        with O(state=present) unless O(src) is given.
      - 1 byte to less than 500 KiB (the engine's limit).
      - Never shown; in the task's logged parameters it is masked, also in list items.
    type: str
  data_is_b64:
    description: O(data) is base64 (for binary content); it is decoded before it is stored.
    type: bool
    default: false
  src:
    description:
      - A file on the managed host whose bytes are the content; instead of O(data).
      - A missing, unreadable or too large file fails the task with one line before anything changes.
    type: path
  labels:
    description:
      - Labels of the object (values become strings). When not given, a new version takes the
        labels of the current one. Labels changed alone are set on the current version in place
        (the swarm allows that), with no new version.
      - Keys starting with C(dockhand.docker.) are the module's own and are refused.
    type: dict
  keep_versions:
    description:
      - How many earlier versions to keep besides the current one, newest first, for a rollback
        (0 to 100). A version a service uses is kept in any case.
    type: int
    default: 1
  force:
    description:
      - With O(state=absent), remove the versions no service uses and keep the others (reported in
        the result's C(in_use), with a warning) instead of refusing.
    type: bool
    default: false
  wait:
    description:
      - Wait until every service moved to a new version runs it (its update done and every task
        meant to run running with the new version). A paused or rolled-back update fails the
        items that moved the service.
      - Jobs (V(replicated-job), V(global-job)) are not waited for.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait with O(wait=true), for all moved services together.
    type: int
    default: 300
notes:
  - The swarm never changes an object's data, so each content is a version of its own, named
    C(NAME-<12 hex digits>) and labelled C(dockhand.docker.name) (the logical name),
    C(dockhand.docker.hash) (the full salted hash), C(dockhand.docker.salt) and
    C(dockhand.docker.generation) (the highest is the current version).
  - The hash is PBKDF2-HMAC-SHA256 with a random salt per logical name, kept from version to
    version, and about 50 ms of work, so that a short or guessable content cannot be found
    again from a name or label by trying candidates. Nothing else derived from the content is
    shown anywhere.
  - Services refer to a version by its ID and name. Use the name in the result's C(version)
    for a service made elsewhere; this module keeps every service that uses any version on the
    current one. Each reference keeps its target, uid, gid and mode, so tasks read the new
    content where they read the old.
  - In check mode the name of a logical name's first version is a prediction; its salt is
    chosen when it is made.
attributes:
  check_mode:
    description:
      - Reports the version it would create, the services it would move and the versions it
        would remove; changes nothing.
    support: full
  diff_mode:
    description:
      - Shows the current version's name before and after, C(content changed), the labels, the
        services moved and the versions - never the content.
    support: full
  platform:
    description: Runs on the host that reaches a swarm manager's engine, set by O(docker_host).
    support: full
    platforms: posix
'''
