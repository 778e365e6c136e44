"""A run's stream of events, read as it arrives: :class:`RunStream` and its async twin.

Decoding (bytes → SSE → typed events) is pure and shared (:class:`_Decoder`); the two stream
classes only differ in how they read the connection. A stream is an iterator: ``next()``, a
``for`` loop and ``until_done()`` all continue from where the last one stopped.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Generic, TypeVar

import httpx

from portkey_runs_api.models import Message, Run, RunStep

from ._bounds import Bounds, deadline_error, expired, remaining, shrink_timeouts
from ._drift import DriftLog, SpecDrift, drift_log
from ._events import RunStreamEvent, decode_event
from ._http import parse, stream_bounds
from ._response import RawResponse, ResponseMeta
from ._snapshots import MESSAGE_DELTA, Snapshots, text_of
from ._sse import ServerSentEvent, SSEDecoder
from ._tracing import NO_SCOPE, Scope, stream_ended
from .errors import (
    DeadlineExceededError,
    EventTooLargeError,
    IncompleteStreamError,
    PortkeyError,
    StreamError,
    connection_error,
    redact_error,
    request_of,
)

__all__ = [
    "AsyncRunStream",
    "AsyncRunStreamManager",
    "RunStream",
    "RunStreamManager",
    "raw_stream",
]

T = TypeVar("T")
S = TypeVar("S", "RunStream", "AsyncRunStream")


def _arrived(response: httpx.Response) -> bool:
    """Whether the whole body is in already (its length was announced and read), so that
    reading its end cannot wait for the server. A stream is left at ``done`` without waiting:
    a server or proxy may hold the connection open long after it (then it is closed)."""
    length = response.headers.get("content-length", "")
    return length.isdigit() and response.num_bytes_downloaded >= int(length)


class _Decoder:
    """Bytes in, typed events out; remembers the last Run, whether ``done`` came, the text
    pieces of the last event, and the snapshots of the messages and steps.

    A chunk is split into server-sent events at once (cheap tuples); each is typed when it is
    read, so that only the event in hand is alive as a model.
    """

    def __init__(
        self,
        snapshots: Snapshots | None = None,
        request: httpx.Request | None = None,
        drift: DriftLog | None = None,
        bounds: Bounds | None = None,
    ) -> None:
        #: The stream's request: the secrets it carried are masked in the errors raised.
        self.request = request
        self.bounds = bounds if bounds is not None else Bounds()
        self.sse = SSEDecoder(self.bounds.max_event_bytes)
        self.drift = drift
        self.snapshots = snapshots if snapshots is not None else Snapshots()
        self.final_run: Run | None = None
        self.finished = False
        self.count = 0
        self.texts: list[str] = []
        self.failure: Exception | None = None

    def one(self, sse: ServerSentEvent) -> RunStreamEvent | None:
        """The typed event; ``None`` for ``done``; a stream error or bad data raises."""
        decoded = decode_event(sse, self.drift)
        if decoded is None:
            self.finished = True
            return None
        event, data = decoded
        name = sse.event
        if name == MESSAGE_DELTA:  # the most frequent event first
            self.texts = self.snapshots.feed(name, data)
        elif isinstance(event.data, Run):
            self.final_run = event.data
            self.texts = []
        elif event.event == "unknown":
            self.texts = []
        else:
            self.texts = self.snapshots.feed(name, data)
        self.count += 1
        return event

    def ended(self) -> IncompleteStreamError:
        """The error of a body that ended before ``done``."""
        where = "in the middle of an event" if self.sse.mid_event else "before its done event"
        return IncompleteStreamError(f"the stream ended {where} after {self.count} event(s)")

    def broken(self, exc: httpx.HTTPError, request: httpx.Request) -> PortkeyError:
        """The error of a read that failed: the deadline's, if it has passed."""
        if self.expired():
            return self.past_deadline(request)
        error = connection_error(exc)
        return IncompleteStreamError(f"the stream broke off after {self.count} event(s): {error}")

    def expired(self) -> bool:
        return expired(self.bounds.expires)

    def past_deadline(self, request: httpx.Request) -> DeadlineExceededError:
        return deadline_error(request, self.bounds.deadline)

    def failed(self, error: Exception, meta: ResponseMeta) -> Exception:
        """``error`` recorded, so that reading on raises it again instead of ending quietly;
        a stream error gets the answer's metadata; no secret the request carried is shown."""
        if isinstance(error, StreamError) and error.meta is None:
            error.meta = meta
        if isinstance(error, PortkeyError):
            redact_error(error, self.request)
        self.failure = error
        return error

    def check(self, closed: bool) -> None:
        """Before reading on: a failure raises again; so does a stream closed before its end."""
        if self.failure is not None:
            raise self.failure
        if closed and not self.finished:
            raise StreamError(
                f"the stream was closed after {self.count} event(s), before its end; "
                "read it inside its `with` block"
            )

    def final(self) -> Run:
        if self.final_run is None:
            raise StreamError(f"the stream ended after {self.count} event(s) without a run")
        return self.final_run


