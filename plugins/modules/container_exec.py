#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: container_exec
short_description: Run a command in a running Docker container
description:
  - Runs one command in a running container, like C(docker exec), and returns its exit code,
    standard output and standard error separately.
  - A non-zero exit code fails the task unless O(fail_on_error=false).
  - Like M(ansible.builtin.command), it always reports C(changed=true) when the command ran,
    because it cannot know what the command changed; use C(changed_when) to say otherwise.
author:
  - dockhand.docker maintainers (@dockhand)
version_added: 0.1.0
extends_documentation_fragment:
  - dockhand.docker.connection
  - dockhand.docker.connection.ATTRIBUTES
options:
  container:
    description:
      - Name or ID of the container. It must exist and be running.
    type: str
    required: true
  command:
    description:
      - The command to run.
      - A list is used as the program and its arguments, as they are.
      - A string is split into arguments like a shell would split them (quotes are honoured), but
        is not run by a shell; to use pipes, redirections or variables, run a shell, for example
        V([sh, -c, "echo $HOME > /tmp/home"]).
    type: raw
    required: true
  user:
    description:
      - User to run the command as, as a name or UID, optionally with a group (V(www-data), V(1000:1000)).
      - Defaults to the container's user.
    type: str
  workdir:
    description:
      - Working directory of the command, inside the container.
      - Defaults to the container's working directory.
    type: str
    aliases: [chdir]
  env:
    description:
      - Environment variables to set for the command, in addition to the container's own.
      - Values are converted to strings (V(true) becomes C(true), V(null) the empty string).
      - The values are never shown (in the result's C(invocation), error messages or the host's
        log) since they usually are credentials; the names are.
    type: dict
  stdin:
    description:
      - Text sent to the command's standard input, which is then closed.
      - Never shown (in the result's C(invocation), error messages or the host's log). What the
        command itself prints (RV(stdout), RV(stderr)) is returned as it is.
      - Not supported when O(docker_host) is reached over TLS (the standard input cannot be
        closed over a TLS connection without ending it).
    type: str
  strip_empty_ends:
    description:
      - Remove trailing newlines from RV(stdout) and RV(stderr), as M(ansible.builtin.command) does.
    type: bool
    default: true
  fail_on_error:
    description:
      - Fail the task when the command exits with a non-zero code.
      - The failure still returns RV(rc), RV(stdout) and RV(stderr).
    type: bool
    default: true
attributes:
  check_mode:
    description: Checks the container but does not run the command.
    support: partial
    details:
      - In check mode the command is not run; the module only checks that the container exists and is
        running, then reports C(skipped=true) and C(changed=false), as M(ansible.builtin.command) does.
  diff_mode:
    description: A command has no before and after to show.
    support: none
  platform:
    description: Runs on the managed host, talking to the engine set by O(docker_host).
    support: full
    platforms: posix
notes:
  - The connection O(timeout) applies to each call to the engine, not to how long the command runs.
  - The command runs without a terminal.
seealso:
  - module: dockhand.docker.container_info
  - module: ansible.builtin.command
'''

EXAMPLES = r'''
- name: Run the database migrations
  dockhand.docker.container_exec:
    container: app
    command: [./manage.py, migrate, --no-input]
    workdir: /srv/app
    user: app
    env:
      DJANGO_SETTINGS_MODULE: app.settings.production

- name: Use a shell for pipes and redirections
  dockhand.docker.container_exec:
    container: app
    command: [sh, -c, "ls /srv/uploads | wc -l"]
  register: uploads
  changed_when: false

- name: Feed a SQL script to psql
  dockhand.docker.container_exec:
    container: db
    command: psql -U postgres -v ON_ERROR_STOP=1
    stdin: "{{ lookup('ansible.builtin.file', 'schema.sql') }}"

- name: Check something that may fail, without failing the task
  dockhand.docker.container_exec:
    container: app
    command: test -f /srv/app/maintenance
    fail_on_error: false
  register: maintenance
  changed_when: false

- name: Act on the result
  ansible.builtin.debug:
    msg: "maintenance mode is {{ 'on' if maintenance.rc == 0 else 'off' }}"
'''

RETURN = r'''
rc:
  description: The command's exit code.
  returned: when the command ran
  type: int
  sample: 0
