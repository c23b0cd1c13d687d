"""Put test content into the loopback registries, independently of the code under test.

* ``push_local(image, target_ref)``: ``docker tag`` + ``docker push``; returns the pushed digest.
* ``push_manifest_list(registry_host, repository, tag, entries)``: a manifest list ("fat
  manifest") built from manifests already in the repository, claiming whatever platforms the
  test wants; this is how tests get multi-platform images without buildx or the internet.
* ``write_docker_config(directory, registry_host, username, password)``: a docker client config
  directory (for ``DOCKER_CONFIG``) holding credentials, so ``docker push`` can reach the
  htpasswd registry.

Only the standard library and the docker CLI are used: the registry client of the collection
is what the tests check, so it must not be what builds their fixtures.
"""
import base64
import hashlib
import json
import os
import re
import subprocess
import urllib.error
import urllib.request

LIST_MEDIA_TYPE = "application/vnd.docker.distribution.manifest.list.v2+json"
MANIFEST_ACCEPT = ", ".join([
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    LIST_MEDIA_TYPE,
    "application/vnd.oci.image.index.v1+json",
])
_PUSHED_DIGEST = re.compile(r"digest: (sha256:[0-9a-f]{64})")


def _docker(args, docker_config=None):
    env = dict(os.environ)
    if docker_config:
        env["DOCKER_CONFIG"] = str(docker_config)
    proc = subprocess.run(["docker"] + list(args), capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        raise AssertionError("docker %s failed (rc=%d): %s%s"
                             % (" ".join(args), proc.returncode, proc.stdout[-2000:], proc.stderr[-2000:]))
    return proc.stdout


def push_local(image, target_ref, docker_config=None):
    """Tag the local ``image`` as ``target_ref`` (on a loopback registry) and push it.

    ``docker_config`` is a directory for ``DOCKER_CONFIG`` (see write_docker_config) when the
    registry needs credentials. Returns the manifest digest ``docker push`` reported.
    """
    _docker(["tag", image, target_ref])
    output = _docker(["push", target_ref], docker_config=docker_config)
    found = _PUSHED_DIGEST.findall(output)
    if not found:
        raise AssertionError("docker push %s printed no digest:\n%s" % (target_ref, output))
    return found[-1]


def write_docker_config(directory, registry_host, username, password):
    """Write ``directory``/config.json with an ``auths`` entry for ``registry_host``; returns the directory."""
    os.makedirs(str(directory), exist_ok=True)
    path = os.path.join(str(directory), "config.json")
    auth = base64.b64encode(("%s:%s" % (username, password)).encode()).decode()
    with open(path, "w") as handle:
        json.dump({"auths": {registry_host: {"auth": auth}}}, handle)
    os.chmod(path, 0o600)
    return str(directory)


def _request(method, url, headers=None, body=None, username=None, password=None):
    """(status, headers, body) of one request; Basic credentials are sent up front when given."""
    headers = dict(headers or {})
    if username:
        token = base64.b64encode(("%s:%s" % (username, password)).encode()).decode()
        headers["Authorization"] = "Basic " + token
    request = urllib.request.Request(url, data=body, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def _platform(value):
    if isinstance(value, dict):
        return dict(value)
    parts = value.split("/")
    platform = {"architecture": parts[1], "os": parts[0]}
    if len(parts) > 2:
        platform["variant"] = parts[2]
    return platform


def push_manifest_list(registry_host, repository, tag, entries, username=None, password=None):
    """PUT a Docker manifest list at ``repository:tag`` and return its digest.

    ``entries`` is a list of ``{"digest": "sha256:...", "platform": "linux/arm/v7"}`` (or a
    platform dict with architecture, os and optional variant). Each digest must name a manifest
    already in ``repository``; its media type and size are read from the registry. Entries may
    claim any platform, and several may point at the same manifest.
    """
    base = "http://%s/v2/%s/manifests/" % (registry_host, repository)
    manifests = []
    for entry in entries:
        status, headers, body = _request("GET", base + entry["digest"], {"Accept": MANIFEST_ACCEPT},
                                         username=username, password=password)
        if status != 200:
            raise AssertionError("manifest %s@%s: HTTP %s %s" % (repository, entry["digest"], status, body[:300]))
        actual = "sha256:" + hashlib.sha256(body).hexdigest()
        if actual != entry["digest"]:
            raise AssertionError("registry sent %s for %s" % (actual, entry["digest"]))
        manifests.append({
            "mediaType": headers.get("Content-Type", "").split(";")[0],
            "size": len(body),
            "digest": entry["digest"],
            "platform": _platform(entry["platform"]),
        })
    document = json.dumps({"schemaVersion": 2, "mediaType": LIST_MEDIA_TYPE, "manifests": manifests},
                          indent=3).encode()
    status, headers, body = _request("PUT", base + tag, {"Content-Type": LIST_MEDIA_TYPE}, body=document,
                                     username=username, password=password)
    if status != 201:
        raise AssertionError("PUT manifest list %s:%s: HTTP %s %s" % (repository, tag, status, body[:300]))
    digest = "sha256:" + hashlib.sha256(document).hexdigest()
    reported = headers.get("Docker-Content-Digest")
    if reported and reported != digest:
        raise AssertionError("registry reports %s for the manifest list, expected %s" % (reported, digest))
    return digest
