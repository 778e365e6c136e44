"""Schemas: the rules about one schema keyword, about properties, and about components.

A schema rule is a *change* (``max-length-decreased``) judged by the side the schema is on:
its ids are ``<subject>-<change>`` (``request-property-max-length-decreased``), see
:mod:`tools.specdiff.registry`. On the request side a change that rejects a request the old
contract accepted is ERR (WARN where oasdiff judges that the server most likely already
enforced it, e.g. a new maximum); on the response side a change that can hand the client a
value the old contract excluded is ERR (WARN where only strict clients break, e.g. a new enum
value).

This module holds the declarations and the checks of one schema node against another that do
not descend into sub-schemas (:func:`local_changes`); :mod:`tools.specdiff.schema_diff`
descends (properties, items, compositions and the other sub-schema keywords) and emits the
property rules declared here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from tools.specdiff.model import Level
from tools.specdiff.patterns import widens
from tools.specdiff.registry import ERR, INFO, WARN, Family
from tools.specdiff.schema import BOUNDS, KEYWORDS, View, canon, covers, type_text
from tools.specdiff.sunset import SunsetVerdict, judge_deprecation, stability_rank

FAMILY = Family("schemas")
change = FAMILY.change
rule = FAMILY.rule

# --- types and nullability -----------------------------------------------------------------------

TYPE_CHANGED = change(
    "type-changed",
    ERR,
    ERR,
    "the type (or format) changed to one that does not cover the old one",
    subjects={"request-parameter-property": WARN},
)
TYPE_GENERALIZED = change(
    "type-generalized", INFO, ERR, "the type (or format) was widened (integer -> number)"
)
TYPE_SPECIALIZED = change(
    "type-specialized",
    None,
    INFO,
    "the type (or format) was narrowed (number -> integer)",
    subjects={"request-parameter-property": ERR},
)
TYPE_COMPATIBLE = change(
    "type-compatible",
    INFO,
    INFO,
    "the type changed, but the body is not JSON and its text reads as the new type",
    subjects={"request-parameter-property": None},  # oasdiff: type-changed (WARN) there
)
LIST_OF_TYPES_WIDENED = change(
    "list-of-types-widened", INFO, ERR, "a type was added to the list of types"
)
LIST_OF_TYPES_NARROWED = change(
    "list-of-types-narrowed", ERR, INFO, "a type was removed from the list of types"
)
BECAME_NULLABLE = change("became-nullable", INFO, ERR, "null became a valid value")
BECAME_NOT_NULLABLE = change("became-not-nullable", ERR, INFO, "null is no longer a valid value")

# --- values --------------------------------------------------------------------------------------

ENUM_VALUE_ADDED = change("enum-value-added", INFO, WARN, "a value was added to the enum")
ENUM_VALUE_REMOVED = change(
    "enum-value-removed",
    ERR,
    INFO,
    "a value was removed from the enum",
    ids={"response-body": "response-mediatype-enum-value-removed"},
)
BECAME_ENUM = change("became-enum", ERR, INFO, "the schema became an enum")
ENUM_REMOVED = change(
    "enum-removed",
    INFO,
    WARN,
    "the enum restriction was dropped (any value of the type is valid)",
    deviation="no oasdiff counterpart: oasdiff reports each removed value instead",
)
X_EXTENSIBLE_ENUM_VALUE_REMOVED = change(
    "x-extensible-enum-value-removed",
    ERR,
    None,
    "a value was removed from x-extensible-enum (clients may still send it)",
)
X_EXTENSIBLE_ENUM_VALUE_ADDED = change(
    "x-extensible-enum-value-added",
    INFO,
    INFO,
    "a value was added to x-extensible-enum (clients must accept new values anyway)",
)
CONST_ADDED = change("const-added", ERR, INFO, "a const was set")
CONST_REMOVED = change("const-removed", INFO, ERR, "the const was removed")
CONST_CHANGED = change("const-changed", ERR, ERR, "the const changed")
DEFAULT_VALUE_ADDED = change(
    "default-value-added",
    INFO,
    INFO,
    "a default was set",
    subjects={"request-parameter": ERR},
)
DEFAULT_VALUE_REMOVED = change(
    "default-value-removed",
    INFO,
    INFO,
    "the default was removed",
    subjects={"request-parameter": ERR},
)
DEFAULT_VALUE_CHANGED = change(
    "default-value-changed",
    INFO,
    INFO,
    "the default changed (for a parameter: a client that omits it gets other behaviour)",
    subjects={"request-parameter": ERR},
)

# --- patterns ------------------------------------------------------------------------------------

PATTERN_ADDED = change("pattern-added", ERR, INFO, "a pattern was set")
PATTERN_REMOVED = change(
    "pattern-removed", INFO, INFO, "the pattern was removed (pattern: '' is no pattern)"
)
PATTERN_CHANGED = change(
    "pattern-changed",
    WARN,
    INFO,
    "the pattern changed, and it is not provable that the new one accepts all the old did",
)
PATTERN_GENERALIZED = change(
    "pattern-generalized",
    INFO,
    None,
    "the pattern changed to one that provably accepts all the old did (e.g. .*)",
)

# --- bounds: maximum, maxLength, ... (set/unset/increased/decreased) -----------------------------

#: narrowing a bound: an error for a request; setting a new one: a warning (oasdiff: the server
#: most likely enforced it already); loosening one: an error for a response
for _keyword, (_slug, _upper) in BOUNDS.items():
    _tighter, _looser = ("decreased", "increased") if _upper else ("increased", "decreased")
    _what = "upper" if _upper else "lower"
    change(f"{_slug}-{_tighter}", ERR, INFO, f"the {_keyword} {_what} bound was tightened")
    change(f"{_slug}-set", WARN, INFO, f"a {_keyword} {_what} bound was set")
    change(f"{_slug}-{_looser}", INFO, ERR, f"the {_keyword} {_what} bound was loosened")
    change(f"{_slug}-unset", INFO, ERR, f"the {_keyword} {_what} bound was removed")

# --- other keywords, compared by their text ------------------------------------------------------

for _keyword, _slug in KEYWORDS.items():
    change(f"{_slug}-added", ERR, INFO, f"{_keyword} was set")
    change(f"{_slug}-removed", INFO, ERR, f"{_keyword} was removed")
    if _keyword != "uniqueItems":
        change(f"{_slug}-changed", ERR, ERR, f"{_keyword} changed")

CONTENT_MEDIA_TYPE_CHANGED = change(
    "content-media-type-changed", ERR, ERR, "contentMediaType changed (or was set or removed)"
)
CONTENT_ENCODING_CHANGED = change(
    "content-encoding-changed", ERR, ERR, "contentEncoding changed (or was set or removed)"
)

# --- sub-schemas: added or removed here; a change inside is reported with its own rule ----------

#: keyword -> slug, for the keywords whose value is one sub-schema
SUB_SCHEMAS = {
    "not": "not",
    "if": "if",
    "then": "then",
    "else": "else",
    "propertyNames": "property-names",
    "contains": "contains",
    "contentSchema": "content-schema",
    "unevaluatedItems": "unevaluated-items",
    "unevaluatedProperties": "unevaluated-properties",
}
for _keyword, _slug in SUB_SCHEMAS.items():
    _deviation = (
        "no oasdiff id: oasdiff descends into not without reporting it as a whole"
        if _keyword == "not"
        else None
    )
    change(f"{_slug}-added", ERR, INFO, f"a {_keyword} sub-schema was added", _deviation)
    change(f"{_slug}-removed", INFO, ERR, f"the {_keyword} sub-schema was removed", _deviation)

PATTERN_PROPERTY_ADDED = change(
    "pattern-property-added", ERR, INFO, "a patternProperties entry was added"
)
PATTERN_PROPERTY_REMOVED = change(
    "pattern-property-removed", INFO, ERR, "a patternProperties entry was removed"
)
DEPENDENT_SCHEMA_ADDED = change(
    "dependent-schema-added", ERR, INFO, "a dependentSchemas entry was added"
)
DEPENDENT_SCHEMA_REMOVED = change(
    "dependent-schema-removed", INFO, ERR, "a dependentSchemas entry was removed"
)
_PREFIX_DEVIATION = (
    "prefixItems constrain the leading items, so adding one narrows what a request may send "
    "(ERR) and widens what a response may hold (INFO); oasdiff judges it the other way round"
)
PREFIX_ITEMS_ADDED = change(
    "prefix-items-added", ERR, INFO, "a prefixItems entry was added", _PREFIX_DEVIATION
)
PREFIX_ITEMS_REMOVED = change(
    "prefix-items-removed", INFO, ERR, "a prefixItems entry was removed", _PREFIX_DEVIATION
)

# --- compositions --------------------------------------------------------------------------------

ONE_OF_ADDED = change("one-of-added", INFO, ERR, "a oneOf branch was added")
ONE_OF_REMOVED = change("one-of-removed", ERR, INFO, "a oneOf branch was removed")
ANY_OF_ADDED = change(
    "any-of-added",
    INFO,
    ERR,
    "an anyOf branch was added",
    deviation="a response may now take the new branch's shape, as with oneOf (oasdiff: INFO)",
)
ANY_OF_REMOVED = change("any-of-removed", ERR, INFO, "an anyOf branch was removed")
ALL_OF_ADDED = change("all-of-added", ERR, INFO, "a part was added to an existing allOf")
ALL_OF_REMOVED = change("all-of-removed", WARN, INFO, "a part was removed from an existing allOf")
ALL_OF_ADDED_ANNOTATION_ONLY = change(
    "all-of-added-annotation-only",
    INFO,
    INFO,
    "an allOf part that only annotates (title, description...) was added",
)
ALL_OF_REMOVED_ANNOTATION_ONLY = change(
    "all-of-removed-annotation-only",
    INFO,
    INFO,
    "an allOf part that only annotates was removed",
)
WRAPPED_IN_ONE_OF = change(
    "wrapped-in-one-of",
    ERR,
    ERR,
    "the schema was replaced by a oneOf whose branches each restrict it differently",
)
ONE_OF_BECAME_ANY_OF = change(
    "one-of-became-any-of",
    INFO,
    INFO,
    "oneOf became anyOf over the same branches",
    deviation="no oasdiff counterpart: oasdiff reports every branch as removed and added",
)
ANY_OF_BECAME_ONE_OF = change(
    "any-of-became-one-of",
    INFO,
    INFO,
    "anyOf became oneOf over the same branches",
    deviation="no oasdiff counterpart: oasdiff reports every branch as removed and added",
)
_DISCRIMINATOR_DEVIATION = (
    "the discriminator picks the branch a value is read as: a client sending, or a client "
    "reading, by the old property or mapping picks another schema (oasdiff: INFO throughout)"
)
DISCRIMINATOR_ADDED = change(
    "discriminator-added", ERR, INFO, "a discriminator was added", _DISCRIMINATOR_DEVIATION
)
DISCRIMINATOR_REMOVED = change(
    "discriminator-removed", INFO, WARN, "the discriminator was removed", _DISCRIMINATOR_DEVIATION
)
DISCRIMINATOR_PROPERTY_NAME_CHANGED = change(
    "discriminator-property-name-changed",
    ERR,
    ERR,
    "the discriminator's propertyName changed",
    _DISCRIMINATOR_DEVIATION,
)
DISCRIMINATOR_MAPPING_ADDED = change(
    "discriminator-mapping-added",
    INFO,
    WARN,
    "a discriminator mapping was added",
    _DISCRIMINATOR_DEVIATION,
)
DISCRIMINATOR_MAPPING_DELETED = change(
    "discriminator-mapping-deleted",
    ERR,
    ERR,
    "a discriminator mapping was deleted",
    _DISCRIMINATOR_DEVIATION,
)
DISCRIMINATOR_MAPPING_CHANGED = change(
    "discriminator-mapping-changed",
    ERR,
    ERR,
    "a discriminator mapping now names another schema",
    _DISCRIMINATOR_DEVIATION,
)
ADDITIONAL_PROPERTIES_DISALLOWED = change(
    "additional-properties-disallowed",
    ERR,
    INFO,
    "additionalProperties became false: unknown properties are rejected",
    deviation="no oasdiff counterpart",
)
ADDITIONAL_PROPERTIES_ALLOWED = change(
    "additional-properties-allowed",
    INFO,
    WARN,
    "additionalProperties is no longer false: a response may hold properties the client "
    "does not know",
    deviation="no oasdiff counterpart",
)
REF_CHANGED = change(
    "ref-changed",
    WARN,
    WARN,
    "a $ref this tool cannot follow (another file, a URL) now points elsewhere",
    deviation="no oasdiff counterpart: oasdiff resolves external files",
)

# --- lifecycle -----------------------------------------------------------------------------------

#: a parameter's own deprecation is the parameters family's (not its schema's)
_NOT_PARAMETER: dict[str, Level | None] = {"request-parameter": None}

DEPRECATED = change(
    "deprecated",
    INFO,
    INFO,
    "deprecated (no sunset date)",
    subjects=_NOT_PARAMETER,
)

DEPRECATED_WITH_SUNSET = change(
    "deprecated-with-sunset",
    INFO,
    INFO,
    "deprecated, with an x-sunset date far enough away",
    subjects=_NOT_PARAMETER,
)

DEPRECATED_SUNSET_MISSING = change(
    "deprecated-sunset-missing",
    ERR,
    ERR,
    "deprecated without the x-sunset date the deprecation policy requires",
    subjects=_NOT_PARAMETER,
)

DEPRECATED_SUNSET_INVALID = change(
    "deprecated-sunset-invalid",
    ERR,
    ERR,
    "deprecated with an x-sunset that is not a date",
    subjects=_NOT_PARAMETER,
)

SUNSET_DATE_TOO_SMALL = change(
    "sunset-date-too-small",
    ERR,
    ERR,
    "deprecated with an x-sunset sooner than the deprecation policy allows",
    subjects=_NOT_PARAMETER,
)

REACTIVATED = change("reactivated", INFO, INFO, "no longer deprecated", subjects=_NOT_PARAMETER)

STABILITY_DECREASED = change(
    "stability-decreased", ERR, ERR, "x-stability-level decreased (e.g. stable -> beta)"
)
STABILITY_INCREASED = change(
    "stability-increased", INFO, INFO, "x-stability-level increased (e.g. beta -> stable)"
)


# --- properties (fixed ids) ----------------------------------------------------------------------

NEW_REQUIRED_REQUEST_PROPERTY = rule(
    "new-required-request-property", ERR, "a required property was added to a request"
)
NEW_REQUIRED_REQUEST_PROPERTY_WITH_DEFAULT = rule(
    "new-required-request-property-with-default",
    ERR,
    "a required property with a default was added to a request (clients must still send it)",
)
NEW_OPTIONAL_REQUEST_PROPERTY = rule(
    "new-optional-request-property", INFO, "an optional property was added to a request"
)
NEW_REQUIRED_REQUEST_HEADER_PROPERTY = rule(
    "new-required-request-header-property",
    ERR,
    "a required property was added to the object schema of a request header",
)
REQUEST_PROPERTY_REMOVED = rule(
    "request-property-removed",
    WARN,
    "a request property was removed (a client still sending it may be rejected)",
)
REQUEST_PROPERTY_REMOVED_FROM_CLOSED_OBJECT = rule(
    "request-property-removed-from-closed-object",
    ERR,
    "a property was removed from a request object that stays closed "
    "(additionalProperties: false), so a client still sending it is rejected",
    deviation="oasdiff: request-property-removed (WARN), whether the object is closed or not",
)
REQUEST_PROPERTY_BECAME_REQUIRED = rule(
    "request-property-became-required", ERR, "a request property became required"
)
REQUEST_PROPERTY_BECAME_REQUIRED_WITH_DEFAULT = rule(
    "request-property-became-required-with-default",
    ERR,
    "a request property with a default became required",
)
REQUEST_PROPERTY_BECAME_OPTIONAL = rule(
    "request-property-became-optional", INFO, "a request property became optional"
)
REQUEST_HEADER_PROPERTY_BECAME_REQUIRED = rule(
    "request-header-property-became-required",
    ERR,
    "a property of a request header's object schema became required",
)
REQUEST_PROPERTY_BECAME_READ_ONLY = rule(
    "request-property-became-read-only",
    WARN,
    "a request property became readOnly: clients must stop sending it",
    deviation="oasdiff has no such rule; readOnly properties do not bind requests here",
)
RESPONSE_REQUIRED_PROPERTY_REMOVED = rule(
    "response-required-property-removed", ERR, "a required response property was removed"
)
RESPONSE_OPTIONAL_PROPERTY_REMOVED = rule(
    "response-optional-property-removed",
    WARN,
    "an optional response property was removed: a client reading it no longer gets it",
)
RESPONSE_REQUIRED_PROPERTY_BECAME_WRITE_ONLY = rule(
    "response-required-property-became-write-only",
    ERR,
    "a required response property became writeOnly: responses no longer carry it",
    deviation="oasdiff: INFO; here a writeOnly property counts as absent from responses",
)
RESPONSE_REQUIRED_PROPERTY_BECAME_NOT_WRITE_ONLY = rule(
    "response-required-property-became-not-write-only",
    WARN,
    "a required property stopped being writeOnly: responses now carry it",
)
RESPONSE_REQUIRED_PROPERTY_ADDED = rule(
    "response-required-property-added", INFO, "a required property was added to a response"
)
RESPONSE_OPTIONAL_PROPERTY_ADDED = rule(
    "response-optional-property-added", INFO, "an optional property was added to a response"
)
RESPONSE_PROPERTY_BECAME_OPTIONAL = rule(
    "response-property-became-optional", ERR, "a response property may now be absent"
)
RESPONSE_PROPERTY_BECAME_REQUIRED = rule(
    "response-property-became-required", INFO, "a response property is now always present"
)
API_SCHEMA_REMOVED = rule("api-schema-removed", INFO, "a component schema was removed")


def schema_rule_id(subject: str, slug: str) -> str | None:
    """The id of schema change ``slug`` for ``subject`` (``<subject>-<slug>`` but where oasdiff
    names it otherwise); ``None`` if that change is not reported for that subject."""
    declared = FAMILY.changes[slug]
    return declared.rule_id(subject) if declared.level(subject) is not None else None


# --- the checks of one node (not its sub-schemas) ------------------------------------------------

Report = Callable[[str, str, Any, Any], None]

#: (inclusive keyword, exclusive keyword, True for an upper bound): compared as one limit
_LIMITS = (("maximum", "exclusiveMaximum", True), ("minimum", "exclusiveMinimum", False))
_SCHEMA_PREFIX = "#/components/schemas/"


@dataclass(frozen=True)
class Side:
    """How a schema is judged where it sits: its subject, direction, whether its text is
    loosely typed (not JSON), and the deprecation policy of its operation."""

    subject: str
    request: bool
    loose: bool = False
    #: a parameter ``in: header`` (its properties are "request-header-property")
    in_header: bool = False
    deprecation_days: int = 0
    today: date | None = None


def local_changes(o: View, n: View, path: str, side: Side, report: Report) -> None:
    """Every change of ``o`` -> ``n`` that is about the node itself, not its sub-schemas;
    ``report(change, path, old, new)`` with a change slug declared above."""
    _types(o, n, path, side, report)
    if o.nullable != n.nullable:
        report(BECAME_NULLABLE if n.nullable else BECAME_NOT_NULLABLE, path, o.nullable, n.nullable)
    _values(o, n, path, report)
    _extensible(o, n, path, report)
    _bounds(o, n, path, report)
    _pattern(o, n, path, side, report)
    _default(o, n, path, report)
    _keywords(o, n, path, report)
    for keyword, slug in (
        ("contentMediaType", CONTENT_MEDIA_TYPE_CHANGED),
        ("contentEncoding", CONTENT_ENCODING_CHANGED),
    ):
        before, after = o.raw.get(keyword), n.raw.get(keyword)
        if canon(before) != canon(after):
            report(slug, path, before, after)
    _discriminator(o, n, path, report)
    _lifecycle(o, n, path, side, report)


def _types(o: View, n: View, path: str, side: Side, report: Report) -> None:
    if o.types == n.types and o.format == n.format:
        return
    # a schema that gained or lost a type next to oneOf/anyOf/allOf: the branches say it
    if (o.types is None and o.has_composition) or (n.types is None and n.has_composition):
        return
    old, new = type_text(o, nullable=False), type_text(n, nullable=False)
    wider, narrower = covers(n, o), covers(o, n)
    if (
        o.types is not None
        and n.types is not None
        and (len(o.types) > 1 or len(n.types) > 1)
        and o.format == n.format
        and (wider or narrower)
    ):
        if wider:
            report(LIST_OF_TYPES_WIDENED, path, old, new)
        else:
            report(LIST_OF_TYPES_NARROWED, path, old, new)
        return
    # oasdiff judges a parameter's object properties by type-changed (WARN) instead
    if side.loose and not wider and side.subject != "request-parameter-property":
        text = frozenset({"string"})
        textual = n.types == text if side.request else o.types == text
        if textual and o.types is not None and n.types is not None:
            report(TYPE_COMPATIBLE, path, old, new)
            return
    if side.request:
        parameter_property = side.subject == "request-parameter-property"
        if wider:
            slug = TYPE_GENERALIZED
        elif parameter_property and (narrower or o.types == frozenset({"string"})):
            # a parameter is text: any value read from it was a valid string before
            slug = TYPE_SPECIALIZED
        else:
            slug = TYPE_CHANGED
    elif narrower:
        slug = TYPE_SPECIALIZED
    else:
        slug = TYPE_GENERALIZED if wider else TYPE_CHANGED
    report(slug, path, old, new)


def _values(o: View, n: View, path: str, report: Report) -> None:
    if o.values is None and n.values is None:
        return
    if o.values is None:
        assert n.values is not None
        if n.is_const:
            report(CONST_ADDED, path, None, n.values[0])
        else:
            report(BECAME_ENUM, path, None, n.values)
        return
    if n.values is None:
        if o.is_const:
            report(CONST_REMOVED, path, o.values[0], None)
        else:
            report(ENUM_REMOVED, path, o.values, None)
        return
    if o.is_const and n.is_const:
        if canon(o.values[0]) != canon(n.values[0]):
            report(CONST_CHANGED, path, o.values[0], n.values[0])
        return
    old_keys = {canon(value) for value in o.values}
    new_keys = {canon(value) for value in n.values}
    for value in o.values:
        if canon(value) not in new_keys:
            report(ENUM_VALUE_REMOVED, path, value, None)
    for value in n.values:
        if canon(value) not in old_keys:
            report(ENUM_VALUE_ADDED, path, None, value)


def _extensible(o: View, n: View, path: str, report: Report) -> None:
    before, after = o.raw.get("x-extensible-enum"), n.raw.get("x-extensible-enum")
    old_values = before if isinstance(before, list) else []
    new_values = after if isinstance(after, list) else []
    old_keys = {canon(value) for value in old_values}
    new_keys = {canon(value) for value in new_values}
    for value in old_values:
        if canon(value) not in new_keys:
            report(X_EXTENSIBLE_ENUM_VALUE_REMOVED, path, value, None)
    for value in new_values:
        if canon(value) not in old_keys:
            report(X_EXTENSIBLE_ENUM_VALUE_ADDED, path, None, value)


def _bounds(o: View, n: View, path: str, report: Report) -> None:
    """Each bound by itself; ``maximum``/``exclusiveMaximum`` (and the minimums) as one limit
    only when one of them replaces the other."""
    compared: set[str] = set()
    for inclusive, exclusive, upper in _LIMITS:
        spelled_old = {k for k in (inclusive, exclusive) if k in o.bounds}
        spelled_new = {k for k in (inclusive, exclusive) if k in n.bounds}
        if spelled_old and spelled_new and spelled_old != spelled_new:
            _limit(o, n, path, report, inclusive, exclusive, upper)
            compared |= {inclusive, exclusive}
    for keyword, (slug, _upper) in BOUNDS.items():
        if keyword in compared:
            continue
        before, after = o.bounds.get(keyword), n.bounds.get(keyword)
        if before == after:
            continue
        if before is None:
            verb = "set"
        elif after is None:
            verb = "unset"
        else:
            verb = "increased" if after > before else "decreased"
        report(f"{slug}-{verb}", path, before, after)


def _tightest(v: View, inclusive: str, exclusive: str, upper: bool) -> tuple[str, float] | None:
    """The binding one of ``maximum``/``exclusiveMaximum`` (or the minimums): (keyword, value)."""
    found = [
        (keyword, v.bounds[keyword]) for keyword in (inclusive, exclusive) if keyword in v.bounds
    ]
    if not found:
        return None
    # the tighter bound: the smaller maximum (the larger minimum); exclusive wins a tie
    return min(found, key=lambda kv: ((kv[1] if upper else -kv[1]), kv[0] == inclusive))


def _limit(
    o: View, n: View, path: str, report: Report, inclusive: str, exclusive: str, upper: bool
) -> None:
    """``maximum`` replaced by ``exclusiveMaximum`` (or the other way, or the minimums): the
    limit moved up or down, judged as one bound."""
    before = _tightest(o, inclusive, exclusive, upper)
    after = _tightest(n, inclusive, exclusive, upper)
    if before is None or after is None or before == after:
        return
    (old_keyword, old_value), (new_keyword, new_value) = before, after
    if old_keyword == new_keyword:
        verb = "increased" if new_value > old_value else "decreased"
        report(f"{BOUNDS[old_keyword][0]}-{verb}", path, old_value, new_value)
        return
    # inclusive <-> exclusive: the bound moved up if its value did, or, at the same value,
    # if an exclusive maximum became inclusive (an inclusive minimum became exclusive)
    if new_value != old_value:
        higher = new_value > old_value
    else:
        higher = (new_keyword == inclusive) == upper
    sign = ("<" if upper else ">") + ("=" if old_keyword == inclusive else "")
    new_sign = ("<" if upper else ">") + ("=" if new_keyword == inclusive else "")
    verb = "increased" if higher else "decreased"
    report(f"{BOUNDS[inclusive][0]}-{verb}", path, f"{sign} {old_value}", f"{new_sign} {new_value}")


def _pattern(o: View, n: View, path: str, side: Side, report: Report) -> None:
    if o.pattern == n.pattern:
        return
    if o.pattern is None:
        report(PATTERN_ADDED, path, None, n.pattern)
    elif n.pattern is None:
        report(PATTERN_REMOVED, path, o.pattern, None)
    elif side.request and widens(o.pattern, n.pattern):
        report(PATTERN_GENERALIZED, path, o.pattern, n.pattern)
    else:
        report(PATTERN_CHANGED, path, o.pattern, n.pattern)


def _default(o: View, n: View, path: str, report: Report) -> None:
    if not o.has_default and not n.has_default:
        return
    if not o.has_default:
        report(DEFAULT_VALUE_ADDED, path, None, n.default)
    elif not n.has_default:
        report(DEFAULT_VALUE_REMOVED, path, o.default, None)
    elif canon(o.default) != canon(n.default):
        report(DEFAULT_VALUE_CHANGED, path, o.default, n.default)


def _keywords(o: View, n: View, path: str, report: Report) -> None:
    """The keywords of ``schema.KEYWORDS``, by their text (a change inside is a change)."""
    for keyword, slug in KEYWORDS.items():
        before, after = o.keywords.get(keyword), n.keywords.get(keyword)
        if keyword not in o.keywords and keyword not in n.keywords:
            continue
        if keyword not in o.keywords:
            report(f"{slug}-added", path, None, after)
        elif keyword not in n.keywords:
            report(f"{slug}-removed", path, before, None)
        elif canon(before) != canon(after):
            report(f"{slug}-changed", path, before, after)


def _target(value: Any) -> Any:
    """A discriminator mapping value: ``#/components/schemas/A`` and ``A`` are the same."""
    if isinstance(value, str) and value.startswith(_SCHEMA_PREFIX):
        return value[len(_SCHEMA_PREFIX) :]
    return value


