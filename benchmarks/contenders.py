"""Who does each job, and how: portkey-runs, the openai SDK, portkey-ai, and the floors.

How portkey-runs is called lives in the ``portkey_runs_*`` functions of the first section, one
small function per job, and nowhere else: when the overlay's public surface changes, only they
change. Every contender returns the number of units it handled, so the harness can check that
they all did the whole job.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterable, Callable, Iterable
from contextlib import AbstractContextManager
from typing import Any

import httpx

# ------------------------------------------------------------------------- portkey-runs

Outputs = list[dict[str, str]]


def portkey_runs_client(
    base_url: str,
    *,
    transport: httpx.BaseTransport | None = None,
    async_transport: httpx.AsyncBaseTransport | None = None,
) -> Any:
    """A configured client, as a user makes it. With a transport, the client's own stack
    (authentication, retry transport, request hooks) sends through it instead of a socket."""
    import portkey_runs

    if async_transport is not None:
        return portkey_runs.AsyncClient(
            "pk-bench", base_url=base_url, virtual_key="vk-bench", transport=async_transport
        )
    return portkey_runs.Client(
        "pk-bench", base_url=base_url, virtual_key="vk-bench", transport=transport
    )


def portkey_runs_list(client: Any, thread_id: str) -> Iterable[Any]:
    """Every run of the thread, in pages of 100."""
    runs: Iterable[Any] = client.runs.list(thread_id, limit=100)
    return runs


def portkey_runs_alist(client: Any, thread_id: str) -> AsyncIterable[Any]:
    """The async twin of :func:`portkey_runs_list`."""
    runs: AsyncIterable[Any] = client.runs.list(thread_id, limit=100)
    return runs


def portkey_runs_stream(
    client: Any, thread_id: str, run_id: str, outputs: Outputs
) -> AbstractContextManager[Any]:
    """A streamed submission: a context manager whose value iterates the typed events."""
    stream: AbstractContextManager[Any] = client.runs.stream_tool_outputs(
        thread_id, run_id, outputs
    )
    return stream


def portkey_runs_accumulate(stream: Any) -> tuple[int, str]:
    """The number of events, and the text of the message as the stream's own snapshots have
    it (``final_text()``)."""
    count = sum(1 for _ in stream)
    text: str = stream.final_text()
    return count, text


# ----------------------------------------------------------------------------- openai


def openai_client(base_url: str, http_client: Any = None) -> Any:
    import openai

    return openai.OpenAI(api_key="sk-bench", base_url=base_url, http_client=http_client)


def openai_async_client(base_url: str, http_client: Any = None) -> Any:
    import openai

    return openai.AsyncOpenAI(api_key="sk-bench", base_url=base_url, http_client=http_client)


def openai_list(sdk: Any, thread_id: str) -> int:
    """The SDK's auto-paginating ``runs.list``."""
    return sum(1 for _ in sdk.beta.threads.runs.list(thread_id, limit=100))


async def openai_alist(sdk: Any, thread_id: str) -> int:
    count = 0
    async for _ in sdk.beta.threads.runs.list(thread_id, limit=100):
        count += 1
    return count


def openai_stream(sdk: Any, thread_id: str, run_id: str, outputs: Outputs) -> int:
    """``submit_tool_outputs(stream=True)``: the typed events, no accumulation."""
    stream = sdk.beta.threads.runs.submit_tool_outputs(
        run_id, thread_id=thread_id, tool_outputs=outputs, stream=True
    )
    with stream:
        return sum(1 for _ in stream)


def openai_stream_accumulated(
    sdk: Any, thread_id: str, run_id: str, outputs: Outputs
) -> tuple[int, str]:
    """``submit_tool_outputs_stream``: the events with the SDK's snapshots (message, run, step)."""
    with sdk.beta.threads.runs.submit_tool_outputs_stream(
        run_id=run_id, thread_id=thread_id, tool_outputs=outputs
    ) as stream:
        count = sum(1 for _ in stream)
        text: str = stream.current_message_snapshot.content[0].text.value
    return count, text


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


def portkey_ai_list(pk: Any, thread_id: str) -> int:
    """portkey-ai's ``runs.list`` returns one page: follow ``last_id`` while ``has_more``."""
    count, after = 0, None
    while True:
        extra: dict[str, str] = {} if after is None else {"after": after}
        page = pk.beta.threads.runs.list(thread_id, limit=100, **extra)
        count += len(page.data)
        if not page.has_more:
            return count
        after = page.last_id


async def portkey_ai_alist(pk: Any, thread_id: str) -> int:
    count, after = 0, None
    while True:
        extra: dict[str, str] = {} if after is None else {"after": after}
        page = await pk.beta.threads.runs.list(thread_id, limit=100, **extra)
        count += len(page.data)
        if not page.has_more:
            return count
        after = page.last_id


def portkey_ai_stream(pk: Any, thread_id: str, run_id: str, outputs: Outputs) -> int:
    """``submit_tool_outputs(stream=True)``, portkey-ai's only plain way to stream a submission."""
    stream = pk.beta.threads.runs.submit_tool_outputs(
        run_id, thread_id=thread_id, tool_outputs=outputs, stream=True
    )
    return sum(1 for _ in stream)


def portkey_ai_stream_accumulated(
    pk: Any, thread_id: str, run_id: str, outputs: Outputs
) -> tuple[int, str]:
    """``submit_tool_outputs_stream``: the vendored openai stream manager, with snapshots."""
    with pk.beta.threads.runs.submit_tool_outputs_stream(
        run_id=run_id, thread_id=thread_id, tool_outputs=outputs
    ) as stream:
        count = sum(1 for _ in stream)
        text: str = stream.current_message_snapshot.content[0].text.value
    return count, text


# ------------------------------------------------------------------------------ floors

Loads = Callable[[bytes], Any]


def _page_params(after: str | None) -> dict[str, str | int]:
    return {"limit": 100} if after is None else {"limit": 100, "after": after}


def floor_list(http: httpx.Client, thread_id: str, loads: Loads = json.loads) -> int:
    """httpx and a JSON decoder, following the cursor: no validation, no models."""
    count, after = 0, None
    while True:
        response = http.get(f"threads/{thread_id}/runs", params=_page_params(after))
        page = loads(response.raise_for_status().content)
        count += len(page["data"])
        if not page["has_more"]:
            return count
        after = page["last_id"]


async def floor_alist(http: httpx.AsyncClient, thread_id: str, loads: Loads = json.loads) -> int:
    count, after = 0, None
    while True:
        response = await http.get(f"threads/{thread_id}/runs", params=_page_params(after))
        page = loads(response.raise_for_status().content)
        count += len(page["data"])
        if not page["has_more"]:
            return count
        after = page["last_id"]


def floor_stream(http: httpx.Client, thread_id: str, run_id: str, outputs: Outputs) -> int:
    """httpx ``iter_lines`` and ``json.loads`` of each ``data:`` line but ``[DONE]``."""
    count = 0
    body = {"tool_outputs": outputs, "stream": True}
    url = f"threads/{thread_id}/runs/{run_id}/submit_tool_outputs"
    with http.stream("POST", url, json=body) as response:
        response.raise_for_status()
        for line in response.iter_lines():
            if line.startswith("data: ") and line != "data: [DONE]":
                json.loads(line[6:])
                count += 1
    return count
