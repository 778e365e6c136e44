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
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from ..errors import PortkeyError
from ._commands import CLIError, cmd_list, cmd_submit

__all__ = ["main"]

PROG = "portkey-runs"
EXTRA_HINT = 'pip install "portkey-runs[testing]"'


def cmd_demo(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        from ._demo import run_demo
    except ImportError as exc:
        if exc.name not in ("pydantic", "starlette", "uvicorn"):
            raise
        raise CLIError(f"the demo runs the reference server, which needs: {EXTRA_HINT}") from None
    return run_demo(runs=args.runs, as_json=args.json, out=out, err=err)


def parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--base-url", help="API base URL (default: $PORTKEY_BASE_URL or Portkey's)")
    common.add_argument("--api-key", help="Portkey API key (default: $PORTKEY_API_KEY)")
    common.add_argument("--virtual-key", help="Portkey virtual key (default: $PORTKEY_VIRTUAL_KEY)")
    common.add_argument("--json", action="store_true", help="one JSON object a line on stdout")

    top = argparse.ArgumentParser(prog=PROG, description=(__doc__ or "").split("\n")[0])
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
