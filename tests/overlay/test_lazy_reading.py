"""The overlay's read path with typing at access (the default, tolerant mode), over loopback HTTP.

Every call here says ``strict_responses=False`` (the tests run strict unless told). One read
per answer, with the reporter set: what the client needs (``x-needed``) and the way to
it (``x-eager``) is typed at arrival, a departure there raising or listed at once; the rest is
typed when read, and a departure there is announced and listed in ``page.drift`` /
``stream.drift`` then, once. Snapshot views are typed at once, as they were when taken.
"""

from __future__ import annotations

import asyncio
import json
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from portkey_runs import (
    AsyncClient,
    Client,
    ResponseValidationError,
    SpecDriftWarning,
    StreamError,
    _drift,
)
from portkey_runs_api.models import Message, Run
from tests._loopback import LoopbackServer, Reply
from tests.overlay.test_real_shapes import _body, _message, _run, _text_delta

JSON = dict[str, Any]
SSE_HEADERS = {"content-type": "text/event-stream"}
OUTPUTS = [{"tool_call_id": "call_1", "output": "ok"}]


@pytest.fixture(autouse=True)
def fresh_announcements(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with nothing announced yet (announcements are once per process)."""
    monkeypatch.setattr(_drift, "_announced", set())


@pytest.fixture
def client(loopback: LoopbackServer) -> Iterator[Client]:
    with Client("pk-test", base_url=loopback.url, max_retries=0) as c:
        yield c


def _page(*runs: JSON) -> Reply:
    page = {"object": "list", "data": list(runs), "first_id": None, "last_id": None}
    return Reply.json({**page, "has_more": False})


def _unbuilt(obj: Any) -> set[str]:
    """The lazy properties of ``obj`` not typed yet (looked at without typing them)."""
    found = set()
    for name in type(obj)._lazy_readers_:
        try:
            object.__getattribute__(obj, name)
        except AttributeError:
            found.add(name)
    return found


def test_a_tolerant_page_types_only_what_the_client_needs_at_arrival(
    loopback: LoopbackServer, client: Client
) -> None:
    loopback.replies.append(_page(_run("completed")))
    (page,) = client.runs.list("thread_shape1", strict_responses=False).pages()
    (run,) = page.data
    assert _unbuilt(run) >= {"tools", "metadata", "tool_resources", "truncation_strategy"}
    assert (run.id, run.status, run.created_at, run.model) == (
        "run_shape1",
        "completed",
        1730000000,
        "gpt-4o-mini",
    )
    assert run.to_dict() == _run("completed")  # everything typed now, as a strict read has it
    assert _unbuilt(run) == set()
    loopback.replies.append(_page(_run("completed")))
    (strict,) = client.runs.list("thread_shape1", strict_responses=True)
    assert _unbuilt(strict) == set()
    assert strict == run


def test_a_lazy_departure_is_listed_in_page_drift_when_read_and_announced_once(
    loopback: LoopbackServer, client: Client
) -> None:
    odd = {**_run("completed"), "truncation_strategy": ["odd"]}
    loopback.replies.append(_page(odd, {**odd, "id": "run_shape2"}))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        (page,) = client.runs.list("thread_shape1", strict_responses=False).pages()
        assert (page.drift, caught) == ((), [])  # nothing read yet, nothing found
        first, second = page.data
        assert first.truncation_strategy is None
        assert [(d.model, d.path) for d in page.drift] == [("Run", "truncation_strategy")]
        assert first.truncation_strategy is None  # read again: built once, listed once
        assert len(page.drift) == 1
        assert second.truncation_strategy is None
    assert [(d.model, d.path) for d in page.drift] == [("Run", "truncation_strategy")] * 2
    assert [w.category for w in caught] == [SpecDriftWarning]  # once per (model, property)


def test_a_pages_repr_shows_its_drift_as_far_as_read(
    loopback: LoopbackServer, client: Client
) -> None:
    loopback.replies.append(_page({**_run("completed"), "truncation_strategy": ["odd"]}))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (page,) = client.runs.list("thread_shape1", strict_responses=False).pages()
        assert page.data[0].truncation_strategy is None
    assert len(page.drift) == 1
    assert repr(page).endswith(f"drift={page.drift!r})")
    assert "_drift" not in repr(page)


def test_a_needed_property_raises_at_arrival_even_tolerantly(
    loopback: LoopbackServer, client: Client
) -> None:
    loopback.replies.append(_page({**_run("requires_action"), "required_action": "odd"}))
    with pytest.raises(
        ResponseValidationError, match=r"ListRunsResponse\.data\[0\]\.required_action: expected"
    ):
        client.runs.list("thread_shape1", strict_responses=False).pages().__next__()


def _stream(*events: tuple[str, Any]) -> Reply:
    return Reply(200, [_body([*events, ("thread.run.completed", _run("completed"))])], SSE_HEADERS)


def test_a_delta_index_that_is_no_integer_raises_at_its_event_even_tolerantly(
    loopback: LoopbackServer, client: Client
) -> None:
    delta = _text_delta("msg_1", {"value": "Hi"})
    delta["delta"]["content"][0]["index"] = "0"
    loopback.replies.append(_stream(("thread.message.delta", delta)))
    with client.runs.stream_tool_outputs(
        "thread_shape1", "run_shape1", OUTPUTS, strict_responses=False
    ) as stream:
        with pytest.raises(
            ResponseValidationError,
            match=r"MessageDelta\.delta\.content\[0\]\.index: expected integer",
        ):
            next(iter(stream))


def test_a_departure_on_the_way_to_what_is_needed_is_listed_at_arrival_not_raised(
    loopback: LoopbackServer, client: Client
) -> None:
    """``x-eager``: a delta's ``delta`` is typed at arrival, and read tolerantly as before."""
    odd = {"id": "msg_1", "object": "thread.message.delta", "delta": "odd"}
    loopback.replies.append(_stream(("thread.message.delta", odd)))
    with client.runs.stream_tool_outputs(
        "thread_shape1", "run_shape1", OUTPUTS, strict_responses=False
    ) as stream:
        with pytest.warns(SpecDriftWarning, match=r"MessageDelta\.delta"):
            event = next(iter(stream))
        assert [(d.model, d.path) for d in stream.drift] == [("MessageDelta", "delta")]
        assert event.event == "thread.message.delta"
        assert event.data.delta is None


def test_a_message_snapshot_is_typed_as_it_was_when_taken(
    loopback: LoopbackServer, client: Client
) -> None:
    """Snapshots grow as deltas arrive: a view read lazily would show what came later."""
    created = _message("msg_1")
    loopback.replies.append(
        _stream(
            ("thread.message.created", created),
            ("thread.message.delta", _text_delta("msg_1", {"value": "Hello"})),
            ("thread.message.delta", _text_delta("msg_1", {"value": ", world"})),
        )
    )
    taken: list[Message] = []
    with client.runs.stream_tool_outputs(
        "thread_shape1", "run_shape1", OUTPUTS, strict_responses=False
    ) as stream:
        for event in stream:
            if event.event == "thread.message.delta":
                snapshot = stream.current_message_snapshot
                assert snapshot is not None
                assert _unbuilt(snapshot) == set()
                taken.append(snapshot)
        final = stream.until_done()
    assert isinstance(final, Run)
    texts = [json.dumps(m.to_dict()["content"]) for m in taken]
    assert ['"Hello"' in texts[0], '", world"' in texts[0]] == [True, False]
    assert "Hello, world" in texts[1]


def test_a_departure_read_in_a_snapshot_first_then_in_its_event_is_listed_once(
    loopback: LoopbackServer, client: Client
) -> None:
    """A snapshot departs where its event did: listed once, whichever is read first."""
    created = _message("msg_1", attachments="odd")
    loopback.replies.append(_stream(("thread.message.created", created)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with client.runs.stream_tool_outputs(
            "thread_shape1", "run_shape1", OUTPUTS, strict_responses=False
        ) as stream:
            events = list(stream)
            (snapshot,) = stream.final_messages()
            assert snapshot.attachments is None
            assert [(d.model, d.path) for d in stream.drift] == [("Message", "attachments")]
            created_message = events[0].data
            assert isinstance(created_message, Message)
            assert created_message.attachments is None
    assert [(d.model, d.path) for d in stream.drift] == [("Message", "attachments")]


def test_a_lazy_departure_read_after_the_stream_failed_masks_an_echoed_secret(
    loopback: LoopbackServer,
) -> None:
    """The stream's error masks the request's secrets and redacts its headers in place; a lazy
    property read afterwards, quoting the echoed key, is masked all the same."""
    secret = "pk-SECRET-lazy-echo"
    echoing = _run("in_progress", usage=f"echo: {secret}")
    error = {"error": {"message": "boom", "type": "server_error"}}
    body = _body([("thread.run.in_progress", echoing), ("error", error)])
    loopback.replies.append(Reply(200, [body], SSE_HEADERS))
    events = []
    with Client(secret, base_url=loopback.url, max_retries=0) as client:
        with client.runs.stream_tool_outputs(
            "thread_shape1", "run_shape1", OUTPUTS, strict_responses=False
        ) as stream:
            with pytest.raises(StreamError):
                for event in stream:
                    events.append(event)
            assert stream.drift == []  # the run's usage is not read yet
            run = events[0].data
            assert isinstance(run, Run)
            with pytest.warns(SpecDriftWarning) as caught:
                usage = run.usage
            assert usage is None
    (drift,) = stream.drift
    assert (drift.model, drift.path) == ("Run", "usage")
    assert caught[0].filename == __file__  # the line that read the property
    for text in (drift.problem, *(str(w.message) for w in caught)):
        assert "***" in text
        assert secret[:12] not in text, text  # nor the whole secret


TOOLS = {"lookup": lambda: "ok"}


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_tool_loops_snapshot_departure_quoting_an_echoed_secret_is_masked(
    mode: str, loopback: LoopbackServer, caplog: pytest.LogCaptureFixture
) -> None:
    """The loop's events are typed lazily, so its snapshots, not the events, may be the first
    to find (and announce) a departure: masked with the secrets the loop's requests carried."""
    secret = "pk-SECRET-loop-echo"
    call = {"id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": "{}"}}
    required = {"type": "submit_tool_outputs", "submit_tool_outputs": {"tool_calls": [call]}}
    waiting = _run("requires_action", required_action=required)
    loopback.replies.append(_page(waiting))
    echoing = _message("msg_1", metadata=f"echo: {secret}")
    loopback.replies.append(_stream(("thread.message.created", echoing)))
    with caplog.at_level("WARNING", logger="portkey_runs"):
        if mode == "sync":
            with Client(secret, base_url=loopback.url, max_retries=0) as client:
                loop = client.runs.run_tools(
                    "thread_shape1", waiting["id"], tools=TOOLS, strict_responses=False
                )
                with pytest.warns(SpecDriftWarning) as caught:
                    messages = loop.final_messages()
        else:

            async def read() -> list[Message]:
                async with AsyncClient(secret, base_url=loopback.url, max_retries=0) as client:
                    loop = client.runs.run_tools(
                        "thread_shape1", waiting["id"], tools=TOOLS, strict_responses=False
                    )
                    return await loop.final_messages()

            with pytest.warns(SpecDriftWarning) as caught:
                messages = asyncio.run(read())
    (message,) = messages
    assert message.metadata is None
    (warning,) = caught
    for text in (str(warning.message), caplog.text):
        assert "Message.metadata" in text
        assert "***" in text
        assert secret[:12] not in text, text  # nor the whole secret
