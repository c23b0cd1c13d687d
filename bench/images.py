"""Benchmark: building and pushing images on one Docker engine, measured side by side in one run.

    python3 bench/images.py [--repeat N] [--no-community]

Two measurements, on the local engine and the plain loopback registry (127.0.0.1:5000); nothing
is pulled and nothing is pushed anywhere else:

  idle re-run  the dockhand.docker.images role building and pushing 5 small images when nothing
               changed (after a first run that built and pushed them), next to `ansible localhost
               -m ansible.builtin.ping` and a playbook with one ping task on the same host; also a
               plain loop of dockhand.docker.image and community.docker.docker_image (source: build,
               push: true) in a loop over the same 5 contexts, as a peer
  build cost   one context built without cache: dockhand.docker.image (rebuild: always, build.nocache)
               in ansible-playbook, `docker build --no-cache` with the legacy builder, and the Docker
               SDK's APIClient.build(nocache=True)

Every figure is the median of --repeat runs (default 3), the kinds interleaved. Ansible runs are
timed as the wall clock of the whole process, start-up included. Prints a table and writes the same
as JSON to bench/results/images-<timestamp>.json. See bench/README.md.
"""

import argparse
import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import harness  # first: importing it hands the process over to the venv's python, which has the SDK

# isort: split
import docker.errors
from harness import BASE_IMAGE, LAB, REPO_ROOT, cell, difference, log, ratio

ENGINE_LOG = REPO_ROOT / ".lab" / "dockerd.log"
REGISTRY = "127.0.0.1:5000"
COUNT = 5
TAG = "1"
DOCKHAND_REPO = "dockhand-bench/img-%d"
COMMUNITY_REPO = "dockhand-bench/cd-img-%d"
BUILD_COST_REPO = "dockhand-bench/build-cost"
BENCH_LABEL = "dockhand.bench=images"
TARGET_RERUN_OVER_PING = 2.0
TARGET_BUILD_RATIO = 1.2
MANIFEST_ACCEPT = ", ".join([
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.index.v1+json",
])

IMAGE_DOCKERFILE = """\
FROM {base}
LABEL {label}
COPY data.txt /srv/data-{n}.txt
CMD ["cat", "/srv/data-{n}.txt"]
"""

# The build-cost context: two RUN steps (each a container the builder starts and commits) and a
# COPY of 40 small files, about 400 KiB of context.
BUILD_DOCKERFILE = """\
FROM {base}
LABEL {label}
RUN mkdir -p /srv/app && dd if=/dev/urandom of=/srv/app/blob bs=1024 count=2048 2>/dev/null
COPY src/ /srv/app/src/
RUN find /srv/app -type f | wc -l > /srv/app/count && sha256sum /srv/app/blob > /srv/app/blob.sha256
CMD ["cat", "/srv/app/count"]
"""

IDLE_ROWS = ("adhoc_ping", "playbook_ping", "dockhand_role", "dockhand_loop", "community_loop", "module_code")
IDLE_LABELS = {
    "adhoc_ping": "ansible localhost -m ping",
    "playbook_ping": "ansible-playbook, one ping task",
    "dockhand_role": "dockhand.docker.images role",
    "dockhand_loop": "dockhand.docker.image loop",
    "community_loop": "community.docker.docker_image loop",
    "module_code": "dockhand module code, in-process",
}
BUILD_ROWS = ("cli", "sdk", "module_run", "module_task", "module_code")
BUILD_LABELS = {
    "cli": "docker build --no-cache (DOCKER_BUILDKIT=0)",
    "sdk": "raw SDK APIClient.build(nocache=True)",
    "module_run": "dockhand.docker.image, whole ansible-playbook",
    "module_task": "dockhand.docker.image, task duration",
    "module_code": "dockhand module code, in-process",
}


# ---------------------------------------------------------------- registry, images


def registry_request(method, path):
    """(HTTP status, Docker-Content-Digest) of one request to the plain registry; status None if it does not answer."""
    request = urllib.request.Request("http://%s%s" % (REGISTRY, path), method=method,
                                     headers={"Accept": MANIFEST_ACCEPT})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers.get("Docker-Content-Digest")
    except urllib.error.HTTPError as exc:
        return exc.code, None
    except (urllib.error.URLError, OSError):
        return None, None


