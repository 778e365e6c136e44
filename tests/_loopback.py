"""A tiny scripted HTTP server on 127.0.0.1 for wire-level tests.

It records every request it receives (method, path, query, headers, body) and answers from
a queue of scripted replies, so a test can assert exactly what crossed the wire. Replies can
be sent in chunks with a gate between them, so streaming tests never depend on timing.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

#: A list page with no runs and nothing after it.
EMPTY_PAGE: dict[str, Any] = {
    "object": "list",
    "data": [],
    "first_id": None,
    "last_id": None,
    "has_more": False,
}


def connection_pool(http: Any) -> Any:
    """The connection pool under an httpx client's transports (the retries, the tracing)."""
    transport = http._transport
    while not hasattr(transport, "_pool"):
        transport = transport._transport
    return transport._pool


def free_port() -> int:
    """A loopback port nothing listens on (free now; a connection to it is refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@dataclass
class Recorded:
    method: str
    raw_path: str
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return urlsplit(self.raw_path).path

    @property
    def query(self) -> list[tuple[str, str]]:
        return parse_qsl(urlsplit(self.raw_path).query, keep_blank_values=True)

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Reply:
    status: int = 200
    body: bytes | list[bytes] = b""
    headers: dict[str, str] = field(default_factory=dict)
    # Set between chunks of a chunked reply: the server waits for it before sending the next.
    gates: list[threading.Event] = field(default_factory=list)
    # Close the connection without answering (a reset from the client's point of view).
    drop: bool = False
    # End a chunked reply by closing the connection instead of sending the last chunk.
    cut: bool = False
    # Whether each gate opened (True) or timed out (False), in order.
    opened: list[bool] = field(default_factory=list)

    @classmethod
    def json(cls, data: Any, status: int = 200, **headers: str) -> Reply:
        return cls(
            status, json.dumps(data).encode(), {"content-type": "application/json", **headers}
        )


class LoopbackServer:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.replies: list[Reply] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                with server._lock:
                    server.requests.append(
                        Recorded(
                            self.command,
                            self.path,
                            {k.lower(): v for k, v in self.headers.items()},
                            body,
                        )
                    )
                    reply = server.replies.pop(0) if server.replies else Reply(404, b"")
                if reply.drop:
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if isinstance(reply.body, list):
                    self.send_header("transfer-encoding", "chunked")
                    self.end_headers()
                    try:
                        for index, chunk in enumerate(reply.body):
                            if index < len(reply.gates):
                                reply.opened.append(reply.gates[index].wait(timeout=10))
                            self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                            self.wfile.flush()
                    except (BrokenPipeError, ConnectionResetError):
                        self.close_connection = True
                        return  # the client went away: that is what some tests check
                    if reply.cut:
                        self.close_connection = True
                        self.connection.shutdown(2)
                        return
                    self.wfile.write(b"0\r\n\r\n")
                else:
                    self.send_header("content-length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a dropped connection is scripted, not a failure of the server

        self._httpd = Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> LoopbackServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=10)


def serve() -> Iterator[LoopbackServer]:
    server = LoopbackServer().start()
    try:
        yield server
    finally:
        server.stop()