class _Views:
    """What both streams (and both tool loops) tell from their snapshots; pure, no I/O."""

    _snapshots: Snapshots
    _drift: DriftLog | None

    @property
    def _snapshot_drift(self) -> DriftLog | None:
        return None if self._drift is None else self._drift.snapshots

    @property
    def current_message_snapshot(self) -> Message | None:
        """The message being written, as far as it has arrived (``None`` before the first)."""
        current = self._snapshots.current_message
        if current is None:
            return None
        data = self._snapshots.messages[current]
        return parse(Message, data, "message snapshot: ", self._snapshot_drift, eager=True)

    # Snapshots are read eagerly: their data changes as deltas arrive, so a view typed later
    # would show what came after it was taken.
    def _messages(self) -> list[Message]:
        return [
            parse(Message, data, "message snapshot: ", self._snapshot_drift, eager=True)
            for data in self._snapshots.messages.values()
        ]

    def _steps(self) -> list[RunStep]:
        return [
            parse(RunStep, data, "run step snapshot: ", self._snapshot_drift, eager=True)
            for data in self._snapshots.steps.values()
        ]

    def _text(self) -> str:
        texts = (text_of(data) for data in self._snapshots.messages.values())
        return "\n\n".join(text for text in texts if text)


class _StreamState(_Views):
    """What both streams hold: the answer, its metadata, the decoder and the chunk in hand."""

    def __init__(self, response: httpx.Response, snapshots: Snapshots | None, strict: bool) -> None:
        self.response = response
        self.meta = ResponseMeta.of(response)
        self._drift = drift_log(response, strict)
        self._decoder = _Decoder(
            snapshots, request_of(response), self._drift, stream_bounds(response)
        )
        self._snapshots = self._decoder.snapshots
        self._closed = False
        self._ended = False
        #: The server-sent events of the chunk in hand not yet handed over.
        self._raw: Iterator[ServerSentEvent] = iter(())

    @property
    def final_run(self) -> Run | None:
        return self._decoder.final_run

    @property
    def _last_texts(self) -> list[str]:
        return self._decoder.texts

    @property
    def drift(self) -> list[SpecDrift]:
        """Where the events so far (and the snapshots read) departed from the spec, read
        tolerantly, in order; empty with ``strict_responses=True``, which raises instead."""
        return [] if self._drift is None else list(self._drift.records)


