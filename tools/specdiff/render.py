"""Render findings for a reviewer (Markdown, for a pull-request comment) or for tools (JSON).

Findings are grouped into *changes*: one change is one rule, one cause (the schema change
behind it, e.g. ``Run.model``; else one operation and location) and one old -> new value. A
change of a shared component is reported at every operation and response that uses it; the
report shows it once, says where it applies, and folds the list of locations.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tools.specdiff.model import LEVEL_RANK, LEVELS, Finding
from tools.specdiff.registry import catalogue
from tools.specdiff.schema import TypeText

if TYPE_CHECKING:
    from tools.specdiff.python_api import PyChange

_LABELS = {"ERR": "Breaking", "WARN": "Potentially breaking", "INFO": "Non-breaking"}
_HEADINGS = {
    "ERR": "ERR: breaking",
    "WARN": "WARN: may break some clients",
    "INFO": "INFO: non-breaking",
}


@dataclass
class Change:
    """Findings of one rule with one cause and one old -> new value."""

    id: str
    level: str
    cause: str | None
    old: Any
    new: Any
    findings: list[Finding] = field(default_factory=list)

    @property
    def summary(self) -> str:
        rule = catalogue().get(self.id)
        return rule.summary if rule else self.id

    @property
    def operations(self) -> list[str]:
        return sorted({f.operation or "(document)" for f in self.findings})


def _key(f: Finding) -> str:
    where = f.cause if f.cause is not None else f"{f.operation}\0{f.path}"
    return json.dumps([f.id, where, f.old, f.new], default=str, sort_keys=True)


def group(findings: Sequence[Finding]) -> list[Change]:
    """The changes behind ``findings``, most severe first, in the order of their findings."""
    changes: dict[str, Change] = {}
    for f in findings:
        key = _key(f)
        if key not in changes:
            changes[key] = Change(f.id, f.level, f.cause, f.old, f.new)
        changes[key].findings.append(f)
    return sorted(changes.values(), key=lambda c: LEVEL_RANK[c.level])


def verdict(findings: Sequence[Finding]) -> str:
    """``**Breaking: 2 ERR, 1 WARN, 3 INFO** (6 changes at 14 locations)`` (or ``Potentially
    breaking``/``Non-breaking``; counts are changes); ``No changes`` when there is nothing."""
    if not findings:
        return "No changes"
    changes = group(findings)
    counts = Counter(c.level for c in changes)
    label = next(_LABELS[level] for level in LEVELS if counts[level] or level == "INFO")
    where = f"{len(changes)} change{'s' if len(changes) != 1 else ''}"
    if len(findings) != len(changes):
        where += f" at {len(findings)} locations"
    return (
        f"**{label}: {counts['ERR']} ERR, {counts['WARN']} WARN, {counts['INFO']} INFO** ({where})"
    )


def value_text(value: Any) -> str:
    """A value in Markdown: ``absent`` for none, a type as written (``string | null``), any
    other value as JSON."""
    if value is None:
        return "absent"
    if isinstance(value, TypeText):
        return f"`{value}`"
    return f"`{json.dumps(value, ensure_ascii=False, default=str)}`"


def _kind(path: str) -> str:
    if "content/text/event-stream" in path:
        return "stream event"
    if path.startswith("responses"):
        return "response header" if "/headers/" in path else "response"
    if path.startswith("requestBody"):
        return "request body"
    if path.startswith("parameters"):
        return "parameter"
    return "place"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _spread(change: Change) -> str:
    kinds = Counter(_kind(f.path) for f in change.findings)
    parts = [_plural(n, kind) for kind, n in kinds.most_common()]
    text = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    operations = len(change.operations)
    return f"in {text} ({_plural(operations, 'operation')})"


def _location(f: Finding) -> str:
    where = f.operation or "(document)"
    return f"`{where}` `{f.path}`" if f.path else f"`{where}`"


def change_lines(change: Change) -> list[str]:
    """One bullet for a change, with its folded locations when there are several."""
    values = f"{value_text(change.old)} → {value_text(change.new)}"
    rule = f"(`{change.id}`)"
    if change.cause is not None:
        title = f"**`{change.cause}`**: {change.summary} {rule}: {values}"
    else:
        title = f"{_location(change.findings[0])}: {change.summary} {rule}: {values}"
    if len(change.findings) == 1:
        if change.cause is not None:
            title += f", at {_location(change.findings[0])}"
        return [f"- {title}"]
    lines = [f"- {title}, {_spread(change)}"]
    lines += ["", f"  <details><summary>{len(change.findings)} locations</summary>", ""]
    lines += [f"  - {_location(f)}" for f in change.findings]
    lines += ["", "  </details>", ""]
    return lines


#: More non-breaking Python changes than this are folded.
_FOLD = 8


def python_lines(changes: Sequence[PyChange]) -> list[str]:
    """The "Python API" section: its verdict, the breaking changes, then the others."""
    breaking = [c for c in changes if c.level == "ERR"]
    others = [c for c in changes if c.level != "ERR"]
    lines = ["", "### Python API", ""]
    if not changes:
        return [*lines, "No changes to `portkey_runs_api` or `portkey_runs`."]
    label = "Breaking" if breaking else "Non-breaking"
    lines += [f"**{label}: {len(breaking)} breaking, {len(others)} non-breaking**"]
    if breaking:
        lines += ["", "Breaking:", ""]
        lines += [f"- `{c.path}`: {c.summary} (`{c.kind}`)" for c in breaking]
    if others:
        lines += ["", "Non-breaking:", ""]
        items = [f"- `{c.path}`: {c.summary} (`{c.kind}`)" for c in others]
        if len(items) > _FOLD:
            items = [
                f"<details><summary>{len(items)} changes</summary>",
                "",
                *items,
                "",
                "</details>",
            ]
        lines += items
    return lines


def render_markdown(
    findings: Sequence[Finding], note: str | None = None, python: Sequence[PyChange] | None = None
) -> str:
    """The verdict line, then one section per level with its changes, then the Python API's
    changes (when compared)."""
    lines = [verdict(findings)]
    if note:
        lines += ["", f"> {note}"]
    changes = group(findings)
    for level in LEVELS:
        selected = [c for c in changes if c.level == level]
        if selected:
            lines += ["", f"### {_HEADINGS[level]}", ""]
            for change in selected:
                lines += change_lines(change)
    if python is not None:
        lines += python_lines(python)
    while lines and lines[-1] == "":
        lines.pop()
    return "\n".join(lines) + "\n"


def render_json(
    findings: Sequence[Finding], note: str | None = None, python: Sequence[PyChange] | None = None
) -> str:
    """``{"verdict", "counts", "note", "changes": [...], "findings": [...], "python_api"}``; a
    change is ``{"id", "level", "summary", "cause", "old", "new", "locations": [{"operation",
    "path"}]}``, a finding is :meth:`Finding.as_dict`; ``python_api`` is ``null`` (not compared)
    or a list of :meth:`PyChange.as_dict`."""
    changes = group(findings)
    counts = Counter(c.level for c in changes)
    worst = next((level for level in LEVELS if counts[level]), None)
    document = {
        "verdict": {"ERR": "breaking", "WARN": "potentially-breaking", "INFO": "non-breaking"}[
            worst
        ]
        if worst
        else "no-changes",
        "counts": {level: counts[level] for level in LEVELS},
        "note": note,
        "changes": [
            {
                "id": c.id,
                "level": c.level,
                "summary": c.summary,
                "cause": c.cause,
                "old": c.old,
                "new": c.new,
                "locations": [{"operation": f.operation, "path": f.path} for f in c.findings],
            }
            for c in changes
        ],
        "findings": [f.as_dict() for f in findings],
        "python_api": None if python is None else [c.as_dict() for c in python],
    }
    return json.dumps(document, indent=2, ensure_ascii=False, default=str)
