# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lines of site.yml's summary, from what the run registered on each host.

Each stage's result is used when its module ran, else the preflight's plan of it (a re-run with
nothing to change runs no module but the preflight read).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.common._collections_compat import Mapping

from ansible_collections.dockhand.docker.plugins.filter.engine_version import engine_work
from ansible_collections.dockhand.docker.plugins.filter.swarm import swarm_survey, swarm_work
from ansible_collections.dockhand.docker.plugins.plugin_utils.facts import HostvarsOnce, dig


def _ran(result):
    """Whether a registered result is the module's own (a skipped task registers only that it skipped)."""
    return isinstance(result, Mapping) and not result.get('skipped') and not result.get('failed')


def _swarm_state(hostvars, hosts):
    """The swarm as the swarm stage left it, or as the preflight read it on the lead when the stage
    was skipped (in sync)."""
    if not hosts:
        return {}
    lead = dig(hostvars[hosts[0]], 'swarm_survey', 'lead')
    if lead and lead in hostvars:
        return dig(hostvars[lead], 'swarm_final_state', default={})
    lead = dig(hostvars[hosts[0]], 'site_stages', 'swarm_lead')
    read = dig(hostvars[lead], 'docker_host_preflight', 'swarm_info', default={}) if lead in hostvars else {}
    if not read.get('quorum'):
        return {}
    return dict(cluster_id=dig(read, 'swarm', 'id'), nodes=read.get('nodes') or [], quorum=read['quorum'])


def _swarm_lines(hostvars, hosts):
    swarm = _swarm_state(hostvars, hosts)
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
        engine = (dig(hostvars[name], 'docker_host_engine', 'engine')
                  or dig(hostvars[name], 'docker_host_preflight', 'engine', default={}))
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
    hostvars = HostvarsOnce(hostvars)
    hosts = [host for host in hosts if host in hostvars]
    return (_swarm_lines(hostvars, hosts) + _engine_lines(hostvars, hosts) + _image_lines(hostvars, hosts)
            + _service_lines(hostvars, list(managers)) + _container_lines(hostvars, hosts))


# site.yml's stages that the preflight can find without work, each skipped whole when it has none.
STAGES = ('docker_host', 'images', 'swarm', 'services', 'containers')
# The host pattern a play skipped whole runs on: no host, and no warning about an unknown group.
NO_HOSTS = 'all:!all'
# The groups whose hosts are Docker hosts: the swarm's members are, also without a docker_hosts group.
DOCKER_HOST_GROUPS = ('docker_hosts', 'swarm_managers', 'swarm_workers')
# The roles' inputs site_stages reads from each host's variables, with the roles' defaults: Ansible's
# hostvars hold what the inventory and extra vars set, not a play's role defaults. Every other input
# of the roles' rules reached the preflight's read as a plan (engine_info's plan_* options, made
# with the roles' own variables on each host). tests/unit holds these to the roles' defaults files.
ROLE_DEFAULTS = dict(
    docker_host_tls_listener=False,
    docker_host_engine_version='',
    docker_host_restart_always=False,
    images_registry_logins=[],
    images_contexts=[],
    swarm_node_labels={},
    swarm_node_labels_state='merge',
    swarm_node_availability='',
)
# The preflight's plans of the services role's objects, made on the first manager.
SERVICES_PLANS = ('networks_plan', 'secrets_plan', 'configs_plan', 'services_plan')


def _role_input(host_vars, name):
    return host_vars[name] if isinstance(host_vars, Mapping) and name in host_vars else ROLE_DEFAULTS[name]


def _plan_pending(read, key):
    """Whether the read holds a plan under ``key`` that found something to do (no plan: nothing was
    declared there, so the preflight planned nothing)."""
    plan = read.get(key)
    return plan is not None and not (isinstance(plan, Mapping) and plan.get('in_sync') is True)


