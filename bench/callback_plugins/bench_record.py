# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Callback used by bench/containers.py: keeps the default screen output and also writes what
each task returned (changed, failed, msg, per-container actions and IDs) as JSON to the file
named by BENCH_RECORD_FILE, so the benchmark can check changed flags without parsing the screen."""

from __future__ import absolute_import, division, print_function

import json
import os

from ansible.plugins.callback import CallbackBase

__metaclass__ = type

DOCUMENTATION = r'''
name: bench_record
type: notification
short_description: Record task results for bench/containers.py
description:
  - Writes one JSON document with every task's status and the parts of its result the benchmark
    checks to the file named by the environment variable C(BENCH_RECORD_FILE).
'''

# Keys of a task result worth keeping; whole container inspections are reduced to their ID.
_KEEP = ('changed', 'failed', 'msg', 'skipped', 'unreachable', 'actions', 'item')


def _container_id(value):
    if isinstance(value, dict):
        return value.get('Id') or value.get('id')
    return None


def _reduce(res):
    out = {key: res[key] for key in _KEEP if key in res}
    if isinstance(res.get('containers'), list):  # dockhand.docker.container, many-containers form
        out['containers'] = [
            {key: c.get(key) for key in ('name', 'action', 'id', 'changed', 'msg') if key in c}
            if isinstance(c, dict) else c
            for c in res['containers']
        ]
    if 'container' in res:  # community.docker.docker_container
        out['container_id'] = _container_id(res['container'])
    if isinstance(res.get('results'), list):  # a loop
        out['results'] = [_reduce(item) if isinstance(item, dict) else item for item in res['results']]
    return out


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'notification'
    CALLBACK_NAME = 'bench_record'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self._tasks = []

    def _add(self, status, result):
        res = getattr(result, 'result', None)
        if res is None:  # ansible-core before 2.19
            res = result._result
        host = getattr(result, 'host', None) or result._host
        self._tasks.append({
            'task': result.task_name,
            'host': host.get_name(),
            'status': status,
            'result': _reduce(dict(res)),
        })

    def v2_runner_on_ok(self, result):
        self._add('ok', result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._add('failed', result)

    def v2_runner_on_unreachable(self, result):
        self._add('unreachable', result)

    def v2_runner_on_skipped(self, result):
        self._add('skipped', result)

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get('BENCH_RECORD_FILE')
        if path:
            with open(path, 'w') as f:
                json.dump({'tasks': self._tasks}, f, default=str)
