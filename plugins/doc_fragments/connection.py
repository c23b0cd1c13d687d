# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """How every dockhand.docker module reaches the Docker engine."""

    DOCUMENTATION = r'''
options:
  docker_host:
    description:
      - The Docker engine to talk to, as a URL such as V(unix:///var/run/docker.sock) or V(tcp://192.0.2.10:2376).
      - If not given, the environment variable E(DOCKER_HOST) is used, then the local socket.
    type: str
    default: unix:///var/run/docker.sock
    aliases: [docker_url]
  tls:
    description:
      - Connect to the engine with TLS.
      - The engine's certificate is verified, against O(ca_path) when given, else against the system's
        CA certificates, unless O(validate_certs=false) is given.
      - If not given, the environment variable E(DOCKER_TLS) is used.
    type: bool
    default: false
  validate_certs:
    description:
      - Whether to verify the engine's certificate when connecting with TLS. V(true) also turns TLS on.
      - If not given, the certificate is verified whenever TLS is used.
      - V(false) connects with TLS without verifying the certificate, and the task warns about it.
      - If not given, the environment variable E(DOCKER_TLS_VERIFY) is used.
    type: bool
    aliases: [tls_verify]
  ca_path:
    description:
      - CA certificate that signed the engine's certificate; the engine's certificate is verified against it alone.
      - What the task gives wins over the environment. With O(ca_path) or O(validate_certs=false),
        E(REQUESTS_CA_BUNDLE) and E(CURL_CA_BUNDLE) are ignored for the connection to the engine. Without
        O(ca_path) the system's CA certificates are used, and those two variables can name another bundle.
      - Defaults to C(ca.pem) in the directory E(DOCKER_CERT_PATH) when that is set.
    type: path
    aliases: [ca_cert, tls_ca_cert, cacert_path]
  client_cert:
    description:
      - Client certificate for TLS client authentication; requires O(client_key).
      - Defaults to C(cert.pem) in the directory E(DOCKER_CERT_PATH) when that is set.
    type: path
    aliases: [tls_client_cert, cert_path]
  client_key:
    description:
      - Private key of O(client_cert).
      - Defaults to C(key.pem) in the directory E(DOCKER_CERT_PATH) when that is set.
    type: path
    aliases: [tls_client_key, key_path]
  api_version:
    description:
      - Engine API version to speak, such as V(1.41).
      - V(auto) uses the highest version that both the engine and the installed Docker SDK support.
      - If not given, the environment variable E(DOCKER_API_VERSION) is used.
    type: str
    default: auto
    aliases: [docker_api_version]
  timeout:
    description:
      - Seconds to wait for the engine to answer one API call.
      - If not given, the environment variable E(DOCKER_TIMEOUT) is used.
    type: int
    default: 60
notes:
  - Set the connection options once for all modules of this collection with
    C(module_defaults) and the action group C(group/dockhand.docker.docker).
'''

    # Attributes of every module that talks to the engine, and what it needs on the host.
    ATTRIBUTES = r'''
requirements:
  - The Docker SDK for Python (C(docker)) 5.0 or newer on the managed host; Debian's C(python3-docker) works.
attributes:
  action_group:
    description:
      - Use C(group/dockhand.docker.docker) in C(module_defaults) to set the connection options for all modules.
    support: full
    membership:
      - dockhand.docker.docker
'''

    # For modules that only read (the *_info modules).
    INFO_ATTRIBUTES = r'''
attributes:
  check_mode:
    description: Reads only, so it runs the same in check mode.
    support: full
  diff_mode:
    description: Reads only; there is never a difference to show.
    support: N/A
  platform:
    description: Runs on the managed host, talking to the engine set by O(docker_host).
    support: full
    platforms: posix
'''

    # For modules that only edit files on the host (daemon_config): no SDK needed.
    FILE_ATTRIBUTES = r'''
attributes:
  action_group:
    description:
      - In the C(group/dockhand.docker.docker) action group so C(module_defaults) for the group apply;
        the connection options are accepted and ignored.
    support: full
    membership:
      - dockhand.docker.docker
'''
