"""Benchmark: many containers on one Docker engine, three implementations side by side.

    python3 bench/containers.py [--count N] [--only dockhand,community,sdk] [--quick-peer-remove]

Implementations (each with its own container name prefix, so they never touch each other):

  dockhand   dockhand.docker.container, many-containers form: ONE task per step (ansible-playbook)
  community  community.docker.docker_container in a `loop:` over the containers, one task per step
             (ansible-playbook) - the way operators use it
  sdk        plain sequential Python with the Docker SDK (docker.from_env().api), in this process:
             the floor of the simple approach

Steps: create (and start), recheck (nothing to change), update memory (64m -> 96m), remove
(stop_timeout 10 against a process that ignores SIGTERM). Ansible steps are timed as the wall
clock of the whole ansible-playbook process, start-up included. Prints a table and writes the same
as JSON to bench/results/containers-<timestamp>.json. See bench/README.md.
"""

import argparse
import collections
import io
import json
import sys
import tempfile
import time

import harness  # first: importing it hands the process over to the venv's python, which has the SDK

# isort: split
import docker.errors
from harness import BENCH_DIR, REPO_ROOT, log

CALLBACK_DIR = BENCH_DIR / "callback_plugins"
DOCKHAND_MODULE = REPO_ROOT / "plugins" / "modules" / "container.py"

IMAGE = "dockhand-bench/busybox:latest"
COMMAND = ["sh", "-c", "trap '' TERM; while true; do sleep 1; done"]
MIB = 1024 * 1024
MEMORY, MEMORY_BYTES = "64m", 64 * MIB
MEMORY_UPDATED, MEMORY_UPDATED_BYTES = "96m", 96 * MIB
CPUS, NANO_CPUS = 0.25, 250_000_000
STOP_TIMEOUT = 10
DOCKHAND_REMOVE_PARALLEL = 20

IMPLS = ("dockhand", "community", "sdk")
LABELS = {"dockhand": "dockhand", "community": "community.docker", "sdk": "raw SDK"}
PREFIXES = {"dockhand": "bench-dh-", "community": "bench-cd-", "sdk": "bench-sdk-"}
ALIASES = {
    "dockhand": "dockhand", "dh": "dockhand",
    "community": "community", "community.docker": "community", "cd": "community",
    "sdk": "sdk", "raw": "sdk",
}
STEPS = ("create", "recheck", "update_memory", "remove")
STEP_LABELS = {"create": "create", "recheck": "recheck", "update_memory": "update memory", "remove": "remove"}


# ---------------------------------------------------------------- image, leftovers


def ensure_image(api):
    harness.ensure_base_image(api)
    dockerfile = (BENCH_DIR / "Dockerfile").read_bytes()
    # A Dockerfile alone is the whole build context; nothing is pulled (the base image is local).
    for chunk in api.build(fileobj=io.BytesIO(dockerfile), tag=IMAGE, rm=True, pull=False, decode=True):
        if "error" in chunk:
            raise RuntimeError("building %s failed: %s" % (IMAGE, chunk["error"]))
    return api.inspect_image(IMAGE)["Id"]


def probe_ignores_term(api):
    """Start one container with the workload's command, send it SIGTERM, check it keeps running."""
    name = "bench-probe-term"
    force_remove(api, [name])
    cid = api.create_container(IMAGE, command=COMMAND, name=name)["Id"]
    try:
        api.start(cid)
        time.sleep(1)
        api.kill(cid, signal="TERM")
        time.sleep(2)
        return bool(api.inspect_container(cid)["State"]["Running"])
    finally:
        api.remove_container(cid, force=True)


def containers_with_prefix(api, prefix):
    found = []
    for c in api.containers(all=True, filters={"name": prefix}):
        if any(n.lstrip("/").startswith(prefix) for n in c.get("Names") or ()):
            found.append(c["Id"])
    return found


def force_remove(api, containers):
    """docker rm -f of each of ``containers`` (names or IDs) that exists."""
    for container in containers:
        try:
            api.remove_container(container, force=True)
        except docker.errors.NotFound:
            pass


def force_remove_prefix(api, prefix):
    ids = containers_with_prefix(api, prefix)
    force_remove(api, ids)
    return len(ids)


def inspect_or_none(api, name):
    try:
        return api.inspect_container(name)
    except docker.errors.NotFound:
        return None


