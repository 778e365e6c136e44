"""``portkey_runs.Client`` / ``AsyncClient``: configuration, ``client.api``, per-call options,
response metadata and raw responses — over loopback, against the reference server."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import portkey_runs
import portkey_runs_api
from portkey_runs import (
    APITimeoutError,
    AsyncClient,
    Client,
    InternalServerError,
    NotFoundError,
    RawResponse,
    ResponseMeta,
    ResponseValidationError,
    RunPage,
    RunStream,
)
from portkey_runs.testing import ReferenceState, RunningServer, serve
from portkey_runs_api.api.runs import list_runs
from portkey_runs_api.models import ListRunsResponse, Run
from tests._loopback import EMPTY_PAGE, LoopbackServer, Reply


@pytest.fixture
def server() -> Iterator[RunningServer]:
    with serve(ReferenceState(seed=9), event_delay=0) as running:
        yield running


def _waiting(server: RunningServer) -> tuple[str, str, list[dict[str, str]]]:
    """A thread with one run waiting for tool outputs: its ids and the outputs to send."""
    state = server.state
    thread = state.create_thread(statuses=["completed", "requires_action"], tool_calls=2)
    run = state.runs(thread)[-1].id
    outputs = [
        {"tool_call_id": c, "output": "ok"} for c in state.pending_tool_call_ids(thread, run)
    ]
    return thread, run, outputs


def _headers(server: RunningServer, index: int = -1) -> dict[str, str]:
    return {k.lower(): v for k, v in server.state.requests[index].headers.items()}


# ------------------------------------------------------------------------ the client


def test_the_top_level_client_is_the_configured_one_not_the_generated_class() -> None:
    assert portkey_runs.Client.__module__ == "portkey_runs._client"
    assert not issubclass(portkey_runs.Client, portkey_runs_api.Client)
    with Client("pk") as client:
        assert isinstance(client.api, portkey_runs_api.Client)


def test_the_environment_configures_the_client(
    server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTKEY_API_KEY", "pk-env")
    monkeypatch.setenv("PORTKEY_VIRTUAL_KEY", "vk-env")
    monkeypatch.setenv("PORTKEY_BASE_URL", server.base_url)
    thread = server.state.create_thread(3)
    with Client() as client:
        assert client.base_url == server.base_url
        assert len(list(client.runs.list(thread))) == 3
    headers = _headers(server)
    assert headers["x-portkey-api-key"] == "pk-env"
    assert headers["x-portkey-virtual-key"] == "vk-env"
    assert headers["openai-beta"] == "assistants=v2"


def test_a_missing_api_key_is_a_clear_error_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PORTKEY_API_KEY", raising=False)
    for cls in (Client, AsyncClient):
        with pytest.raises(ValueError, match=r"no API key; pass api_key= or set \$PORTKEY_API_KEY"):
            cls()


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"base_url": "api.portkey.ai/v1"}, ValueError, "base_url must be an http"),
        ({"max_retries": -1}, ValueError, "max_retries must be an integer >= 0, got -1"),
        ({"max_retries": "2"}, ValueError, "got '2'"),
        (
            {"headers": {"x-team": "caf\u00e9"}},
            ValueError,
            "header x-team: value must be printable",
        ),
        ({"headers": {"bad name": "v"}}, ValueError, "header name 'bad name' is not a valid"),
        ({"headers": [("a", "b")]}, TypeError, "headers must be a mapping"),
        ({"transport": object()}, TypeError, "transport must be an httpx.BaseTransport"),
        (
            {
                "transport": httpx.MockTransport(lambda r: httpx.Response(200)),
                "httpx_args": {"http2": True},
            },
            ValueError,
            "configure the connection, which transport= replaces",
        ),
    ],
)
def test_bad_client_arguments_are_refused_naming_them(
    kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        Client("pk", **kwargs)


def test_an_async_client_refuses_a_sync_transport() -> None:
    with pytest.raises(TypeError, match=r"transport must be an httpx\.AsyncBaseTransport"):
        AsyncClient("pk", transport=httpx.HTTPTransport())  # type: ignore[arg-type]


def test_leaving_the_block_closes_the_connections(server: RunningServer) -> None:
    thread = server.state.create_thread(2)
    with Client("pk", base_url=server.base_url) as client:
        list(client.runs.list(thread))
        http = client.api.get_httpx_client()
        assert not http.is_closed
    assert http.is_closed


async def test_leaving_the_async_block_closes_the_connections(server: RunningServer) -> None:
    thread = server.state.create_thread(2)
    async with AsyncClient("pk", base_url=server.base_url) as client:
        [run async for run in client.runs.list(thread)]
        http = client.api.get_async_httpx_client()
        assert not http.is_closed
    assert http.is_closed


def test_a_transport_replaces_the_network_under_the_retries() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if len(seen) == 1:
            return httpx.Response(503, json={"error": {"message": "busy"}})
        return httpx.Response(200, json=EMPTY_PAGE)

    policy = portkey_runs.RetryPolicy(max_retries=1, initial_delay=0)
    with Client("pk-mock", transport=httpx.MockTransport(handler), retry_policy=policy) as client:
        assert list(client.runs.list("thread_1")) == []
    assert len(seen) == 2, "the retry ran over the given transport"
    assert seen[1].headers["x-portkey-api-key"] == "pk-mock"


def test_every_generated_api_function_works_with_client_api(server: RunningServer) -> None:
    thread = server.state.create_thread(4)
    with Client("pk", base_url=server.base_url) as client:
        page = list_runs.sync(thread, client=client.api, limit=3)
        detailed = list_runs.sync_detailed(thread, client=client.api, limit=3)
    assert isinstance(page, ListRunsResponse)
    assert len(page.data) == 3
    assert detailed.status_code == 200
    assert _headers(server)["x-portkey-api-key"] == "pk"


async def test_the_async_generated_functions_work_with_async_client_api(
    server: RunningServer,
) -> None:
    thread = server.state.create_thread(4)
    async with AsyncClient("pk", base_url=server.base_url) as client:
        page = await list_runs.asyncio(thread, client=client.api, limit=2)
    assert isinstance(page, ListRunsResponse)
    assert len(page.data) == 2


# ------------------------------------------------------------------------ metadata


def test_pages_carry_the_metadata_of_their_answer(server: RunningServer) -> None:
    thread = server.state.create_thread(5)
    with Client("pk", base_url=server.base_url) as client:
        pages = list(client.runs.list(thread, limit=2, trace_id="trace-pages").pages())
    request_ids = [page.meta.request_id for page in pages]
    assert len(pages) == 3
    assert all(rid is not None and rid.startswith("req_") for rid in request_ids)
    assert len(set(request_ids)) == 3, "each answer has its own request id"
    assert {page.meta.trace_id for page in pages} == {"trace-pages"}
    assert all(page.meta.attempts == 1 for page in pages)
    assert pages[0].meta.headers["content-type"] == "application/json"


def test_a_stream_carries_the_metadata_of_its_answer(server: RunningServer) -> None:
    thread, run, outputs = _waiting(server)
    with Client("pk", base_url=server.base_url, trace_id="trace-client") as client:
        with client.runs.stream_tool_outputs(thread, run, outputs) as stream:
            assert stream.meta.request_id is not None
            assert stream.meta.trace_id == "trace-client"
            stream.until_done()


def test_errors_keep_the_request_and_trace_ids(server: RunningServer) -> None:
    with Client("pk", base_url=server.base_url) as client:
        with pytest.raises(NotFoundError) as info:
            list(client.runs.list("thread_nowhere", trace_id="trace-missing"))
    error = info.value
    assert error.request_id is not None
    assert error.request_id.startswith("req_")
    assert error.trace_id == "trace-missing"
    assert error.meta.request_id == error.request_id


def test_meta_reads_portkeys_headers_and_hides_secrets_in_its_repr() -> None:
    response = httpx.Response(
        200,
        headers={
            "x-request-id": "req_1",
            "x-portkey-trace-id": "tr_1",
            "x-portkey-cache-status": "HIT",
            "x-portkey-retry-attempt-count": "2",
            "x-portkey-provider": "openai",
            "set-cookie": "session=SECRET",
        },
        extensions={"attempts": 3},
    )
    meta = ResponseMeta.of(response)
    assert (meta.request_id, meta.trace_id, meta.cache_status) == ("req_1", "tr_1", "HIT")
    assert (meta.retry_attempt_count, meta.provider, meta.attempts) == (2, "openai", 3)
    assert meta.headers["set-cookie"] == "session=SECRET"
    assert "SECRET" not in repr(meta)
    odd = ResponseMeta.of(httpx.Response(200, headers={"x-portkey-retry-attempt-count": "two"}))
    assert odd.retry_attempt_count is None
    assert (odd.request_id, odd.trace_id, odd.provider, odd.attempts) == (None, None, None, 1)


# ------------------------------------------------------------------------ raw responses


def test_raw_list_answers_the_first_page(server: RunningServer) -> None:
    thread = server.state.create_thread(3)
    with Client("pk", base_url=server.base_url) as client:
        raw = client.runs.with_raw_response.list(thread, limit=2)
    assert isinstance(raw, RawResponse)
    assert raw.status_code == 200
    assert raw.headers["content-type"] == "application/json"
    assert raw.meta.request_id is not None
    page = raw.parse()
    assert isinstance(page, RunPage)
    assert len(page) == 2
    assert page.has_more
    assert raw.parse() is page, "parsed once"
    assert "GET /v1/threads/" in repr(raw)


def test_raw_submit_answers_the_submission_and_parses_late(server: RunningServer) -> None:
    thread, run, outputs = _waiting(server)
    with Client("pk", base_url=server.base_url) as client:
        raw = client.runs.with_raw_response.submit_tool_outputs(thread, run, outputs)
        thread2, run2, outputs2 = _waiting(server)
        server.state.inject("malformed_json")
        broken = client.runs.with_raw_response.submit_tool_outputs(thread2, run2, outputs2)
    assert raw.status_code == 200
    parsed = raw.parse()
    assert isinstance(parsed, Run)
    assert parsed.id == run
    assert broken.status_code == 200, "a body that breaks the contract raises only at parse()"
    with pytest.raises(ResponseValidationError, match="is not JSON"):
        broken.parse()


def test_raw_stream_gives_the_headers_then_the_stream(server: RunningServer) -> None:
    thread, run, outputs = _waiting(server)
    with Client("pk", base_url=server.base_url) as client:
        with client.runs.with_raw_response.stream_tool_outputs(thread, run, outputs) as raw:
            assert raw.status_code == 200
            assert raw.headers["content-type"].startswith("text/event-stream")
            stream = raw.parse()
            assert isinstance(stream, RunStream)
            assert stream.until_done().status.value == "completed"
    assert stream.response.is_closed


async def test_async_raw_responses_for_the_three_methods(server: RunningServer) -> None:
    thread, run, outputs = _waiting(server)
    async with AsyncClient("pk", base_url=server.base_url) as client:
        raw_page = await client.runs.with_raw_response.list(thread, limit=1)
        raw_run = await client.runs.with_raw_response.submit_tool_outputs(thread, run, outputs)
        thread2, run2, outputs2 = _waiting(server)
        async with client.runs.with_raw_response.stream_tool_outputs(
            thread2, run2, outputs2
        ) as raw:
            final = await raw.parse().until_done()
    assert len(raw_page.parse().data) == 1
    assert raw_run.parse().id == run
    assert raw.meta.request_id is not None
    assert final.status.value == "completed"


def test_raw_calls_raise_typed_errors_as_the_methods_do(server: RunningServer) -> None:
    with Client("pk", base_url=server.base_url) as client, pytest.raises(NotFoundError):
        client.runs.with_raw_response.list("thread_nowhere")


# ------------------------------------------------------------------------ per-call options


def test_call_options_reach_the_wire_for_each_method(server: RunningServer) -> None:
    options: dict[str, Any] = {
        "extra_headers": {"x-team": "data"},
        "trace_id": "trace-call",
        "metadata": {"job": "nightly"},
    }
    thread, run, outputs = _waiting(server)
    thread2, run2, outputs2 = _waiting(server)
    with Client("pk", base_url=server.base_url, trace_id="trace-client") as client:
        list(client.runs.list(thread, **options))
        listing = _headers(server)
        client.runs.submit_tool_outputs(thread, run, outputs, **options)
        submitting = _headers(server)
        with client.runs.stream_tool_outputs(thread2, run2, outputs2, **options) as stream:
            stream.until_done()
        streaming = _headers(server)
        list(client.runs.list(thread))
        plain = _headers(server)
    for headers in (listing, submitting, streaming):
        assert headers["x-team"] == "data"
        assert headers["x-portkey-trace-id"] == "trace-call"
        assert headers["x-portkey-metadata"] == '{"job":"nightly"}'
        assert headers["x-portkey-api-key"] == "pk"
    assert plain["x-portkey-trace-id"] == "trace-client", "options are for one call only"
    assert "x-team" not in plain


async def test_async_call_options_reach_the_wire(server: RunningServer) -> None:
    thread, run, outputs = _waiting(server)
    async with AsyncClient("pk", base_url=server.base_url) as client:
        await client.runs.submit_tool_outputs(
            thread, run, outputs, trace_id="trace-async", extra_headers={"x-a": "1"}
        )
    headers = _headers(server)
    assert (headers["x-portkey-trace-id"], headers["x-a"]) == ("trace-async", "1")


def test_a_call_timeout_overrides_the_clients(server: RunningServer) -> None:
    thread = server.state.create_thread(1)
    with Client("pk", base_url=server.base_url, max_retries=0, timeout=30.0) as client:
        server.state.inject("latency=1")
        with pytest.raises(APITimeoutError):
            list(client.runs.list(thread, timeout=0.05))
        server.state.inject("latency=0.1")
        assert len(list(client.runs.list(thread))) == 1, "the client's own timeout is back"


def test_call_max_retries_overrides_the_clients(loopback: LoopbackServer) -> None:
    busy = Reply.json({"error": {"message": "busy"}}, 503)
    loopback.replies += [busy, busy, Reply.json(EMPTY_PAGE)]
    policy = portkey_runs.RetryPolicy(max_retries=2, initial_delay=0)
    with Client("pk", base_url=loopback.url, retry_policy=policy) as client:
        with pytest.raises(InternalServerError):
            list(client.runs.list("thread_1", max_retries=0))
        assert len(loopback.requests) == 1
        assert list(client.runs.list("thread_1")) == []  # the client's 2 retries
    assert len(loopback.requests) == 3


def test_an_unknown_call_option_is_a_type_error_naming_it(server: RunningServer) -> None:
    with Client("pk", base_url=server.base_url) as client:
        with pytest.raises(TypeError, match="unexpected keyword argument 'trace'"):
            client.runs.list("thread_1", trace="x")  # type: ignore[call-arg]
        with pytest.raises(TypeError, match="metadata must be a mapping"):
            client.runs.submit_tool_outputs("t", "r", [], metadata="x")  # type: ignore[arg-type]
    assert server.state.requests == []


def test_secret_call_headers_are_redacted_in_the_log_and_dropped_off_origin(
    loopback: LoopbackServer, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    from tests._loopback import serve as serve_loopback

    caplog.set_level(logging.DEBUG, logger="portkey_runs")
    for other in serve_loopback():
        other.replies.append(Reply.json(EMPTY_PAGE))
        loopback.replies.append(Reply(302, b"", {"location": other.url + "/v1/threads/t/runs"}))
        with Client("pk", base_url=loopback.url, follow_redirects=True) as client:
            list(client.runs.list("t", extra_headers={"x-portkey-virtual-key": "vk-CALL-SECRET"}))
        assert loopback.requests[0].headers["x-portkey-virtual-key"] == "vk-CALL-SECRET"
        (moved,) = other.requests
        assert "x-portkey-virtual-key" not in moved.headers
    assert "CALL-SECRET" not in caplog.text


# ------------------------------------------------------------------------ pagers


def test_each_iteration_of_a_pager_walks_from_the_first_page(server: RunningServer) -> None:
    thread = server.state.create_thread(5)
    with Client("pk", base_url=server.base_url) as client:
        pager = client.runs.list(thread, limit=2, order="asc")
        first = [run.id for run in pager]
        again = [run.id for run in pager]
        pages = [page.data[0].id for page in pager.pages()]
    assert first == again == [run.id for run in server.state.runs(thread)]
    assert pages == [first[0], first[2], first[4]]


def test_a_cursor_that_comes_back_is_a_pagination_error_not_a_loop(
    loopback: LoopbackServer,
) -> None:
    def page(ids: list[str], last: str) -> Reply:
        data = [{**RUN, "id": run_id} for run_id in ids]
        return Reply.json(
            {**EMPTY_PAGE, "data": data, "first_id": ids[0], "last_id": last, "has_more": True}
        )

    loopback.replies += [
        page(["run_1", "run_2"], "run_2"),
        page(["run_3", "run_4"], "run_4"),
        page(["run_1", "run_2"], "run_2"),  # the first page again
    ]
    with Client("pk", base_url=loopback.url) as client:
        got: list[str] = []
        with pytest.raises(portkey_runs.PaginationError, match="'run_2', a cursor used before"):
            for run in client.runs.list("thread_1", order="asc"):
                got.append(run.id)
    assert got == ["run_1", "run_2", "run_3", "run_4"], "each run once, then the error"
    assert len(loopback.requests) == 3


def test_walking_a_thread_keeps_no_list_of_every_run(server: RunningServer) -> None:
    from portkey_runs._pagination import ListQuery, _Cursor

    thread = server.state.create_thread(120)
    cursor = _Cursor(ListQuery(thread, 10, "asc", None, None, None))
    with Client("pk", base_url=server.base_url) as client:
        http = client.api.get_httpx_client()
        while not cursor.done:
            cursor.advance(RunPage.of(http.request(**cursor.request())))
    assert len(cursor.previous) == 10, "the ids of the last page only"
    assert len(cursor.used) == 12, "one cursor a page (and the start)"


def test_async_pages_and_runs(server: RunningServer) -> None:
    thread = server.state.create_thread(7)

    async def walk() -> tuple[list[str], list[int]]:
        async with AsyncClient("pk", base_url=server.base_url) as client:
            pager = client.runs.list(thread, limit=3)
            runs = [run.id async for run in pager]
            sizes = [len(page) async for page in pager.pages()]
        return runs, sizes

    runs, sizes = asyncio.run(walk())
    assert runs == [run.id for run in server.state.runs(thread)][::-1]
    assert sizes == [3, 3, 1]


RUN: dict[str, Any] = {}


@pytest.fixture(autouse=True, scope="module")
def _a_run() -> None:
    """A valid run's JSON (from the reference server) for the scripted pages above."""
    state = ReferenceState(seed=2)
    thread = state.create_thread(1)
    RUN.update(state.list_runs(thread)["data"][0])


