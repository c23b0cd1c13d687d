# Shared by scripts/test and scripts/demo: install what the project needs on a fresh machine
# (Debian packages, the pinned venv) and time each stage. Source it; it changes nothing by itself.

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="$REPO_ROOT/.venv"
export PATH="$VENV/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$REPO_ROOT/.build/collections"
export ANSIBLE_NOCOLOR=1 PY_COLORS=0

# Debian packages: the engine, the registry, the busybox that test images are made of,
# mmdebstrap for the lab node image, htpasswd for the auth registry, openssl for test certificates.
DEBIAN_PACKAGES=(docker.io docker-registry busybox-static mmdebstrap apache2-utils openssl python3-venv git socat dpkg-dev openssh-client)

stage_start=0
stage_name=""
STAGE_TIMES=()

stage() {
  stage_end
  stage_name=$1
  stage_start=$EPOCHREALTIME
  printf '\n=== %s\n' "$stage_name"
}

stage_end() {
  if [ -n "$stage_name" ]; then
    local took
    took=$(awk -v a="$stage_start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
    printf '=== %s: %s s\n' "$stage_name" "$took"
    STAGE_TIMES+=("$(printf '%-12s %7s s' "$stage_name" "$took")")
    stage_name=""
  fi
}

print_stage_times() {
  stage_end
  printf '\nTimings:\n'
  printf '  %s\n' "${STAGE_TIMES[@]}"
}

ensure_debian_packages() {
  local missing=()
  for pkg in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "Debian packages present"
  fi
}

ensure_venv() {
  # Rebuilt whenever the pinned requirements or the Python change.
  local want have=""
  want=$( (python3 --version; cat "$REPO_ROOT/requirements-test.txt") | sha256sum | cut -d' ' -f1)
  [ -f "$VENV/.requirements.sha256" ] && have=$(cat "$VENV/.requirements.sha256")
  if [ "$want" != "$have" ] || [ ! -x "$VENV/bin/ansible-playbook" ]; then
    echo "creating $VENV"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check --upgrade pip
    "$VENV/bin/pip" install -q --disable-pip-version-check -r "$REPO_ROOT/requirements-test.txt"
    echo "$want" > "$VENV/.requirements.sha256"
  else
    echo "venv up to date"
  fi
  link_collection
}

link_collection() {
  # The repository root is the collection; Ansible finds it through this link.
  local link="$REPO_ROOT/.build/collections/ansible_collections/dockhand/docker"
  mkdir -p "$(dirname "$link")"
  ln -sfn "$REPO_ROOT" "$link"
}

lab() {
  python3 "$REPO_ROOT/tools/lab.py" "$@"
}
