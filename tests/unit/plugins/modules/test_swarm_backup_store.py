"""swarm_backup_store's work on temporary directories: a backup filed with its manifest and state,
retention, a damaged copy refused, and the restore's checks (sha256, autolock without a key)."""
import json
import os

import pytest

from ansible_collections.dockhand.docker.plugins.module_utils.errors import DockerError, InvalidValue
from ansible_collections.dockhand.docker.plugins.module_utils.swarm_archive import sha256_of
from ansible_collections.dockhand.docker.plugins.modules import swarm_backup_store

CLUSTER = "kublsu5jsb3lpc5jc8qwdlzic"
DRAFT = dict(cluster_id=CLUSTER, node_id="N2", hostname="node2", advertise_address="172.30.77.12",
             engine_version="20.10.24", autolock=True,
             objects=dict(networks=[], secrets=[dict(id="s1", name="tok-abc")], configs=[], services=[]))


class Module(object):
    def __init__(self, check_mode=False, **params):
        self.params = dict((key, spec.get("default")) for key, spec in swarm_backup_store.ARGUMENT_SPEC.items())
        self.params.update(params)
        self.check_mode = check_mode


def incoming(tmp_path, content=b"archive bytes"):
    path = tmp_path / "backups" / ".incoming" / "node2.tar.gz"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return str(path)


def store(tmp_path, content=b"archive bytes", **params):
    path = incoming(tmp_path, content)
    values = dict(directory=str(tmp_path / "backups"), incoming=path, sha256=sha256_of(path), manifest=DRAFT,
                  declarative_state=dict(services_secrets=[dict(name="tok")]), keep=7)
    values.update(params)
    return swarm_backup_store.store(Module(**values))


def test_store_files_archive_manifest_and_state(tmp_path):
    result = store(tmp_path)
    directory = tmp_path / "backups" / CLUSTER
    stamp = os.path.basename(result["archive"])[:-len(".tar.gz")]
    assert sorted(os.listdir(str(directory))) == sorted(stamp + suffix for suffix in
                                                        (".tar.gz", ".manifest.json", ".state.yml"))
    manifest = json.load(open(result["manifest_path"]))
    assert manifest == result["manifest"] and manifest["sha256"] == sha256_of(result["archive"])
    assert manifest["archive"] == stamp + ".tar.gz" and manifest["created"].endswith("Z")
    assert "services_secrets" in open(result["state_path"]).read()
    assert oct(os.stat(result["archive"]).st_mode & 0o777) == "0o600"


def test_retention_per_cluster(tmp_path):
    first = store(tmp_path)
    second = store(tmp_path)
    assert first["archive"] != second["archive"] and len(second["kept"]) == 2
    third = store(tmp_path, keep=1)
    assert third["removed"] == sorted(second["kept"]) and third["kept"] == [os.path.basename(third["archive"])[:-7]]
    assert len(os.listdir(str(tmp_path / "backups" / CLUSTER))) == 3


def test_a_damaged_copy_is_refused_and_not_kept(tmp_path):
    with pytest.raises(DockerError, match="damaged on the way"):
        store(tmp_path, sha256="0" * 64)
    assert not os.path.exists(str(tmp_path / "backups" / CLUSTER))
    assert os.listdir(str(tmp_path / "backups" / ".incoming")) == []


def test_check_mode_writes_nothing(tmp_path):
    path = incoming(tmp_path)
    result = swarm_backup_store.store(Module(check_mode=True, directory=str(tmp_path / "backups"), incoming=path,
                                             sha256=sha256_of(path), manifest=DRAFT, declarative_state={}))
    assert result["changed"] and not os.path.exists(result["archive"]) and os.path.exists(path)


def test_check_before_a_restore(tmp_path):
    unlocked = store(tmp_path, manifest=dict(DRAFT, autolock=False))
    checked = swarm_backup_store.check(Module(state="checked", archive=unlocked["archive"]))
    assert checked["manifest"]["cluster_id"] == CLUSTER and checked["changed"] is False
    archive = store(tmp_path)["archive"]
    key = "SWMKEY-1-" + "k" * 43
    with pytest.raises(InvalidValue, match="cannot be restored") as failure:
        swarm_backup_store.check(Module(state="checked", archive=archive, unlock_key=key))
    assert key not in failure.value.msg
    with pytest.raises(InvalidValue, match="swarm_unlock_key, which is not given"):
        swarm_backup_store.check(Module(state="checked", archive=archive))
    with open(archive, "r+b") as handle:
        handle.write(b"X")
    with pytest.raises(InvalidValue, match="sha256") as failure:
        swarm_backup_store.check(Module(state="checked", archive=archive, unlock_key=key))
    assert key not in failure.value.msg
    with pytest.raises(InvalidValue, match="manifest .* cannot be read"):
        swarm_backup_store.check(Module(state="checked", archive=str(tmp_path / "elsewhere.tar.gz")))
