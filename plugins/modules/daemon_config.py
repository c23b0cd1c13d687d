#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: daemon_config
short_description: Manage keys of the Docker engine's daemon.json, checked before they are written
description:
  - Sets and removes top-level keys of the Docker engine's configuration file (C(daemon.json)).
    Only the keys given are managed; every other key of the file is kept as it is, in its place.
  - Every managed key is checked before anything is written, against the keys the engine
    documents for Linux (engine 20.10 and newer) with their value types and formats, so that a
    typo does not keep the engine from starting at its next restart. The logging driver and
    its options get the same checks as the per-container logging options of
    M(dockhand.docker.container).
  - With O(validate=true) and a C(dockerd) that has C(--validate) (Docker Engine 23.0 and
    newer), the new file is also checked by C(dockerd) itself before it is written.
  - The file is replaced atomically (a temporary file in the same directory, flushed to disk,
    then renamed). An existing file keeps its mode and owner (a C(0600) file holding a token
    stays C(0600)); a new file gets mode C(0644) and the owner the module runs as. It is not
    rewritten when its data does not change, whatever its layout.
  - The engine reads C(daemon.json) only when it starts, so a change takes effect at the next
    restart of the engine; RV(restart_required) says when that is due. This module never
    restarts the engine and never talks to it.
author:
  - dockhand.docker maintainers (@dockhand)
version_added: 0.1.0
extends_documentation_fragment:
  - dockhand.docker.connection
  - dockhand.docker.connection.FILE_ATTRIBUTES
options:
  path:
    description:
      - The configuration file, as an absolute path. Its directory is created (mode C(0755)) when missing.
      - A symbolic link is followed; the file it points to is replaced and the link stays.
    type: path
    default: /etc/docker/daemon.json
  settings:
    description:
      - Top-level keys to set, with their values, as the engine names them (V(log-driver),
        V(live-restore), V(registry-mirrors)...).
      - A key whose value is a dictionary or a list (V(log-opts), V(default-ulimits)) is set as
        a whole; its old value is replaced, not merged.
      - A key that the engine does not document fails the task, with the closest known keys,
        unless O(allow_unknown_keys=true).
      - Values are checked by type; a value of the wrong type (the string V("true") for a
        boolean key, for example) fails the task rather than being converted, except the values
        of V(log-opts), which the engine takes as strings (see O(log_opts)).
    type: dict
    default: {}
  remove:
    description:
      - Top-level keys to delete from the file. A key that is not there is no change.
      - Any key can be removed, also one that the engine does not document.
    type: list
    elements: str
    default: []
  log_driver:
    description:
      - Shortcut for the key V(log-driver) of O(settings), the default logging driver of new containers.
      - A built-in driver (V(json-file), V(local), V(syslog), V(journald), V(gelf), V(fluentd),
        V(awslogs), V(splunk), V(gcplogs), V(logentries), V(none)) or a logging plugin named with
        its tag (V(grafana/loki-docker-driver:latest)).
      - Giving both this and V(log-driver) in O(settings) with different values fails the task.
    type: str
  log_opts:
    description:
      - Shortcut for the key V(log-opts) of O(settings), the default logging options of new containers.
      - Checked for the resulting logging driver (V(json-file) when none is set) like the
        per-container logging options, for option names, value formats and required options
        (V(gelf-address) for V(gelf), V(splunk-url) and V(splunk-token) for V(splunk)...).
        Options of a plugin are checked for type only.
      - Numbers and booleans are written as strings, with a warning, since the engine takes strings only.
      - When only the logging driver changes, the options already in the file must suit the new driver.
      - Giving both this and V(log-opts) in O(settings) with different values fails the task.
    type: dict
  allow_unknown_keys:
    description:
      - Write keys of O(settings) that the engine does not document, with a warning, instead of failing.
      - For keys of engines newer than this module knows. An engine that does not know a key refuses to start.
    type: bool
    default: false
  validate:
    description:
      - When the file changes, also check the new file with C(dockerd --validate --config-file)
        before writing it, if that C(dockerd) has C(--validate) (Docker Engine 23.0 and newer).
      - RV(validated_by_dockerd) says whether that check was made, RV(dockerd_validation) why not.
    type: bool
    default: true
  dockerd_path:
    description:
      - The C(dockerd) to validate with. Fails the task when it is not an executable file.
      - By default C(dockerd) on E(PATH), then C(/usr/sbin/dockerd) and C(/usr/bin/dockerd);
        when there is none the check is skipped, as RV(dockerd_validation) says.
    type: path
  backup:
    description:
      - Before changing an existing file, copy it beside itself under a unique name (the time to
        the microsecond, the process id and a random part), returned as RV(backup_file).
      - The copy has the file's content, mode and owner, so that putting it back restores the
        file as it was. For a symbolic link, the file it points to is copied, beside the link.
      - Only the newest O(backup_keep) backups of the file are kept.
    type: bool
    default: false
  backup_keep:
    description:
      - How many backups of the file to keep when O(backup=true) makes one, the new one included;
        older ones are deleted, so that backups do not pile up. V(0) keeps them all.
      - Counts the backups named as this module names them and as earlier versions of this
        collection and Ansible's own C(backup) options name them (C(<file>.<pid>.<time>~)).
    type: int
    default: 5
  force:
    description:
      - Replace a file that is not valid JSON, or not a JSON object, instead of failing.
      - Nothing of the old file is kept then; combine with O(backup=true).
    type: bool
    default: false
