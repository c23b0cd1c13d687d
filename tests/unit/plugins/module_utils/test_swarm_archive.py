"""The swarm state directory as an archive (module_utils/swarm_archive.py) on temporary directories:
made private, put back whole, and refused before anything changes when it is damaged or holds
anything but files and directories under the directory's own name."""
import io
import os
import stat
import tarfile

import pytest

from ansible_collections.dockhand.docker.plugins.module_utils.errors import DockerError, InvalidValue
from ansible_collections.dockhand.docker.plugins.module_utils.swarm_archive import (
    create_archive,
    extract_archive,
    sha256_of,
)


def make_state(root, marker="one"):
    state = root / "swarm"
    (state / "raft" / "wal-v3-encrypted").mkdir(parents=True)
    (state / "raft" / "wal-v3-encrypted" / "0000.wal").write_text("raft " + marker)
    (state / "certificates").mkdir()
    (state / "certificates" / "swarm-node.key").write_text("key " + marker)
    os.chmod(str(state / "certificates" / "swarm-node.key"), 0o600)
    (state / "docker-state.json").write_text('{"marker": "%s"}' % marker)
    return state


def tree(root):
    found = {}
    for directory, _dirs, files in os.walk(str(root)):
        for name in files:
            path = os.path.join(directory, name)
            found[os.path.relpath(path, str(root))] = (open(path).read(), stat.S_IMODE(os.stat(path).st_mode))
    return found


def test_archive_and_put_back(tmp_path):
    source = make_state(tmp_path / "a", "backup")
    archive = tmp_path / "out" / "swarm.tar.gz"
    made = create_archive(str(source), str(archive))
    assert made["sha256"] == sha256_of(str(archive)) and made["size"] == archive.stat().st_size
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    target = make_state(tmp_path / "b", "lost")
    assert extract_archive(str(archive), str(target), made["sha256"]) == {"replaced": True}
    assert tree(target) == tree(source)
    assert sorted(os.listdir(str(tmp_path / "b"))) == ["swarm"]  # nothing left beside it


def test_put_back_onto_a_fresh_host(tmp_path):
    source = make_state(tmp_path / "a")
    made = create_archive(str(source), str(tmp_path / "swarm.tar.gz"))
    (tmp_path / "fresh").mkdir()
    target = tmp_path / "fresh" / "swarm"
    assert extract_archive(str(tmp_path / "swarm.tar.gz"), str(target), made["sha256"]) == {"replaced": False}
    assert tree(target) == tree(source)


def test_check_mode_writes_nothing(tmp_path):
    source = make_state(tmp_path / "a")
    assert create_archive(str(source), str(tmp_path / "x.tar.gz"), check_mode=True)["sha256"] is None
    assert not (tmp_path / "x.tar.gz").exists()
    made = create_archive(str(source), str(tmp_path / "swarm.tar.gz"))
    target = make_state(tmp_path / "b", "lost")
    before = tree(target)
    assert extract_archive(str(tmp_path / "swarm.tar.gz"), str(target), made["sha256"], check_mode=True)
    assert tree(target) == before


def test_a_changed_byte_is_refused_and_nothing_changes(tmp_path):
    source = make_state(tmp_path / "a")
    archive = tmp_path / "swarm.tar.gz"
    made = create_archive(str(source), str(archive))
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 1
    archive.write_bytes(bytes(data))
    target = make_state(tmp_path / "b", "lost")
    before = tree(target)
    with pytest.raises(InvalidValue, match="nothing was changed"):
        extract_archive(str(archive), str(target), made["sha256"])
    assert tree(target) == before and sorted(os.listdir(str(tmp_path / "b"))) == ["swarm"]


def hostile_archive(path, name, kind=tarfile.REGTYPE):
    with tarfile.open(str(path), "w:gz") as tar:
        info = tarfile.TarInfo(name)
        info.type = kind
        data = b"x"
        info.size = len(data) if kind == tarfile.REGTYPE else 0
        if kind == tarfile.SYMTYPE:
            info.linkname = "/etc/passwd"
        tar.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)


@pytest.mark.parametrize("name, kind, message", [
    ("../escape", tarfile.REGTYPE, "outside swarm/"),
    ("/etc/cron.d/x", tarfile.REGTYPE, "outside swarm/"),
    ("other/file", tarfile.REGTYPE, "outside swarm/"),
    ("swarm/../../x", tarfile.REGTYPE, "outside swarm/"),
    ("swarm/link", tarfile.SYMTYPE, "neither a file nor a directory"),
    ("swarm/dev", tarfile.CHRTYPE, "neither a file nor a directory"),
])
def test_members_outside_the_directory_are_refused(tmp_path, name, kind, message):
    archive = tmp_path / "bad.tar.gz"
    hostile_archive(archive, name, kind)
    target = make_state(tmp_path / "b")
    before = tree(target)
    with pytest.raises(InvalidValue, match=message):
        extract_archive(str(archive), str(target), sha256_of(str(archive)))
    assert tree(target) == before and sorted(os.listdir(str(tmp_path / "b"))) == ["swarm"]


def test_not_an_archive(tmp_path):
    archive = tmp_path / "swarm.tar.gz"
    archive.write_bytes(b"not gzip")
    with pytest.raises(InvalidValue, match="cannot be read"):
        extract_archive(str(archive), str(tmp_path / "swarm"), sha256_of(str(archive)))


def test_no_state_to_back_up(tmp_path):
    with pytest.raises(DockerError, match="holds no swarm state"):
        create_archive(str(tmp_path / "missing"), str(tmp_path / "x.tar.gz"))
    with pytest.raises(DockerError, match="cannot read"):
        sha256_of(str(tmp_path / "missing"))
