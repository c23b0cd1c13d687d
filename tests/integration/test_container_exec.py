"""container_exec against the real engine, through ansible-playbook; containers made with the docker CLI."""
import json
import subprocess
import uuid

import pytest

from ansible_runner import run_for_output, run_module

pytestmark = pytest.mark.engine

PREFIX = "dockhand-test-exec-"
MODULE = "dockhand.docker.container_exec"


def docker_cli(*args, check=True):
    return subprocess.run(["docker"] + list(args), check=check, capture_output=True, text=True)


def assert_one_clear_line(result, *fragments):
    assert result.get("failed") is True, result
    msg = result["msg"]
    assert "\n" not in msg.strip(), msg
    assert "Traceback" not in json.dumps(result), result
    for fragment in fragments:
        assert fragment in msg, msg


@pytest.fixture(scope="module")
def make_container(engine, test_image):
    created = []

    def make(*run_args, command=("sleep", "1000")):
        name = PREFIX + uuid.uuid4().hex[:10]
        created.append(name)
        docker_cli("run", "-d", "--name", name, *run_args, test_image, *command)
        return name

    yield make
    for name in created:
        docker_cli("rm", "-f", name, check=False)


@pytest.fixture(scope="module")
def box(make_container):
    return make_container()


def run_exec(box, command, **args):
    args.update(container=box, command=command)
    return run_module(MODULE, args)


def test_rc_stdout_and_stderr_are_separate(box):
    run, result = run_exec(box, ["sh", "-c", "echo one; echo two; echo warn >&2"])
    assert run.returncode == 0, run.stdout
    assert result["changed"] is True
    assert result["rc"] == 0
    assert result["stdout"] == "one\ntwo" and result["stdout_lines"] == ["one", "two"]
    assert result["stderr"] == "warn" and result["stderr_lines"] == ["warn"]
    assert result["cmd"] == ["sh", "-c", "echo one; echo two; echo warn >&2"]
    assert result["container"] == box


def test_a_string_is_split_like_a_shell_would(box):
    result = run_exec(box, """sh -c 'printf "%s|" "a b" c'""")[1]
    assert result["cmd"] == ["sh", "-c", 'printf "%s|" "a b" c']
    assert result["stdout"] == "a b|c|"


def test_user_workdir_and_env_are_honoured(box):
    result = run_exec(box, ["sh", "-c", "id -u; id -g; pwd; echo \"$FOO\"; echo $NUM $FLAG; echo \"[$NONE]\""],
                      user="1234:5678", workdir="/tmp",
                      env={"FOO": "bar baz", "NUM": 42, "FLAG": True, "NONE": None})[1]
    assert result["stdout_lines"] == ["1234", "5678", "/tmp", "bar baz", "42 true", "[]"]


def test_chdir_alias_and_named_user(box):
    result = run_exec(box, "sh -c 'pwd; id -un'", chdir="/etc", user="nobody")[1]
    assert result["stdout_lines"] == ["/etc", "nobody"]


def test_container_defaults_without_user_workdir(box):
    result = run_exec(box, "sh -c 'id -u; pwd'")[1]
    assert result["stdout_lines"] == ["0", "/"]


def test_non_zero_exit_fails_with_rc_and_output(box):
    run, result = run_exec(box, ["sh", "-c", "echo partial; echo 'disk full' >&2; exit 3"])
    assert run.returncode != 0
    assert_one_clear_line(result, box, "sh -c", "exited with rc 3", "disk full")
    assert result["rc"] == 3
    assert result["stdout"] == "partial"
    assert result["stderr"] == "disk full"
    assert result["stderr_lines"] == ["disk full"]


def test_fail_on_error_false_returns_the_rc(box):
    run, result = run_exec(box, "sh -c 'exit 7'", fail_on_error=False)
    assert run.returncode == 0
    assert result.get("failed", False) is False
    assert result["rc"] == 7 and result["changed"] is True


def test_missing_program_is_one_line_with_the_engine_reason(box):
    result = run_exec(box, "no-such-program --flag")[1]
    assert_one_clear_line(result, "no-such-program", box, "rc 12", "executable file not found")


def test_stdin_is_sent_and_closed(box):
    result = run_exec(box, "sh -c 'wc -l; echo done >&2'", stdin="a\nb\nc\n")[1]
    assert result["stdout"].strip() == "3"
    assert result["stderr"] == "done"
    result = run_exec(box, ["cat"], stdin="hello\nworld")[1]
    assert result["stdout_lines"] == ["hello", "world"]


def test_large_output_keeps_streams_apart(box):
    result = run_exec(box, ["sh", "-c", "head -c 1000000 /dev/zero | tr '\\0' a; echo; "
                                        "head -c 300000 /dev/zero | tr '\\0' b >&2"])[1]
    assert result["stdout"] == "a" * 1000000
    assert result["stderr"] == "b" * 300000


def test_large_stdin_while_output_flows(box):
    data = "".join("line %d\n" % i for i in range(50000))
    result = run_exec(box, ["cat"], stdin=data)[1]
    assert result["stdout"] == data.rstrip("\n")


def test_command_may_outlast_the_connection_timeout(box):
    result = run_exec(box, "sh -c 'sleep 4; echo finished'", timeout=2)[1]
    assert result["rc"] == 0, result
    assert result["stdout"] == "finished"


