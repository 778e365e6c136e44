"""The suite's two reading modes (``tests/conftest.py``): ``$PORTKEY_RUNS_TEST_MODE`` sets how
every test, every fixture and every command they start reads answers; the marker
``strict_responses`` makes one test strict in both."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from portkey_runs import AsyncClient, Client
from tests.conftest import MODE_ENV, STRICT_ENV, suite_mode

ROOT = Path(__file__).resolve().parent.parent


def _strict_in(mode: str) -> bool:
    return mode == "strict"


@pytest.fixture(scope="module")
def module_env() -> str | None:
    """What a module-scoped fixture (set up before any function-scoped one) sees."""
    return os.environ.get(STRICT_ENV)


def test_clients_left_to_the_environment_read_in_the_suite_mode(reading_mode: str) -> None:
    assert reading_mode == suite_mode()
    strict = _strict_in(reading_mode)
    assert (os.environ.get(STRICT_ENV) == "1") is strict
    assert Client("pk-test").strict_responses is strict
    assert AsyncClient("pk-test").strict_responses is strict


def test_fixtures_wider_than_a_test_read_in_the_suite_mode_too(
    module_env: str | None, reading_mode: str
) -> None:
    assert (module_env == "1") is _strict_in(reading_mode)


def test_commands_a_test_starts_inherit_the_suite_mode(reading_mode: str) -> None:
    show = "import portkey_runs; print(portkey_runs.Client('pk-test').strict_responses)"
    done = subprocess.run([sys.executable, "-c", show], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(_strict_in(reading_mode))


@pytest.mark.strict_responses
def test_a_test_marked_strict_responses_reads_strictly_in_both_modes() -> None:
    assert os.environ.get(STRICT_ENV) == "1"
    assert Client("pk-test").strict_responses is True
    show = "import portkey_runs; print(portkey_runs.Client('pk-test').strict_responses)"
    done = subprocess.run([sys.executable, "-c", show], capture_output=True, text=True)
    assert done.stdout.strip() == "True", done.stderr


def test_an_unknown_mode_stops_the_run_before_any_test_naming_the_variable() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "--no-cov",
            "-p",
            "no:cacheprovider",
            "tests/test_modes.py",
        ],
        cwd=ROOT,
        env={**os.environ, MODE_ENV: "lenient"},
        capture_output=True,
        text=True,
    )
    assert done.returncode == pytest.ExitCode.USAGE_ERROR, done.stdout + done.stderr
    assert f"${MODE_ENV} must be strict or default, got 'lenient'" in done.stderr
