"""Loading OpenAPI documents and resolving local ``$ref``s."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import yaml

#: How many ``$ref`` hops (or composition collapses) are followed before giving up on a node.
MAX_HOPS = 64


def resolve_pointer(document: Any, ref: str) -> Any:
    """The node a local ``$ref`` (``#/a/b~1c``) points at in ``document``, or ``None``."""
    node: Any = document
    pointer = unquote(ref[1:])
    if not pointer:
        return node
    for raw in pointer.lstrip("/").split("/"):
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


class SpecError(Exception):
    """The input is not a readable OpenAPI 3.x document."""


class _Loader(yaml.SafeLoader):
    """A safe loader that keeps dates as strings (an OpenAPI document is JSON data)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _plain(node: Any, memo: dict[int, Any]) -> Any:
    """A copy of ``node`` with every mapping key a string (YAML allows ``200:`` as an int key).

    Shared (aliased) nodes stay shared and cyclic ones stay cyclic.
    """
    if isinstance(node, dict):
        if id(node) in memo:
            return memo[id(node)]
        out: dict[str, Any] = {}
        memo[id(node)] = out
        for key, value in node.items():
            out[key if isinstance(key, str) else _key(key)] = _plain(value, memo)
        return out
    if isinstance(node, list):
        if id(node) in memo:
            return memo[id(node)]
        items: list[Any] = []
        memo[id(node)] = items
        items.extend(_plain(value, memo) for value in node)
        return items
    return node


def _key(key: Any) -> str:
    if isinstance(key, bool) or key is None:
        return json.dumps(key)
    return str(key)


def check_document(doc: Any, source: str) -> dict[str, Any]:
    """Return ``doc`` with string keys, or raise :class:`SpecError` if it is not OpenAPI 3.x."""
    if not isinstance(doc, dict):
        raise SpecError(f"{source}: not an OpenAPI document (top level is not a mapping)")
    version = doc.get("openapi")
    if not isinstance(version, str) or not version.startswith("3."):
        found = "no 'openapi' field" if version is None else f"openapi: {version!r}"
        raise SpecError(f"{source}: not an OpenAPI 3.x document ({found})")
    plain: dict[str, Any] = _plain(doc, {})
    if not isinstance(plain.get("paths", {}), dict):
        raise SpecError(f"{source}: 'paths' is not a mapping")
    return plain


def parse_text(text: str, source: str) -> dict[str, Any]:
    try:
        doc = yaml.load(text, Loader=_Loader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SpecError(f"{source}: not valid YAML ({detail})") from exc
    return check_document(doc, source)


def load_file(path: str | Path) -> dict[str, Any]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise SpecError(f"{path}: cannot read ({reason})") from exc
    return parse_text(text, str(path))


class Resolver:
    """Resolves local JSON-pointer ``$ref``s (``#/components/...``) inside one document.

    References it cannot follow (other files, URLs, dangling pointers) resolve to an opaque
    placeholder schema, which compares equal only to the same reference.
    """

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    def lookup(self, ref: str) -> Any:
        if not ref.startswith("#"):
            return None
        return resolve_pointer(self.document, ref)

    def deref(self, node: Any) -> Any:
        """Follow ``$ref`` chains; sibling keywords of a ``$ref`` are laid over its target."""
        hops = 0
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref: str = node["$ref"]
            target = self.lookup(ref)
            hops += 1
            if not isinstance(target, dict) or hops > MAX_HOPS:
                return {"x-unresolved-ref": ref}
            siblings = {key: value for key, value in node.items() if key != "$ref"}
            node = {**target, **siblings} if siblings else target
        return node


#: Keys next to a ``$ref`` that do not change what it means.
_REF_ANNOTATIONS = frozenset({"$ref", "description", "summary", "title", "example", "examples"})


def identity(node: Any, resolver: Resolver) -> int:
    """A stable identity for a schema node: that of the object its ``$ref`` chain ends at.

    A ``$ref`` with constraining siblings (3.1) is a schema of its own: its own identity.
    """
    hops = 0
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and hops < MAX_HOPS:
        if any(key not in _REF_ANNOTATIONS and not key.startswith("x-") for key in node):
            break
        target = resolver.lookup(node["$ref"])
        if not isinstance(target, dict):
            break
        node = target
        hops += 1
    return id(node)


def ref_name(node: Any) -> str | None:
    """The last segment of a node's ``$ref`` (``#/components/schemas/Run`` -> ``Run``)."""
    if isinstance(node, dict) and isinstance(node.get("$ref"), str):
        ref: str = node["$ref"]
        return ref.rstrip("/").rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~")
    return None
