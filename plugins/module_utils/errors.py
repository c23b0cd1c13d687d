# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one-line failure every dockhand.docker module reports.

Apart from client.py so that code which only decides (the filters on the controller, the
parsers) can raise and catch it without importing the Docker SDK.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class DockerError(Exception):
    """A failure to report to the user as one line; ``msg`` says what and why."""

    def __init__(self, msg, **details):
        super(DockerError, self).__init__(msg)
        self.msg = msg
        self.details = details
