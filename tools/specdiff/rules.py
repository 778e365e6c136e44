"""The rule catalog: every rule id this tool can emit, with its level.

Ids follow oasdiff's published check ids (``oasdiff checks changelog``) wherever oasdiff has one.
Slugs marked *invented* below have no oasdiff counterpart; and because the schema rules are a
full subject x change grid, some combinations oasdiff does not list (e.g.
``response-body-enum-value-added``, ``request-parameter-max-unset``) are named by the same
pattern. Levels follow oasdiff's, except ``response-optional-property-removed``: WARN here
(recent oasdiff: INFO), since a client reading that property no longer gets it; and, on the
response side, a new success status or a new media type of a success response is WARN (a
client may not know how to read it).

Schema-level rules are generated from a template: a *subject* prefix (where the schema sits)
plus a *change* slug. The subject decides the direction, and the direction decides the level:

* request side (``request-body``, ``request-property``, ``request-parameter``): a change that
  rejects a request the old contract accepted is ERR; a widening change is INFO.
* response side (``response-body``, ``response-property``, ``response-header``): a change that can
  hand the client a value the old contract excluded is ERR (WARN where strict clients only may
  break, e.g. a new enum value); a narrowing change is INFO.
"""

from __future__ import annotations

from typing import Literal

from tools.specdiff.model import Level

Direction = Literal["request", "response"]

REQUEST_SUBJECTS = ("request-body", "request-property", "request-parameter")
RESPONSE_SUBJECTS = ("response-body", "response-property", "response-header")

_ERR: Level = "ERR"
_WARN: Level = "WARN"
_INFO: Level = "INFO"

#: change slug -> (level on the request side, level on the response side); ``None``: not emitted.
SCHEMA_CHANGES: dict[str, tuple[Level | None, Level | None]] = {
    "type-changed": (_ERR, _ERR),
    "type-generalized": (_INFO, _ERR),
    "type-specialized": (None, _INFO),
    "became-nullable": (_INFO, _ERR),
    "became-not-nullable": (_ERR, _INFO),
    "enum-value-added": (_INFO, _WARN),
    "enum-value-removed": (_ERR, _INFO),
    "became-enum": (_ERR, _INFO),
    "enum-removed": (_INFO, _WARN),  # invented: the whole enum restriction was dropped
    "const-added": (_ERR, _INFO),
    "const-removed": (_INFO, _ERR),
    "const-changed": (_ERR, _ERR),
    "pattern-added": (_ERR, _INFO),
    "pattern-removed": (_INFO, _ERR),
    "pattern-changed": (_WARN, _WARN),
    "default-value-added": (_INFO, _INFO),
    "default-value-removed": (_INFO, _INFO),
    "default-value-changed": (_INFO, _INFO),
    "one-of-added": (_INFO, _ERR),
    "one-of-removed": (_ERR, _INFO),
    "any-of-added": (_INFO, _ERR),
    "any-of-removed": (_ERR, _INFO),
    "all-of-added": (_ERR, _INFO),
    "all-of-removed": (_INFO, _ERR),
    # invented: additionalProperties went from allowed (absent/true/schema) to false, and back
    "additional-properties-disallowed": (_ERR, _INFO),
    "additional-properties-allowed": (_INFO, _WARN),
    "deprecated": (_INFO, _INFO),
    "reactivated": (_INFO, _INFO),
    # invented: the same branches, under the other keyword (an INFO at most, never ERR)
    "one-of-became-any-of": (_INFO, _INFO),
    "any-of-became-one-of": (_INFO, _INFO),
    # discriminators: which property and mapping pick the branch
    "discriminator-added": (_ERR, _INFO),
    "discriminator-removed": (_INFO, _WARN),
    "discriminator-property-name-changed": (_ERR, _ERR),
    "discriminator-mapping-added": (_INFO, _WARN),
    "discriminator-mapping-deleted": (_ERR, _ERR),
    "discriminator-mapping-changed": (_ERR, _ERR),
    # invented: a $ref this tool cannot follow (another file, a URL) now points elsewhere
    "ref-changed": (_WARN, _WARN),
}

#: JSON Schema keywords compared by their text, conservatively: a value that was valid may not
#: be any more whenever one is added or changed (request: ERR), or removed (response: ERR).
#: keyword -> slug; ``uniqueItems: false`` counts as absent, so it is never "changed".
KEYWORDS: dict[str, str] = {
    "multipleOf": "multiple-of",
    "uniqueItems": "unique-items",
    "not": "not",
    "patternProperties": "pattern-properties",
    "propertyNames": "property-names",
    "dependentRequired": "dependent-required",
    "prefixItems": "prefix-items",
}

#: JSON Schema bound keyword -> (slug, True for an upper bound / False for a lower bound)
BOUNDS: dict[str, tuple[str, bool]] = {
    "maximum": ("max", True),
    "exclusiveMaximum": ("exclusive-max", True),
    "maxLength": ("max-length", True),
    "maxItems": ("max-items", True),
    "maxProperties": ("max-properties", True),
    "minimum": ("min", False),
    "exclusiveMinimum": ("exclusive-min", False),
    "minLength": ("min-length", False),
    "minItems": ("min-items", False),
    "minProperties": ("min-properties", False),
}


