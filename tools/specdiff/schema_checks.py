"""The checks of one schema node against another that do not descend into sub-schemas.

Each check calls ``rule(change, path, old, new)`` with a change slug of
:data:`~tools.specdiff.rules.SCHEMA_CHANGES` (or a bound or keyword slug); the caller turns it
into a rule id for its subject. ``request`` is True on the request side.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tools.specdiff.rules import BOUNDS, KEYWORDS
from tools.specdiff.schema import View, canon, covers, type_text

Rule = Callable[[str, str, Any, Any], None]

#: (inclusive keyword, exclusive keyword, True for an upper bound): compared as one limit
_LIMITS = (("maximum", "exclusiveMaximum", True), ("minimum", "exclusiveMinimum", False))
_LIMIT_KEYWORDS = frozenset(keyword for pair in _LIMITS for keyword in pair[:2])
_SCHEMA_PREFIX = "#/components/schemas/"


def local_changes(o: View, n: View, path: str, request: bool, rule: Rule) -> None:
    """Every change of ``o`` -> ``n`` that is about the node itself, not its sub-schemas."""
    _types(o, n, path, request, rule)
    if o.nullable != n.nullable:
        change = "became-nullable" if n.nullable else "became-not-nullable"
        rule(change, path, o.nullable, n.nullable)
    _values(o, n, path, rule)
    _bounds(o, n, path, rule)
    for upper_keyword, exclusive_keyword, upper in _LIMITS:
        _limit(o, n, path, rule, upper_keyword, exclusive_keyword, upper)
    _pattern(o, n, path, rule)
    _default(o, n, path, rule)
    _keywords(o, n, path, rule)
    _discriminator(o, n, path, rule)
    if o.deprecated != n.deprecated:
        change = "deprecated" if n.deprecated else "reactivated"
        rule(change, path, o.deprecated, n.deprecated)


def _types(o: View, n: View, path: str, request: bool, rule: Rule) -> None:
    if o.types == n.types and o.format == n.format:
        return
    # a schema that gained or lost a type next to oneOf/anyOf/allOf: the branches say it
    if (o.types is None and o.has_composition) or (n.types is None and n.has_composition):
        return
    wider, narrower = covers(n, o), covers(o, n)
    if request:
        change = "type-generalized" if wider else "type-changed"
    elif narrower:
        change = "type-specialized"
    else:
        change = "type-generalized" if wider else "type-changed"
    rule(change, path, type_text(o), type_text(n))


def _values(o: View, n: View, path: str, rule: Rule) -> None:
    if o.values is None and n.values is None:
        return
    if o.values is None:
        assert n.values is not None
        if n.is_const:
            rule("const-added", path, None, n.values[0])
        else:
            rule("became-enum", path, None, n.values)
        return
    if n.values is None:
        if o.is_const:
            rule("const-removed", path, o.values[0], None)
        else:
            rule("enum-removed", path, o.values, None)
        return
    if o.is_const and n.is_const:
        if canon(o.values[0]) != canon(n.values[0]):
            rule("const-changed", path, o.values[0], n.values[0])
        return
    old_keys = {canon(value) for value in o.values}
    new_keys = {canon(value) for value in n.values}
    for value in o.values:
        if canon(value) not in new_keys:
            rule("enum-value-removed", path, value, None)
    for value in n.values:
        if canon(value) not in old_keys:
            rule("enum-value-added", path, None, value)


def _bounds(o: View, n: View, path: str, rule: Rule) -> None:
    for keyword, (slug, _upper) in BOUNDS.items():
        if keyword in _LIMIT_KEYWORDS:
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
        rule(f"{slug}-{verb}", path, before, after)


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
    o: View, n: View, path: str, rule: Rule, inclusive: str, exclusive: str, upper: bool
) -> None:
    """``maximum``/``exclusiveMaximum`` (or the minimums) as one limit, whichever spells it."""
    before = _tightest(o, inclusive, exclusive, upper)
    after = _tightest(n, inclusive, exclusive, upper)
    if before == after:
        return
    if before is None or after is None:
        keyword, value = after or before  # type: ignore[misc]
        verb = "set" if before is None else "unset"
        old, new = (None, value) if before is None else (value, None)
        rule(f"{BOUNDS[keyword][0]}-{verb}", path, old, new)
        return
    (old_keyword, old_value), (new_keyword, new_value) = before, after
    if old_keyword == new_keyword:
        verb = "increased" if new_value > old_value else "decreased"
        rule(f"{BOUNDS[old_keyword][0]}-{verb}", path, old_value, new_value)
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
    rule(f"{BOUNDS[inclusive][0]}-{verb}", path, f"{sign} {old_value}", f"{new_sign} {new_value}")


def _pattern(o: View, n: View, path: str, rule: Rule) -> None:
    if o.pattern == n.pattern:
        return
    if o.pattern is None:
        change = "pattern-added"
    elif n.pattern is None:
        change = "pattern-removed"
    else:
        change = "pattern-changed"
    rule(change, path, o.pattern, n.pattern)


def _default(o: View, n: View, path: str, rule: Rule) -> None:
    if not o.has_default and not n.has_default:
        return
    if not o.has_default:
        rule("default-value-added", path, None, n.default)
    elif not n.has_default:
        rule("default-value-removed", path, o.default, None)
    elif canon(o.default) != canon(n.default):
        rule("default-value-changed", path, o.default, n.default)


def _keywords(o: View, n: View, path: str, rule: Rule) -> None:
    """The keywords of ``rules.KEYWORDS``, by their text (a change inside is a change)."""
    for keyword, slug in KEYWORDS.items():
        before, after = o.keywords.get(keyword), n.keywords.get(keyword)
        if keyword not in o.keywords and keyword not in n.keywords:
            continue
        if keyword not in o.keywords:
            rule(f"{slug}-added", path, None, after)
        elif keyword not in n.keywords:
            rule(f"{slug}-removed", path, before, None)
        elif canon(before) != canon(after):
            rule(f"{slug}-changed", path, before, after)


def _target(value: Any) -> Any:
    """A discriminator mapping value: ``#/components/schemas/A`` and ``A`` are the same."""
    if isinstance(value, str) and value.startswith(_SCHEMA_PREFIX):
        return value[len(_SCHEMA_PREFIX) :]
    return value


def _discriminator(o: View, n: View, path: str, rule: Rule) -> None:
    before, after = o.discriminator, n.discriminator
    if before is None and after is None:
        return
    where = f"{path}/discriminator" if path else "discriminator"
    if before is None or after is None:
        change = "discriminator-added" if before is None else "discriminator-removed"
        old = before.get("propertyName") if before else None
        rule(change, where, old, after.get("propertyName") if after else None)
        return
    if before.get("propertyName") != after.get("propertyName"):
        rule(
            "discriminator-property-name-changed",
            where,
            before.get("propertyName"),
            after.get("propertyName"),
        )
    old_map, new_map = before.get("mapping"), after.get("mapping")
    old_map = old_map if isinstance(old_map, dict) else {}
    new_map = new_map if isinstance(new_map, dict) else {}
    for value, target in old_map.items():
        if value not in new_map:
            rule("discriminator-mapping-deleted", f"{where}/mapping", value, None)
        elif _target(target) != _target(new_map[value]):
            rule(
                "discriminator-mapping-changed", f"{where}/mapping/{value}", target, new_map[value]
            )
    for value in new_map:
        if value not in old_map:
            rule("discriminator-mapping-added", f"{where}/mapping", None, value)
