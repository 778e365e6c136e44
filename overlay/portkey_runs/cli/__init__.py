"""The ``portkey-runs`` command: list runs, submit tool outputs, run the tool loop, serve.

    portkey-runs list THREAD_ID [--limit N] [--order asc|desc] [--all] [--json]
    portkey-runs submit THREAD_ID RUN_ID --output CALL_ID=TEXT ... [--stream [--events]] [--json]
    portkey-runs run-tools THREAD_ID RUN_ID --module MODULE [--max-rounds N] [--json]
    portkey-runs serve [--host H] [--port P] [--seed S] [--threads N] [--runs N] [--rounds N]
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

from portkey_runs_api import spec_facts

from ..errors import PortkeyError
from ._commands import CLIError, cmd_list, cmd_run_tools, cmd_submit
from ._serve import add_serve_arguments, cmd_serve

__all__ = ["main"]

PROG = "portkey-runs"
EXTRA_HINT = 'pip install "portkey-runs[testing]"'


_EXTRA = ("pydantic", "starlette", "uvicorn", "typing_extensions")


def cmd_demo(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        from ._demo import run_demo
    except ImportError as exc:
        if exc.name not in _EXTRA:
            raise
        raise CLIError(f"the demo runs the reference server, which needs: {EXTRA_HINT}") from None
    return run_demo(args, out, err)


def cmd_serve_with_extra(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        import portkey_runs.testing  # noqa: F401
    except ImportError as exc:
        if exc.name not in _EXTRA:
            raise
        raise CLIError(f"the reference server needs: {EXTRA_HINT}") from None
    return cmd_serve(args, out, err)


def _loop_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--max-rounds", type=int, default=10, help="rounds at most (default 10)")
    parser.add_argument(
        "--tool-timeout", type=float, default=None, help="seconds each call may take"
    )
    parser.add_argument(
        "--sequential", action="store_true", help="call the functions of a round one by one"
    )
    parser.add_argument(
        "--on-tool-error",
        choices=["report", "raise"],
        default="report",
        help="a failing function: report it to the run (default) or stop",
    )


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
    low, high = spec_facts.LIMIT_MINIMUM, spec_facts.LIMIT_MAXIMUM
    default = spec_facts.LIMIT_DEFAULT
    listing.add_argument(
        "--limit", type=int, default=default, help=f"page size, {low}..{high} (default {default})"
    )
    listing.add_argument("--order", choices=spec_facts.ORDERS, default=spec_facts.ORDER_DEFAULT)
    listing.add_argument("--all", action="store_true", help="every run, across all pages")
    listing.set_defaults(func=cmd_list)

    sub = commands.add_parser("submit", parents=[common], help="submit tool outputs to a run")
    sub.add_argument("thread_id")
    sub.add_argument("run_id")
    sub.add_argument(
        "--output", action="append", required=True, metavar="CALL_ID=TEXT", help="repeatable"
    )
    sub.add_argument(
        "--stream", action="store_true", help="stream the answer: the reply's text as it arrives"
    )
    sub.add_argument("--events", action="store_true", help="with --stream: a line per event")
    sub.set_defaults(func=cmd_submit)

    tools = commands.add_parser(
        "run-tools", parents=[common], help="call a module's functions whenever the run asks"
    )
    tools.add_argument("thread_id")
    tools.add_argument("run_id")
    tools.add_argument(
        "--module", required=True, help="an importable module whose functions are the tools"
    )
    _loop_arguments(tools)
    tools.set_defaults(func=cmd_run_tools)

    serving = commands.add_parser(
        "serve", help="the reference server as a process (needs the testing extra)"
    )
    add_serve_arguments(serving)
    serving.set_defaults(func=cmd_serve_with_extra)

    demo = commands.add_parser(
        "demo", parents=[common], help="the whole job against an embedded reference server"
    )
    demo.add_argument("--runs", type=int, default=300, help="runs to seed (default 300)")
    _loop_arguments(demo)
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
