"""Validate an OpenAPI document: ``python -m tools.validate_spec openapi.yaml``.

Prints every problem on one line (where in the document, and what is wrong) and exits 1,
or prints a one-line summary and exits 0. Dangling ``$ref``s are reported by name.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from openapi_spec_validator import OpenAPIV31SpecValidator
from referencing.exceptions import Unresolvable

from tools.specdiff.loader import resolve_pointer


def _where(path: Any) -> str:
    return "/".join(str(part) for part in path) or "(document root)"


def _local_refs(node: Any, at: tuple[str, ...] = ()) -> Iterator[tuple[str, tuple[str, ...]]]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            yield ref, at
        for key, value in node.items():
            yield from _local_refs(value, (*at, str(key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _local_refs(value, (*at, str(index)))


def _schemas(node: Any, at: tuple[str, ...] = ()) -> Iterator[tuple[Any, tuple[str, ...]]]:
    """Every schema object of the document with its location (schemas under ``schema`` keys
    and in ``components/schemas``); nested subschemas are checked as part of their parent.
    ``example``/``examples`` values are data, not document structure: never searched."""
    if isinstance(node, dict):
        for key, value in node.items():
            here = (*at, str(key))
            if key == "schema" or at == ("components", "schemas"):
                yield value, here
            elif key not in ("example", "examples"):
                yield from _schemas(value, here)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _schemas(value, (*at, str(index)))


def problems(document: Any) -> list[str]:
    """Every problem found in ``document``, one readable line each."""
    if not isinstance(document, dict):
        return ["the document is not a mapping"]
    found = [
        f"{_where(at)}: $ref {ref!r} points at nothing"
        for ref, at in _local_refs(document)
        if resolve_pointer(document, ref) is None
    ]
    meta = Draft202012Validator(Draft202012Validator.META_SCHEMA)
    for schema, at in _schemas(document):
        for err in meta.iter_errors(schema):
            found.append(f"{_where((*at, *err.absolute_path))}: {err.message}")
    if found:
        return found  # the OpenAPI validator would say the same with less precise locations
    try:
        errors = list(OpenAPIV31SpecValidator(document).iter_errors())
    except Unresolvable as exc:
        return [f"unresolvable reference: {exc}"]
    return [f"{_where(err.absolute_path)}: {err.message}" for err in errors]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m tools.validate_spec OPENAPI.yaml", file=sys.stderr)
        return 2
    path = Path(args[0])
    try:
        document = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        print(f"{path}: cannot read: {exc}", file=sys.stderr)
        return 1
    found = problems(document)
    for line in found:
        print(f"{path}: {line}", file=sys.stderr)
    if found:
        print(f"{path}: {len(found)} problem(s); not a valid OpenAPI 3.1 document", file=sys.stderr)
        return 1
    print(f"{path}: valid OpenAPI {document.get('openapi')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
