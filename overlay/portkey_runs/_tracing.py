"""Tracing with OpenTelemetry (optional, the ``otel`` extra): the one module that knows about it.

With ``opentelemetry-api`` importable, every HTTP attempt carries the W3C trace context
(``traceparent``, ``tracestate``, ``baggage``) injected by OpenTelemetry's own propagator, and
becomes a CLIENT span (HTTP client conventions); a page walk, a stream, a tool loop, its rounds
and each tool call (``execute_tool``, GenAI conventions) become spans too. Without it nothing
of it is imported; with it and no tracer provider the spans are OpenTelemetry's non-recording
ones and no attribute is built.

The rest of the client reaches this module through three hooks: the transport
(:meth:`Tracing.transport`, under the retries: one span per attempt), the scopes of work that
yields in between (:meth:`Tracing.walk`, :meth:`Tracing.stream`), and the tool loop's
:class:`LoopTrace`, which ``_Loop`` keeps.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import os
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
from attrs import define, evolve, field

from ._headers import is_sensitive, redact_text, safe_url, secret_values

if TYPE_CHECKING:
    from opentelemetry.context import Context as Context  # for the hooks' annotations
    from opentelemetry.trace import Span, Tracer, TracerProvider

    from portkey_runs_api.models import Run

    from ._tools import ToolCall, _Planned

__all__ = ["CONTENT_ENV", "LoopTrace", "Scope", "Tracing"]

#: OpenTelemetry's switch for recording GenAI content (here: tool arguments and outputs).
CONTENT_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
#: The request extension that counts a request's attempts (the retries re-send the request).
ATTEMPT_EXTENSION = "portkey_runs.attempt"
#: The request extension naming the trace headers the caller set itself (those are kept).
_EXPLICIT_EXTENSION = "portkey_runs.trace_headers"
_TRACE_HEADERS = ("traceparent", "tracestate", "baggage", "x-portkey-trace-id")
#: Query parameters the HTTP conventions redact in ``url.full`` that no secret word names.
_SECRET_PARAMS = ("sig",)

T = TypeVar("T")


@functools.cache
def available() -> bool:
    """Whether ``opentelemetry-api`` can be imported (tried once, on first use)."""
    try:
        import opentelemetry.propagate
        import opentelemetry.trace  # noqa: F401
    except ImportError:
        return False
    return True


def capture_content(option: bool | None) -> bool:
    """Whether tool arguments and outputs go into spans: the client's ``trace_content``, else
    ``$OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT``."""
    if option is not None:
        return option
    return os.environ.get(CONTENT_ENV, "").strip().lower() == "true"


def full_url(url: httpx.URL) -> str:
    """``url`` for ``url.full``: no user or password, and the value of any query parameter
    whose name says secret replaced by ``REDACTED`` (as the HTTP conventions ask)."""
    if url.query and any(is_sensitive(name, _SECRET_PARAMS) for name in url.params):
        params = [
            (k, "REDACTED" if is_sensitive(k, _SECRET_PARAMS) else v)
            for k, v in url.params.multi_items()
        ]
        url = url.copy_with(params=params)
    return safe_url(url)


def request_attributes(request: httpx.Request, attempt: int) -> dict[str, Any]:
    """The attributes of an attempt's span, from its request (HTTP client conventions)."""
    url = request.url
    attributes: dict[str, Any] = {
        "http.request.method": request.method,
        "server.address": url.host,
        "server.port": url.port or (443 if url.scheme == "https" else 80),
        "url.full": full_url(url),
        "portkey_runs.attempt": attempt,
    }
    if attempt > 1:
        attributes["http.request.resend_count"] = attempt - 1
    return attributes


def response_attributes(response: httpx.Response) -> dict[str, Any]:
    """The attributes an answer adds: its status and what the Portkey headers say."""
    from ._response import ResponseMeta

    meta = ResponseMeta.of(response)
    attributes: dict[str, Any] = {"http.response.status_code": response.status_code}
    for name in ("request_id", "trace_id", "cache_status", "retry_attempt_count", "provider"):
        value = getattr(meta, name)
        if value is not None:
            attributes[f"portkey.{name}"] = value
    if response.status_code >= 400:
        attributes["error.type"] = str(response.status_code)
    return attributes


