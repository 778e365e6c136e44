"""Render findings as Markdown (for people) or JSON (for machines)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

from tools.specdiff.model import LEVELS, Finding


def _value(value: Any) -> str:
    return f"`{json.dumps(value, ensure_ascii=False, default=str)}`"


def verdict(findings: Sequence[Finding]) -> str:
    """``**Breaking: 2 ERR, 1 WARN, 3 INFO**`` (or ``Potentially breaking``/``Non-breaking``);
    ``No changes`` when there is nothing to report."""
    if not findings:
        return "No changes"
    counts = Counter(f.level for f in findings)
    if counts["ERR"]:
        label = "Breaking"
    elif counts["WARN"]:
        label = "Potentially breaking"
    else:
        label = "Non-breaking"
    return f"**{label}: {counts['ERR']} ERR, {counts['WARN']} WARN, {counts['INFO']} INFO**"


def finding_line(f: Finding) -> str:
    where = f.operation or "(document)"
    location = f" `{f.path}`" if f.path else ""
    return f"- `{f.id}` {where}{location}: {_value(f.old)} → {_value(f.new)}"


def render_markdown(findings: Sequence[Finding], note: str | None = None) -> str:
    """A verdict line, then one section per level that has findings."""
    lines = [verdict(findings)]
    if note:
        lines += ["", f"> {note}"]
    for level in LEVELS:
        selected = [f for f in findings if f.level == level]
        if selected:
            lines += ["", f"### {level}", ""]
            lines += [finding_line(f) for f in selected]
    return "\n".join(lines) + "\n"


def render_json(findings: Sequence[Finding]) -> str:
    """A JSON list of ``{"id", "level", "operation", "path", "old", "new"}`` objects."""
    return json.dumps([f.as_dict() for f in findings], indent=2, ensure_ascii=False, default=str)