# ------------------------------------------------------------------------ from review


def test_a_page_whose_cursor_is_not_its_edge_run_is_a_pagination_error(
    loopback: LoopbackServer,
) -> None:
    data = [{**RUN, "id": "run_a"}, {**RUN, "id": "run_b"}]
    page = {**EMPTY_PAGE, "data": data, "first_id": "run_a", "last_id": "cur_0", "has_more": True}
    loopback.replies.append(Reply.json(page))
    with Client("pk", base_url=loopback.url) as client:
        with pytest.raises(
            portkey_runs.PaginationError, match="last_id 'cur_0' is not its last run 'run_b'"
        ):
            list(client.runs.list("thread_1", order="asc"))
    assert len(loopback.requests) == 1


def test_headers_a_call_names_as_sensitive_are_dropped_on_a_redirect_off_origin(
    loopback: LoopbackServer,
) -> None:
    from tests._loopback import serve as serve_loopback

    for other in serve_loopback():
        other.replies.append(Reply.json(EMPTY_PAGE))
        loopback.replies.append(Reply(307, b"", {"location": other.url + "/v1/threads/t/runs"}))
        named = {"x-portkey-sensitive-headers": "x-custom", "x-custom": "custom-SECRET"}
        with Client("pk", base_url=loopback.url, follow_redirects=True) as client:
            list(client.runs.list("t", extra_headers=named))
        assert loopback.requests[0].headers["x-custom"] == "custom-SECRET"
        (moved,) = other.requests
        assert "x-custom" not in moved.headers


