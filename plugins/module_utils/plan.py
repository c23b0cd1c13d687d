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


def data_digest(data):
    """SHA-256 (hex) of ``data`` as compact JSON with sorted keys."""
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(',', ':')).encode('utf-8')).hexdigest()


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
