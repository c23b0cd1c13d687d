# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The frame every dockhand.docker module runs in.

A module declares its own options and a function that does the work; this frame adds the
connection options, connects lazily, and turns every :class:`DockhandError` (the one error
root) into a single ``fail_json`` line.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import platform
import traceback

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dockhand.docker.plugins.module_utils.client import (
    CONNECTION_ARGSPEC,
    EngineClient,
    sdk_installed,
    sdk_missing_message,
)
from ansible_collections.dockhand.docker.plugins.module_utils.errors import DockhandError
from ansible_collections.dockhand.docker.plugins.module_utils.frame import checkable


class DockhandModule(AnsibleModule):
    """AnsibleModule with the shared connection options, one engine client and masked secrets.

    ``masked_params`` (params -> a copy with secrets masked) is what the result's ``invocation``
    and the host's log show of the parameters, for secrets that are not whole options (an env
    value, a logging token): marking those ``no_log`` would make Ansible mask every occurrence of
    short values such as ``1`` in the whole output. ``read_only``: the module only reads the
    engine (see :class:`EngineClient`).
    """

    def __init__(self, argument_spec=None, masked_params=None, read_only=False, **kwargs):
        self._read_only = read_only
        spec = dict(CONNECTION_ARGSPEC)
        spec.update(argument_spec or {})
        self._masked_params = masked_params  # set first: AnsibleModule logs the invocation in __init__
        self._spec_to_check = spec
        super(DockhandModule, self).__init__(argument_spec=spec, **kwargs)
        self._client = None

    def _load_params(self):
        super(DockhandModule, self)._load_params()
        self.params = checkable(self.params, self._spec_to_check)

    @property
    def client(self):
        """The engine client, connected on first use (so input errors fail before any connection)."""
        if self._client is None:
            self._client = EngineClient(self.params, warn=self.warn, read_only=self._read_only)
        return self._client

    def shown_params(self):
        """The parameters as they may be shown (invocation, log): secrets masked."""
        return self._masked_params(self.params) if self._masked_params else self.params

    def _log_invocation(self):
        real, self.params = self.params, self.shown_params()
        try:
            super(DockhandModule, self)._log_invocation()
        finally:
            self.params = real

    def exit_json(self, **kwargs):
        kwargs.setdefault('invocation', dict(module_args=self.shown_params()))
        super(DockhandModule, self).exit_json(**kwargs)

    def fail_json(self, msg, **kwargs):
        kwargs.setdefault('invocation', dict(module_args=self.shown_params()))
        super(DockhandModule, self).fail_json(msg, **kwargs)

    def run(self, work, needs_sdk=True):
        """Call ``work(self)``, which returns the result dict, and exit with it.

        Every :class:`DockhandError` becomes the task's one-line failure. It is reported after
        the ``except`` block: ansible-core attaches the exception being handled to a failure,
        and would print "An exception occurred during task execution" above the message.
        An unexpected exception is a bug; it is reported as one line too, with its traceback
        only at -vvv. ``needs_sdk=False`` is for modules that never talk to the engine.
        """
        if needs_sdk and not sdk_installed():
            self.fail_json(msg=sdk_missing_message(platform.node()))
        failure, result = None, None
        try:
            result = work(self)
        except DockhandError as exc:
            failure = dict(exc.details, msg=exc.msg)
        except Exception as exc:  # pylint: disable=broad-except
            failure = unexpected_failure(exc, self._verbosity)
        finally:
            if self._client is not None:
                self._client.close()
        if failure is not None:
            self.fail_json(**dict((key, value) for key, value in failure.items() if value is not None))
        result.setdefault('changed', False)
        self.exit_json(**result)

    def diff_if_wanted(self, result, changes, header=None):
        """Put the change set's diff into ``result`` when the user asked for diff mode."""
        if self._diff:
            result['diff'] = changes.as_diff(header)
        return result


def unexpected_failure(exc, verbosity=0):
    """The one-line failure for an exception no code path expected (a bug), traceback at -vvv only."""
    failure = dict(msg='unexpected %s in dockhand.docker: %s (this is a bug; please report it)'
                   % (type(exc).__name__, ' '.join(str(exc).split())[:300]))
    if verbosity >= 3:
        failure['traceback_text'] = traceback.format_exc()
    return failure


def name_or_names_module(argument_spec):
    """A read-only module that takes one ``name`` or a list of ``names`` (the *_info modules)."""
    spec = dict(name=dict(type='str'), names=dict(type='list', elements='str'))
    spec.update(argument_spec)
    return DockhandModule(argument_spec=spec, supports_check_mode=True,
                          mutually_exclusive=[('name', 'names')], required_one_of=[('name', 'names')])


def asked_names(params):
    return [params['name']] if params['name'] is not None else list(params['names'])


def one_or_many(params, plural, singular, entries):
    """``{plural: entries}``, plus ``{singular: entries[0]}`` when a single ``name`` was asked."""
    result = {plural: entries}
    if params['name'] is not None:
        result[singular] = entries[0]
    return result