class RunStream(_StreamState):
    """The events of a streamed submission, as they arrive; an iterator of events.

    Each event is the generated ``Thread*Event`` model of its name (or an ``UnknownEvent``).
    An ``error`` event raises ``StreamError``; a stream that ends or breaks before ``done``
    raises ``IncompleteStreamError``. ``final_run`` is the last Run seen, ``meta`` what the
    answer's headers say. Closing it (leaving the ``with`` block, also by ``break``) closes
    the connection; iterating it after its end yields nothing.

    The messages and run steps are rebuilt from their deltas as the events pass:
    ``current_message_snapshot``, ``final_messages()``, ``final_run_steps()``,
    ``final_text()`` and ``until_done()`` read the rest of the stream first, when called
    before its end; ``text_deltas`` iterates the text pieces as they arrive.
    """

    def __init__(
        self, response: httpx.Response, snapshots: Snapshots | None = None, strict: bool = True
    ) -> None:
        super().__init__(response, snapshots, strict)
        # With a deadline, a read may last only what is left of it (checked between reads).
        shrink_timeouts(response.request, self._decoder.bounds.expires)
        self._chunks = response.iter_bytes()

    def __iter__(self) -> RunStream:
        return self

    def __next__(self) -> RunStreamEvent:
        """The next event: from the chunk in hand, else from the next chunk read."""
        decoder = self._decoder
        while True:
            sse = next(self._raw, None)
            if sse is None:
                self._fill()
                continue
            try:
                event = decoder.one(sse)
            except Exception as exc:
                # Nothing more of the stream is handed over: the rest of the chunk is dropped.
                self._raw = iter(())
                self.response.close()
                raise decoder.failed(exc, self.meta) from exc.__cause__
            if event is not None:
                return event
            # ``done``: the end of the stream, whether or not the server closes the connection.
            self._raw = iter(())
            if _arrived(self.response):  # reading the end cannot wait: keep the connection
                with contextlib.suppress(httpx.HTTPError):
                    for _ in self._chunks:
                        pass
            self.response.close()
            raise StopIteration

    def _fill(self) -> None:
        """The next chunk's server-sent events in hand; ``StopIteration`` after ``done``, the
        failure again after one, ``IncompleteStreamError`` for a body that ends early."""
        decoder = self._decoder
        decoder.check(self._closed)
        if decoder.finished:
            raise StopIteration
        if self._ended:
            self.response.close()
            raise decoder.failed(decoder.ended(), self.meta)
        if decoder.expired():
            self.response.close()
            raise decoder.failed(decoder.past_deadline(self.response.request), self.meta)
        try:
            chunk = next(self._chunks, None)
            if chunk is None:
                self._ended = True
                self._raw = iter(decoder.sse.end())
            else:
                self._raw = iter(decoder.sse.feed(chunk))
        except httpx.HTTPError as exc:
            self.response.close()
            raise decoder.failed(decoder.broken(exc, self.response.request), self.meta) from None
        except EventTooLargeError as exc:
            self.response.close()
            raise decoder.failed(exc, self.meta) from None

    @property
    def text_deltas(self) -> Iterator[str]:
        """The text pieces of the messages, as they arrive (reading the stream)."""
        for _ in self:
            yield from self._decoder.texts

    def _drain(self) -> None:
        for _ in self:
            pass

    def until_done(self) -> Run:
        """Read the rest of the stream; the final Run (``StreamError`` if it had none)."""
        self._drain()
        return self._decoder.final()

    def final_messages(self) -> list[Message]:
        """Read the rest of the stream; the messages it wrote, in order."""
        self._drain()
        return self._messages()

    def final_run_steps(self) -> list[RunStep]:
        """Read the rest of the stream; its run steps, in order."""
        self._drain()
        return self._steps()

    def final_text(self) -> str:
        """Read the rest of the stream; the text of its messages, in order, joined by blank
        lines."""
        self._drain()
        return self._text()

    def close(self) -> None:
        self._closed = True
        self._raw = iter(())
        self.response.close()

    def __enter__(self) -> RunStream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncRunStream(_StreamState):
    """The async twin of :class:`RunStream`: ``async for``, ``anext()``, ``await until_done()``;
    ``text_deltas`` is an async iterator and the ``final_*()`` methods are coroutines."""

    def __init__(
        self, response: httpx.Response, snapshots: Snapshots | None = None, strict: bool = True
    ) -> None:
        super().__init__(response, snapshots, strict)
        self._chunks = response.aiter_bytes()

    def __aiter__(self) -> AsyncRunStream:
        return self

    async def __anext__(self) -> RunStreamEvent:
        decoder = self._decoder
        while True:
            sse = next(self._raw, None)
            if sse is None:
                await self._fill()
                continue
            try:
                event = decoder.one(sse)
            except Exception as exc:
                # Nothing more of the stream is handed over: the rest of the chunk is dropped.
                self._raw = iter(())
                await self.response.aclose()
                raise decoder.failed(exc, self.meta) from exc.__cause__
            if event is not None:
                return event
            self._raw = iter(())
            if _arrived(self.response):
                with contextlib.suppress(httpx.HTTPError):
                    async for _ in self._chunks:
                        pass
            await self.response.aclose()
            raise StopAsyncIteration

    async def _fill(self) -> None:
        """The next chunk's server-sent events in hand; ``StopAsyncIteration`` after ``done``, the
        failure again after one, ``IncompleteStreamError`` for a body that ends early."""
        decoder = self._decoder
        decoder.check(self._closed)
        if decoder.finished:
            raise StopAsyncIteration
        if self._ended:
            await self.response.aclose()
            raise decoder.failed(decoder.ended(), self.meta)
        if decoder.expired():
            await self.response.aclose()
            raise decoder.failed(decoder.past_deadline(self.response.request), self.meta)
        try:
            chunk = await self._read()
            if chunk is None:
                self._ended = True
                self._raw = iter(decoder.sse.end())
            else:
                self._raw = iter(decoder.sse.feed(chunk))
        except httpx.HTTPError as exc:
            await self.response.aclose()
            raise decoder.failed(decoder.broken(exc, self.response.request), self.meta) from None
        except (EventTooLargeError, DeadlineExceededError) as exc:
            await self.response.aclose()
            raise decoder.failed(exc, self.meta) from None

    async def _read(self) -> bytes | None:
        """The next chunk (``None`` at the end), within what is left of the deadline."""
        left = remaining(self._decoder.bounds.expires)
        if left is None:
            return await anext(self._chunks, None)
        import anyio  # only a stream with a deadline needs it

        with anyio.move_on_after(left):
            return await anext(self._chunks, None)
        raise self._decoder.past_deadline(self.response.request)

    @property
    async def text_deltas(self) -> AsyncIterator[str]:
        async for _ in self:
            for text in self._decoder.texts:
                yield text

    async def _drain(self) -> None:
        async for _ in self:
            pass

    async def until_done(self) -> Run:
        await self._drain()
        return self._decoder.final()

    async def final_messages(self) -> list[Message]:
        await self._drain()
        return self._messages()

    async def final_run_steps(self) -> list[RunStep]:
        await self._drain()
        return self._steps()

    async def final_text(self) -> str:
        await self._drain()
        return self._text()

    async def aclose(self) -> None:
        """Close the connection (as httpx's ``aclose``)."""
        self._closed = True
        self._raw = iter(())
        await self.response.aclose()

    async def __aenter__(self) -> AsyncRunStream:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