def inspect_all(api, names):
    """name -> the facts the checks need, or None when the container does not exist."""
    out = {}
    for name in names:
        info = inspect_or_none(api, name)
        if info is None:
            out[name] = None
            continue
        out[name] = {
            "id": info["Id"],
            "running": info["State"]["Running"],
            "image": info["Config"]["Image"],
            "image_id": info["Image"],
            "cmd": info["Config"]["Cmd"],
            "memory": info["HostConfig"]["Memory"],
            "memory_swap": info["HostConfig"]["MemorySwap"],
            "nano_cpus": info["HostConfig"]["NanoCpus"],
        }
    return out


# ---------------------------------------------------------------- raw SDK implementation


def sdk_each(names, handle):
    """handle(api, name, inspection or None when it does not exist) for each container, one after the
    other, on a new client (making it is part of the SDK's time); returns {action handle returned: count}."""
    api = harness.engine_client()
    actions = collections.Counter()
    try:
        for name in names:
            actions[handle(api, name, inspect_or_none(api, name))] += 1
    finally:
        api.close()
    return dict(actions)


def sdk_create_started(api, name, memory_bytes):
    host_config = api.create_host_config(mem_limit=memory_bytes, nano_cpus=NANO_CPUS)
    cid = api.create_container(IMAGE, command=COMMAND, name=name, host_config=host_config)["Id"]
    api.start(cid)


def sdk_converge(names, memory_bytes):
    """Idempotent 'started with this config' for each container, one after the other."""

    def converge(api, name, info):
        if info is None:
            sdk_create_started(api, name, memory_bytes)
            return "created"
        host = info["HostConfig"]
        # SDK 7.1's update_container cannot change NanoCpus: a different CPU limit means recreate.
        if info["Config"]["Image"] != IMAGE or info["Config"]["Cmd"] != COMMAND or host["NanoCpus"] != NANO_CPUS:
            api.remove_container(info["Id"], force=True)
            sdk_create_started(api, name, memory_bytes)
            return "recreated"
        action = "unchanged"
        if host["Memory"] != memory_bytes:
            api.update_container(info["Id"], mem_limit=memory_bytes)
            action = "updated"
        if not info["State"]["Running"]:
            api.start(info["Id"])
            action = "started" if action == "unchanged" else action
        return action

    return sdk_each(names, converge)


def sdk_remove(names):
    """Stop (waiting stop_timeout) and remove each container, one after the other."""

    def remove(api, name, info):
        if info is None:
            return "unchanged"
        if info["State"]["Running"]:
            api.stop(info["Id"], timeout=STOP_TIMEOUT)
        api.remove_container(info["Id"])
        return "removed"

    return sdk_each(names, remove)


# ---------------------------------------------------------------- Ansible implementations


class RecordedAnsible(harness.Ansible):
    """One-task playbooks whose task result the bench_record callback writes to a JSON file; the
    screen output stays the default one."""

    def __init__(self, workdir):
        super().__init__(workdir, ANSIBLE_CALLBACK_PLUGINS=str(CALLBACK_DIR), ANSIBLE_CALLBACKS_ENABLED="bench_record")

    def run(self, task):
        """Run a play with this one task; return (seconds, record of the task or None, rc, output)."""
        play = [{"name": "bench", "hosts": "localhost", "connection": "local", "gather_facts": False,
                 "tasks": [task]}]
        playbook = self.write_playbook(play)
        record_file = self.workdir / ("record-%02d.json" % self.runs)  # numbered like its playbook
        env = dict(self.env, BENCH_RECORD_FILE=str(record_file))
        seconds, proc = self.run_playbook(playbook, env=env, merge_stderr=True)
        record = None
        if record_file.exists():
            tasks = json.loads(record_file.read_text())["tasks"]
            record = tasks[-1] if tasks else None
        return seconds, record, proc.returncode, proc.stdout


def spec(memory):
    return {"image": IMAGE, "command": COMMAND, "memory": memory, "cpus": CPUS, "state": "started"}


def dockhand_task(step, names):
    if step == "remove":
        params = {"state": "absent", "stop_timeout": STOP_TIMEOUT, "parallel": DOCKHAND_REMOVE_PARALLEL}
    else:
        params = spec(MEMORY_UPDATED if step == "update_memory" else MEMORY)
    params["containers"] = [{"name": n} for n in names]
    return {"name": "dockhand %s" % step, "dockhand.docker.container": params}


