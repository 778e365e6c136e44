"""Validate an OpenAPI document: ``python -m tools.validate_spec [--examples] openapi.yaml``.

Prints every problem on one line (where in the document, and what is wrong) and exits 1,
or prints a one-line summary and exits 0. Dangling ``$ref``s are reported by name.

``--examples`` checks the document's examples instead: every ``example`` and ``examples``
value (inline or a ``$ref`` to ``components/examples``) of a media type, parameter or header,
and every schema's own ``example``/``examples``, must validate against the schema it
illustrates (JSON Schema 2020-12, formats not asserted). A ``text/event-stream`` example is a
stream: each of its events, as ``{"event": NAME, "data": PAYLOAD}`` with ``data`` parsed as
JSON (kept as text when it is not JSON, as ``[DONE]``), must validate against the schema.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from openapi_spec_validator import OpenAPIV31SpecValidator
from referencing import Registry
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

from portkey_runs._sse import SSEDecoder
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


_DOCUMENT_URI = "urn:openapi-document"
_EVENT_STREAM = "text/event-stream"


def _pointer(at: tuple[str, ...]) -> str:
    return "#/" + "/".join(part.replace("~", "~0").replace("/", "~1") for part in at)


def _example_values(
    document: dict[str, Any], holder: dict[str, Any], at: tuple[str, ...]
) -> Iterator[tuple[Any, tuple[str, ...]]]:
    """(value, location) of each example of a media type, parameter, header or schema."""
    if "example" in holder:
        yield holder["example"], (*at, "example")
    examples = holder.get("examples")
    if isinstance(examples, dict):
        for name, example in examples.items():
            where = (*at, "examples", str(name))
            if isinstance(example, dict) and isinstance(example.get("$ref"), str):
                where = (*where, f"$ref {example['$ref']}")
                example = resolve_pointer(document, example["$ref"])
            if isinstance(example, dict) and "value" in example:
                yield example["value"], where
    elif isinstance(examples, list):  # a schema's JSON Schema ``examples``
        for index, value in enumerate(examples):
            yield value, (*at, "examples", str(index))


def _illustrated(
    node: Any, at: tuple[str, ...] = (), media: str | None = None
) -> Iterator[tuple[dict[str, Any], tuple[str, ...], tuple[str, ...], str | None]]:
    """(holder, its location, its schema's location, media type) of everything that may
    carry examples: media types, parameters and headers with a ``schema``, and schemas."""
    if isinstance(node, dict):
        if isinstance(node.get("schema"), dict) and ("example" in node or "examples" in node):
            yield node, at, (*at, "schema"), media
        is_schema = len(at) >= 1 and (at[-1] == "schema" or at[:2] == ("components", "schemas"))
        if is_schema and len(at) != 2 and ("example" in node or "examples" in node):
            yield node, at, at, None
        for key, value in node.items():
            if key in ("example", "examples"):
                continue
            inner = key if len(at) >= 1 and at[-1] == "content" else media
            yield from _illustrated(value, (*at, str(key)), inner)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _illustrated(value, (*at, str(index)), media)


def _stream_events(text: str) -> list[dict[str, Any]]:
    decoder = SSEDecoder()
    events = decoder.feed(text.encode("utf-8")) + decoder.end()
    found: list[dict[str, Any]] = []
    for event in events:
        try:
            data: Any = json.loads(event.data)
        except ValueError:
            data = event.data
        found.append({"event": event.event, "data": data})
    return found


def _branch(document: dict[str, Any], pointer: str, instance: Any) -> str:
    """The schema a discriminated ``oneOf``/``anyOf`` at ``pointer`` picks for ``instance``
    (its mapping's target), else ``pointer``: an error then names the branch's own problem."""
    schema = resolve_pointer(document, pointer)
    while isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
        pointer = schema["$ref"]
        schema = resolve_pointer(document, pointer)
    discriminator = schema.get("discriminator") if isinstance(schema, dict) else None
    if isinstance(discriminator, dict) and isinstance(instance, dict):
        mapping = discriminator.get("mapping")
        chosen = instance.get(discriminator.get("propertyName"))
        if isinstance(mapping, dict) and isinstance(chosen, str):
            target = mapping.get(chosen)
            if isinstance(target, str) and target.startswith("#/"):
                return target
    return pointer


def example_problems(document: Any) -> list[str]:
    """Every example of ``document`` that does not validate against its schema."""
    if not isinstance(document, dict):
        return ["the document is not a mapping"]
    registry: Registry[Any] = Registry().with_resource(
        _DOCUMENT_URI, DRAFT202012.create_resource(document)
    )
    found: list[str] = []
    for holder, at, schema_at, media in _illustrated(document):
        for value, where in _example_values(document, holder, at):
            instances: list[tuple[Any, str]] = [(value, "")]
            if media == _EVENT_STREAM and schema_at != at:
                if not isinstance(value, str):
                    found.append(f"{_where(where)}: a {_EVENT_STREAM} example must be text")
                    continue
                events = _stream_events(value)
                if not events:
                    found.append(f"{_where(where)}: the stream holds no event")
                instances = [
                    (event, f" (event {i + 1}, {event['event']})") for i, event in enumerate(events)
                ]
            for instance, label in instances:
                target = _branch(document, _pointer(schema_at), instance)
                validator = Draft202012Validator(
                    {"$ref": _DOCUMENT_URI + target}, registry=registry
                )
                try:
                    err = best_match(validator.iter_errors(instance))
                except Unresolvable as exc:
                    found.append(f"{_where(where)}: unresolvable reference in its schema: {exc}")
                    break
                if err is not None:
                    inside = "/".join(str(part) for part in err.absolute_path)
                    detail = f" at {inside}" if inside else ""
                    message = err.message if len(err.message) <= 160 else err.message[:157] + "..."
                    found.append(f"{_where(where)}{label}{detail}: {message}")
    return found


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    examples = "--examples" in args
    if examples:
        args.remove("--examples")
    if len(args) != 1:
        print("usage: python -m tools.validate_spec [--examples] OPENAPI.yaml", file=sys.stderr)
        return 2
    path = Path(args[0])
    try:
        document = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        print(f"{path}: cannot read: {exc}", file=sys.stderr)
        return 1
    found = example_problems(document) if examples else problems(document)
    for line in found:
        print(f"{path}: {line}", file=sys.stderr)
    if examples:
        if found:
            print(f"{path}: {len(found)} example problem(s)", file=sys.stderr)
            return 1
        print(f"{path}: every example validates against its schema")
        return 0
    if found:
        print(f"{path}: {len(found)} problem(s); not a valid OpenAPI 3.1 document", file=sys.stderr)
        return 1
    print(f"{path}: valid OpenAPI {document.get('openapi')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
