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


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def loopback() -> Iterator[LoopbackServer]:
    """A scripted HTTP server on 127.0.0.1 (a free port), stopped after the test."""
    yield from serve()
