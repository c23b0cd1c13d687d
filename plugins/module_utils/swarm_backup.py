# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Swarm backup and disaster recovery: the decisions, pure (no engine, no files).

A swarm's whole state (services, secrets, configs, networks, node identities, its CA) is the Raft
store in ``/var/lib/docker/swarm`` of its managers. The only consistent copy of it is taken from a
manager whose engine is stopped, so the backup stops one manager: one that is reachable, not the
leader (no election), and whose absence keeps a reachable majority (:func:`choose_backup_manager`).

The archive goes to the controller with a manifest (:func:`build_manifest`): who it was taken from,
whether the swarm is locked, the archive's sha256, and the IDs and names of the swarm's objects, so
that a restore can be checked before (:func:`check_manifest`, :func:`archive_mismatch`) and after
(:func:`restore_differences`) it changes anything. Join tokens, the unlock key and secret data are
never part of it: the archive itself holds them, encrypted as the engine keeps them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.dockhand.docker.plugins.module_utils.errors import InvalidValue
from ansible_collections.dockhand.docker.plugins.module_utils.swarm import majority_lost_without

MANIFEST_FORMAT = 1
ARCHIVE_SUFFIX = '.tar.gz'
MANIFEST_SUFFIX = '.manifest.json'
STATE_SUFFIX = '.state.yml'
# The swarm objects a manifest lists, in the order they are reported.
OBJECT_KINDS = ('networks', 'secrets', 'configs', 'services')
# <UTC time>, sortable as text: 20261203T235000Z, with -N when two backups share a second.
_STAMP = re.compile(r'^(\d{8}T\d{6}Z)(?:-(\d{1,4}))?\Z')
_SHA256 = re.compile(r'^[0-9a-f]{64}\Z')
_CLUSTER_ID = re.compile(r'^[0-9a-z]{25}\Z')
MANIFEST_KEYS = ('format', 'cluster_id', 'node_id', 'hostname', 'advertise_address', 'engine_version', 'autolock',
                 'created', 'sha256', 'archive', 'objects')


# ---- which manager is stopped for the copy ----

def choose_backup_manager(nodes, host_node_ids, wanted_host=None):
    """The manager to stop for the copy: ``{host, node_id, problem}``.

    ``nodes`` are the swarm's nodes as swarm_info reports them (node facts), ``host_node_ids`` the
    node ID of each manager host of the play ({host: node ID}, in inventory order). Without
    ``wanted_host``, the first host whose node is a ready, reachable manager that is not the leader
    and whose absence keeps a reachable majority; with it, that host when it is safe. ``problem``
    (then ``host`` is None) says why no manager can be stopped now.
    """
    by_id = dict((node.get('id'), node) for node in nodes or [] if node.get('id'))
    if not by_id:
        return dict(host=None, node_id=None, problem='no manager of the play could read the swarm (is it formed, '
                                                     'and does it have a leader?); nothing was backed up')
    hosts = list(host_node_ids)
    if wanted_host:
        if wanted_host not in host_node_ids:
            return dict(host=None, node_id=None,
                        problem='swarm_backup_host: %s is not a manager host of this play (%s)'
                        % (wanted_host, ', '.join(hosts) or 'none'))
        hosts = [wanted_host]
    reasons = []
    for host in hosts:
        node_id = host_node_ids[host]
        why = _unsafe_to_stop(host, by_id.get(node_id), nodes)
        if why is None:
            return dict(host=host, node_id=node_id, problem=None)
        reasons.append(why)
    if wanted_host:
        problem = 'swarm_backup_host: %s' % reasons[0]
    else:
        problem = ('no manager can be stopped for the copy without risk: %s' % '; '.join(reasons)
                   if reasons else 'no manager host in the play')
    return dict(host=None, node_id=None, problem=problem)


