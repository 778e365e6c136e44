"""Score specdiff against oasdiff's checker tests: ``python -m tools.specdiff.parity DIR``.

``DIR`` holds ``cases.json`` (made by ``tests/tools/oasdiff_cases/extract.py``) and the spec
pairs it names. Each case is one oasdiff test that loads a base and a revision unchanged:

* *positive*: the test expects rule ids; the case agrees on the id if specdiff reports every
  one of them, and on the level if each is reported at oasdiff's level, or at another level
  that the rule declares as a deliberate deviation
  (:attr:`~tools.specdiff.registry.Rule.deviation`);
* *negative*: the test asserts that nothing breaking is reported; the case agrees if specdiff
  reports nothing at WARN or above, except for rules with a declared deviation. A test that
  runs one oasdiff check asserts that check's silence only: a finding under an id that check
  does not emit (``check_ids`` of the case) is counted apart, as *outside the test's check*.

"ERR the test did not expect" is counted twice: every unexpected ERR, and those in the scope
of the test (any id for a test that runs every check, else the ids of its one check).

``deviations.json`` beside ``cases.json`` (optional) names cases where specdiff deliberately
disagrees, with the reason: they still count as disagreements in the figures, except that a
negative case with a documented deviation is not counted as one with findings; the report lists
them apart.

Prints the figures and every disagreement with its reason; ``--json`` prints them as JSON.
Exit status 0, or 2 if ``DIR`` has no readable ``cases.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from tools.specdiff.diff import diff_specs
from tools.specdiff.loader import SpecError, load_file
from tools.specdiff.model import Finding, Options
from tools.specdiff.registry import catalogue

_SEVERE = ("ERR", "WARN")


@dataclass
class Outcome:
    """What specdiff made of one case."""

    name: str
    kind: str
    expected: list[tuple[str, str]]
    #: the ids of the one check the test runs (``None``: it runs every check)
    scope: frozenset[str] | None = None
    found: list[Finding] = field(default_factory=list)
    error: str | None = None

    def in_scope(self, findings: list[Finding]) -> list[Finding]:
        return [f for f in findings if self.scope is None or f.id in self.scope]

    def ids(self) -> set[str]:
        return {f.id for f in self.found}

    @property
    def id_ok(self) -> bool:
        return self.error is None and all(rule_id in self.ids() for rule_id, _ in self.expected)

    @property
    def known(self) -> bool:
        rules = catalogue()
        return all(rule_id in rules for rule_id, _ in self.expected)

    @property
    def level_ok(self) -> bool:
        if not self.id_ok:
            return False
        rules = catalogue()
        for rule_id, level in self.expected:
            levels = {f.level for f in self.found if f.id == rule_id}
            if level not in levels and not rules[rule_id].deviation:
                return False
        return True

    def unexpected_err(self) -> list[Finding]:
        wanted = {rule_id for rule_id, _ in self.expected}
        return [f for f in self.found if f.level == "ERR" and f.id not in wanted]

    def severe(self) -> list[Finding]:
        """WARN-or-above findings of a negative case that no declared deviation explains."""
        rules = catalogue()
        return [f for f in self.found if f.level in _SEVERE and not rules[f.id].deviation]


@dataclass
class Score:
    outcomes: list[Outcome]
    #: case name -> why specdiff deliberately disagrees
    deviations: dict[str, str] = field(default_factory=dict)

    def _of(self, kind: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.kind == kind]

    @property
    def positive(self) -> list[Outcome]:
        return self._of("positive")

    @property
    def negative(self) -> list[Outcome]:
        return self._of("negative")

    def figures(self) -> dict[str, Any]:
        pos, neg = self.positive, self.negative
        known = [o for o in pos if o.known]
        return {
            "positive": len(pos),
            "negative": len(neg),
            "id": sum(o.id_ok for o in pos),
            "known": len(known),
            "id_of_known": sum(o.id_ok for o in known),
            "level": sum(o.level_ok for o in pos),
            "unexpected_err": sum(bool(o.unexpected_err()) for o in pos),
            "unexpected_err_in_scope": sum(bool(o.in_scope(o.unexpected_err())) for o in pos),
            "negative_with_findings": sum(
                bool(o.in_scope(o.severe()) or o.error) and o.name not in self.deviations
                for o in neg
            ),
            "documented_cases": len(self.deviations),
            "negative_outside_check": sum(
                bool(o.severe()) and not o.in_scope(o.severe()) for o in neg
            ),
            "negative_with_deviations": sum(
                bool([f for f in o.found if f.level in _SEVERE]) and not o.severe() for o in neg
            ),
        }


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "n/a"


def load_cases(directory: Path) -> dict[str, Any]:
    try:
        loaded: dict[str, Any] = json.loads((directory / "cases.json").read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise SpecError(f"{directory}/cases.json: cannot read ({exc})") from exc
    return loaded


def load_deviations(directory: Path) -> dict[str, str]:
    path = directory / "deviations.json"
    if not path.is_file():
        return {}
    try:
        cases: dict[str, str] = json.loads(path.read_text("utf-8"))["cases"]
    except (OSError, ValueError, KeyError) as exc:
        raise SpecError(f"{path}: cannot read ({exc})") from exc
    return cases


def score(directory: Path) -> Score:
    document = load_cases(directory)
    deviations = load_deviations(directory)
    today = date.fromisoformat(document.get("today", "2026-12-01"))
    outcomes: list[Outcome] = []
    for case in document["cases"]:
        expected = [(item["id"], item["level"]) for item in case["expected"]]
        scope = case.get("check_ids")
        outcome = Outcome(
            case["name"], case["kind"], expected, frozenset(scope) if scope is not None else None
        )
        days = case.get("options", {}).get("deprecation_days")
        options = Options(today=today, deprecation_days=tuple(days) if days else None)
        try:
            old = load_file(directory / case["base"])
            new = load_file(directory / case["revision"])
            outcome.found = diff_specs(old, new, options)
        except SpecError as exc:
            outcome.error = str(exc)
        outcomes.append(outcome)
    names = {o.name for o in outcomes}
    unknown = sorted(set(deviations) - names)
    if unknown:
        raise SpecError(f"{directory}/deviations.json names unknown cases: {', '.join(unknown)}")
    return Score(outcomes, deviations)


def _ids(findings: Sequence[Finding], levels: bool = True) -> str:
    seen: dict[str, None] = {}
    for f in findings:
        seen[f"{f.id}:{f.level}" if levels else f.id] = None
    return ", ".join(seen) or "nothing"


def report(result: Score) -> str:
    figures = result.figures()
    pos, neg = figures["positive"], figures["negative"]
    lines = [
        f"oasdiff checker cases: {pos} positive, {neg} negative",
        f"expected rule id reported: {figures['id']}/{pos} ({_percent(figures['id'], pos)}); "
        f"of the {figures['known']} whose ids specdiff knows: {figures['id_of_known']} "
        f"({_percent(figures['id_of_known'], figures['known'])})",
        f"at oasdiff's level (or a documented deviation): {figures['level']}/{pos} "
        f"({_percent(figures['level'], pos)})",
        f"positive cases with an ERR the test did not expect: {figures['unexpected_err']} "
        f"({figures['unexpected_err_in_scope']} within the scope of the test's check)",
        f"negative cases with a finding at WARN or above: {figures['negative_with_findings']}/{neg}"
        f" (not counted: {figures['negative_outside_check']} with findings only outside the "
        f"test's check, {figures['negative_with_deviations']} whose only such findings are "
        f"rules with a documented deviation)",
    ]
    rules = catalogue()
    disagreements: list[str] = []
    documented: list[str] = []
    outside: list[str] = []
    for o in result.positive:
        if o.error:
            disagreements.append(f"{o.name}: cannot load: {o.error}")
        elif not o.id_ok:
            missing = [r for r, _ in o.expected if r not in o.ids()]
            unknown = [r for r in missing if r not in rules]
            why = "unknown to specdiff" if unknown == missing else "not reported"
            disagreements.append(
                f"{o.name}: expected {', '.join(missing)} ({why}); got {_ids(o.found)}"
            )
        elif not o.level_ok:
            got = [f for f in o.found if f.id in {r for r, _ in o.expected}]
            wanted = ", ".join(f"{r}:{level}" for r, level in o.expected)
            disagreements.append(f"{o.name}: level: expected {wanted}; got {_ids(got)}")
    for o in result.negative:
        if o.error:
            disagreements.append(f"{o.name} (negative): cannot load: {o.error}")
        elif o.in_scope(o.severe()):
            disagreements.append(f"{o.name} (negative): reported {_ids(o.in_scope(o.severe()))}")
        elif o.severe():
            outside.append(f"{o.name} (negative): {_ids(o.severe())}")
    for line in list(disagreements):
        name = line.split(" ", 1)[0].rstrip(":")
        if name in result.deviations:
            disagreements.remove(line)
            documented.append(f"{line}\n    why: {result.deviations[name]}")
    if disagreements:
        lines += ["", f"disagreements ({len(disagreements)}):"]
        lines += [f"  {line}" for line in disagreements]
    if documented:
        lines += ["", f"documented deviations ({len(documented)}):"]
        lines += [f"  {line}" for line in documented]
    if outside:
        lines += ["", f"findings outside the check a negative test runs ({len(outside)}):"]
        lines += [f"  {line}" for line in outside]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.specdiff.parity",
        description="Score specdiff against oasdiff's checker test cases.",
    )
    parser.add_argument("directory", type=Path, help="a folder with cases.json")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    try:
        result = score(args.directory)
    except SpecError as exc:
        print(f"parity: error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result.figures(), indent=2))
    else:
        sys.stdout.write(report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
