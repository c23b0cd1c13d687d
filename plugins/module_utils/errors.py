# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one error root of dockhand.docker, and its two kinds.

Every failure the collection reports is a :class:`DockhandError`: the module frame catches that
one class and turns it into the task's one-line failure, so no call site translates errors.
Apart from client.py so that code which only decides (the filters on the controller, the
parsers) can raise and catch it without importing the Docker SDK.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class DockhandError(Exception):
    """A failure to report to the user as one line; ``msg`` says what and why.

    ``details`` are extra result keys the failure carries (an HTTP status, a build log).
    """

    def __init__(self, msg, **details):
        super(DockhandError, self).__init__(msg)
        self.msg = ' '.join(str(msg).split()) if '\n' in str(msg) else str(msg)
        self.details = details

    def __str__(self):
        return self.msg


class DockerError(DockhandError):
    """Something outside the task's input failed: the engine, a registry, a file, the network."""


class InvalidValue(DockhandError, ValueError):
    """Input that cannot be used; the message names the option. Nothing has been changed."""
