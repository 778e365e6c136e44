"""The reference server as an ASGI application (Starlette), mounted under ``/v1``.

Every request passes the front door first: it is recorded, its fault (the
``x-reference-fault`` header, else the next queued fault of the state) is applied, then the
credentials and the ``OpenAI-Beta`` header are checked. Only then is it routed to
``GET /v1/threads/{thread_id}/runs`` or
``POST /v1/threads/{thread_id}/runs/{run_id}/submit_tool_outputs``.

Authentication modes (``auth=``):

- ``"portkey"`` (default): ``x-portkey-api-key`` must be present and non-empty, else 401.
  The real gateway also needs one way of reaching the provider (``x-portkey-virtual-key``,
  ``x-portkey-provider`` with ``Authorization``, or ``x-portkey-config``); this server does
  not check that, so a test may send only the API key.
- ``"openai"``: the provider as it sits behind the gateway: ``Authorization: Bearer <key>``
  with any non-empty key, else 401.
- ``"none"``: no credentials checked.

With ``api_key=`` set, only that key (the Portkey key, or the bearer token in ``"openai"``
mode) is accepted; any other is a 401 ``invalid_api_key``.

``OpenAI-Beta``: a value other than ``assistants=v2`` is always a 400, as upstream. Its
absence is a 400 too (OpenAI requires the header), unless ``require_beta=False``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections.abc import Mapping
from typing import Any, Literal

import httpx
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.datastructures import Headers, QueryParams
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ._faults import Fault, parse_fault
from ._state import JSON, APIError, RecordedRequest, ReferenceState
from ._wire import SubmitToolOutputsRunRequest, ThreadsThreadIdRunsGetParametersQuery

__all__ = ["DEFAULT_EVENT_DELAY", "FAULT_HEADER", "AuthMode", "ConnectionAborted", "create_app"]

AuthMode = Literal["portkey", "openai", "none"]
FAULT_HEADER = "x-reference-fault"
#: Seconds between two events of a stream.
DEFAULT_EVENT_DELAY = 0.02
_FAULT_SCOPE_KEY = "portkey_runs.testing.fault"
_GATE_TIMEOUT = 30.0
_HTML_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)
_STATUS_ERRORS: dict[int, tuple[str, str, str | None]] = {
    429: ("Rate limit reached for requests", "requests", "rate_limit_exceeded"),
    500: (
        "The server had an error while processing your request. Sorry about that!",
        "server_error",
        None,
    ),
    502: ("Bad gateway.", "server_error", None),
    503: ("The server is overloaded or not ready yet.", "server_error", None),
}


class ConnectionAborted(httpx.RemoteProtocolError):
    """Raised by the app to drop a connection on purpose (``reset``, ``cut_stream``).

    Over uvicorn the client sees the connection closed; mounted in-process through
    ``httpx.ASGITransport`` the client gets this exception (an ``httpx.RemoteProtocolError``).
    """


def create_app(
    state: ReferenceState | None = None,
    *,
    auth: AuthMode = "portkey",
    api_key: str | None = None,
    require_beta: bool = True,
    event_delay: float = DEFAULT_EVENT_DELAY,
) -> Starlette:
    """The reference server over ``state`` (a fresh one if not given).

    ``event_delay`` is the pause between two events of a stream (0 allowed). The app reads
    ``app.state.reference`` (the :class:`ReferenceState`) and ``app.state.event_delay`` on
    every request, so both may be replaced while it runs.
    """
    if auth not in ("portkey", "openai", "none"):
        raise ValueError(f"auth must be 'portkey', 'openai' or 'none', not {auth!r}")
    if api_key is not None and (not api_key or api_key != api_key.strip()):
        # A key is read stripped from its header: this one would refuse every request. (The
        # message does not quote it: it is a credential.)
        raise ValueError("api_key must be a non-empty key without spaces around it")
    if event_delay < 0:
        raise ValueError("event_delay must not be negative")
    reference = state if state is not None else ReferenceState()

    async def list_runs(request: Request) -> Response:
        fault = _fault_of(request)
        try:
            query = _list_query(request.query_params)
            page = _state_of(request.scope).list_runs(
                request.path_params["thread_id"],
                limit=query.limit,
                order="desc" if query.order is None else query.order.value,
                after=query.after,
                before=query.before,
            )
        except APIError as error:
            return _error(error)
        if fault.unknown_status is not None and page["data"]:
            page["data"][0] = {**page["data"][0], "status": fault.unknown_status}
        return _json(page, malformed=fault.malformed_json)

    async def submit_tool_outputs(request: Request) -> Response | _EventStream:
        fault = _fault_of(request)
        try:
            body = _submit_body(await request.body())
            state = _state_of(request.scope)
            submission = state.submit_tool_outputs(
                request.path_params["thread_id"],
                request.path_params["run_id"],
                body,
                outcome="fail"
                if fault.run_fails
                else "expire"
                if fault.run_expires
                else "continue",
                bad_arguments=fault.bad_arguments,
            )
        except APIError as error:
            return _error(error)
        if body.stream:
            delay = request.app.state.event_delay
            return _EventStream(submission.events, fault, state, delay)
        run = submission.run
        if fault.unknown_status is not None:
            run = {**run, "status": fault.unknown_status}
        return _json(run, malformed=fault.malformed_json)

    routes = [
        Mount(
            "/v1",
            routes=[
                Route("/threads/{thread_id}/runs", list_runs, methods=["GET"]),
                Route(
                    "/threads/{thread_id}/runs/{run_id}/submit_tool_outputs",
                    submit_tool_outputs,
                    methods=["POST"],
                ),
            ],
        )
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(_FrontDoor, auth=auth, api_key=api_key, require_beta=require_beta)],
        exception_handlers={HTTPException: _http_error},
    )
    app.state.reference = reference
    app.state.event_delay = event_delay
    return app


class _FrontDoor:
    """Records the request, applies its fault, checks credentials and ``OpenAI-Beta``."""

    def __init__(
        self, app: ASGIApp, *, auth: AuthMode, api_key: str | None, require_beta: bool
    ) -> None:
        self.app = app
        self.auth = auth
        self.api_key = api_key
        self.require_beta = require_beta

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        state = _state_of(scope)
        state.record(
            RecordedRequest(
                method=scope["method"],
                path=scope["path"],
                query=scope["query_string"].decode("latin-1"),
                headers=dict(headers.items()),
            )
        )
        spec = headers.get(FAULT_HEADER)
        try:
            fault = (parse_fault(spec) if spec is not None else state.next_fault()) or Fault()
        except ValueError as exc:
            response = _error(APIError(400, f"Invalid {FAULT_HEADER}: {exc}.", param=FAULT_HEADER))
            await response(scope, receive, send)
            return
        if fault.latency:
            await asyncio.sleep(fault.latency)
        send = _adding_headers(send, fault, _answer_headers(state, headers, self.auth))
        if fault.reset:
            await _reset(send)
        refusal = _injected(fault) or self._refusal(headers)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        scope[_FAULT_SCOPE_KEY] = fault
        await self.app(scope, receive, send)

    def _refusal(self, headers: Headers) -> Response | None:
        return self._unauthorized(headers) or self._bad_beta(headers)

    def _unauthorized(self, headers: Headers) -> Response | None:
        if self.auth == "portkey":
            key = headers.get("x-portkey-api-key", "").strip()
            if not key:
                message = (
                    "Missing API Key: send your Portkey API key in the x-portkey-api-key header."
                )
                return _error(APIError(401, message, code="invalid_api_key"))
        elif self.auth == "openai":
            scheme, _, key = headers.get("authorization", "").partition(" ")
            key = key.strip() if scheme.lower() == "bearer" else ""
            if not key:
                message = (
                    "You didn't provide an API key. You need to provide your API key in an "
                    "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
                )
                return _error(APIError(401, message))
        else:
            return None
        if self.api_key is not None and key != self.api_key:
            return _error(APIError(401, "Invalid API Key.", code="invalid_api_key"))
        return None

    def _bad_beta(self, headers: Headers) -> Response | None:
        beta = headers.get("openai-beta")
        if beta is None and self.require_beta:
            return _error(
                APIError(
                    400,
                    "You must provide the 'OpenAI-Beta' header to access the Assistants API. "
                    "Please try again by setting the header 'OpenAI-Beta: assistants=v2'.",
                    code="invalid_beta",
                )
            )
        if beta is not None and beta.strip() != "assistants=v2":
            return _error(
                APIError(
                    400,
                    f"Invalid 'OpenAI-Beta' header {beta!r}: this API needs "
                    "'OpenAI-Beta: assistants=v2'.",
                    code="invalid_beta",
                )
            )
        return None


class _EventStream:
    """A ``text/event-stream`` answer, sent event by event as chunks of a chunked body."""

    def __init__(
        self,
        events: list[tuple[str, JSON | str]],
        fault: Fault,
        state: ReferenceState,
        delay: float,
    ) -> None:
        self.frames = _frames(events, fault)
        self.cut = None if fault.cut_stream is None else min(fault.cut_stream, len(self.frames))
        self.state = state
        self.delay = delay

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        gone = asyncio.Event()  # the client hung up: stop sending, and do not count the stream

        async def watch() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            gone.set()
            self.state.hangups += 1

        watcher = asyncio.create_task(watch())
        try:
            await self._send(send, gone)
        finally:
            watcher.cancel()

    async def _send(self, send: Send, gone: asyncio.Event) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"text/event-stream; charset=utf-8"),
                    (b"cache-control", b"no-cache"),
                ],
            }
        )
        for number, frame in enumerate(self.frames, start=1):
            if number == 2:
                await self._wait_for_gate(gone)
            if number > 1:
                # Even with no delay, let the loop run: it is how a hang-up is noticed, so that
                # nothing more is written to a closed socket (which asyncio would log).
                await asyncio.sleep(self.delay)
            if gone.is_set():
                return
            if number == self.cut:
                await send({"type": "http.response.body", "body": _half(frame), "more_body": True})
                raise ConnectionAborted(f"stream cut in event {number} (fault cut_stream)")
            await send({"type": "http.response.body", "body": frame, "more_body": True})
        if gone.is_set():
            return
        self.state.finished_streams += 1  # before the end, which the client may be waiting for
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _wait_for_gate(self, gone: asyncio.Event) -> None:
        gate = self.state.stream_gate
        deadline = time.monotonic() + _GATE_TIMEOUT
        while (
            gate is not None
            and not gate.is_set()
            and not gone.is_set()
            and time.monotonic() < deadline
        ):
            await asyncio.sleep(0.005)


def _frames(events: list[tuple[str, JSON | str]], fault: Fault) -> list[bytes]:
    """The SSE frames of ``events``, with the fault's unknown event, status, broken JSON or
    error event."""
    events = list(events)
    if fault.stream_error is not None:  # the API's words for a failure mid-stream, then the end
        error = APIError(500, _STATUS_ERRORS[500][0], type="server_error").body()["error"]
        events = [*events[: min(fault.stream_error, len(events)) - 1], ("error", error)]
    if fault.unknown_status is not None:
        for index, (name, data) in enumerate(events):
            if _is_run_event(name) and isinstance(data, dict):
                events[index] = (name, {**data, "status": fault.unknown_status})
                break
    if fault.unknown_event is not None:
        index = next((i for i, (name, _) in enumerate(events) if _is_run_event(name)), 0)
        events.insert(index + 1, (fault.unknown_event, events[index][1]))
    frames = []
    for number, (name, data) in enumerate(events, start=1):
        text = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
        if number == 1 and fault.malformed_json:
            text = text[: len(text) // 2]
        frames.append(f"event: {name}\ndata: {text}\n\n".encode())
    return frames


def _is_run_event(name: str) -> bool:
    return name.startswith("thread.run.") and not name.startswith("thread.run.step.")


def _half(frame: bytes) -> bytes:
    """``frame`` cut in the middle of its ``data:`` line."""
    start = frame.index(b"data: ") + len(b"data: ")
    end = frame.index(b"\n", start)
    return frame[: start + max(1, (end - start) // 2)]


async def _reset(send: Send) -> None:
    """Close the connection without answering.

    uvicorn marks the response as started, then h11 refuses the header value, so nothing is
    written; the exception that follows makes uvicorn close the connection, and the client
    sees the server disconnect without a response.
    """
    with contextlib.suppress(Exception):  # the refusal is the point
        await send(
            {
                "type": "http.response.start",
                "status": 500,
                "headers": [(b"x-reference-fault", b"reset\r\n")],
            }
        )
    raise ConnectionAborted("connection reset (fault reset)")


def _answer_headers(
    state: ReferenceState, request: Headers, auth: AuthMode
) -> list[tuple[bytes, bytes]]:
    """What every answer carries: a new ``x-request-id``, as the provider sends it; and, unless
    the server plays the provider behind a gateway (``auth="openai"``), the gateway's
    ``x-portkey-trace-id``: the request's own, or a new one when it sent none."""
    headers = [(b"x-request-id", state.new_id("req").encode())]
    if auth != "openai":
        trace_id = request.get("x-portkey-trace-id") or state.new_id("trace")
        headers.append((b"x-portkey-trace-id", trace_id.encode("latin-1")))
    return headers


