# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What counts as a secret in user input, and how it is shown: as ``********``.

Secrets are masked by the collection itself, value by value where they stand (an env value,
a logging option, the password part of a URL), never by adding them to Ansible's
``no_log_values``: those are replaced wherever they occur as substrings, so a short secret
such as ``1`` would mangle every other line of output.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

SECRET_MASK = '********'

# Names that say their value is a secret (env variables, build args, logging options).
_SECRET_NAME = re.compile(r'PASSWORD|PASSWD|TOKEN|SECRET|KEY', re.IGNORECASE)
# scheme://user:password@host -> the password part, up to the last @ before the path (as Go's URL parser reads it).
_URL_CREDENTIALS = re.compile(r'(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^/@:\s]*:)(?P<password>[^/\s]*)(?P<tail>@)')


def is_secret_name(name, extra=()):
    """Whether a variable or option called ``name`` holds a secret: its name says so, or it is in ``extra``."""
    return bool(_SECRET_NAME.search(str(name))) or str(name) in extra


def mask_url_credentials(text):
    """``text`` with the password of every ``scheme://user:password@host`` replaced by the mask."""
    if not isinstance(text, str) or '@' not in text:
        return text
    return _URL_CREDENTIALS.sub(lambda match: match.group('head') + SECRET_MASK + match.group('tail'), text)


def masked_value(name, value, extra=()):
    """``value`` as it may be shown when it belongs to ``name``."""
    if value is not None and is_secret_name(name, extra):
        return SECRET_MASK
    return mask_url_credentials(value)


def masked_mapping(mapping, extra=()):
    """A copy of a name -> value mapping with every secret value masked (anything else is returned as it is)."""
    if not isinstance(mapping, dict):
        return mapping
    return dict((name, masked_value(name, value, extra)) for name, value in mapping.items())


def secret_values(mapping, extra=()):
    """The values of ``mapping`` that are secrets, as strings (to scrub them from a message)."""
    if not isinstance(mapping, dict):
        return []
    return [str(value) for name, value in mapping.items()
            if value not in (None, '') and is_secret_name(name, extra)]


def scrub(text, secrets):
    """``text`` with each of ``secrets`` (whole values, the longest first) replaced by the mask."""
    for secret in sorted(set(s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, SECRET_MASK)
    return text
