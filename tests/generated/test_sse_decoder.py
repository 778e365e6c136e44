"""The SSE decoder's fast path (issue 11) against the line-at-a-time decoder it replaced.

``portkey_runs._sse.SSEDecoder`` now decodes and splits all the complete lines of a chunk at
once when they end with LF. ``_LineByLine`` below is the previous decoder, kept verbatim as the
reference: for any bytes in any chunking, both give the same events, the same ``mid_event``
after each chunk, and the same events at the end.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from portkey_runs._sse import ServerSentEvent, SSEDecoder


class _LineByLine:
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


# Fragments that make the decoder take every branch: fields with and without the space, a
# field without a colon, comments, ids (with NUL), every line ending, a BOM, UTF-8 split inside
# a character, invalid UTF-8.
FRAGMENTS = st.sampled_from(
    [
        b"data: ",
        b"data:",
        b"data",
        b"event: ",
        b"event:",
        b"event",
        b"id: ",
        b"id: a\x00b",
        b"retry: 5",
        b"foo: bar",
        b": comment",
        b":",
        b"\n",
        b"\n\n",
        b"\r",
        b"\r\n",
        b"\xef\xbb\xbf",
        "é✓".encode(),
        b"\xe2\x82",
        b"\xff",
        b" ",
        b"thread.message.delta",
        b'{"a": [1, "x"]}',
        b"[DONE]",
        # Whole events as servers write them, which the decoder splits out by regular
        # expression (issue 19), and pieces of them.
        b"event: thread.message.delta\ndata: {}\n\n",
        b"event:a\ndata:1\n\n",
        b"event: \ndata: \n\n",
        b"event: b\ndata: 2\n",
        b"\nevent: c\n",
    ]
)


def _run(decoder: SSEDecoder | _LineByLine, chunks: list[bytes]) -> list[object]:
    trace: list[object] = []
    for chunk in chunks:
        trace.append([(e.event, e.data, e.id) for e in decoder.feed(chunk)])
        trace.append(decoder.mid_event)
    trace.append([(e.event, e.data, e.id) for e in decoder.end()])
    trace.append(decoder.mid_event)
    return trace


@settings(max_examples=1500, derandomize=True, deadline=None, database=None)
@given(st.lists(FRAGMENTS, max_size=40), st.lists(st.integers(min_value=0), max_size=8))
def test_the_fast_path_decodes_exactly_as_the_line_by_line_decoder(
    fragments: list[bytes], cuts: list[int]
) -> None:
    body = b"".join(fragments)
    points = sorted({cut % (len(body) + 1) for cut in cuts})
    chunks = [body[a:b] for a, b in zip([0, *points], [*points, len(body)], strict=True)]
    assert _run(SSEDecoder(), chunks) == _run(_LineByLine(), chunks)


def test_the_reference_is_the_decoder_that_was_replaced() -> None:
    """Guards the differential test: the reference decodes, and the two can differ."""
    body = b"event: a\r\ndata: 1\n\ndata:2\r\r"
    # The last CR waits for a possible LF until the end, which dispatches the second event.
    assert _run(_LineByLine(), [body]) == [
        [("a", "1", None)],
        True,
        [("message", "2", None)],
        False,
    ]
    assert _run(SSEDecoder(), [body]) == _run(_LineByLine(), [body])
    assert _run(SSEDecoder(), [b"data: x\n\n"]) != _run(_LineByLine(), [b"data: y\n\n"])


# Events as servers write them, then every departure from that form the decoder must still read
# line by line: a field without a colon or its space, a comment, an id, several data lines,
# an extra blank line, an event with no data, a field after the data.
_SERVER_WRITTEN = (
    b"event: thread.run.created\ndata: {\"id\": \"run_1\"}\n\n"
    b"event: thread.message.delta\ndata: {\"a\": \"\xc3\xa9\"}\n\n"
    b"event:x\ndata:y\n\n"
    b"event:\ndata: no name: a message\n\n"
)
_ODD = [
    b"event: a\ndata\n\n",
    b": keep-alive\n\n",
    b"id: 7\nevent: a\ndata: 1\n\n",
    b"event: a\ndata: 1\ndata: 2\n\n",
    b"\n",
    b"event: a\n\n",
    b"event: a\ndata: 1\nretry: 5\n\n",
    b"data: 1\nevent: a\n\n",
    b"event:  two spaces\ndata:  kept\n\n",
]


def _bodies() -> list[bytes]:
    """Server-written events with each odd form first, between them and last; and with CRLF
    and CR line ends and a BOM."""
    bodies = []
    for odd in _ODD:
        bodies += [odd + _SERVER_WRITTEN, _SERVER_WRITTEN + odd + _SERVER_WRITTEN]
        bodies.append(_SERVER_WRITTEN + odd)
    plain = _SERVER_WRITTEN * 2
    bodies += [plain.replace(b"\n", b"\r\n"), plain.replace(b"\n", b"\r"), b"\xef\xbb\xbf" + plain]
    return bodies


def test_every_split_of_server_written_events_decodes_as_the_line_by_line_decoder() -> None:
    for body in _bodies():
        whole = _run(_LineByLine(), [body])
        assert whole[0], body  # the reference finds events in it
        for cut in range(len(body) + 1):
            chunks = [body[:cut], body[cut:]]
            assert _run(SSEDecoder(), chunks) == _run(_LineByLine(), chunks), (body, cut)
        byte_by_byte = [body[i : i + 1] for i in range(len(body))]
        assert _run(SSEDecoder(), byte_by_byte) == _run(_LineByLine(), byte_by_byte), body
