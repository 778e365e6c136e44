from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from portkey_runs.testing import RunningServer
from portkey_runs.testing.pytest_plugin import (
    reference_server,
    reference_server_options,
    reference_server_session,
    reference_state,
)

from .helpers import HEADERS

__all__ = [
    "reference_server",
    "reference_server_options",
    "reference_server_session",
    "reference_state",
]


@pytest.fixture
def client(reference_server: RunningServer) -> Iterator[httpx.Client]:
    """An httpx client for the reference server, with the Portkey headers set."""
    with httpx.Client(base_url=reference_server.base_url, headers=HEADERS, timeout=10) as client:
        yield client