def _unsafe_to_stop(host, node, nodes):
    """Why the manager ``node`` of ``host`` must not be stopped for a backup now, or None."""
    if node is None:
        return '%s is not a node of the swarm the managers lead' % host
    if node.get('role') != 'manager':
        return '%s is a worker; a worker holds no copy of the swarm' % host
    if node.get('status') != 'ready' or node.get('reachability') != 'reachable':
        return '%s is %s and %s' % (host, node.get('status') or 'unknown', node.get('reachability') or 'unknown')
    if node.get('leader'):
        return ('%s is the leader; stopping it would cost an election (give another manager, or let the '
                'playbook choose)' % host)
    return majority_lost_without(node.get('id'), nodes, 'stopping manager %s' % host,
                                 'nothing was backed up')


# ---- what the backup records ----

def object_index(networks=(), secrets=(), configs=(), services=()):
    """{kind: [{id, name}]} of the swarm objects (raw API entries), sorted by name; networks of
    swarm scope only, without the engine's own ingress network."""
    raw = dict(networks=[net for net in networks or () if _is_swarm_network(net)], secrets=secrets or (),
               configs=configs or (), services=services or ())
    index = {}
    for kind in OBJECT_KINDS:
        entries = [dict(id=obj.get('ID') or obj.get('Id'), name=_object_name(obj)) for obj in raw[kind]]
        index[kind] = sorted(entries, key=lambda entry: (entry['name'] or '', entry['id'] or ''))
    return index


def _object_name(obj):
    spec = obj.get('Spec')
    return (spec or {}).get('Name') if isinstance(spec, dict) and 'Name' in spec else obj.get('Name')


def _is_swarm_network(net):
    return net.get('Scope') == 'swarm' and not net.get('Ingress') and net.get('Name') != 'ingress'


def build_manifest(draft, created, sha256, archive_name):
    """The manifest of one backup: the ``draft`` (see :func:`manifest_draft`) with the time, the
    archive's sha256 and its file name. Refuses a draft that misses a field."""
    manifest = dict(draft, format=MANIFEST_FORMAT, created=created, sha256=sha256, archive=archive_name)
    return check_manifest(manifest)


def manifest_draft(swarm, local, node, objects):
    """Everything of the manifest the manager knows before the copy: the swarm's facts (from
    swarm_info's ``swarm``), this engine's (``local``: engine.swarm_facts), its node (node facts)
    and the object index. No join token, no unlock key."""
    return dict(cluster_id=swarm.get('id'), node_id=local.get('node_id'), hostname=node.get('hostname'),
                advertise_address=(node.get('manager_address') or '').rsplit(':', 1)[0] or local.get('node_address'),
                engine_version=node.get('engine_version'), autolock=bool(swarm.get('autolock')), objects=objects)


def check_manifest(manifest):
    """``manifest`` when it is one this collection wrote (every field, the right types); InvalidValue
    naming what is wrong otherwise."""
    if not isinstance(manifest, dict):
        raise InvalidValue('the manifest is not a JSON object; give the .manifest.json written beside the archive')
    missing = [key for key in MANIFEST_KEYS if key not in manifest]
    if missing:
        raise InvalidValue('the manifest lacks %s; it was not written by dockhand.docker swarm_backup'
                           % ', '.join(missing))
    if manifest['format'] != MANIFEST_FORMAT:
        raise InvalidValue('the manifest has format %r; this collection reads format %d'
                           % (manifest['format'], MANIFEST_FORMAT))
    if not isinstance(manifest['sha256'], str) or not _SHA256.match(manifest['sha256']):
        raise InvalidValue('the manifest has no valid sha256 of its archive')
    if not isinstance(manifest['cluster_id'], str) or not _CLUSTER_ID.match(manifest['cluster_id']):
        raise InvalidValue('the manifest has no valid cluster_id')
    if not isinstance(manifest['autolock'], bool):
        raise InvalidValue('the manifest says autolock %r; it must be true or false' % (manifest['autolock'],))
    objects = manifest['objects']
    if not isinstance(objects, dict) or any(not isinstance(objects.get(kind), list) for kind in OBJECT_KINDS):
        raise InvalidValue('the manifest lists no objects (networks, secrets, configs, services)')
    for kind in OBJECT_KINDS:
        for entry in objects[kind]:
            if not isinstance(entry, dict) or not isinstance(entry.get('id'), str) or not entry['id']:
                raise InvalidValue('the manifest has a %s entry without an ID' % kind[:-1])
    return manifest


