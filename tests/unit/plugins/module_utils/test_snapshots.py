"""Snapshots of a set of files (module_utils/snapshots.py), saved and restored in temporary directories."""
import json
import os
import stat

import pytest

from ansible_collections.dockhand.docker.plugins.module_utils import snapshots
from ansible_collections.dockhand.docker.plugins.module_utils.errors import DockerError, InvalidValue

AS_ROOT = os.geteuid() == 0


def mode_of(path):
    return stat.S_IMODE(os.lstat(str(path)).st_mode)


@pytest.fixture
def etc(tmp_path):
    """daemon.json (0644), an existing CA (0600), no certificate, no drop-in directory yet."""
    root = tmp_path / "etc"
    (root / "docker" / "tls").mkdir(parents=True)
    (root / "docker" / "daemon.json").write_bytes(b'{"debug": true}\n')
    (root / "docker" / "tls" / "ca.pem").write_bytes(b"old CA\n")
    os.chmod(str(root / "docker" / "tls" / "ca.pem"), 0o600)
    return root


def paths_of(etc):
    return [str(etc / "docker" / "daemon.json"), str(etc / "docker" / "tls" / "ca.pem"),
            str(etc / "docker" / "tls" / "cert.pem"), str(etc / "systemd" / "docker.service.d" / "hosts.conf")]


def test_save_records_files_and_absence_and_keeps_copies_private(etc, tmp_path):
    store = str(tmp_path / "snapshots")
    records = snapshots.save(store, "engine", paths_of(etc))
    assert [record["state"] for record in records] == ["file", "file", "absent", "absent"]
    assert records[1]["mode"] == 0o600
    assert records[3]["missing_dirs"] == [str(etc / "systemd" / "docker.service.d"), str(etc / "systemd")]
    directory = os.path.join(store, "engine")
    assert mode_of(directory) == 0o700
    assert sorted(os.listdir(directory)) == ["0.0.data", "1.0.data", "manifest.json"]
    assert all(mode_of(os.path.join(directory, entry)) == 0o600 for entry in os.listdir(directory))
    assert open(os.path.join(directory, "1.0.data"), "rb").read() == b"old CA\n"
    shown = snapshots.shown(records)
    assert shown[1]["mode"] == "0600" and "data" not in shown[1] and "missing_dirs" not in shown[3]


def test_restore_puts_content_mode_and_owner_back_and_removes_what_was_new(etc, tmp_path):
    store = str(tmp_path / "snapshots")
    daemon_json, ca, cert, drop_in = paths_of(etc)
    snapshots.save(store, "engine", [daemon_json, ca, cert, drop_in])
    with open(daemon_json, "w") as handle:
        handle.write('{"hosts": ["unix:///var/run/docker.sock"]}\n')
    os.chmod(daemon_json, 0o640)
    with open(ca, "w") as handle:
        handle.write("new CA\n")
    os.chmod(ca, 0o644)
    with open(cert, "w") as handle:
        handle.write("new certificate\n")
    os.makedirs(os.path.dirname(drop_in))
    with open(drop_in, "w") as handle:
        handle.write("[Service]\n")
    if AS_ROOT:
        os.chown(ca, 1234, 5678)

    found, restored = snapshots.restore(store, "engine")
    assert found is True and restored == [daemon_json, ca, cert, drop_in]
    assert open(daemon_json, "rb").read() == b'{"debug": true}\n' and mode_of(daemon_json) == 0o644
    assert open(ca, "rb").read() == b"old CA\n" and mode_of(ca) == 0o600
    if AS_ROOT:
        assert (os.stat(ca).st_uid, os.stat(ca).st_gid) == (0, 0)
    assert not os.path.lexists(cert)
    assert not os.path.lexists(str(etc / "systemd"))  # made since, empty again: removed
    assert sorted(os.listdir(str(etc / "docker" / "tls"))) == ["ca.pem"]
    # Nothing differs any more: a second restore touches nothing.
    assert snapshots.restore(store, "engine") == (True, [])


def test_a_directory_made_since_is_kept_when_something_else_is_in_it(etc, tmp_path):
    store = str(tmp_path / "snapshots")
    drop_in = str(etc / "systemd" / "docker.service.d" / "hosts.conf")
    snapshots.save(store, "engine", [drop_in])
    os.makedirs(os.path.dirname(drop_in))
    for name in ("hosts.conf", "someone-else.conf"):
        with open(os.path.join(os.path.dirname(drop_in), name), "w") as handle:
            handle.write("[Service]\n")
    assert snapshots.restore(store, "engine") == (True, [drop_in])
    assert os.listdir(os.path.dirname(drop_in)) == ["someone-else.conf"]


