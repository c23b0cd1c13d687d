"""The collection as users get it: built to a tarball, installed into an empty path, run from there."""
import json
import os
import subprocess

import pytest

from ansible_runner import VENV_BIN, ansible_env

pytestmark = pytest.mark.engine


def test_build_install_and_run(tmp_path, engine, installed_collection):
    names = installed_collection["names"]
    assert "plugins/modules/engine_info.py" in names
    assert "meta/runtime.yml" in names
    assert "playbooks/site.yml" in names and "roles/swarm/tasks/main.yml" in names
    assert not [n for n in names if n.startswith((".venv", ".lab", ".build", ".git/"))], names[:20]
    installed = installed_collection["path"]
    manifest = installed / "ansible_collections" / "dockhand" / "docker" / "MANIFEST.json"
    assert manifest.is_file()

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


def test_ansible_doc_lists_every_module_with_a_one_line_description(installed_collection):
    env = ansible_env(ANSIBLE_COLLECTIONS_PATH=str(installed_collection["path"]))
    listing = subprocess.run([os.path.join(VENV_BIN, "ansible-doc"), "-l", "dockhand.docker", "--json"],
                             capture_output=True, text=True, env=env, check=False)
    assert listing.returncode == 0, listing.stderr
    modules = json.loads(listing.stdout)
    shipped = sorted(name[len("plugins/modules/"):-3] for name in installed_collection["names"]
                     if name.startswith("plugins/modules/") and name.endswith(".py"))
    assert sorted(name.split(".")[-1] for name in modules) == shipped
    for name, description in modules.items():
        assert description and "\n" not in description and len(description) < 120, (name, description)
