"""Sending a request and reading its answer: typed errors, bounded reads (size caps and a
deadline, :mod:`._bounds`), and bodies parsed by the spec."""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator, Mapping
from typing import Any

import httpx

from portkey_runs_api.errors import ParseError
from portkey_runs_api.types import json_loads

from ._bounds import (
    ERROR_BODY_BYTES,
    BodyBuffer,
    Bounds,
    deadline_error,
    expired,
    remaining,
    shrink_timeouts,
)
from ._drift import DriftLog, M, read_tolerantly
from .errors import (
    PortkeyError,
    ResponseValidationError,
    StreamError,
    connection_error,
    redact_error,
    request_of,
    status_error,
)

__all__ = [
    "asend",
    "asend_stream",
    "gc_paused",
    "parse",
    "parse_json",
    "send",
    "send_stream",
    "stream_bounds",
]

DEFAULT = Bounds()
#: The response extension holding the bounds a stream reads within.
BOUNDS_EXTENSION = "portkey_runs.bounds"


def _read(response: httpx.Response, bounds: Bounds, *, error: bool) -> None:
    """Read the body of ``response`` into it, its decoded bytes counted against the cap and
    the time against the deadline; an error's body (``error``) is cut at what fits instead."""
    body = BodyBuffer(ERROR_BODY_BYTES if error else bounds.max_response_bytes, truncate=error)
    shrink_timeouts(response.request, bounds.expires)
    for chunk in response.iter_bytes():
        if not body.add(chunk):
            break
        if expired(bounds.expires):
            raise deadline_error(response.request, bounds.deadline)
    response._content = body.content  # where ``response.read()`` keeps it


async def _aread(response: httpx.Response, bounds: Bounds, *, error: bool) -> None:
    body = BodyBuffer(ERROR_BODY_BYTES if error else bounds.max_response_bytes, truncate=error)
    shrink_timeouts(response.request, bounds.expires)
    async for chunk in response.aiter_bytes():
        if not body.add(chunk):
            break
        if expired(bounds.expires):
            raise deadline_error(response.request, bounds.deadline)
    response._content = body.content


def _failure(exc: httpx.HTTPError, bounds: Bounds) -> PortkeyError:
    """The typed error of an httpx failure; a timeout at the deadline is the deadline's."""
    if isinstance(exc, httpx.TimeoutException) and expired(bounds.expires):
        try:
            request: httpx.Request | None = exc.request
        except RuntimeError:
            request = None
        error: PortkeyError = deadline_error(request, bounds.deadline)
        error.__cause__, error.__suppress_context__ = None, True
        return error
    return connection_error(exc)


def send(http: httpx.Client, request: dict[str, Any], bounds: Bounds = DEFAULT) -> httpx.Response:
    """Send a request and read its answer within ``bounds``; a non-2xx answer, a transport
    failure, a body past its cap or a passed deadline raises typed (the connection closed)."""
    bounds, request = bounds.start(request)
    try:
        response = http.send(http.build_request(**request), stream=True)
    except httpx.HTTPError as exc:
        raise _failure(exc, bounds)  # noqa: B904 (it sets its own cause)
    try:
        if response.is_success:
            _read(response, bounds, error=False)
        else:
            _read(response, bounds, error=True)
            raise status_error(response)
    except httpx.HTTPError as exc:
        raise _failure(exc, bounds)  # noqa: B904 (it sets its own cause)
    finally:
        response.close()
    return response


async def asend(
    http: httpx.AsyncClient, request: dict[str, Any], bounds: Bounds = DEFAULT
) -> httpx.Response:
    bounds, request = bounds.start(request)
    if bounds.expires is None:
        return await _asend(http, request, bounds)
    import anyio  # only a call with a deadline needs it

    try:
        with anyio.fail_after(remaining(bounds.expires)):
            return await _asend(http, request, bounds)
    except TimeoutError:
        raise deadline_error(http.build_request(**request), bounds.deadline) from None


async def _asend(
    http: httpx.AsyncClient, request: dict[str, Any], bounds: Bounds
) -> httpx.Response:
    try:
        response = await http.send(http.build_request(**request), stream=True)
    except httpx.HTTPError as exc:
        raise _failure(exc, bounds)  # noqa: B904 (it sets its own cause)
    try:
        if response.is_success:
            await _aread(response, bounds, error=False)
        else:
            await _aread(response, bounds, error=True)
            raise status_error(response)
    except httpx.HTTPError as exc:
        raise _failure(exc, bounds)  # noqa: B904 (it sets its own cause)
    finally:
        await response.aclose()
    return response


def _check_event_stream(response: httpx.Response) -> None:
    content_type = response.headers.get("content-type", "")
    if not content_type.lower().startswith("text/event-stream"):
        raise StreamError(f"expected a text/event-stream answer, got {content_type or 'none'!r}")


