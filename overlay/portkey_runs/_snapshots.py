"""The messages and run steps of a stream, rebuilt from their deltas. Pure: JSON in, JSON out.

A message (or run step) starts as the object of its ``created`` event; each ``delta`` event is
merged into it by the rules of the schema; its ``completed`` (``incomplete``, ``failed``...)
event replaces it with the server's object. The merge:

* lists whose items carry an ``index`` (content parts, tool calls, annotations, code
  interpreter outputs) are matched by that index — an item seen for the first time is
  appended, starting from the empty values its type requires (a text part's ``value`` and
  ``annotations``, a function's ``arguments`` and ``output``...) — and the ``index`` itself
  is dropped, as the whole objects do not have it;
* the streamed strings — text ``value``, function ``arguments``, code interpreter ``input``
  and ``logs``, a ``refusal`` — are concatenated (:class:`Snapshots` notes their pieces and
  joins them once, when read, so that a long stream costs its length, not its square);
* objects are merged key by key; an empty list adds nothing; anything else (a status, a
  number, a list without indexes) is replaced, never added.

Nothing here recurses without bound: below :data:`MAX_DEPTH` levels an object or list is not
merged but replaced, and not copied but shared (nothing mutates it there), so that data
nested as deep as the JSON decoder allows (orjson: 1,024 levels) never exhausts the stack.
"""

from __future__ import annotations

import copy
from typing import Any

from portkey_runs_api.spec_facts import EVENT_MODELS

__all__ = ["Snapshots", "delta_texts", "join_pending", "merge_delta", "text_of"]

JSON = dict[str, Any]

#: How deep the merge goes into a message or step (real ones nest less than ten levels).
MAX_DEPTH = 64

#: The string fields that arrive in pieces.
STREAMED = frozenset({"value", "arguments", "input", "logs", "refusal"})
#: The streamed strings :class:`Snapshots` notes through ``merge_delta``'s ``pending`` (text
#: values and function arguments have noted paths of their own).
_PENDING = frozenset({"input", "logs", "refusal"})
#: Pieces of streamed strings not yet joined: (id of the object, key) -> (object, key, pieces).
Pending = dict[tuple[int, str], tuple[dict[str, Any], str, list[str]]]
#: What the deltas of a message or a step build.
_BUILT_BY_DELTAS = frozenset({"content", "step_details"})
#: The required fields of a whole item that its first delta may leave out, by the item's
#: ``type``: a content part or a tool call (the spec's MessageContentText and MessageText,
#: MessageContentRefusal, FunctionToolCall and FunctionCall, CodeInterpreterToolCall and
#: CodeInterpreterCall, FileSearchToolCall).
_EMPTY: dict[str, JSON] = {
    "text": {"text": {"value": "", "annotations": []}},
    "refusal": {"refusal": ""},
    "function": {"function": {"arguments": "", "output": None}},
    "code_interpreter": {"code_interpreter": {"input": "", "outputs": []}},
    "file_search": {"file_search": {}},
}

_EVENT_OF = {model: name for name, model in EVENT_MODELS.items()}
MESSAGE_DELTA = _EVENT_OF["ThreadMessageDeltaEvent"]
STEP_DELTA = _EVENT_OF["ThreadRunStepDeltaEvent"]


def merge_delta(
    snapshot: JSON, delta: JSON, pending: Pending | None = None, depth: int = 0
) -> None:
    """Merge ``delta`` into ``snapshot`` (``depth`` levels down in its object) in place.

    With ``pending``, the pieces of a streamed ``refusal``, ``input`` or ``logs`` are noted
    there instead of concatenated; :func:`join_pending` puts them in place.
    """
    deeper = depth + 1
    for key, value in delta.items():
        if key == "index":
            continue
        old = snapshot.get(key)
        if pending and (id(snapshot), key) in pending:
            if isinstance(value, str) and key in STREAMED:
                pending[id(snapshot), key][2].append(value)
                continue
            _join_one(pending.pop((id(snapshot), key)))  # replaced: what came first goes first
            old = snapshot.get(key)
        if isinstance(value, str) and isinstance(old, str) and key in STREAMED:
            if pending is not None and key in _PENDING:
                pending[id(snapshot), key] = (snapshot, key, [value])
            else:
                snapshot[key] = old + value
        elif deeper >= MAX_DEPTH:
            snapshot[key] = value  # too deep to merge: replaced, and shared
        elif isinstance(value, dict) and isinstance(old, dict):
            merge_delta(old, value, pending, deeper)
        elif isinstance(value, list) and _indexed(value):
            snapshot[key] = _merge_indexed(
                old if isinstance(old, list) else [], value, pending, deeper
            )
        elif value == [] and isinstance(old, list):
            continue  # a delta's empty list (``annotations: []``) adds nothing
        else:
            snapshot[key] = _without_indexes(value, deeper)