async def test_no_repr_shows_a_password_in_the_base_url() -> None:
    url = "https://user:PASS-SECRET@api.example.invalid/v1"
    with Client("pk", base_url=url) as client:
        for shown in (repr(client), repr(client.api), str(client)):
            assert "PASS-SECRET" not in shown
        assert "https://api.example.invalid/v1" in repr(client)
    async with AsyncClient("pk", base_url=url) as async_client:
        assert "PASS-SECRET" not in repr(async_client)


def test_a_closed_client_refuses_to_send_with_a_clear_error(server: RunningServer) -> None:
    thread = server.state.create_thread(1)
    with Client("pk", base_url=server.base_url) as client:
        pass
    with pytest.raises(RuntimeError, match="this client is closed"):
        list(client.runs.list(thread))
    with Client("pk", base_url=server.base_url) as used:
        list(used.runs.list(thread))
    with pytest.raises(RuntimeError, match="this client is closed"):
        used.runs.submit_tool_outputs(thread, "run_1", [{"tool_call_id": "c", "output": "o"}])
    assert len(server.state.requests) == 1


async def test_aclose_closes_both_httpx_clients() -> None:
    client = AsyncClient("pk")
    sync_http, async_http = client.api.get_httpx_client(), client.api.get_async_httpx_client()
    await client.aclose()
    assert sync_http.is_closed
    assert async_http.is_closed


