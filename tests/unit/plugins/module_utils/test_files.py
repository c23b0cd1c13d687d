"""The one atomic writer (module_utils/files.py) and the backups beside a file, in temporary directories."""
import errno
import os
import stat

import pytest

from ansible_collections.dockhand.docker.plugins.module_utils import files
from ansible_collections.dockhand.docker.plugins.module_utils.errors import DockerError, InvalidValue

AS_ROOT = os.geteuid() == 0


def mode_of(path):
    return stat.S_IMODE(os.stat(str(path)).st_mode)


def owner_of(path):
    info = os.stat(str(path))
    return info.st_uid, info.st_gid


# ---- new files and directories ----

def test_new_file_and_its_directories_get_the_given_modes_whatever_the_umask(tmp_path):
    path = tmp_path / "etc" / "docker" / "daemon.json"
    old_umask = os.umask(0o077)
    try:
        written = files.write_atomically(str(path), '{}\n')
    finally:
        os.umask(old_umask)
    assert written == str(path)
    assert path.read_text() == "{}\n"
    assert mode_of(path) == 0o644
    assert mode_of(path.parent) == 0o755 and mode_of(path.parent.parent) == 0o755
    if AS_ROOT:
        assert owner_of(path) == (0, 0)
    assert os.listdir(str(path.parent)) == ["daemon.json"]


def test_new_credentials_file_is_private(tmp_path):
    path = tmp_path / "home" / ".docker" / "config.json"
    old_umask = os.umask(0)
    try:
        files.write_atomically(str(path), b'{"auths": {}}\n', private=True, directory_mode=0o700)
    finally:
        os.umask(old_umask)
    assert mode_of(path) == 0o600
    assert mode_of(path.parent) == 0o700
    assert path.read_bytes() == b'{"auths": {}}\n'


@pytest.mark.skipif(not AS_ROOT, reason="giving files away needs root")
def test_new_owner_applies_to_the_new_file_and_the_directories_made_for_it(tmp_path):
    path = tmp_path / "home" / ".docker" / "config.json"
    files.write_atomically(str(path), "{}", new_owner=(1234, 5678), directory_mode=0o700)
    assert owner_of(path) == owner_of(path.parent) == owner_of(path.parent.parent) == (1234, 5678)
    assert owner_of(tmp_path) == (0, 0)


def test_text_is_written_as_utf8(tmp_path):
    path = tmp_path / "f.json"
    files.write_atomically(str(path), '{"tag": "caf\u00e9"}')
    assert path.read_bytes() == '{"tag": "caf\u00e9"}'.encode("utf-8")


def test_text_that_utf8_cannot_encode_is_one_line(tmp_path):
    path = tmp_path / "f.json"
    with pytest.raises(DockerError, match="^cannot write .*/f.json: its text cannot be encoded as UTF-8$"):
        files.write_atomically(str(path), "\ud800")
    assert os.listdir(str(tmp_path)) == []


def test_data_or_write_exactly_one(tmp_path):
    with pytest.raises(TypeError):
        files.write_atomically(str(tmp_path / "f"))
    with pytest.raises(TypeError):
        files.write_atomically(str(tmp_path / "f"), b"x", write=lambda out: None)


# ---- an existing file keeps what it was ----

@pytest.mark.parametrize("mode", [0o600, 0o640, 0o444, 0o755])
def test_existing_file_keeps_its_mode(tmp_path, mode):
    path = tmp_path / "daemon.json"
    path.write_text('{"splunk-token": "t"}')
    os.chmod(str(path), mode)
    files.write_atomically(str(path), '{"debug": true}\n')
    assert path.read_text() == '{"debug": true}\n'
    assert mode_of(path) == mode


@pytest.mark.parametrize("mode, kept", [(0o644, 0o600), (0o600, 0o600), (0o400, 0o400), (0o4755, 0o4700)])
def test_an_existing_credentials_file_loses_access_by_others(tmp_path, mode, kept):
    path = tmp_path / "config.json"
    path.write_text("{}")
    os.chmod(str(path), mode)
    files.write_atomically(str(path), '{"auths": {"r": {"auth": "c2VjcmV0"}}}', private=True)
    assert mode_of(path) == kept


@pytest.mark.skipif(not AS_ROOT, reason="giving files away needs root")
def test_existing_file_keeps_its_owner(tmp_path):
    path = tmp_path / "daemon.json"
    path.write_text("{}")
    os.chown(str(path), 1234, 5678)
    os.chmod(str(path), 0o4750)  # chown would clear a set-uid bit: the mode is set after the owner
    files.write_atomically(str(path), '{"debug": true}\n', new_owner=(0, 0))
    assert owner_of(path) == (1234, 5678)
    assert mode_of(path) == 0o4750