def ensure_registry():
    if registry_request("GET", "/v2/")[0] != 200:
        log("registry %s not answering; starting the registries with tools/lab.py registry up" % REGISTRY)
        subprocess.run([sys.executable, str(LAB), "registry", "up"], check=True)
        if registry_request("GET", "/v2/")[0] != 200:
            raise SystemExit("registry %s does not answer after tools/lab.py registry up" % REGISTRY)


def registry_digest(repository, tag):
    status, digest = registry_request("HEAD", "/v2/%s/manifests/%s" % (repository, tag))
    return digest if status == 200 else None


def delete_from_registry(repository, tag):
    digest = registry_digest(repository, tag)
    if digest:
        registry_request("DELETE", "/v2/%s/manifests/%s" % (repository, digest))
    return bool(digest)


def bench_repositories():
    return ([DOCKHAND_REPO % n for n in range(1, COUNT + 1)] + [COMMUNITY_REPO % n for n in range(1, COUNT + 1)])


def clean(api):
    """Remove every image and registry tag of the benchmark; returns how many references went."""
    removed = 0
    for repository in bench_repositories():
        removed += delete_from_registry(repository, TAG)
    prefix = "%s/dockhand-bench/" % REGISTRY
    for image in api.images(filters={"label": BENCH_LABEL}):
        for ref in image.get("RepoTags") or []:
            if ref.startswith(prefix):
                try:
                    api.remove_image(ref, force=True)
                    removed += 1
                except docker.errors.NotFound:
                    pass
    api.prune_images(filters={"dangling": True, "label": BENCH_LABEL})
    return removed


def builder_version(api):
    """The engine's default builder as its /_ping announces it ("1" legacy, "2" BuildKit; absent means 1)."""
    response = api.get(api.base_url + "/_ping")
    return response.headers.get("Builder-Version") or "1 (no Builder-Version header)"


def engine_log_mentions(word):
    """How many lines of the lab engine's log mention ``word``; None when the lab did not start the engine."""
    try:
        with open(ENGINE_LOG, errors="replace") as handle:
            return sum(1 for line in handle if word in line)
    except OSError:
        return None


def write_contexts(workdir):
    """The 5 small image contexts and the build-cost context; returns (list of contexts, build context)."""
    contexts = []
    for n in range(1, COUNT + 1):
        context = workdir / ("img-%d" % n)
        context.mkdir()
        (context / "Dockerfile").write_text(IMAGE_DOCKERFILE.format(base=BASE_IMAGE, label=BENCH_LABEL, n=n))
        (context / "data.txt").write_text("".join("image %d line %d\n" % (n, i) for i in range(200)))
        contexts.append(str(context))
    build = workdir / "build-cost"
    (build / "src").mkdir(parents=True)
    (build / "Dockerfile").write_text(BUILD_DOCKERFILE.format(base=BASE_IMAGE, label=BENCH_LABEL))
    for i in range(40):
        (build / "src" / ("file-%02d.txt" % i)).write_text(("file %d " % i) * 1300)
    return contexts, str(build)


# ---------------------------------------------------------------- Ansible


