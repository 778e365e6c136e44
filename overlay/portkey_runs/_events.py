"""The events of a run's stream, typed: SSE name → the generated ``Thread*Event`` model.

Each known event is the generated model of the spec's ``AssistantStreamEvent`` union whose
``event`` is a ``Literal`` (``ThreadMessageDeltaEvent.event`` is
``Literal["thread.message.delta"]``), so that ``if event.event == "thread.message.delta":``
narrows ``event.data`` to ``MessageDelta`` for a type checker.

An event this client does not know arrives in its place, in order, as an :class:`UnknownEvent`.
Its ``event`` is always the literal ``"unknown"`` — were it the SSE name (a plain ``str``), a
type checker could narrow no event of the union by its name — and its ``name`` is the SSE name.
"""

from __future__ import annotations

import functools
import typing
from typing import Any, ClassVar, Literal

from attrs import frozen

from portkey_runs_api import models
from portkey_runs_api.models import (
    ThreadMessageCompletedEvent,
    ThreadMessageCreatedEvent,
    ThreadMessageDeltaEvent,
    ThreadMessageIncompleteEvent,
    ThreadMessageInProgressEvent,
    ThreadRunCancelledEvent,
    ThreadRunCancellingEvent,
    ThreadRunCompletedEvent,
    ThreadRunCreatedEvent,
    ThreadRunExpiredEvent,
    ThreadRunFailedEvent,
    ThreadRunIncompleteEvent,
    ThreadRunInProgressEvent,
    ThreadRunQueuedEvent,
    ThreadRunRequiresActionEvent,
    ThreadRunStepCancelledEvent,
    ThreadRunStepCompletedEvent,
    ThreadRunStepCreatedEvent,
    ThreadRunStepDeltaEvent,
    ThreadRunStepExpiredEvent,
    ThreadRunStepFailedEvent,
    ThreadRunStepInProgressEvent,
)
from portkey_runs_api.spec_facts import EVENT_MODELS
from portkey_runs_api.types import json_loads

from ._drift import DriftLog
from ._http import parse
from ._sse import ServerSentEvent
from .errors import StreamError, error_object

__all__ = ["AssistantStreamEvent", "RunStreamEvent", "UnknownEvent", "decode_event", "event_types"]

#: Every event of a run's stream this client knows (the spec's ``AssistantStreamEvent`` but
#: ``error``, which raises, and ``done``, which ends the stream). A test holds it in step with
#: the spec and with the generated package.
AssistantStreamEvent = (
    ThreadRunCreatedEvent
    | ThreadRunQueuedEvent
    | ThreadRunInProgressEvent
    | ThreadRunRequiresActionEvent
    | ThreadRunCompletedEvent
    | ThreadRunIncompleteEvent
    | ThreadRunFailedEvent
    | ThreadRunCancellingEvent
    | ThreadRunCancelledEvent
    | ThreadRunExpiredEvent
    | ThreadRunStepCreatedEvent
    | ThreadRunStepInProgressEvent
    | ThreadRunStepDeltaEvent
    | ThreadRunStepCompletedEvent
    | ThreadRunStepFailedEvent
    | ThreadRunStepCancelledEvent
    | ThreadRunStepExpiredEvent
    | ThreadMessageCreatedEvent
    | ThreadMessageInProgressEvent
    | ThreadMessageDeltaEvent
    | ThreadMessageCompletedEvent
    | ThreadMessageIncompleteEvent
)


@frozen
class UnknownEvent:
    """An event whose name this client does not know (a newer server's), kept as received.

    ``name`` is its SSE event name, ``data`` its JSON (or its text, when it is not JSON).
    ``event`` is always ``"unknown"`` and ``is_unknown`` ``True`` (``False`` on known events).
    """

    name: str
    data: Any
    event: ClassVar[Literal["unknown"]] = "unknown"
    is_unknown: ClassVar[bool] = True


#: What iterating a run's stream gives: a known event, or an unknown one.
RunStreamEvent = AssistantStreamEvent | UnknownEvent


#: The events that are not data: the stream's end, and the error that raises.
CONTROL_EVENTS = ("done", "error")


@functools.cache
def event_types() -> dict[str, tuple[type[Any], type[Any]]]:
    """SSE name → (event model, data model): the spec's events (its discriminator mapping, as
    generated), each model's data type read off its generated annotations."""
    table: dict[str, tuple[type[Any], type[Any]]] = {}
    for name, model in EVENT_MODELS.items():
        if name not in CONTROL_EVENTS:
            cls = getattr(models, model)
            table[name] = (cls, typing.get_type_hints(cls)["data"])
    return table


#: SSE name → (event model, data model, the prefix of its errors): the table ``decode_event``
#: reads per event, built once (no call, no text built per event).
_DECODING = {
    name: (event_model, data_model, f"event {name}: ")
    for name, (event_model, data_model) in event_types().items()
}
_DONE, _ERROR = CONTROL_EVENTS


def decode_event(
    sse: ServerSentEvent, drift: DriftLog | None = None
) -> tuple[RunStreamEvent, Any] | None:
    """The typed event for ``sse`` and its JSON data, or ``None`` for the end marker;
    ``error`` raises. With a ``drift`` log, data that departs from the spec is read tolerantly."""
    name = sse.event
    if name == _DONE or (name == "message" and sse.data.strip() == "[DONE]"):
        return None
    known = _DECODING.get(name)
    try:
        payload = json_loads(sse.data)
    except (ValueError, RecursionError) as exc:
        if name == _ERROR:  # the server's words, whatever their format
            raise StreamError(f"the server reported an error: {sse.data[:200]}") from None
        if known is None:
            return UnknownEvent(name, sse.data), sse.data  # not ours to judge: the text
        raise StreamError(f"event {name}: data is not JSON ({exc})") from exc
    if name == _ERROR:
        error = error_object(payload)
        if error is None:
            raise StreamError(f"the server reported an error: {sse.data[:200]}")
        raise StreamError(f"the server reported an error: {error.message}", error)
    if known is None:
        return UnknownEvent(name, payload), payload
    event_model, data_model, where = known
    event: RunStreamEvent = event_model(event=name, data=parse(data_model, payload, where, drift))
    return event, payload
