"""A normalised view of a JSON Schema, so that equivalent spellings compare equal.

Normalisation (per schema node, not recursive; sub-schemas are normalised when visited):

* ``$ref`` is followed (sibling keywords are laid over the target);
* nullability is one flag, whichever way it is spelled: 3.0 ``nullable: true``, 3.1
  ``type: [x, 'null']``, a ``null`` in ``enum``, or a ``{type: 'null'}`` branch of
  ``oneOf``/``anyOf``;
* a ``oneOf``/``anyOf`` left with a single branch, and any ``allOf`` whose parts do not conflict,
  are merged into the node (``allOf: [{$ref: X}]`` is just ``X``);
* a ``oneOf``/``anyOf`` whose branches are all bare ``{type: x}`` is the 3.1 ``type: [x, ...]``;
* ``const: x`` is the one-value ``enum: [x]``;
* 3.0 boolean ``exclusiveMaximum: true`` + ``maximum: m`` is 3.1 ``exclusiveMaximum: m``;
* a ``$ref`` that cannot be followed (another file, a URL) is kept as its text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from tools.specdiff.loader import MAX_HOPS, Resolver, identity, ref_name

#: JSON Schema keywords compared by their text, conservatively: a value that was valid may not
#: be any more whenever one is added or changed (request: ERR), or removed (response: ERR).
#: keyword -> rule slug; ``uniqueItems: false`` counts as absent, so it is never "changed".
KEYWORDS: dict[str, str] = {
    "multipleOf": "multiple-of",
    "uniqueItems": "unique-items",
    "dependentRequired": "dependent-required",
}

#: JSON Schema bound keyword -> (rule slug, True for an upper bound / False for a lower one)
BOUNDS: dict[str, tuple[str, bool]] = {
    "maximum": ("max", True),
    "exclusiveMaximum": ("exclusive-max", True),
    "maxLength": ("max-length", True),
    "maxItems": ("max-items", True),
    "maxProperties": ("max-properties", True),
    "maxContains": ("max-contains", True),
    "minimum": ("min", False),
    "exclusiveMinimum": ("exclusive-min", False),
    "minLength": ("min-length", False),
    "minItems": ("min-items", False),
    "minProperties": ("min-properties", False),
    "minContains": ("min-contains", False),
}

#: keywords whose value is one sub-schema, compared by descending into it
SUB_SCHEMA_KEYWORDS = (
    "not",
    "if",
    "then",
    "else",
    "propertyNames",
    "contains",
    "contentSchema",
    "unevaluatedItems",
    "unevaluatedProperties",
)

#: Keywords that never change which values are valid; on a merge the first one wins.
ANNOTATIONS = frozenset(
    {"title", "description", "example", "examples", "externalDocs", "xml", "$comment", "summary"}
)

#: Stands for a missing schema (one stable object, so that its identity means one thing).
EMPTY: dict[str, Any] = {}

OPEN = "open"  # additionalProperties absent / true / {}
CLOSED = "closed"  # additionalProperties: false


def join(*parts: str) -> str:
    """A slash-separated location from its non-empty parts."""
    return "/".join(part for part in parts if part)


def canon(value: Any) -> str:
    """A canonical JSON text for equality tests (``True`` and ``1`` stay different)."""
    try:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    except (ValueError, TypeError):  # a cyclic YAML alias: never equal to anything else
        return f"<cyclic {id(value)}>"


def is_null_schema(node: Any) -> bool:
    if not isinstance(node, dict):
        return False
    kind = node.get("type")
    if kind == "null" or kind == ["null"]:
        return True
    return node.get("enum") == [None] or ("const" in node and node["const"] is None)


def merge_parts(parts: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Merge schemas that must all hold (``allOf``) into one, or ``None`` if they conflict."""
    out: dict[str, Any] = {}
    for part in parts:
        for key, value in part.items():
            if key not in out:
                out[key] = dict(value) if key == "properties" and isinstance(value, dict) else value
            elif key == "properties" and isinstance(value, dict):
                props: dict[str, Any] = out[key]
                for name, schema in value.items():
                    if name in props and canon(props[name]) != canon(schema):
                        return None
                    props.setdefault(name, schema)
            elif key == "required" and isinstance(value, list) and isinstance(out[key], list):
                out[key] = out[key] + [name for name in value if name not in out[key]]
            elif key in ANNOTATIONS or key.startswith("x-"):
                continue
            elif canon(out[key]) != canon(value):
                return None
    return out