def test_an_owner_that_cannot_be_kept_fails_and_leaves_the_file(tmp_path, monkeypatch):
    path = tmp_path / "daemon.json"
    path.write_text("old")
    real = os.stat(str(path))

    class Stat(object):
        st_mode, st_uid, st_gid = real.st_mode, real.st_uid + 1, real.st_gid

    def fake_stat(name, *args, **kwargs):
        return Stat() if name == str(path) else os.lstat(name)

    def refuse(*args):
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(files.os, "stat", fake_stat)
    monkeypatch.setattr(files.os, "fchown", refuse)
    with pytest.raises(DockerError) as caught:
        files.write_atomically(str(path), "new")
    assert str(caught.value).startswith("cannot keep the owner %d:%d of %s" % (real.st_uid + 1, real.st_gid, path))
    assert "it was left as it is" in str(caught.value)
    assert path.read_text() == "old"
    assert os.listdir(str(tmp_path)) == ["daemon.json"]


# ---- symbolic links ----

def test_a_symlink_stays_a_link_and_its_target_keeps_its_mode(tmp_path):
    real = tmp_path / "real.json"
    real.write_text("{}")
    os.chmod(str(real), 0o600)
    link = tmp_path / "daemon.json"
    link.symlink_to(real)
    assert files.write_atomically(str(link), '{"debug": true}\n') == str(real)
    assert link.is_symlink() and os.readlink(str(link)) == str(real)
    assert real.read_text() == '{"debug": true}\n'
    assert mode_of(real) == 0o600
    assert sorted(os.listdir(str(tmp_path))) == ["daemon.json", "real.json"]


def test_a_relative_symlink_into_another_directory(tmp_path):
    (tmp_path / "store").mkdir()
    real = tmp_path / "store" / "daemon.json"
    real.write_text("{}")
    (tmp_path / "etc").mkdir()
    link = tmp_path / "etc" / "daemon.json"
    link.symlink_to(os.path.join("..", "store", "daemon.json"))
    files.write_atomically(str(link), "new")
    assert link.is_symlink() and real.read_text() == "new"
    assert os.listdir(str(tmp_path / "store")) == ["daemon.json"]


def test_a_dangling_symlink_gets_its_target_created(tmp_path):
    link = tmp_path / "daemon.json"
    link.symlink_to(tmp_path / "conf" / "real.json")
    files.write_atomically(str(link), "new")
    assert link.is_symlink() and (tmp_path / "conf" / "real.json").read_text() == "new"
    assert mode_of(tmp_path / "conf" / "real.json") == 0o644