def _indexed(items: list[Any]) -> bool:
    return bool(items) and all(isinstance(item, dict) and "index" in item for item in items)


def _join_one(noted: tuple[JSON, str, list[str]]) -> None:
    target, key, pieces = noted
    target[key] += "".join(pieces)


def join_pending(pending: Pending) -> None:
    """Put every noted piece in place (each string joined once), and forget them."""
    for noted in pending.values():
        _join_one(noted)
    pending.clear()


def _merge_indexed(
    old: list[Any], items: list[Any], pending: Pending | None, depth: int
) -> list[Any]:
    """``old`` (``depth`` levels down) with each indexed item merged into its position (or
    appended)."""
    merged = list(old)
    for item in items:
        index = item["index"]
        if isinstance(index, int) and not isinstance(index, bool) and 0 <= index < len(merged):
            if isinstance(merged[index], dict):
                merge_delta(merged[index], item, pending, depth + 1)
            else:
                merged[index] = _without_indexes(item, depth + 1)
        else:
            kind = item.get("type")  # any JSON value: only a string can name a known kind
            new = copy.deepcopy(_EMPTY.get(kind, {})) if isinstance(kind, str) else {}
            merge_delta(new, item, pending, depth + 1)
            merged.append(new)
    return merged


def _without_indexes(value: Any, depth: int = 0) -> Any:
    """A copy of ``value`` (``depth`` levels down) without the ``index`` keys of indexed
    items; from :data:`MAX_DEPTH` down, shared rather than copied."""
    if depth >= MAX_DEPTH:
        return value
    if isinstance(value, dict):
        return {k: _without_indexes(v, depth + 1) for k, v in value.items() if k != "index"}
    if isinstance(value, list):
        return [_without_indexes(item, depth + 1) for item in value]
    return value


