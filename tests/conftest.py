"""Shared pytest set-up: make the repository importable as the dockhand.docker collection.

The repository root *is* the collection, but Python (and Ansible) find collections only below
``ansible_collections/<namespace>/<name>``. A symlink under ``.build/`` gives that layout
without copying files, so tests always run the working tree.
"""
import os
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS_PATH = os.path.join(REPO_ROOT, ".build", "collections")


def _link_collection():
    link = os.path.join(COLLECTIONS_PATH, "ansible_collections", "dockhand", "docker")
    if os.path.realpath(link) != REPO_ROOT:
        os.makedirs(os.path.dirname(link), exist_ok=True)
        if os.path.lexists(link):
            os.unlink(link)
        os.symlink(REPO_ROOT, link)


_link_collection()
if COLLECTIONS_PATH not in sys.path:
    sys.path.insert(0, COLLECTIONS_PATH)
