"""Temporary repositories with a base and each change of the spec, made once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tools._workflow import CHANGES, base_repository, change


@pytest.fixture(scope="session")
def changed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Change name → a repository whose working tree holds that change, regenerated."""
    repositories: dict[str, Path] = {}
    for name in CHANGES:
        repository = base_repository(tmp_path_factory.mktemp("workflow") / name)
        change(repository, name)
        repositories[name] = repository
    return repositories