def test_a_pickled_status_error_carries_no_credentials(loopback: LoopbackServer) -> None:
    import pickle

    loopback.replies.append(
        Reply.json({"error": {"message": "nope"}}, 404, **{"x-request-id": "req_1"})
    )
    with Client("pk-SECRET", base_url=loopback.url, authorization="sk-SECRET") as client:
        with pytest.raises(NotFoundError) as info:
            list(client.runs.list("t"))
    data = pickle.dumps(info.value)
    assert b"SECRET" not in data
    copy = pickle.loads(data)
    assert (copy.status_code, copy.request_id, str(copy)) == (404, "req_1", str(info.value))


@pytest.mark.parametrize("timeout", [0, -1, True, "5"])
def test_a_client_timeout_that_is_not_a_positive_number_is_refused(timeout: Any) -> None:
    with pytest.raises(ValueError, match="timeout must be a number of seconds > 0"):
        Client("pk", timeout=timeout)


def test_extra_headers_replace_a_generated_header_whatever_its_case(
    loopback: LoopbackServer,
) -> None:
    loopback.replies.append(Reply.json(RUN))
    with Client("pk", base_url=loopback.url) as client:
        client.runs.submit_tool_outputs(
            "t",
            "r",
            [{"tool_call_id": "c", "output": "o"}],
            extra_headers={"content-type": "application/json; charset=utf-8"},
        )
    (request,) = loopback.requests
    assert request.headers["content-type"] == "application/json; charset=utf-8"


