"""``portkey-runs list``, ``submit`` and ``run-tools``."""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import inspect
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO

from portkey_runs_api.models import (
    Run,
    RunStatus,
    ThreadMessageCompletedEvent,
    ThreadMessageDeltaEvent,
    ThreadMessageIncompleteEvent,
)

from .._client import Client
from .._snapshots import delta_texts
from .._tools import ToolCall, ToolLoop
from ._output import Progress, json_line, print_event, run_line

__all__ = [
    "CLIError",
    "client_of",
    "cmd_list",
    "cmd_run_tools",
    "cmd_submit",
    "parse_outputs",
    "print_loop",
    "tools_of",
]


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


def cmd_submit(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    outputs = parse_outputs(args.output)
    with client_of(args) as client:
        if not args.stream:
            run = client.runs.submit_tool_outputs(args.thread_id, args.run_id, outputs)
            if args.json:
                json_line(run.to_dict(), out)
            else:
                out.write(run_line(run) + "\n")
            return 0
        with client.runs.stream_tool_outputs(args.thread_id, args.run_id, outputs) as stream:
            if args.json or args.events:
                for event in stream:
                    print_event(event, args.json, out)
            else:  # the assistant's text, as it arrives
                for text in stream.text_deltas:
                    out.write(text)
                    out.flush()
                out.write("\n")
            final = stream.final_run
    if final is not None and not args.json:
        err.write(f"final run: {run_line(final)}\n")
    return 0


def _module(name: str) -> ModuleType:
    """The module ``--module`` names: an importable name, or the path of a ``.py`` file."""
    if name.endswith(".py") or os.sep in name or "/" in name:
        return _module_file(name)
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # a module next to you, as `python -m` would find it
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise CLIError(f"--module {name}: cannot import it ({exc})") from None


def _module_file(path: str) -> ModuleType:
    """A ``.py`` file loaded as a module named after it (its folder first on the path, so
    that it imports its neighbours as when run as a script)."""
    file = Path(path)
    if file.suffix != ".py" or not file.is_file():
        raise CLIError(
            f"--module {path}: no such .py file; give a file path (./mytools.py) "
            "or an importable module name (mytools, mypackage.tools)"
        )
    spec = importlib.util.spec_from_file_location(file.stem, file)
    if spec is None or spec.loader is None:  # pragma: no cover - a .py file always has one
        raise CLIError(f"--module {path}: cannot load it")
    module = importlib.util.module_from_spec(spec)
    folder = str(file.resolve().parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    sys.modules[file.stem] = module
    try:
        spec.loader.exec_module(module)
    except ImportError as exc:
        raise CLIError(f"--module {path}: cannot import it ({exc})") from None
    return module


def tools_of(module_name: str) -> dict[str, Callable[..., Any]]:
    """The tool functions of a module (a name or a ``.py`` path): its ``__all__``, else its
    public functions."""
    module = _module(module_name)
    names = getattr(module, "__all__", None)
    if names is None:
        names = [
            name
            for name, value in vars(module).items()
            if inspect.isfunction(value)
            and value.__module__ == module.__name__
            and not name.startswith("_")
        ]
    missing = [name for name in names if not callable(getattr(module, name, None))]
    if missing:
        raise CLIError(f"--module {module_name}: {', '.join(missing)} in __all__ is not a function")
    tools = {name: getattr(module, name) for name in names}
    if not tools:
        raise CLIError(f"--module {module_name}: it has no public functions to call")
    return tools


def print_loop(loop: ToolLoop, *, as_json: bool, out: TextIO) -> Run:
    """The calls of each round, the reply text as it streams (or, ``as_json``, each call and
    event as a JSON line); the final run."""
    shown = 0
    writing = False
    for event in loop:
        for call in loop.calls[shown:]:
            if as_json:
                json_line({"tool_call": _call_dict(call)}, out)
            else:
                problem = f"  [error: {call.error}]" if call.error else ""
                out.write(
                    f"round {call.round}: {call.name}({call.arguments}) -> {call.output}{problem}\n"
                )
        shown = len(loop.calls)
        if as_json:
            print_event(event, True, out)
        elif isinstance(event, ThreadMessageDeltaEvent):
            for text in delta_texts(event.data.to_dict()):
                if not writing:
                    out.write("reply: ")
                    writing = True
                out.write(text)
            out.flush()
        elif (
            isinstance(event, ThreadMessageCompletedEvent | ThreadMessageIncompleteEvent)
            and writing
        ):
            out.write("\n")
            writing = False
    return loop.until_done()


def _call_dict(call: ToolCall) -> dict[str, Any]:
    return {
        "id": call.id,
        "name": call.name,
        "arguments": call.arguments,
        "output": call.output,
        "error": call.error,
        "round": call.round,
    }


def run_tools(
    client: Client,
    thread_id: str,
    run: Run | str,
    tools: Mapping[str, Callable[..., Any]],
    args: argparse.Namespace,
    out: TextIO,
    err: TextIO,
) -> Run:
    loop = client.runs.run_tools(
        thread_id,
        run,
        tools=tools,
        max_rounds=args.max_rounds,
        tool_timeout=args.tool_timeout,
        parallel=not args.sequential,
        on_tool_error=args.on_tool_error,
    )
    with loop:
        final = print_loop(loop, as_json=args.json, out=out)
    if args.json:
        json_line({"final_run": final.to_dict()}, out)
    else:
        err.write(f"final run: {run_line(final)} after {loop.rounds} round(s)\n")
    return final


def cmd_run_tools(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    tools = tools_of(args.module)
    with client_of(args) as client:
        final = run_tools(client, args.thread_id, args.run_id, tools, args, out, err)
    return 0 if final.status == RunStatus.COMPLETED else 1
