"""What an answer says besides its body: request and trace ids, Portkey headers, the raw answer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import httpx

from portkey_runs_api.spec_facts import SECURITY_HEADERS

from ._headers import redact_headers

__all__ = ["RawResponse", "ResponseMeta"]

T = TypeVar("T")


def _count(value: str | None) -> int | None:
    """A header's count, or ``None`` when it holds none (not digits, or too many to convert:
    Python refuses more than 4,300)."""
    if value is None or not value.isascii() or not value.isdigit():
        return None
    try:
        return int(value)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class ResponseMeta:
    """The headers of one answer that tell what happened to the request.

    ``request_id`` is the provider's ``x-request-id`` (quote it to support); the others are
    the Portkey gateway's: ``trace_id`` (``x-portkey-trace-id``: yours if you sent one, else
    the gateway's), ``cache_status`` (``HIT``, ``MISS``, ``DISABLED``...), ``retry_attempt_count``
    (how many times the gateway retried upstream), ``provider``. Each is ``None`` when the
    answer did not carry it. ``attempts`` is how many attempts this client made (1 unless it
    retried); ``headers`` all the response headers (their repr hides cookies and secrets).
    """

    request_id: str | None
    trace_id: str | None
    cache_status: str | None
    retry_attempt_count: int | None
    provider: str | None
    attempts: int
    headers: httpx.Headers = field(compare=False)

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{name}={getattr(self, name)!r}"
            for name in ("request_id", "trace_id", "cache_status", "retry_attempt_count")
        )
        headers = redact_headers(dict(self.headers.items()))
        return (
            f"ResponseMeta({shown}, provider={self.provider!r}, attempts={self.attempts}, "
            f"headers={headers!r})"
        )

    @classmethod
    def of(cls, response: httpx.Response) -> ResponseMeta:
        headers = response.headers
        attempts = response.extensions.get("attempts", 1)
        return cls(
            request_id=headers.get("x-request-id"),
            trace_id=headers.get("x-portkey-trace-id"),
            cache_status=headers.get("x-portkey-cache-status"),
            retry_attempt_count=_count(headers.get("x-portkey-retry-attempt-count")),
            provider=headers.get(SECURITY_HEADERS["PortkeyProvider"]),
            attempts=attempts if isinstance(attempts, int) else 1,
            headers=httpx.Headers(headers),
        )


class RawResponse(Generic[T]):
    """An answer as it arrived, from ``client.runs.with_raw_response.<method>(...)``.

    ``status_code``, ``headers`` and ``meta`` are read without parsing the body;
    ``parse()`` gives what the method itself returns (parsed once, then kept). A non-2xx
    answer raises its typed error before a ``RawResponse`` is made, as the method does.
    """

    def __init__(self, response: httpx.Response, parse: Callable[[], T]) -> None:
        self.http_response = response
        self.meta = ResponseMeta.of(response)
        self._parse = parse
        self._parsed: list[T] = []

    @property
    def status_code(self) -> int:
        return self.http_response.status_code

    @property
    def headers(self) -> httpx.Headers:
        return self.http_response.headers

    def parse(self) -> T:
        """The parsed body; ``ResponseValidationError`` if it breaks the contract."""
        if not self._parsed:
            self._parsed.append(self._parse())
        return self._parsed[0]

    def __repr__(self) -> str:
        request = self.http_response.request
        return f"<RawResponse [{self.status_code}] {request.method} {request.url.path}>"
