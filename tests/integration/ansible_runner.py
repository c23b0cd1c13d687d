"""Run dockhand.docker through the real ``ansible-playbook`` and read its JSON results.

Integration tests call modules exactly as operators do: a playbook, the collection on the
collections path, Ansible's own executor. The ``ansible.posix.json`` callback gives
machine-readable per-host results.
"""
import json
import os
import subprocess
import sys
import tempfile

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS_PATH = os.path.join(REPO_ROOT, ".build", "collections")
VENV_BIN = os.path.dirname(sys.executable)


def ansible_env(**extra):
    env = dict(os.environ)
    env.update(
        ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_PATH + os.pathsep + os.path.join(
            sys.prefix, "lib", "python%d.%d" % sys.version_info[:2], "site-packages"),
        ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
        ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
        ANSIBLE_RETRY_FILES_ENABLED="0",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_PYTHON_INTERPRETER=sys.executable,
        PATH=VENV_BIN + os.pathsep + env.get("PATH", ""),
    )
    env.update(extra)
    return env


class PlaybookRun(object):
    """The outcome of one ansible-playbook run."""

    def __init__(self, proc):
        self.returncode = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        # With -v and more, Ansible prints its own lines before the callback's JSON document.
        start = proc.stdout.find("{") if proc.stdout.startswith("{") else proc.stdout.find("\n{\n") + 1
        try:
            self.data = json.loads(proc.stdout[start:])
        except ValueError:
            raise AssertionError("ansible-playbook printed no JSON (rc=%s):\n%s\n%s"
                                 % (proc.returncode, proc.stdout[-4000:], proc.stderr[-4000:]))

    def task(self, index=0, play=0):
        return self.data["plays"][play]["tasks"][index]

    def result(self, host="localhost", task=0, play=0):
        """The module result of task number ``task`` on ``host``."""
        return self.task(task, play)["hosts"][host]

    def named(self, name, host="localhost", play=0):
        """The result on ``host`` of the task whose name ends with ``name`` (roles prefix theirs)."""
        for task in self.data["plays"][play]["tasks"]:
            if task["task"]["name"].endswith(name):
                return task["hosts"][host]
        names = [task["task"]["name"] for task in self.data["plays"][play]["tasks"]]
        raise KeyError("no task named %r in %s" % (name, names))

    def hosts(self, task=0, play=0):
        return self.task(task, play)["hosts"]

    def failed_messages(self):
        """'task on host: msg' for every failed or unreachable result (for assertion messages)."""
        lines = []
        for play in self.data["plays"]:
            for task in play["tasks"]:
                for host, result in task["hosts"].items():
                    if result.get("failed") or result.get("unreachable"):
                        lines.append("%s on %s: %s" % (task["task"]["name"], host, result.get("msg")))
        return "\n".join(lines) or self.stderr[-2000:]

    @property
    def stats(self):
        return self.data["stats"]


def run_playbook(tasks, hosts="localhost", inventory=None, extra_args=(), gather_facts=False,
                 env=None, plays=None, timeout=600):
    """Run ``tasks`` (a list of task dicts) as one play; JSON is valid YAML, so no PyYAML needed."""
    playbook = plays if plays is not None else [
        dict(name="dockhand test", hosts=hosts, gather_facts=gather_facts, tasks=tasks)]
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as handle:
        json.dump(playbook, handle)
        path = handle.name
    try:
        cmd = [os.path.join(VENV_BIN, "ansible-playbook"), path]
        cmd += ["-i", inventory] if inventory else ["-i", "localhost,", "-c", "local"]
        cmd += list(extra_args)
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=ansible_env(**(env or {})),
                              timeout=timeout, cwd=REPO_ROOT)
    finally:
        os.unlink(path)
    return PlaybookRun(proc)


def run_module(module, args=None, extra_args=(), **kwargs):
    """Run one module task on localhost and return (run, result)."""
    run = run_playbook([{module: args or {}, "name": module}], extra_args=extra_args, **kwargs)
    return run, run.result()


def run_for_output(tasks, workdir, variables=None, extra_args=(), callback="default", env=None, timeout=300):
    """Run ``tasks`` on localhost as an operator would; return (returncode, stdout + stderr).

    For tests that read everything ansible-playbook prints (``-vvv``, the default callback),
    not only the JSON results. ``variables`` are passed in a file with ``-e @file``, as a vault's
    would be: on a failure ansible-core 2.19 prints the failing task's source lines, so a secret
    written literally in the playbook would be shown by Ansible itself, whatever the module does.
    """
    workdir = str(workdir)
    variables_file = os.path.join(workdir, "output-vars.json")
    with open(variables_file, "w") as handle:
        json.dump(variables or {}, handle)
    playbook = os.path.join(workdir, "output-%s.yml" % callback.replace(".", "-"))
    with open(playbook, "w") as handle:
        json.dump([dict(hosts="localhost", gather_facts=False, tasks=tasks)], handle, indent=2)
    proc = subprocess.run([os.path.join(VENV_BIN, "ansible-playbook"), playbook, "-i", "localhost,", "-c", "local",
                           "-e", "@%s" % variables_file] + list(extra_args), capture_output=True, text=True,
                          check=False, timeout=timeout, cwd=REPO_ROOT,
                          env=ansible_env(ANSIBLE_STDOUT_CALLBACK=callback, **(env or {})))
    return proc.returncode, proc.stdout + proc.stderr
