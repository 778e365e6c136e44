"""Compare two schemas in one context (request or response) and emit classified changes.

A schema is walked once per place it is used: the *subject* (``request-body``,
``request-property``, ``request-parameter``, ``response-body``, ``response-property`` or
``response-header``) names where it sits and so which rule ids, and levels, apply. Descending
into ``properties``, ``items`` or ``additionalProperties`` turns a body into a property; a
parameter or header stays what it is. ``$ref``s are chased; a schema already being compared
higher up the same walk (a recursive schema) is not entered again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tools.specdiff.loader import Resolver, ref_name
from tools.specdiff.rules import BOUNDS, RULES, direction_of
from tools.specdiff.schema import CLOSED, OPEN, View, canon, covers, describe, type_text, view

Emit = Callable[[str, str, Any, Any], None]

#: Deeper than this, a walk stops (a safety net; recursion is caught before that).
MAX_DEPTH = 48

_COMPOSITIONS = (("oneOf", "one-of"), ("anyOf", "any-of"), ("allOf", "all-of"))


def join(*parts: str) -> str:
    return "/".join(part for part in parts if part)


def _nested(subject: str) -> str:
    if subject == "request-body":
        return "request-property"
    if subject == "response-body":
        return "response-property"
    return subject


class SchemaDiff:
    """Compares schemas of an old and a new document; ``emit(rule_id, path, old, new)``."""

    def __init__(self, old: Resolver, new: Resolver, emit: Emit) -> None:
        self.old = old
        self.new = new
        self._emit = emit

    def compare(self, old_node: Any, new_node: Any, subject: str, path: str) -> None:
        self._compare(old_node, new_node, subject, path, ())

    # --- helpers -----------------------------------------------------------------------------

    def _rule(self, subject: str, change: str, path: str, old: Any, new: Any) -> None:
        rule_id = f"{subject}-{change}"
        if rule_id not in RULES:  # pragma: no cover - guarded by the rule catalog tests
            raise KeyError(rule_id)
        self._emit(rule_id, path, old, new)

    def _compare(
        self,
        old_node: Any,
        new_node: Any,
        subject: str,
        path: str,
        stack: tuple[tuple[int, int], ...],
    ) -> None:
        o = view(old_node, self.old)
        n = view(new_node, self.new)
        key = (o.ident, n.ident)
        if key in stack or len(stack) >= MAX_DEPTH:
            return
        stack = (*stack, key)
        request = direction_of(subject) == "request"

        self._types(o, n, subject, path, request)
        if o.nullable != n.nullable:
            change = "became-nullable" if n.nullable else "became-not-nullable"
            self._rule(subject, change, path, o.nullable, n.nullable)
        self._values(o, n, subject, path)
        self._bounds(o, n, subject, path)
        self._pattern(o, n, subject, path)
        self._default(o, n, subject, path)
        if o.deprecated != n.deprecated:
            change = "deprecated" if n.deprecated else "reactivated"
            self._rule(subject, change, path, o.deprecated, n.deprecated)
        self._properties(o, n, subject, path, request, stack)
        self._additional(o, n, subject, path, stack)
        if o.items is not None or n.items is not None:
            self._compare(
                o.items or {}, n.items or {}, _nested(subject), join(path, "items"), stack
            )
        self._compositions(o, n, subject, path, stack)

    def _types(self, o: View, n: View, subject: str, path: str, request: bool) -> None:
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
        self._rule(subject, change, path, type_text(o), type_text(n))

    def _values(self, o: View, n: View, subject: str, path: str) -> None:
        if o.values is None and n.values is None:
            return
        if o.values is None:
            assert n.values is not None
            if n.is_const:
                self._rule(subject, "const-added", path, None, n.values[0])
            else:
                self._rule(subject, "became-enum", path, None, n.values)
            return
        if n.values is None:
            if o.is_const:
                self._rule(subject, "const-removed", path, o.values[0], None)
            else:
                self._rule(subject, "enum-removed", path, o.values, None)
            return
        if o.is_const and n.is_const:
            if canon(o.values[0]) != canon(n.values[0]):
                self._rule(subject, "const-changed", path, o.values[0], n.values[0])
            return
        old_keys = {canon(value) for value in o.values}
        new_keys = {canon(value) for value in n.values}
        for value in o.values:
            if canon(value) not in new_keys:
                self._rule(subject, "enum-value-removed", path, value, None)
        for value in n.values:
            if canon(value) not in old_keys:
                self._rule(subject, "enum-value-added", path, None, value)

    def _bounds(self, o: View, n: View, subject: str, path: str) -> None:
        for keyword, (slug, _upper) in BOUNDS.items():
            before, after = o.bounds.get(keyword), n.bounds.get(keyword)
            if before == after:
                continue
            if before is None:
                verb = "set"
            elif after is None:
                verb = "unset"
            else:
                verb = "increased" if after > before else "decreased"
            self._rule(subject, f"{slug}-{verb}", path, before, after)

    def _pattern(self, o: View, n: View, subject: str, path: str) -> None:
        if o.pattern == n.pattern:
            return
        if o.pattern is None:
            change = "pattern-added"
        elif n.pattern is None:
            change = "pattern-removed"
        else:
            change = "pattern-changed"
        self._rule(subject, change, path, o.pattern, n.pattern)

    def _default(self, o: View, n: View, subject: str, path: str) -> None:
        if not o.has_default and not n.has_default:
            return
        if not o.has_default:
            self._rule(subject, "default-value-added", path, None, n.default)
        elif not n.has_default:
            self._rule(subject, "default-value-removed", path, o.default, None)
        elif canon(o.default) != canon(n.default):
            self._rule(subject, "default-value-changed", path, o.default, n.default)

    def _properties(
        self,
        o: View,
        n: View,
        subject: str,
        path: str,
        request: bool,
        stack: tuple[tuple[int, int], ...],
    ) -> None:
        nested = _nested(subject)
        names = list(o.properties) + [name for name in n.properties if name not in o.properties]
        for name in names:
            before, after = o.properties.get(name), n.properties.get(name)
            # the other side never sees these: readOnly is not sent, writeOnly not returned
            hidden = "read_only" if request else "write_only"
            present = [
                view(node, resolver)
                for node, resolver in ((before, self.old), (after, self.new))
                if node is not None
            ]
            if all(getattr(v, hidden) for v in present):
                continue
            was_required, is_required = name in o.required, name in n.required
            where = join(path, name)
            if before is None:
                label = describe(after, self.new)
                if request:
                    rule = (
                        "new-required-request-property"
                        if is_required
                        else ("new-optional-request-property")
                    )
                else:
                    rule = (
                        "response-required-property-added"
                        if is_required
                        else ("response-optional-property-added")
                    )
                self._emit(rule, where, None, label)
                continue
            if after is None:
                label = describe(before, self.old)
                if request:
                    rule = "request-property-removed"
                else:
                    rule = (
                        "response-required-property-removed"
                        if was_required
                        else ("response-optional-property-removed")
                    )
                self._emit(rule, where, label, None)
                continue
            if was_required != is_required:
                side = "request" if request else "response"
                change = "became-required" if is_required else "became-optional"
                self._emit(f"{side}-property-{change}", where, was_required, is_required)
            self._compare(before, after, nested, where, stack)

    def _additional(
        self, o: View, n: View, subject: str, path: str, stack: tuple[tuple[int, int], ...]
    ) -> None:
        before, after = o.additional, n.additional
        if before is CLOSED and after is CLOSED:
            return
        if after is CLOSED:
            self._rule(subject, "additional-properties-disallowed", path, True, False)
        elif before is CLOSED:
            self._rule(subject, "additional-properties-allowed", path, False, True)
        elif before is not OPEN or after is not OPEN:
            self._compare(
                {} if before is OPEN else before,
                {} if after is OPEN else after,
                _nested(subject),
                join(path, "additionalProperties"),
                stack,
            )

    def _compositions(
        self, o: View, n: View, subject: str, path: str, stack: tuple[tuple[int, int], ...]
    ) -> None:
        for keyword, slug in _COMPOSITIONS:
            old_branches = o.compositions.get(keyword, [])
            new_branches = n.compositions.get(keyword, [])
            if not old_branches and not new_branches:
                continue
            pairs, removed, added = self._match(old_branches, new_branches)
            for i in removed:
                label = _label(old_branches[i], i)
                self._rule(subject, f"{slug}-removed", join(path, keyword), label, None)
            for j in added:
                label = _label(new_branches[j], j)
                self._rule(subject, f"{slug}-added", join(path, keyword), None, label)
            for i, j in pairs:
                where = join(path, keyword, str(_label(new_branches[j], j)))
                self._compare(old_branches[i], new_branches[j], subject, where, stack)

    def _match(
        self, old: list[Any], new: list[Any]
    ) -> tuple[list[tuple[int, int]], list[int], list[int]]:
        """Pair up branches: same component name, then same content, then same position."""
        pairs: list[tuple[int, int]] = []
        old_left, new_left = list(range(len(old))), list(range(len(new)))

        def pair_by(
            key_old: Callable[[int], str | None], key_new: Callable[[int], str | None]
        ) -> None:
            for i in list(old_left):
                wanted = key_old(i)
                if wanted is None:
                    continue
                for j in new_left:
                    if key_new(j) == wanted:
                        pairs.append((i, j))
                        old_left.remove(i)
                        new_left.remove(j)
                        break

        pair_by(lambda i: ref_name(old[i]), lambda j: ref_name(new[j]))
        pair_by(lambda i: canon(self.old.deref(old[i])), lambda j: canon(self.new.deref(new[j])))
        if len(old_left) == len(new_left):
            for i, j in zip(list(old_left), list(new_left), strict=True):
                if ref_name(old[i]) is not None and ref_name(new[j]) is not None:
                    continue  # two different components: one removed, one added
                pairs.append((i, j))
                old_left.remove(i)
                new_left.remove(j)
        return sorted(pairs, key=lambda pair: pair[1]), old_left, new_left


def _label(node: Any, index: int) -> str | int:
    return ref_name(node) or index