def test_strip_empty_ends_false_keeps_trailing_newlines(box):
    result = run_exec(box, "printf 'x\\n\\n'", strip_empty_ends=False)[1]
    assert result["stdout"] == "x\n\n"


def test_check_mode_does_not_run_the_command(box):
    marker = "/tmp/check-mode-" + uuid.uuid4().hex[:6]
    run, result = run_module(MODULE, {"container": box, "command": ["touch", marker]}, extra_args=["--check"])
    assert run.returncode == 0
    assert result["changed"] is False
    assert result["skipped"] is True
    assert "check mode" in result["msg"]
    assert result["cmd"] == ["touch", marker]
    assert "rc" not in result
    assert docker_cli("exec", box, "test", "-e", marker, check=False).returncode == 1


def test_check_mode_still_reports_a_missing_container(engine):
    name = PREFIX + "never-created-" + uuid.uuid4().hex[:6]
    result = run_module(MODULE, {"container": name, "command": "true"}, extra_args=["--check"])[1]
    assert_one_clear_line(result, "container '%s' does not exist" % name)


def test_missing_container_is_one_clear_line(engine):
    name = PREFIX + "never-created-" + uuid.uuid4().hex[:6]
    run, result = run_module(MODULE, {"container": name, "command": "true"})
    assert run.returncode != 0
    assert_one_clear_line(result)
    assert result["msg"] == "container '%s' does not exist" % name


def test_stopped_container_is_one_clear_line(make_container):
    name = make_container(command=["true"])
    docker_cli("wait", name)
    result = run_module(MODULE, {"container": name, "command": "true"})[1]
    assert_one_clear_line(result)
    assert result["msg"] == "container '%s' is not running (state: exited); start it first" % name


def test_paused_container_is_one_clear_line(make_container):
    name = make_container()
    docker_cli("pause", name)
    try:
        result = run_module(MODULE, {"container": name, "command": "true"})[1]
    finally:
        docker_cli("unpause", name)
    assert_one_clear_line(result, "container '%s' is not running (state: paused); unpause it first" % name)


@pytest.mark.parametrize("command,fragment", [
    ("", "command is empty"),
    ([], "command is empty"),
    ({"a": 1}, "must be a string or a list of arguments, not a dict"),
    (["echo", ["nested"]], "every argument must be a string"),
    ("echo 'unbalanced", "cannot be split into arguments"),
])
def test_bad_commands_are_one_line(box, command, fragment):
    run, result = run_exec(box, command)
    assert run.returncode != 0
    assert_one_clear_line(result, fragment)


def test_bad_env_name_is_one_line(box):
    result = run_exec(box, "true", env={"A=B": "x"})[1]
    assert_one_clear_line(result, "env: 'A=B' is not a variable name")


SECRET_ENV = "s3cr3t-value"
SECRET_STDIN = "top-secret-stdin"


@pytest.mark.parametrize("callback", ["default", "ansible.posix.json"])
def test_env_and_stdin_are_shown_nowhere_even_at_vvv(box, tmp_path, callback):
    """The secrets come from variables, as from a vault; the commands prove they arrived by their lengths
    (in {% raw %}: ${#...} would start a Jinja comment)."""
    secrets = {"db_password": SECRET_ENV, "script": SECRET_STDIN}
    args = {"container": box, "env": {"DB_PASSWORD": "{{ db_password }}", "MODE": "1"}, "stdin": "{{ script }}"}
    raw = "{%% raw %%}%s{%% endraw %%}"
    tasks = [
        {"name": "exec with secrets", MODULE: dict(args, command=[
            "sh", "-c", raw % 'read line; echo "lengths ${#DB_PASSWORD} ${#line} mode $MODE"; echo 1 2 3'])},
        {"name": "failing exec with secrets", "ignore_errors": True, MODULE: dict(args, command=[
            "sh", "-c", raw % 'read line; echo "failed after reading ${#line} characters" >&2; exit 4'])},
        {"name": "exec with a bad env name", "ignore_errors": True,
         MODULE: dict(args, command="true", env={"A=B": "{{ db_password }}"})},
    ]
    returncode, output = run_for_output(tasks, tmp_path, secrets, ["-vvv"], callback)
    assert returncode == 0, output[-3000:]
    assert "lengths 12 16 mode 1" in output, output[-3000:]
    assert "1 2 3" in output, "the output of the command is not mangled"
    assert "exited with rc 4: failed after reading 16 characters" in output, output[-3000:]
    assert "env: 'A=B' is not a variable name" in output
    assert "********" in output  # the invocation shows the names, not the values
    assert SECRET_ENV not in output and SECRET_STDIN not in output


def test_invocation_masks_every_env_value_and_stdin(box):
    run, result = run_exec(box, ["sh", "-c", "echo $MODE"], env={"MODE": "1", "TOKEN": "abc"}, stdin="data")
    assert result["stdout"] == "1"
    assert result["invocation"]["module_args"]["env"] == {"MODE": "********", "TOKEN": "********"}
    assert result["invocation"]["module_args"]["stdin"] == "********"
    assert result["invocation"]["module_args"]["container"] == box