def test_a_symlink_loop_is_one_line(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    first.symlink_to(second)
    second.symlink_to(first)
    with pytest.raises(DockerError, match="^cannot write .*/a: "):
        files.write_atomically(str(first), "x")
    assert first.is_symlink() and second.is_symlink()


# ---- streaming ----

def test_a_callback_writes_large_data_in_chunks(tmp_path):
    path = tmp_path / "image.tar"
    chunk = b"x" * 65536

    def write(out):
        for _chunk in range(64):
            out.write(chunk)
    files.write_atomically(str(path), write=write)
    assert path.stat().st_size == 64 * 65536
    assert mode_of(path) == 0o644


# ---- failures: one line, no temporary file, the old file as it was ----

def test_failure_is_one_line_and_leaves_no_temp_file(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(DockerError, match="^cannot write .*/file/daemon.json: "):
        files.write_atomically(str(blocker / "daemon.json"), "{}\n")
    assert os.listdir(str(tmp_path)) == ["file"]


def test_a_directory_at_the_path_is_one_line(tmp_path):
    with pytest.raises(DockerError, match="^cannot write %s: it is a directory$" % tmp_path):
        files.write_atomically(str(tmp_path), "x")


def test_a_nul_byte_in_the_path_is_one_line(tmp_path):
    with pytest.raises(DockerError, match="^cannot write "):
        files.write_atomically(str(tmp_path) + "/a\x00b", "x")


@pytest.mark.parametrize("failure, expected", [
    (DockerError("save of app:1 failed: no such image"), DockerError),
    (InvalidValue("bad input found while writing"), InvalidValue),
    (OSError(errno.ENOSPC, "No space left on device"), DockerError),
    (KeyboardInterrupt(), KeyboardInterrupt),
    (RuntimeError("a bug"), RuntimeError),
])
def test_a_failing_callback_leaves_the_old_file_and_no_temp_file(tmp_path, failure, expected):
    path = tmp_path / "image.tar"
    path.write_bytes(b"old archive")
    os.chmod(str(path), 0o640)

    def write(out):
        out.write(b"half of the new archive")
        raise failure
    with pytest.raises(expected) as caught:
        files.write_atomically(str(path), write=write)
    if isinstance(failure, OSError):
        assert str(caught.value) == "cannot write %s: No space left on device" % path
    else:
        assert caught.value is failure
    assert path.read_bytes() == b"old archive" and mode_of(path) == 0o640
    assert os.listdir(str(tmp_path)) == ["image.tar"]


def test_a_failed_rename_removes_the_temp_file(tmp_path, monkeypatch):
    path = tmp_path / "daemon.json"
    path.write_text("old")

    def refuse(source, target):
        raise OSError(errno.EXDEV, "Invalid cross-device link")
    monkeypatch.setattr(files.os, "rename", refuse)
    with pytest.raises(DockerError, match="^cannot write .*daemon.json: Invalid cross-device link$"):
        files.write_atomically(str(path), "new")
    assert path.read_text() == "old" and os.listdir(str(tmp_path)) == ["daemon.json"]


# ---- backups ----

def test_backup_keeps_content_mode_and_owner(tmp_path):
    path = tmp_path / "daemon.json"
    path.write_text('{"old": 1}')
    os.chmod(str(path), 0o600)
    if AS_ROOT:
        os.chown(str(path), 1234, 5678)
    backup, removed = files.make_backup(str(path))
    assert backup.startswith(str(path) + ".") and backup.endswith("~") and removed == []
    assert open(backup).read() == '{"old": 1}'
    assert mode_of(backup) == 0o600
    assert owner_of(backup) == owner_of(path)
    assert files.backups_of(str(path)) == [backup]


def test_backups_within_one_second_do_not_collide(tmp_path):
    path = tmp_path / "daemon.json"
    made = []
    for number in range(30):
        path.write_text(str(number))
        made.append(files.make_backup(str(path))[0])
    assert len(set(made)) == 30
    assert [open(backup).read() for backup in files.backups_of(str(path))] == [str(n) for n in range(30)]


def test_only_the_newest_backups_are_kept(tmp_path):
    path = tmp_path / "daemon.json"
    path.write_text("current")
    # Earlier versions of the collection (and Ansible's backup=true) named backups file.<pid>.<time>~.
    legacy = [tmp_path / ("daemon.json.%d.2020-01-0%d@10:00:00~" % (100 + day, day)) for day in range(1, 5)]
    for old in legacy:
        old.write_text("legacy")
    others = ["daemon.json.bak", "daemon.json.12.not-a-time~", "other.json.1.2020-01-01@10:00:00~"]
    for name in others:
        (tmp_path / name).write_text("not a backup of daemon.json by its name")
    made = [files.make_backup(str(path), keep=3) for _number in range(2)]
    assert made[0][1] == [str(legacy[0]), str(legacy[1])]
    assert made[1][1] == [str(legacy[2])]
    assert files.backups_of(str(path)) == [str(legacy[3]), made[0][0], made[1][0]]
    for name in others:
        assert (tmp_path / name).exists()


def test_keep_zero_or_none_keeps_every_backup(tmp_path):
    path = tmp_path / "daemon.json"
    path.write_text("x")
    for keep in (None, 0, None, 0, None, 0):
        files.make_backup(str(path), keep=keep)
    assert len(files.backups_of(str(path))) == 6


def test_backup_of_a_symlink_copies_its_target_beside_the_link(tmp_path):
    real = tmp_path / "store" / "daemon.json"
    real.parent.mkdir()
    real.write_text("target content")
    os.chmod(str(real), 0o640)
    link = tmp_path / "daemon.json"
    link.symlink_to(real)
    backup = files.make_backup(str(link))[0]
    assert os.path.dirname(backup) == str(tmp_path) and not os.path.islink(backup)
    assert open(backup).read() == "target content" and mode_of(backup) == 0o640


def test_backup_of_a_missing_file_is_one_line(tmp_path):
    with pytest.raises(DockerError, match="^cannot back up .*/daemon.json: No such file or directory$"):
        files.make_backup(str(tmp_path / "daemon.json"))


def test_exact_mode_and_owner_win_over_the_existing_file(tmp_path):
    path = tmp_path / "key.pem"
    path.write_text("new key\n")
    os.chmod(str(path), 0o644)
    files.write_atomically(str(path), "old key\n", mode=0o600, owner=owner_of(tmp_path))
    assert path.read_text() == "old key\n" and mode_of(path) == 0o600
    files.write_atomically(str(path), "old key\n", private=True, mode=0o640)
    assert mode_of(path) == 0o640
    if AS_ROOT:
        files.write_atomically(str(path), "old key\n", mode=0o600, owner=(1234, 5678))
        assert owner_of(path) == (1234, 5678) and mode_of(path) == 0o600
