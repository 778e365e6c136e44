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
  and ``logs``, a ``refusal`` — are concatenated;
* objects are merged key by key; anything else (a status, a number, a list without indexes)
  is replaced, never added.
"""

from __future__ import annotations

import copy
from typing import Any

__all__ = ["Snapshots", "delta_texts", "merge_delta", "text_of"]

JSON = dict[str, Any]

#: The string fields that arrive in pieces.
STREAMED = frozenset({"value", "arguments", "input", "logs", "refusal"})
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


def merge_delta(snapshot: JSON, delta: JSON) -> None:
    """Merge ``delta`` into ``snapshot`` in place."""
    for key, value in delta.items():
        if key == "index":
            continue
        old = snapshot.get(key)
        if isinstance(value, str) and isinstance(old, str) and key in STREAMED:
            snapshot[key] = old + value
        elif isinstance(value, dict) and isinstance(old, dict):
            merge_delta(old, value)
        elif isinstance(value, list) and _indexed(value):
            snapshot[key] = _merge_indexed(old if isinstance(old, list) else [], value)
        else:
            snapshot[key] = _without_indexes(value)


def _indexed(items: list[Any]) -> bool:
    return bool(items) and all(isinstance(item, dict) and "index" in item for item in items)


def _merge_indexed(old: list[Any], items: list[Any]) -> list[Any]:
    """``old`` with each indexed item merged into its position (or appended)."""
    merged = list(old)
    for item in items:
        index = item["index"]
        if isinstance(index, int) and not isinstance(index, bool) and 0 <= index < len(merged):
            if isinstance(merged[index], dict):
                merge_delta(merged[index], item)
            else:
                merged[index] = _without_indexes(item)
        else:
            new = copy.deepcopy(_EMPTY.get(item.get("type"), {})) if "type" in item else {}
            merge_delta(new, item)
            merged.append(new)
    return merged


def _without_indexes(value: Any) -> Any:
    """A deep copy of ``value`` without the ``index`` keys of indexed items."""
    if isinstance(value, dict):
        return {k: _without_indexes(v) for k, v in value.items() if k != "index"}
    if isinstance(value, list):
        return [_without_indexes(item) for item in value]
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


class Snapshots:
    """The messages and run steps of one stream (or of every round of a tool loop), by id, in
    the order they first appeared."""

    def __init__(self) -> None:
        self.messages: dict[str, JSON] = {}
        self.steps: dict[str, JSON] = {}
        self.current_message: str | None = None

    def feed(self, event: str, data: Any) -> None:
        """Take one event (its SSE name and JSON data); events of other kinds are ignored."""
        if not isinstance(data, dict) or not isinstance(data.get("id"), str):
            return
        if event.startswith("thread.message."):
            self._feed(self.messages, event.removeprefix("thread.message."), data)
            self.current_message = data["id"]
        elif event.startswith("thread.run.step."):
            self._feed(self.steps, event.removeprefix("thread.run.step."), data)

    @staticmethod
    def _feed(objects: dict[str, JSON], kind: str, data: JSON) -> None:
        known = objects.get(data["id"])
        if kind == "delta":
            if known is None:
                known = objects[data["id"]] = {"id": data["id"]}
            delta = data.get("delta")
            if isinstance(delta, dict):
                merge_delta(known, delta)
        elif kind == "in_progress" and known is not None:
            # A status change: what the deltas built so far stays.
            known.update(
                copy.deepcopy({k: v for k, v in data.items() if k not in _BUILT_BY_DELTAS})
            )
        else:  # created, completed, incomplete, failed, cancelled, expired: the server's object
            objects[data["id"]] = copy.deepcopy(data)
