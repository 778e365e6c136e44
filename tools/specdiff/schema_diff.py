"""Compare two schemas node by node, descending into every sub-schema.

:class:`SchemaDiff` walks properties, ``additionalProperties``, ``items``, ``prefixItems``,
``oneOf``/``anyOf``/``allOf``, ``not``, ``if``/``then``/``else``, ``propertyNames``,
``patternProperties``, ``contains``, ``dependentSchemas``, ``contentSchema`` and
``unevaluated*``, and reports a change inside any of them with its own rule (the rules are
declared in :mod:`tools.specdiff.rules.schemas`).

Each finding also gets a *cause*: the schema change behind it, named from the nearest component
it sits in (``Run.model``), so that a change of a shared component, reported at every operation
that uses it, reads as one change in the report.

Comparisons are memoised per (old node, new node, how they are judged): a component used in
many places is walked once, and its findings are replayed at each use; recursion is cut when a
pair of nodes is met again on the way down.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from tools.specdiff.loader import Resolver, ref_name
from tools.specdiff.registry import catalogue
from tools.specdiff.rules import schemas as S
from tools.specdiff.rules.schemas import Side, local_changes
from tools.specdiff.schema import (
    ANNOTATIONS,
    CLOSED,
    EMPTY,
    OPEN,
    View,
    canon,
    describe,
    join,
    type_text,
    view,
)

#: emit(rule id, path, old, new, cause)
Emit = Callable[[str, str, Any, Any, "str | None"], None]
Key = tuple[int, int]
Record = tuple[str, str, Any, Any, "str | None"]
#: (component label, the path at which it was entered)
Anchor = tuple[str, str] | None

#: Deeper than this, a walk stops (a safety net; recursion is caught before that).
MAX_DEPTH = 48

_COMPOSITIONS = (("oneOf", "one-of"), ("anyOf", "any-of"))
#: a dependency no stack ever holds: a result cut by MAX_DEPTH is never replayed
_NEVER: Key = (-1, -1)
_SUB_SLUGS = S.SUB_SCHEMAS


def nested(side: Side, in_header: bool = False) -> Side:
    """How a sub-schema (a property, an item) of a schema judged as ``side`` is judged."""
    subject = {
        "request-body": "request-property",
        "response-body": "response-property",
        "request-parameter": "request-header-property"
        if in_header
        else "request-parameter-property",
    }.get(side.subject, side.subject)
    return replace(side, subject=subject)


def cause_text(anchor: Anchor, path: str) -> str | None:
    """``Run.model``, ``Run.tools[].type``: where in a component a change is."""
    if anchor is None:
        return None
    label, at = anchor
    rest = path[len(at) :].strip("/") if path.startswith(at) else ""
    text = label
    for part in rest.split("/") if rest else []:
        text += "[]" if part == "items" else f".{part}"
    return text


def _only_annotations(node: Any) -> bool:
    return isinstance(node, dict) and all(
        key in ANNOTATIONS or key.startswith("x-") for key in node
    )


class SchemaDiff:
    """Compares schemas of an old and a new document; ``emit(rule_id, path, old, new, cause)``."""

    def __init__(self, old: Resolver, new: Resolver, emit: Emit) -> None:
        self.old = old
        self.new = new
        self._emit = emit
        self._log: list[Record] = []
        self._rules = catalogue()
        #: (old identity, new identity, side) -> (records with relative paths, the ancestors
        #: the walk was cut at, which must be on the stack for a replay)
        self._memo: dict[tuple[int, int, Side], tuple[list[Record], frozenset[Key]]] = {}

    def compare(
        self, old_node: Any, new_node: Any, side: Side, path: str, anchor: Anchor = None
    ) -> None:
        self._compare(old_node, new_node, side, path, (), anchor)
        log, self._log = self._log, []
        for record in log:
            self._emit(*record)

    # --- helpers -----------------------------------------------------------------------------

    def _record(self, rule_id: str, path: str, old: Any, new: Any, anchor: Anchor) -> None:
        if rule_id not in self._rules:  # pragma: no cover - guarded by the rule catalog tests
            raise KeyError(rule_id)
        self._log.append((rule_id, path, old, new, cause_text(anchor, path)))

    def _compare(
        self,
        old_node: Any,
        new_node: Any,
        side: Side,
        path: str,
        stack: tuple[Key, ...],
        anchor: Anchor,
    ) -> frozenset[Key]:
        """Compare, and return the ancestors (on ``stack``) at which the walk was cut."""
        name = ref_name(new_node) or ref_name(old_node)
        if name is not None:
            anchor = (name, path)
        o = view(old_node, self.old)
        n = view(new_node, self.new)
        key = (o.ident, n.ident)
        if key in stack:
            return frozenset({key})
        if len(stack) >= MAX_DEPTH:
            return frozenset({_NEVER})
        memo_key = (*key, side)
        cached = self._memo.get(memo_key)
        if cached is not None and cached[1] <= set(stack):
            replay, cut = cached
            for rule_id, rel, a, b, cause in replay:
                where = join(path, rel)
                self._log.append((rule_id, where, a, b, cause or cause_text(anchor, where)))
            return cut
        start = len(self._log)
        cut = self._walk(o, n, side, path, (*stack, key), anchor) - {key}
        prefix = len(path)
        records: list[Record] = []
        for rule_id, p, a, b, cause in self._log[start:]:
            # a cause named inside this node holds wherever it is used; one named above it
            # is recomputed at each use
            own = cause if name is not None or anchor is None else None
            records.append((rule_id, p[prefix:].lstrip("/"), a, b, own))
        self._memo[memo_key] = (records, cut)
        return cut

    def _walk(
        self,
        o: View,
        n: View,
        side: Side,
        path: str,
        stack: tuple[Key, ...],
        anchor: Anchor,
    ) -> frozenset[Key]:
        at = _At(self, side, path, stack, anchor)
        if o.unresolved is not None or n.unresolved is not None:
            if o.unresolved != n.unresolved:
                old = o.unresolved or type_text(o)
                at.report(S.REF_CHANGED, path, old, n.unresolved or type_text(n))
            return frozenset()
        if self._wrapped_in_one_of(o, n):
            at.report(S.WRAPPED_IN_ONE_OF, path, type_text(o), "oneOf")
            return frozenset()
        local_changes(o, n, path, side, at.report)
        inner = nested(side, side.in_header)
        cut = self._properties(o, n, at, inner)
        cut |= self._additional(o, n, at, inner)
        if o.items is not None or n.items is not None:
            # the items of a parameter are still its values; of a body, its properties' kin
            items_side = side if side.subject == "request-parameter" else inner
            cut |= at.compare(o.items or EMPTY, n.items or EMPTY, items_side, join(path, "items"))
        for old_subs, new_subs, added, removed, keyword, sub_side in (
            (o.prefix_items, n.prefix_items, S.PREFIX_ITEMS_ADDED, S.PREFIX_ITEMS_REMOVED,
             "prefixItems", inner),
            (o.pattern_properties, n.pattern_properties, S.PATTERN_PROPERTY_ADDED,
             S.PATTERN_PROPERTY_REMOVED, "patternProperties", inner),
            (o.dependent_schemas, n.dependent_schemas, S.DEPENDENT_SCHEMA_ADDED,
             S.DEPENDENT_SCHEMA_REMOVED, "dependentSchemas", side),
        ):  # fmt: skip
            cut |= self._keyed(old_subs, new_subs, (added, removed), keyword, at, sub_side)
        for keyword, slug in _SUB_SLUGS.items():
            before, after = o.subs.get(keyword), n.subs.get(keyword)
            if before is None and after is None:
                continue
            where = join(path, keyword)
            if before is None:
                at.report(f"{slug}-added", where, None, describe(after, self.new))
            elif after is None:
                at.report(f"{slug}-removed", where, describe(before, self.old), None)
            else:
                sub_side = side if keyword in ("not", "if", "then", "else") else inner
                cut |= at.compare(before, after, sub_side, where)
        cut |= self._compositions(o, n, at)
        return cut | self._all_of(o, n, at)

    def _wrapped_in_one_of(self, o: View, n: View) -> bool:
        """The old schema (an object with properties) became a ``oneOf`` of objects."""
        if o.compositions or not o.properties or set(n.compositions) != {"oneOf"}:
            return False
        if n.properties or len(n.compositions["oneOf"]) < 2:
            return False
        branches = [view(branch, self.new) for branch in n.compositions["oneOf"]]
        return all(set(b.properties) & set(o.properties) for b in branches)

    def _visible(self, node: Any, resolver: Resolver, request: bool) -> Any:
        """``node``, or ``None`` if this side never sees it (readOnly in a request, writeOnly
        in a response): such a property counts as absent."""
        if node is None:
            return None
        v = view(node, resolver)
        return None if (v.read_only if request else v.write_only) else node

    def _properties(self, o: View, n: View, at: _At, inner: Side) -> frozenset[Key]:
        cut: frozenset[Key] = frozenset()
        request = at.side.request
        header = inner.subject == "request-header-property"
        names = list(o.properties) + [name for name in n.properties if name not in o.properties]
        for name in names:
            raw_before, raw_after = o.properties.get(name), n.properties.get(name)
            before = self._visible(raw_before, self.old, request)
            after = self._visible(raw_after, self.new, request)
            if before is None and after is None:
                continue
            was_required, is_required = name in o.required, name in n.required
            where = join(at.path, name)
            if before is None:
                rule = self._added(raw_before, after, is_required, request, header)
                self._record(rule, where, None, describe(after, self.new), at.anchor)
            elif after is None:
                rule = self._removed(n, raw_after, was_required, request)
                self._record(rule, where, describe(before, self.old), None, at.anchor)
            else:
                if was_required != is_required:
                    rule = self._required(after, is_required, request, header)
                    self._record(rule, where, was_required, is_required, at.anchor)
                cut |= at.compare(before, after, inner, where)
        return cut

    def _added(
        self, raw_before: Any, after: Any, is_required: bool, request: bool, header: bool
    ) -> str:
        if request:
            if not is_required:
                return S.NEW_OPTIONAL_REQUEST_PROPERTY
            if header:
                return S.NEW_REQUIRED_REQUEST_HEADER_PROPERTY
            if view(after, self.new).has_default:
                return S.NEW_REQUIRED_REQUEST_PROPERTY_WITH_DEFAULT
            return S.NEW_REQUIRED_REQUEST_PROPERTY
        if raw_before is not None and is_required:  # it was writeOnly
            return S.RESPONSE_REQUIRED_PROPERTY_BECAME_NOT_WRITE_ONLY
        if is_required:
            return S.RESPONSE_REQUIRED_PROPERTY_ADDED
        return S.RESPONSE_OPTIONAL_PROPERTY_ADDED

    @staticmethod
    def _removed(n: View, raw_after: Any, was_required: bool, request: bool) -> str:
        if request:
            if raw_after is not None:  # still there, but readOnly now
                return S.REQUEST_PROPERTY_BECAME_READ_ONLY
            if n.additional is CLOSED:
                # only a revision that still rejects unknown properties rejects it
                return S.REQUEST_PROPERTY_REMOVED_FROM_CLOSED_OBJECT
            return S.REQUEST_PROPERTY_REMOVED
        if raw_after is not None and was_required:  # still there, but writeOnly now
            return S.RESPONSE_REQUIRED_PROPERTY_BECAME_WRITE_ONLY
        if was_required:
            return S.RESPONSE_REQUIRED_PROPERTY_REMOVED
        return S.RESPONSE_OPTIONAL_PROPERTY_REMOVED

    def _required(self, after: Any, is_required: bool, request: bool, header: bool) -> str:
        if not request:
            if is_required:
                return S.RESPONSE_PROPERTY_BECAME_REQUIRED
            return S.RESPONSE_PROPERTY_BECAME_OPTIONAL
        if not is_required:
            return S.REQUEST_PROPERTY_BECAME_OPTIONAL
        if header:
            return S.REQUEST_HEADER_PROPERTY_BECAME_REQUIRED
        if view(after, self.new).has_default:
            return S.REQUEST_PROPERTY_BECAME_REQUIRED_WITH_DEFAULT
        return S.REQUEST_PROPERTY_BECAME_REQUIRED

    def _additional(self, o: View, n: View, at: _At, inner: Side) -> frozenset[Key]:
        before, after = o.additional, n.additional
        if before is CLOSED and after is CLOSED:
            return frozenset()
        if after is CLOSED:
            at.report(S.ADDITIONAL_PROPERTIES_DISALLOWED, at.path, True, False)
        elif before is CLOSED:
            at.report(S.ADDITIONAL_PROPERTIES_ALLOWED, at.path, False, True)
        elif before is not OPEN or after is not OPEN:
            return at.compare(
                EMPTY if before is OPEN else before,
                EMPTY if after is OPEN else after,
                inner,
                join(at.path, "additionalProperties"),
            )
        return frozenset()

    @staticmethod
    def _keyed(
        old: dict[str, Any] | list[Any],
        new: dict[str, Any] | list[Any],
        slugs: tuple[str, str],
        keyword: str,
        at: _At,
        side: Side,
    ) -> frozenset[Key]:
        """Sub-schemas by key (``patternProperties``, ``dependentSchemas``) or by position
        (``prefixItems``): added, removed (``slugs``), or compared."""
        added, removed = slugs
        before: dict[str, Any] = (
            {str(i): v for i, v in enumerate(old)} if isinstance(old, list) else old
        )
        after: dict[str, Any] = (
            {str(i): v for i, v in enumerate(new)} if isinstance(new, list) else new
        )
        cut: frozenset[Key] = frozenset()
        for key in list(before) + [key for key in after if key not in before]:
            if key not in after:
                at.report(removed, join(at.path, keyword), key, None)
            elif key not in before:
                at.report(added, join(at.path, keyword), None, key)
            else:
                cut |= at.compare(before[key], after[key], side, join(at.path, keyword, key))
        return cut

    def _compositions(self, o: View, n: View, at: _At) -> frozenset[Key]:
        cut: frozenset[Key] = frozenset()
        old_compositions = dict(o.compositions)
        # oneOf <-> anyOf over the same branches: one note, then compared as one keyword
        for was, now, slug in (
            ("oneOf", "anyOf", S.ONE_OF_BECAME_ANY_OF),
            ("anyOf", "oneOf", S.ANY_OF_BECAME_ONE_OF),
        ):
            others_old = set(old_compositions) - {"allOf"}
            if others_old == {was} and set(n.compositions) - {"allOf"} == {now}:
                at.report(slug, at.path, was, now)
                old_compositions[now] = old_compositions.pop(was)
        for keyword, slug in _COMPOSITIONS:
            old_branches = old_compositions.get(keyword, [])
            new_branches = n.compositions.get(keyword, [])
            if old_branches or new_branches:
                cut |= self._branches(old_branches, new_branches, keyword, slug, at, at.side)
        return cut

    def _branches(
        self, old: list[Any], new: list[Any], keyword: str, slug: str, at: _At, side: Side
    ) -> frozenset[Key]:
        """Branches of a ``oneOf``/``anyOf`` (or parts of an ``allOf``) removed, added, and the
        paired ones compared."""
        cut: frozenset[Key] = frozenset()
        where = join(at.path, keyword)
        pairs, removed, added = self._match(old, new)
        for i in removed:
            annotation = keyword == "allOf" and _only_annotations(self.old.deref(old[i]))
            at.report(f"{slug}-removed{'-annotation-only' if annotation else ''}", where,
                      _label(old[i], i), None)  # fmt: skip
        for j in added:
            annotation = keyword == "allOf" and _only_annotations(self.new.deref(new[j]))
            at.report(f"{slug}-added{'-annotation-only' if annotation else ''}", where, None,
                      _label(new[j], j))  # fmt: skip
        for i, j in pairs:
            cut |= at.compare(old[i], new[j], side, join(where, str(_label(new[j], j))))
        return cut

    def _all_of(self, o: View, n: View, at: _At) -> frozenset[Key]:
        """``allOf`` as a structure: parts added to or removed from an allOf that exists on both
        sides (a schema written as an allOf of equivalent parts, or merged into one, is the
        same schema), and annotation-only parts. What the parts require is compared on the
        merged schema (see :mod:`tools.specdiff.schema`); parts that could not be merged are
        also compared pairwise."""
        old_parts, new_parts = o.all_of, n.all_of
        if not old_parts and not new_parts:
            return frozenset()
        if old_parts and new_parts:
            if o.compositions.get("allOf") or n.compositions.get("allOf"):
                return self._branches(old_parts, new_parts, "allOf", "all-of", at, at.side)
            # merged: what the parts require was compared on the merged schema
            merged = replace(at, compare_subs=False)
            return self._branches(old_parts, new_parts, "allOf", "all-of", merged, at.side)
        where = join(at.path, "allOf")
        parts, resolver = (new_parts, self.new) if new_parts else (old_parts, self.old)
        for index, part in enumerate(parts):
            if _only_annotations(resolver.deref(part)):
                label = _label(part, index)
                if new_parts:
                    at.report(S.ALL_OF_ADDED_ANNOTATION_ONLY, where, None, label)
                else:
                    at.report(S.ALL_OF_REMOVED_ANNOTATION_ONLY, where, label, None)
        return frozenset()

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
        # same content: the same branch, unless they are two different components
        pair_by(
            lambda i: None if ref_name(old[i]) else canon(self.old.deref(old[i])),
            lambda j: canon(self.new.deref(new[j])),
        )
        pair_by(
            lambda i: canon(self.old.deref(old[i])),
            lambda j: None if ref_name(new[j]) else canon(self.new.deref(new[j])),
        )
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


@dataclass(frozen=True)
class _At:
    """Where a walk is: how its schemas are judged, its location, the pairs above it, the
    component it is in. ``compare_subs=False``: sub-schemas are not compared from here."""

    diff: SchemaDiff
    side: Side
    path: str
    stack: tuple[Key, ...]
    anchor: Anchor
    compare_subs: bool = True

    def report(self, slug: str, where: str, old: Any, new: Any) -> None:
        """Record schema change ``slug`` (if this side reports it)."""
        rule_id = S.schema_rule_id(self.side.subject, slug)
        if rule_id is not None:
            self.diff._record(rule_id, where, old, new, self.anchor)

    def compare(self, old: Any, new: Any, side: Side, where: str) -> frozenset[Key]:
        if not self.compare_subs:
            return frozenset()
        return self.diff._compare(old, new, side, where, self.stack, self.anchor)
