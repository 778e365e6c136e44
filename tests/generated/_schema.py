"""Hypothesis strategies built from openapi.yaml itself, and a walker that pairs every value of an
instance with the schema that describes it (to mutate instances where the schema says how).

Only the subset of JSON Schema that openapi.yaml uses is supported: ``$ref``, ``oneOf`` (with or
without a discriminator), ``type`` (one or a list), ``const``, ``enum``, ``properties``,
``required``, ``additionalProperties``, ``items``, ``minimum``/``maximum``, ``maxLength``,
``maxProperties`` and ``propertyNames.maxLength``. Anything else fails loudly.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent.parent
SPEC: dict[str, Any] = yaml.safe_load((ROOT / "openapi.yaml").read_text())
SCHEMAS: dict[str, Any] = SPEC["components"]["schemas"]

Path_ = tuple[str | int, ...]

KNOWN_KEYWORDS = {
    "$ref",
    "oneOf",
    "discriminator",
    "type",
    "const",
    "enum",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "minimum",
    "maximum",
    "maxLength",
    "maxProperties",
    "propertyNames",
    "description",
    "default",
    "title",
}

# Scalar JSON values, for the values of free-form objects (FunctionParameters).
JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**31), 2**31),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(max_size=8),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=2), st.dictionaries(st.text(max_size=6), inner, max_size=2)
    ),
    max_leaves=4,
)


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = SCHEMAS[schema["$ref"].rsplit("/", 1)[-1]]
    # extensions (x-terminal) say nothing about which values are valid
    unknown = {k for k in set(schema) - KNOWN_KEYWORDS if not k.startswith("x-")}
    if unknown:
        raise NotImplementedError(f"JSON Schema keywords {sorted(unknown)} in {schema}")
    return schema


def types_of(schema: dict[str, Any]) -> set[str]:
    """The JSON types a schema admits ("any" when it does not restrict them)."""
    schema = resolve(schema)
    if "oneOf" in schema:
        return set().union(*(types_of(s) for s in schema["oneOf"]))
    if "const" in schema or "enum" in schema:
        values = [schema["const"]] if "const" in schema else schema["enum"]
        return {json_type(v) for v in values}
    declared = schema.get("type")
    if declared is None:
        return {"object"} if "properties" in schema or "additionalProperties" in schema else {"any"}
    return set(declared) if isinstance(declared, list) else {declared}


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def admits_type(schema: dict[str, Any], value: Any) -> bool:
    types = types_of(schema)
    kind = json_type(value)
    return "any" in types or kind in types or (kind == "integer" and "number" in types)


@cache
def named(name: str) -> st.SearchStrategy[Any]:
    """Valid instances of ``components/schemas/<name>``."""
    return strategy(SCHEMAS[name])


def strategy(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    if "$ref" in schema:
        return st.deferred(lambda: named(schema["$ref"].rsplit("/", 1)[-1]))
    schema = resolve(schema)
    if "oneOf" in schema:
        return st.one_of([strategy(s) for s in schema["oneOf"]])
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    declared = schema.get("type")
    if isinstance(declared, list):
        return st.one_of([strategy({**schema, "type": t}) for t in declared])
    if declared == "null":
        return st.none()
    if declared == "boolean":
        return st.booleans()
    if declared == "integer":
        return st.integers(schema.get("minimum", -(2**40)), schema.get("maximum", 2**40))
    if declared == "number":
        return st.floats(
            schema.get("minimum", -1e12),
            schema.get("maximum", 1e12),
            allow_nan=False,
            allow_infinity=False,
        )
    if declared == "string":
        return st.text(max_size=min(schema.get("maxLength", 12), 12))
    if declared == "array":
        return st.lists(strategy(schema["items"]), max_size=3)
    if declared == "object" or declared is None:
        return _object(schema)
    raise NotImplementedError(f"type {declared!r}")


def _object(schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    properties: dict[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", []))
    extra = schema.get("additionalProperties")
    if not properties:
        key_length = schema.get("propertyNames", {}).get("maxLength", 12)
        values = strategy(extra) if isinstance(extra, dict) else JSON_VALUES
        size = min(schema.get("maxProperties", 3), 3)
        return st.dictionaries(st.text(max_size=min(key_length, 12)), values, max_size=size)
    return st.fixed_dictionaries(
        {name: strategy(s) for name, s in properties.items() if name in required},
        optional={name: strategy(s) for name, s in properties.items() if name not in required},
    )


def branch(schema: dict[str, Any], value: Any) -> dict[str, Any]:
    """The branch of a ``oneOf`` that ``value`` is an instance of."""
    schema = resolve(schema)
    discriminator = schema.get("discriminator")
    if discriminator and isinstance(value, dict):
        mapping = discriminator["mapping"]
        ref = mapping.get(value.get(discriminator["propertyName"]))
        if ref is not None:
            return resolve({"$ref": ref})
    for candidate in schema["oneOf"]:
        if not admits_type(candidate, value):
            continue
        candidate = resolve(candidate)
        if "oneOf" in candidate:
            return branch(candidate, value)
        if isinstance(value, dict) and "properties" in candidate:
            consts = {
                k: s["const"] for k, s in candidate["properties"].items() if "const" in resolve(s)
            }
            if any(value.get(k) != c for k, c in consts.items() if k in value):
                continue
        return candidate
    raise AssertionError(f"{value!r} matches no branch of {schema}")


def sites(
    value: Any, schema: dict[str, Any], path: Path_ = ()
) -> Iterator[tuple[Path_, dict[str, Any], Any]]:
    """Every (path, schema, value) within an instance, outermost first. A ``oneOf`` site is
    reported with its union schema, then again with the branch the value takes."""
    schema = resolve(schema)
    yield path, schema, value
    if "oneOf" in schema:
        yield from sites(value, branch(schema, value), path)
    else:
        yield from _children(value, schema, path)


def _children(
    value: Any, schema: dict[str, Any], path: Path_
) -> Iterator[tuple[Path_, dict[str, Any], Any]]:
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            yield from sites(item, schema["items"], (*path, index))
    elif isinstance(value, dict):
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if key in properties:
                yield from sites(item, properties[key], (*path, key))
            elif isinstance(extra, dict):
                yield from sites(item, extra, (*path, key))


def get(value: Any, path: Path_) -> Any:
    for step in path:
        value = value[step]
    return value


def replaced(value: Any, path: Path_, new: Any) -> Any:
    """A copy of ``value`` with the value at ``path`` replaced by ``new``."""
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, list):
        assert isinstance(head, int)
        return [replaced(v, rest, new) if i == head else v for i, v in enumerate(value)]
    return {k: replaced(v, rest, new) if k == head else v for k, v in value.items()}


def without(value: Any, path: Path_) -> Any:
    """A copy of ``value`` without the property at ``path``."""
    parent, key = path[:-1], path[-1]
    container = dict(get(value, parent))
    del container[key]
    return replaced(value, parent, container)
