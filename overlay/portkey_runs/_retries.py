"""Retries as an httpx transport: one policy, a sync and an async twin.

The policy (also in the README):

* Retried: connection failures, and responses 408, 409, 429 and 5xx — up to ``max_retries``
  more attempts, with exponential backoff (0.5 s doubling, at most 8 s) and jitter, or the
  server's ``retry-after-ms`` / ``Retry-After`` (seconds or an HTTP date, capped at 60 s).
* ``x-should-retry: true`` makes any response retryable, ``x-should-retry: false`` none.
* A request that is not idempotent (POST, PATCH) is retried only where the server cannot have
  acted on it: the connection was never made, 429, 503 with ``Retry-After``, or
  ``x-should-retry: true``. A read error or a 500 after a POST is not retried, so a tool
  output is never submitted twice.
* A response is handed over once its headers are in; a stream is never retried after that.

Each response carries the number of attempts it took in ``response.extensions["attempts"]``
(see :func:`attempts`).
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from ._headers import redact_headers

__all__ = ["AsyncRetryTransport", "RetryPolicy", "RetryTransport", "attempts"]

logger = logging.getLogger("portkey_runs")

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
RETRYABLE_STATUS = frozenset({408, 409, 429})
# Failures before the request left: the server cannot have acted on it.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def attempts(response: httpx.Response) -> int:
    """How many attempts the retrying transport made for ``response`` (1 when not retried)."""
    value = response.extensions.get("attempts", 1)
    return value if isinstance(value, int) else 1


@dataclass(frozen=True)
class RetryPolicy:
    """When to retry and how long to wait. Pure: no I/O, no clock."""

    max_retries: int = 2
    initial_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0
    jitter: float = 0.25

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, not {self.max_retries}")

    def backoff(self, attempt: int, rand: float) -> float:
        """The delay after failed attempt number ``attempt`` (1-based) with no server hint."""
        delay = min(self.initial_delay * 2.0 ** (attempt - 1), self.max_delay)
        return delay * (1 - self.jitter * rand)

    def server_delay(self, headers: httpx.Headers, now: float) -> float | None:
        """The wait the server asked for, capped; ``None`` when it asked for none."""
        if (ms := headers.get("retry-after-ms")) is not None:
            try:
                return min(max(float(ms) / 1000, 0.0), self.max_retry_after)
            except ValueError:
                pass
        if (value := headers.get("retry-after")) is not None:
            try:
                return min(max(float(value), 0.0), self.max_retry_after)
            except ValueError:
                parsed = email.utils.parsedate_tz(value)
                if parsed is not None:
                    seconds = email.utils.mktime_tz(parsed) - now
                    return min(max(seconds, 0.0), self.max_retry_after)
        return None

    def after_response(
        self, method: str, response: httpx.Response, attempt: int, now: float, rand: float
    ) -> float | None:
        """The delay before retrying, or ``None`` to hand ``response`` to the caller."""
        if attempt > self.max_retries:
            return None
        should = response.headers.get("x-should-retry", "").lower()
        if should == "false":
            return None
        status = response.status_code
        hint = self.server_delay(response.headers, now)
        if should == "true":
            retry = True
        elif method.upper() in IDEMPOTENT:
            retry = status in RETRYABLE_STATUS or status >= 500
        else:
            retry = status == 429 or (status == 503 and hint is not None)
        if not retry:
            return None
        return hint if hint is not None else self.backoff(attempt, rand)

    def after_error(
        self, method: str, error: httpx.TransportError, attempt: int, rand: float
    ) -> float | None:
        """The delay before retrying after a transport error, or ``None`` to raise it."""
        if attempt > self.max_retries:
            return None
        if isinstance(error, NOT_SENT) or method.upper() in IDEMPOTENT:
            return self.backoff(attempt, rand)
        return None


def _log_request(request: httpx.Request, attempt: int) -> None:
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug(
            "HTTP %s %s attempt %d headers=%s",
            request.method,
            request.url,
            attempt,
            redact_headers(
                [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw]
            ),
        )


def _log_outcome(request: httpx.Request, outcome: str, attempt: int, started: float) -> None:
    logger.debug(
        "HTTP %s %s -> %s (attempt %d, %.1f ms)",
        request.method,
        request.url,
        outcome,
        attempt,
        (time.perf_counter() - started) * 1000,
    )


class RetryTransport(httpx.BaseTransport):
    """Wraps a transport and retries per :class:`RetryPolicy`."""

    def __init__(
        self,
        transport: httpx.BaseTransport | None = None,
        policy: RetryPolicy | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self._transport = transport or httpx.HTTPTransport()
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        self._rand = rand

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        attempt = 0
        while True:
            attempt += 1
            started = time.perf_counter()
            _log_request(request, attempt)
            try:
                response = self._transport.handle_request(request)
            except httpx.TransportError as exc:
                _log_outcome(request, type(exc).__name__, attempt, started)
                delay = self.policy.after_error(request.method, exc, attempt, self._rand())
                if delay is None:
                    raise
            else:
                _log_outcome(request, str(response.status_code), attempt, started)
                delay = self.policy.after_response(
                    request.method, response, attempt, time.time(), self._rand()
                )
                if delay is None:
                    response.extensions = {**response.extensions, "attempts": attempt}
                    return response
                response.close()
            logger.debug("retrying %s %s in %.2f s", request.method, request.url, delay)
            self._sleep(delay)

    def close(self) -> None:
        self._transport.close()


class AsyncRetryTransport(httpx.AsyncBaseTransport):
    """The async twin of :class:`RetryTransport`."""

    def __init__(
        self,
        transport: httpx.AsyncBaseTransport | None = None,
        policy: RetryPolicy | None = None,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self._transport = transport or httpx.AsyncHTTPTransport()
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        self._rand = rand

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        attempt = 0
        while True:
            attempt += 1
            started = time.perf_counter()
            _log_request(request, attempt)
            try:
                response = await self._transport.handle_async_request(request)
            except httpx.TransportError as exc:
                _log_outcome(request, type(exc).__name__, attempt, started)
                delay = self.policy.after_error(request.method, exc, attempt, self._rand())
                if delay is None:
                    raise
            else:
                _log_outcome(request, str(response.status_code), attempt, started)
                delay = self.policy.after_response(
                    request.method, response, attempt, time.time(), self._rand()
                )
                if delay is None:
                    response.extensions = {**response.extensions, "attempts": attempt}
                    return response
                await response.aclose()
            logger.debug("retrying %s %s in %.2f s", request.method, request.url, delay)
            await self._sleep(delay)

    async def aclose(self) -> None:
        await self._transport.aclose()
