"""Sending a request and reading its answer: typed errors, and bodies parsed by the spec."""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator, Mapping
from typing import Any

import httpx

from portkey_runs_api.errors import ParseError
from portkey_runs_api.types import json_loads

from ._drift import DriftLog, M, read_tolerantly
from .errors import (
    ResponseValidationError,
    StreamError,
    connection_error,
    redact_error,
    request_of,
    status_error,
)

__all__ = ["asend", "asend_stream", "gc_paused", "parse", "parse_json", "send", "send_stream"]


def send(http: httpx.Client, request: dict[str, Any]) -> httpx.Response:
    """Send and read a request; a non-2xx answer or a transport failure raises typed."""
    try:
        response = http.request(**request)
    except httpx.HTTPError as exc:
        raise connection_error(exc)  # noqa: B904 (it sets its own cause)
    if not response.is_success:
        raise status_error(response)
    return response


async def asend(http: httpx.AsyncClient, request: dict[str, Any]) -> httpx.Response:
    try:
        response = await http.request(**request)
    except httpx.HTTPError as exc:
        raise connection_error(exc)  # noqa: B904 (it sets its own cause)
    if not response.is_success:
        raise status_error(response)
    return response


def _check_event_stream(response: httpx.Response) -> None:
    content_type = response.headers.get("content-type", "")
    if not content_type.lower().startswith("text/event-stream"):
        raise StreamError(f"expected a text/event-stream answer, got {content_type or 'none'!r}")


def send_stream(http: httpx.Client, request: dict[str, Any]) -> httpx.Response:
    """Send a request whose answer is an event stream; the response with only its headers read.

    A non-2xx answer (its body read) or an answer that is not ``text/event-stream`` raises,
    after closing the response.
    """
    try:
        response = http.send(http.build_request(**request), stream=True)
    except httpx.HTTPError as exc:
        raise connection_error(exc)  # noqa: B904 (it sets its own cause)
    try:
        if not response.is_success:
            try:
                response.read()
            except httpx.HTTPError as exc:
                raise connection_error(exc)  # noqa: B904 (it sets its own cause)
            raise status_error(response)
        _check_event_stream(response)
    except BaseException:
        response.close()
        raise
    return response


async def asend_stream(http: httpx.AsyncClient, request: dict[str, Any]) -> httpx.Response:
    try:
        response = await http.send(http.build_request(**request), stream=True)
    except httpx.HTTPError as exc:
        raise connection_error(exc)  # noqa: B904 (it sets its own cause)
    try:
        if not response.is_success:
            try:
                await response.aread()
            except httpx.HTTPError as exc:
                raise connection_error(exc)  # noqa: B904 (it sets its own cause)
            raise status_error(response)
        _check_event_stream(response)
    except BaseException:
        await response.aclose()
        raise
    return response


def parse(model: type[M], data: Any, where: str = "", drift: DriftLog | None = None) -> M:
    """``model.from_dict(data)``, with a contract breach as a ``ResponseValidationError``.

    Its message names the model and the field path, e.g.
    ``Run.required_action.submit_tool_outputs.tool_calls[2].id: missing required property``.
    With a ``drift`` log (a tolerant read), data that fails the strict read is read again
    tolerantly, its departures reported to the log (see ``_drift``).
    """
    if type(data) is not dict and not isinstance(data, Mapping):
        raise ResponseValidationError(
            f"{where}{model.__name__}: expected a JSON object, got {type(data).__name__}", data
        )
    try:
        return model.from_dict(data)
    except ParseError as exc:
        if drift is None:
            raise ResponseValidationError(f"{where}{exc}", data, exc.location) from exc
    return read_tolerantly(model, data, where, drift)


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
