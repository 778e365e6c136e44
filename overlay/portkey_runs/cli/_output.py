"""What the commands print: run lines, event lines, JSON lines, progress on stderr."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, TextIO

from portkey_runs_api.models import Run, ThreadMessageDeltaEvent

from .._events import RunStreamEvent

__all__ = ["Progress", "json_line", "print_event", "run_line"]


def _when(timestamp: int | None) -> str:
    if timestamp is None:
        return "-"
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S")


def run_line(run: Run) -> str:
    return f"{run.id:<28} {run.status.value:<16} {_when(run.created_at)}  {run.model}"


def json_line(data: Any, out: TextIO) -> None:
    out.write(json.dumps(data, separators=(",", ":")) + "\n")


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


def print_event(event: RunStreamEvent, as_json: bool, out: TextIO) -> None:
    """One event: its name and what it is about, or (``as_json``) ``{"event", "data"}``."""
    if event.event == "unknown":
        if as_json:
            json_line({"event": event.name, "data": event.data}, out)
        else:
            out.write(f"{event.name:<28} (unknown event)\n")
    elif as_json:
        json_line({"event": event.event, "data": event.data.to_dict()}, out)
    else:
        data = event.data.to_dict()
        if isinstance(event, ThreadMessageDeltaEvent):
            parts = data.get("delta", {}).get("content", [])
            text = "".join(p.get("text", {}).get("value", "") for p in parts if isinstance(p, dict))
            out.write(f"{event.event:<28} {text!r}\n")
        else:
            status = f"  {data['status']}" if data.get("status") else ""
            out.write(f"{event.event:<28} {data.get('id', '')}{status}\n")
    out.flush()
