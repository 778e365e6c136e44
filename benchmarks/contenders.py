"""Who does each job, and how: portkey-runs, the openai SDK, portkey-ai, and the floors.

What every contender reads of what it gets is in the first section, one reader per library
and nowhere else: per run listed, its ``id``, ``status``, ``created_at`` and ``model`` (through
the library's own objects; dict lookups for the floors); per stream event, the value of each
text delta (``delta.content[i].text.value``). Every job reads them, so that a library that
defers work to the first access pays for it here as a user would.

How portkey-runs is called lives in the ``portkey_runs_*`` functions of the second section, one
small function per job, and nowhere else: when the overlay's public surface changes, only they
change. Every job returns what it read (the runs' fields; the number of events and the text of
their deltas; the number of runs and the fields of the last), so the scenarios can check that
each did the whole job and read the same values. Nothing read is kept longer than that: a
listing's memory stays flat.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterable, Callable, Iterable
from contextlib import AbstractContextManager
from typing import Any

import httpx

# --------------------------------------------------------------------------- what is read

RunFields = tuple[str, str, int, str]
"""What is read of each run listed: its id, status, created_at and model."""

Listed = tuple[int, RunFields]
"""What is kept of a listing: the number of runs read, and the fields of the last."""

NO_RUN: RunFields = ("", "", 0, "")

Streamed = tuple[int, str]
"""What is read of a stream: the number of events, and the text of their deltas, joined."""

Accumulated = tuple[int, str, str]
"""A :data:`Streamed`, and the message's text as the library's own snapshots have it."""

DELTA = "thread.message.delta"


def portkey_runs_run(run: Any) -> RunFields:
    """A ``portkey_runs.Run``'s fields, by attribute."""
    return run.id, run.status, run.created_at, run.model


def portkey_runs_texts(event: Any) -> list[str]:
    """The text deltas' values of a typed ``thread.message.delta`` event; none of another."""
    if event.event != DELTA:
        return []
    content = event.data.delta.content or ()
    return [part.text.value for part in content if part.type_ == "text" and part.text]


def openai_run(run: Any) -> RunFields:
    """An openai ``Run``'s fields, by attribute."""
    return run.id, run.status, run.created_at, run.model


def openai_texts(event: Any) -> list[str]:
    """The text deltas' values of an openai ``ThreadMessageDelta`` event; none of another."""
    if event.event != DELTA:
        return []
    content = event.data.delta.content or ()
    return [part.text.value for part in content if part.type == "text" and part.text]


# portkey-ai's models are its own pydantic classes (runs) and a vendored copy of openai's
# (stream events), under openai's names: openai's readers read them.
portkey_ai_run = openai_run
portkey_ai_texts = openai_texts


def floor_run(run: dict[str, Any]) -> RunFields:
    """A decoded run's fields, by key."""
    return run["id"], run["status"], run["created_at"], run["model"]


def floor_texts(name: str, data: Any) -> list[str]:
    """The text deltas' values of a decoded event named ``name``; none of another."""
    if name != DELTA:
        return []
    content = data["delta"].get("content", ())
    return [part["text"]["value"] for part in content if part["type"] == "text" and "text" in part]


def read_runs(runs: Iterable[Any], read: Callable[[Any], RunFields]) -> Listed:
    """Every run of ``runs`` read by ``read``: how many, and the last one's fields."""
    count, last = 0, NO_RUN
    for run in runs:
        count += 1
        last = read(run)
    return count, last


async def aread_runs(runs: AsyncIterable[Any], read: Callable[[Any], RunFields]) -> Listed:
    """The async twin of :func:`read_runs`."""
    count, last = 0, NO_RUN
    async for run in runs:
        count += 1
        last = read(run)
    return count, last


def read_events(events: Iterable[Any], texts: Callable[[Any], list[str]]) -> Streamed:
    """Every event of ``events``, counted, and the text its reader ``texts`` finds in each."""
    count, pieces = 0, []
    for event in events:
        count += 1
        pieces += texts(event)
    return count, "".join(pieces)


# ------------------------------------------------------------------------- portkey-runs

Outputs = list[dict[str, str]]


