"""dockhand.docker.file_snapshot and dockhand.docker.tls_check through ansible-playbook, on real files.

Files live under tmp_path; snapshots too (root=...). No engine is needed.
"""
import json
import os
import stat
import subprocess

import pytest
from pki import openssl

from ansible_runner import VENV_BIN, ansible_env, run_module

AS_ROOT = os.geteuid() == 0


def state_of(path):
    """Everything a rollback must give back: link target or content, mode, owner; None when absent."""
    path = str(path)
    if not os.path.lexists(path):
        return None
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        return ("link", os.readlink(path))
    with open(path, "rb") as handle:
        return (handle.read(), stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid)


@pytest.fixture
def engine_files(tmp_path):
    """daemon.json as a link to a 0600 file of another owner, a CA, no key, no drop-in."""
    etc = tmp_path / "etc"
    (etc / "docker" / "store").mkdir(parents=True)
    (etc / "docker" / "tls").mkdir(mode=0o750)
    real = etc / "docker" / "store" / "daemon.json"
    real.write_text('{"log-driver": "local"}\n')
    os.chmod(str(real), 0o600)
    if AS_ROOT:
        os.chown(str(real), 1234, 5678)
    os.symlink("store/daemon.json", str(etc / "docker" / "daemon.json"))
    (etc / "docker" / "tls" / "ca.pem").write_text("old CA\n")
    paths = [etc / "docker" / "daemon.json", etc / "docker" / "tls" / "ca.pem", etc / "docker" / "tls" / "key.pem",
             etc / "systemd" / "system" / "docker.service.d" / "dockhand-hosts.conf"]
    return dict(etc=etc, real=real, paths=[str(path) for path in paths], root=str(tmp_path / "snapshots"))


def snapshot(files, state, extra_args=(), **args):
    return run_module("dockhand.docker.file_snapshot", dict(args, name="engine", state=state, root=files["root"]),
                      extra_args=extra_args)


def test_save_change_restore_gives_every_file_back_byte_for_byte(engine_files):
    watched = engine_files["paths"] + [str(engine_files["real"]), str(engine_files["etc"] / "systemd")]
    before = dict((path, state_of(path)) for path in watched)
    run, result = snapshot(engine_files, "saved", paths=engine_files["paths"])
    assert run.returncode == 0, run.stdout[-3000:]
    assert [entry["state"] for entry in result["files"]] == ["link", "file", "absent", "absent"]
    assert result["files"][0]["target"]["mode"] == "0600"
    assert "old CA" not in json.dumps(result)

    daemon_json, ca, key, drop_in = engine_files["paths"]
    with open(daemon_json, "w") as handle:  # through the link, as daemon_config writes
        handle.write('{"hosts": []}\n')
    with open(ca, "w") as handle:
        handle.write("new CA\n")
    with open(key, "w") as handle:
        handle.write("new key\n")
    os.makedirs(os.path.dirname(drop_in))
    with open(drop_in, "w") as handle:
        handle.write("[Service]\n")

    run, result = snapshot(engine_files, "restored", extra_args=["--check"])
    assert run.returncode == 0, run.failed_messages()
    assert result["changed"] is True and result["restored"] == engine_files["paths"]
    assert state_of(ca) == (b"new CA\n",) + state_of(ca)[1:]
    run, result = snapshot(engine_files, "restored")
    assert run.returncode == 0, run.stdout[-3000:]
    assert result["changed"] is True and result["found"] is True and result["restored"] == engine_files["paths"]
    assert dict((path, state_of(path)) for path in watched) == before
    run, result = snapshot(engine_files, "restored")
    assert result["changed"] is False and result["restored"] == []

    run, result = snapshot(engine_files, "discarded")
    assert result["changed"] is True and not os.path.exists(os.path.join(engine_files["root"], "engine"))
    run, result = snapshot(engine_files, "restored")
    assert run.returncode == 0 and result["changed"] is False and result["found"] is False


def test_the_snapshot_is_private(engine_files):
    run, result = snapshot(engine_files, "saved", paths=engine_files["paths"])
    assert run.returncode == 0
    directory = result["snapshot"]
    assert directory == os.path.join(engine_files["root"], "engine")
    assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700
    assert all(stat.S_IMODE(os.stat(os.path.join(directory, entry)).st_mode) == 0o600
               for entry in os.listdir(directory))


