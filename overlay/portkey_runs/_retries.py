"""Retries as an httpx transport: one policy, a sync and an async twin.

The policy (also in the README):

* Retried: connection failures, and responses 408, 409, 429 and 5xx — up to ``max_retries``
  more attempts, with exponential backoff (0.5 s doubling, at most 8 s) and jitter, or the
  server's ``retry-after-ms`` / ``Retry-After`` (seconds or an HTTP date).
* A server that asks for a longer wait than ``max_retry_after`` (60 s by default) is not
  waited for: its answer is handed over at once (the error carries ``retry_after``), as
  openai-python does past its own bound, so that no call sleeps for as long as a server likes.
* ``x-should-retry: true`` makes any error response retryable, ``x-should-retry: false``
  none; an answer below 400 is never retried, whatever it says.
* A request that is not idempotent (POST, PATCH) is retried only where the server cannot have
  acted on it: the connection was never made, 429, 503 with ``Retry-After``, or
  ``x-should-retry: true``. A read error or a 500 after a POST is not retried, so a tool
  output is never submitted twice.
* A response is handed over once its headers are in; a stream is never retried after that.
* A call with a ``deadline=`` (its end in ``request.extensions["portkey_runs.expires"]``):
  each attempt's timeouts end by then, a wait that would pass it is not slept (the last
  answer or error is handed over at once), and an attempt is not started after it
  (``DeadlineExceededError``).

Each response carries the number of attempts it took in ``response.extensions["attempts"]``
(``ResponseMeta.attempts``). A request whose ``extensions`` hold
``"portkey_runs.max_retries"`` (a call's ``max_retries=``) is retried that many times at most
instead of the policy's ``max_retries``.
"""

from __future__ import annotations

import dataclasses
import email.utils
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from ._bounds import (
    DEADLINE_EXTENSION,
    EXPIRES_EXTENSION,
    deadline_error,
    expired,
    remaining,
    shrink_timeouts,
)
from ._headers import redact_headers, safe_url

__all__ = ["MAX_RETRIES_EXTENSION", "AsyncRetryTransport", "RetryPolicy", "RetryTransport"]

logger = logging.getLogger("portkey_runs")

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
RETRYABLE_STATUS = frozenset({408, 409, 429})
# Failures before the request left: the server cannot have acted on it.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# Failures worth another try; others (a header httpx refuses, an unsupported scheme) are not.
TRANSIENT = (httpx.NetworkError, httpx.TimeoutException, httpx.RemoteProtocolError)


#: The request extension that sets one request's ``max_retries``.
MAX_RETRIES_EXTENSION = "portkey_runs.max_retries"


async def _sleep(seconds: float) -> None:
    import anyio  # here, not at import: only a retry of an async request needs it

    await anyio.sleep(seconds)


@dataclass(frozen=True)
class RetryPolicy:
    """When to retry and how long to wait. Pure: no I/O, no clock.

    ``max_retry_after`` is the longest server-directed wait (``Retry-After``,
    ``retry-after-ms``) that is slept; an answer asking for more is not retried.
    """

    max_retries: int = 2
    initial_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0
    jitter: float = 0.25

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, not {self.max_retries}")
        if not self.max_retry_after >= 0:
            raise ValueError(f"max_retry_after must be >= 0, not {self.max_retry_after}")

    def backoff(self, attempt: int, rand: float) -> float:
        """The delay after failed attempt number ``attempt`` (1-based) with no server hint."""
        delay = min(self.initial_delay * 2.0 ** (attempt - 1), self.max_delay)
        return delay * (1 - self.jitter * rand)

    def server_delay(self, headers: httpx.Headers, now: float) -> float | None:
        """The wait the server asked for; ``None`` when it asked for none (or for something
        that is not a finite, non-negative delay)."""
        seconds: float | None = None
        if (ms := headers.get("retry-after-ms")) is not None:
            seconds = _number(ms, scale=1000)
        if seconds is None and (value := headers.get("retry-after")) is not None:
            seconds = _number(value)
            if seconds is None:  # not seconds: maybe an HTTP date
                try:
                    parsed = email.utils.parsedate_tz(value)
                    if parsed is not None:
                        seconds = max(email.utils.mktime_tz(parsed) - now, 0.0)
                except (ValueError, OverflowError):
                    seconds = None
        return seconds

    def after_response(
        self, method: str, response: httpx.Response, attempt: int, now: float, rand: float
    ) -> float | None:
        """The delay before retrying, or ``None`` to hand ``response`` to the caller."""
        status = response.status_code
        if attempt > self.max_retries or status < 400:
            return None  # a success (even with x-should-retry) was acted on: never again
        should = response.headers.get("x-should-retry", "").lower()
        if should == "false":
            return None
        hint = self.server_delay(response.headers, now)
        if should == "true":
            retry = True
        elif method.upper() in IDEMPOTENT:
            retry = status in RETRYABLE_STATUS or status >= 500
        else:
            retry = status == 429 or (status == 503 and hint is not None)
        if not retry or (hint is not None and hint > self.max_retry_after):
            return None  # a server-directed wait past our bound is not slept
        return hint if hint is not None else self.backoff(attempt, rand)

    def after_error(
        self, method: str, error: httpx.TransportError, attempt: int, rand: float
    ) -> float | None:
        """The delay before retrying after a transport error, or ``None`` to raise it."""
        if attempt > self.max_retries or not isinstance(error, TRANSIENT):
            return None
        if isinstance(error, NOT_SENT) or method.upper() in IDEMPOTENT:
            return self.backoff(attempt, rand)
        return None


