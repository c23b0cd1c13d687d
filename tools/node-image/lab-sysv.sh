#!/bin/sh
# Init of a lab node that runs WITHOUT systemd (installed as /usr/local/sbin/lab-sysv).
#
# tools/lab.py runs such nodes as `lab-init /usr/bin/tini -- /usr/local/sbin/lab-sysv`:
# lab-init makes /sys, the cgroups and /proc writable, tini is PID 1 (it reaps the
# daemons' orphans and forwards SIGTERM here), and this script
#   1. mounts every cgroup v1 hierarchy of /proc/self/cgroup that has no mount point
#      (Docker mounts only those the host has mounted; with one missing, containerd
#      logs "cannot find cgroup mount destination" and an OOM-killed container shows
#      OOMKilled=false; systemd would have mounted them),
#   2. starts the engine and sshd with the distribution's service scripts, as an operator
#      of a host without systemd would (`service docker start`, `service ssh start`),
#   3. waits until SIGTERM (`docker stop`), then stops the engine cleanly
#      (`service docker stop`) and exits, which ends tini and the node.
# `service docker start|stop|restart|status` work inside the node; `systemctl` does not
# (systemd is installed but not PID 1).

say() { echo "lab-sysv: $*" >&2; }

cgroup_root=/sys/fs/cgroup

# Controller lists ("net_cls,net_prio", "name=foo") of the v1 hierarchies this process is
# in (every hierarchy of the kernel) that no mount of this node shows.
missing_cgroups() {
    awk '
        NR == FNR {  # /proc/self/mountinfo: ... mountpoint options [optional...] - fstype source superoptions
            n = split($0, f, " ")
            for (i = 7; i <= n && f[i] != "-"; i++) ;
            if (f[i + 1] == "cgroup") {
                m = split(f[i + 3], o, ",")
                for (j = 1; j <= m; j++) mounted[o[j]] = 1
            }
            next
        }
        {  # /proc/self/cgroup: hierarchy-id:controllers:path; id 0 is the cgroup v2 entry
            split($0, c, ":")
            if (c[1] == 0 || c[2] == "") next
            split(c[2], s, ",")
            if (!(s[1] in mounted)) print c[2]
        }
    ' /proc/self/mountinfo /proc/self/cgroup
}

mount_missing_cgroups() {
    for set in $(missing_cgroups); do
        dir=$(echo "$set" | sed 's/name=//g')  # name=foo -> foo, as systemd names it
        case "$set" in
            name=*) options="none,$set" ;;  # a named hierarchy without controllers
            *) options=$set ;;
        esac
        mkdir -p "$cgroup_root/$dir"
        if mount -t cgroup -o "$options" cgroup "$cgroup_root/$dir"; then
            say "mounted cgroup hierarchy $set on $cgroup_root/$dir"
        else
            say "cannot mount cgroup hierarchy $set"
            rmdir "$cgroup_root/$dir" 2>/dev/null
            continue
        fi
        case "$set" in
            *,*)  # cpu,cpuacct: cpu and cpuacct link to it, as systemd does
                for controller in $(echo "$dir" | tr ',' ' '); do
                    [ -e "$cgroup_root/$controller" ] || ln -s "$dir" "$cgroup_root/$controller"
                done ;;
        esac
    done
}

waiter=
stop() {
    trap - TERM INT
    say "stopping the Docker engine"
    service docker stop || say "service docker stop failed"
    [ -z "$waiter" ] || kill "$waiter" 2>/dev/null
    exit 0
}
trap stop TERM INT

mount_missing_cgroups
service docker start || say "service docker start failed (see /var/log/docker.log)"
service ssh start || say "service ssh start failed"

# Wait forever, interruptibly: a trap runs only between commands, so wait on a child.
sleep infinity &
waiter=$!
wait "$waiter"