notes:
  - This module only edits a file on the managed host. It accepts the connection options of the
    collection so that C(module_defaults) for C(group/dockhand.docker.docker) apply to it too,
    but ignores them, and it does not need the Docker SDK for Python.
  - Any change sets RV(restart_required). The engine can reload a few keys without a restart
    (on C(SIGHUP)), but this module does not tell them apart.
  - Keys given as C(dockerd) command-line flags (for example C(-H fd://) in the systemd unit of
    Debian and Ubuntu) must not be set in the file too, or the engine refuses to start; neither
    this module nor C(dockerd --validate) can see the flags.
  - Secrets are written to the file but never shown. Values of logging options whose name says
    they are secret (V(splunk-token), V(logentries-token), any name with C(password), C(token),
    C(secret) or C(key)) and the passwords of URLs (C(http://user:password@proxy:3128) in
    V(proxies)) are shown as C(********) in the diff, in RV(config), in warnings, in error
    messages and in the task's C(invocation).
seealso:
  - name: dockerd reference, daemon configuration file
    description: The keys of C(daemon.json) and their meaning.
    link: https://docs.docker.com/reference/cli/dockerd/#daemon-configuration-file
  - module: dockhand.docker.engine_info
attributes:
  check_mode:
    description: Makes every check (including C(dockerd --validate)) and reports what would change; writes nothing.
    support: full
  diff_mode:
    description: Shows the keys that change, before and after.
    support: full
  platform:
    description: Runs on the managed host, on the engine's configuration file.
    support: full
    platforms: posix
'''

EXAMPLES = r'''
- name: Rotate the default container logs and keep containers running while the engine restarts
  dockhand.docker.daemon_config:
    log_driver: json-file
    log_opts:
      max-size: 10m
      max-file: "3"
    settings:
      live-restore: true
  register: daemon_json

- name: Restart the engine when its configuration changed
  ansible.builtin.service:
    name: docker
    state: restarted
  when: daemon_json.restart_required

- name: Use a registry mirror and a private address pool, keeping a backup
  dockhand.docker.daemon_config:
    settings:
      registry-mirrors: [https://mirror.example.com]
      default-address-pools:
        - base: 10.200.0.0/16
          size: 24
    backup: true

- name: Pull through a proxy that needs a password (Docker Engine 23.0 and newer), never showing it
  dockhand.docker.daemon_config:
    settings:
      proxies:
        http-proxy: "http://deploy:{{ vault_proxy_password }}@proxy.example.com:3128"
        https-proxy: "http://deploy:{{ vault_proxy_password }}@proxy.example.com:3128"
        no-proxy: localhost,127.0.0.1
    backup: true
    backup_keep: 3

- name: Send container logs to Graylog by default
  dockhand.docker.daemon_config:
    log_driver: gelf
    log_opts:
      gelf-address: udp://graylog.example.com:12201
      tag: "{% raw %}{{.Name}}{% endraw %}"

- name: Drop settings that are no longer wanted
  dockhand.docker.daemon_config:
    remove: [debug, insecure-registries]

- name: Manage the file of a second engine
  dockhand.docker.daemon_config:
    path: /etc/docker-bootstrap/daemon.json
    settings:
      data-root: /var/lib/docker-bootstrap
      exec-root: /var/run/docker-bootstrap
      pidfile: /var/run/docker-bootstrap.pid
      bridge: none
      iptables: false
'''

RETURN = r'''
changed_keys:
  description:
    - The top-level keys that were (in check mode, would be) set to a new value, added or removed, sorted.
    - When O(force=true) replaced an unparseable file, every key of the new file.
  returned: success
  type: list
  elements: str
  sample: [log-driver, log-opts]
restart_required:
  description:
    - Whether the file changed, so that the engine must be restarted for the change to take effect.
  returned: success
  type: bool
  sample: true
config:
  description:
    - The whole configuration as the file holds it after the task (in check mode, would hold it).
    - Secrets are shown as C(********) (see the notes).
  returned: success
  type: dict
  sample: {"data-root": "/srv/docker", "log-driver": "json-file", "log-opts": {"max-file": "3", "max-size": "10m"}}
path:
  description: The configuration file, as given in O(path).
  returned: success
  type: str
  sample: /etc/docker/daemon.json
backup_file:
  description: The copy of the old file made with O(backup=true).
  returned: when a backup was made
  type: str
  sample: /etc/docker/daemon.json.2024-05-01@10:12:31.845112.2187-3fa9c1~
validated_by_dockerd:
  description: Whether C(dockerd --validate) checked the new file.
  returned: success
  type: bool
  sample: false
dockerd_validation:
  description:
    - What C(dockerd --validate) said, or why it did not run (no change, O(validate=false), no
      C(dockerd) found, or a C(dockerd) older than 23.0 that has no C(--validate)).
  returned: success
  type: str
  sample: >-
    /usr/sbin/dockerd has no --validate (Docker Engine 23.0 and newer have it);
    only the checks of this module were made
'''

from ansible_collections.dockhand.docker.plugins.module_utils import bytecode_cache  # noqa: F401 pylint: disable=unused-import
from ansible_collections.dockhand.docker.plugins.module_utils.daemon_config import (
    ARGUMENT_SPEC,
    converge,
    masked_options,
)
from ansible_collections.dockhand.docker.plugins.module_utils.module import DockhandModule


def main():
    module = DockhandModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True, masked_params=masked_options)
    module.run(write_config, needs_sdk=False)


def write_config(module):
    result, changes = converge(module.params, check_mode=module.check_mode, warn=module.warn)
    return module.diff_if_wanted(result, changes, header=result['path'])


if __name__ == '__main__':
    main()
