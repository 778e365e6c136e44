"""End-to-end fixtures: the real Portkey gateway (npm, pinned) in front of the reference server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests._loopback import free_port

ROOT = Path(__file__).resolve().parents[2]
GATEWAY = ROOT / "node_modules" / "@portkey-ai" / "gateway" / "build" / "start-server.js"
STARTUP_TIMEOUT = 60.0


def _accepts(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="session")
def gateway() -> Iterator[str]:
    """The Portkey gateway on a free loopback port; its base URL (``.../v1``)."""
    if not GATEWAY.is_file():
        pytest.fail(f"{GATEWAY} is missing: run `make node` (npm ci) first", pytrace=False)
    port = free_port()
    log = (ROOT / ".pytest-gateway.log").open("wb")
    process = subprocess.Popen(
        ["node", str(GATEWAY), f"--port={port}", "--headless"],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not _accepts(port):
            if process.poll() is not None or time.monotonic() > deadline:
                log.flush()
                output = (ROOT / ".pytest-gateway.log").read_text(errors="replace")[-2000:]
                pytest.fail(f"the Portkey gateway did not start:\n{output}", pytrace=False)
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()
