"""meta/runtime.yml's action group names every module, so module_defaults for the group reach them all."""
import os

import yaml

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


def test_the_action_group_has_every_module():
    with open(os.path.join(ROOT, "meta", "runtime.yml")) as handle:
        group = yaml.safe_load(handle)["action_groups"]["docker"]
    modules = sorted(name[:-3] for name in os.listdir(os.path.join(ROOT, "plugins", "modules"))
                     if name.endswith(".py") and not name.startswith("_"))
    assert sorted(group) == modules
