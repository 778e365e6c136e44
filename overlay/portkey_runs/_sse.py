"""An incremental server-sent-events decoder (the WHATWG ``text/event-stream`` format).

Pure: bytes go in, whole events come out, in any chunking. Shared by the sync and async
streams; only their I/O differs.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from .errors import EventTooLargeError

__all__ = ["SSEDecoder", "ServerSentEvent"]


class ServerSentEvent(NamedTuple):
    """One event: its name (``message`` when it had none), its data lines joined with ``\\n``,
    and the last event id seen. Immutable; a tuple, so that making one per event costs little."""

    event: str
    data: str
    id: str | None = None


_new_event = tuple.__new__  # ServerSentEvent(...) without the keyword-argument handling

#: One event as servers write it: an ``event:`` line, a ``data:`` line and a blank line (LF
#: line ends; a field's one optional space after its colon dropped, as the format says),
#: matched from the LF before it to the LF before its blank line's, so that a match starts
#: only at a line's start and never reads past the next blank line (linear time).
_SIMPLE_EVENT = re.compile(r"\nevent: ?([^\n]*)\ndata: ?([^\n]*)\n(?=\n)")


class SSEDecoder:
    """Feed it bytes as they arrive; it returns each event once its blank line is seen.

    Lines end with CRLF, LF or CR; a CR at the end of a chunk waits for the next chunk to
    tell whether an LF follows. Comments (``:``) and unknown fields are ignored; ``data``
    lines of one event are joined with ``\\n``; an event with no ``event:`` field is a
    ``message``, and one with no ``data`` line is dropped, per the format.

    Linear in its input: an unfinished line is kept as its chunks and joined once, when it
    ends. ``max_event_bytes`` (``None``: no bound) bounds an unfinished line and the data of
    one event, so that a server cannot make it hold more.
    """

    def __init__(self, max_event_bytes: int | None = None) -> None:
        # The unfinished last line, as the chunks it came in: joined once, when it ends, so
        # that a long line costs its length once, not once per chunk.
        self._tail: list[bytes] = []
        self._tail_size = 0
        self._event = ""
        self._data: list[str] = []
        self._size = 0  # the characters of the unfinished event's data lines so far
        self._counted = 0  # how many of its lines ``_size`` counts
        self._id: str | None = None
        self._started = False
        self._pending_fields = False
        self._limit = max_event_bytes

    @property
    def mid_event(self) -> bool:
        """True when bytes of an event have arrived but not its terminating blank line."""
        return bool(self._tail_size) or self._pending_fields

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """The events that ``chunk`` completes, in order; ``EventTooLargeError`` once a line or
        an event passes ``max_event_bytes``."""
        if (
            self._started
            and b"\n" not in chunk
            and b"\r" not in chunk
            and (not self._tail or not self._tail[-1].endswith(b"\r"))
        ):
            # No line ends here: keep the chunk, look at nothing again.
            if chunk:
                self._tail.append(chunk)
                self._tail_size += len(chunk)
                if self._limit is not None and self._tail_size > self._limit:
                    raise _too_large("a line", self._limit)
            return []
        buffer = b"".join(self._tail) + chunk if self._tail else chunk
        carried = self._size  # the data of the event in progress, counted at earlier chunks
        self._tail.clear()
        self._tail_size = 0
        if not self._started and buffer:
            if len(buffer) < 3 and b"\xef\xbb\xbf".startswith(buffer):
                self._keep(buffer)
                return []
            self._started = True
            if buffer.startswith(b"\xef\xbb\xbf"):
                buffer = buffer[3:]
        if b"\r" not in buffer:
            # Lines end with LF only (as servers send them): one decode for all the complete
            # lines. Decoding them together gives what decoding each would: an LF is never
            # part of a UTF-8 sequence, so no invalid sequence spans two lines.
            end = buffer.rfind(b"\n") + 1
            self._keep(buffer[end:])
            if not end:
                return []
            events = self._text(buffer[:end].decode("utf-8", errors="replace"))
        else:
            events = self._crlf(buffer)
        if self._limit is not None and events and carried + len(buffer) > self._limit:
            self._check(events, self._limit)  # only then can an event it ends be past the cap
        return events

    def _crlf(self, buffer: bytes) -> list[ServerSentEvent]:
        """The events that ``buffer`` (some lines ended by CR or CRLF) finishes, line by line."""
        lines: list[str] = []
        start = 0
        length = len(buffer)
        while start < length:
            lf = buffer.find(b"\n", start)
            cr = buffer.find(b"\r", start, lf if lf >= 0 else length)
            if cr >= 0:
                if cr == length - 1:
                    break  # a CR at the end: wait to see whether LF follows
                end, nxt = cr, cr + 2 if buffer[cr + 1 : cr + 2] == b"\n" else cr + 1
            elif lf >= 0:
                end, nxt = lf, lf + 1
            else:
                break
            lines.append(buffer[start:end].decode("utf-8", errors="replace"))
            start = nxt
        self._keep(buffer[start:])
        return self._lines(lines)

    def _check(self, events: list[ServerSentEvent], limit: int) -> None:
        """Raise if one of ``events`` has more data than ``limit``, counted as :meth:`_measure`
        counts an unfinished event's (its lines, without the newlines that join them): an
        event ended in the chunk that brought it (or the rest of it) is past the cap as well."""
        for event in events:
            if len(event.data) - event.data.count("\n") > limit:
                raise _too_large("an event", limit)

    def _keep(self, rest: bytes) -> None:
        """``rest`` (no complete line in it) as the unfinished tail."""
        if rest:
            if self._limit is not None and len(rest) > self._limit:
                raise _too_large("a line", self._limit)
            self._tail.append(rest)
            self._tail_size = len(rest)

    def end(self) -> list[ServerSentEvent]:
        """Call once the stream has ended: a last line ended by a lone CR completes now."""
        if self._tail and self._tail[-1].endswith(b"\r"):
            raw = b"".join(self._tail)[:-1]
            self._tail.clear()
            self._tail_size = 0
            return self._lines([raw.decode("utf-8", errors="replace")])
        return []

    def _text(self, text: str) -> list[ServerSentEvent]:
        """The events that ``text`` (complete lines, each ended by LF) finishes.

        Events as servers write them (an ``event:`` line, a ``data:`` line, a blank line) are
        split out by one regular expression, in C; the event an earlier chunk began is read
        by :meth:`_lines` up to its blank line first, and text with anything else between
        two events (a comment, an id, several data lines) is read by it entirely. A chunk of
        one such event (a server sending each event as it comes) costs one match; text that
        does not start with an ``event:`` line is not searched.
        """
        events: list[ServerSentEvent] = []
        if self._pending_fields:
            # The event in progress first, up to its blank line (which leaves no state).
            if text[0] == "\n":
                end = 1
            else:
                end = text.find("\n\n") + 2
                if end == 1:  # no blank line: the event goes on past these lines
                    return self._lines(text.split("\n")[:-1])
            events = self._lines(text[:end].split("\n")[:-1])
            text = text[end:]
            if not text:
                return events
        if not text.startswith("event:"):
            # Not as servers write events (an id or a comment first, data alone): line by
            # line at once, not after a search that would find it so.
            found = self._lines(text.split("\n")[:-1])
            return events + found if events else found
        searched = "\n" + text
        one = _SIMPLE_EVENT.match(searched)
        if one is not None and one.end() == len(text):  # up to the last LF: one event, no more
            # A chunk of one event, as a server that sends each event as it comes writes it.
            name, data = one.groups()
            events.append(_new_event(ServerSentEvent, (name or "message", data, self._id)))
            return events
        # [between, event, data, between, ..., after]: "between" empty when the two are
        # adjacent, "after" the LF that ends the last event's blank line and the lines after
        parts = _SIMPLE_EVENT.split(searched)
        if any(parts[0:-1:3]):
            return events + self._lines(text.split("\n")[:-1])
        last_id = self._id
        events += [
            _new_event(ServerSentEvent, (name or "message", data, last_id))
            for name, data in zip(parts[1::3], parts[2::3], strict=True)
        ]
        after = parts[-1]
        return events + self._lines(after[1:].split("\n")[:-1]) if len(after) > 1 else events

    def _lines(self, lines: list[str]) -> list[ServerSentEvent]:
        """The events that these complete lines finish; the state carries over between calls."""
        events: list[ServerSentEvent] = []
        event, data, pending = self._event, self._data, self._pending_fields
        for line in lines:
            if not line:
                # An event with no data line is not dispatched, per the format.
                if data:
                    fields = (event or "message", "\n".join(data), self._id)
                    events.append(_new_event(ServerSentEvent, fields))
                    data = []
                event, pending = "", False
            elif line.startswith("data:"):  # the most frequent lines first
                data.append(line[6:] if line.startswith(" ", 5) else line[5:])
                pending = True
            elif line.startswith("event:"):
                event = line[7:] if line.startswith(" ", 6) else line[6:]
                pending = True
            elif not line.startswith(":"):  # a comment carries nothing
                name, sep, value = line.partition(":")
                if sep and value.startswith(" "):
                    value = value[1:]
                if name == "event":
                    event, pending = value, True
                elif name == "data":
                    data.append(value)
                    pending = True
                elif name == "id":
                    if "\0" not in value:
                        self._id = value
                    pending = True
                # "retry" and unknown fields carry nothing for us
        if data:
            self._measure(data)
        else:
            self._size = self._counted = 0
        self._event, self._data, self._pending_fields = event, data, pending
        return events

    def _measure(self, data: list[str]) -> None:
        """Count the data lines of the unfinished event that this chunk added (once per chunk,
        not per line: the hot path pays nothing per line); past the cap, raise."""
        if data is self._data:  # the same event as before this chunk, going on
            size, counted = self._size, self._counted
        else:
            size, counted = 0, 0
        size += sum(map(len, data[counted:]))
        if self._limit is not None and size > self._limit:
            self._data, self._size, self._counted = [], 0, 0
            raise _too_large("an event", self._limit)
        self._size, self._counted = size, len(data)


def _too_large(what: str, limit: int) -> EventTooLargeError:
    return EventTooLargeError(
        f"{what} of the event stream is longer than max_event_bytes={limit} bytes; "
        "pass a larger max_event_bytes= (or None) to the client or the call",
        limit,
        "max_event_bytes",
    )
