#!/bin/sh
# Entrypoint of the lab node image (installed as /usr/local/sbin/lab-init).
#
# Nodes run without --privileged (it cannot work on the test machines), with
# --cap-add ALL --cap-drop SYS_RESOURCE and seccomp/apparmor unconfined instead.
# Docker then still mounts /sys, the cgroup hierarchies and some /proc paths
# read-only and masks others. systemd and the Docker engine inside the node need
# them writable, so undo that here, then exec the command (systemd by default).
#
# Works both as `ENTRYPOINT` with the image's CMD and when a driver (molecule's
# docker driver with override_command) passes the command as arguments.

say() { echo "lab-init: $*" >&2; }

is_ro() { # is_ro MOUNTPOINT: the mount's own options include ro
    awk -v mp="$1" '$5 == mp { split($6, o, ","); ro = 0; for (i in o) if (o[i] == "ro") ro = 1 } END { exit !ro }' /proc/self/mountinfo
}

make_rw() {
    is_ro "$1" || return 0
    mount -o remount,bind,rw "$1" 2>/dev/null
    is_ro "$1" || return 0
    mount -o remount,rw "$1" 2>/dev/null
    is_ro "$1" && say "cannot make $1 writable"
    return 0
}

make_rw /sys

# Mount point and file system type of every mount, read before changing any.
# Fields of mountinfo: 5 = mount point, then optional fields up to "-", then fstype.
mounts=$(awk '{ for (i = 7; $i != "-"; i++) ; print $5, $(i + 1) }' /proc/self/mountinfo)

echo "$mounts" | while read -r mp fstype; do
    case "$mp" in
        /proc/*)
            # Read-only /proc paths are bind mounts of proc itself; masked paths
            # are /dev/null or an empty tmpfs mounted over the real entry.
            if [ "$fstype" = proc ]; then make_rw "$mp"; else umount "$mp" 2>/dev/null || say "cannot unmount $mp"; fi ;;
        /sys/firmware)
            umount "$mp" 2>/dev/null || say "cannot unmount $mp" ;;
        /sys/fs/cgroup | /sys/fs/cgroup/*)
            make_rw "$mp" ;;
    esac
done

# Mounts made inside the node (by the node's engine) must propagate.
mount --make-rshared / || say "cannot make / rshared"

# The host key of this node, made once (the image has none: two nodes never share one; sshd
# uses this ed25519 key alone, see sshd_config.d/lab.conf).
[ -e /etc/ssh/ssh_host_ed25519_key ] ||
    ssh-keygen -q -t ed25519 -N '' -C "$(hostname)" -f /etc/ssh/ssh_host_ed25519_key ||
    say "cannot make the ssh host key"

[ "$#" -gt 0 ] || set -- /lib/systemd/systemd
exec "$@"