def community_task(step, names):
    if step == "remove":
        params = {"name": "{{ item }}", "state": "absent", "stop_timeout": STOP_TIMEOUT}
    else:
        params = dict(spec(MEMORY_UPDATED if step == "update_memory" else MEMORY), name="{{ item }}")
    return {"name": "community.docker %s" % step, "community.docker.docker_container": params, "loop": names}


def summarize_record(impl, record):
    """changed flag and per-container action counts out of what the callback recorded."""
    if record is None:
        return None, {}
    res = record["result"]
    actions = collections.Counter()
    if impl == "dockhand":
        for c in res.get("containers") or ():
            actions[c.get("action", "?") if isinstance(c, dict) else "?"] += 1
    else:
        for item in res.get("results") or ():
            actions["item_changed" if item.get("changed") else "item_ok"] += 1
    return bool(res.get("changed")), dict(actions)


# ---------------------------------------------------------------- one implementation, all steps


def expected_state(step):
    if step == "remove":
        return None
    return MEMORY_UPDATED_BYTES if step == "update_memory" else MEMORY_BYTES


def check_state(api, names, step, image_id):
    """What is wrong with the engine's containers after a step (list of strings)."""
    state = inspect_all(api, names)
    memory = expected_state(step)
    wrong = []
    for name, info in state.items():
        if memory is None:
            if info is not None:
                wrong.append("%s still exists" % name)
            continue
        if info is None:
            wrong.append("%s missing" % name)
            continue
        if not info["running"]:
            wrong.append("%s not running" % name)
        if info["memory"] != memory:
            wrong.append("%s memory %s, want %s" % (name, info["memory"], memory))
        if info["nano_cpus"] != NANO_CPUS:
            wrong.append("%s NanoCpus %s, want %s" % (name, info["nano_cpus"], NANO_CPUS))
        if info["image_id"] != image_id:
            wrong.append("%s runs image %s, want %s" % (name, info["image_id"][:19], image_id[:19]))
        if info["cmd"] != COMMAND:
            wrong.append("%s command %r" % (name, info["cmd"]))
    return state, wrong


def run_impl(impl, api, names, ansible, args, image_id, problems):
    label = LABELS[impl]
    results = {}
    ids_before = None
    failed = False

    def problem(step, text):
        msg = "%s %s: %s" % (label, STEP_LABELS[step], text)
        problems.append(msg)
        results[step].setdefault("problems", []).append(text)
        log("PROBLEM " + msg)

    for step in STEPS:
        entry = results[step] = {"seconds": None, "status": "ok"}
        if failed:
            entry["status"] = "skipped"
            entry["note"] = "an earlier step failed"
            continue
        if step == "remove" and impl != "dockhand" and args.quick_peer_remove:
            force_remove_prefix(api, PREFIXES[impl])
            entry["status"] = "not measured"
            entry["note"] = "--quick-peer-remove: removed with docker rm -f instead"
            continue

        log("%s: %s (%d containers)" % (label, STEP_LABELS[step], len(names)))
        if impl == "sdk":
            start = time.monotonic()
            try:
                if step == "remove":
                    actions = sdk_remove(names)
                else:
                    actions = sdk_converge(names, expected_state(step))
            except Exception as exc:  # reported as the step's failure, like a failed Ansible task
                entry["seconds"] = round(time.monotonic() - start, 3)
                entry["status"] = "failed"
                problem(step, "SDK error: %s" % exc)
                failed = True
                continue
            entry["seconds"] = round(time.monotonic() - start, 3)
            changed = any(a != "unchanged" for a in actions)
        else:
            task = dockhand_task(step, names) if impl == "dockhand" else community_task(step, names)
            seconds, record, rc, output = ansible.run(task)
            entry["seconds"] = round(seconds, 3)
            changed, actions = summarize_record(impl, record)
            if rc != 0 or record is None or record["status"] != "ok":
                entry["status"] = "failed"
                entry["output_tail"] = output.splitlines()[-25:]
                res = (record or {}).get("result", {})
                item_msgs = [i.get("msg") for i in res.get("results") or () if i.get("failed") and i.get("msg")]
                detail = "; ".join(filter(None, [res.get("msg")] + item_msgs[:1])) or "ansible-playbook rc=%s" % rc
                problem(step, "task failed: %s" % detail)
                failed = True
                continue
        entry["changed"] = changed
        entry["actions"] = actions
        took = "%s: %s took %.2f s" % (label, STEP_LABELS[step], entry["seconds"] or 0.0)
        log("%s, changed=%s, actions=%s" % (took, changed, actions))

        state, wrong = check_state(api, names, step, image_id)
        if wrong:
            more = " (+%d more)" % (len(wrong) - 5) if len(wrong) > 5 else ""
            problem(step, "engine state after the step: %s%s" % ("; ".join(wrong[:5]), more))
            if step == "create":
                failed = True
        if step == "create":
            if not changed:
                problem(step, "reported changed=false, expected true")
        elif step == "recheck":
            if changed:
                problem(step, "reported changed=true, expected false (actions: %s)" % actions)
            if ids_before and any(state[n] and state[n]["id"] != ids_before.get(n) for n in names):
                problem(step, "container IDs changed although nothing was to change")
        elif step == "update_memory":
            if not changed:
                problem(step, "reported changed=false, expected true")
            ids_changed = sorted(n for n in names if state[n] and ids_before and state[n]["id"] != ids_before.get(n))
            entry["ids_changed"] = len(ids_changed)
            entry["in_place"] = not ids_changed
            entry["memory_swap_after"] = sorted({s["memory_swap"] for s in state.values() if s})
            if ids_changed and impl == "dockhand":
                problem(step, "%d container IDs changed (expected an in-place update)" % len(ids_changed))
        elif step == "remove" and not changed:
            problem(step, "reported changed=false, expected true")
        if step != "remove":
            ids_before = {n: s["id"] for n, s in state.items() if s}

    leftover = force_remove_prefix(api, PREFIXES[impl])
    if leftover and not failed:
        log("%s: removed %d leftover containers" % (label, leftover))
    return results


