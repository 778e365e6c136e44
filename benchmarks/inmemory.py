"""In-memory transports that serve the benchmark's payloads to every contender alike.

One handler answers both operations: ``GET .../runs`` with the page its ``after`` cursor asks
for, ``POST .../submit_tool_outputs`` with the event stream in chunks of 64 KiB (as a socket
read would deliver them). It works for httpx (portkey-runs, portkey-ai, the floors) and httpx2
(the openai SDK 3.x), whose request and response types are alike.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import httpx2

CHUNK = 64 * 1024
BASE_URL = "http://bench.invalid/v1"


def handler(
    pages: dict[str | None, bytes], stream: bytes, module: Any = httpx
) -> Callable[[Any], Any]:
    """A MockTransport handler of ``module`` (httpx or httpx2) over the payloads."""
    json_headers = {"content-type": "application/json"}
    sse_headers = {"content-type": "text/event-stream; charset=utf-8"}

    def handle(request: Any) -> Any:
        if request.method == "GET":
            params = request.url.params
            if params.get("limit") != "100":
                return module.Response(400, json={"error": {"message": "limit must be 100"}})
            return module.Response(200, content=pages[params.get("after")], headers=json_headers)
        chunks = (stream[i : i + CHUNK] for i in range(0, len(stream), CHUNK))
        return module.Response(200, content=chunks, headers=sse_headers)

    return handle


def httpx_transport(pages: dict[str | None, bytes], stream: bytes) -> httpx.MockTransport:
    return httpx.MockTransport(handler(pages, stream, httpx))


def httpx2_transport(pages: dict[str | None, bytes], stream: bytes) -> httpx2.MockTransport:
    return httpx2.MockTransport(handler(pages, stream, httpx2))
