"""Marks the tests fed by hypothesis's generated inputs (files named *propert*) `generated`: CI runs
them without coverage tracing, which more than doubles their time and adds little coverage the
table tests do not already give."""
import pytest


def pytest_collection_modifyitems(items):
    for item in items:
        if "propert" in item.path.name:
            item.add_marker(pytest.mark.generated)