# ---------------------------------------------------------------- report


def fmt_seconds(entry):
    if entry is None:
        return "-"
    if entry["seconds"] is None:
        return entry["status"]
    text = "%.2f s" % entry["seconds"]
    return text if entry["status"] == "ok" else "%s (%s)" % (text, entry["status"])


def measured(results, impl, step):
    entry = results.get(impl, {}).get(step)
    if entry and entry["status"] == "ok" and entry["seconds"] is not None:
        return entry["seconds"]
    return None


def ratios(results):
    out = {}
    for step in STEPS:
        dh, cd, sdk = (measured(results, i, step) for i in IMPLS)
        out[step] = {
            "community_over_dockhand": harness.ratio(cd, dh),
            "dockhand_minus_sdk": harness.difference(dh, sdk),
        }
    return out


def print_report(meta, results, rat, impls):
    print()
    print("Docker engine %s (API %s), nproc %s, %d containers per implementation"
          % (meta["engine_version"], meta["engine_api_version"], meta["nproc"], meta["count"]))
    print("ansible-core %s, community.docker %s, docker SDK %s, Python %s"
          % (meta["ansible_core"], meta["community_docker"], meta["docker_sdk"], meta["python"]))
    if meta.get("ansible_floor_seconds") is not None:
        print("ansible-playbook floor (one ansible.builtin.ping task): %.2f s" % meta["ansible_floor_seconds"])
    print()
    cols = [LABELS[i] for i in impls] + ["community/dockhand", "dockhand - SDK"]
    widths = [max(16, len(c) + 2) for c in cols]
    print("%-14s" % "step" + "".join(c.rjust(w) for c, w in zip(cols, widths)))
    for step in STEPS:
        cells = [fmt_seconds(results.get(i, {}).get(step)) for i in impls]
        r = rat[step]
        cells.append(harness.cell(r["community_over_dockhand"], "%.2fx"))
        cells.append(harness.cell(r["dockhand_minus_sdk"], "%+.2f s"))
        print("%-14s" % STEP_LABELS[step] + "".join(c.rjust(w) for c, w in zip(cells, widths)))
    print()
    for impl in impls:
        parts = []
        for step in STEPS:
            entry = results[impl][step]
            if "actions" in entry:
                parts.append("%s: changed=%s %s" % (STEP_LABELS[step], entry.get("changed"),
                                                    " ".join("%s=%d" % kv for kv in sorted(entry["actions"].items()))))
        print("%s: %s" % (LABELS[impl], "; ".join(parts) or "no step ran"))
        upd = results[impl]["update_memory"]
        if "ids_changed" in upd:
            print("  update memory: %s (container IDs changed: %d of %d; MemorySwap after: %s)"
                  % ("in place" if upd["in_place"] else "RECREATED", upd["ids_changed"], meta["count"],
                     ", ".join(str(v) for v in upd["memory_swap_after"])))


