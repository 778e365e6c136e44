"""Child process of the over-the-wire scenario: the reference server on loopback.

    python -m benchmarks._server RUNS SUBMISSIONS EVENTS

Serves ``portkey_runs.testing`` on 127.0.0.1 (a free port) with one thread of RUNS runs to
list (one in five ``requires_action`` with two tool calls) and SUBMISSIONS runs waiting for
their tool outputs, each answering with a stream of EVENTS events (its reply cut into that
many text deltas, less the run's and steps' own ten). It prints one JSON line: the base URL,
the thread to list, and each waiting run as ``[thread_id, run_id, [tool_call_id, ...]]``, and
stops when its standard input closes. In a process of its own, the server's work does not
compete with the clients' for the interpreter.
"""

from __future__ import annotations

import json
import sys

from portkey_runs.testing import ReferenceState, serve

STATUSES = ["requires_action", "completed", "completed", "failed", "in_progress"]


#: The events of a one-round stream that are not text deltas.
OTHER_EVENTS = 10


def main(runs: int, submissions: int, events: int) -> None:
    state = ReferenceState(seed=11)
    statuses = [STATUSES[i % len(STATUSES)] for i in range(runs)]
    list_thread = state.create_thread(statuses=statuses, tool_calls=2)
    waiting = state.create_thread(
        submissions, "requires_action", tool_calls=2, reply_deltas=events - OTHER_EVENTS
    )
    pending = [
        [waiting, run.id, state.pending_tool_call_ids(waiting, run.id)]
        for run in state.runs(waiting)
    ]
    with serve(state, auth="none", event_delay=0) as server:
        print(
            json.dumps(
                {"base_url": server.base_url, "list_thread": list_thread, "waiting": pending}
            ),
            flush=True,
        )
        sys.stdin.read()


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))
