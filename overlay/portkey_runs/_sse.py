"""An incremental server-sent-events decoder (the WHATWG ``text/event-stream`` format).

Pure: bytes go in, whole events come out, in any chunking. Shared by the sync and async
streams; only their I/O differs.
"""

from __future__ import annotations

from attrs import frozen

__all__ = ["SSEDecoder", "ServerSentEvent"]


@frozen
class ServerSentEvent:
    event: str
    data: str
    id: str | None = None


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
        events: list[ServerSentEvent] = []
        buffer = self._buffer + chunk
        if not self._started and buffer:
            if len(buffer) < 3 and b"\xef\xbb\xbf".startswith(buffer):
                self._buffer = buffer
                return events
            self._started = True
            if buffer.startswith(b"\xef\xbb\xbf"):
                buffer = buffer[3:]
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
            event = self._line(buffer[start:end])
            start = nxt
            if event is not None:
                events.append(event)
        self._buffer = buffer[start:]
        return events

    def end(self) -> list[ServerSentEvent]:
        """Call once the stream has ended: a last line ended by a lone CR completes now."""
        if self._buffer.endswith(b"\r"):
            raw, self._buffer = self._buffer[:-1], b""
            event = self._line(raw)
            if event is not None:
                return [event]
        return []

    def _line(self, raw: bytes) -> ServerSentEvent | None:
        if not raw:
            # An event with no data line is not dispatched, per the format.
            event = None
            if self._data:
                event = ServerSentEvent(self._event or "message", "\n".join(self._data), self._id)
            self._event, self._data, self._pending_fields = "", [], False
            return event
        line = raw.decode("utf-8", errors="replace")
        if line.startswith(":"):
            return None
        name, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
        elif name == "id":
            if "\0" not in value:
                self._id = value
        else:
            return None  # "retry" and unknown fields carry nothing for us
        self._pending_fields = True
        return None