def archive_mismatch(manifest, sha256):
    """Why the archive must not be restored (its sha256 differs from the manifest's), or None."""
    if sha256 == manifest['sha256']:
        return None
    return ('the archive\'s sha256 is %s, its manifest says %s: the archive is damaged or not the one the manifest '
            'belongs to; nothing was changed' % (sha256, manifest['sha256']))


# Measured on the lab (Docker 20.10): a restored manager of a locked swarm cannot be brought back.
# The engine's unlock call waits until the swarm has a leader, which a manager restored alone never
# gets, and holds the engine's swarm control lock while it waits, so force-new-cluster and leave
# then wait too; a restart locks the node again.
LOCKED_ARCHIVE = ('the archive is of a locked swarm (autolock): Docker unlocks a manager only once its swarm has a '
                  'leader, which a manager restored alone never has (the unlock, and every swarm call after it, '
                  'waits for ever), so it cannot be restored. Nothing was changed. Take backups with autolock off '
                  '(swarm_cluster_settings.autolock: false)')


def unlock_key_problem(manifest, unlock_key):
    """Why the archive cannot be restored for its lock (autolock), or None. ``unlock_key`` is never quoted."""
    if not manifest['autolock']:
        return None
    if not unlock_key:
        return LOCKED_ARCHIVE.replace('Nothing was changed.', 'Its keys open only with swarm_unlock_key, which is '
                                      'not given either. Nothing was changed.')
    return LOCKED_ARCHIVE


# ---- file names and retention ----

def backup_stamp(utc_time, taken=()):
    """The name of a backup taken at ``utc_time`` (a datetime in UTC), unique among ``taken`` stamps."""
    stamp = utc_time.strftime('%Y%m%dT%H%M%SZ')
    if stamp not in taken:
        return stamp
    number = 1
    while '%s-%d' % (stamp, number) in taken:
        number += 1
    return '%s-%d' % (stamp, number)


def stamp_of(file_name):
    """The backup stamp of an archive's file name, or None when the name is not one of ours."""
    if not file_name.endswith(ARCHIVE_SUFFIX):
        return None
    stamp = file_name[:-len(ARCHIVE_SUFFIX)]
    return stamp if _STAMP.match(stamp) else None


def _order(stamp):
    match = _STAMP.match(stamp)
    return (match.group(1), int(match.group(2) or 0))


def expired(stamps, keep):
    """The stamps to remove so that only the newest ``keep`` remain (oldest first)."""
    if isinstance(keep, bool) or not isinstance(keep, int) or keep < 1:
        raise InvalidValue('swarm_backup_keep: %r must be a whole number of at least 1' % (keep,))
    ordered = sorted(set(stamp for stamp in stamps if _STAMP.match(stamp)), key=_order)
    return ordered[:-keep] if len(ordered) > keep else []


def backup_files(stamp):
    """The file names of one backup: archive, manifest and declarative state."""
    return dict(archive=stamp + ARCHIVE_SUFFIX, manifest=stamp + MANIFEST_SUFFIX, state=stamp + STATE_SUFFIX)


def manifest_name(archive_name):
    """The manifest's file name beside an archive (``X.tar.gz`` -> ``X.manifest.json``)."""
    base = archive_name[:-len(ARCHIVE_SUFFIX)] if archive_name.endswith(ARCHIVE_SUFFIX) else archive_name
    return base + MANIFEST_SUFFIX


# ---- the restore ----