def _discriminator(o: View, n: View, path: str, report: Report) -> None:
    before, after = o.discriminator, n.discriminator
    if before is None and after is None:
        return
    where = f"{path}/discriminator" if path else "discriminator"
    if before is None or after is None:
        slug = DISCRIMINATOR_ADDED if before is None else DISCRIMINATOR_REMOVED
        old = before.get("propertyName") if before else None
        report(slug, where, old, after.get("propertyName") if after else None)
        return
    if before.get("propertyName") != after.get("propertyName"):
        report(
            DISCRIMINATOR_PROPERTY_NAME_CHANGED,
            where,
            before.get("propertyName"),
            after.get("propertyName"),
        )
    old_map, new_map = before.get("mapping"), after.get("mapping")
    old_map = old_map if isinstance(old_map, dict) else {}
    new_map = new_map if isinstance(new_map, dict) else {}
    for value, target in old_map.items():
        if value not in new_map:
            report(DISCRIMINATOR_MAPPING_DELETED, f"{where}/mapping", value, None)
        elif _target(target) != _target(new_map[value]):
            report(
                DISCRIMINATOR_MAPPING_CHANGED, f"{where}/mapping/{value}", target, new_map[value]
            )
    for value in new_map:
        if value not in old_map:
            report(DISCRIMINATOR_MAPPING_ADDED, f"{where}/mapping", None, value)


