# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The frame every dockhand.docker module runs in.

A module declares its own options and a function that does the work; this frame adds the
connection options, connects lazily, and turns every :class:`DockerError` (and any input
input error raised by the shared parsers) into a single ``fail_json`` line.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import platform

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dockhand.docker.plugins.module_utils.client import (
    CONNECTION_ARGSPEC,
    HAS_DOCKER_SDK,
    EngineClient,
    sdk_missing_message,
)
from ansible_collections.dockhand.docker.plugins.module_utils.errors import DockerError
from ansible_collections.dockhand.docker.plugins.module_utils.log_config import InvalidLogConfig
from ansible_collections.dockhand.docker.plugins.module_utils.reference import InvalidReference
from ansible_collections.dockhand.docker.plugins.module_utils.units import InvalidValue

# What the shared parsers raise for bad user input: reported as the task's one-line failure.
INPUT_ERRORS = (InvalidLogConfig, InvalidReference, InvalidValue)


class DockhandModule(AnsibleModule):
    """AnsibleModule with the shared connection options and one engine client."""

    def __init__(self, argument_spec=None, **kwargs):
        spec = dict(CONNECTION_ARGSPEC)
        spec.update(argument_spec or {})
        super(DockhandModule, self).__init__(argument_spec=spec, **kwargs)
        self._client = None

    @property
    def client(self):
        """The engine client, connected on first use (so input errors fail before any connection)."""
        if self._client is None:
            self._client = EngineClient(self.params)
        return self._client

    def run(self, work, needs_sdk=True):
        """Call ``work(self)``, which returns the result dict, and exit with it.

        Input errors from the shared parsers and :class:`DockerError` become one-line failures.
        ``needs_sdk=False`` is for modules that never talk to the engine (they only edit files).
        """
        if needs_sdk and not HAS_DOCKER_SDK:
            self.fail_json(msg=sdk_missing_message(platform.node()))
        try:
            result = work(self)
        except DockerError as exc:
            self.fail_json(msg=exc.msg, **self._failure_details(exc))
        except INPUT_ERRORS as exc:
            self.fail_json(msg=str(exc))
        finally:
            if self._client is not None:
                self._client.close()
        result.setdefault('changed', False)
        self.exit_json(**result)

    @staticmethod
    def _failure_details(exc):
        return dict((key, value) for key, value in exc.details.items() if value is not None)

    def diff_if_wanted(self, result, changes, header=None):
        """Put the change set's diff into ``result`` when the user asked for diff mode."""
        if self._diff:
            result['diff'] = changes.as_diff(header)
        return result


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