@pytest.mark.parametrize(
    "name", ["X-Provider-Auth", "x-portkey-vertex-service-account-json", "x-session"]
)
def test_more_header_names_count_as_secrets(name: str) -> None:
    from portkey_runs._headers import redact_headers

    assert redact_headers({name: "value"})[name] == "<redacted>"


def test_the_gc_pause_restores_what_it_found_and_is_one_at_a_time() -> None:
    import gc

    from portkey_runs._http import gc_paused

    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():  # nested: the outer one owns the pause
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ValueError, match="boom"), gc_paused():
        raise ValueError("boom")
    assert gc.isenabled(), "an error in the parse does not leave the collector off"
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled(), "a collector someone turned off stays off"
    finally:
        gc.enable()


def test_a_parse_in_another_thread_does_not_keep_the_collector_off() -> None:
    import gc

    from portkey_runs._http import gc_paused

    inside, release = threading.Event(), threading.Event()

    def other() -> None:
        with gc_paused():  # starts while this thread's pause is on: it does not own one
            inside.set()
            release.wait(10)

    with gc_paused():
        worker = threading.Thread(target=other)
        worker.start()
        assert inside.wait(10)
    assert gc.isenabled(), "the owner's end turns it on, whatever the other parse does"
    release.set()
    worker.join(10)
    assert gc.isenabled()