stdout:
  description: What the command wrote to standard output.
  returned: when the command ran
  type: str
  sample: "Applying migrations... OK"
stderr:
  description: What the command wrote to standard error.
  returned: when the command ran
  type: str
stdout_lines:
  description: RV(stdout) split into lines.
  returned: when the command ran
  type: list
  elements: str
stderr_lines:
  description: RV(stderr) split into lines.
  returned: when the command ran
  type: list
  elements: str
cmd:
  description: The command as the list of arguments that was (or, in check mode, would have been) run.
  returned: always
  type: list
  elements: str
  sample: [./manage.py, migrate, --no-input]
container:
  description: The container's name.
  returned: always
  type: str
  sample: app
'''

import shlex

from ansible_collections.dockhand.docker.plugins.module_utils import bytecode_cache  # noqa: F401 pylint: disable=unused-import
from ansible_collections.dockhand.docker.plugins.module_utils.container_options import argv_parser
from ansible_collections.dockhand.docker.plugins.module_utils.errors import DockerError
from ansible_collections.dockhand.docker.plugins.module_utils.exec_session import (
    build_env,
    masked_exec_params,
    run_in_container,
)
from ansible_collections.dockhand.docker.plugins.module_utils.module import DockhandModule


def _text(data, strip):
    text = data.decode('utf-8', 'replace') if isinstance(data, bytes) else data
    return text.rstrip('\r\n') if strip else text


def check_container(module, name):
    inspect = module.client.call_or_none('inspect container %r' % name, 'inspect_container', name)
    if inspect is None:
        raise DockerError('container %r does not exist' % name)
    state = (inspect.get('State') or {}).get('Status') or 'unknown'
    if state == 'paused':
        raise DockerError('container %r is not running (state: paused); unpause it first' % name)
    if state != 'running':
        raise DockerError('container %r is not running (state: %s); start it first' % (name, state))
    return inspect


def execute(module):
    params = module.params
    argv = argv_parser('command')(params['command'], None)
    if not argv:
        raise DockerError('command is empty; give the program to run')
    name = params['container']
    if not name or not name.strip():
        raise DockerError('container must be a container name or ID')
    env = build_env(params['env'])
    inspect = check_container(module, name)
    name = (inspect.get('Name') or name).lstrip('/')
    result = dict(cmd=argv, container=name)
    if module.check_mode:
        result.update(changed=False, skipped=True, msg='Command would have run if not in check mode')
        return result

    rc, stdout, stderr = run_in_container(module.client, inspect['Id'], name, argv, user=params['user'], env=env,
                                          workdir=params['workdir'], stdin=params['stdin'])
    strip = params['strip_empty_ends']
    stdout, stderr = _text(stdout, strip), _text(stderr, strip)
    result.update(changed=True, rc=rc, stdout=stdout, stderr=stderr, stdout_lines=stdout.splitlines(),
                  stderr_lines=stderr.splitlines())
    if rc != 0 and params['fail_on_error']:
        last = [line for line in stderr.splitlines() if line.strip()]
        if not last and rc in (126, 127):
            # The engine reports a command it could not start (no such program, user or
            # directory) on standard output.
            last = [line for line in stdout.splitlines() if line.strip()]
        reason = ': %s' % last[-1].strip()[:300] if last else ''
        details = dict(result)
        details.pop('msg', None)
        raise DockerError('command %s in container %r exited with rc %d%s'
                          % (' '.join(shlex.quote(arg) for arg in argv), name, rc, reason), **details)
    if rc != 0:
        # Without it, Ansible's executor turns any non-zero rc into a failed task.
        result['failed'] = False
    return result


def main():
    module = DockhandModule(
        argument_spec=dict(
            container=dict(type='str', required=True),
            command=dict(type='raw', required=True),
            user=dict(type='str'),
            workdir=dict(type='str', aliases=['chdir']),
            env=dict(type='dict'),
            stdin=dict(type='str'),
            strip_empty_ends=dict(type='bool', default=True),
            fail_on_error=dict(type='bool', default=True),
        ),
        supports_check_mode=True,
        masked_params=masked_exec_params,
    )
    module.run(execute)


if __name__ == '__main__':
    main()
