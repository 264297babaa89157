"""Shared fixtures. Docker tests are marked `docker`; with LOCALEP_REQUIRE_DOCKER=1 a missing engine fails them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "numpy-regression"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.docker)


@pytest.fixture
def example_dir() -> Path:
    return EXAMPLE

