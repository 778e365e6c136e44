"""Running the reference server: on a loopback port (uvicorn, in a thread) or in-process."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import uvicorn
from starlette.applications import Starlette

from ._app import DEFAULT_EVENT_DELAY, AuthMode, ConnectionAborted, create_app
from ._state import ReferenceState

__all__ = ["RunningServer", "asgi_transport", "serve"]

_STARTUP_TIMEOUT = 10.0


@dataclass(frozen=True)
class RunningServer:
    """A reference server listening on loopback: where it is, and its state."""

    url: str
    state: ReferenceState
    app: Starlette

    @property
    def base_url(self) -> str:
        """The API's base URL, ``<url>/v1``, to use as a client's base URL."""
        return f"{self.url}/v1"


class _QuietAborts(logging.Filter):
    """Drops uvicorn's report of the connections the app dropped on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, ConnectionAborted)


_QUIET_ABORTS = _QuietAborts()


@contextmanager
def serve(
    state: ReferenceState | None = None,
    *,
    auth: AuthMode = "portkey",
    api_key: str | None = None,
    require_beta: bool = True,
    event_delay: float = DEFAULT_EVENT_DELAY,
    host: str = "127.0.0.1",
    port: int = 0,
) -> Iterator[RunningServer]:
    """Serve the reference server with uvicorn in a background thread while in the block.

    ``port=0`` picks a free port; ``RunningServer.url`` has the real one. An address that
    cannot be bound (a busy port) raises ``OSError`` naming it, before anything runs. On exit
    the server stops and its thread is joined. Streams are sent with chunked transfer, one
    chunk per event. The other options are those of :func:`create_app`.
    """
    app = create_app(
        state, auth=auth, api_key=api_key, require_beta=require_beta, event_delay=event_delay
    )
    listening = listen(host, port)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        http="h11",
        ws="none",
        lifespan="off",
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    logging.getLogger("uvicorn.error").addFilter(_QUIET_ABORTS)
    thread = threading.Thread(
        target=server.run, args=([listening],), name="portkey-runs-reference", daemon=True
    )
    thread.start()
    try:
        deadline = time.monotonic() + _STARTUP_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the reference server did not start on {host}:{port}")
            time.sleep(0.005)
        bound = server.servers[0].sockets[0].getsockname()
        shown = f"[{host}]" if ":" in host else host  # an IPv6 address goes in brackets
        yield RunningServer(url=f"http://{shown}:{bound[1]}", state=app.state.reference, app=app)
    finally:
        server.should_exit = True
        thread.join(timeout=_STARTUP_TIMEOUT)
        if thread.is_alive():  # pragma: no cover - a stuck connection
            server.force_exit = True
            thread.join()
        listening.close()


def listen(host: str, port: int) -> socket.socket:
    """A socket listening on ``host:port``; ``OSError`` naming the address if it cannot be
    (bound here rather than by uvicorn, which reports it in its thread and exits)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family)
    except OSError as exc:
        # create_server adds the address to the system's words: say it once, plainly.
        code = exc.errno
        reason = os.strerror(code) if isinstance(code, int) and code > 0 else str(exc)
        raise OSError(code, f"cannot listen on {host}:{port}: {reason}") from None


def asgi_transport(
    state: ReferenceState | None = None,
    *,
    auth: AuthMode = "portkey",
    api_key: str | None = None,
    require_beta: bool = True,
    event_delay: float = 0.0,
) -> httpx.ASGITransport:
    """The reference server mounted in-process, for ``httpx.AsyncClient(transport=...)``.

    Use ``base_url="http://reference/v1"`` (any host). httpx's ASGI transport collects the
    whole body before answering, so a stream arrives at once (keep ``stream_gate`` unset),
    and ``reset`` / ``cut_stream`` faults raise :class:`ConnectionAborted` at the client.
    """
    app = create_app(
        state, auth=auth, api_key=api_key, require_beta=require_beta, event_delay=event_delay
    )
    return httpx.ASGITransport(app=app)
