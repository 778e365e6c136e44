"""An incremental server-sent-events decoder (the WHATWG ``text/event-stream`` format).

Pure: bytes go in, whole events come out, in any chunking. Shared by the sync and async
streams; only their I/O differs.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["SSEDecoder", "ServerSentEvent"]


class ServerSentEvent(NamedTuple):
    """One event: its name (``message`` when it had none), its data lines joined with ``\\n``,
    and the last event id seen. Immutable; a tuple, so that making one per event costs little."""

    event: str
    data: str
    id: str | None = None


_new_event = tuple.__new__  # ServerSentEvent(...) without the keyword-argument handling


class SSEDecoder:
    """Feed it bytes as they arrive; it returns each event once its blank line is seen.

    Lines end with CRLF, LF or CR; a CR at the end of a chunk waits for the next chunk to
    tell whether an LF follows. Comments (``:``) and unknown fields are ignored; ``data``
    lines of one event are joined with ``\\n``; an event with no ``event:`` field is a
    ``message``, and one with no ``data`` line is dropped, per the format.
    """

    def __init__(self) -> None:
        self._buffer = b""
        self._event = ""
        self._data: list[str] = []
        self._id: str | None = None
        self._started = False
        self._pending_fields = False

    @property
    def mid_event(self) -> bool:
        """True when bytes of an event have arrived but not its terminating blank line."""
        return bool(self._buffer) or self._pending_fields

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """The events that ``chunk`` completes, in order."""
        buffer = self._buffer + chunk
        if not self._started and buffer:
            if len(buffer) < 3 and b"\xef\xbb\xbf".startswith(buffer):
                self._buffer = buffer
                return []
            self._started = True
            if buffer.startswith(b"\xef\xbb\xbf"):
                buffer = buffer[3:]
        if b"\r" not in buffer:
            # Lines end with LF only (as servers send them): one decode and one split for all
            # the complete lines. Decoding them together gives what decoding each would: an
            # LF is never part of a UTF-8 sequence, so no invalid sequence spans two lines.
            complete, ended, self._buffer = buffer.rpartition(b"\n")
            if not ended:
                return []
            return self._lines(complete.decode("utf-8", errors="replace").split("\n"))
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
        self._buffer = buffer[start:]
        return self._lines(lines)

    def end(self) -> list[ServerSentEvent]:
        """Call once the stream has ended: a last line ended by a lone CR completes now."""
        if self._buffer.endswith(b"\r"):
            raw, self._buffer = self._buffer[:-1], b""
            return self._lines([raw.decode("utf-8", errors="replace")])
        return []

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
        self._event, self._data, self._pending_fields = event, data, pending
        return events
