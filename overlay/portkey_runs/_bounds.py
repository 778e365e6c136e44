"""The bounds of a call: how much it reads (size caps) and how long it lasts (a deadline).

:class:`Bounds` is pure; the client holds its defaults, a call's options override them, and
:meth:`Bounds.start` fixes the deadline's end when the call starts. The request carries that
end (``EXPIRES_EXTENSION``, a ``time.monotonic()`` value) so that the retrying transport
shortens each attempt's timeouts to what is left and never waits past it; the body readers
(``_http``, ``_streaming``) check it between reads.

:class:`BodyBuffer` counts a body's decoded bytes as they are read, for the sync and the async
reader alike: past the cap it raises (a 2xx answer) or keeps what fits (an error's body).
"""

from __future__ import annotations

import time
from typing import Any

import httpx
from attrs import evolve, frozen

from ._headers import safe_url
from .errors import DeadlineExceededError, ResponseTooLargeError

__all__ = [
    "DEADLINE_EXTENSION",
    "ERROR_BODY_BYTES",
    "EXPIRES_EXTENSION",
    "MAX_EVENT_BYTES",
    "MAX_RESPONSE_BYTES",
    "BodyBuffer",
    "Bounds",
    "check_cap",
    "check_deadline",
    "deadline_error",
    "expired",
    "remaining",
    "shrink_timeouts",
]

#: A non-stream answer's default cap: far above any real page (100 runs with the longest
#: instructions the API allows are about 30 MB).
MAX_RESPONSE_BYTES = 64 * 1024 * 1024
#: One line or one event of a stream, by default.
MAX_EVENT_BYTES = 16 * 1024 * 1024
#: What is read of an error's body (a non-2xx answer), at most; the rest is dropped.
ERROR_BODY_BYTES = 64 * 1024
#: The request extension holding the ``time.monotonic()`` at which the call's deadline passes.
EXPIRES_EXTENSION = "portkey_runs.expires"
#: The request extension holding the deadline itself (seconds), for the error's message.
DEADLINE_EXTENSION = "portkey_runs.deadline"


def check_cap(name: str, value: object) -> None:
    """A size cap, the client's or a call's: an integer > 0, or ``None`` (no cap)."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value <= 0):
        raise ValueError(f"{name} must be a number of bytes > 0 or None, got {value!r}")


def check_deadline(value: object) -> None:
    """A deadline, the client's or a call's: seconds > 0, or ``None`` (none)."""
    if value is not None and (
        isinstance(value, bool) or not isinstance(value, int | float) or not value > 0
    ):
        raise ValueError(f"deadline must be a number of seconds > 0 or None, got {value!r}")


@frozen
class Bounds:
    """The caps and the deadline of a call; ``expires`` is set once it has started."""

    max_response_bytes: int | None = MAX_RESPONSE_BYTES
    max_event_bytes: int | None = MAX_EVENT_BYTES
    deadline: float | None = None
    expires: float | None = None

    def override(self, given: dict[str, Any]) -> Bounds:
        """These bounds with a call's options (already checked) in place."""
        return evolve(self, **given) if given else self

    def start(self, request: dict[str, Any]) -> tuple[Bounds, dict[str, Any]]:
        """The bounds of a call starting now, and its request carrying the deadline's end."""
        if self.deadline is None:
            return self, request
        started = evolve(self, expires=time.monotonic() + self.deadline)
        extensions = {
            **request.get("extensions", {}),
            EXPIRES_EXTENSION: started.expires,
            DEADLINE_EXTENSION: self.deadline,
        }
        return started, {**request, "extensions": extensions}


def remaining(expires: float | None) -> float | None:
    """Seconds left before ``expires`` (never below 0); ``None`` when there is no deadline."""
    return None if expires is None else max(expires - time.monotonic(), 0.0)


def expired(expires: float | None) -> bool:
    return expires is not None and time.monotonic() >= expires


def shrink_timeouts(request: httpx.Request, expires: float | None) -> None:
    """Make every timeout of ``request`` (connect, read, write, pool) end by ``expires``.

    httpcore reads them when each phase starts (the body's read timeout when the body's first
    read starts), so this runs before each attempt and before a body is read.
    """
    left = remaining(expires)
    if left is None:
        return
    timeouts = request.extensions.get("timeout") or {}
    request.extensions["timeout"] = {
        phase: left if timeouts.get(phase) is None else min(timeouts[phase], left)
        for phase in ("connect", "read", "write", "pool")
    }


def deadline_error(request: httpx.Request | None, deadline: float | None) -> DeadlineExceededError:
    """The error of a call whose deadline passed; the message names the option."""
    where = f" ({request.method} {safe_url(request.url, query=False)})" if request else ""
    return DeadlineExceededError(
        f"the call did not finish within its deadline of {deadline} s{where}; "
        "pass a larger deadline= (or None) to the client or the call",
        deadline or 0.0,
    )


class BodyBuffer:
    """A body's decoded chunks, counted as they come: :meth:`add` each, then :attr:`content`.

    ``limit`` ``None``: no cap. Past it, ``truncate=False`` raises ``ResponseTooLargeError``
    (nothing of the body is kept); ``truncate=True`` keeps what fits and reports it is full.
    """

    def __init__(self, limit: int | None, *, truncate: bool = False) -> None:
        self._chunks: list[bytes] = []
        self._size = 0
        self._limit = limit
        self._truncate = truncate

    def add(self, chunk: bytes) -> bool:
        """Take one chunk; ``False`` once the body is full (truncated), so reading stops."""
        self._size += len(chunk)
        limit = self._limit
        if limit is not None and self._size > limit:
            if not self._truncate:
                self._chunks.clear()
                raise ResponseTooLargeError(
                    f"the answer is larger than max_response_bytes={limit} bytes (decoded); "
                    "pass a larger max_response_bytes= (or None) to the client or the call",
                    limit,
                    "max_response_bytes",
                )
            self._chunks.append(chunk[: len(chunk) - (self._size - limit)])
            return False
        self._chunks.append(chunk)
        return True

    @property
    def content(self) -> bytes:
        return b"".join(self._chunks)
