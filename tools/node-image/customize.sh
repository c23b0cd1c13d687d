#!/bin/sh
# mmdebstrap --customize-hook of the lab node image.
#   $1 = root of the new image, $2 = this recipe folder (tools/node-image).
# Runs on the build host after all packages are installed.
set -eu
root=$1
recipe=$2

# The entrypoint (see lab-init.sh), the init of nodes without systemd (see
# lab-sysv.sh) and the files of rootfs/ (drop-ins, config).
install -m 0755 "$recipe/lab-init.sh" "$root/usr/local/sbin/lab-init"
install -m 0755 "$recipe/lab-sysv.sh" "$root/usr/local/sbin/lab-sysv"
if [ -d "$recipe/rootfs" ]; then
    (cd "$recipe/rootfs" && find . -type f) | while read -r f; do
        install -D -m 0644 "$recipe/rootfs/$f" "$root/$f"
    done
fi

# Nothing in a node reaches for the network: no apt sources (the build used the
# host's mirror), no periodic apt runs, no time synchronisation.
rm -f "$root/etc/apt/sources.list"
find "$root/etc/apt/sources.list.d" -mindepth 1 -delete
rm -rf "$root"/var/lib/apt/lists/*
for unit in apt-daily.timer apt-daily-upgrade.timer apt-daily.service apt-daily-upgrade.service \
            systemd-timesyncd.service e2scrub_all.timer e2scrub_reap.service fstrim.timer \
            getty@tty1.service console-getty.service; do
    ln -sf /dev/null "$root/etc/systemd/system/$unit"
done

# Debian's /etc/init.d/docker (used only when a node runs without systemd):
# its `ulimit -n 1048576` and `ulimit -p unlimited` (-u under bash) fail under the
# machine's hard limits (no CAP_SYS_RESOURCE: raise them to the hard limit only);
# its cgroupfs_mount tries to mount every controller of /proc/cgroups that has no
# mount, which a node may not do (new hierarchies need the host's cgroup namespace)
# and which only printed "permission denied" on every start (lab-sysv mounts the
# hierarchies that exist); `--retry 10` kills dockerd while it still stops
# containers: allow a clean stop instead.
if [ -f "$root/etc/init.d/docker" ]; then
    sed -i -e 's/ulimit -n 1048576/ulimit -n "$(ulimit -Hn)"/' \
           -e 's/ulimit -p unlimited/ulimit -p "$(ulimit -Hp)"/' \
           -e 's/ulimit -u unlimited/ulimit -u "$(ulimit -Hu)"/' \
           -e 's|\(mount -n -t cgroup -o \$sys cgroup \$sys\);|\1 2>/dev/null;|' \
           -e 's|--retry 10|--retry TERM/30/KILL/5|' "$root/etc/init.d/docker"
    for pattern in 'ulimit -n "$(ulimit -Hn)"' 'ulimit -p "$(ulimit -Hp)"' 'cgroup $sys 2>/dev/null;' \
                   '--retry TERM/30/KILL/5'; do
        grep -qF -- "$pattern" "$root/etc/init.d/docker" ||
            { echo "customize.sh: /etc/init.d/docker changed, cannot patch: $pattern" >&2; exit 1; }
    done
fi

# The engine must start at boot.
for unit in docker.service containerd.service; do
    [ -e "$root/etc/systemd/system/multi-user.target.wants/$unit" ] ||
        ln -s "/lib/systemd/system/$unit" "$root/etc/systemd/system/multi-user.target.wants/$unit"
done
[ -e "$root/etc/systemd/system/sockets.target.wants/docker.socket" ] ||
    ln -s /lib/systemd/system/docker.socket "$root/etc/systemd/system/sockets.target.wants/docker.socket"

# sshd: every node makes its own host keys at boot (lab-init), so none ship in the image;
# root logs in with the lab's key only (tools/lab.py installs it); no DNS lookups of clients.
rm -f "$root"/etc/ssh/ssh_host_*
mkdir -p "$root/etc/ssh/sshd_config.d"
cat > "$root/etc/ssh/sshd_config.d/lab.conf" <<'CONF'
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UseDNS no
CONF
[ -L "$root/etc/systemd/system/multi-user.target.wants/ssh.service" ] ||  # the package enables it
    ln -s /lib/systemd/system/ssh.service "$root/etc/systemd/system/multi-user.target.wants/ssh.service"

# Every node gets its own machine id at boot.
: > "$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id"
