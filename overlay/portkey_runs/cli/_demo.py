"""``portkey-runs demo``: the whole job against the embedded reference server.

It starts the reference server on a free loopback port, seeds a thread with a few hundred
runs, lists them all across pages (progress on stderr), finds the run waiting for tool
outputs, and runs the tool loop on it with the example tools of ``portkey_runs.testing.tools``:
two rounds of two parallel calls, printing each call, the reply's text as it streams, and the
final run. Nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import json
import random
from collections import Counter
from collections.abc import Callable
from typing import Any, TextIO

from portkey_runs_api.models import Run, RunStatus
from portkey_runs_api.spec_facts import LIMIT_MAXIMUM, TERMINAL_RUN_STATUSES

from .._client import Client
from ..testing import ReferenceState, serve, tools
from ._commands import run_tools
from ._output import Progress

__all__ = ["demo_statuses", "run_demo"]

COMPLETED = RunStatus.COMPLETED.value
OTHER_STATUSES = [COMPLETED] * 12 + [s for s in TERMINAL_RUN_STATUSES if s != COMPLETED]
TOOLS: dict[str, Callable[..., Any]] = {
    "get_weather": tools.get_weather,
    "get_local_time": tools.get_local_time,
}


def demo_statuses(runs: int, seed: int = 7) -> list[str]:
    """``runs`` statuses, oldest first: mostly finished, one ``requires_action`` in the middle."""
    if runs < 1:
        raise ValueError(f"--runs must be at least 1, got {runs}")
    rng = random.Random(seed)
    statuses = [rng.choice(OTHER_STATUSES) for _ in range(runs)]
    statuses[runs // 2] = "requires_action"
    return statuses


def run_demo(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    state = ReferenceState(seed=7)
    runs = args.runs
    thread_id = state.create_thread(statuses=demo_statuses(runs), tool_calls=2, rounds=2)
    # Strict: the demo runs against our own reference server, whose drift must raise at once.
    with (
        serve(state) as server,
        Client("pk-demo", base_url=server.base_url, strict_responses=True) as client,
    ):
        err.write(f"reference server at {server.base_url}; thread {thread_id} has {runs} runs\n")
        waiting: Run | None = None
        statuses: Counter[str] = Counter()
        count = 0
        progress = Progress(err)
        for number, page in enumerate(client.runs.list(thread_id, limit=LIMIT_MAXIMUM).pages(), 1):
            count += len(page.data)
            for run in page.data:
                statuses[run.status.value] += 1
                if run.status == RunStatus.REQUIRES_ACTION:
                    waiting = run
            progress.show(f"listed {count}/{runs} runs ({number} pages)")
        progress.done()
        summary = ", ".join(f"{n} {s}" for s, n in statuses.most_common())
        if args.json:
            out.write(json.dumps({"thread_id": thread_id, "runs": count, "statuses": statuses}))
            out.write("\n")
        else:
            out.write(f"thread {thread_id}: {count} runs ({summary})\n")
        if waiting is None or waiting.required_action is None:
            err.write("no run is waiting for tool outputs\n")
            return 1
        if not args.json:
            calls = len(waiting.required_action.submit_tool_outputs.tool_calls)
            out.write(f"run {waiting.id} requires action ({calls} tool calls): the tool loop\n")
        final = run_tools(client, thread_id, waiting, TOOLS, args, out, err)
    return 0 if final.status == RunStatus.COMPLETED else 1
