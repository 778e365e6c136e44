"""The facts of ``openapi.yaml`` the overlay relies on, as a generated module.

``make generate`` writes them into ``portkey_runs_api/spec_facts.py`` (see :func:`render`), so
that the overlay reads the limits, defaults, enum values, event names, terminal statuses and
header names from the generated layer instead of keeping copies: a spec change followed by
``make generate`` is all the client needs to follow it.

Most facts are plain OpenAPI (a parameter's ``minimum``, an enum, a discriminator's mapping).
One is not expressible in OpenAPI and is declared with an extension on the schema it concerns:

* ``x-terminal`` on ``RunStatus``: the statuses after which a run does nothing more (the tool
  loop stops there). Every value must be one of the enum's.
* ``x-needed`` on any object schema: the properties the client reads to do its job (typed at
  arrival, enforced even in a tolerant read); ``x-eager``: properties typed at arrival too
  (those on the way to needed ones, a delta's text), read tolerantly. The templates type the
  other nested properties when first read. Every name must be one of the schema's
  properties, and a schema with an ``index`` (a delta's) must name it in ``x-needed``.
"""

from __future__ import annotations

from typing import Any

#: The operation, schemas and parameters the facts are read from.
LIST_OPERATION = "listRuns"
RUN_STATUS = "RunStatus"
STREAM_EVENT = "AssistantStreamEvent"
CURSORS = ("after", "before")

MODULE = "spec_facts.py"


class FactError(Exception):
    """The spec lacks a fact the overlay relies on (or states it inconsistently)."""


def _resolve(spec: dict[str, Any], node: Any) -> Any:
    """``node`` with local ``$ref``s followed (``#/a/b`` only)."""
    seen: set[str] = set()
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        ref = node["$ref"]
        if not ref.startswith("#/") or ref in seen:
            raise FactError(f"cannot follow $ref {ref!r}")
        seen.add(ref)
        node = spec
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or part not in node:
                raise FactError(f"$ref {ref!r} points nowhere")
            node = node[part]
    return node


def _operation(spec: dict[str, Any], operation_id: str) -> dict[str, Any]:
    for item in (spec.get("paths") or {}).values():
        for operation in (item or {}).values():
            if isinstance(operation, dict) and operation.get("operationId") == operation_id:
                return operation
    raise FactError(f"no operation {operation_id!r}")


