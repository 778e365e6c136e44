from __future__ import annotations

import inspect
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


@pytest.fixture(autouse=True)
def strict_responses(monkeypatch: pytest.MonkeyPatch) -> None:
    """The project's own tests read strictly (``$PORTKEY_STRICT_RESPONSES``, which the
    commands they start inherit too): a departure of ours from the spec raises at once. Tests
    of tolerant reading pass ``strict_responses=False`` per call, or unset it."""
    monkeypatch.setenv("PORTKEY_STRICT_RESPONSES", "1")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def loopback() -> Iterator[LoopbackServer]:
    """A scripted HTTP server on 127.0.0.1 (a free port), stopped after the test."""
    yield from serve()