def _error(span: Span, error_type: str, description: str | None = None) -> None:
    from opentelemetry.trace import Status, StatusCode

    span.set_attribute("error.type", error_type)
    span.set_status(Status(StatusCode.ERROR, description))


def _fail(span: Span, exc: BaseException) -> None:
    """``exc`` on ``span``: an exception (an interruption is not the span's failure)."""
    if isinstance(exc, Exception) and span.is_recording():
        _error(span, type(exc).__qualname__, str(exc) or None)


@define
class Tracing:
    """A client's tracing: ``trace_context`` (inject the W3C headers), ``trace_content``
    (record tool arguments and outputs) and the tracer provider (OpenTelemetry's global one
    unless given). The tracer is made on first use."""

    context: bool = True
    content: bool | None = None
    provider: TracerProvider | None = None
    _tracer: Tracer | None = field(default=None, init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.context, bool):
            raise TypeError(f"trace_context must be True or False, got {self.context!r}")
        if self.content is not None and not isinstance(self.content, bool):
            raise TypeError(f"trace_content must be True, False or None, got {self.content!r}")

    def tracer(self) -> Tracer | None:
        """The tracer, or ``None`` without OpenTelemetry."""
        if self._tracer is None and available():
            from opentelemetry import trace

            from ._version import __version__

            self._tracer = trace.get_tracer(
                "portkey_runs", __version__, tracer_provider=self.provider
            )
        return self._tracer

    def transport(self, inner: httpx.BaseTransport) -> httpx.BaseTransport:
        """``inner`` with a span per attempt and the trace context injected (as it is,
        without OpenTelemetry)."""
        tracer = self.tracer()
        return inner if tracer is None else TracedTransport(inner, tracer, self.context)

    def async_transport(self, inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        tracer = self.tracer()
        return inner if tracer is None else AsyncTracedTransport(inner, tracer, self.context)

    def walk(self, thread_id: str) -> Scope:
        """The span of a page walk (``client.runs.list``)."""
        return self._scope("portkey_runs.list", None, {"portkey_runs.thread.id": thread_id})

    def stream(self, parent: Context | None = None) -> Scope:
        """The span of a stream, from its request to its end (under ``parent`` if given)."""
        return self._scope("portkey_runs.stream", parent, {})

    def loop(self, thread_id: str) -> LoopTrace:
        """The spans of one tool loop."""
        return LoopTrace(self.tracer(), thread_id, capture_content(self.content))

    def _scope(self, name: str, parent: Context | None, attributes: dict[str, Any]) -> Scope:
        tracer = self.tracer()
        if tracer is None:
            return NO_SCOPE
        span = tracer.start_span(name, context=parent)
        if not span.is_recording():
            return NO_SCOPE
        span.set_attributes(attributes)
        return Scope(span)


class Scope:
    """A span around work that yields in between (a page walk, a stream): current only while
    it sends, so that the user's code in between is never inside it. Ends once."""

    __slots__ = ("counts", "span")

    def __init__(self, span: Span | None) -> None:
        self.span = span
        self.counts: dict[str, int] = {}

    def call(self, send: Callable[..., T], *args: Any) -> T:
        """``send(*args)`` with this span current; a failure ends the span."""
        span = self.span
        if span is None:
            return send(*args)
        from opentelemetry import context, trace

        token = context.attach(trace.set_span_in_context(span))
        try:
            return send(*args)
        except BaseException as exc:
            self.end(exc)
            raise
        finally:
            context.detach(token)

    async def acall(self, send: Callable[..., Awaitable[T]], *args: Any) -> T:
        span = self.span
        if span is None:
            return await send(*args)
        from opentelemetry import context, trace

        token = context.attach(trace.set_span_in_context(span))
        try:
            return await send(*args)
        except BaseException as exc:
            self.end(exc)
            raise
        finally:
            context.detach(token)

    def count(self, name: str, n: int = 1) -> None:
        if self.span is not None:
            self.counts[name] = self.counts.get(name, 0) + n

    def end(self, exc: BaseException | None = None, **attributes: Any) -> None:
        """End the span (once): the counts, ``attributes`` (``None`` values left out), and
        ``exc`` as its error."""
        span, self.span = self.span, None
        if span is None:
            return
        span.set_attributes({f"portkey_runs.{k}": v for k, v in self.counts.items()})
        span.set_attributes({k: v for k, v in attributes.items() if v is not None})
        if exc is not None:
            _fail(span, exc)
        span.end()

    def __enter__(self) -> Scope:
        return self

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        self.end(exc)


NO_SCOPE = Scope(None)


def stream_ended(scope: Scope, events: int, run: Run | None, failure: BaseException | None) -> None:
    """End a stream's span: how many events it handed over, the run's last status."""
    if scope.span is not None:
        scope.end(
            failure,
            **{
                "portkey_runs.stream.events": events,
                "portkey_runs.run.id": None if run is None else run.id,
                "portkey_runs.run.status": None if run is None else run.status.value,
            },
        )


# ----------------------------------------------------------------------------- HTTP attempts


class _Attempts:
    """What both traced transports share: a CLIENT span per attempt, the context injected."""

    def __init__(self, tracer: Tracer, inject: bool) -> None:
        from opentelemetry.baggage import get_all
        from opentelemetry.trace import SpanKind

        self._tracer = tracer
        self._inject = inject
        self._kind = SpanKind.CLIENT
        self._baggage = get_all

    def _start(self, request: httpx.Request) -> Span:
        extensions = request.extensions
        attempt = extensions.get(ATTEMPT_EXTENSION, 0) + 1
        extensions[ATTEMPT_EXTENSION] = attempt
        span = self._tracer.start_span(request.method, kind=self._kind)
        if span.is_recording():
            span.set_attributes(request_attributes(request, attempt))
        # No span to name (no provider, no current span) and no baggage: nothing to inject.
        if self._inject and (span.get_span_context().is_valid or self._baggage()):
            _inject(request, span)
        return span

    @staticmethod
    def _answered(span: Span, response: httpx.Response) -> None:
        if span.is_recording():
            attributes = response_attributes(response)
            span.set_attributes(attributes)
            if "error.type" in attributes:
                _error(span, attributes["error.type"])
        span.end()

    @staticmethod
    def _failed(span: Span, exc: BaseException, request: httpx.Request) -> None:
        """An attempt that raised: the raw httpx error, whose message may quote a header (one
        httpx refuses, or a malformed answer echoing it), is described as the typed error
        raised for it is: only a safe message, the secrets the request carried masked."""
        if isinstance(exc, Exception) and span.is_recording():
            from .errors import _SAFE_MESSAGES

            shown = not isinstance(exc, httpx.HTTPError) or isinstance(exc, _SAFE_MESSAGES)
            text = str(exc) if shown else ""
            secrets = secret_values(request.headers.multi_items()) if text else ()
            _error(span, type(exc).__qualname__, redact_text(text, secrets) or None)
        span.end()


def _inject(request: httpx.Request, span: Span) -> None:
    """The W3C headers of ``span`` on ``request``, by OpenTelemetry's propagator, and its
    trace id as ``x-portkey-trace-id``; a header the caller set is left as it is."""
    from opentelemetry import propagate, trace

    headers = request.headers
    explicit = request.extensions.get(_EXPLICIT_EXTENSION)
    if explicit is None:  # the first attempt: what did the caller set?
        explicit = frozenset(name for name in _TRACE_HEADERS if name in headers)
        request.extensions[_EXPLICIT_EXTENSION] = explicit
    carrier: dict[str, str] = {}
    propagate.inject(carrier, context=trace.set_span_in_context(span))
    for name, value in carrier.items():
        if name.lower() not in explicit:
            headers[name] = value
    span_context = span.get_span_context()
    if span_context.is_valid and "x-portkey-trace-id" not in explicit:
        headers["x-portkey-trace-id"] = trace.format_trace_id(span_context.trace_id)


class TracedTransport(_Attempts, httpx.BaseTransport):
    """Wraps the network under the retries: each attempt a span, the context injected."""

    def __init__(self, inner: httpx.BaseTransport, tracer: Tracer, inject: bool) -> None:
        super().__init__(tracer, inject)
        self._transport = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        span = self._start(request)
        try:
            response = self._transport.handle_request(request)
        except BaseException as exc:
            self._failed(span, exc, request)
            raise
        self._answered(span, response)
        return response

    def close(self) -> None:
        self._transport.close()


class AsyncTracedTransport(_Attempts, httpx.AsyncBaseTransport):
    """The async twin of :class:`TracedTransport`."""

    def __init__(self, inner: httpx.AsyncBaseTransport, tracer: Tracer, inject: bool) -> None:
        super().__init__(tracer, inject)
        self._transport = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        span = self._start(request)
        try:
            response = await self._transport.handle_async_request(request)
        except BaseException as exc:
            self._failed(span, exc, request)
            raise
        self._answered(span, response)
        return response

    async def aclose(self) -> None:
        await self._transport.aclose()


# ----------------------------------------------------------------------------- the tool loop


class _Round:
    """One round's span, its context (the parent of its calls and its stream) and its calls:
    a call's span and when its function returned, ``None`` once the call was recorded (a
    function that only starts then, late in its thread, gets no span)."""

    __slots__ = ("calls", "context", "done", "span")

    def __init__(self, span: Span, context: Context) -> None:
        self.span = span
        self.context = context
        self.calls: dict[str, tuple[Span, list[int]] | None] = {}
        self.done = False


class LoopTrace:
    """The spans of one tool loop: the loop, a span per round, an ``execute_tool`` span per
    call (GenAI conventions), each call's span current inside the function (in its thread or
    task), so that the function's own spans nest under it. Off (no-ops) without
    OpenTelemetry or when the loop's span is not recorded."""

    def __init__(self, tracer: Tracer | None, thread_id: str, content: bool) -> None:
        self._tracer = tracer
        self._thread_id = thread_id
        self._content = content
        self._loop: Span | None = None
        self._round: _Round | None = None
        # A call's function starts in its own thread while the loop records the calls.
        self._lock = threading.Lock()
        self._off = tracer is None

    def _begin(self, run_id: str) -> None:
        if self._off or self._loop is not None:
            return
        assert self._tracer is not None
        self._loop = self._tracer.start_span("portkey_runs.run_tools")
        if not self._loop.is_recording():
            self._loop = None
            self._off = True
            return
        self._loop.set_attributes(
            {"portkey_runs.thread.id": self._thread_id, "portkey_runs.run.id": run_id}
        )

    @contextlib.contextmanager
    def finding(self, run_id: str) -> Iterator[None]:
        """The loop's span starts; the listing that finds the run by its id runs inside it."""
        self._begin(run_id)
        if self._loop is None:
            yield
            return
        from opentelemetry import context, trace

        token = context.attach(trace.set_span_in_context(self._loop))
        try:
            yield
        finally:
            context.detach(token)

    def run(self, run: Run, rounds: int, ended: bool) -> None:
        """The run as the loop sees it before a round: the previous round ends; a run that has
        ``ended`` ends the loop's span."""
        self._begin(run.id)
        if self._off:
            return
        self._end_round()
        if ended:
            self.end(None, run, rounds)

    def round(self, number: int, planned: list[_Planned]) -> list[_Planned]:
        """A round starts: its span, and the calls' functions wrapped in their spans."""
        if self._off or self._loop is None:
            return planned
        from opentelemetry import trace

        assert self._tracer is not None
        span = self._tracer.start_span(
            "portkey_runs.round",
            context=trace.set_span_in_context(self._loop),
            attributes={"portkey_runs.round": number, "portkey_runs.tool_calls": len(planned)},
        )
        this = self._round = _Round(span, trace.set_span_in_context(span))
        return [
            plan if plan.function is None else evolve(plan, function=self._wrap(plan, this))
            for plan in planned
        ]

    def parent(self) -> Context | None:
        """The context a round's submission is sent in (its stream's parent)."""
        return None if self._round is None else self._round.context

    def _span(self, this: _Round, call_id: str, name: str, arguments: str) -> Span:
        assert self._tracer is not None
        attributes: dict[str, Any] = {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": name,
            "gen_ai.tool.call.id": call_id,
            "gen_ai.tool.type": "function",
        }
        if self._content:
            attributes["gen_ai.tool.call.arguments"] = arguments
        return self._tracer.start_span(
            f"execute_tool {name}", context=this.context, attributes=attributes
        )

    def _start(self, this: _Round, plan: _Planned) -> tuple[Span, list[int]] | None:
        """A call's span, as its function starts; ``None`` when the call was recorded already
        (it timed out before its thread ran) or its round is over."""
        with self._lock:
            if this.done or plan.id in this.calls:
                return None
            started: tuple[Span, list[int]] = (
                self._span(this, plan.id, plan.name, plan.arguments),
                [],
            )
            this.calls[plan.id] = started
            return started

    def _wrap(self, plan: _Planned, this: _Round) -> Callable[..., Any]:
        """``plan.function`` in its span, made current where it runs (the span is ended when
        the loop records the call's outcome, at the time the function returned)."""
        function = plan.function
        assert function is not None
        from opentelemetry import context, trace

        if inspect.iscoroutinefunction(function):

            @functools.wraps(function)  # its name and signature, for whoever inspects it
            async def traced_async(**kwargs: Any) -> Any:
                started = self._start(this, plan)
                if started is None:
                    return await function(**kwargs)
                span, ended = started
                token = context.attach(trace.set_span_in_context(span))
                try:
                    return await function(**kwargs)
                finally:
                    context.detach(token)
                    ended.append(time.time_ns())

            return traced_async

        @functools.wraps(function)
        def traced(**kwargs: Any) -> Any:
            started = self._start(this, plan)
            if started is None:
                return function(**kwargs)
            span, ended = started
            token = context.attach(trace.set_span_in_context(span))
            try:
                return function(**kwargs)
            finally:
                context.detach(token)
                ended.append(time.time_ns())

        return traced

    def called(self, call: ToolCall, exc: BaseException | None) -> None:
        """A call's outcome: ``error.type`` when it failed (the exception's type,
        ``TimeoutError``, or ``ToolError`` for a call that could not be made), its output when
        content is recorded; its span ends, when the function returned."""
        this = self._round
        if self._off or this is None:
            return
        with self._lock:
            started = this.calls.get(call.id)
            this.calls[call.id] = None
        if started is None:  # never called (unknown, arguments not an object) or not yet
            started = (self._span(this, call.id, call.name, call.arguments), [])
        span, ended = started
        if span.is_recording():
            if call.error is not None:
                from ._tools import _Timeout

                kind = "ToolError" if exc is None else type(exc).__qualname__
                _error(
                    span,
                    "TimeoutError" if isinstance(exc, _Timeout) else kind,
                    call.error if self._content else None,
                )
            elif self._content:
                span.set_attribute("gen_ai.tool.call.result", call.output)
        span.end(end_time=ended[0] if ended else None)

    def _end_round(self, exc: BaseException | None = None) -> None:
        this, self._round = self._round, None
        if this is None:
            return
        with self._lock:
            this.done = True
            unrecorded = [started for started in this.calls.values() if started is not None]
            this.calls.clear()
        for span, _ in unrecorded:  # calls never recorded (the loop stopped)
            span.end()
        if exc is not None:
            self._fail(this.span, exc)
        this.span.end()

    def _fail(self, span: Span, exc: BaseException) -> None:
        """``exc`` on a round's or the loop's span: a ``ToolError``'s message tells the
        tool's own error (content), so it is the description only when content is recorded."""
        from .errors import ToolError

        if isinstance(exc, ToolError) and not self._content:
            if span.is_recording():
                _error(span, type(exc).__qualname__)
            return
        _fail(span, exc)

    def end(self, exc: BaseException | None, run: Run | None, rounds: int) -> None:
        """End the loop's span (once): rounds, the run's final status, or why it stopped."""
        loop, self._loop = self._loop, None
        if loop is None:
            return
        self._off = True
        self._end_round(exc)
        attributes: dict[str, Any] = {"portkey_runs.rounds": rounds}
        if run is not None:
            attributes["portkey_runs.run.status"] = run.status.value
        loop.set_attributes(attributes)
        if exc is not None:
            self._fail(loop, exc)
        loop.end()