def _parameters(spec: dict[str, Any], operation: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = (_resolve(spec, p) for p in operation.get("parameters") or [])
    return {p["name"]: p for p in found if isinstance(p, dict) and "name" in p}


def _schema(spec: dict[str, Any], name: str) -> dict[str, Any]:
    schema = _resolve(spec, ((spec.get("components") or {}).get("schemas") or {}).get(name))
    if not isinstance(schema, dict):
        raise FactError(f"no schema {name!r}")
    return schema


def _need(node: dict[str, Any], key: str, where: str) -> Any:
    if key not in node:
        raise FactError(f"{where} has no {key}")
    return node[key]


def needed(spec: dict[str, Any]) -> frozenset[tuple[str, str]]:
    """The (schema, property) pairs of every ``x-needed``, checked against the schemas."""
    found: set[tuple[str, str]] = set()
    schemas = (spec.get("components") or {}).get("schemas") or {}
    for name in schemas:
        schema = _schema(spec, name)
        properties = schema.get("properties") or {}
        listed = schema.get("x-needed", [])
        for extension in ("x-needed", "x-eager"):
            names = schema.get(extension, [])
            if not isinstance(names, list):
                raise FactError(f"{name} {extension} is not a list")
            unknown = [p for p in names if p not in properties]
            if unknown:
                raise FactError(f"{name} {extension} names {unknown} which are not its properties")
        if "index" in properties and "index" not in listed:
            raise FactError(f"{name} has an index (a delta's) that its x-needed does not name")
        found.update((name, p) for p in listed)
    return frozenset(found)


def facts(spec: dict[str, Any]) -> dict[str, Any]:
    """The facts, by the constant name the generated module gives them."""
    listing = _parameters(spec, _operation(spec, LIST_OPERATION))
    if "limit" not in listing or "order" not in listing:
        raise FactError(f"{LIST_OPERATION} lacks the limit or order parameter")
    limit = _resolve(spec, listing["limit"].get("schema") or {})
    order = _resolve(spec, listing["order"].get("schema") or {})
    where = f"{LIST_OPERATION} parameter"
    orders = list(_need(order, "enum", f"{where} order"))
    status = _schema(spec, RUN_STATUS)
    statuses = list(_need(status, "enum", RUN_STATUS))
    terminal = list(_need(status, "x-terminal", RUN_STATUS))
    unknown = [s for s in terminal if s not in statuses]
    if unknown:
        raise FactError(f"{RUN_STATUS} x-terminal names {unknown} which are not in its enum")
    mapping = (_schema(spec, STREAM_EVENT).get("discriminator") or {}).get("mapping") or {}
    if not mapping:
        raise FactError(f"{STREAM_EVENT} has no discriminator mapping")
    cursors = {}
    for name in CURSORS:
        schema = _resolve(spec, (listing.get(name) or {}).get("schema") or {})
        cursors[name] = int(schema.get("minLength", 0))
    schemes = (spec.get("components") or {}).get("securitySchemes") or {}
    headers = {
        key: scheme["name"]
        for key, scheme in sorted(schemes.items())
        if isinstance(scheme, dict) and scheme.get("in") == "header"
    }
    beta = _resolve(spec, listing.get("OpenAI-Beta", {}).get("schema") or {})
    return {
        "LIMIT_MINIMUM": int(_need(limit, "minimum", f"{where} limit")),
        "LIMIT_MAXIMUM": int(_need(limit, "maximum", f"{where} limit")),
        "LIMIT_DEFAULT": int(_need(limit, "default", f"{where} limit")),
        "ORDERS": tuple(orders),
        "ORDER_DEFAULT": order.get("default", orders[0]),
        "CURSOR_MIN_LENGTH": cursors,
        "EVENT_NAMES": tuple(mapping),
        "EVENT_MODELS": {name: str(ref).rsplit("/", 1)[-1] for name, ref in mapping.items()},
        "RUN_STATUSES": tuple(statuses),
        "TERMINAL_RUN_STATUSES": tuple(terminal),
        "SECURITY_HEADERS": headers,
        "OPENAI_BETA": ("OpenAI-Beta", _need(beta, "default", "OpenAI-Beta")),
        "NEEDED": needed(spec),
    }


_DOCS = {
    "LIMIT_MINIMUM": "The least ``limit`` of a listing.",
    "LIMIT_MAXIMUM": "The greatest ``limit`` of a listing.",
    "LIMIT_DEFAULT": "The ``limit`` the server applies when none is sent.",
    "ORDERS": "The values of ``order``.",
    "ORDER_DEFAULT": "The ``order`` the server applies when none is sent.",
    "CURSOR_MIN_LENGTH": "The least length of each cursor parameter.",
    "EVENT_NAMES": "The SSE names of the events of a run's stream (``AssistantStreamEvent``).",
    "EVENT_MODELS": "The generated model of each event, by SSE name.",
    "RUN_STATUSES": "Every status of a run.",
    "TERMINAL_RUN_STATUSES": "The statuses after which a run does nothing more (``x-terminal``).",
    "SECURITY_HEADERS": "The header each security scheme is sent in, by scheme.",
    "OPENAI_BETA": "The ``OpenAI-Beta`` header and the one value the spec allows.",
    "NEEDED": "The (model, property) pairs the client reads to do its job (``x-needed``).",
}


class _Sorted(frozenset[tuple[str, str]]):
    """A frozenset whose ``repr`` lists its items in order (the generated module is stable)."""

    def __repr__(self) -> str:
        return f"frozenset({sorted(self)!r})"


def render(found: dict[str, Any]) -> str:
    """The module's source (before formatting)."""
    lines = [
        '"""Facts of openapi.yaml the hand-written overlay relies on (tools/spec_facts.py)."""',
        "",
        "from typing import Literal",
        "",
        f"Order = Literal[{', '.join(repr(o) for o in found['ORDERS'])}]",
        '"""The type of ``order``."""',
    ]
    for name, value in found.items():
        typed = f"{name}: Order" if name == "ORDER_DEFAULT" else name
        if isinstance(value, frozenset):  # sorted: a set's order changes from run to run
            typed, value = f"{name}: frozenset[tuple[str, str]]", _Sorted(value)
        lines += [f"{typed} = {value!r}", f'"""{_DOCS[name]}"""']
    return "\n".join(lines) + "\n"
