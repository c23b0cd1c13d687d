# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""dockhand.docker.tls_check: the engine's TLS files checked on the controller, before any is installed.

An action plugin rather than a module: the files are on the controller, found as
ansible.builtin.copy finds its src (the role's or the playbook's files/ directory, or a path),
and read with the controller's own cryptography, so a managed host needs no new package and
the private key never travels for a check.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase

from ansible_collections.dockhand.docker.plugins.module_utils.client import CONNECTION_ARGSPEC
from ansible_collections.dockhand.docker.plugins.module_utils.errors import DockhandError, InvalidValue
from ansible_collections.dockhand.docker.plugins.module_utils.tls_files import check_tls_files

ARGUMENT_SPEC = dict(
    ca=dict(type='str', required=True),
    certificate=dict(type='str', required=True),
    private_key=dict(type='str', required=True),
)
# module_defaults for group/dockhand.docker.docker give every member the connection options;
# they are accepted and ignored: a check of files reaches no engine.
ARGUMENT_SPEC.update(CONNECTION_ARGSPEC)


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        params = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)[1]
        try:
            files = []
            for option in ('ca', 'certificate', 'private_key'):
                path = self._find_file(params[option], option)
                files.append((path, option, self._read(path, option)))
            summary = check_tls_files(*files)
        except DockhandError as exc:
            result.update(failed=True, msg=exc.msg)
            return result
        result.update(changed=False, ca=files[0][0], certificate=files[1][0], private_key=files[2][0], **summary)
        return result

    def _find_file(self, path, option):
        try:
            return self._find_needle('files', path)
        except AnsibleError:
            raise _missing(option, path)

    @staticmethod
    def _read(path, option):
        try:
            with open(path, 'rb') as handle:
                return handle.read()
        except OSError as exc:
            raise _missing(option, path, exc.strerror)


def _missing(option, path, reason=None):
    return InvalidValue('%s: %s cannot be read on the controller (%s); give the path of a PEM file there, absolute '
                        'or relative to the files/ directory of the role or playbook'
                        % (option, path, reason or 'not found'))