def _copy(value: Any, depth: int = 0) -> Any:
    """A copy of JSON ``value``, deep down to :data:`MAX_DEPTH` levels, shared below."""
    if depth >= MAX_DEPTH:
        return value
    if isinstance(value, dict):
        return {k: _copy(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(item, depth + 1) for item in value]
    return value


def _texts(parts: Any) -> list[str]:
    """The ``text.value`` of each text part in ``parts`` (a message's or a delta's content)."""
    if not isinstance(parts, list):
        return []
    texts = []
    for part in parts:
        text = part.get("text") if isinstance(part, dict) and part.get("type") == "text" else None
        if isinstance(text, dict) and isinstance(text.get("value"), str):
            texts.append(text["value"])
    return texts


def text_of(message: JSON) -> str:
    """The text of a message: its text parts, joined by blank lines."""
    return "\n\n".join(_texts(message.get("content")))


def delta_texts(data: JSON) -> list[str]:
    """The non-empty text pieces of one ``thread.message.delta`` event's data, in order."""
    delta = data.get("delta")
    return (
        [text for text in _texts(delta.get("content")) if text] if isinstance(delta, dict) else []
    )


def _arguments_only(delta: Any) -> tuple[int, str] | None:
    """``(index, piece)`` when a run step's delta is more arguments of one function call and
    nothing else."""
    if type(delta) is not dict or len(delta) != 1:
        return None
    details = delta.get("step_details")
    if type(details) is not dict or len(details) != 2 or details.get("type") != "tool_calls":
        return None
    calls = details.get("tool_calls")
    if type(calls) is not list or len(calls) != 1:
        return None
    call = calls[0]
    if type(call) is not dict or len(call) != 3 or call.get("type") != "function":
        return None
    index, function = call.get("index"), call.get("function")
    if type(index) is not int or index < 0 or type(function) is not dict or len(function) != 1:
        return None
    piece = function.get("arguments")
    return (index, piece) if type(piece) is str else None


def _function_arguments(step: JSON, index: int) -> JSON | None:
    """The ``function`` object of the step's tool call ``index``, if its arguments are text."""
    details = step.get("step_details")
    calls = details.get("tool_calls") if type(details) is dict else None
    if type(calls) is not list or not 0 <= index < len(calls):
        return None
    call = calls[index]
    function = call.get("function") if type(call) is dict else None
    if type(function) is dict and type(function.get("arguments")) is str:
        return function
    return None


def _is_text_part(part: Any) -> bool:
    """Whether ``part`` is a whole text part, whose text the noted pieces can extend: with its
    ``annotations`` list, to which a delta's ``"annotations": []`` adds nothing (a text that
    odd deltas left without one would get one from the general merge)."""
    text = part.get("text") if type(part) is dict and part.get("type") == "text" else None
    return (
        type(text) is dict
        and type(text.get("value")) is str
        and type(text.get("annotations")) is list
    )


class Snapshots:
    """The messages and run steps of one stream (or of every round of a tool loop), by id, in
    the order they first appeared.

    The common delta — more text for a text part — is only noted (the pieces of each part are
    joined when the messages are read), so that a long reply costs one list append a piece;
    any other delta is merged at once, by the rules above.
    """

    def __init__(self) -> None:
        self._messages: dict[str, JSON] = {}
        self._pieces: dict[str, dict[int, list[str]]] = {}
        self._steps: dict[str, JSON] = {}
        self._arguments: dict[str, dict[int, list[str]]] = {}
        self._pending: Pending = {}
        self.current_message: str | None = None

    @property
    def messages(self) -> dict[str, JSON]:
        join_pending(self._pending)
        for message_id in list(self._pieces):
            self._join(message_id)
        return self._messages

    @property
    def steps(self) -> dict[str, JSON]:
        join_pending(self._pending)
        for step_id in list(self._arguments):
            self._join_arguments(step_id)
        return self._steps

    def feed(self, event: str, data: Any) -> list[str]:
        """Take one event (its SSE name and JSON data); the text pieces it brings, in order.
        Events of other kinds are ignored."""
        if event == MESSAGE_DELTA:
            # The hot path: one more piece of a text part already being noted, a delta of
            # exactly {"content": [{"index": i, "type": "text", "text": {"value": piece}}]}
            # (the text may also have "annotations": []). Anything else raises here, or
            # fails a check below, and takes the general path. (Of JSON's values only an
            # object has keys, so the lookups check the objects' types, and only a one-item
            # list unpacks to one; only a string can be a key of ``_pieces``; an index must
            # be an int, not a float or a bool equal to one.)
            try:
                message_id = data["id"]
                delta = data["delta"]
                (part,) = delta["content"]
                index, text = part["index"], part["text"]
                value = text["value"]
                pieces = self._pieces[message_id][index]
            except (KeyError, TypeError, ValueError):
                pass
            else:
                if (
                    type(value) is str
                    and type(index) is int
                    and len(delta) == 1
                    and len(part) == 3
                    and part.get("type") == "text"
                    and (len(text) == 1 or (len(text) == 2 and text.get("annotations") == []))
                ):
                    self.current_message = message_id
                    pieces.append(value)
                    return [value] if value else []
        if type(data) is not dict or type(data.get("id")) is not str:
            return []
        if event == MESSAGE_DELTA:
            self.current_message = data["id"]
            return self._message_delta(data)
        if event.startswith("thread.message."):
            self._join(data["id"])
            self._feed(self._messages, event.removeprefix("thread.message."), data)
            self.current_message = data["id"]
        elif event == STEP_DELTA:
            self._step_delta(data)
        elif event.startswith("thread.run.step."):
            self._join_arguments(data["id"])
            self._feed(self._steps, event.removeprefix("thread.run.step."), data)
        return []

    def _message_delta(self, data: JSON) -> list[str]:
        message_id = data["id"]
        delta = data.get("delta")
        message = self._messages.get(message_id)
        if message is None:
            message = self._messages[message_id] = {"id": message_id}
        if type(delta) is not dict:
            return []
        content = delta.get("content")
        if len(delta) == 1 and type(content) is list:
            found = self._note(message_id, message, content)
            if found is not None:
                return found
        self._join(message_id)  # what was noted comes first
        merge_delta(message, delta, self._pending)
        return [text for text in _texts(content) if text]

    def _note(self, message_id: str, message: JSON, content: list[Any]) -> list[str] | None:
        """The pieces of ``content`` noted for their parts, if it is text and nothing else;
        else ``None``, and nothing noted."""
        parts = message.get("content")
        if parts is None:
            parts = message["content"] = []
        elif type(parts) is not list:
            return None
        found: list[tuple[int, str]] = []
        size = len(parts)
        for part in content:
            if type(part) is not dict or part.get("type") != "text" or len(part) != 3:
                return None
            index, text = part.get("index"), part.get("text")
            if type(index) is not int or type(text) is not dict or not 0 <= index <= size:
                return None
            value = text.get("value")
            if type(value) is not str or len(text) != (2 if "annotations" in text else 1):
                return None
            if text.get("annotations", ()) != [] and "annotations" in text:
                return None  # annotations to append: the general merge
            if index == size:  # a new part
                size += 1
            elif index < len(parts) and not _is_text_part(parts[index]):
                return None  # (index >= len(parts): a part this delta adds, seen again)
            found.append((index, value))
        pieces = self._pieces.setdefault(message_id, {})
        for index, value in found:
            if index == len(parts):
                parts.append(copy.deepcopy(_EMPTY["text"]) | {"type": "text"})
            pieces.setdefault(index, []).append(value)
        return [value for _, value in found if value]

    def _join(self, message_id: str) -> None:
        """Put the noted pieces of a message into its parts."""
        pieces = self._pieces.pop(message_id, None)
        if not pieces:
            return
        parts = self._messages[message_id]["content"]
        for index, noted in pieces.items():
            text = parts[index]["text"]
            text["value"] = text.get("value", "") + "".join(noted)

    def _step_delta(self, data: JSON) -> None:
        """A run step's delta. The common one — more of a function call's arguments — is only
        noted, as message text is; any other is merged by the general rules."""
        step_id = data["id"]
        call = _arguments_only(data.get("delta"))
        if call is not None:
            index, piece = call
            noted = self._arguments.get(step_id, {}).get(index)
            if noted is not None:
                noted.append(piece)
                return
        self._join_arguments(step_id)
        self._feed(self._steps, "delta", data, self._pending)
        if call is not None and _function_arguments(self._steps[step_id], call[0]) is not None:
            self._arguments.setdefault(step_id, {})[call[0]] = []  # the next pieces: noted

    def _join_arguments(self, step_id: str) -> None:
        noted = self._arguments.pop(step_id, None)
        if not noted:
            return
        for index, pieces in noted.items():
            function = _function_arguments(self._steps[step_id], index)
            assert function is not None  # noted only for such a call
            function["arguments"] += "".join(pieces)

    @staticmethod
    def _feed(
        objects: dict[str, JSON], kind: str, data: JSON, pending: Pending | None = None
    ) -> None:
        known = objects.get(data["id"])
        if kind == "delta":
            if known is None:
                known = objects[data["id"]] = {"id": data["id"]}
            delta = data.get("delta")
            if isinstance(delta, dict):
                merge_delta(known, delta, pending)
        elif kind == "in_progress" and known is not None:
            # A status change: what the deltas built so far stays.
            known.update(_copy({k: v for k, v in data.items() if k not in _BUILT_BY_DELTAS}))
        else:  # created, completed, incomplete, failed, cancelled, expired: the server's object
            objects[data["id"]] = _copy(data)