def _number(text: str, scale: float = 1) -> float | None:
    """A finite, non-negative number of seconds from ``text``, or ``None``."""
    try:
        value = float(text) / scale
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None


def _log_request(request: httpx.Request, attempt: int) -> None:
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug(
            "HTTP %s %s attempt %d headers=%s",
            request.method,
            safe_url(request.url),
            attempt,
            redact_headers(
                [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw]
            ),
        )


def _log_outcome(request: httpx.Request, outcome: str, attempt: int, started: float) -> None:
    if logger.isEnabledFor(logging.DEBUG):  # its safe URL alone costs ~25 us an attempt
        logger.debug(
            "HTTP %s %s -> %s (attempt %d, %.1f ms)",
            request.method,
            safe_url(request.url),
            outcome,
            attempt,
            (time.perf_counter() - started) * 1000,
        )


class _Retrying:
    """What both transports share: the policy, the log lines, the attempt count."""

    policy: RetryPolicy
    _rand: Callable[[], float]

    def _policy(self, request: httpx.Request) -> RetryPolicy:
        retries = request.extensions.get(MAX_RETRIES_EXTENSION)
        if isinstance(retries, int) and retries != self.policy.max_retries:
            return dataclasses.replace(self.policy, max_retries=retries)
        return self.policy

    def _delay_after_error(
        self, request: httpx.Request, error: httpx.TransportError, attempt: int, started: float
    ) -> float | None:
        _log_outcome(request, type(error).__name__, attempt, started)
        return self._policy(request).after_error(request.method, error, attempt, self._rand())

    def _delay_after_response(
        self, request: httpx.Request, response: httpx.Response, attempt: int, started: float
    ) -> float | None:
        """The delay before the next attempt, or ``None``: then ``response`` is the answer."""
        _log_outcome(request, str(response.status_code), attempt, started)
        delay = self._policy(request).after_response(
            request.method, response, attempt, time.time(), self._rand()
        )
        if delay is None:
            self._hand_over(response, attempt)
        return delay

    @staticmethod
    def _hand_over(response: httpx.Response, attempt: int) -> None:
        """Mark ``response`` as the answer, after ``attempt`` attempts."""
        response.extensions = {**response.extensions, "attempts": attempt}


def _before_attempt(request: httpx.Request, expires: float | None) -> None:
    """With a deadline: no attempt after it, and each attempt's timeouts end by it."""
    if expires is not None:
        if expired(expires):
            raise deadline_error(request, request.extensions.get(DEADLINE_EXTENSION))
        shrink_timeouts(request, expires)


def _past(expires: float | None, delay: float) -> bool:
    """Whether waiting ``delay`` seconds would end past the deadline."""
    left = remaining(expires)
    return left is not None and delay >= left


def _log_retry(request: httpx.Request, delay: float) -> None:
    logger.debug("retrying %s %s in %.2f s", request.method, safe_url(request.url), delay)


class RetryTransport(_Retrying, httpx.BaseTransport):
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
        expires = request.extensions.get(EXPIRES_EXTENSION)
        while True:
            attempt += 1
            started = time.perf_counter()
            _log_request(request, attempt)
            _before_attempt(request, expires)
            try:
                response = self._transport.handle_request(request)
            except httpx.TransportError as exc:
                delay = self._delay_after_error(request, exc, attempt, started)
                if delay is None or _past(expires, delay):
                    raise
            else:
                try:
                    delay = self._delay_after_response(request, response, attempt, started)
                    if delay is not None and _past(expires, delay):
                        delay = self._hand_over(response, attempt)
                except BaseException:
                    response.close()  # never leak the connection
                    raise
                if delay is None:
                    return response
                response.close()
            _log_retry(request, delay)
            self._sleep(delay)

    def close(self) -> None:
        self._transport.close()


class AsyncRetryTransport(_Retrying, httpx.AsyncBaseTransport):
    """The async twin of :class:`RetryTransport`."""

    def __init__(
        self,
        transport: httpx.AsyncBaseTransport | None = None,
        policy: RetryPolicy | None = None,
        *,
        sleep: Callable[[float], Awaitable[None]] = _sleep,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self._transport = transport or httpx.AsyncHTTPTransport()
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        self._rand = rand

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        attempt = 0
        expires = request.extensions.get(EXPIRES_EXTENSION)
        while True:
            attempt += 1
            started = time.perf_counter()
            _log_request(request, attempt)
            _before_attempt(request, expires)
            try:
                response = await self._transport.handle_async_request(request)
            except httpx.TransportError as exc:
                delay = self._delay_after_error(request, exc, attempt, started)
                if delay is None or _past(expires, delay):
                    raise
            else:
                try:
                    delay = self._delay_after_response(request, response, attempt, started)
                    if delay is not None and _past(expires, delay):
                        delay = self._hand_over(response, attempt)
                except BaseException:
                    await response.aclose()
                    raise
                if delay is None:
                    return response
                await response.aclose()
            _log_retry(request, delay)
            await self._sleep(delay)

    async def aclose(self) -> None:
        await self._transport.aclose()
