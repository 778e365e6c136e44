"""What a user installs: declared dependencies, the testing extra, the license, the version,
the command's behaviour without the extra, and the Makefile's own help."""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import portkey_runs

ROOT = Path(__file__).resolve().parent.parent
OVERLAY = ROOT / "overlay" / "portkey_runs"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]


def _distribution(requirement: str) -> str:
    name = re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0]
    return name.lower().replace("-", "_")  # the import name of the distributions we use


def _third_party_imports(paths: list[Path]) -> set[str]:
    names = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    ours = {"portkey_runs", "portkey_runs_api"}
    return {name for name in names - ours if name not in sys.stdlib_module_names}


def test_every_run_time_import_is_a_declared_dependency() -> None:
    core = [
        p
        for p in OVERLAY.rglob("*.py")
        if "testing" not in p.relative_to(OVERLAY).parts and p.name != "_tracing.py"
    ]
    generated = list((ROOT / "generated" / "portkey_runs_api").rglob("*.py"))
    declared = {_distribution(r) for r in PROJECT["dependencies"]}
    assert _third_party_imports(core + generated) <= declared


def test_opentelemetry_is_the_otel_extra_and_only_the_tracing_module_imports_it() -> None:
    (otel,) = PROJECT["optional-dependencies"]["otel"]
    assert _distribution(otel) == "opentelemetry_api", "the API only: users bring the SDK"
    declared = {_distribution(r) for r in PROJECT["dependencies"]}
    assert _third_party_imports([OVERLAY / "_tracing.py"]) <= declared | {"opentelemetry"}
    others = [p for p in OVERLAY.rglob("*.py") if p.name != "_tracing.py"]
    assert "opentelemetry" not in _third_party_imports(others)


def test_the_reference_server_imports_only_the_testing_extra() -> None:
    testing = [p for p in (OVERLAY / "testing").rglob("*.py") if p.name != "pytest_plugin.py"]
    declared = {
        _distribution(r)
        for r in [*PROJECT["dependencies"], *PROJECT["optional-dependencies"]["testing"]]
    }
    assert _third_party_imports(testing) <= declared
    # The pytest plugin is loaded by pytest only, so pytest is there when it is imported.
    assert _third_party_imports([OVERLAY / "testing" / "pytest_plugin.py"]) <= declared | {"pytest"}