def portkey_runs_client(
    base_url: str,
    *,
    transport: httpx.BaseTransport | None = None,
    async_transport: httpx.AsyncBaseTransport | None = None,
    strict_responses: bool | None = None,
) -> Any:
    """A configured client, as a user makes it. With a transport, the client's own stack
    (authentication, retry transport, request hooks) sends through it instead of a socket.
    ``strict_responses``: as ``Client``'s (``None``: ``$PORTKEY_STRICT_RESPONSES``, else
    tolerant)."""
    import portkey_runs

    if async_transport is not None:
        return portkey_runs.AsyncClient(
            "pk-bench",
            base_url=base_url,
            virtual_key="vk-bench",
            transport=async_transport,
            strict_responses=strict_responses,
        )
    return portkey_runs.Client(
        "pk-bench",
        base_url=base_url,
        virtual_key="vk-bench",
        transport=transport,
        strict_responses=strict_responses,
    )


def portkey_runs_list(client: Any, thread_id: str) -> Listed:
    """Every run of the thread, in pages of 100, read."""
    return read_runs(client.runs.list(thread_id, limit=100), portkey_runs_run)


async def portkey_runs_alist(client: Any, thread_id: str) -> Listed:
    """The async twin of :func:`portkey_runs_list`."""
    return await aread_runs(client.runs.list(thread_id, limit=100), portkey_runs_run)


def portkey_runs_stream(
    client: Any, thread_id: str, run_id: str, outputs: Outputs
) -> AbstractContextManager[Any]:
    """A streamed submission: a context manager whose value iterates the typed events."""
    stream: AbstractContextManager[Any] = client.runs.stream_tool_outputs(
        thread_id, run_id, outputs
    )
    return stream


def portkey_runs_read_stream(
    client: Any, thread_id: str, run_id: str, outputs: Outputs
) -> Streamed:
    """A streamed submission's events, read."""
    with portkey_runs_stream(client, thread_id, run_id, outputs) as stream:
        return read_events(stream, portkey_runs_texts)


def portkey_runs_accumulate(
    client: Any, thread_id: str, run_id: str, outputs: Outputs
) -> Accumulated:
    """A streamed submission's events, read, and the message's text as the stream's own
    snapshots have it (``final_text()``)."""
    with portkey_runs_stream(client, thread_id, run_id, outputs) as stream:
        count, text = read_events(stream, portkey_runs_texts)
        final: str = stream.final_text()
    return count, text, final


# ----------------------------------------------------------------------------- openai


def openai_client(base_url: str, http_client: Any = None) -> Any:
    import openai

    return openai.OpenAI(api_key="sk-bench", base_url=base_url, http_client=http_client)


def openai_async_client(base_url: str, http_client: Any = None) -> Any:
    import openai

    return openai.AsyncOpenAI(api_key="sk-bench", base_url=base_url, http_client=http_client)


def openai_list(sdk: Any, thread_id: str) -> Listed:
    """The SDK's auto-paginating ``runs.list``, read."""
    return read_runs(sdk.beta.threads.runs.list(thread_id, limit=100), openai_run)


async def openai_alist(sdk: Any, thread_id: str) -> Listed:
    return await aread_runs(sdk.beta.threads.runs.list(thread_id, limit=100), openai_run)


def openai_stream(sdk: Any, thread_id: str, run_id: str, outputs: Outputs) -> Streamed:
    """``submit_tool_outputs(stream=True)``: the typed events, read, no accumulation."""
    stream = sdk.beta.threads.runs.submit_tool_outputs(
        run_id, thread_id=thread_id, tool_outputs=outputs, stream=True
    )
    with stream:
        return read_events(stream, openai_texts)


def openai_stream_accumulated(
    sdk: Any, thread_id: str, run_id: str, outputs: Outputs
) -> Accumulated:
    """``submit_tool_outputs_stream``: the events, read, with the SDK's snapshots (message,
    run, step)."""
    with sdk.beta.threads.runs.submit_tool_outputs_stream(
        run_id=run_id, thread_id=thread_id, tool_outputs=outputs
    ) as stream:
        count, text = read_events(stream, openai_texts)
        final: str = stream.current_message_snapshot.content[0].text.value
    return count, text, final


# -------------------------------------------------------------------------- portkey-ai


def portkey_ai_client(base_url: str, http_client: httpx.Client | None = None) -> Any:
    from portkey_ai import Portkey

    return Portkey(
        api_key="pk-bench", virtual_key="vk-bench", base_url=base_url, http_client=http_client
    )