def _host_work(read, host_vars, role, builder, planner):
    """Each role's "nothing to do" rule on one host, from the preflight's read of it (which planned
    daemon.json, the images, the services' objects and the containers with the roles' own options)
    and the host's variables; see ROLE_DEFAULTS."""
    engine = engine_work(read, dig(read, 'daemon_config_plan', 'in_sync') is True,
                         tls_listener=_role_input(host_vars, 'docker_host_tls_listener'),
                         engine_version=_role_input(host_vars, 'docker_host_engine_version'),
                         restart_always=_role_input(host_vars, 'docker_host_restart_always'))
    # Logins and copies of build contexts are done on every run: nothing reads them beforehand.
    images = builder and bool(_role_input(host_vars, 'images_registry_logins')
                              or _role_input(host_vars, 'images_contexts') or _plan_pending(read, 'images_plan'))
    swarm_node = dict(role=role, labels=_role_input(host_vars, 'swarm_node_labels'),
                      labels_state=_role_input(host_vars, 'swarm_node_labels_state'))
    availability = _role_input(host_vars, 'swarm_node_availability')
    if availability:
        swarm_node['availability'] = availability
    return dict(docker_host=engine['work'], images=images,
                services=planner and any(_plan_pending(read, key) for key in SERVICES_PLANS),
                containers=_plan_pending(read, 'containers_plan'), swarm_node=swarm_node)


def site_stages(hostvars, hosts, managers=(), workers=(), builders=(), swarm_options=None):
    """Which of site.yml's stages have work, from each host's preflight read
    (``docker_host_preflight``) and each role's own "nothing to do" rule, worked out here for every
    host at once (a task on each host would cost a worker per host on every run) and, for the
    swarm, swarm_work over the preflight's swarm reads. A host not read (unreachable, its engine
    not answering) gives every stage of its work: only what is known to be in sync is skipped.

    Returns ``due`` (the stages to run, in site order), ``why`` (``{stage: [reasons]}``) and
    ``swarm_lead`` (the manager the swarm role would lead from; the summary reads its swarm).
    """
    managers, workers = list(managers), list(workers)
    builders = list(builders) or managers[:1]
    notes = {}
    # Members and builders outside the play (--limit, a failed preflight) are not read either.
    for host in list(hosts) + managers + workers + builders:
        if host in notes:
            continue
        host_vars = hostvars.get(host) if host in hosts else None
        read = dig(host_vars or {}, 'docker_host_preflight')
        notes[host] = None
        if isinstance(read, Mapping) and isinstance(read.get('engine'), Mapping):
            notes[host] = _host_work(read, host_vars, 'manager' if host in managers else 'worker',
                                     host in builders, bool(managers) and host == managers[0])
            notes[host]['swarm_info'] = read.get('swarm_info')
    unnoted = sorted(host for host, note in notes.items() if note is None)

    def hosts_with_work(stage, among):
        return [host for host in among if host in notes and (host in unnoted or notes[host].get(stage))]

    why = {}
    for stage, among in (('docker_host', hosts), ('images', builders), ('services', managers[:1]),
                         ('containers', hosts)):
        busy = hosts_with_work(stage, among)
        if busy:
            why[stage] = ['%s: not read' % host if host in unnoted else '%s: work to do' % host for host in busy]
    members = [host for host in managers + workers if host not in unnoted]
    states = dict((host, notes[host]['swarm_info']) for host in members)
    wanted = dict((host, notes[host]['swarm_node']) for host in members)
    swarm_reasons = swarm_work(states, managers, workers, wanted, **dict(swarm_options or {}))
    if swarm_reasons:
        why['swarm'] = swarm_reasons
    lead = None
    if managers and not swarm_reasons:
        lead = swarm_survey(states, managers, workers)['lead']
    return dict(due=[stage for stage in STAGES if stage in why], why=why, swarm_lead=lead)


def site_hosts(groups, names=DOCKER_HOST_GROUPS):
    """The host pattern of the groups ``names`` (default: every Docker host of a site inventory) that
    the inventory has (Ansible warns about each group of a pattern it does not know), or a pattern
    that matches no host."""
    known = [name for name in names if name in (groups or {})]
    return ':'.join(known) or NO_HOSTS


def site_stage_hosts(hostvars, stage, pattern, hosts=(), run_tags=()):
    """The host pattern of site.yml's play for ``stage``: ``pattern`` when the stage is asked for by
    its tag (``run_tags``, ansible_run_tags), or when the preflight's site_stages (a fact of every
    host it ran on; the first of ``hosts`` that has it is read) lists the stage as due or is not
    there; else a pattern that matches no host."""
    if stage in (run_tags or ()):
        return pattern
    for host in hosts:
        stages = dig(hostvars.get(host) or {}, 'site_stages')
        if isinstance(stages, Mapping):
            return pattern if stage in stages.get('due', STAGES) else NO_HOSTS
    return pattern


class FilterModule(object):
    def filters(self):
        return dict(site_summary=site_summary, site_stages=site_stages, site_stage_hosts=site_stage_hosts,
                    site_hosts=site_hosts)