def _adding_headers(send: Send, fault: Fault, extra: list[tuple[bytes, bytes]]) -> Send:
    extra = list(extra)
    if fault.retry_after is not None:
        extra.append((b"retry-after", fault.retry_after.encode("latin-1")))
    if fault.should_retry is not None:
        extra.append((b"x-should-retry", b"true" if fault.should_retry else b"false"))

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *extra]}
        await send(message)

    return wrapped


def _injected(fault: Fault) -> Response | None:
    if fault.html502:
        return HTMLResponse(_HTML_502, status_code=502)
    if fault.status is None:
        return None
    message, kind, code = _STATUS_ERRORS.get(
        fault.status,
        (
            f"Injected error {fault.status}.",
            "server_error" if fault.status >= 500 else "invalid_request_error",
            None,
        ),
    )
    return _error(APIError(fault.status, message, type=kind, code=code))


def _state_of(scope: Scope) -> ReferenceState:
    state = scope["app"].state.reference
    assert isinstance(state, ReferenceState)
    return state


def _fault_of(request: Request) -> Fault:
    fault = request.scope.get(_FAULT_SCOPE_KEY)
    return fault if isinstance(fault, Fault) else Fault()


def _json(payload: Any, *, status: int = 200, malformed: bool = False) -> Response:
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    if malformed:
        body = body[: len(body) // 2]
    return Response(body, status_code=status, media_type="application/json")


def _error(error: APIError) -> Response:
    return _json(error.body(), status=error.status)


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    headers: Mapping[str, str] = (exc.headers if isinstance(exc, HTTPException) else None) or {}
    target = f"{request.method} {request.url.path}"
    if status == 404:
        message = f"Invalid URL ({target})."
    elif status == 405:
        message = f"Method not allowed ({target})."
    else:
        message = str(exc.detail) if isinstance(exc, HTTPException) else "Server error."
    response = _error(APIError(status, message))
    response.headers.update(headers)
    return response


def _list_query(params: QueryParams) -> ThreadsThreadIdRunsGetParametersQuery:
    raw: dict[str, object] = {}
    for name in ("limit", "order", "after", "before"):
        value = params.get(name)
        if value is None:
            continue
        if name == "limit":
            if not re.fullmatch(r"-?[0-9]{1,20}", value):
                raise APIError(
                    400,
                    f"Invalid 'limit': expected an integer, but got {value!r} instead.",
                    param="limit",
                    code="invalid_type",
                )
            raw[name] = int(value)
        else:
            raw[name] = value
    try:
        return ThreadsThreadIdRunsGetParametersQuery.model_validate(raw)
    except ValidationError as exc:
        raise _invalid(exc, raw) from None


def _invalid(exc: ValidationError, raw: Mapping[str, object]) -> APIError:
    error = exc.errors()[0]
    param = str(error["loc"][0])
    value = raw.get(param)
    if error["type"] == "greater_than_equal":
        return APIError(
            400,
            f"Invalid '{param}': integer below minimum value. Expected a value >= 1, "
            f"but got {value} instead.",
            param=param,
            code="integer_below_min_value",
        )
    if error["type"] == "less_than_equal":
        return APIError(
            400,
            f"Invalid '{param}': integer above maximum value. Expected a value <= 100, "
            f"but got {value} instead.",
            param=param,
            code="integer_above_max_value",
        )
    return APIError(
        400,
        f"Invalid value for '{param}': {error['msg']} (got {value!r}).",
        param=param,
        code="invalid_value",
    )


def _submit_body(body: bytes) -> SubmitToolOutputsRunRequest:
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        raise APIError(
            400,
            "We could not parse the JSON body of your request. (HINT: This likely means you "
            "aren't using your HTTP library correctly. The API expects a JSON payload.)",
        ) from None
    try:
        return SubmitToolOutputsRunRequest.model_validate(payload)
    except ValidationError as exc:
        error = exc.errors()[0]
        param = _param(error["loc"])
        if not param:
            raise APIError(400, "Invalid request body: expected a JSON object.") from None
        if error["type"] == "missing":
            message = f"Missing required parameter: '{param}'."
            code = "missing_required_parameter"
        elif error["type"] == "extra_forbidden":
            message = f"Unrecognized request argument supplied: {param}"
            code = "unknown_parameter"
        else:
            message = f"Invalid type for '{param}': {error['msg']}."
            code = "invalid_type"
        raise APIError(400, message, param=param, code=code) from None


def _param(loc: tuple[int | str, ...]) -> str:
    """A pydantic location as the API names parameters: ``tool_outputs[0].output``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text
