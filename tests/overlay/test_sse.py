"""The SSE decoder, pure: any chunking gives the same events, once each."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portkey_runs import _sse
from portkey_runs._sse import ServerSentEvent, SSEDecoder
from portkey_runs.errors import EventTooLargeError


def decode(*chunks: bytes) -> list[ServerSentEvent]:
    decoder = SSEDecoder()
    events = [event for chunk in chunks for event in decoder.feed(chunk)]
    return events + list(decoder.end())


@pytest.mark.parametrize("eol", [b"\n", b"\r\n", b"\r"])
def test_every_line_ending_is_understood(eol: bytes) -> None:
    body = eol.join([b"event: a", b"data: 1", b"", b"data: 2", b"", b""])
    assert decode(body) == [ServerSentEvent("a", "1"), ServerSentEvent("message", "2")]


def test_a_cr_at_the_end_of_a_chunk_waits_for_a_possible_lf() -> None:
    events = decode(b"event: a\r", b"\ndata: 1\r", b"\n\r", b"\n")
    assert events == [ServerSentEvent("a", "1")]


def test_multi_line_data_is_joined_with_newlines() -> None:
    assert decode(b"data: a\ndata:b\ndata\n\n") == [ServerSentEvent("message", "a\nb\n")]


def test_comments_retry_and_unknown_fields_are_ignored() -> None:
    body = b": keep-alive\n\nretry: 10\nfoo: bar\nevent: x\ndata: y\nid: 7\n\n"
    assert decode(body) == [ServerSentEvent("x", "y", "7")]


def test_a_leading_bom_is_dropped_even_when_split() -> None:
    assert decode(b"\xef", b"\xbb\xbfdata: 1\n\n") == [ServerSentEvent("message", "1")]


def test_utf8_split_inside_a_character_is_reassembled() -> None:
    body = "data: héllo ✓\n\n".encode()
    assert decode(body[:8], body[8:10], body[10:]) == [ServerSentEvent("message", "héllo ✓")]


def test_mid_event_tells_whether_an_event_is_half_received() -> None:
    decoder = SSEDecoder()
    list(decoder.feed(b"event: a\ndata: 1\n\n"))
    assert not decoder.mid_event
    list(decoder.feed(b"event: b\n"))
    assert decoder.mid_event
    decoder2 = SSEDecoder()
    list(decoder2.feed(b"data: partial line"))
    assert decoder2.mid_event


EVENTS = st.lists(
    st.tuples(
        st.sampled_from(["thread.run.created", "thread.message.delta", "error", "done"]),
        st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), max_size=40),
    ),
    max_size=8,
)


@settings(max_examples=200, derandomize=True, deadline=None)
@given(
    events=EVENTS,
    cuts=st.lists(st.integers(min_value=0, max_value=2000), max_size=12),
    eol=st.sampled_from(["\n", "\r\n", "\r"]),
)
def test_any_split_of_a_valid_stream_gives_each_event_once(
    events: list[tuple[str, str]], cuts: list[int], eol: str
) -> None:
    body = "".join(f"event: {n}{eol}data: {d}{eol}{eol}" for n, d in events).encode()
    points = sorted({c % (len(body) + 1) for c in cuts})
    chunks = [body[a:b] for a, b in zip([0, *points], [*points, len(body)], strict=True)]
    got = decode(*chunks)
    assert [(e.event, e.data) for e in got] == events


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.lists(st.binary(max_size=64), max_size=10))
def test_random_bytes_never_crash_or_hang(chunks: list[bytes]) -> None:
    decoder = SSEDecoder()
    for chunk in chunks:
        for event in decoder.feed(chunk):
            assert isinstance(event.data, str)


# An event past max_event_bytes raises however it arrives: ended in the chunk that brought it
# (through the regular expression's path, line by line, with CRLF) or in a later one. Its data
# is counted as its lines, without the newlines that join them: 10 at a cap of 10 is in.
@pytest.mark.parametrize(
    "chunks",
    [
        [b"event: a\ndata: " + b"x" * 11 + b"\n\n"],
        [b"data: " + b"x" * 11 + b"\n\n"],
        [b"data: xxxxxx\ndata: xxxxx\n\n"],
        [b"event: a\r\ndata: " + b"x" * 11 + b"\r\n\r\n"],
        [b"event: a\ndata: xxxxxx\n", b"data: xxxxx\n\n"],
        [b"data: xxxxxx\r\n", b"data: xxxxx\r\n\r\n"],
        [b"event: a\ndata: 1\n\nevent: b\ndata: " + b"x" * 11 + b"\n\nevent: c\ndata: 2\n\n"],
    ],
)
def test_an_event_past_the_cap_raises_even_when_one_chunk_ends_it(chunks: list[bytes]) -> None:
    decoder = SSEDecoder(max_event_bytes=10)
    with pytest.raises(EventTooLargeError, match="an event"):
        for chunk in chunks:
            decoder.feed(chunk)


@pytest.mark.parametrize(
    "chunks",
    [
        [b"event: a\ndata: " + b"x" * 10 + b"\n\n"],
        [b"data: xxxxx\ndata: xxxxx\n\n"],
        [b"event: a\ndata: xxxxx\n", b"data: xxxxx\n\n"],
        [b"event: a\r\ndata: " + b"x" * 10 + b"\r\n\r\n"],
        [b"event: a\ndata: " + b"x" * 10 + b"\n\n" * 2],
    ],
)
def test_an_event_at_the_cap_is_read(chunks: list[bytes]) -> None:
    decoder = SSEDecoder(max_event_bytes=10)
    events = [event for chunk in chunks for event in decoder.feed(chunk)]
    assert len(events) == 1
    assert len(events[0].data) - events[0].data.count("\n") == 10


class _Counting:
    """Stands in for the decoder's regular expression, counting its searches."""

    def __init__(self) -> None:
        self.calls = 0
        self.pattern = _sse._SIMPLE_EVENT

    def match(self, text: str) -> re.Match[str] | None:
        self.calls += 1
        return self.pattern.match(text)

    def split(self, text: str) -> list[str]:
        self.calls += 1
        return self.pattern.split(text)


# Per chunk, not only per event: a server that sends each event as it comes sends a chunk an
# event, where the cost of reading a chunk is the cost of an event (issue 19 review).
def test_a_chunk_of_one_server_written_event_is_one_search_and_no_line_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    counting = _Counting()
    monkeypatch.setattr(_sse, "_SIMPLE_EVENT", counting)
    decoder = SSEDecoder()
    monkeypatch.setattr(decoder, "_lines", lambda lines: pytest.fail(f"line loop: {lines}"))
    for name in ("a", "b"):
        assert decoder.feed(f"event: {name}\ndata: {{}}\n\n".encode()) == [
            ServerSentEvent(name, "{}")
        ]
    assert counting.calls == 2
    assert not decoder.mid_event


def test_a_chunk_that_does_not_start_as_servers_write_events_is_not_searched(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    counting = _Counting()
    monkeypatch.setattr(_sse, "_SIMPLE_EVENT", counting)
    decoder = SSEDecoder()
    for chunk in (b"id: 1\nevent: a\ndata: 1\n\n", b"data: 2\n\n", b": ping\n\n"):
        decoder.feed(chunk)
    assert counting.calls == 0
    assert decoder.feed(b"event: b\ndata: 3\n\n") == [ServerSentEvent("b", "3", "1")]
