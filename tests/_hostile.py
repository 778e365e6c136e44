"""A misbehaving HTTP server on 127.0.0.1 for the bounds tests (issue 16).

Where ``tests/_loopback.py`` scripts whole replies, this one scripts *time*: a reply is a head
and a generator of body pieces, each written after its pause; the server stops writing (and
holds every connection open) once the test stops it, so that nothing here ends on its own
before the test does.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterable, Iterator

#: A reply: the raw bytes of the status line and headers (ending in a blank line), then
#: (pause in seconds, bytes) pieces of the body, written in order.
Script = Callable[[], tuple[bytes, Iterable[tuple[float, bytes]]]]


class HostileServer:
    """Accepts connections, reads each request's head, then plays ``script`` on it."""

    def __init__(self, script: Script) -> None:
        self._script = script
        self._stop = threading.Event()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._threads: list[threading.Thread] = []
        self.connections = 0
        self.closed_by_client = threading.Event()

    @property
    def url(self) -> str:
        host, port = self._sock.getsockname()[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> HostileServer:
        thread = threading.Thread(target=self._accept, daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._sock.close()
        for thread in self._threads:
            thread.join(timeout=10)

    def _accept(self) -> None:
        self._sock.settimeout(0.05)
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(10)
            head = b""
            try:
                while b"\r\n\r\n" not in head:
                    data = conn.recv(65536)
                    if not data:
                        return
                    head += data
                status, pieces = self._script()
                if status:
                    conn.sendall(status)
                for pause, piece in pieces:
                    if self._stop.wait(pause):
                        return
                    conn.sendall(piece)
                self._stop.wait()  # the body is over; the connection stays until the end
            except OSError:  # the client went away: what the tests want to see
                self.closed_by_client.set()


def forever(pause: float, piece: bytes) -> Iterator[tuple[float, bytes]]:
    """The same piece after each pause, until the server stops."""
    while True:
        yield pause, piece


def chunk(data: bytes) -> bytes:
    """One chunk of a ``transfer-encoding: chunked`` body."""
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


SSE_HEAD = (
    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
)
JSON_HEAD = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n"
