"""``portkey_runs_api.models`` imports each model's module on first use (issue 11: import time),
and is otherwise the package it was: every model is there, by attribute, ``from ... import``
and ``import *``, and a name that is no model is an ``AttributeError``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import portkey_runs_api.models as models

PACKAGE = Path(models.__file__).parent


def _fresh(code: str) -> list[str]:
    """The model modules that ``code`` leaves imported, in a fresh interpreter."""
    script = (
        code
        + "\nimport json, sys\nprint(json.dumps(sorted(m for m in sys.modules "
        + "if m.startswith('portkey_runs_api.models.'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    modules: list[str] = json.loads(out)
    return modules


def test_importing_the_package_imports_no_model() -> None:
    assert _fresh("import portkey_runs_api.models") == []


def test_importing_a_model_imports_it_and_what_it_holds_only() -> None:
    loaded = _fresh("from portkey_runs_api.models import ToolOutput")
    assert loaded == ["portkey_runs_api.models.tool_output"]
    loaded = _fresh("from portkey_runs_api.models import Run")
    assert "portkey_runs_api.models.run" in loaded
    assert "portkey_runs_api.models.run_required_action" in loaded  # a model Run holds
    assert "portkey_runs_api.models.message_delta" not in loaded  # a model Run does not hold


def test_every_model_in_all_is_there_under_its_name() -> None:
    files = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__"}
    assert len(models.__all__) == len(files)
    for name in models.__all__:
        model = getattr(models, name)
        assert model.__name__ == name
        assert model.__module__.rsplit(".", 1)[0] == "portkey_runs_api.models"
        assert model.__module__.rsplit(".", 1)[1] in files
        assert getattr(models, name) is model  # cached: the same object every time
    assert set(models.__all__) <= set(dir(models))


def test_import_star_binds_every_model() -> None:
    namespace: dict[str, object] = {}
    exec("from portkey_runs_api.models import *", namespace)
    assert set(models.__all__) <= set(namespace)
    assert namespace["Run"] is models.Run


def test_a_name_that_is_no_model_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="has no attribute 'Runn'"):
        _ = models.Runn  # type: ignore[attr-defined]
    assert not hasattr(models, "run_status_typo")
    with pytest.raises(ImportError, match="cannot import name 'Nope'"):
        exec("from portkey_runs_api.models import Nope", {})


def test_the_type_checker_still_reports_a_name_that_is_no_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The module ``__getattr__`` is hidden from mypy: it must not make every name valid."""
    from tests.generated.test_hardening import _mypy

    monkeypatch.chdir(PACKAGE.parent.parent)
    output, status = _mypy(
        """
        from portkey_runs_api.models import Run, Runn
        import portkey_runs_api.models as models

        def f(run: Run) -> models.ToolOutpt: ...
        """,
        tmp_path,
    )
    assert status == 1
    assert 'Module "portkey_runs_api.models" has no attribute "Runn"' in output
    assert 'Name "models.ToolOutpt" is not defined' in output
    output, status = _mypy("from portkey_runs_api.models import Run, ToolOutput\n", tmp_path)
    assert status == 0, output
