"""``portkey-runs serve`` (and ``python -m portkey_runs.testing``): the reference server as a
process, as stripe-mock is for Stripe's SDKs. It needs the ``testing`` extra.

Like stripe-mock, it serves fixed ids that examples can use: the first thread is
``thread_abc123`` and its newest run, ``run_abc123``, waits for tool outputs, and waits again
once it has ended, so that the examples run in any order and as often as one likes."""

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
from portkey_runs_api.spec_facts import SECURITY_HEADERS, TERMINAL_RUN_STATUSES

from ._commands import CLIError

__all__ = ["EXAMPLE_RUN", "EXAMPLE_THREAD", "add_serve_arguments", "cmd_serve"]

#: The ids of the first seeded thread and of its newest run, which waits (the README's).
EXAMPLE_THREAD = "thread_abc123"
EXAMPLE_RUN = "run_abc123"
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
    parser.add_argument(
        "--waiting",
        type=_count,
        default=3,
        help="newest runs of each thread that wait for tool outputs (default 3)",
    )
    parser.add_argument(
        "--auth",
        choices=["portkey", "openai", "none"],
        default="portkey",
        help="credentials to require: x-portkey-api-key (default), Authorization: Bearer, none",
    )
    parser.add_argument(
        "--api-key", help="the one key accepted (else any non-empty key); others get a 401"
    )


def cmd_serve(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ..testing import ReferenceState, serve

    if not 0 <= args.event_delay <= 60:  # also refuses nan
        raise ValueError(f"--event-delay must be from 0 to 60 seconds, got {args.event_delay}")
    if args.auth == "none" and args.api_key is not None:
        raise ValueError("--api-key needs --auth portkey or openai: --auth none checks no key")
    state = ReferenceState(seed=args.seed)
    rng = random.Random(args.seed)
    threads = []
    waiting = min(args.waiting, args.runs)
    for number in range(args.threads):
        # The newest runs wait for tool outputs (the newest is the first a listing shows), so
        # that examples which each finish a waiting run find one.
        statuses = [rng.choice(_OTHER_STATUSES) for _ in range(args.runs - waiting)]
        statuses += ["requires_action"] * (waiting - 1)
        fixed = number == 0
        thread_id = state.create_thread(
            statuses=statuses,
            tool_calls=args.tool_calls,
            rounds=args.rounds,
            thread_id=EXAMPLE_THREAD if fixed else None,
        )
        run_id = state.add_run(
            thread_id,
            tool_calls=args.tool_calls,
            rounds=args.rounds,
            run_id=EXAMPLE_RUN if fixed else None,
            renew=fixed,  # the examples' run waits again once ended: they run in any order
        )
        threads.append({"id": thread_id, "runs": args.runs, "waiting_run": run_id})
    stop = threading.Event()

    def on_term(signum: int, frame: FrameType | None) -> None:
        stop.set()

    # SIGTERM and SIGINT (Ctrl-C) stop the server, SIGINT also where it came in ignored (a
    # background job of a shell without job control), as uvicorn's own handlers do. Signals
    # can be handled in the main thread only; elsewhere Ctrl-C is a KeyboardInterrupt.
    main = threading.current_thread() is threading.main_thread()
    stopping = (signal.SIGTERM, signal.SIGINT) if main else ()
    previous = {number: signal.signal(number, on_term) for number in stopping}
    try:
        with contextlib.ExitStack() as stack:
            try:
                server = stack.enter_context(
                    serve(
                        state,
                        auth=args.auth,
                        api_key=args.api_key,
                        event_delay=args.event_delay,
                        host=args.host,
                        port=args.port,
                    )
                )
            except OSError as exc:  # a busy port: one line
                raise CLIError(exc.strerror or str(exc)) from None
            if args.json:
                setup = {"base_url": server.base_url, "threads": threads, "auth": args.auth}
                out.write(json.dumps(setup) + "\n")
            else:
                out.write(f"reference server at {server.base_url} (Ctrl-C stops it)\n")
                for thread in threads:
                    out.write(
                        f"{thread['id']}: {thread['runs']} runs; {thread['waiting_run']} waits "
                        f"for tool outputs ({args.rounds} rounds of {args.tool_calls} calls)\n"
                    )
                out.write(f"credentials: {_credentials(args.auth, args.api_key)}\n")
            out.flush()
            with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: stop as SIGTERM does
                stop.wait()
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    return 0


def _credentials(auth: str, api_key: str | None) -> str:
    """What a client must send, in words (never the key itself)."""
    if auth == "none":
        return "none checked"
    header = SECURITY_HEADERS["PortkeyApiKey"] if auth == "portkey" else "Authorization: Bearer"
    return f"{header}, {'the key given by --api-key' if api_key else 'any non-empty key'}"
