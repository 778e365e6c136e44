"""Tolerant reading (the default) and strict reading (``strict_responses=True``).

Every kind of departure — a required property missing, a value of another JSON type, a shape
the spec does not know, and any of these on what the client itself needs — in a list page, a
JSON submission's answer and a stream event, both ways: tolerant delivers (the odd property
reads ``None``), reports once per (model, property) with a warning and a log line, and lists it
in ``.drift``; strict raises ``ResponseValidationError`` naming the field, as does tolerant for
what the client needs.
"""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest

import portkey_runs
from portkey_runs import (
    AsyncClient,
    Client,
    ResponseValidationError,
    RunPage,
    SpecDrift,
    SpecDriftWarning,
    _drift,
    _http,
)
from tests._loopback import LoopbackServer, Reply
from tests.overlay.test_real_shapes import _run

JSON = dict[str, Any]
SSE_HEADERS = {"content-type": "text/event-stream"}
REQUEST_ID = {"x-request-id": "req_drift7"}
SECRET = "pk-live-secret-0123456789"
VIRTUAL = "vk-secret-virtual-42"
OUTPUTS = [{"tool_call_id": "call_1", "output": "ok"}]

Change = Callable[[JSON], None]


def _missing(name: str) -> Change:
    return lambda run: run.pop(name)


def _set(name: str, value: Any) -> Change:
    def change(run: JSON) -> None:
        run[name] = value

    return change


#: (kind, change to a valid Run, model, property path, what the problem says).
DEPARTURES = [
    ("missing-required", _missing("model"), "Run", "model", "missing required property"),
    ("wrong-type", _set("temperature", "warm"), "Run", "temperature", "expected null or number"),
    # An object where the spec says a string or one of its known objects.
    ("unknown-shape", _set("tool_choice", [1]), "Run", "tool_choice", "expected"),
]
#: What the client needs: a departure there raises in both modes, naming the field by its path
#: from the answer's model, ``ListRunsResponse.data[0].id`` (``test_needed_location.py``).
NEEDED = [
    ("run-id", _missing("id"), r"data\[0\]\.id: missing required property"),
    ("run-status", _set("status", 3), r"data\[0\]\.status: expected string"),
    (
        "tool-call-id",
        None,
        r"data\[0\]\.required_action\.submit_tool_outputs\.tool_calls\[0\]\.id: missing",
    ),
]


def _waiting(**function: Any) -> JSON:
    call: JSON = {"id": "call_1", "type": "function", "function": function}
    return _run(
        "requires_action",
        required_action={
            "type": "submit_tool_outputs",
            "submit_tool_outputs": {"tool_calls": [call]},
        },
    )


def _needed_run(kind: str, change: Change | None) -> JSON:
    if change is None:  # a tool call without its id
        run = _waiting(name="lookup", arguments="{}")
        del run["required_action"]["submit_tool_outputs"]["tool_calls"][0]["id"]
        return run
    run = _run("completed")
    change(run)
    return run


def _changed(change: Change) -> JSON:
    run = _run("completed")
    change(run)
    return run


def _page(*runs: JSON) -> JSON:
    ids = [run.get("id") for run in runs]
    return {
        "object": "list",
        "data": list(runs),
        "first_id": ids[0] if ids else None,
        "last_id": ids[-1] if ids else None,
        "has_more": False,
    }


def _read(objects: Iterable[Any], path: str) -> list[Any]:
    """``objects`` (runs, pages or events of runs), each run's property ``path`` read: a lazy
    one (such as ``tool_choice``) is typed, and a departure there found, when first read."""
    found = list(objects)
    for obj in found:
        runs = obj.data if isinstance(obj, RunPage) else [getattr(obj, "data", obj)]
        for run in runs:
            getattr(run, path)
    return found


def _answer(data: JSON) -> Reply:
    """A JSON answer with a request id."""
    return Reply(200, json.dumps(data).encode(), {"content-type": "application/json", **REQUEST_ID})


def _stream(run: JSON) -> bytes:
    return (
        f"event: thread.run.completed\ndata: {json.dumps(run)}\n\nevent: done\ndata: [DONE]\n\n"
    ).encode()