@pytest.mark.parametrize("args, message", [
    (dict(name="../etc", state="discarded"), "name: '../etc' is not a snapshot name"),
    (dict(name="engine", state="saved"), "paths: state=saved needs the paths to save"),
    (dict(name="engine", state="saved", paths=["etc/docker/daemon.json"]), "is not an absolute path"),
    (dict(name="engine", state="saved", paths=["/etc"]), "cannot snapshot /etc: it is not a regular file"),
])
def test_bad_input_is_one_line(tmp_path, args, message):
    run, result = run_module("dockhand.docker.file_snapshot", dict(args, root=str(tmp_path / "snapshots")))
    assert run.returncode != 0 and result["failed"] is True
    assert message in result["msg"] and "\n" not in result["msg"], result["msg"]
    assert not (tmp_path / "snapshots").exists()


# ---- tls_check: the files checked on the controller ----

@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A throw-away CA, a server certificate it signed, another key, another CA (made here, never committed)."""
    work = tmp_path_factory.mktemp("pki")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
            "-subj", "/CN=dockhand test CA", "-keyout", "ca-key.pem", "-out", "ca.pem", cwd=work)
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=server",
            "-keyout", "server-key.pem", "-out", "server.csr", cwd=work)
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial",
            "-days", "2", "-out", "server.pem", cwd=work)
    openssl("genpkey", "-algorithm", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "other-key.pem", cwd=work)
    openssl("req", "-x509", "-key", "other-key.pem", "-days", "2", "-subj", "/CN=other CA", "-out", "other-ca.pem",
            cwd=work)
    return work


def tls_check(pki, ca="ca.pem", certificate="server.pem", private_key="server-key.pem", **extra):
    return run_module("dockhand.docker.tls_check", dict(extra, ca=str(pki / ca), certificate=str(pki / certificate),
                                                        private_key=str(pki / private_key)))


def test_tls_check_passes_good_files_and_ignores_connection_options(pki):
    run, result = tls_check(pki, docker_host="tcp://192.0.2.1:2376", ca_path="/nowhere")
    assert run.returncode == 0, run.stdout[-3000:]
    assert result["changed"] is False and result["subject"] == "CN=server" and result["key"] == "EC 256-bit"
    assert result["issuer"] == "CN=dockhand test CA" and result["private_key"] == str(pki / "server-key.pem")


@pytest.mark.parametrize("files, message", [
    (dict(private_key="other-key.pem"), "private_key: %(pki)s/other-key.pem (EC 256-bit) is not the key of the "
                                        "certificate %(pki)s/server.pem"),
    (dict(ca="other-ca.pem"), "certificate: %(pki)s/server.pem (CN=server, issued by CN=dockhand test CA) was not "
                              "signed by the CA in %(pki)s/other-ca.pem"),
    (dict(ca="missing.pem"), "ca: %(pki)s/missing.pem cannot be read on the controller (not found)"),
])
def test_tls_check_refuses_in_one_line_and_never_shows_the_key(pki, files, message):
    run, result = tls_check(pki, **files)
    assert run.returncode != 0 and result["failed"] is True
    assert result["msg"].startswith(message % {"pki": pki}), result["msg"]
    assert "\n" not in result["msg"]
    for key in ("server-key.pem", "other-key.pem"):
        body = "".join((pki / key).read_text().splitlines()[1:-1])
        assert body[:40] not in run.stdout and body[:40] not in run.stderr


def test_tls_check_finds_relative_paths_in_the_files_directory(pki, tmp_path):
    (tmp_path / "files").mkdir()
    for name in ("ca.pem", "server.pem", "server-key.pem"):
        (tmp_path / "files" / name).write_bytes((pki / name).read_bytes())
    playbook = tmp_path / "site.yml"
    playbook.write_text(json.dumps([dict(hosts="localhost", gather_facts=False, tasks=[
        {"dockhand.docker.tls_check": dict(ca="ca.pem", certificate="server.pem", private_key="server-key.pem")}])]))
    proc = subprocess.run([os.path.join(VENV_BIN, "ansible-playbook"), str(playbook), "-i", "localhost,", "-c",
                           "local"], capture_output=True, text=True, env=ansible_env(), check=False)
    assert proc.returncode == 0, proc.stdout[-3000:]
    result = json.loads(proc.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]
    assert result["certificate"] == str(tmp_path / "files" / "server.pem")
