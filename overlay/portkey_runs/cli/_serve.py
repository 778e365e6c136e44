"""``portkey-runs serve`` (and ``python -m portkey_runs.testing``): the reference server as a
process, as stripe-mock is for Stripe's SDKs. It needs the ``testing`` extra."""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import signal
import threading
from types import FrameType
from typing import TextIO

from portkey_runs_api.models import RunStatus
from portkey_runs_api.spec_facts import TERMINAL_RUN_STATUSES

__all__ = ["add_serve_arguments", "cmd_serve"]

COMPLETED = RunStatus.COMPLETED.value

_OTHER_STATUSES = [COMPLETED] * 6 + [s for s in TERMINAL_RUN_STATUSES if s != COMPLETED]


def _count(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port from 0 to 65535, got {value}")
    return value


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback)")
    parser.add_argument("--port", type=_port, default=0, help="port (default 0: a free one)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the ids (default 0)")
    parser.add_argument("--threads", type=_count, default=1, help="threads to seed (default 1)")
    parser.add_argument("--runs", type=_count, default=20, help="runs per thread (default 20)")
    parser.add_argument(
        "--rounds", type=_count, default=2, help="tool rounds of each waiting run (default 2)"
    )
    parser.add_argument(
        "--tool-calls", type=_count, default=2, help="tool calls per round (default 2)"
    )
    parser.add_argument(
        "--event-delay", type=float, default=0.02, help="seconds between streamed events"
    )
    parser.add_argument("--json", action="store_true", help="print the set-up as one JSON line")


def cmd_serve(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ..testing import ReferenceState, serve

    if not 0 <= args.event_delay <= 60:  # also refuses nan
        raise ValueError(f"--event-delay must be from 0 to 60 seconds, got {args.event_delay}")
    state = ReferenceState(seed=args.seed)
    rng = random.Random(args.seed)
    threads = []
    for _ in range(args.threads):
        # The newest run waits for tool outputs: the first a listing shows.
        statuses = [rng.choice(_OTHER_STATUSES) for _ in range(args.runs - 1)]
        thread_id = state.create_thread(
            statuses=[*statuses, "requires_action"], tool_calls=args.tool_calls, rounds=args.rounds
        )
        threads.append(
            {"id": thread_id, "runs": args.runs, "waiting_run": state.runs(thread_id)[-1].id}
        )
    stop = threading.Event()

    def on_term(signum: int, frame: FrameType | None) -> None:
        stop.set()

    # SIGTERM stops the server as Ctrl-C does (signals can be handled in the main thread only).
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, on_term) if main else None
    try:
        with serve(state, host=args.host, port=args.port, event_delay=args.event_delay) as server:
            if args.json:
                out.write(json.dumps({"base_url": server.base_url, "threads": threads}) + "\n")
            else:
                out.write(f"reference server at {server.base_url} (Ctrl-C stops it)\n")
                for thread in threads:
                    out.write(
                        f"{thread['id']}: {thread['runs']} runs; {thread['waiting_run']} waits "
                        f"for tool outputs ({args.rounds} rounds of {args.tool_calls} calls)\n"
                    )
            out.flush()
            with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: stop as SIGTERM does
                stop.wait()
    finally:
        if main:
            signal.signal(signal.SIGTERM, previous)
    return 0