def send_stream(
    http: httpx.Client, request: dict[str, Any], bounds: Bounds = DEFAULT
) -> httpx.Response:
    """Send a request whose answer is an event stream; the response with only its headers read.

    A non-2xx answer (its body read, up to a cap) or an answer that is not
    ``text/event-stream`` raises, after closing the response. The stream reads on within
    ``bounds`` (``stream_bounds``).
    """
    bounds, request = bounds.start(request)
    try:
        response = http.send(http.build_request(**request), stream=True)
    except httpx.HTTPError as exc:
        raise _failure(exc, bounds)  # noqa: B904 (it sets its own cause)
    try:
        if not response.is_success:
            try:
                _read(response, bounds, error=True)
            except httpx.HTTPError as exc:
                raise _failure(exc, bounds)  # noqa: B904 (it sets its own cause)
            raise status_error(response)
        _check_event_stream(response)
    except BaseException:
        response.close()
        raise
    response.extensions = {**response.extensions, BOUNDS_EXTENSION: bounds}
    return response


async def asend_stream(
    http: httpx.AsyncClient, request: dict[str, Any], bounds: Bounds = DEFAULT
) -> httpx.Response:
    bounds, request = bounds.start(request)
    if bounds.expires is None:
        return await _asend_stream(http, request, bounds)
    import anyio

    try:
        with anyio.fail_after(remaining(bounds.expires)):
            return await _asend_stream(http, request, bounds)
    except TimeoutError:
        raise deadline_error(http.build_request(**request), bounds.deadline) from None


async def _asend_stream(
    http: httpx.AsyncClient, request: dict[str, Any], bounds: Bounds
) -> httpx.Response:
    try:
        response = await http.send(http.build_request(**request), stream=True)
    except httpx.HTTPError as exc:
        raise _failure(exc, bounds)  # noqa: B904 (it sets its own cause)
    try:
        if not response.is_success:
            try:
                await _aread(response, bounds, error=True)
            except httpx.HTTPError as exc:
                raise _failure(exc, bounds)  # noqa: B904 (it sets its own cause)
            raise status_error(response)
        _check_event_stream(response)
    except BaseException:
        await response.aclose()
        raise
    response.extensions = {**response.extensions, BOUNDS_EXTENSION: bounds}
    return response


def stream_bounds(response: httpx.Response) -> Bounds:
    """The bounds a stream's answer was sent with (the defaults for one sent otherwise)."""
    bounds = response.extensions.get(BOUNDS_EXTENSION)
    return bounds if isinstance(bounds, Bounds) else DEFAULT


def parse(
    model: type[M], data: Any, where: str = "", drift: DriftLog | None = None, eager: bool = False
) -> M:
    """``model.from_dict(data)``, with a contract breach as a ``ResponseValidationError``.

    Its message names the model and the field path, e.g.
    ``Run.required_action.submit_tool_outputs.tool_calls[2].id: missing required property``.
    With a ``drift`` log (a tolerant read), the data is read tolerantly, its departures reported
    to the log, the properties the client does not need typed when first read unless ``eager``
    (see ``_drift``).
    """
    if type(data) is not dict and not isinstance(data, Mapping):
        raise ResponseValidationError(
            f"{where}{model.__name__}: expected a JSON object, got {type(data).__name__}", data
        )
    if drift is not None:
        return read_tolerantly(model, data, where, drift, eager)
    try:
        return model.from_dict(data)
    except ParseError as exc:
        raise ResponseValidationError(f"{where}{exc}", data, exc.location) from exc


_pause_lock = threading.Lock()
_pausing = False


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a body is decoded and parsed.

    A page of runs makes thousands of objects at once, and none of them in a cycle; left on,
    the collector would walk every object alive again and again while they are made (more
    than half the time of a listing). One pause at a time, for the few milliseconds of one
    parse: a parse that starts while another thread's pause is on does not extend it, so that
    the collector is never kept off for long. If the collector was off already, nothing
    changes; the one thing it cannot tell is a ``gc.disable()`` made by other code during
    those milliseconds, which the end of the pause undoes.
    """
    global _pausing
    with _pause_lock:
        owner = not _pausing and gc.isenabled()
        if owner:
            _pausing = True
            gc.disable()
    try:
        yield
    finally:
        if owner:
            with _pause_lock:
                _pausing = False
                gc.enable()


def parse_json(model: type[M], response: httpx.Response, drift: DriftLog | None = None) -> M:
    """The body of a 2xx ``response`` parsed as ``model`` (tolerantly, with a ``drift`` log);
    the body a failure keeps has the secrets the request carried masked (an echo service
    answers 200 with them)."""
    try:
        with gc_paused():
            try:
                data = json_loads(response.content)
            except (ValueError, RecursionError) as exc:  # not JSON or UTF-8, too deep, too long
                status = response.status_code
                raise ResponseValidationError(
                    f"{model.__name__}: the body of a {status} answer is not JSON ({exc})",
                    response.text,
                ) from exc
            return parse(model, data, drift=drift)
    except ResponseValidationError as exc:
        redact_error(exc, request_of(response))
        raise