@dataclass
class View:
    """The comparable facts of one schema node."""

    raw: dict[str, Any]
    #: identity of the document node this view stands for (see ``loader.identity``); a
    #: composition collapsed to a single component takes that component's identity
    ident: int = 0
    types: frozenset[str] | None = None
    format: str | None = None
    nullable: bool = False
    values: list[Any] | None = None
    is_const: bool = False
    bounds: dict[str, float] = field(default_factory=dict)
    pattern: str | None = None
    has_default: bool = False
    default: Any = None
    properties: dict[str, Any] = field(default_factory=dict)
    required: frozenset[str] = frozenset()
    additional: Any = OPEN
    items: Any = None
    compositions: dict[str, list[Any]] = field(default_factory=dict)
    #: the node's own ``allOf`` parts as written (before they were merged into the view)
    all_of: list[Any] = field(default_factory=list)
    deprecated: bool = False
    read_only: bool = False
    write_only: bool = False
    discriminator: dict[str, Any] | None = None
    #: the keywords of :data:`KEYWORDS` that are present, with their values
    keywords: dict[str, Any] = field(default_factory=dict)
    #: the keywords of :data:`SUB_SCHEMA_KEYWORDS` that are present, with their sub-schemas
    subs: dict[str, Any] = field(default_factory=dict)
    pattern_properties: dict[str, Any] = field(default_factory=dict)
    dependent_schemas: dict[str, Any] = field(default_factory=dict)
    prefix_items: list[Any] = field(default_factory=list)
    #: the text of a ``$ref`` that could not be followed
    unresolved: str | None = None

    @property
    def has_composition(self) -> bool:
        return any(self.compositions.values())


def _only_annotations(node: dict[str, Any]) -> bool:
    return all(key in ANNOTATIONS or key.startswith("x-") or key == "nullable" for key in node)


def _type_union(branches: list[Any], resolver: Resolver) -> list[str] | None:
    """The types of branches that are all bare ``{type: x}``, or ``None``."""
    types: list[str] = []
    for branch in branches:
        node = resolver.deref(branch)
        if not isinstance(node, dict) or not isinstance(node.get("type"), str):
            return None
        if not all(key == "type" or key in ANNOTATIONS for key in node):
            return None
        types.append(node["type"])
    if {"integer", "number"} <= set(types) or len(set(types)) != len(types):
        return None  # overlapping branches: oneOf would reject an integer
    return types


