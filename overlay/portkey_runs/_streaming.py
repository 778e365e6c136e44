"""Submitting tool outputs: a Run back, or a stream of typed events as they arrive.

Decoding (SSE bytes → typed events) is pure and shared; :class:`RunStream` and
:class:`AsyncRunStream` only differ in how they read the connection.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, Generic, TypeVar

import httpx
from attrs import frozen

from portkey_runs_api import Client
from portkey_runs_api.models import Message, MessageDelta, Run, RunStep, RunStepDelta

from ._calls import ToolOutputLike, asend, parse, parse_response, send, submit_request
from ._sse import ServerSentEvent, SSEDecoder
from .errors import StreamError, connection_error, error_object, status_error

__all__ = [
    "AsyncRunStream",
    "IncompleteStreamError",
    "RunStream",
    "StreamEvent",
    "UnknownEvent",
    "astream_tool_outputs",
    "asubmit_tool_outputs",
    "stream_tool_outputs",
    "submit_tool_outputs",
]

T = TypeVar("T")


@frozen
class StreamEvent(Generic[T]):
    """One event of a run's stream: ``event`` is its SSE name, ``data`` the parsed model."""

    event: str
    data: T


@frozen
class UnknownEvent:
    """An event whose name this client does not know: ``data`` is the raw JSON, unparsed."""

    event: str
    data: Any


AnyEvent = (
    StreamEvent[Run]
    | StreamEvent[RunStep]
    | StreamEvent[RunStepDelta]
    | StreamEvent[Message]
    | StreamEvent[MessageDelta]
    | UnknownEvent
)


class IncompleteStreamError(StreamError):
    """The stream ended (or broke) before its ``done`` event."""


_RUN_EVENTS = [
    "created",
    "queued",
    "in_progress",
    "requires_action",
    "completed",
    "incomplete",
    "failed",
    "cancelling",
    "cancelled",
    "expired",
]
_STEP_EVENTS = ["created", "in_progress", "completed", "failed", "cancelled", "expired"]
_MESSAGE_EVENTS = ["created", "in_progress", "completed", "incomplete"]

#: The model of each known event's ``data``; the names are those of the spec's
#: ``AssistantStreamEvent`` (a test holds the two in step).
EVENT_MODELS: dict[str, type[Any]] = {
    **{f"thread.run.{name}": Run for name in _RUN_EVENTS},
    **{f"thread.run.step.{name}": RunStep for name in _STEP_EVENTS},
    "thread.run.step.delta": RunStepDelta,
    **{f"thread.message.{name}": Message for name in _MESSAGE_EVENTS},
    "thread.message.delta": MessageDelta,
}


def decode_event(sse: ServerSentEvent) -> AnyEvent | None:
    """The typed event for ``sse``, or ``None`` for the end marker; ``error`` raises."""
    if sse.event == "done" or (sse.event == "message" and sse.data.strip() == "[DONE]"):
        return None
    model = EVENT_MODELS.get(sse.event)
    try:
        payload = json.loads(sse.data)
    except json.JSONDecodeError as exc:
        if model is None and sse.event != "error":
            return UnknownEvent(sse.event, sse.data)  # not ours to judge: hand over the text
        raise StreamError(f"event {sse.event}: data is not JSON ({exc})") from exc
    if sse.event == "error":
        error = error_object(payload) or error_object({"error": payload})
        if error is None:
            raise StreamError(f"the server reported an error: {sse.data[:200]}")
        raise StreamError(f"the server reported an error: {error.message}", error)
    if model is None:
        return UnknownEvent(sse.event, payload)
    return StreamEvent(sse.event, parse(model, payload, where=f"event {sse.event}: "))


class _Decoder:
    """Bytes in, typed events out; remembers the last Run and whether ``done`` came."""

    def __init__(self) -> None:
        self.sse = SSEDecoder()
        self.final_run: Run | None = None
        self.finished = False
        self.started = False
        self.count = 0

    def start(self) -> None:
        if self.started:
            raise StreamError("a stream can be read only once")
        self.started = True

    def feed(self, chunk: bytes) -> Iterator[AnyEvent]:
        return self._typed(self.sse.feed(chunk))

    def _typed(self, events: list[ServerSentEvent]) -> Iterator[AnyEvent]:
        # A generator: the events before an ``error`` event are handed over before it raises.
        for sse in events:
            event = decode_event(sse)
            if event is None:
                self.finished = True
                return
            if isinstance(event.data, Run):
                self.final_run = event.data
            self.count += 1
            yield event

    def end(self) -> Iterator[AnyEvent]:
        """The events completed by the end of the body; raises unless ``done`` came."""
        if not self.finished:
            yield from self._typed(self.sse.end())
        if not self.finished:
            where = "in the middle of an event" if self.sse.mid_event else "before its done event"
            raise IncompleteStreamError(f"the stream ended {where} after {self.count} event(s)")

    def broken(self, exc: httpx.HTTPError) -> IncompleteStreamError:
        error = connection_error(exc)
        return IncompleteStreamError(f"the stream broke off after {self.count} event(s): {error}")


