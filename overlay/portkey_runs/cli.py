"""The ``portkey-runs`` command: list a thread's runs, submit tool outputs, run the demo.

    portkey-runs list THREAD_ID [--limit N] [--order asc|desc] [--all] [--json]
    portkey-runs submit THREAD_ID RUN_ID --output CALL_ID=TEXT ... [--stream] [--json]
    portkey-runs demo [--runs N] [--json]

Credentials come from ``$PORTKEY_API_KEY`` and ``$PORTKEY_VIRTUAL_KEY`` (or ``--api-key`` /
``--virtual-key``), the address from ``--base-url`` or ``$PORTKEY_BASE_URL``. Results go to
stdout (``--json``: one JSON object a line); progress and errors go to stderr. A failure is
one line and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, TextIO

from portkey_runs_api import Client
from portkey_runs_api.models import Run

from ._client import make_client
from ._pagination import iter_run_pages
from ._streaming import StreamEvent, UnknownEvent, stream_tool_outputs, submit_tool_outputs
from .errors import PortkeyError

__all__ = ["main"]

PROG = "portkey-runs"


class CLIError(Exception):
    """A problem to report in one line (exit code 1)."""


def _when(timestamp: int | None) -> str:
    if timestamp is None:
        return "-"
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _run_line(run: Run) -> str:
    return f"{run.id:<28} {run.status.value:<16} {_when(run.created_at)}  {run.model}"


class Progress:
    """Progress on stderr: one line rewritten in place on a terminal, a line each otherwise."""

    def __init__(self, err: TextIO) -> None:
        self.err = err
        self.tty = err.isatty()
        self.shown = False

    def show(self, text: str) -> None:
        self.err.write(f"\r{text}" if self.tty else f"{text}\n")
        self.err.flush()
        self.shown = True

    def done(self) -> None:
        if self.tty and self.shown:
            self.err.write("\n")


def _json_line(data: Any, out: TextIO) -> None:
    out.write(json.dumps(data, separators=(",", ":")) + "\n")


def _parse_outputs(pairs: Sequence[str]) -> list[dict[str, str]]:
    outputs = []
    for pair in pairs:
        call_id, sep, text = pair.partition("=")
        if not sep or not call_id:
            raise CLIError(f"--output {pair!r}: expected CALL_ID=TEXT")
        outputs.append({"tool_call_id": call_id, "output": text})
    return outputs


def _client(args: argparse.Namespace) -> Client:
    try:
        return make_client(args.api_key, base_url=args.base_url, virtual_key=args.virtual_key)
    except ValueError as exc:
        raise CLIError(str(exc)) from None


def cmd_list(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with _client(args) as client:
        pages: Iterator[Any] = iter_run_pages(
            client,
            args.thread_id,
            limit=args.limit,
            order=args.order,
            max_items=None if args.all else args.limit,
        )
        count = 0
        progress = Progress(err)
        for number, page in enumerate(pages, 1):
            for run in page.data:
                if args.json:
                    _json_line(run.to_dict(), out)
                else:
                    out.write(_run_line(run) + "\n")
            count += len(page.data)
            if args.all:
                progress.show(f"fetched {count} runs ({number} pages)")
        progress.done()
        if not args.json:
            err.write(f"{count} runs of {args.thread_id}\n")
    return 0


def print_event(event: StreamEvent[Any] | UnknownEvent, as_json: bool, out: TextIO) -> None:
    if as_json:
        data = event.data if isinstance(event, UnknownEvent) else event.data.to_dict()
        _json_line({"event": event.event, "data": data}, out)
    elif isinstance(event, UnknownEvent):
        out.write(f"{event.event:<28} (unknown event)\n")
    else:
        out.write(_event_line(event) + "\n")
    out.flush()


def _event_line(event: StreamEvent[Any]) -> str:
    data = event.data.to_dict()
    if event.event == "thread.message.delta":
        parts = data.get("delta", {}).get("content", [])
        text = "".join(p.get("text", {}).get("value", "") for p in parts if isinstance(p, dict))
        return f"{event.event:<28} {text!r}"
    status = f"  {data['status']}" if data.get("status") else ""
    return f"{event.event:<28} {data.get('id', '')}{status}"


def submit(
    client: Client,
    thread_id: str,
    run_id: str,
    outputs: list[dict[str, str]],
    *,
    stream: bool,
    as_json: bool,
    out: TextIO,
) -> Run | None:
    if not stream:
        run = submit_tool_outputs(client, thread_id, run_id, outputs)
        if as_json:
            _json_line(run.to_dict(), out)
        else:
            out.write(_run_line(run) + "\n")
        return run
    with stream_tool_outputs(client, thread_id, run_id, outputs) as events:
        for event in events:
            print_event(event, as_json, out)
        final = events.final_run
    if final is not None and not as_json:
        out.write(f"final run: {_run_line(final)}\n")
    return final


def cmd_submit(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    outputs = _parse_outputs(args.output)
    with _client(args) as client:
        submit(
            client,
            args.thread_id,
            args.run_id,
            outputs,
            stream=args.stream,
            as_json=args.json,
            out=out,
        )
    return 0


def cmd_demo(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ._demo import run_demo

    return run_demo(runs=args.runs, as_json=args.json, out=out, err=err)


def parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--base-url", help="API base URL (default: $PORTKEY_BASE_URL or Portkey's)")
    common.add_argument("--api-key", help="Portkey API key (default: $PORTKEY_API_KEY)")
    common.add_argument("--virtual-key", help="Portkey virtual key (default: $PORTKEY_VIRTUAL_KEY)")
    common.add_argument("--json", action="store_true", help="one JSON object a line on stdout")

    top = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n")[0])
    commands = top.add_subparsers(dest="command", required=True)

    listing = commands.add_parser("list", parents=[common], help="list a thread's runs")
    listing.add_argument("thread_id")
    listing.add_argument("--limit", type=int, default=20, help="page size, 1..100 (default 20)")
    listing.add_argument("--order", choices=["asc", "desc"], default="desc")
    listing.add_argument("--all", action="store_true", help="every run, across all pages")
    listing.set_defaults(func=cmd_list)

    sub = commands.add_parser("submit", parents=[common], help="submit tool outputs to a run")
    sub.add_argument("thread_id")
    sub.add_argument("run_id")
    sub.add_argument(
        "--output", action="append", required=True, metavar="CALL_ID=TEXT", help="repeatable"
    )
    sub.add_argument("--stream", action="store_true", help="print events as they arrive")
    sub.set_defaults(func=cmd_submit)

    demo = commands.add_parser(
        "demo", parents=[common], help="the whole flow against an embedded reference server"
    )
    demo.add_argument("--runs", type=int, default=300, help="runs to seed (default 300)")
    demo.set_defaults(func=cmd_demo)
    return top


def main(
    argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    args = parser().parse_args(argv)
    try:
        code: int = args.func(args, out, err)
    except (CLIError, PortkeyError, ValueError, TypeError) as exc:
        err.write(f"{PROG}: error: {exc}\n")
        return 1
    except KeyboardInterrupt:
        err.write(f"{PROG}: interrupted\n")
        return 130
    except BrokenPipeError:
        # The reader went away (`portkey-runs list ... | head`): stop quietly, as cat does.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    return code


if __name__ == "__main__":
    sys.exit(main())
