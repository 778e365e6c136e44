"""The rule registry: what a rule is, and how a family module declares its rules.

Each family module of :mod:`tools.specdiff.rules` (endpoints, parameters, request bodies,
responses, headers, security, schemas) declares its rules next to the check that emits them:

* a *fixed* rule with ``FAMILY.rule(ID, LEVEL, SUMMARY)``, which returns the id, kept as a
  module constant (``ENDPOINT_ADDED = FAMILY.rule("endpoint-added", INFO, ...)``), so that
  grepping an id finds its declaration and, through the constant, the code that reports it;
* a *schema* rule with ``FAMILY.change(SLUG, REQUEST_LEVEL, RESPONSE_LEVEL, SUMMARY)``: one
  change of a schema keyword, judged by which side of the exchange the schema is on. Its ids
  are ``<subject>-<slug>`` for every subject of that side (:data:`REQUEST_SUBJECTS`,
  :data:`RESPONSE_SUBJECTS`): grep the slug (``max-length-set``) to find it.

A rule whose level or behaviour deliberately differs from oasdiff's says why in ``deviation``;
:mod:`tools.specdiff.parity` accepts such a level and the README lists them.
:func:`catalogue` assembles every family's rules into one mapping, id -> :class:`Rule`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from tools.specdiff.model import Level

Direction = Literal["request", "response"]

ERR: Level = "ERR"
WARN: Level = "WARN"
INFO: Level = "INFO"

#: Where a schema sits, on the side that sends it to the server.
REQUEST_SUBJECTS = (
    "request-body",
    "request-property",
    "request-parameter",
    "request-parameter-property",
    "request-header-property",
)
#: Where a schema sits, on the side that the client reads.
RESPONSE_SUBJECTS = ("response-body", "response-property", "response-header")

SUBJECT_LABELS = {
    "request-body": "request body",
    "request-property": "request property",
    "request-parameter": "request parameter",
    "request-parameter-property": "property of a request parameter",
    "request-header-property": "property of a request header",
    "response-body": "response body",
    "response-property": "response property",
    "response-header": "response header",
}


def direction_of(subject: str) -> Direction:
    return "request" if subject.startswith("request") else "response"


@dataclass(frozen=True)
class Rule:
    """One rule id: its level, a one-line summary, its family, and (if any) why it deviates
    from oasdiff."""

    id: str
    level: Level
    summary: str
    family: str
    deviation: str | None = None


@dataclass(frozen=True)
class SchemaChange:
    """A change of a schema keyword: its level on each side (``None``: never emitted there),
    levels for particular subjects, and why any of them deviates from oasdiff."""

    slug: str
    request: Level | None
    response: Level | None
    summary: str
    deviation: str | None = None
    subjects: dict[str, Level | None] = field(default_factory=dict)
    #: subject -> the id oasdiff gives this change there, where it is not ``<subject>-<slug>``
    ids: dict[str, str] = field(default_factory=dict)

    def rule_id(self, subject: str) -> str:
        return self.ids.get(subject, f"{subject}-{self.slug}")

    def level(self, subject: str) -> Level | None:
        """The level at ``subject`` (``None``: this change is not reported there)."""
        default = self.request if subject in REQUEST_SUBJECTS else self.response
        return self.subjects.get(subject, default)


@dataclass
class Family:
    """The rules one family module declares."""

    name: str
    rules: dict[str, Rule] = field(default_factory=dict)
    changes: dict[str, SchemaChange] = field(default_factory=dict)

    def rule(self, rule_id: str, level: Level, summary: str, deviation: str | None = None) -> str:
        if rule_id in self.rules:
            raise ValueError(f"{self.name}: rule {rule_id} declared twice")
        self.rules[rule_id] = Rule(rule_id, level, summary, self.name, deviation)
        return rule_id

    def change(
        self,
        slug: str,
        request: Level | None,
        response: Level | None,
        summary: str,
        deviation: str | None = None,
        subjects: dict[str, Level | None] | None = None,
        ids: dict[str, str] | None = None,
    ) -> str:
        if slug in self.changes:
            raise ValueError(f"{self.name}: schema change {slug} declared twice")
        self.changes[slug] = SchemaChange(
            slug, request, response, summary, deviation, dict(subjects or {}), dict(ids or {})
        )
        return slug

    def expanded(self) -> dict[str, Rule]:
        """The fixed rules, and one rule per subject of every schema change."""
        out = dict(self.rules)
        for change in self.changes.values():
            for subject in (*REQUEST_SUBJECTS, *RESPONSE_SUBJECTS):
                chosen = change.level(subject)
                if chosen is not None:
                    rule_id = change.rule_id(subject)
                    summary = f"{SUBJECT_LABELS[subject]}: {change.summary}"
                    out[rule_id] = Rule(rule_id, chosen, summary, self.name, change.deviation)
        return out


def assemble(families: list[Family]) -> dict[str, Rule]:
    """One mapping of every family's rules; an id declared by two families is an error."""
    catalogue: dict[str, Rule] = {}
    for family in families:
        for rule_id, rule in family.expanded().items():
            if rule_id in catalogue:
                other = catalogue[rule_id].family
                raise ValueError(f"rule {rule_id} is declared by {other} and {family.name}")
            catalogue[rule_id] = rule
    return catalogue


def catalogue() -> dict[str, Rule]:
    """Every rule id -> its :class:`Rule`, from all family modules."""
    from tools.specdiff.rules import RULES

    return RULES
