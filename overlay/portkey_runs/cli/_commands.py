"""``portkey-runs list`` and ``portkey-runs submit``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TextIO

from portkey_runs_api.models import Run

from .._client import Client
from ._output import Progress, json_line, print_event, run_line

__all__ = ["CLIError", "client_of", "cmd_list", "cmd_submit", "parse_outputs", "submit"]


class CLIError(Exception):
    """A problem to report in one line (exit code 1)."""


def parse_outputs(pairs: Sequence[str]) -> list[dict[str, str]]:
    outputs = []
    for pair in pairs:
        call_id, sep, text = pair.partition("=")
        if not sep or not call_id:
            raise CLIError(f"--output {pair!r}: expected CALL_ID=TEXT")
        outputs.append({"tool_call_id": call_id, "output": text})
    return outputs


def client_of(args: argparse.Namespace) -> Client:
    try:
        return Client(args.api_key, base_url=args.base_url, virtual_key=args.virtual_key)
    except ValueError as exc:
        raise CLIError(str(exc)) from None


def cmd_list(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with client_of(args) as client:
        pages = client.runs.list(
            args.thread_id,
            limit=args.limit,
            order=args.order,
            max_items=None if args.all else args.limit,
        ).pages()
        count = 0
        progress = Progress(err)
        for number, page in enumerate(pages, 1):
            for run in page.data:
                if args.json:
                    json_line(run.to_dict(), out)
                else:
                    out.write(run_line(run) + "\n")
            count += len(page.data)
            if args.all:
                progress.show(f"fetched {count} runs ({number} pages)")
        progress.done()
        if not args.json:
            err.write(f"{count} runs of {args.thread_id}\n")
    return 0


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
        run = client.runs.submit_tool_outputs(thread_id, run_id, outputs)
        if as_json:
            json_line(run.to_dict(), out)
        else:
            out.write(run_line(run) + "\n")
        return run
    with client.runs.stream_tool_outputs(thread_id, run_id, outputs) as events:
        for event in events:
            print_event(event, as_json, out)
        final = events.final_run
    if final is not None and not as_json:
        out.write(f"final run: {run_line(final)}\n")
    return final


def cmd_submit(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    outputs = parse_outputs(args.output)
    with client_of(args) as client:
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