class RunStreamManager(Generic[T]):
    """What ``client.runs.stream_tool_outputs(...)`` returns: the submission, sent on
    entering the ``with`` block, which gives the :class:`RunStream` (from
    ``with_raw_response``: a :class:`RawResponse` whose ``parse()`` is the stream).

    It can be entered once: a second entry would submit the outputs again.
    """

    def __init__(
        self,
        send: Callable[[], httpx.Response],
        wrap: Callable[[RunStream], T],
        snapshots: Snapshots | None = None,
        strict: bool = True,
        trace: Callable[[], Scope] | None = None,
    ) -> None:
        self._send: Callable[[], httpx.Response] | None = send
        self._wrap = wrap
        self._snapshots = snapshots
        self._strict = strict
        self._stream: RunStream | None = None
        self._trace = trace
        self._span = NO_SCOPE

    def __enter__(self) -> T:
        if self._send is None:
            raise StreamError(_SENT)
        send, self._send = self._send, None
        self._span = self._trace() if self._trace is not None else NO_SCOPE
        self._stream = RunStream(self._span.call(send), self._snapshots, self._strict)
        return self._wrap(self._stream)

    def __exit__(self, *exc_info: object) -> None:
        if self._stream is not None:
            self._stream.close()
            _traced(self._span, self._stream, exc_info[1])


class AsyncRunStreamManager(Generic[T]):
    """The async twin of :class:`RunStreamManager` (``async with``)."""

    def __init__(
        self,
        send: Callable[[], Awaitable[httpx.Response]],
        wrap: Callable[[AsyncRunStream], T],
        snapshots: Snapshots | None = None,
        strict: bool = True,
        trace: Callable[[], Scope] | None = None,
    ) -> None:
        self._send: Callable[[], Awaitable[httpx.Response]] | None = send
        self._wrap = wrap
        self._snapshots = snapshots
        self._strict = strict
        self._stream: AsyncRunStream | None = None
        self._trace = trace
        self._span = NO_SCOPE

    async def __aenter__(self) -> T:
        if self._send is None:
            raise StreamError(_SENT)
        send, self._send = self._send, None
        self._span = self._trace() if self._trace is not None else NO_SCOPE
        self._stream = AsyncRunStream(await self._span.acall(send), self._snapshots, self._strict)
        return self._wrap(self._stream)

    async def __aexit__(self, *exc_info: object) -> None:
        if self._stream is not None:
            await self._stream.aclose()
            _traced(self._span, self._stream, exc_info[1])


def _traced(span: Scope, stream: RunStream | AsyncRunStream, exc: object) -> None:
    """End a stream's span: the events it handed over, its run, its failure (or ``exc``, what
    left the ``with`` block)."""
    decoder = stream._decoder
    failure = decoder.failure or (exc if isinstance(exc, BaseException) else None)
    stream_ended(span, decoder.count, decoder.final_run, failure)


_SENT = "this submission was sent already: call the method again to submit again"


def raw_stream(stream: S) -> RawResponse[S]:
    """The ``with_raw_response`` view of a stream: its answer's headers, ``parse()`` the stream."""
    return RawResponse(stream.response, lambda: stream)
