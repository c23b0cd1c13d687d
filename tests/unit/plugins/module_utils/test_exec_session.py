"""container_exec's parameters: the env list for the engine, and what the invocation may show."""
import pytest

from ansible_collections.dockhand.docker.plugins.module_utils import exec_session
from ansible_collections.dockhand.docker.plugins.module_utils.errors import InvalidValue


def test_env_values_and_stdin_are_masked_and_names_kept():
    params = {"container": "db", "command": ["psql"], "env": {"DB_PASSWORD": "s3cr3t", "MODE": "1", "NONE": None},
              "stdin": "CREATE ROLE app PASSWORD 'x';", "user": None}
    shown = exec_session.masked_exec_params(params)
    assert shown == {"container": "db", "command": ["psql"], "user": None, "stdin": "********",
                     "env": {"DB_PASSWORD": "********", "MODE": "********", "NONE": "********"}}
    assert params["env"]["DB_PASSWORD"] == "s3cr3t" and params["stdin"].startswith("CREATE"), "params untouched"


@pytest.mark.parametrize("params, shown", [
    ({"env": None, "stdin": None}, {"env": None, "stdin": None}),
    ({"env": "A=secret"}, {"env": "********"}),
    ({"stdin": ""}, {"stdin": "********"}),
    ({}, {}),
    ("not a dict", "not a dict"),
])
def test_masking_takes_any_parameters(params, shown):
    assert exec_session.masked_exec_params(params) == shown


def test_env_becomes_name_value_strings():
    assert exec_session.build_env({"A": "x y", "N": 42, "T": True, "F": False, "E": None}) == [
        "A=x y", "N=42", "T=true", "F=false", "E="]
    assert exec_session.build_env(None) == []


@pytest.mark.parametrize("env, message", [
    ({"A=B": "s3cr3t"}, "env: 'A=B' is not a variable name"),
    ({"": "s3cr3t"}, "env: '' is not a name"),
    ({"A": "s3cr3t\x00"}, "env.A: contains a NUL character"),
])
def test_bad_env_is_one_line_without_the_value(env, message):
    with pytest.raises(InvalidValue) as caught:
        exec_session.build_env(env)
    assert str(caught.value).startswith(message) and "s3cr3t" not in str(caught.value)


def test_stdin_that_is_not_text_is_refused_without_showing_it():
    with pytest.raises(InvalidValue) as caught:
        exec_session.run_in_container(None, "id", "box", ["cat"], stdin="s3cr3t\ud800")
    assert "s3cr3t" not in str(caught.value) and str(caught.value).startswith("stdin is not valid text")