def portkey_ai_async_client(base_url: str, http_client: httpx.AsyncClient | None = None) -> Any:
    from portkey_ai import AsyncPortkey

    return AsyncPortkey(
        api_key="pk-bench", virtual_key="vk-bench", base_url=base_url, http_client=http_client
    )


def portkey_ai_list(pk: Any, thread_id: str) -> Listed:
    """portkey-ai's ``runs.list`` returns one page: follow ``last_id`` while ``has_more``."""
    count, last, after = 0, NO_RUN, None
    while True:
        extra: dict[str, str] = {} if after is None else {"after": after}
        page = pk.beta.threads.runs.list(thread_id, limit=100, **extra)
        read, last = read_runs(page.data, portkey_ai_run)
        count += read
        if not page.has_more:
            return count, last
        after = page.last_id


async def portkey_ai_alist(pk: Any, thread_id: str) -> Listed:
    count, last, after = 0, NO_RUN, None
    while True:
        extra: dict[str, str] = {} if after is None else {"after": after}
        page = await pk.beta.threads.runs.list(thread_id, limit=100, **extra)
        read, last = read_runs(page.data, portkey_ai_run)
        count += read
        if not page.has_more:
            return count, last
        after = page.last_id


def portkey_ai_stream(pk: Any, thread_id: str, run_id: str, outputs: Outputs) -> Streamed:
    """``submit_tool_outputs(stream=True)``, portkey-ai's only plain way to stream a submission
    (it fails: portkey-ai reads the streamed response's content before iterating it)."""
    stream = pk.beta.threads.runs.submit_tool_outputs(
        run_id, thread_id=thread_id, tool_outputs=outputs, stream=True
    )
    return read_events(stream, portkey_ai_texts)


def portkey_ai_stream_accumulated(
    pk: Any, thread_id: str, run_id: str, outputs: Outputs
) -> Accumulated:
    """``submit_tool_outputs_stream``: the vendored openai stream manager, with snapshots."""
    with pk.beta.threads.runs.submit_tool_outputs_stream(
        run_id=run_id, thread_id=thread_id, tool_outputs=outputs
    ) as stream:
        count, text = read_events(stream, portkey_ai_texts)
        final: str = stream.current_message_snapshot.content[0].text.value
    return count, text, final


# ------------------------------------------------------------------------------ floors

Loads = Callable[[bytes], Any]


def _page_params(after: str | None) -> dict[str, str | int]:
    return {"limit": 100} if after is None else {"limit": 100, "after": after}


def floor_list(http: httpx.Client, thread_id: str, loads: Loads = json.loads) -> Listed:
    """httpx and a JSON decoder, following the cursor: no validation, no models."""
    count, last, after = 0, NO_RUN, None
    while True:
        response = http.get(f"threads/{thread_id}/runs", params=_page_params(after))
        page = loads(response.raise_for_status().content)
        read, last = read_runs(page["data"], floor_run)
        count += read
        if not page["has_more"]:
            return count, last
        after = page["last_id"]


async def floor_alist(http: httpx.AsyncClient, thread_id: str, loads: Loads = json.loads) -> Listed:
    count, last, after = 0, NO_RUN, None
    while True:
        response = await http.get(f"threads/{thread_id}/runs", params=_page_params(after))
        page = loads(response.raise_for_status().content)
        read, last = read_runs(page["data"], floor_run)
        count += read
        if not page["has_more"]:
            return count, last
        after = page["last_id"]


def floor_stream(http: httpx.Client, thread_id: str, run_id: str, outputs: Outputs) -> Streamed:
    """httpx ``iter_lines``: each ``event:`` line's name, and ``json.loads`` of each ``data:``
    line but ``[DONE]``, read."""
    count, pieces, name = 0, [], ""
    body = {"tool_outputs": outputs, "stream": True}
    url = f"threads/{thread_id}/runs/{run_id}/submit_tool_outputs"
    with http.stream("POST", url, json=body) as response:
        response.raise_for_status()
        for line in response.iter_lines():
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: ") and line != "data: [DONE]":
                count += 1
                pieces += floor_texts(name, json.loads(line[6:]))
    return count, "".join(pieces)