@pytest.fixture(autouse=True)
def fresh_announcements(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with nothing announced yet (announcements are once per process)."""
    monkeypatch.setattr(_drift, "_announced", set())


@pytest.fixture
def client(loopback: LoopbackServer) -> Iterator[Client]:
    with Client(SECRET, base_url=loopback.url, virtual_key=VIRTUAL, max_retries=0) as c:
        yield c


# --- a list page --------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "change", "model", "path", "problem"), DEPARTURES)
def test_a_page_that_departs_is_delivered_tolerantly_and_lists_its_drift(
    kind: str,
    change: Change,
    model: str,
    path: str,
    problem: str,
    loopback: LoopbackServer,
    client: Client,
) -> None:
    odd = _changed(change)
    loopback.replies.append(_answer(_page(odd)))
    with pytest.warns(SpecDriftWarning, match=f"{model}.{path}"):
        (page,) = _read(client.runs.list("thread_shape1", strict_responses=False).pages(), path)
    (run,) = page.data
    assert getattr(run, path) is None
    assert run.id == "run_shape1"
    assert run.status == "completed"
    (drift,) = page.drift
    assert (drift.model, drift.path, drift.request_id) == (model, path, "req_drift7")
    assert drift.problem.startswith(problem)


@pytest.mark.parametrize(("kind", "change", "model", "path", "problem"), DEPARTURES)
def test_a_page_that_departs_raises_when_strict_naming_the_field(
    kind: str,
    change: Change,
    model: str,
    path: str,
    problem: str,
    loopback: LoopbackServer,
    client: Client,
) -> None:
    loopback.replies.append(_answer(_page(_changed(change))))
    with pytest.raises(ResponseValidationError, match=rf"\.{path}: {problem}") as info:
        list(client.runs.list("thread_shape1", strict_responses=True))
    assert info.value.location == f"ListRunsResponse.data[0].{path}"


@pytest.mark.parametrize("strict", [True, False], ids=["strict", "tolerant"])
@pytest.mark.parametrize(("kind", "change", "message"), NEEDED)
def test_a_page_whose_run_lacks_what_the_client_needs_raises_either_way(
    strict: bool,
    kind: str,
    change: Change | None,
    message: str,
    loopback: LoopbackServer,
    client: Client,
) -> None:
    loopback.replies.append(_answer(_page(_needed_run(kind, change))))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and nothing is reported as tolerated
        with pytest.raises(ResponseValidationError, match=message):
            list(client.runs.list("thread_shape1", strict_responses=strict))


@pytest.mark.parametrize(
    ("page", "message"),
    [
        ({"object": "list", "first_id": None, "last_id": None, "has_more": False}, "data"),
        ({"object": "list", "data": [], "first_id": None, "last_id": None}, "has_more"),
        (
            {"object": "list", "data": [], "first_id": 7, "last_id": None, "has_more": False},
            "first_id",
        ),
    ],
)
def test_a_page_without_its_runs_or_cursors_raises_even_tolerantly(
    page: JSON, message: str, loopback: LoopbackServer, client: Client
) -> None:
    loopback.replies.append(Reply.json(page))
    with pytest.raises(ResponseValidationError, match=f"ListRunsResponse.{message}"):
        list(client.runs.list("thread_shape1", strict_responses=False))


def test_each_departure_is_announced_once_per_model_and_property_and_listed_every_time(
    loopback: LoopbackServer, client: Client
) -> None:
    first = _changed(_missing("model"))
    second = {**first, "id": "run_shape2"}
    page = {**_page(first), "has_more": True}
    loopback.replies.append(_answer(page))
    loopback.replies.append(_answer(_page(second)))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pages = list(client.runs.list("thread_shape1", strict_responses=False).pages())
    drifts = [drift for page in pages for drift in page.drift]
    assert [(d.model, d.path) for d in drifts] == [("Run", "model"), ("Run", "model")]
    assert [w.category for w in caught] == [SpecDriftWarning]


def test_a_property_is_announced_once_whatever_item_of_it_departs(
    loopback: LoopbackServer, client: Client
) -> None:
    tool = {"type": "code_interpreter"}
    first = _changed(_set("tools", ["odd"]))
    second = {**_changed(_set("tools", [tool, tool, {"type": 5}])), "id": "run_shape2"}
    loopback.replies.append(_answer({**_page(first), "has_more": True}))
    loopback.replies.append(_answer(_page(second)))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pages = list(client.runs.list("thread_shape1", strict_responses=False).pages())
        assert [run.tools for page in pages for run in page] == [None, None]  # typed when read
    drifts = [drift for page in pages for drift in page.drift]
    assert [(d.model, d.path) for d in drifts] == [("Run", "tools[0]"), ("Run", "tools[2].type")]
    assert [str(w.message) for w in caught] == [
        "Run.tools[0]: expected object, got string 'odd' (request id req_drift7); "
        "read tolerantly as None"
    ]


def test_a_warning_turned_into_an_error_raises_for_every_answer_that_departs(
    loopback: LoopbackServer, client: Client
) -> None:
    """As the README says: ``simplefilter("error", SpecDriftWarning)`` makes departures
    raise, every time (not only the first, which alone is announced when it is shown)."""
    odd = _page(_changed(_missing("model")))
    loopback.replies.extend([_answer(odd), _answer(odd)])
    with warnings.catch_warnings():
        warnings.simplefilter("error", SpecDriftWarning)
        for _ in range(2):
            with pytest.raises(SpecDriftWarning, match=r"Run\.model: missing required"):
                list(client.runs.list("thread_shape1", strict_responses=False))


def test_the_log_line_names_model_property_problem_and_request_id_and_no_secret(
    loopback: LoopbackServer, client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    loopback.replies.append(_answer(_page(_changed(_missing("model")))))
    with caplog.at_level(logging.WARNING, logger="portkey_runs"), pytest.warns(SpecDriftWarning):
        list(client.runs.list("thread_shape1", strict_responses=False))
    (record,) = [r for r in caplog.records if r.name == "portkey_runs"]
    line = record.getMessage()
    assert "Run.model: missing required property" in line
    assert "req_drift7" in line
    assert SECRET not in caplog.text
    assert VIRTUAL not in caplog.text
    # The request did carry both secrets: they were there to leak.
    headers = loopback.requests[0].headers
    assert headers["x-portkey-api-key"] == SECRET
    assert headers["x-portkey-virtual-key"] == VIRTUAL


@pytest.mark.parametrize(
    "value",
    [
        SECRET,  # whole
        f"echo: {VIRTUAL} and {SECRET}",  # inside a text
        "x" * 40 + SECRET,  # cut short by the problem's 60 characters: a start of it
    ],
)
def test_a_departure_quoting_an_echoed_secret_masks_it_in_drift_warning_and_log_line(
    value: str, loopback: LoopbackServer, client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    # An echo service answers 200 with the request's headers where a number belongs: the
    # problem quotes the value (the tolerant read's SpecDrift, its warning and its log line).
    loopback.replies.append(_answer(_page(_changed(_set("temperature", value)))))
    with (
        caplog.at_level(logging.WARNING, logger="portkey_runs"),
        pytest.warns(SpecDriftWarning) as caught,
    ):
        (page,) = client.runs.list("thread_shape1", strict_responses=False).pages()
    (drift,) = page.drift
    assert drift.problem.startswith("expected null or number, got string")
    shown = [drift.problem, caplog.text, *(str(w.message) for w in caught)]
    for text in shown:
        assert "***" in text
        for secret in (SECRET, VIRTUAL):
            assert secret not in text
            assert secret[:12] not in text, text


def test_a_page_is_read_once_tolerantly_whether_it_departs_or_not(
    loopback: LoopbackServer, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No strict read first and a tolerant one on failure: one read, with the reporter set."""
    calls: list[str] = []
    real = _drift.read_tolerantly

    def counting(model: Any, data: Any, where: str, log: Any, eager: bool = False) -> Any:
        calls.append(model.__name__)
        return real(model, data, where, log, eager)

    monkeypatch.setattr(_http, "read_tolerantly", counting)
    loopback.replies.append(Reply.json(_page(_run("completed"))))
    (page,) = client.runs.list("thread_shape1", strict_responses=False).pages()
    assert (calls, page.drift) == (["ListRunsResponse"], ())
    loopback.replies.append(Reply.json(_page(_changed(_missing("model")))))
    with pytest.warns(SpecDriftWarning):
        list(client.runs.list("thread_shape1", strict_responses=False))
    assert calls == ["ListRunsResponse", "ListRunsResponse"]


async def test_the_async_client_reads_a_departing_page_tolerantly_too(
    loopback: LoopbackServer,
) -> None:
    loopback.replies.append(_answer(_page(_changed(_set("temperature", "warm")))))
    async with AsyncClient("pk-test", base_url=loopback.url, max_retries=0) as client:
        with pytest.warns(SpecDriftWarning, match="Run.temperature"):
            pages = [
                p async for p in client.runs.list("thread_shape1", strict_responses=False).pages()
            ]
    assert [(d.model, d.path) for d in pages[0].drift] == [("Run", "temperature")]
    assert pages[0].data[0].temperature is None


# --- a JSON submission's answer -------------------------------------------------------------


@pytest.mark.parametrize(("kind", "change", "model", "path", "problem"), DEPARTURES)
def test_a_submission_answer_that_departs_is_delivered_tolerantly(
    kind: str,
    change: Change,
    model: str,
    path: str,
    problem: str,
    loopback: LoopbackServer,
    client: Client,
) -> None:
    loopback.replies.append(_answer(_changed(change)))
    with pytest.warns(SpecDriftWarning, match=f"{model}.{path}: {problem}.*req_drift7"):
        (run,) = _read(
            [
                client.runs.submit_tool_outputs(
                    "thread_shape1", "run_shape1", OUTPUTS, strict_responses=False
                )
            ],
            path,
        )
    assert (run.id, run.status) == ("run_shape1", "completed")
    assert getattr(run, path) is None


@pytest.mark.parametrize(("kind", "change", "model", "path", "problem"), DEPARTURES)
def test_a_submission_answer_that_departs_raises_when_strict(
    kind: str,
    change: Change,
    model: str,
    path: str,
    problem: str,
    loopback: LoopbackServer,
    client: Client,
) -> None:
    loopback.replies.append(Reply.json(_changed(change)))
    with pytest.raises(ResponseValidationError, match=rf"^{model}\.{path}: {problem}"):
        client.runs.submit_tool_outputs(
            "thread_shape1", "run_shape1", OUTPUTS, strict_responses=True
        )


@pytest.mark.parametrize("strict", [True, False], ids=["strict", "tolerant"])
@pytest.mark.parametrize(
    ("function", "message"),
    [
        ({"arguments": "{}"}, r"[Ff]unction\.name: missing required property"),
        ({"name": "lookup", "arguments": {"q": 1}}, r"[Ff]unction\.arguments: expected string"),
    ],
)
def test_a_submission_answer_whose_tool_calls_are_unusable_raises_either_way(
    strict: bool, function: JSON, message: str, loopback: LoopbackServer, client: Client
) -> None:
    loopback.replies.append(Reply.json(_waiting(**function)))
    with pytest.raises(ResponseValidationError, match=message):
        client.runs.submit_tool_outputs(
            "thread_shape1", "run_shape1", OUTPUTS, strict_responses=strict
        )


# --- a stream event --------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "change", "model", "path", "problem"), DEPARTURES)
def test_a_stream_event_that_departs_is_delivered_tolerantly_and_listed(
    kind: str,
    change: Change,
    model: str,
    path: str,
    problem: str,
    loopback: LoopbackServer,
    client: Client,
) -> None:
    headers = {**SSE_HEADERS, **REQUEST_ID}
    loopback.replies.append(Reply(200, [_stream(_changed(change))], headers))
    with client.runs.stream_tool_outputs(
        "thread_shape1", "run_shape1", OUTPUTS, strict_responses=False
    ) as stream:
        with pytest.warns(SpecDriftWarning, match=f"event thread.run.completed: {model}.{path}"):
            (event,) = _read(stream, path)
        assert event.event == "thread.run.completed"
        assert getattr(event.data, path) is None
        assert stream.until_done().id == "run_shape1"
        assert stream.drift == [SpecDrift(model, path, stream.drift[0].problem, "req_drift7")]
    assert stream.drift[0].problem.startswith(problem)


@pytest.mark.parametrize(("kind", "change", "model", "path", "problem"), DEPARTURES)
def test_a_stream_event_that_departs_raises_when_strict(
    kind: str,
    change: Change,
    model: str,
    path: str,
    problem: str,
    loopback: LoopbackServer,
    client: Client,
) -> None:
    loopback.replies.append(Reply(200, [_stream(_changed(change))], SSE_HEADERS))
    with (
        client.runs.stream_tool_outputs(
            "thread_shape1", "run_shape1", OUTPUTS, strict_responses=True
        ) as stream,
        pytest.raises(ResponseValidationError, match=f"{model}.{path}: {problem}"),
    ):
        list(stream)
    assert stream.drift == []


@pytest.mark.parametrize("strict", [True, False], ids=["strict", "tolerant"])
def test_a_delta_without_its_index_raises_either_way(
    strict: bool, loopback: LoopbackServer, client: Client
) -> None:
    delta = {
        "id": "msg_1",
        "object": "thread.message.delta",
        "delta": {"content": [{"type": "text", "text": {"value": "hi"}}]},
    }
    body = f"event: thread.message.delta\ndata: {json.dumps(delta)}\n\n".encode()
    loopback.replies.append(Reply(200, [body], SSE_HEADERS))
    with (
        client.runs.stream_tool_outputs(
            "thread_shape1", "run_shape1", OUTPUTS, strict_responses=strict
        ) as stream,
        pytest.raises(ResponseValidationError, match=r"\.index: missing required property"),
    ):
        list(stream)


def test_a_tolerated_step_event_still_builds_the_snapshots(
    loopback: LoopbackServer, client: Client
) -> None:
    step = {
        "id": "step_1",
        "object": "thread.run.step",
        "created_at": 1730000002,
        "run_id": "run_shape1",
        "thread_id": "thread_shape1",
        "assistant_id": "asst_shape1",
        "type": "message_creation",
        "status": "completed",
        "cancelled_at": None,
        "completed_at": 1730000003,
        "expires_at": None,
        "failed_at": None,
        "last_error": None,
        "step_details": {"type": "message_creation", "message_creation": {"message_id": "m"}},
        "usage": "none",  # an object or null in the spec
    }
    body = f"event: thread.run.step.completed\ndata: {json.dumps(step)}\n\n".encode()
    body += _stream(_run("completed"))
    loopback.replies.append(Reply(200, [body], SSE_HEADERS))
    with client.runs.stream_tool_outputs(
        "thread_shape1", "run_shape1", OUTPUTS, strict_responses=False
    ) as stream:
        with pytest.warns(SpecDriftWarning, match="RunStep.usage"):
            (built,) = stream.final_run_steps()
        (again,) = stream.final_run_steps()
    assert (built.id, built.usage) == ("step_1", None)
    assert again == built
    # Listed once, for the event: the snapshot read from it (twice) departs where it did.
    assert stream.drift == [
        SpecDrift("RunStep", "usage", "expected null or object, got string 'none'", None)
    ]


def test_a_delta_whose_item_type_is_not_a_string_is_merged_tolerantly(
    loopback: LoopbackServer, client: Client
) -> None:
    """Tolerant reading hands data that departs from the spec to the snapshot merge too,
    which must take it (in a strict read, the event raises before any merge)."""
    step = {
        "id": "step_1",
        "object": "thread.run.step",
        "created_at": 1730000002,
        "run_id": "run_shape1",
        "thread_id": "thread_shape1",
        "assistant_id": "asst_shape1",
        "type": "tool_calls",
        "status": "in_progress",
        "cancelled_at": None,
        "completed_at": None,
        "expires_at": None,
        "failed_at": None,
        "last_error": None,
        "step_details": {"type": "tool_calls", "tool_calls": []},
        "usage": None,
    }
    call = {"index": 0, "id": "call_1", "type": ["function"]}  # a string in the spec
    delta = {
        "id": "step_1",
        "object": "thread.run.step.delta",
        "delta": {"step_details": {"type": "tool_calls", "tool_calls": [call]}},
    }
    body = (
        f"event: thread.run.step.created\ndata: {json.dumps(step)}\n\n"
        f"event: thread.run.step.delta\ndata: {json.dumps(delta)}\n\n"
    ).encode()
    loopback.replies.append(Reply(200, [body + _stream(_run("completed"))], SSE_HEADERS))
    with client.runs.stream_tool_outputs(
        "thread_shape1", "run_shape1", OUTPUTS, strict_responses=False
    ) as stream:
        with pytest.warns(SpecDriftWarning, match="tool_calls"):
            events = [event.event for event in stream]
    assert events == ["thread.run.step.created", "thread.run.step.delta", "thread.run.completed"]
    assert stream.drift[0].location == "RunStepDeltaToolCalls.tool_calls[0].type"


def test_each_event_that_departs_is_listed_and_a_snapshot_adds_only_its_own(
    loopback: LoopbackServer, client: Client
) -> None:
    message = {
        "id": "msg_1",
        "object": "thread.message",
        "created_at": 1730000002,
        "thread_id": "thread_shape1",
        "status": "in_progress",
        "incomplete_details": None,
        "completed_at": None,
        "incomplete_at": None,
        "role": "assistant",
        "content": [],
        "assistant_id": "asst_shape1",
        "run_id": "run_shape1",
        "attachments": [],
        "metadata": {},
    }
    created = {**message, "role": 5}  # a string in the spec
    delta = {
        "id": "msg_1",
        "object": "thread.message.delta",
        "delta": {"content": [{"index": 0, "type": "text", "text": {"value": "hi"}}]},
    }
    body = (
        f"event: thread.message.created\ndata: {json.dumps(created)}\n\n"
        f"event: thread.message.in_progress\ndata: {json.dumps(created)}\n\n"
        f"event: thread.message.delta\ndata: {json.dumps(delta)}\n\n"
    ).encode()
    loopback.replies.append(Reply(200, [body + _stream(_run("completed"))], SSE_HEADERS))
    with client.runs.stream_tool_outputs(
        "thread_shape1", "run_shape1", OUTPUTS, strict_responses=False
    ) as stream:
        with pytest.warns(SpecDriftWarning, match="Message.role"):
            seen = [stream.current_message_snapshot for _event in stream]
        (final,) = stream.final_messages()
        assert stream.current_message_snapshot == final
    assert [snapshot is not None for snapshot in seen] == [True, True, True, True]
    assert (final.id, getattr(final, "role")) == ("msg_1", None)  # noqa: B009 (typed MessageRole)
    # Two events departed: two entries; the snapshot, read four times, departs where they did.
    assert [(d.model, d.path) for d in stream.drift] == [("Message", "role")] * 2


# --- where the warning points ----------------------------------------------------------------


def test_the_warning_points_at_the_line_of_user_code_that_read_the_answer(
    loopback: LoopbackServer, client: Client
) -> None:
    odd = _changed(_missing("model"))
    loopback.replies.append(_answer(_page(odd)))
    with pytest.warns(SpecDriftWarning) as page_warning:
        list(client.runs.list("thread_shape1", strict_responses=False))
    _drift._announced.clear()
    loopback.replies.append(_answer(odd))
    with pytest.warns(SpecDriftWarning) as submission_warning:
        client.runs.submit_tool_outputs(
            "thread_shape1", "run_shape1", OUTPUTS, strict_responses=False
        )
    _drift._announced.clear()
    loopback.replies.append(Reply(200, [_stream(odd)], SSE_HEADERS))
    with client.runs.stream_tool_outputs(
        "thread_shape1", "run_shape1", OUTPUTS, strict_responses=False
    ) as stream:
        with pytest.warns(SpecDriftWarning) as stream_warning:
            stream.until_done()
    for caught in (page_warning, submission_warning, stream_warning):
        (warning,) = caught
        assert warning.filename == __file__


async def test_the_async_warning_points_at_user_code_too(loopback: LoopbackServer) -> None:
    loopback.replies.append(Reply(200, [_stream(_changed(_missing("model")))], SSE_HEADERS))
    async with AsyncClient("pk-test", base_url=loopback.url, max_retries=0) as client:
        manager = client.runs.stream_tool_outputs(
            "thread_shape1", "run_shape1", OUTPUTS, strict_responses=False
        )
        async with manager as stream:
            with pytest.warns(SpecDriftWarning) as caught:
                await stream.until_done()
    (warning,) = caught
    assert warning.filename == __file__


# --- where the mode comes from --------------------------------------------------------------


def test_clients_read_tolerantly_by_default_and_strictly_on_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PORTKEY_STRICT_RESPONSES", raising=False)
    assert Client("pk-test").strict_responses is False
    assert AsyncClient("pk-test").strict_responses is False
    assert Client("pk-test", strict_responses=True).strict_responses is True
    monkeypatch.setenv("PORTKEY_STRICT_RESPONSES", "true")
    assert Client("pk-test").strict_responses is True
    monkeypatch.setenv("PORTKEY_STRICT_RESPONSES", "0")
    assert Client("pk-test").strict_responses is False
    monkeypatch.setenv("PORTKEY_STRICT_RESPONSES", "maybe")
    with pytest.raises(ValueError, match="PORTKEY_STRICT_RESPONSES must be"):
        Client("pk-test")


def test_an_explicit_strict_responses_wins_over_the_environment_both_ways(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PORTKEY_STRICT_RESPONSES", "1")
    assert Client("pk-test", strict_responses=False).strict_responses is False
    assert AsyncClient("pk-test", strict_responses=False).strict_responses is False
    assert Client("pk-test", strict_responses=None).strict_responses is True
    monkeypatch.setenv("PORTKEY_STRICT_RESPONSES", "0")
    assert Client("pk-test", strict_responses=True).strict_responses is True
    assert AsyncClient("pk-test", strict_responses=True).strict_responses is True


def test_strict_responses_must_be_a_bool_on_the_client_and_per_call() -> None:
    with pytest.raises(TypeError, match="strict_responses must be True or False, got 1"):
        Client("pk-test", strict_responses=1)  # type: ignore[arg-type]
    with Client("pk-test") as client, pytest.raises(TypeError, match="strict_responses"):
        client.runs.list("thread_1", strict_responses="no")  # type: ignore[arg-type]


def test_a_calls_option_overrides_the_clients_mode_both_ways(
    loopback: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PORTKEY_STRICT_RESPONSES", raising=False)
    odd = _page(_changed(_missing("model")))
    loopback.replies.extend([Reply.json(odd), Reply.json(odd), Reply.json(odd)])
    with Client("pk-test", base_url=loopback.url, max_retries=0) as tolerant:
        with pytest.warns(SpecDriftWarning):
            assert len(list(tolerant.runs.list("thread_shape1"))) == 1
        with pytest.raises(ResponseValidationError):
            list(tolerant.runs.list("thread_shape1", strict_responses=True))
    with Client("pk-test", base_url=loopback.url, max_retries=0, strict_responses=True) as strict:
        assert len(list(strict.runs.list("thread_shape1", strict_responses=False))) == 1


def test_the_drift_names_are_exported() -> None:
    assert issubclass(portkey_runs.SpecDriftWarning, UserWarning)
    assert portkey_runs.errors.SpecDriftWarning is SpecDriftWarning
    assert portkey_runs.SpecDrift is SpecDrift


async def test_the_async_stream_reads_a_departing_event_tolerantly_and_lists_it(
    loopback: LoopbackServer,
) -> None:
    headers = {**SSE_HEADERS, **REQUEST_ID}
    loopback.replies.append(Reply(200, [_stream(_changed(_missing("model")))], headers))
    async with AsyncClient("pk-test", base_url=loopback.url, max_retries=0) as client:
        manager = client.runs.stream_tool_outputs(
            "thread_shape1", "run_shape1", OUTPUTS, strict_responses=False
        )
        async with manager as stream:
            with pytest.warns(SpecDriftWarning, match="Run.model"):
                run = await stream.until_done()
    assert (run.id, getattr(run, "model")) == ("run_shape1", None)  # noqa: B009 (typed str)
    assert stream.drift == [SpecDrift("Run", "model", "missing required property", "req_drift7")]


@pytest.mark.strict_responses  # the client is strict, the first call tolerant by its option
def test_a_raw_response_parses_with_the_calls_mode(
    loopback: LoopbackServer, client: Client
) -> None:
    odd = _page(_changed(_missing("model")))
    loopback.replies.extend([_answer(odd), _answer(odd)])
    raw = client.runs.with_raw_response.list("thread_shape1", strict_responses=False)
    with pytest.warns(SpecDriftWarning):
        page = raw.parse()
    assert [(d.model, d.path) for d in page.drift] == [("Run", "model")]
    strict = client.runs.with_raw_response.list("thread_shape1")  # the client's mode: strict
    with pytest.raises(ResponseValidationError, match=r"\.model: missing required property"):
        strict.parse()
