"""A case per rule: a pair of small specs and the findings (rule id, level) they must produce.

Each family's test module lists its cases in ``CASES``; ``test_catalogue`` requires a case for
every rule of the catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.tools.oas import summary
from tools.specdiff import Options, diff_specs


@dataclass(frozen=True)
class RuleCase:
    """``old`` -> ``new`` reports ``rule_id`` at ``level``, and exactly the findings of ``also``
    besides."""

    rule_id: str
    level: str
    old: dict[str, Any]
    new: dict[str, Any]
    also: tuple[tuple[str, str], ...] = ()
    options: Options | None = None
    label: str = ""

    def param(self) -> Any:
        return pytest.param(self, id=self.label or self.rule_id)

    def check(self) -> None:
        found = sorted(summary(diff_specs(self.old, self.new, self.options)))
        assert found == sorted([(self.rule_id, self.level), *self.also])


def params(cases: list[RuleCase]) -> list[Any]:
    return [case.param() for case in cases]
