# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Preflight plans: what a module would do, found by its own code in check mode.

engine_info's plan_* options run the daemon_config, image and container modules' code without
changing anything and report ``in_sync``. Each plan carries a digest of the options it was made
for; the task that later relies on it checks the plan is for its own options by computing the
same digest on the controller with the filter ``dockhand.docker.plan_digest``, which is
:func:`data_digest` itself.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json

from ansible_collections.dockhand.docker.plugins.module_utils.errors import DockhandError

# Options whose values are secrets: left out of a digest, which is shown (an unsalted hash of a
# short secret would give it away to anyone who tries the likely values).
SECRET_OPTIONS = ('data', 'password')


def _without_secrets(data):
    if isinstance(data, dict):
        return dict((key, '(secret)' if key in SECRET_OPTIONS and value is not None else _without_secrets(value))
                    for key, value in data.items())
    if isinstance(data, list):
        return [_without_secrets(item) for item in data]
    return data


def data_digest(data):
    """SHA-256 (hex) of ``data`` as compact JSON with sorted keys, secret option values left out."""
    return hashlib.sha256(json.dumps(_without_secrets(data), sort_keys=True,
                                     separators=(',', ':')).encode('utf-8')).hexdigest()


def checked_plan(planned, digest_key, work, **empty):
    """A plan of ``planned``: ``work()`` returns its fields (``in_sync`` and the rest).

    Bad input, a failed read or even a bug does not fail the read that plans (a preflight that
    fails would make the engine look unreadable): it gives ``error`` and ``in_sync`` false (with
    the ``empty`` fields), so that the module runs and reports it itself.
    """
    result = dict(empty, in_sync=False, error=None)
    try:
        result[digest_key] = data_digest(planned)
        result.update(work())
    except (DockhandError, ValueError) as exc:
        result['error'] = getattr(exc, 'msg', None) or str(exc)
    except Exception as exc:  # pylint: disable=broad-except
        result['error'] = 'unexpected %s: %s' % (type(exc).__name__, ' '.join(str(exc).split())[:300])
    return result