def _bound_changes() -> dict[str, tuple[Level | None, Level | None]]:
    changes: dict[str, tuple[Level | None, Level | None]] = {}
    for slug, upper in BOUNDS.values():
        tighter, looser = ("decreased", "increased") if upper else ("increased", "decreased")
        # tightening a bound (or setting one) narrows: ERR for requests, INFO for responses
        changes[f"{slug}-{tighter}"] = (_ERR, _INFO)
        changes[f"{slug}-set"] = (_ERR, _INFO)
        # loosening (or removing) widens: INFO for requests, ERR for responses
        changes[f"{slug}-{looser}"] = (_INFO, _ERR)
        changes[f"{slug}-unset"] = (_INFO, _ERR)
    return changes


def _keyword_changes() -> dict[str, tuple[Level | None, Level | None]]:
    changes: dict[str, tuple[Level | None, Level | None]] = {}
    for keyword, slug in KEYWORDS.items():
        changes[f"{slug}-added"] = (_ERR, _INFO)
        changes[f"{slug}-removed"] = (_INFO, _ERR)
        if keyword != "uniqueItems":
            changes[f"{slug}-changed"] = (_ERR, _ERR)
    return changes


#: Rules that are not tied to a schema subject.
FIXED_RULES: dict[str, Level] = {
    # endpoints
    "endpoint-added": _INFO,
    "endpoint-deprecated": _INFO,
    "endpoint-reactivated": _INFO,
    "api-path-removed-without-deprecation": _ERR,
    "api-path-removed-with-deprecation": _INFO,
    "api-removed-without-deprecation": _ERR,
    "api-removed-with-deprecation": _INFO,
    # document level
    "api-schema-removed": _INFO,
    # security (the operation's own, else the document's): an alternative a client may be
    # using is no longer accepted, or it now needs another scheme (or scope)
    "api-security-removed": _ERR,
    "api-security-scheme-added": _ERR,
    "api-security-added": _INFO,
    # servers (the operation's, else the path's, else the document's)
    "api-server-changed": _WARN,
    "api-server-removed": _WARN,
    "api-server-added": _INFO,
    # parameters
    "new-required-request-parameter": _ERR,
    "new-optional-request-parameter": _INFO,
    "new-request-path-parameter": _ERR,
    "request-parameter-removed": _WARN,
    "request-parameter-removed-with-deprecation": _INFO,
    "request-parameter-became-required": _ERR,
    "request-parameter-became-optional": _INFO,
    "request-parameter-style-changed": _ERR,
    "request-parameter-explode-changed": _ERR,
    # request body
    "request-body-added-required": _ERR,
    "request-body-added-optional": _INFO,
    "request-body-removed": _ERR,
    "request-body-became-required": _ERR,
    "request-body-became-optional": _INFO,
    "request-body-media-type-added": _INFO,
    "request-body-media-type-removed": _ERR,
    # request properties
    "new-required-request-property": _ERR,
    "new-optional-request-property": _INFO,
    "request-property-removed": _WARN,
    # invented: the object rejects unknown properties, so a client still sending it fails
    "request-property-removed-from-closed-object": _ERR,
    "request-property-became-required": _ERR,
    "request-property-became-optional": _INFO,
    # responses
    "response-success-status-added": _WARN,
    "response-success-status-removed": _ERR,
    "response-non-success-status-added": _INFO,
    "response-non-success-status-removed": _INFO,
    "response-media-type-added": _WARN,
    "response-non-success-media-type-added": _INFO,
    "response-media-type-removed": _ERR,
    "response-header-added": _INFO,
    "required-response-header-removed": _ERR,
    "optional-response-header-removed": _WARN,
    "response-header-became-optional": _ERR,
    # response properties
    "response-required-property-removed": _ERR,
    "response-optional-property-removed": _WARN,
    "response-required-property-added": _INFO,
    "response-optional-property-added": _INFO,
    "response-property-became-optional": _ERR,
    "response-property-became-required": _INFO,
}


#: Schema rules whose level differs from the rest of their direction.
OVERRIDES: dict[str, Level] = {
    # a client that omits the parameter now gets other behaviour; a body property's default
    # is documentation of the server's behaviour, as before (INFO)
    "request-parameter-default-value-changed": _WARN,
}


def _build() -> dict[str, Level]:
    catalog: dict[str, Level] = dict(FIXED_RULES)
    changes = {**SCHEMA_CHANGES, **_bound_changes(), **_keyword_changes()}
    for slug, (request_level, response_level) in changes.items():
        for subjects, level in (
            (REQUEST_SUBJECTS, request_level),
            (RESPONSE_SUBJECTS, response_level),
        ):
            if level is None:
                continue
            for subject in subjects:
                rule_id = f"{subject}-{slug}"
                if catalog.setdefault(rule_id, level) != level:  # pragma: no cover - static
                    raise AssertionError(f"conflicting levels for {rule_id}")
    catalog.update(OVERRIDES)
    return catalog


#: Every rule id -> its level.
RULES: dict[str, Level] = _build()


def direction_of(subject: str) -> Direction:
    return "request" if subject.startswith("request") else "response"