# ---------------------------------------------------------------- main


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--count", type=int, default=20, help="containers per implementation (default 20)")
    p.add_argument("--only", default=",".join(IMPLS),
                   help="comma-separated subset of: dockhand, community, sdk (default: all three)")
    p.add_argument("--quick-peer-remove", action="store_true",
                   help="do not time the remove step of community.docker and the raw SDK "
                        "(each waits stop_timeout per container, ~count x 10 s); remove with docker rm -f instead")
    args = p.parse_args(argv)
    if args.count < 1:
        p.error("--count must be at least 1")
    impls = set()
    for word in args.only.split(","):
        word = word.strip().lower()
        if word:
            if word not in ALIASES:
                p.error("--only: unknown implementation %r (use dockhand, community, sdk)" % word)
            impls.add(ALIASES[word])
    args.impls = [i for i in IMPLS if i in impls]
    if not args.impls:
        p.error("--only selects nothing")
    return args


def main(argv=None):
    args = parse_args(argv)
    api = harness.ensure_engine()
    meta = harness.versions(api)
    meta["engine_ncpu"] = api.info().get("NCPU")
    meta["count"] = args.count
    meta["options"] = {"only": args.impls, "quick_peer_remove": args.quick_peer_remove,
                       "dockhand_remove_parallel": DOCKHAND_REMOVE_PARALLEL, "stop_timeout": STOP_TIMEOUT,
                       "memory": MEMORY, "memory_updated": MEMORY_UPDATED, "cpus": CPUS, "image": IMAGE,
                       "command": COMMAND}
    problems = []

    for impl in IMPLS:  # leftovers of any earlier run, whichever implementations run now
        n = force_remove_prefix(api, PREFIXES[impl])
        if n:
            log("removed %d leftover %s* containers" % (n, PREFIXES[impl]))

    log("building %s from bench/Dockerfile" % IMAGE)
    image_id = ensure_image(api)
    meta["image_id"] = image_id
    ignores = probe_ignores_term(api)
    meta["workload_ignores_sigterm"] = ignores
    log("workload process ignores SIGTERM: %s" % ignores)
    if not ignores:
        problems.append("the workload's process stopped on SIGTERM; remove timings would be meaningless")

    impls = list(args.impls)
    if "dockhand" in impls and not DOCKHAND_MODULE.exists():
        problems.append("dockhand.docker.container is not there yet (%s missing); dockhand not measured"
                        % DOCKHAND_MODULE.relative_to(REPO_ROOT))
        log(problems[-1])
        impls.remove("dockhand")

    results = {}
    with tempfile.TemporaryDirectory(prefix="dockhand-bench-") as workdir:
        ansible = RecordedAnsible(workdir)
        try:
            if any(i in impls for i in ("dockhand", "community")):
                # First run warms Python's caches; the second is the floor every Ansible step pays.
                floor = None
                for _attempt in range(2):
                    floor, record, rc, output = ansible.run({"name": "floor", "ansible.builtin.ping": {}})
                    if rc != 0:
                        raise SystemExit("ansible-playbook does not work here:\n%s" % output)
                meta["ansible_floor_seconds"] = round(floor, 3)
            for impl in impls:
                names = ["%s%d" % (PREFIXES[impl], i) for i in range(1, args.count + 1)]
                results[impl] = run_impl(impl, api, names, ansible, args, image_id, problems)
        finally:
            for impl in IMPLS:
                force_remove_prefix(api, PREFIXES[impl])

    for impl in args.impls:
        results.setdefault(impl, {s: {"seconds": None, "status": "not run"} for s in STEPS})
    rat = ratios(results)
    print_report(meta, results, rat, args.impls)

    return harness.finish("containers", meta, problems, results=results, ratios=rat)


if __name__ == "__main__":
    sys.exit(main())
