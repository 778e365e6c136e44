"""What every family's checks share while two documents are compared."""

from __future__ import annotations

from typing import Any

from tools.specdiff.loader import Resolver
from tools.specdiff.model import Finding, Options
from tools.specdiff.registry import catalogue
from tools.specdiff.rules.schemas import Side
from tools.specdiff.schema import EMPTY
from tools.specdiff.schema_diff import Anchor, SchemaDiff
from tools.specdiff.sunset import today


class Context:
    """The two documents, their resolvers, the options, and the findings so far.

    ``operation`` is the operation being compared (``"GET /path"``, ``None`` at document
    level); ``deprecation_days`` is the deprecation policy at its stability level.
    """

    def __init__(self, old: dict[str, Any], new: dict[str, Any], options: Options) -> None:
        self.old_doc, self.new_doc = old, new
        self.old, self.new = Resolver(old), Resolver(new)
        self.options = options
        self.today = today(options)
        self.rules = catalogue()
        self.findings: list[Finding] = []
        self.operation: str | None = None
        self.deprecation_days = 0
        self.schemas = SchemaDiff(self.old, self.new, self.emit)

    def emit(self, rule_id: str, path: str, old: Any, new: Any, cause: str | None = None) -> None:
        rule = self.rules[rule_id]
        self.findings.append(Finding(rule_id, rule.level, self.operation, path, old, new, cause))

    def compare_schemas(
        self,
        old: Any,
        new: Any,
        subject: str,
        path: str,
        *,
        loose: bool = False,
        in_header: bool = False,
        anchor: Anchor = None,
    ) -> None:
        """Compare two schemas (``None``: absent) judged as ``subject``."""
        side = Side(
            subject=subject,
            request=subject.startswith("request"),
            loose=loose,
            in_header=in_header,
            deprecation_days=self.deprecation_days,
            today=self.today,
        )
        self.schemas.compare(
            EMPTY if old is None else old, EMPTY if new is None else new, side, path, anchor
        )


def mapping(value: Any) -> dict[str, Any]:
    """``value`` if it is a mapping, else an empty one."""
    return value if isinstance(value, dict) else {}
