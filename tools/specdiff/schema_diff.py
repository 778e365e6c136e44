"""Compare two schemas in one context (request or response) and emit classified changes.

A schema is walked once per place it is used: the *subject* (``request-body``,
``request-property``, ``request-parameter``, ``response-body``, ``response-property`` or
``response-header``) names where it sits and so which rule ids, and levels, apply. Descending
into ``properties``, ``items`` or ``additionalProperties`` turns a body into a property; a
parameter or header stays what it is. ``$ref``s are chased; a schema already being compared
higher up the same walk (a recursive schema) is not entered again.

The findings of comparing one pair of schema nodes in one subject are remembered (relative to
where they were found) and replayed wherever the pair is met again, so that a component shared
many times over is compared once, yet its changes are reported at every place that uses it. A
result that was cut short by recursion is only replayed below the same ancestors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tools.specdiff.loader import Resolver, ref_name
from tools.specdiff.rules import RULES, direction_of
from tools.specdiff.schema import CLOSED, OPEN, View, canon, describe, type_text, view
from tools.specdiff.schema_checks import local_changes

Emit = Callable[[str, str, Any, Any], None]
Key = tuple[int, int]
Record = tuple[str, str, Any, Any]

#: Deeper than this, a walk stops (a safety net; recursion is caught before that).
MAX_DEPTH = 48

#: Stands for a missing schema (one stable object, so that its identity means one thing).
EMPTY: dict[str, Any] = {}

_COMPOSITIONS = (("oneOf", "one-of"), ("anyOf", "any-of"), ("allOf", "all-of"))
#: a dependency no stack ever holds: a result cut by MAX_DEPTH is never replayed
_NEVER: Key = (-1, -1)


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
        self._log: list[Record] = []
        #: (old identity, new identity, subject) -> (records with relative paths, the
        #: ancestors the walk was cut at, which must be on the stack for a replay)
        self._memo: dict[tuple[int, int, str], tuple[list[Record], frozenset[Key]]] = {}

    def compare(self, old_node: Any, new_node: Any, subject: str, path: str) -> None:
        self._compare(old_node, new_node, subject, path, ())
        log, self._log = self._log, []
        for record in log:
            self._emit(*record)

    # --- helpers -----------------------------------------------------------------------------

    def _record(self, rule_id: str, path: str, old: Any, new: Any) -> None:
        if rule_id not in RULES:  # pragma: no cover - guarded by the rule catalog tests
            raise KeyError(rule_id)
        self._log.append((rule_id, path, old, new))

    def _rule(self, subject: str, change: str, path: str, old: Any, new: Any) -> None:
        self._record(f"{subject}-{change}", path, old, new)

    def _compare(
        self, old_node: Any, new_node: Any, subject: str, path: str, stack: tuple[Key, ...]
    ) -> frozenset[Key]:
        """Compare, and return the ancestors (on ``stack``) at which the walk was cut."""
        o = view(old_node, self.old)
        n = view(new_node, self.new)
        key = (o.ident, n.ident)
        if key in stack:
            return frozenset({key})
        if len(stack) >= MAX_DEPTH:
            return frozenset({_NEVER})
        memo_key = (*key, subject)
        cached = self._memo.get(memo_key)
        if cached is not None and cached[1] <= set(stack):
            records, cut = cached
            self._log.extend((rule_id, join(path, rel), a, b) for rule_id, rel, a, b in records)
            return cut
        start = len(self._log)
        cut = self._walk(o, n, subject, path, (*stack, key)) - {key}
        prefix = len(path)
        records = [
            (rule_id, p[prefix:].lstrip("/"), a, b) for rule_id, p, a, b in self._log[start:]
        ]
        self._memo[memo_key] = (records, cut)
        return cut

    def _walk(
        self, o: View, n: View, subject: str, path: str, stack: tuple[Key, ...]
    ) -> frozenset[Key]:
        if o.unresolved is not None or n.unresolved is not None:
            if o.unresolved != n.unresolved:
                old = o.unresolved or type_text(o)
                self._rule(subject, "ref-changed", path, old, n.unresolved or type_text(n))
            return frozenset()
        request = direction_of(subject) == "request"

        def rule(change: str, where: str, old: Any, new: Any) -> None:
            self._rule(subject, change, where, old, new)

        local_changes(o, n, path, request, rule)
        cut = self._properties(o, n, subject, path, request, stack)
        cut |= self._additional(o, n, subject, path, stack)
        if o.items is not None or n.items is not None:
            cut |= self._compare(
                o.items or EMPTY, n.items or EMPTY, _nested(subject), join(path, "items"), stack
            )
        return cut | self._compositions(o, n, subject, path, stack)

    def _visible(self, node: Any, resolver: Resolver, request: bool) -> Any:
        """``node``, or ``None`` if this side never sees it (readOnly in a request, writeOnly
        in a response): such a property counts as absent."""
        if node is None:
            return None
        v = view(node, resolver)
        return None if (v.read_only if request else v.write_only) else node

    def _properties(
        self, o: View, n: View, subject: str, path: str, request: bool, stack: tuple[Key, ...]
    ) -> frozenset[Key]:
        cut: frozenset[Key] = frozenset()
        nested = _nested(subject)
        names = list(o.properties) + [name for name in n.properties if name not in o.properties]
        for name in names:
            before = self._visible(o.properties.get(name), self.old, request)
            after = self._visible(n.properties.get(name), self.new, request)
            if before is None and after is None:
                continue
            was_required, is_required = name in o.required, name in n.required
            where = join(path, name)
            if before is None:
                if request:
                    rule = f"new-{'required' if is_required else 'optional'}-request-property"
                else:
                    rule = f"response-{'required' if is_required else 'optional'}-property-added"
                self._record(rule, where, None, describe(after, self.new))
            elif after is None:
                if request and CLOSED in (o.additional, n.additional):
                    rule = "request-property-removed-from-closed-object"
                elif request:
                    rule = "request-property-removed"
                else:
                    kind = "required" if was_required else "optional"
                    rule = f"response-{kind}-property-removed"
                self._record(rule, where, describe(before, self.old), None)
            else:
                if was_required != is_required:
                    side = "request" if request else "response"
                    change = "became-required" if is_required else "became-optional"
                    self._record(f"{side}-property-{change}", where, was_required, is_required)
                cut |= self._compare(before, after, nested, where, stack)
        return cut

    def _additional(
        self, o: View, n: View, subject: str, path: str, stack: tuple[Key, ...]
    ) -> frozenset[Key]:
        before, after = o.additional, n.additional
        if before is CLOSED and after is CLOSED:
            return frozenset()
        if after is CLOSED:
            self._rule(subject, "additional-properties-disallowed", path, True, False)
        elif before is CLOSED:
            self._rule(subject, "additional-properties-allowed", path, False, True)
        elif before is not OPEN or after is not OPEN:
            return self._compare(
                EMPTY if before is OPEN else before,
                EMPTY if after is OPEN else after,
                _nested(subject),
                join(path, "additionalProperties"),
                stack,
            )
        return frozenset()

    def _compositions(
        self, o: View, n: View, subject: str, path: str, stack: tuple[Key, ...]
    ) -> frozenset[Key]:
        cut: frozenset[Key] = frozenset()
        old_compositions = dict(o.compositions)
        # oneOf <-> anyOf over the same branches: one note, then compared as one keyword
        for was, now, change in (
            ("oneOf", "anyOf", "one-of-became-any-of"),
            ("anyOf", "oneOf", "any-of-became-one-of"),
        ):
            if {was} == set(old_compositions) - {"allOf"} and {now} == set(n.compositions) - {
                "allOf"
            }:
                self._rule(subject, change, path, was, now)
                old_compositions[now] = old_compositions.pop(was)
        for keyword, slug in _COMPOSITIONS:
            old_branches = old_compositions.get(keyword, [])
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
                cut |= self._compare(old_branches[i], new_branches[j], subject, where, stack)
        return cut

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
