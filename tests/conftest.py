from __future__ import annotations

import inspect
import os
from collections.abc import Iterator

import pytest

from tests._loopback import LoopbackServer, serve


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj: object) -> None:
    """Run every ``async def`` test on asyncio through anyio's pytest plugin.

    The mark goes on the function before collection, so parametrized tests get it too.
    """
    if name.startswith("test") and inspect.iscoroutinefunction(obj):
        pytest.mark.anyio(obj)


#: ``$PORTKEY_RUNS_TEST_MODE`` picks how the whole suite reads answers: ``strict`` (unset) or
#: ``default``, the reading mode a user gets (``make test MODE=default``).
MODE_ENV = "PORTKEY_RUNS_TEST_MODE"
MODES = ("strict", "default")
STRICT_ENV = "PORTKEY_STRICT_RESPONSES"


def suite_mode() -> str:
    """The suite's reading mode (``$PORTKEY_RUNS_TEST_MODE``); anything else is a usage error."""
    mode = os.environ.get(MODE_ENV, "").strip().lower() or "strict"
    if mode not in MODES:
        raise pytest.UsageError(f"${MODE_ENV} must be strict or default, got {mode!r}")
    return mode


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "strict_responses: the test is about strict reading (a departure from the spec raises): "
        f"${STRICT_ENV}=1 for it and the commands it starts, whatever ${MODE_ENV} says",
    )
    suite_mode()  # a wrong mode stops the run before any test


def pytest_report_header(config: pytest.Config) -> str:
    return f"reading mode: {suite_mode()} (${MODE_ENV})"


@pytest.fixture(scope="session", autouse=True)
def reading_mode() -> Iterator[str]:
    """The suite's reading mode, put in the environment for the whole session (so fixtures of
    any scope and the commands they start read in it too): ``strict`` sets
    ``$PORTKEY_STRICT_RESPONSES=1``, a departure of ours from the spec raises at once;
    ``default`` unsets it, clients read as a user's do."""
    mode = suite_mode()
    with pytest.MonkeyPatch.context() as patch:
        if mode == "strict":
            patch.setenv(STRICT_ENV, "1")
        else:
            patch.delenv(STRICT_ENV, raising=False)
        yield mode


@pytest.fixture(autouse=True)
def strict_responses(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A test marked ``strict_responses`` reads strictly in both modes (its clients and the
    commands it starts). Tests of tolerant reading pass ``strict_responses=False`` instead."""
    if request.node.get_closest_marker("strict_responses"):
        monkeypatch.setenv(STRICT_ENV, "1")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def loopback() -> Iterator[LoopbackServer]:
    """A scripted HTTP server on 127.0.0.1 (a free port), stopped after the test."""
    yield from serve()
