"""The collection as users get it: built to a tarball, installed into an empty path, run from there."""
import json
import os
import subprocess
import tarfile

import pytest

from ansible_runner import REPO_ROOT, VENV_BIN, ansible_env

pytestmark = pytest.mark.engine


def test_build_install_and_run(tmp_path, engine):
    build = subprocess.run([os.path.join(VENV_BIN, "ansible-galaxy"), "collection", "build", REPO_ROOT,
                            "--output-path", str(tmp_path)], capture_output=True, text=True, check=False)
    assert build.returncode == 0, build.stdout + build.stderr
    tarballs = list(tmp_path.glob("dockhand-docker-*.tar.gz"))
    assert len(tarballs) == 1
    with tarfile.open(tarballs[0]) as tar:
        names = tar.getnames()
    assert "plugins/modules/engine_info.py" in names
    assert "meta/runtime.yml" in names
    assert not [n for n in names if n.startswith((".venv", ".lab", ".build", ".git/"))], names[:20]

    installed = tmp_path / "collections"
    # --force and a collections path of its own: the working tree's dockhand.docker 0.1.0, on the
    # usual test collections path, must not make ansible-galaxy think it is installed already.
    install = subprocess.run([os.path.join(VENV_BIN, "ansible-galaxy"), "collection", "install", "--offline",
                              "--force", "-p", str(installed), str(tarballs[0])], capture_output=True, text=True,
                             check=False, env=ansible_env(ANSIBLE_COLLECTIONS_PATH=str(installed)))
    assert install.returncode == 0, install.stdout + install.stderr
    manifest = installed / "ansible_collections" / "dockhand" / "docker" / "MANIFEST.json"
    assert manifest.is_file(), install.stdout + install.stderr

    env = ansible_env(ANSIBLE_COLLECTIONS_PATH=str(installed), ANSIBLE_STDOUT_CALLBACK="ansible.builtin.minimal",
                      ANSIBLE_LOAD_CALLBACK_PLUGINS="0")
    run = subprocess.run([os.path.join(VENV_BIN, "ansible"), "localhost", "-m", "dockhand.docker.engine_info"],
                         capture_output=True, text=True, env=env, cwd=str(tmp_path), check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "localhost | SUCCESS" in run.stdout
    result = json.loads(run.stdout.split("=>", 1)[1])
    assert result["engine"]["server_version"]
    assert result["changed"] is False

    doc = subprocess.run([os.path.join(VENV_BIN, "ansible-doc"), "dockhand.docker.engine_info"],
                         capture_output=True, text=True, env=env, check=False)
    assert doc.returncode == 0 and "docker_host" in doc.stdout, doc.stderr
