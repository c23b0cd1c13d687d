"""site_summary: the lines of site.yml's summary from each stage's result, or its plan when it did not run."""
from ansible_collections.dockhand.docker.plugins.filter.site import site_summary

SWARM = {"cluster_id": "c1", "quorum": {"managers": 3, "leader": "m1", "fault_tolerance": 1},
         "nodes": [{"hostname": "m1", "role": "manager", "status": "ready", "availability": "active", "leader": True}]}


def hostvars(**per_host):
    engine = {"server_version": "20.10", "logging_driver": "local"}
    base = {"swarm_survey": {"lead": "m1"}, "docker_host_engine": {"engine": engine}}
    return dict((host, dict(base, **values)) for host, values in per_host.items())


def test_a_first_run_shows_what_the_modules_did():
    hv = hostvars(
        m1=dict(swarm_final_state=SWARM, images_result={"changed": True, "failed": False, "images": [
            {"pushed": [{"ref": "r/app:1", "digest": "sha256:a"}]}]},
            services_list=[{"name": "web", "limits": {"memory": "64m"}}], services_defaults={"limits": {"cpus": "1"}},
            services_result={"changed": True, "failed": False, "services": [
                {"name": "web", "action": "created", "image": "r/app:1@d", "rollout": {"running": 3, "desired": 3}}]}),
        w1=dict(containers_list=[{"name": "c", "memory": "32m"}], containers_defaults={"cpus": 0.5},
                containers_result={"failed": False, "containers": [{"name": "c", "action": "created"}]}))
    lines = site_summary(hv, ["m1", "w1"], ["m1"])
    assert lines[0] == "swarm c1: 3 managers, leader m1, survives 1 failed manager(s)"
    assert "engine w1               docker 20.10          logging local" in lines
    assert "image r/app:1@sha256:a (in the registry, from m1)" in lines
    assert "service web created: 3/3 tasks, image r/app:1@d, memory 64m, cpus -" in lines
    assert lines[-1] == "container w1/c created: memory 32m, cpus 0.5, pids -"


def test_a_re_run_shows_the_plans():
    preflight = {"images_plan": {"pushed": [{"ref": "r/app:1", "digest": "sha256:a"}]},
                 "services_plan": {"services": [{"name": "web", "image": "r/app:1@d",
                                                 "converged": {"running": 2, "desired": 3}}]},
                 "containers_plan": {"actions": {"c": "unchanged"}}}
    hv = hostvars(m1=dict(swarm_final_state=SWARM, images_result={"skipped": True}, docker_host_preflight=preflight,
                          services_list=[{"name": "web", "limits": {"memory": "64m", "cpus": "0.25"}}],
                          services_result={"skipped": True}, containers_list=[{"name": "c", "memory": "8m"}],
                          containers_result={"skipped": True}))
    lines = site_summary(hv, ["m1"], ["m1"])
    assert "image r/app:1@sha256:a (in the registry, from m1)" in lines
    assert "service web unchanged: 2/3 tasks, image r/app:1@d, memory 64m, cpus 0.25" in lines
    assert "container m1/c unchanged: memory 8m, cpus -, pids -" in lines


def test_nothing_known_gives_question_marks_not_errors():
    assert site_summary({"h": {}}, ["h", "gone"]) == ["engine h                docker ?              logging ?"]


def test_a_skipped_swarm_and_docker_host_stage_show_the_preflight_read():
    read = {"engine": {"server_version": "26.1", "logging_driver": "json-file"},
            "swarm_info": {"swarm": {"id": "c1"}, "nodes": SWARM["nodes"], "quorum": SWARM["quorum"]}}
    hv = {"m1": {"site_stages": {"due": [], "swarm_lead": "m1"}, "docker_host_preflight": read}}
    lines = site_summary(hv, ["m1"], ["m1"])
    assert lines[0] == "swarm c1: 3 managers, leader m1, survives 1 failed manager(s)"
    assert lines[1].startswith("  node m1")
    assert "engine m1               docker 26.1           logging json-file" in lines
