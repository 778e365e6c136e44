"""The overlay holds no copy of a fact the spec owns: it reads them from ``spec_facts``.

An AST scan of ``overlay/portkey_runs`` (docstrings aside) for string constants that are the
spec's event names, ``order`` values, terminal statuses or declared header names, and for the
numbers of ``limit``'s bounds and default where a limit is given, defaulted, compared or clamped
(``--limit``'s argparse default too), and for collections of terminal ``RunStatus`` members. The
reference server (``testing/``) is left out: it is the server side of the spec, seeded with
statuses and events as data, and validates itself against the spec's wire models.
"""

from __future__ import annotations

import ast
from pathlib import Path

from portkey_runs_api import spec_facts
from portkey_runs_api.models import RunStatus
from tools.generate import OVERLAY

TERMINAL_STATUSES = set(spec_facts.TERMINAL_RUN_STATUSES)

#: The stream's control events are handled by name in one place (``_events.CONTROL_EVENTS``).
CONTROL = {"done", "error"}


def owned_strings() -> dict[str, str]:
    """Spec-owned string (lower-cased) → what it is."""
    owned: dict[str, str] = {}
    owned |= {n: "an event name" for n in spec_facts.EVENT_NAMES if n not in CONTROL}
    owned |= dict.fromkeys(spec_facts.ORDERS, "an order value")
    owned |= dict.fromkeys(spec_facts.TERMINAL_RUN_STATUSES, "a terminal status")
    owned |= {h.lower(): "a declared header" for h in spec_facts.SECURITY_HEADERS.values()}
    owned |= {v.lower(): "the OpenAI-Beta header" for v in spec_facts.OPENAI_BETA}
    return owned


def _not_data(tree: ast.AST) -> set[int]:
    """The string constants that are no data: docstrings, and the names in ``__all__``."""
    found: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        first = body[0] if isinstance(body, list) and body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
            found.add(id(first.value))
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            found.update(id(c) for c in ast.walk(node.value) if isinstance(c, ast.Constant))
    return found


def _is_limit(node: ast.expr) -> bool:
    """``limit``, or an attribute ``x.limit`` (``args.limit``, ``self.limit``)."""
    return (isinstance(node, ast.Name) and node.id == "limit") or (
        isinstance(node, ast.Attribute) and node.attr == "limit"
    )


def _limit_numbers(tree: ast.AST) -> list[ast.Constant]:
    """Integer constants given as a limit: ``limit=N`` (call or default), ``limit <op> N``,
    ``min(limit, N)`` / ``max(...)``, ``add_argument("--limit", default=N)``."""
    found: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == "limit":
            found.append(node.value)
        elif isinstance(node, ast.Call):
            clamp = isinstance(node.func, ast.Name) and node.func.id in ("min", "max")
            if clamp and any(_is_limit(a) for a in node.args):
                found += node.args
            flags = [a.value for a in node.args if isinstance(a, ast.Constant)]
            if "--limit" in flags:
                found += [k.value for k in node.keywords if k.arg in ("default", "const")]
        elif isinstance(node, ast.arguments):
            positional = [*node.posonlyargs, *node.args]
            given = positional[len(positional) - len(node.defaults) :]
            defaults = dict(zip(given, node.defaults, strict=True))
            keywords = zip(node.kwonlyargs, node.kw_defaults, strict=True)
            defaults |= {a: d for a, d in keywords if d is not None}
            found += [d for a, d in defaults.items() if a.arg == "limit"]
        elif isinstance(node, ast.Compare) and any(
            _is_limit(n) for n in [node.left, *node.comparators]
        ):
            found += [node.left, *node.comparators]
    return [n for n in found if isinstance(n, ast.Constant) and type(n.value) is int]


def spec_literals(source: str) -> list[tuple[int, str]]:
    """(line, description) of every spec-owned literal in ``source``."""
    tree = ast.parse(source)
    skip = _not_data(tree)
    owned = owned_strings()
    numbers = {spec_facts.LIMIT_MINIMUM, spec_facts.LIMIT_MAXIMUM, spec_facts.LIMIT_DEFAULT}
    terminal = {status.name for status in RunStatus if status.value in TERMINAL_STATUSES}
    hits: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            what = owned.get(node.value.lower())
            if what:
                hits.append((node.lineno, f"{node.value!r} ({what})"))
        elif isinstance(node, ast.Set | ast.Tuple | ast.List):  # {RunStatus.COMPLETED, ...}
            members = [
                e.attr
                for e in node.elts
                if isinstance(e, ast.Attribute)
                and isinstance(e.value, ast.Name)
                and e.value.id == "RunStatus"
                and e.attr in terminal
            ]
            if len(members) > 1:
                hits.append((node.lineno, f"RunStatus.{members[0]}, ... (the terminal statuses)"))
    for node in _limit_numbers(tree):
        if node.value in numbers:
            hits.append((node.lineno, f"{node.value} (a bound or default of limit)"))
    return sorted(hits)


def overlay_modules() -> list[Path]:
    return sorted(p for p in OVERLAY.rglob("*.py") if "testing" not in p.relative_to(OVERLAY).parts)


def test_the_overlay_holds_no_literal_the_spec_owns() -> None:
    modules = overlay_modules()
    assert len(modules) > 15  # the scan reaches the overlay
    found = [
        f"{path.relative_to(OVERLAY)}:{line}: {what}"
        for path in modules
        for line, what in spec_literals(path.read_text(encoding="utf-8"))
    ]
    assert found == [], "read these from portkey_runs_api.spec_facts:\n" + "\n".join(found)


def test_the_scan_finds_each_kind_of_copied_fact() -> None:
    source = '''
"""Docstrings may say thread.run.completed and desc."""
def list_runs(thread_id, *, limit=100, order="desc"):
    if limit > 100:
        raise ValueError
    if event == "thread.message.delta":
        pass
    headers = {"x-portkey-api-key": key, "OpenAI-Beta": "assistants=v2"}
    return fetch(limit=20), status in ("completed", "expired")
def clamp(args, limit):
    listing.add_argument("--limit", type=int, default=20)
    if not 1 <= limit or args.limit > 100:
        return min(limit, 100)
TERMINAL = frozenset({RunStatus.COMPLETED, RunStatus.FAILED})
done = status == RunStatus.COMPLETED
__all__ = ["expired", "list_runs"]  # names, not statuses: not reported
'''
    found = [f"{line}: {what}" for line, what in spec_literals(source)]
    assert sorted(found) == sorted(
        [
            "3: 100 (a bound or default of limit)",
            "3: 'desc' (an order value)",
            "4: 100 (a bound or default of limit)",
            "6: 'thread.message.delta' (an event name)",
            "8: 'x-portkey-api-key' (a declared header)",
            "8: 'OpenAI-Beta' (the OpenAI-Beta header)",
            "8: 'assistants=v2' (the OpenAI-Beta header)",
            "9: 20 (a bound or default of limit)",
            "9: 'completed' (a terminal status)",
            "9: 'expired' (a terminal status)",
            "11: 20 (a bound or default of limit)",
            "12: 1 (a bound or default of limit)",
            "12: 100 (a bound or default of limit)",
            "13: 100 (a bound or default of limit)",
            "14: RunStatus.COMPLETED, ... (the terminal statuses)",
        ]
    )