def parse_time(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


class JsonAnsible(harness.Ansible):
    """Playbooks whose results come as JSON through the ansible.posix.json callback, and ad-hoc pings."""

    def playbook(self, play):
        """Run one play; return a dict with seconds, rc, data (the JSON callback's document) and output."""
        playbook = self.write_playbook([dict({"hosts": "localhost", "gather_facts": False}, **play)])
        env = dict(self.env, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json")
        seconds, proc = self.run_playbook(playbook, env=env, timeout=900)
        try:
            data = json.loads(proc.stdout[proc.stdout.index("{"):])
        except ValueError:
            data = None
        return {"seconds": seconds, "rc": proc.returncode, "data": data, "output": proc.stdout + proc.stderr}

    def adhoc_ping(self):
        cmd = [str(harness.VENV_BIN / "ansible"), "localhost", "-i", str(self.inventory), "-m", "ansible.builtin.ping"]
        seconds, proc = self.run_timed(cmd, timeout=300)
        return {"seconds": seconds, "rc": proc.returncode, "data": None, "output": proc.stdout + proc.stderr}


def task_results(run, name):
    """(host result, seconds the task took) of the task named ``name`` (roles prefix their task names)."""
    for play in (run["data"] or {}).get("plays", []):
        for task in play["tasks"]:
            if task["task"]["name"].endswith(name):
                duration = task["task"]["duration"]
                seconds = (parse_time(duration["end"]) - parse_time(duration["start"])).total_seconds()
                return task["hosts"].get("localhost"), seconds
    return None, None


def changed_count(run):
    return ((run["data"] or {}).get("stats", {}).get("localhost") or {}).get("changed")


def failure_text(run):
    for play in (run["data"] or {}).get("plays", []):
        for task in play["tasks"]:
            result = task["hosts"].get("localhost") or {}
            if result.get("failed"):
                msgs = [item.get("msg") for item in result.get("results") or () if item.get("failed")]
                return "%s: %s" % (task["task"]["name"], result.get("msg") or "; ".join(filter(None, msgs)))
    return "rc=%s: %s" % (run["rc"], " | ".join(run["output"].strip().splitlines()[-5:]))


def image_items(contexts, repository):
    return [{"name": "%s/%s:%s" % (REGISTRY, repository % n, TAG), "build": {"context": context}}
            for n, context in enumerate(contexts, 1)]


def dockhand_role_play(contexts):
    return {"name": "images role", "roles": [{
        "role": "dockhand.docker.images",
        "vars": {"images_list": image_items(contexts, DOCKHAND_REPO), "images_defaults": {"push": True}},
    }]}


def dockhand_loop_play(contexts):
    return {"name": "image loop", "tasks": [{
        "name": "dockhand image loop",
        "dockhand.docker.image": {"name": "{{ item.name }}", "build": "{{ item.build }}", "push": True},
        "loop": image_items(contexts, DOCKHAND_REPO),
        "loop_control": {"label": "{{ item.name }}"},
    }]}


def community_loop_play(contexts):
    items = [{"name": item["name"], "path": item["build"]["context"]} for item in image_items(contexts, COMMUNITY_REPO)]
    return {"name": "community.docker loop", "tasks": [{
        "name": "community image loop",
        "community.docker.docker_image": {"name": "{{ item.name }}", "source": "build", "push": True,
                                          "build": {"path": "{{ item.path }}", "pull": False}},
        "loop": items,
        "loop_control": {"label": "{{ item.name }}"},
    }]}


PING_PLAY = {"name": "ping", "tasks": [{"name": "ping", "ansible.builtin.ping": {}}]}
TASK_NAMES = {"dockhand_role": "Build, tag and push the images in one module run",
              "dockhand_loop": "dockhand image loop", "community_loop": "community image loop", "playbook_ping": "ping"}


# ---------------------------------------------------------------- the module's own code, in-process


class ModuleCode:
    """What dockhand.docker.image does for one item, without Ansible: its ImageManager on a new engine
    client, imported from the collection. The parameters are the module's defaults plus the item's."""

    def __init__(self, collections_path):
        sys.path.insert(0, str(collections_path))
        from ansible_collections.dockhand.docker.plugins.module_utils.client import CONNECTION_ARGSPEC, EngineClient
        from ansible_collections.dockhand.docker.plugins.module_utils.images import ImageManager

        self.client_class, self.manager_class = EngineClient, ImageManager
        self.defaults = {key: spec.get("default") for key, spec in CONNECTION_ARGSPEC.items()}
        self.defaults.update(state="present", source="build", rebuild="auto", tags=None, push=False, platform=None,
                             archive_path=None, export_path=None, force=False)

    def present(self, item):
        """Converge one item as the module would; returns (actions, build log)."""
        build = dict({"dockerfile": "Dockerfile", "args": None, "target": None, "labels": None, "nocache": False,
                      "pull": False, "platform": None}, **item["build"])
        params = dict(self.defaults, **dict(item, build=build))
        client = self.client_class(params)
        try:
            manager = self.manager_class(client, params, False, log)
            manager.present()
        finally:
            client.close()
        return manager.actions, manager.build_log


# ---------------------------------------------------------------- idle re-run


def idle_rerun(ansible, code, contexts, args, problems):
    plays = {"dockhand_role": dockhand_role_play(contexts), "dockhand_loop": dockhand_loop_play(contexts),
             "community_loop": community_loop_play(contexts)}
    rows = {row: {"samples": [], "task_samples": [], "changed": [], "status": "ok"} for row in IDLE_ROWS}
    first = {}

    log("warm-up: ad-hoc ping and a one-task playbook")
    for run in (ansible.adhoc_ping(), ansible.playbook(PING_PLAY)):
        if run["rc"] != 0:
            raise SystemExit("ansible does not work here:\n%s" % run["output"][-3000:])

    log("first run of the images role: builds and pushes %d images" % COUNT)
    run = ansible.playbook(plays["dockhand_role"])
    result = task_results(run, TASK_NAMES["dockhand_role"])[0] or {}
    first["dockhand_role"] = {"seconds": round(run["seconds"], 3), "changed": changed_count(run),
                              # The role's one module run returns `images`; a loop of tasks returns `results`.
                              "actions": [item.get("actions")
                                          for item in result.get("images") or result.get("results") or ()]}
    if run["rc"] != 0:
        problems.append("dockhand role, first run failed: %s" % failure_text(run))
        raise SystemExit(problems[-1])
    for n in range(1, COUNT + 1):
        if registry_digest(DOCKHAND_REPO % n, TAG) is None:
            problems.append("after the role's first run, %s/%s:%s is not in the registry"
                            % (REGISTRY, DOCKHAND_REPO % n, TAG))
    log("first run of the images role took %.2f s" % run["seconds"])

    community_note = None
    if args.no_community:
        community_note = "--no-community"
    else:
        log("first run of community.docker.docker_image in a loop: builds and pushes %d images" % COUNT)
        before = engine_log_mentions("docker.io")
        run = ansible.playbook(plays["community_loop"])
        after = engine_log_mentions("docker.io")
        first["community_loop"] = {"seconds": round(run["seconds"], 3), "changed": changed_count(run)}
        if run["rc"] != 0:
            community_note = "first run failed: %s" % failure_text(run)
        elif before is not None and after != before:
            community_note = "the engine's log mentions docker.io during its run; not measured"
        elif any(registry_digest(COMMUNITY_REPO % n, TAG) is None for n in range(1, COUNT + 1)):
            community_note = "its first run left images missing from the registry"
        else:
            log("first run of community.docker took %.2f s" % run["seconds"])
    if community_note:
        rows["community_loop"]["status"] = "skipped"
        rows["community_loop"]["note"] = community_note
        log("community.docker skipped: %s" % community_note)

    for rep in range(1, args.repeat + 1):
        for row in IDLE_ROWS:
            if rows[row]["status"] != "ok":
                continue
            if row == "module_code":
                run = module_code_rerun(code, contexts)
            elif row == "adhoc_ping":
                run = ansible.adhoc_ping()
            elif row == "playbook_ping":
                run = ansible.playbook(PING_PLAY)
            else:
                run = ansible.playbook(plays[row])
            if run["rc"] != 0:
                rows[row]["status"] = "failed"
                rows[row]["note"] = failure_text(run)
                problems.append("idle re-run, %s: %s" % (IDLE_LABELS[row], rows[row]["note"]))
                continue
            rows[row]["samples"].append(round(run["seconds"], 3))
            if row == "module_code" and any(run["actions"]):
                problems.append("idle re-run %d, %s: actions %s, expected none"
                                % (rep, IDLE_LABELS[row], run["actions"]))
            if row in TASK_NAMES:
                task_seconds = task_results(run, TASK_NAMES[row])[1]
                rows[row]["task_samples"].append(round(task_seconds, 3) if task_seconds is not None else None)
                rows[row]["changed"].append(changed_count(run))
                if row.startswith("dockhand") and changed_count(run) != 0:
                    problems.append("idle re-run %d, %s: changed=%s, expected 0"
                                    % (rep, IDLE_LABELS[row], changed_count(run)))
            log("idle re-run %d/%d, %s: %.2f s" % (rep, args.repeat, IDLE_LABELS[row], run["seconds"]))

    for entry in rows.values():
        entry["median"] = round(statistics.median(entry["samples"]), 3) if entry["samples"] else None
        tasks = [s for s in entry["task_samples"] if s is not None]
        entry["task_median"] = round(statistics.median(tasks), 3) if tasks else None
    return rows, first


def module_code_rerun(code, contexts):
    items = [dict(item, push=True) for item in image_items(contexts, DOCKHAND_REPO)]
    start = time.monotonic()
    try:
        actions = [code.present(item)[0] for item in items]
    except Exception as exc:  # reported as the row's failure, like a failed task
        return {"seconds": time.monotonic() - start, "rc": 1, "data": None, "output": "module code: %s" % exc}
    return {"seconds": time.monotonic() - start, "rc": 0, "data": None, "output": "", "actions": actions}


# ---------------------------------------------------------------- build cost


def build_cli(context, tag):
    env = dict(os.environ, DOCKER_BUILDKIT="0")
    start = time.monotonic()
    proc = subprocess.run(["docker", "build", "--no-cache", "-t", tag, context], env=env, capture_output=True,
                          text=True, check=False, timeout=900)
    seconds = time.monotonic() - start
    if proc.returncode != 0:
        raise RuntimeError("docker build failed: %s" % proc.stderr.strip()[-500:])
    return seconds, proc.stdout.splitlines()


def build_sdk(context, tag):
    start = time.monotonic()
    api = harness.engine_client()
    lines = []
    try:
        for chunk in api.build(path=context, tag=tag, nocache=True, rm=True, forcerm=True, pull=False, decode=True):
            if "error" in chunk:
                raise RuntimeError("SDK build failed: %s" % chunk["error"])
            lines.extend(chunk.get("stream", "").splitlines())
    finally:
        api.close()
    return time.monotonic() - start, lines


def build_module(ansible, context, tag):
    run = ansible.playbook({"name": "build cost", "tasks": [{
        "name": "dockhand build",
        "dockhand.docker.image": {"name": tag, "rebuild": "always", "build": {"context": context, "nocache": True}},
    }]})
    result, task_seconds = task_results(run, "dockhand build")
    if run["rc"] != 0 or not result or result.get("actions") != ["built"]:
        raise RuntimeError("dockhand build failed: %s" % failure_text(run))
    return run["seconds"], task_seconds, result.get("build_log") or []


def build_code(code, context, tag):
    start = time.monotonic()
    actions, lines = code.present({"name": tag, "rebuild": "always", "build": {"context": context, "nocache": True}})
    if actions != ["built"]:
        raise RuntimeError("module code: actions %s, expected built" % actions)
    return time.monotonic() - start, lines


def build_cost(api, ansible, code, context, args, problems):
    rows = {row: {"samples": [], "status": "ok"} for row in BUILD_ROWS}
    steps = {}
    ids = {}
    for rep in range(1, args.repeat + 1):
        for kind in ("cli", "sdk", "module", "code"):
            tag = "%s/%s:%s" % (REGISTRY, BUILD_COST_REPO, kind)  # built here, never pushed
            task_seconds = None
            try:
                if kind == "cli":
                    seconds, lines = build_cli(context, tag)
                elif kind == "sdk":
                    seconds, lines = build_sdk(context, tag)
                elif kind == "code":
                    seconds, lines = build_code(code, context, tag)
                else:
                    seconds, task_seconds, lines = build_module(ansible, context, tag)
            except Exception as exc:  # reported as the row's failure
                problems.append("build cost, %s: %s" % (kind, exc))
                for row in ("module_run", "module_task") if kind == "module" else (ROW_OF.get(kind, kind),):
                    rows[row]["status"] = "failed"
                continue
            if any("Using cache" in line for line in lines):
                problems.append("build cost, %s: the build used the layer cache" % kind)
            if lines:
                steps[kind] = [line for line in lines if line.startswith("Step ")]
            image_id = api.inspect_image(tag)["Id"]
            if image_id in ids.values():
                problems.append("build cost, %s: the build left the image ID of an earlier build" % kind)
            ids["%s-%d" % (kind, rep)] = image_id
            if kind == "module":
                rows["module_run"]["samples"].append(round(seconds, 3))
                rows["module_task"]["samples"].append(round(task_seconds, 3))
            else:
                rows[ROW_OF.get(kind, kind)]["samples"].append(round(seconds, 3))
            task = " (task %.2f s)" % task_seconds if task_seconds is not None else ""
            log("build %d/%d, %s: %.2f s%s" % (rep, args.repeat, kind, seconds, task))
    for entry in rows.values():
        entry["median"] = round(statistics.median(entry["samples"]), 3) if entry["samples"] else None
    return rows, steps


ROW_OF = {"code": "module_code"}


# ---------------------------------------------------------------- report


def summarize(idle, build):
    role, loop = idle["dockhand_role"]["median"], idle["dockhand_loop"]["median"]
    adhoc, playbook = idle["adhoc_ping"]["median"], idle["playbook_ping"]["median"]
    cli = build["cli"]["median"]
    out = {
        "role_minus_adhoc_ping": difference(role, adhoc),
        "role_minus_playbook_ping": difference(role, playbook),
        "loop_minus_adhoc_ping": difference(loop, adhoc),
        "role_minus_loop": difference(role, loop),
        "community_over_role": ratio(idle["community_loop"]["median"], role),
        "community_minus_adhoc_ping": difference(idle["community_loop"]["median"], adhoc),
        "sdk_over_cli": ratio(build["sdk"]["median"], cli),
        "module_run_over_cli": ratio(build["module_run"]["median"], cli),
        "module_task_over_cli": ratio(build["module_task"]["median"], cli),
        "module_run_minus_cli": difference(build["module_run"]["median"], cli),
        "module_code_over_cli": ratio(build["module_code"]["median"], cli),
        "role_minus_module_code": difference(role, idle["module_code"]["median"]),
        "role_image_task_per_image": (round(idle["dockhand_role"]["task_median"] / COUNT, 3)
                                      if idle["dockhand_role"]["task_median"] is not None else None),
    }
    # The whole run costs the build plus a fixed part (ansible-playbook, the task): the ratio target is
    # met by builds that take at least fixed / (target - 1) seconds with docker build.
    fixed = out["module_run_minus_cli"]
    out["break_even_build_seconds"] = round(fixed / (TARGET_BUILD_RATIO - 1), 1) if fixed is not None else None
    out["target_rerun_met"] = (out["role_minus_adhoc_ping"] <= TARGET_RERUN_OVER_PING
                               if out["role_minus_adhoc_ping"] is not None else None)
    out["target_build_met"] = (out["module_run_over_cli"] <= TARGET_BUILD_RATIO
                               if out["module_run_over_cli"] is not None else None)
    return out


def print_report(meta, idle, first, build, steps, summary):
    print()
    print("Docker engine %s (API %s, default builder %s), nproc %s; %d images, median of %d runs"
          % (meta["engine_version"], meta["engine_api_version"], meta["builder_version"], meta["nproc"], COUNT,
             meta["repeat"]))
    print("ansible-core %s, community.docker %s, docker SDK %s, docker CLI %s, Python %s"
          % (meta["ansible_core"], meta["community_docker"], meta["docker_sdk"], meta["docker_cli"], meta["python"]))
    print()
    print("Idle re-run: %d images (built and pushed to %s by a first run), nothing changed" % (COUNT, REGISTRY))
    print("%-38s%10s%13s%12s%18s  %s" % ("", "seconds", "image task", "- ad-hoc", "- playbook ping", "samples"))
    adhoc, playbook = idle["adhoc_ping"]["median"], idle["playbook_ping"]["median"]
    for row in IDLE_ROWS:
        entry = idle[row]
        ansible_row = row not in ("adhoc_ping", "module_code")
        over_adhoc = cell(difference(entry["median"], adhoc), "%+.2f s") if ansible_row else ""
        over_playbook = cell(difference(entry["median"], playbook), "%+.2f s") if row in TASK_NAMES else ""
        if entry["median"] is None:
            print("%-38s%10s  %s" % (IDLE_LABELS[row], entry["status"], entry.get("note", "")))
            continue
        print("%-38s%10s%13s%12s%18s  %s" % (
            IDLE_LABELS[row], cell(entry["median"], "%.2f s"), cell(entry["task_median"], "%.2f s"),
            over_adhoc, over_playbook if row != "playbook_ping" else "",
            " ".join("%.2f" % s for s in entry["samples"])))
    met = summary["target_rerun_met"]
    print("role re-run - ad-hoc ping: %s (target <= +%.1f s: %s); community.docker / role: %s"
          % (cell(summary["role_minus_adhoc_ping"], "%+.2f s"), TARGET_RERUN_OVER_PING,
             "met" if met else ("MISSED" if met is not None else "-"), cell(summary["community_over_role"], "%.2fx")))
    print("the role's image task takes %s per image; the module's own work for all %d images takes %s in-process"
          % (cell(summary["role_image_task_per_image"], "%.2f s"), COUNT,
             cell(idle["module_code"]["median"], "%.2f s")))
    for row, entry in first.items():
        print("first run, %s: %.2f s, changed=%s" % (IDLE_LABELS[row], entry["seconds"], entry["changed"]))
    print()
    print("Build cost: one context, no cache")
    cli = build["cli"]["median"]
    print("%-48s%10s%12s  %s" % ("", "seconds", "/ docker", "samples"))
    for row in BUILD_ROWS:
        entry = build[row]
        print("%-48s%10s%12s  %s" % (BUILD_LABELS[row], cell(entry["median"], "%.2f s"),
                                     cell(ratio(entry["median"], cli), "%.2fx"),
                                     " ".join("%.2f" % s for s in entry["samples"]) or entry["status"]))
    met = summary["target_build_met"]
    print("module (whole run) / docker build: %s (target <= %.1f: %s); the whole run adds %s to the build, "
          "so the target holds for builds of %s or more"
          % (cell(summary["module_run_over_cli"], "%.2f"), TARGET_BUILD_RATIO,
             "met" if met else ("MISSED" if met is not None else "-"), cell(summary["module_run_minus_cli"], "%.2f s"),
             cell(summary["break_even_build_seconds"], "%.1f s")))
    for kind, lines in steps.items():
        print("  %s build steps: %d (%s)" % (kind, len(lines), lines[-1] if lines else "-"))


def versions(api):
    """The shared versions plus the engine's default builder and the docker CLI's version."""
    cli = subprocess.run(["docker", "version", "-f", "{{.Client.Version}}"], capture_output=True, text=True,
                         check=False).stdout.strip()
    return dict(harness.versions(api), builder_version=builder_version(api), docker_cli=cli or "?")


# ---------------------------------------------------------------- main


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeat", type=int, default=3, help="runs of each measurement; the median is reported (default 3)")
    p.add_argument("--no-community", action="store_true", help="do not run community.docker.docker_image")
    args = p.parse_args(argv)
    if args.repeat < 1:
        p.error("--repeat must be at least 1")
    return args


def main(argv=None):
    args = parse_args(argv)
    if shutil.which("docker") is None:
        raise SystemExit("the docker CLI is missing")
    api = harness.ensure_engine()
    harness.ensure_base_image(api)
    ensure_registry()
    meta = versions(api)
    meta["repeat"] = args.repeat
    meta["registry"] = REGISTRY
    meta["idle_rerun_implementation"] = "the dockhand.docker.images role (images_defaults: {push: true})"
    problems = []
    docker_io_before = engine_log_mentions("docker.io")

    removed = clean(api)
    if removed:
        log("removed %d leftover references of an earlier run" % removed)
    with tempfile.TemporaryDirectory(prefix="dockhand-bench-images-") as workdir:
        contexts, build_context = write_contexts(Path(workdir))
        ansible = JsonAnsible(workdir)
        code = ModuleCode(ansible.env["ANSIBLE_COLLECTIONS_PATH"])
        try:
            idle, first = idle_rerun(ansible, code, contexts, args, problems)
            build, steps = build_cost(api, ansible, code, build_context, args, problems)
        finally:
            clean(api)

    docker_io_after = engine_log_mentions("docker.io")
    meta["engine_log_docker_io_lines"] = (None if docker_io_before is None else docker_io_after - docker_io_before)
    if meta["engine_log_docker_io_lines"]:
        problems.append("the engine's log mentions docker.io %d more times after the run"
                        % meta["engine_log_docker_io_lines"])
    summary = summarize(idle, build)
    print_report(meta, idle, first, build, steps, summary)

    return harness.finish("images", meta, problems, idle_rerun={"rows": idle, "first_runs": first},
                          build_cost={"rows": build, "steps": steps}, summary=summary)


if __name__ == "__main__":
    sys.exit(main())
