"""The rule registry: a case for every rule, ids as constants in their family's module."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.tools.specdiff import (
    test_endpoints,
    test_headers,
    test_parameters,
    test_request_bodies,
    test_responses,
    test_schemas,
    test_security,
)
from tools.specdiff.registry import REQUEST_SUBJECTS, RESPONSE_SUBJECTS, Family, assemble
from tools.specdiff.rules import FAMILIES, RULES
from tools.specdiff.rules.schemas import SUB_SCHEMAS
from tools.specdiff.schema import BOUNDS, KEYWORDS

FAMILY_TESTS = [
    test_endpoints,
    test_parameters,
    test_request_bodies,
    test_responses,
    test_headers,
    test_security,
    test_schemas,
]
RULES_DIR = Path(__file__).resolve().parents[3] / "tools" / "specdiff" / "rules"
#: change slugs made in a loop over a keyword table (grep the table's slug)
GENERATED = (
    {
        f"{slug}-{verb}"
        for slug, _ in BOUNDS.values()
        for verb in ("set", "unset", "increased", "decreased")
    }
    | {f"{slug}-{verb}" for slug in KEYWORDS.values() for verb in ("added", "removed", "changed")}
    | {f"{slug}-{verb}" for slug in SUB_SCHEMAS.values() for verb in ("added", "removed")}
)


def test_every_rule_in_the_catalogue_has_a_case() -> None:
    covered = set(test_schemas.MATRIX_IDS)
    for module in FAMILY_TESTS:
        covered |= {case.rule_id for case in module.CASES}
    assert set(RULES) - covered == set()
    assert covered - set(RULES) == set()


def test_every_family_is_in_the_catalogue_and_ids_are_unique() -> None:
    names = [family.name for family in FAMILIES]
    assert names == [
        "endpoints",
        "parameters",
        "request bodies",
        "responses",
        "headers",
        "security",
        "schemas",
    ]
    assert sum(len(family.expanded()) for family in FAMILIES) == len(RULES)


def test_a_fixed_rule_id_is_a_string_literal_in_its_family_module() -> None:
    """Grepping an id finds its declaration (a schema rule's by its change slug)."""
    for family in FAMILIES:
        module = family.name.replace(" ", "_")
        text = (RULES_DIR / f"{module}.py").read_text(encoding="utf-8")
        for rule_id in family.rules:
            assert re.search(rf'"{re.escape(rule_id)}"', text), (family.name, rule_id)
        for slug in family.changes:
            assert f'"{slug}"' in text or slug in GENERATED, (family.name, slug)


def test_every_rule_has_a_summary_and_a_level() -> None:
    for rule in RULES.values():
        assert rule.summary.strip(), rule.id
        assert rule.level in ("ERR", "WARN", "INFO")
        assert rule.deviation is None or rule.deviation.strip()


def test_schema_rule_ids_are_subject_and_change() -> None:
    family = next(f for f in FAMILIES if f.name == "schemas")
    change = family.changes["max-length-decreased"]
    for subject in REQUEST_SUBJECTS:
        assert RULES[f"{subject}-max-length-decreased"].level == "ERR"
    for subject in RESPONSE_SUBJECTS:
        assert RULES[f"{subject}-max-length-decreased"].level == "INFO"
    assert change.rule_id("response-body") == "response-body-max-length-decreased"


def test_a_rule_declared_twice_is_an_error() -> None:
    one, two = Family("one"), Family("two")
    one.rule("x-rule", "INFO", "a rule")
    two.rule("x-rule", "ERR", "the same id")
    with pytest.raises(ValueError, match="declared by one and two"):
        assemble([one, two])
    with pytest.raises(ValueError, match="declared twice"):
        one.rule("x-rule", "INFO", "again")


def _named_in(section: str) -> tuple[set[str], set[str]]:
    """The ids a README section names, and the prefixes it names as ``prefix-*``;
    ```a-b-c`/`-d``` names ``a-b-c`` and ``a-b-d`` (the tail replaces as many segments)."""
    names: set[str] = set()
    for first, rest in re.findall(r"`([a-z][a-z-]*)`((?:/`-[a-z-]+`)*)", section):
        names.add(first)
        for tail in re.findall(r"`-([a-z-]+)`", rest):
            keep = first.split("-")[: -len(tail.split("-"))]
            names.add("-".join([*keep, tail]))
    prefixes = set(re.findall(r"`([a-z][a-z-]*-)\*`", section))
    return names, prefixes


def test_every_deviation_is_listed_in_the_readme() -> None:
    readme = (RULES_DIR.parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Deliberate deviations from oasdiff") :]
    names, prefixes = _named_in(section)
    for family in FAMILIES:
        declared = [r.id for r in family.rules.values() if r.deviation]
        declared += [c.slug for c in family.changes.values() if c.deviation]
        for name in declared:
            assert name in names or any(name.startswith(p) for p in prefixes), name
