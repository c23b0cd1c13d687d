#!/usr/bin/env bash
# ansible-test sanity for the collection, run on a copy of the working tree laid out as
# ansible_collections/dockhand/docker (ansible-test insists on that layout; a copy outside
# the git checkout makes it list the files itself).
#
# ansible-test bootstraps pip in each of its venvs with a script it downloads from a host
# that is unreachable here; tools/ansible-test-get-pip.py does that job from PyPI's pip wheel.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
venv_bin="$repo/.venv/bin"
site=$("$venv_bin/python" -c 'import ansible_test, os; print(os.path.dirname(ansible_test.__file__))')
pip_version=$(sed -n "s/^ *pip='\([0-9.]*\)',.*/\1/p" "$site/_internal/python_requirements.py" | head -n1)
pip_version=${pip_version:-24.2}
cache="$HOME/.ansible/test/cache"
mkdir -p "$cache"
if ! ls "$cache"/pip-"$pip_version"-*.whl >/dev/null 2>&1; then
  "$venv_bin/pip" download -q --no-deps -d "$cache" "pip==$pip_version"
fi
cp "$repo/tools/ansible-test-get-pip.py" "$cache/get_pip_${pip_version//./_}.py"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dest="$work/ansible_collections/dockhand/docker"
mkdir -p "$dest"
(cd "$repo" && git ls-files -co --exclude-standard -z | tar --null -cf - -T -) | tar -C "$dest" -xf -
cd "$dest"
"$venv_bin/ansible-test" sanity --python "$("$venv_bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" \
  --local --color no "$@"
