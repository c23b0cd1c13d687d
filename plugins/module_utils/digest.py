# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A digest of JSON data that a playbook can compute too.

A preflight read plans with the options it was given (engine_info's plan_* options); the task
that later relies on the plan checks it was made for its own options by comparing digests,
computed on the controller with the builtin filters
``to_json(sort_keys=true, separators=[',', ':']) | hash('sha256')``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json


def data_digest(data):
    """SHA-256 (hex) of ``data`` as compact JSON with sorted keys."""
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(',', ':')).encode('utf-8')).hexdigest()