def test_a_link_stays_a_link_and_its_file_is_restored(etc, tmp_path):
    store = str(tmp_path / "snapshots")
    real = etc / "docker" / "store" / "daemon.json"
    real.parent.mkdir()
    real.write_bytes(b'{"debug": false}\n')
    os.chmod(str(real), 0o600)
    link = etc / "docker" / "daemon.json"
    link.unlink()
    os.symlink("store/daemon.json", str(link))
    records = snapshots.save(store, "engine", [str(link)])
    assert records[0]["state"] == "link" and records[0]["link"] == "store/daemon.json"
    assert records[0]["target"]["path"] == str(real) and records[0]["target"]["mode"] == 0o600

    real.write_bytes(b"{}\n")  # written through the link
    assert snapshots.restore(store, "engine") == (True, [str(link)])
    assert os.readlink(str(link)) == "store/daemon.json"
    assert real.read_bytes() == b'{"debug": false}\n' and mode_of(real) == 0o600

    link.unlink()  # replaced by a file: the link comes back
    link.write_bytes(b"{}\n")
    assert snapshots.restore(store, "engine") == (True, [str(link)])
    assert os.path.islink(str(link)) and os.readlink(str(link)) == "store/daemon.json"


def test_a_link_to_nothing_keeps_pointing_to_nothing(etc, tmp_path):
    store = str(tmp_path / "snapshots")
    link = etc / "docker" / "daemon.json"
    link.unlink()
    os.symlink("store/daemon.json", str(link))
    records = snapshots.save(store, "engine", [str(link)])
    assert records[0]["target"]["state"] == "absent"
    (etc / "docker" / "store").mkdir()
    (etc / "docker" / "store" / "daemon.json").write_bytes(b"{}\n")
    assert snapshots.restore(store, "engine") == (True, [str(link)])
    assert os.path.islink(str(link)) and not os.path.exists(str(link))
    assert not (etc / "docker" / "store").exists()


def test_check_mode_writes_nothing(etc, tmp_path):
    store = str(tmp_path / "snapshots")
    daemon_json = paths_of(etc)[0]
    snapshots.save(store, "dry", [daemon_json], check_mode=True)
    assert not os.path.exists(store)
    snapshots.save(store, "engine", [daemon_json])
    with open(daemon_json, "w") as handle:
        handle.write("{}\n")
    assert snapshots.restore(store, "engine", check_mode=True) == (True, [daemon_json])
    assert open(daemon_json).read() == "{}\n"
    assert snapshots.discard(store, "engine", check_mode=True) is True
    assert os.path.isdir(os.path.join(store, "engine"))


def test_saving_again_replaces_the_snapshot_and_its_copies(etc, tmp_path):
    store = str(tmp_path / "snapshots")
    daemon_json, ca = paths_of(etc)[:2]
    snapshots.save(store, "engine", [daemon_json, ca])
    snapshots.save(store, "engine", [ca])
    directory = os.path.join(store, "engine")
    assert sorted(os.listdir(directory)) == ["0.0.data", "manifest.json"]
    with open(os.path.join(directory, "manifest.json")) as handle:
        assert [record["path"] for record in json.load(handle)["paths"]] == [ca]


def test_discard_and_restore_of_a_missing_snapshot(tmp_path):
    store = str(tmp_path / "snapshots")
    assert snapshots.restore(store, "nothing") == (False, [])
    assert snapshots.discard(store, "nothing") is False


def test_a_damaged_copy_restores_nothing(etc, tmp_path):
    store = str(tmp_path / "snapshots")
    daemon_json, ca = paths_of(etc)[:2]
    snapshots.save(store, "engine", [daemon_json, ca])
    with open(daemon_json, "w") as handle:
        handle.write("{}\n")
    with open(os.path.join(store, "engine", "1.0.data"), "wb") as handle:
        handle.write(b"tampered\n")
    with pytest.raises(DockerError, match="missing or damaged; nothing was restored"):
        snapshots.restore(store, "engine")
    assert open(daemon_json).read() == "{}\n"


@pytest.mark.parametrize("name", ["", "..", "a/b", "-x", "x" * 101, None])
def test_bad_names_are_refused(name):
    with pytest.raises(InvalidValue, match="is not a snapshot name"):
        snapshots.checked_name(name)


def test_bad_paths_are_refused(tmp_path):
    with pytest.raises(InvalidValue, match="is not an absolute path"):
        snapshots.checked_paths(["etc/docker/daemon.json"])
    with pytest.raises(InvalidValue, match="at least one path"):
        snapshots.checked_paths([])
    assert snapshots.checked_paths(["/etc//docker/daemon.json", "/etc/docker/daemon.json"]) == \
        ["/etc/docker/daemon.json"]
    with pytest.raises(DockerError, match="not a regular file"):
        snapshots.save(str(tmp_path / "snapshots"), "engine", [str(tmp_path)])


def test_same_state_compares_content_mode_and_owner():
    recorded = dict(path="/x", state="file", mode=0o644, uid=0, gid=0, sha256="a", data="0.0.data")
    assert snapshots.same_state(recorded, dict(recorded, data=None))
    assert not snapshots.same_state(recorded, dict(recorded, mode=0o600))
    assert not snapshots.same_state(recorded, dict(recorded, uid=1))
    assert not snapshots.same_state(recorded, dict(recorded, sha256="b"))
    assert not snapshots.same_state(recorded, dict(path="/x", state="absent", missing_dirs=[]))
    assert snapshots.same_state(dict(path="/x", state="absent", missing_dirs=["/a"]),
                                dict(path="/x", state="absent", missing_dirs=[]))