_DEPRECATION_SLUGS = {
    SunsetVerdict.DEPRECATED: DEPRECATED,
    SunsetVerdict.WITH_SUNSET: DEPRECATED_WITH_SUNSET,
    SunsetVerdict.SUNSET_MISSING: DEPRECATED_SUNSET_MISSING,
    SunsetVerdict.SUNSET_INVALID: DEPRECATED_SUNSET_INVALID,
    SunsetVerdict.TOO_SOON: SUNSET_DATE_TOO_SMALL,
}


def _lifecycle(o: View, n: View, path: str, side: Side, report: Report) -> None:
    if o.deprecated != n.deprecated and side.subject != "request-parameter":
        if not n.deprecated:
            report(REACTIVATED, path, True, False)
        else:
            verdict, sunset = judge_deprecation(
                n.raw.get("x-sunset"), side.deprecation_days, side.today
            )
            report(_DEPRECATION_SLUGS[verdict], path, False, sunset or True)
    old_rank = stability_rank(o.raw.get("x-stability-level"))
    new_rank = stability_rank(n.raw.get("x-stability-level"))
    if old_rank is not None and new_rank is not None and old_rank != new_rank:
        slug = STABILITY_DECREASED if new_rank < old_rank else STABILITY_INCREASED
        report(slug, path, o.raw.get("x-stability-level"), n.raw.get("x-stability-level"))
