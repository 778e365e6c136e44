"""``make bench``: listing runs, this client against the official openai SDK and json.loads.

All three read the same bytes, a page of 100 runs made by the reference server, served by an
in-memory httpx transport so that only client-side work is measured. Prints microseconds
per run and the ratios; the targets (at least 8x faster than the openai SDK, within 3x of
json.loads) are reported, not asserted.
"""

from __future__ import annotations

import json
import statistics
import time
import warnings
from collections.abc import Callable

import httpx
import httpx2  # what openai 3.x is built on
import openai

import portkey_runs
from portkey_runs.testing import ReferenceState

RUNS = 100
ROUNDS = 30


def page_bytes() -> tuple[str, bytes]:
    state = ReferenceState(seed=1)
    statuses = ["completed", "requires_action", "failed", "in_progress"] * (RUNS // 4)
    thread = state.create_thread(statuses=statuses)
    page = state.list_runs(thread, limit=RUNS, order="desc", after=None, before=None)
    return thread, json.dumps(page).encode()


def per_run(fn: Callable[[], object]) -> float:
    """The median over rounds of the time per run, in microseconds."""
    fn()  # warm up
    samples = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) / RUNS * 1e6)
    return statistics.median(samples)


def main() -> None:
    thread, body = page_bytes()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers={"content-type": "application/json"})

    def handler2(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, content=body, headers={"content-type": "application/json"})

    ours = portkey_runs.Client(
        "pk-bench",
        base_url="http://bench.invalid/v1",
        max_retries=0,
        transport=httpx.MockTransport(handler),
    )
    sdk = openai.OpenAI(
        api_key="sk-bench",
        base_url="http://bench.invalid/v1",
        http_client=httpx2.Client(transport=httpx2.MockTransport(handler2)),
    )

    def with_sdk() -> list[object]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return list(sdk.beta.threads.runs.list(thread, limit=RUNS))

    baseline = per_run(lambda: json.loads(body))
    mine = per_run(lambda: list(ours.runs.list(thread, limit=RUNS)))
    theirs = per_run(with_sdk)
    assert len(list(ours.runs.list(thread, limit=RUNS))) == RUNS == len(with_sdk())

    print(f"listing a page of {RUNS} runs, median of {ROUNDS} rounds, microseconds per run")
    print(f"  json.loads of the same bytes   {baseline:8.1f}")
    print(f"  portkey-runs (runs.list)       {mine:8.1f}")
    print(f"  openai {openai.__version__:<10} (runs.list)  {theirs:8.1f}")
    print(f"openai / portkey-runs     = {theirs / mine:5.1f}x  (target >= 8x)")
    print(f"portkey-runs / json.loads = {mine / baseline:5.1f}x  (target <= 3x)")


if __name__ == "__main__":
    main()