def _collapse(
    node: dict[str, Any], resolver: Resolver, ident: int
) -> tuple[dict[str, Any], bool, int]:
    """Strip null branches and merge trivial compositions; returns (node, nullable, ident)."""
    nullable = False
    for _ in range(MAX_HOPS):
        changed = False
        for key in ("oneOf", "anyOf"):
            branches = node.get(key)
            if not isinstance(branches, list):
                continue
            kept = [branch for branch in branches if not is_null_schema(resolver.deref(branch))]
            rest = {k: v for k, v in node.items() if k != key}
            if len(kept) != len(branches):
                nullable = True
                node = {**rest, key: kept} if kept else rest
                changed = True
            union = _type_union(kept, resolver) if len(kept) > 1 else None
            if union is not None and "type" not in rest:
                node = {**rest, "type": union}
                changed = True
            elif len(kept) == 1:
                branch = resolver.deref(kept[0])
                merged = merge_parts([rest, branch]) if isinstance(branch, dict) else None
                if merged is not None:
                    if _only_annotations(rest):
                        ident = identity(kept[0], resolver)
                    node = merged
                    changed = True
        all_of = node.get("allOf")
        if isinstance(all_of, list):
            rest = {k: v for k, v in node.items() if k != "allOf"}
            parts = [resolver.deref(branch) for branch in all_of]
            if all(isinstance(part, dict) for part in parts):
                merged = merge_parts([rest, *parts])
                if merged is not None:
                    if len(all_of) == 1 and _only_annotations(rest):
                        ident = identity(all_of[0], resolver)
                    node = merged
                    changed = True
        if not changed:
            break
    return node, nullable, ident


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def view(node: Any, resolver: Resolver) -> View:
    resolved = resolver.deref(node)
    if not isinstance(resolved, dict):
        # `true` accepts anything, `false` nothing; treat both as unconstrained
        return View(raw={}, ident=identity(node, resolver))
    raw, nullable, ident = _collapse(resolved, resolver, identity(node, resolver))
    result = View(raw=raw, ident=ident)
    written = resolved.get("allOf")
    if isinstance(written, list):
        result.all_of = written
    unresolved = raw.get("x-unresolved-ref")
    result.unresolved = unresolved if isinstance(unresolved, str) else None

    kind = raw.get("type")
    if isinstance(kind, str):
        kind = [kind]
    if isinstance(kind, list):
        names = {str(name) for name in kind}
        if "null" in names:
            nullable = True
        result.types = frozenset(names - {"null"})
    if raw.get("nullable") is True:
        nullable = True
    fmt = raw.get("format")
    result.format = fmt if isinstance(fmt, str) else None

    enum = raw.get("enum")
    if isinstance(enum, list):
        if None in enum:
            nullable = True
        result.values = [value for value in enum if value is not None]
    if "const" in raw:
        if raw["const"] is None:
            nullable = True
        else:
            result.values = [raw["const"]]
            result.is_const = True
    result.nullable = nullable

    for keyword in BOUNDS:
        number = _number(raw.get(keyword))
        if number is not None:
            result.bounds[keyword] = number
    for exclusive, inclusive in (("exclusiveMaximum", "maximum"), ("exclusiveMinimum", "minimum")):
        if raw.get(exclusive) is True and inclusive in result.bounds:  # OpenAPI 3.0 spelling
            result.bounds[exclusive] = result.bounds.pop(inclusive)

    pattern = raw.get("pattern")
    result.pattern = pattern if isinstance(pattern, str) and pattern else None  # '': none
    result.has_default = "default" in raw
    result.default = raw.get("default")

    props = raw.get("properties")
    if isinstance(props, dict):
        result.properties = props
    required = raw.get("required")
    if isinstance(required, list):
        result.required = frozenset(name for name in required if isinstance(name, str))
    extra = raw.get("additionalProperties", True)
    if extra is False:
        result.additional = CLOSED
    elif isinstance(extra, dict) and extra:
        result.additional = extra
    items = raw.get("items")
    result.items = items if isinstance(items, dict) else None
    for key in ("oneOf", "anyOf", "allOf"):
        branches = raw.get(key)
        if isinstance(branches, list) and branches:
            result.compositions[key] = branches
    result.deprecated = raw.get("deprecated") is True
    result.read_only = raw.get("readOnly") is True
    result.write_only = raw.get("writeOnly") is True
    discriminator = raw.get("discriminator")
    result.discriminator = discriminator if isinstance(discriminator, dict) else None
    for keyword in KEYWORDS:
        if keyword in raw and raw[keyword] is not False:
            result.keywords[keyword] = raw[keyword]
    for keyword in SUB_SCHEMA_KEYWORDS:
        if isinstance(raw.get(keyword), dict | bool):
            result.subs[keyword] = raw[keyword]
    for name, attribute in (
        ("patternProperties", "pattern_properties"),
        ("dependentSchemas", "dependent_schemas"),
    ):
        value = raw.get(name)
        if isinstance(value, dict):
            setattr(result, attribute, value)
    prefix = raw.get("prefixItems")
    if isinstance(prefix, list):
        result.prefix_items = prefix
    return result


def type_text(v: View, *, nullable: bool = True) -> str:
    """``string``, ``string(date-time)``, ``integer | string``, ``string | null``, ``any``
    (``nullable=False``: without the ``| null``)."""
    if v.types is None:
        text = "any"
    elif not v.types:
        text = "null"
    else:
        text = " | ".join(sorted(v.types))
    if v.format:
        text = f"{text}({v.format})" if " | " not in text else f"({text})({v.format})"
    if nullable and v.nullable and text not in ("any", "null"):
        text = f"{text} | null"
    return text


class TypeText(str):
    """A type description (``string | null``), not a value: rendered without quotes."""


def describe(node: Any, resolver: Resolver) -> TypeText:
    """A short label for a schema: its component name (``Run``, ``Run | null``), else its full
    type (``string | null``)."""
    v = view(node, resolver)
    name = ref_name(node)
    if name is None:
        return TypeText(type_text(v))
    return TypeText(f"{name} | null" if v.nullable else name)


#: format -> the formats whose values it also holds
WIDER_FORMATS = {"int64": frozenset({"int32"}), "double": frozenset({"float"})}


def covers(wide: View, narrow: View) -> bool:
    """Whether every value of ``narrow``'s type/format is also of ``wide``'s type/format."""
    if wide.types is not None:
        if narrow.types is None:
            return False
        for name in narrow.types:
            if name not in wide.types and not (name == "integer" and "number" in wide.types):
                return False
    if wide.format is None or wide.format == narrow.format:
        return True
    return narrow.format in WIDER_FORMATS.get(wide.format, frozenset())
