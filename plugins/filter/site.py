# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lines of site.yml's summary, from what the run registered on each host.

Each stage's result is used when its module ran, else the preflight's plan of it (a re-run with
nothing to change runs no module but the preflight read).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.common._collections_compat import Mapping

from ansible_collections.dockhand.docker.plugins.plugin_utils.facts import dig


def _ran(result):
    """Whether a registered result is the module's own (a skipped task registers only that it skipped)."""
    return isinstance(result, Mapping) and not result.get('skipped') and not result.get('failed')


def _swarm_lines(hostvars, hosts):
    lead = dig(hostvars[hosts[0]], 'swarm_survey', 'lead') if hosts else None
    swarm = dig(hostvars[lead], 'swarm_final_state', default={}) if lead and lead in hostvars else {}
    if not swarm:
        return []
    quorum = swarm['quorum']
    lines = ['swarm %s: %d managers, leader %s, survives %d failed manager(s)'
             % (swarm.get('cluster_id'), quorum['managers'], quorum['leader'], quorum['fault_tolerance'])]
    for node in swarm.get('nodes') or []:
        leader = ' (leader)' if node['leader'] else ''
        lines.append('  node %-18s %-7s %-6s %s%s'
                     % (node['hostname'], node['role'], node['status'], node['availability'], leader))
    return lines


def _engine_lines(hostvars, hosts):
    lines = []
    for name in hosts:
        engine = dig(hostvars[name], 'docker_host_engine', 'engine', default={})
        lines.append('engine %-16s docker %-14s logging %s'
                     % (name, engine.get('server_version', '?'), engine.get('logging_driver', '?')))
    return lines


def _image_lines(hostvars, hosts):
    lines = []
    for name in hosts:
        built = dig(hostvars[name], 'images_result')
        if _ran(built):
            checked = [push for image in built.get('images') or [] for push in image.get('pushed') or []]
        else:
            checked = dig(hostvars[name], 'docker_host_preflight', 'images_plan', 'pushed', default=[])
        lines.extend('image %s@%s (in the registry, from %s)' % (push['ref'], push['digest'], name) for push in checked)
    return lines


def _wanted(hostvars, host, list_var, defaults_var):
    declared = dig(hostvars[host], list_var, default=[])
    defaults = dig(hostvars[host], defaults_var, default={})
    return dict((item['name'], dict(defaults, **item)) for item in declared if isinstance(item, Mapping))


def _service_lines(hostvars, managers):
    if not managers or managers[0] not in hostvars:
        return []
    host = managers[0]
    wanted = _wanted(hostvars, host, 'services_list', 'services_defaults')
    ran = dig(hostvars[host], 'services_result')
    facts = dict((entry['name'], entry) for entry in
                 dig(hostvars[host], 'docker_host_preflight', 'services_plan', 'services', default=[]))
    lines = []
    if _ran(ran):
        listed = [(entry['name'], entry.get('action'), entry.get('image'), dig(entry, 'rollout', default={}))
                  for entry in ran.get('services') or []]
    else:
        listed = [(name, 'unchanged', dig(facts, name, 'image'), dig(facts, name, 'converged', default={}))
                  for name in wanted if name in facts]
    for name, action, image, tasks in listed:
        limits = dig(wanted, name, 'limits', default={})
        lines.append('service %s %s: %s/%s tasks, image %s, memory %s, cpus %s'
                     % (name, action, tasks.get('running', '?'), tasks.get('desired', '?'), image or '?',
                        limits.get('memory', '-'), limits.get('cpus', '-')))
    return lines


def _container_lines(hostvars, hosts):
    lines = []
    for name in hosts:
        wanted = _wanted(hostvars, name, 'containers_list', 'containers_defaults')
        ran = dig(hostvars[name], 'containers_result')
        if _ran(ran):
            listed = [(entry['name'], entry['action']) for entry in ran.get('containers') or []]
        else:
            actions = dig(hostvars[name], 'docker_host_preflight', 'containers_plan', 'actions', default={})
            listed = list(actions.items())
        for container, action in listed:
            spec = wanted.get(container, {})
            lines.append('container %s/%s %s: memory %s, cpus %s, pids %s'
                         % (name, container, action, spec.get('memory', '-'), spec.get('cpus', '-'),
                            spec.get('pids_limit', '-')))
    return lines


def site_summary(hostvars, hosts, managers=()):
    """The summary's lines: the swarm and its nodes, each engine, the images in their registries,
    the services with their tasks running of desired, and the containers with their limits."""
    hosts = [host for host in hosts if host in hostvars]
    return (_swarm_lines(hostvars, hosts) + _engine_lines(hostvars, hosts) + _image_lines(hostvars, hosts)
            + _service_lines(hostvars, list(managers)) + _container_lines(hostvars, hosts))


class FilterModule(object):
    def filters(self):
        return dict(site_summary=site_summary)
