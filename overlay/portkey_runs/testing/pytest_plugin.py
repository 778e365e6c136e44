"""pytest fixtures for the reference server; load with ``pytest_plugins = [...]``.

In a root ``conftest.py``::

    pytest_plugins = ["portkey_runs.testing.pytest_plugin"]

    def test_lists(reference_server, reference_state):
        thread_id = reference_state.create_thread(n_runs=3)
        ...  # a client with base_url=reference_server.base_url, x-portkey-api-key set

One uvicorn server runs for the whole session (``reference_server_session``, Portkey
authentication, no delay between events); each test gets it with a fresh state swapped in.
Its options are :func:`~portkey_runs.testing.serve`'s, from the session fixture
``reference_server_options`` (none by default): override it in a ``conftest.py`` to require
``Authorization: Bearer`` with one key, as ``portkey-runs serve --auth openai --api-key``::

    @pytest.fixture(scope="session")
    def reference_server_options():
        return {"auth": "openai", "api_key": "sk-test"}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ._server import RunningServer, serve
from ._state import ReferenceState

__all__ = [
    "reference_server",
    "reference_server_options",
    "reference_server_session",
    "reference_state",
]


@pytest.fixture
def reference_state() -> ReferenceState:
    """A fresh, empty state (seed 0) for one test."""
    return ReferenceState(seed=0)


@pytest.fixture(scope="session")
def reference_server_options() -> dict[str, Any]:
    """Keywords of :func:`~portkey_runs.testing.serve` for the session's server (``auth``,
    ``api_key``, ...); none by default. Override it to change them."""
    return {}


@pytest.fixture(scope="session")
def reference_server_session(reference_server_options: dict[str, Any]) -> Iterator[RunningServer]:
    """The session's reference server on a free loopback port."""
    with serve(**{"event_delay": 0, **reference_server_options}) as server:
        yield server


@pytest.fixture
def reference_server(
    reference_server_session: RunningServer, reference_state: ReferenceState
) -> Iterator[RunningServer]:
    """The reference server, serving ``reference_state`` for this test."""
    app = reference_server_session.app
    app.state.reference = reference_state
    app.state.event_delay = 0
    try:
        yield RunningServer(url=reference_server_session.url, state=reference_state, app=app)
    finally:
        app.state.reference = ReferenceState()
