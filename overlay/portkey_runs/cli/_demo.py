"""``portkey-runs demo``: the whole flow against the embedded reference server.

It starts the reference server on a free loopback port, seeds a thread with a few hundred
runs, lists them all across pages (progress on stderr), finds the run waiting for tool
outputs, computes them, submits them as a stream, and prints the events as they arrive and
the final run. Nothing leaves the machine.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import Counter
from typing import TextIO

from portkey_runs_api.models import Run, RunStatus

from .._client import Client
from ..testing import ReferenceState, serve
from ._commands import submit
from ._output import Progress

__all__ = ["demo_statuses", "run_demo", "weather"]

OTHER_STATUSES = ["completed"] * 12 + ["failed", "cancelled", "expired", "incomplete"]


def demo_statuses(runs: int, seed: int = 7) -> list[str]:
    """``runs`` statuses, oldest first: mostly finished, one ``requires_action`` in the middle."""
    if runs < 1:
        raise ValueError(f"--runs must be at least 1, got {runs}")
    rng = random.Random(seed)
    statuses = [rng.choice(OTHER_STATUSES) for _ in range(runs)]
    statuses[runs // 2] = "requires_action"
    return statuses


def weather(arguments: str) -> str:
    """The demo's tool: a made-up, deterministic forecast for ``{"location": ...}``."""
    location = json.loads(arguments).get("location", "nowhere")
    digest = hashlib.sha256(location.encode()).digest()
    sky = ["sunny", "cloudy", "rainy", "windy"][digest[0] % 4]
    return json.dumps({"location": location, "temperature_c": 5 + digest[1] % 25, "sky": sky})


def run_demo(*, runs: int, as_json: bool, out: TextIO, err: TextIO) -> int:
    state = ReferenceState(seed=7)
    thread_id = state.create_thread(statuses=demo_statuses(runs), tool_calls=2)
    with serve(state) as server, Client("pk-demo", base_url=server.base_url) as client:
        err.write(f"reference server at {server.base_url}; thread {thread_id} has {runs} runs\n")
        waiting: Run | None = None
        statuses: Counter[str] = Counter()
        count = 0
        progress = Progress(err)
        for number, page in enumerate(client.runs.list(thread_id, limit=100).pages(), 1):
            count += len(page.data)
            for run in page.data:
                statuses[run.status.value] += 1
                if run.status == RunStatus.REQUIRES_ACTION:
                    waiting = run
            progress.show(f"listed {count}/{runs} runs ({number} pages)")
        progress.done()
        summary = ", ".join(f"{n} {s}" for s, n in statuses.most_common())
        if as_json:
            out.write(json.dumps({"thread_id": thread_id, "runs": count, "statuses": statuses}))
            out.write("\n")
        else:
            out.write(f"thread {thread_id}: {count} runs ({summary})\n")
        if waiting is None or waiting.required_action is None:
            err.write("no run is waiting for tool outputs\n")
            return 1
        calls = waiting.required_action.submit_tool_outputs.tool_calls
        outputs = [
            {"tool_call_id": call.id, "output": weather(call.function.arguments)} for call in calls
        ]
        if not as_json:
            out.write(f"run {waiting.id} requires action: {len(calls)} tool call(s)\n")
            for call, output in zip(calls, outputs, strict=True):
                out.write(
                    f"  {call.function.name}({call.function.arguments}) -> {output['output']}\n"
                )
            out.write("submitting the outputs, streaming the run's events:\n")
        final = submit(
            client, thread_id, waiting.id, outputs, stream=True, as_json=as_json, out=out
        )
    return 0 if final is not None and final.status == RunStatus.COMPLETED else 1