def restore_refusal(local, has_leader, host='the target'):
    """Why restoring onto this engine would overwrite a live swarm, or None.

    ``local`` is engine.swarm_facts of the target; ``has_leader`` whether its swarm answered with a
    leader. A manager of a swarm with a leader is a live cluster; anything else (a fresh host, a
    worker, a manager of a swarm that lost its majority) may be restored onto.
    """
    if local.get('state') == 'locked':
        return None  # a locked manager cannot say; a live swarm would have unlocked it
    if local.get('is_manager') and has_leader:
        return ('%s is a manager of swarm %s, which has a leader: a restore would overwrite a live cluster. Restore '
                'onto a fresh host, or set swarm_restore_force: true if this swarm is the one to be replaced'
                % (host, local.get('cluster_id')))
    return None


def _address_host(address):
    address = (address or '').strip()
    if address.startswith('['):
        return address[1:].split(']')[0]
    return address.rsplit(':', 1)[0] if address.count(':') == 1 else address


def choose_restore_target(manifest, host_addresses, wanted_host=None):
    """The host to restore onto: ``{host, problem}``.

    ``host_addresses`` maps each candidate host (in inventory order) to the address it advertises
    ('' when the engine picks). Without ``wanted_host``: the host named like the archive's node, else
    the one with its address, else the first. The restored manager keeps the archive's address as its
    Raft address (Docker 20.10 measured: force-new-cluster and a restart do not change it), so a host
    whose address is known and differs is refused: the other managers could not reach it.
    """
    hosts = list(host_addresses)
    if not hosts:
        return dict(host=None, problem='no host to restore onto: the managers group is empty or unreachable')
    archive_host = manifest.get('hostname') or ''
    archive_address = _address_host(manifest.get('advertise_address'))
    if wanted_host:
        if wanted_host not in host_addresses:
            return dict(host=None, problem='swarm_restore_host: %s is not a host of this play (%s)'
                        % (wanted_host, ', '.join(hosts)))
        host = wanted_host
    else:
        named = [h for h in hosts if h == archive_host or h.split('.')[0] == archive_host.split('.')[0]]
        addressed = [h for h in hosts if archive_address and _address_host(host_addresses[h]) == archive_address]
        host = (named or addressed or hosts)[0]
    address = _address_host(host_addresses[host])
    if address and archive_address and address != archive_address:
        return dict(host=None, problem=(
            '%s advertises %s, but the archive is of %s, which advertised %s: a restored manager keeps the '
            'archive\'s address in the swarm (Docker does not change it on force-new-cluster), so the other hosts '
            'could not reach it. Restore onto a host with the address %s (swarm_restore_host); nothing was changed'
            % (host, address, archive_host or 'its node', archive_address, archive_address)))
    return dict(host=host, problem=None)


def restore_differences(manifest_objects, current_objects):
    """What differs between the objects a manifest lists and those the restored swarm has, as lines:
    missing (the ID is gone), renamed (same ID, another name), added (not in the manifest)."""
    lines = []
    for kind in OBJECT_KINDS:
        wanted = dict((entry['id'], entry.get('name')) for entry in manifest_objects.get(kind) or [])
        current = dict((entry['id'], entry.get('name')) for entry in current_objects.get(kind) or [])
        singular = kind[:-1]
        for ident in sorted(wanted, key=lambda key: (wanted[key] or '', key)):
            if ident not in current:
                lines.append('%s %s (%s) is missing' % (singular, wanted[ident], ident))
            elif current[ident] != wanted[ident]:
                lines.append('%s %s is named %s now (%s)' % (singular, wanted[ident], current[ident], ident))
        for ident in sorted(set(current) - set(wanted), key=lambda key: (current[key] or '', key)):
            lines.append('%s %s (%s) is not in the backup' % (singular, current[ident], ident))
    return lines


def rejoined(local, nodes):
    """Whether this manager is back: active, a manager, its node ready and reachable, and a leader."""
    if local.get('state') != 'active' or not local.get('is_manager'):
        return False
    own = [node for node in nodes or [] if node.get('id') == local.get('node_id')]
    leaders = [node for node in nodes or [] if node.get('leader')]
    return bool(own and leaders and own[0].get('status') == 'ready' and own[0].get('reachability') == 'reachable')
