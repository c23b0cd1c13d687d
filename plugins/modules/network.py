#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: network
short_description: Converge local bridge networks and swarm overlay networks, one or many, recreating them safely
description:
  - Creates and removes Docker networks, and recreates one whose options differ from those given.
    Bridge (and other local) networks are made on the engine at O(docker_host); overlay networks
    on a swarm manager, for the whole swarm.
  - Only the options you give are compared with the network, after normalising (addresses in
    their canonical form, the order of subnets); what the engine fills in by itself (an overlay's
    subnet and gateway, the IPAM driver V(default), the overlay's VXLAN ID option) is not a difference.
  - The engine cannot change a network in place, so any difference means removing the network and
    creating it again. That is refused, before anything is changed, while containers of this engine
    or swarm services use the network, naming them, unless O(force=true). With O(force=true) the
    containers are disconnected and the network is taken out of the services' specs, the network is
    recreated, and the containers are connected again (with their aliases and fixed addresses) and
    the services get the network back, each step reported in RV(networks[].detached) and
    RV(networks[].reattached). If the engine refuses the new network, the old one is created again as it
    was and everything is reattached to it.
  - On a recreate, the options you do not give stay as the network had them (its subnet included).
  - With O(networks), one task converges a list of networks; options at the top level are
    defaults for every item. All input is validated first; a bad item anywhere in the list fails
    the task with one line and changes nothing.
  - The networks every engine defines (V(bridge), V(host), V(none), and a swarm's V(ingress) and
    V(docker_gwbridge)) are never changed or removed.
author:
  - dockhand.docker maintainers (@dockhand)
version_added: 0.1.0
extends_documentation_fragment:
  - dockhand.docker.connection
  - dockhand.docker.connection.ATTRIBUTES
options:
  name:
    description:
      - Name of the network. Mutually exclusive with O(networks); one of them is required.
    type: str
  networks:
    description:
      - Many networks in one task. Each item is a dictionary that takes the options of this module
        (all but O(networks) and O(wait_timeout)); C(name) is required in every item and names must be unique.
      - Options given at the top level of the task are defaults for every item.
    type: list
    elements: dict
  state:
    description:
      - V(present) the network exists with the options given.
      - V(absent) it is removed; refused while something uses it, unless O(force=true), which detaches
        the containers and services first.
    type: str
    choices: [present, absent]
    default: present
  force:
    description:
      - Recreate or remove a network that containers or services use, detaching them first and
        reattaching them to the recreated network.
      - A service that loses the network rolls its tasks as its update settings say, twice (without
        the network, then with it again).
    type: bool
    default: false
  driver:
    description:
      - V(bridge) (the engine's default when a network is created), V(overlay) (needs a swarm
        manager), V(macvlan), V(ipvlan), or a network plugin.
    type: str
  scope:
    description: V(local) or V(swarm); an overlay network's scope is V(swarm).
    type: str
    choices: [local, swarm]
  attachable:
    description: Containers started outside swarm services may connect to this overlay network.
    type: bool
  internal:
    description: No traffic leaves the network (no outbound access).
    type: bool
  encrypted:
    description: Encrypt the traffic between the nodes of an overlay network (IPsec); needs O(driver=overlay).
    type: bool
  enable_ipv6:
    description: Give the network IPv6; needs an IPv6 subnet in C(config) of O(ipam) on most engines.
    type: bool
  ipam:
    description:
      - IP address management, a dictionary with the keys C(driver) (the IPAM driver; the engine's is
        V(default)), C(options) (options of the IPAM driver) and C(config), a list of subnets.
      - Each entry of C(config) needs C(subnet) (V(10.10.0.0/24) or V(fd00:10::/64), no bits beyond the
        prefix) and may have C(gateway) (the engine picks the first address when it is not given),
        C(ip_range) (the part of the subnet containers get addresses from, V(10.10.0.128/25)) and
        C(aux_addresses) (addresses the engine must not give to containers, by name). Gateway, range
        and auxiliary addresses must be inside the subnet; subnets must not overlap; an IPv6 subnet
        needs O(enable_ipv6=true).
      - Only the keys given are compared; subnets of an address family you give none of (the IPv4
        subnet the engine adds to a network given only an IPv6 one) are not. An empty C(config) lets
        the engine choose.
    type: dict
  labels:
    description: Labels of the network (values are turned into strings), compared as a whole.
    type: dict
  driver_options:
    description:
      - Options of the driver, such as V(com.docker.network.driver.mtu); compared as a whole, except
        options the engine adds by itself unless you give them. Use O(encrypted) for encryption.
    type: dict
  wait_timeout:
    description:
      - Seconds to wait, after a service lost the network, until its old tasks let it go and the
        network can be removed.
      - Also how long a name is waited for that the engine calls ambiguous because a node still
        has its copy of a swarm network that was just recreated (seen for 5 to 30 seconds).
    type: int
    default: 120
notes:
  - On a swarm manager, the containers of other nodes attached to an attachable overlay network are
    not seen before the network is removed; the swarm then refuses the removal naming the container's
    attachment, and the task fails at once naming the container and its node, with what it had
    detached put back. Disconnect such containers on their nodes first.
  - A network is found by its name. A local and a swarm network of the same name fail the task, naming both.
attributes:
  check_mode:
    description: Reports what would be done to every network, and what would be detached, and changes nothing.
    support: full
  diff_mode:
    description: Shows, per network, the options that differ before and after.
    support: full
  platform:
    description: Runs on the host that reaches the engine set by O(docker_host) (a swarm manager for overlay networks).
    support: full
    platforms: posix
seealso:
  - module: dockhand.docker.container
  - module: dockhand.docker.swarm
'''

EXAMPLES = r'''
- name: A bridge network with its own subnet
  dockhand.docker.network:
    name: backend
    ipam:
      config:
        - subnet: 10.10.0.0/24
          gateway: 10.10.0.1
          ip_range: 10.10.0.128/25
    labels:
      team: web

- name: Overlay networks for the swarm's services, on a manager
  dockhand.docker.network:
    driver: overlay
    attachable: true
    networks:
      - name: app
        encrypted: true
        ipam:
          config:
            - subnet: 10.20.0.0/24
      - name: monitoring
        labels:
          purpose: metrics

- name: Change the subnet of a network in use; containers and services are moved along
  dockhand.docker.network:
    name: backend
    ipam:
      config:
        - subnet: 10.11.0.0/24
    force: true
  register: moved

- name: Remove a network, disconnecting what still uses it
  dockhand.docker.network:
    name: old-net
    state: absent
    force: true
'''

RETURN = r'''
networks:
  description: One entry per network, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Network name.
      type: str
    action:
      description:
        - What happened (in check mode, would happen) - V(created), V(recreated), V(removed),
          V(unchanged), or V(failed).
      type: str
      sample: recreated
    changed:
      description: Whether this network changed.
      type: bool
    id:
      description:
        - The network's ID afterwards (a recreated network has a new one); null when removed.
        - In check mode the current ID, or null for a network that would be created.
      type: str
    changes:
      description: Names of the options that differed (and C(exists), C(detached)).
      type: list
      elements: str
      sample: [ipam, labels]
    detached:
      description:
        - What was (in check mode, would be) detached from the network, each with C(type)
          (V(container) or V(service)), C(name), C(id), and C(aliases), C(ipv4_address), C(ipv6_address)
          where it had them.
      type: list
      elements: dict
      sample: [{type: container, name: web, id: 4c1d..., aliases: [www], ipv4_address: 10.10.0.200}]
    reattached:
      description: What was (or would be) attached again to the recreated network, in the same form.
      type: list
      elements: dict
    diff:
      description: Before and after of what differed.
      type: dict
      returned: in diff mode, when something differed
    msg:
      description: Why this network failed.
      type: str
      returned: when action is V(failed)
network:
  description: The entry of RV(networks) for O(name), when O(name) was used.
  returned: when O(name) is given
  type: dict
'''

from ansible_collections.dockhand.docker.plugins.module_utils import bytecode_cache  # noqa: F401 pylint: disable=unused-import
from ansible_collections.dockhand.docker.plugins.module_utils.frame import converge, module_result
from ansible_collections.dockhand.docker.plugins.module_utils.module import DockhandModule
from ansible_collections.dockhand.docker.plugins.module_utils.networks import FORM, Networks


def run(module):
    networks = Networks(module.client, module.check_mode, diff=module._diff,
                        wait_timeout=module.params['wait_timeout'])
    return module_result(module, FORM, converge(networks, module.params))


def main():
    module = DockhandModule(**FORM.module_kwargs())
    module.run(run)


if __name__ == '__main__':
    main()