def test_the_wire_models_are_not_a_top_level_package() -> None:
    assert importlib.util.find_spec("portkey_runs_wire") is None
    wheel = PYPROJECT["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    assert sorted(Path(p).name for p in wheel) == ["portkey_runs", "portkey_runs_api"]


def _without(modules: list[str], code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter where ``modules`` cannot be imported, as without
    the testing extra."""
    blocker = "import sys\n" + "".join(f"sys.modules[{m!r}] = None\n" for m in modules)
    return subprocess.run(
        [sys.executable, "-c", blocker + code], capture_output=True, text=True, cwd=ROOT
    )


def test_the_demo_without_the_testing_extra_says_what_to_install_in_one_line() -> None:
    proc = _without(
        ["pydantic", "starlette", "uvicorn"],
        "from portkey_runs.cli import main\nsys.exit(main(['demo']))",
    )
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.splitlines() == [
        "portkey-runs: error: the demo runs the reference server, which needs: "
        'pip install "portkey-runs[testing]"'
    ]


def test_python_m_portkey_runs_testing_without_the_extra_is_one_line(tmp_path: Path) -> None:
    # A package named as the extra's that cannot be imported, ahead of the installed one.
    (tmp_path / "starlette").mkdir()
    (tmp_path / "starlette" / "__init__.py").write_text(
        "raise ImportError('No module named starlette', name='starlette')\n"
    )
    path = os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])
    proc = subprocess.run(
        [sys.executable, "-m", "portkey_runs.testing", "--port", "0"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": path},
        timeout=60,
    )
    assert (proc.returncode, proc.stdout) == (1, "")
    assert proc.stderr == (
        'portkey-runs: error: the reference server needs: pip install "portkey-runs[testing]"\n'
    )


def test_the_client_imports_and_works_without_the_testing_extra() -> None:
    proc = _without(
        ["pydantic", "starlette", "uvicorn"],
        "import portkey_runs\nprint(portkey_runs.Client('pk', base_url='http://127.0.0.1:9/v1'))",
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Client(base_url='http://127.0.0.1:9/v1'")


def test_importing_the_reference_server_without_the_extra_names_the_extra() -> None:
    proc = _without(["starlette"], "import portkey_runs.testing")
    assert proc.returncode == 1
    assert "ImportError: portkey_runs.testing needs the testing extra" in proc.stderr
    assert 'pip install "portkey-runs[testing]"' in proc.stderr


def test_the_license_file_is_there_and_shipped() -> None:
    assert PROJECT["license"] == "MIT"
    assert PROJECT["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")


def test_the_package_version_is_the_projects() -> None:
    assert portkey_runs.__version__ == PROJECT["version"]


def test_a_source_checkout_that_was_never_installed_knows_its_version() -> None:
    """``python -S``: no site-packages, so no installed metadata; the version still comes from
    the checkout's pyproject.toml (``overlay/`` on ``PYTHONPATH``, as tests and tools use it)."""
    read = "import runpy, sys; print(runpy.run_path(sys.argv[1])['__version__'])"
    proc = subprocess.run(
        [sys.executable, "-S", "-c", read, str(OVERLAY / "_version.py")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == PROJECT["version"]


def test_a_stale_installed_version_does_not_hide_the_checkouts(tmp_path: Path) -> None:
    """After ``make release`` and before the venv is synced again, the installed metadata
    still says the old version: the checkout's pyproject.toml is what the code belongs to."""
    package = tmp_path / "overlay" / "portkey_runs"
    package.mkdir(parents=True)
    (package / "_version.py").write_bytes((OVERLAY / "_version.py").read_bytes())
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "portkey-runs"\nversion = "9.8.7"\n'
    )
    read = "import runpy, sys; print(runpy.run_path(sys.argv[1])['__version__'])"
    proc = subprocess.run(
        [sys.executable, "-c", read, str(package / "_version.py")], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "9.8.7"


def test_make_help_lists_every_job_from_its_comment() -> None:
    makefile = (ROOT / "Makefile").read_text()
    documented = dict(re.findall(r"^([a-z][a-z-]*):[^#\n]*## (.+)$", makefile, flags=re.M))
    proc = subprocess.run(
        ["make", "--no-print-directory", "help"], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    listed = dict(re.findall(r"^\s+make (\S+)\s+(.+)$", proc.stdout, flags=re.M))
    assert len(listed) == len(proc.stdout.splitlines())
    assert listed == documented
    for job in ("demo", "test", "generate", "check", "spec-diff", "bench"):
        assert job in listed, job


def test_the_lazy_names_are_the_ones_type_checkers_see() -> None:
    init = ast.parse((OVERLAY / "__init__.py").read_text())
    seen: dict[str, str] = {}
    for node in init.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for statement in node.body:
                assert isinstance(statement, ast.ImportFrom)
                module = "." * statement.level + (statement.module or "")
                seen |= {alias.name: module for alias in statement.names}
    assert seen == portkey_runs._LAZY
    for name in portkey_runs.__all__:
        assert getattr(portkey_runs, name) is not None, name
    assert set(dir(portkey_runs)) >= set(portkey_runs.__all__)


def test_import_portkey_runs_loads_the_models_only_when_a_job_needs_them() -> None:
    code = (
        "import sys, portkey_runs\n"
        "print('portkey_runs_api.models.run' in sys.modules)\n"
        "client = portkey_runs.Client('pk')\n"
        "print('portkey_runs_api.models.run' in sys.modules)\n"
        "client.runs\n"
        "print('portkey_runs_api.models.run' in sys.modules)\n"
        "print(portkey_runs.Run.__module__)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.stdout.split() == ["False", "False", "True", "portkey_runs_api.models.run"]


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="module 'portkey_runs' has no attribute 'Clent'"):
        portkey_runs.Clent  # noqa: B018