class RunStream:
    """The events of a streamed submission, as they arrive. Iterate it once.

    ``final_run`` is the last Run seen. Closing (or leaving the ``with`` block, also by
    ``break``) closes the connection.
    """

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._decoder = _Decoder()

    @property
    def final_run(self) -> Run | None:
        return self._decoder.final_run

    def __iter__(self) -> Iterator[AnyEvent]:
        decoder = self._decoder
        decoder.start()
        try:
            for chunk in self.response.iter_bytes():
                yield from decoder.feed(chunk)
                if decoder.finished:
                    return
            yield from decoder.end()
        except httpx.HTTPError as exc:
            raise decoder.broken(exc) from None
        finally:
            if not decoder.finished:
                self.close()

    def until_done(self) -> Run | None:
        """Consume the rest of the stream; the final Run."""
        for _ in self:
            pass
        return self.final_run

    def close(self) -> None:
        self.response.close()


class AsyncRunStream:
    """The async twin of :class:`RunStream`."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._decoder = _Decoder()

    @property
    def final_run(self) -> Run | None:
        return self._decoder.final_run

    async def __aiter__(self) -> AsyncIterator[AnyEvent]:
        decoder = self._decoder
        decoder.start()
        try:
            async for chunk in self.response.aiter_bytes():
                for event in decoder.feed(chunk):
                    yield event
                if decoder.finished:
                    return
            for event in decoder.end():
                yield event
        except httpx.HTTPError as exc:
            raise decoder.broken(exc) from None
        finally:
            if not decoder.finished:
                await self.close()

    async def until_done(self) -> Run | None:
        async for _ in self:
            pass
        return self.final_run

    async def close(self) -> None:
        await self.response.aclose()


def submit_tool_outputs(
    client: Client, thread_id: str, run_id: str, tool_outputs: Iterable[ToolOutputLike]
) -> Run:
    """Hand tool outputs to a run in ``requires_action``; the Run the server answers."""
    return parse_response(
        Run, send(client, submit_request(thread_id, run_id, tool_outputs, stream=False))
    )


async def asubmit_tool_outputs(
    client: Client, thread_id: str, run_id: str, tool_outputs: Iterable[ToolOutputLike]
) -> Run:
    """The async twin of :func:`submit_tool_outputs`."""
    request = submit_request(thread_id, run_id, tool_outputs, stream=False)
    return parse_response(Run, await asend(client, request))


def _check_stream_response(response: httpx.Response) -> None:
    content_type = response.headers.get("content-type", "")
    if not content_type.lower().startswith("text/event-stream"):
        raise StreamError(f"expected a text/event-stream answer, got {content_type or 'none'!r}")


@contextmanager
def stream_tool_outputs(
    client: Client, thread_id: str, run_id: str, tool_outputs: Iterable[ToolOutputLike]
) -> Iterator[RunStream]:
    """Submit tool outputs with ``stream: true``; a context manager yielding a :class:`RunStream`.

    The request is sent on entering the block; events are read as the server sends them.
    """
    request = submit_request(thread_id, run_id, tool_outputs, stream=True)
    http = client.get_httpx_client()
    try:
        response = http.send(http.build_request(**request), stream=True)
    except httpx.HTTPError as exc:
        raise connection_error(exc)  # noqa: B904 (it sets its own cause)
    stream = RunStream(response)
    try:
        if not response.is_success:
            try:
                response.read()
            except httpx.HTTPError as exc:
                raise connection_error(exc)  # noqa: B904 (it sets its own cause)
            raise status_error(response)
        _check_stream_response(response)
        yield stream
    finally:
        stream.close()


@asynccontextmanager
async def astream_tool_outputs(
    client: Client, thread_id: str, run_id: str, tool_outputs: Iterable[ToolOutputLike]
) -> AsyncIterator[AsyncRunStream]:
    """The async twin of :func:`stream_tool_outputs`."""
    request = submit_request(thread_id, run_id, tool_outputs, stream=True)
    http = client.get_async_httpx_client()
    try:
        response = await http.send(http.build_request(**request), stream=True)
    except httpx.HTTPError as exc:
        raise connection_error(exc)  # noqa: B904 (it sets its own cause)
    stream = AsyncRunStream(response)
    try:
        if not response.is_success:
            try:
                await response.aread()
            except httpx.HTTPError as exc:
                raise connection_error(exc)  # noqa: B904 (it sets its own cause)
            raise status_error(response)
        _check_stream_response(response)
        yield stream
    finally:
        await stream.close()
