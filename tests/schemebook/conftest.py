"""Schemebook tests: each test gets its own empty data directory, so a scheme file dropped
by one test is never seen by another."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path
    return tmp_path


@pytest.fixture
def drop_dir(data_dir: Path) -> Path:
    directory = data_dir / "schemes"
    directory.mkdir()
    return directory
