"""``--format github``: each change as a GitHub Actions workflow command on its line of the spec.

A finding names an operation and a location inside it in the spec's terms
(``responses/200/content/application/json/schema/data/items/service_tier``,
``parameters/query/limit/schema``); :func:`line_of` follows that location through the YAML
document of the new spec, as PyYAML composes it (its nodes keep their line; an alias is the
node of its anchor), resolving ``$ref``s on the way, so that the annotation lands where the
change is written: a property's key in its component schema, a parameter's definition, a
response. Where the new document lacks the rest of the location (something removed), the
deepest node it has is used. Block and flow style compose alike.

``::error`` for ERR, ``::warning`` for WARN, ``::notice`` for INFO; the Python API's breaking
changes are ``::error`` without a file (they concern the generated code, not a line).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import yaml

from tools.specdiff.loader import _Loader
from tools.specdiff.model import Finding
from tools.specdiff.render import group, value_text

if TYPE_CHECKING:
    from tools.specdiff.python_api import PyChange

COMMANDS = {"ERR": "error", "WARN": "warning", "INFO": "notice"}
_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
_COMBINERS = {"oneOf", "anyOf", "allOf"}
#: A word of a rule id → the schema keywords it is about (the line to point at).
_KEYWORDS = {
    "max": ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties"),
    "min": ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties"),
    "pattern": ("pattern",),
    "enum": ("enum",),
    "type": ("type",),
    "default": ("default",),
    "format": ("format",),
    "required": ("required",),
}


def compose(text: str) -> yaml.Node | None:
    """The YAML node tree of ``text`` (lines are ``node.start_mark.line``, from 0)."""
    return yaml.compose(text, Loader=_Loader)


def _get(node: yaml.Node, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    """(key node, value node) of ``key`` in a mapping node."""
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and str(k.value) == key:
                return k, v
    return None


def _scalar(node: yaml.Node, key: str) -> str | None:
    found = _get(node, key)
    return str(found[1].value) if found and isinstance(found[1], yaml.ScalarNode) else None


class _Walker:
    """Follows locations through a composed document, resolving local ``$ref``s."""

    def __init__(self, root: yaml.Node) -> None:
        self.root = root

    def deref(self, node: yaml.Node) -> yaml.Node:
        seen: set[str] = set()
        while (ref := _scalar(node, "$ref")) is not None and ref.startswith("#/"):
            if ref in seen:
                break
            seen.add(ref)
            target: yaml.Node | None = self.root
            for part in ref[2:].split("/"):
                step = _get(target, part.replace("~1", "/").replace("~0", "~")) if target else None
                target = step[1] if step else None
            if target is None:
                break
            node = target
        return node

    def operation(self, operation: str) -> tuple[yaml.Node, int] | None:
        method, _, path = operation.partition(" ")
        paths = _get(self.root, "paths")
        item = _get(paths[1], path) if paths else None
        found = _get(self.deref(item[1]), method.lower()) if item else None
        return (found[1], found[0].start_mark.line) if found else None

    def parameter(self, operation: str, where: str, name: str) -> yaml.Node | None:
        method, _, path = operation.partition(" ")
        paths = _get(self.root, "paths")
        item = _get(paths[1], path) if paths else None
        if not item:
            return None
        lists = [_get(self.deref(item[1]), "parameters")]
        op = _get(self.deref(item[1]), method.lower())
        if op:
            lists.insert(0, _get(op[1], "parameters"))
        for found in lists:
            if found and isinstance(found[1], yaml.SequenceNode):
                for entry in found[1].value:
                    parameter = self.deref(entry)
                    if _scalar(parameter, "in") == where and _scalar(parameter, "name") == name:
                        return parameter
        return None

    def branch(
        self, node: yaml.Node, segment: str, following: list[str]
    ) -> tuple[yaml.Node, yaml.Node] | None:
        """``oneOf`` (``anyOf``, ``allOf``) then a schema name or an index: that branch."""
        branches = _get(node, segment) if segment in _COMBINERS and following else None
        if not branches or not isinstance(branches[1], yaml.SequenceNode):
            return None
        for number, branch in enumerate(branches[1].value):
            ref = _scalar(branch, "$ref") or ""
            if following[0] in (ref.rsplit("/", 1)[-1], str(number)):
                return branch, branch
        return None

    def walk(self, node: yaml.Node, line: int, segments: list[str], rule: str = "") -> int:
        """The line of the deepest node of ``segments`` below ``node`` (``line`` its own); at
        the end of the location, the line of the keyword ``rule`` is about, if written."""
        index = 0
        while index < len(segments):
            node = self.deref(node)
            segment = segments[index]
            step = self.branch(node, segment, segments[index + 1 : index + 2])
            if step is not None:  # oneOf/NAME: the branch that refers to NAME
                index += 1
            else:
                step = _get(node, segment)
            if step is None and index + 1 < len(segments):  # media types hold a slash
                step = _get(node, f"{segment}/{segments[index + 1]}")
                index += 1 if step else 0
            if step is None:
                properties = _get(node, "properties")
                step = _get(properties[1], segment) if properties else None
            if step is None:
                return line
            node, line = step[1], step[0].start_mark.line
            index += 1
        node = self.deref(node)
        for token, keywords in _KEYWORDS.items():
            if token in rule.split("-"):
                for keyword in keywords:
                    if found := _get(node, keyword):
                        return found[0].start_mark.line
        return line


def line_of(root: yaml.Node, finding: Finding) -> int:
    """The 1-based line of the spec that ``finding`` concerns."""
    walker = _Walker(root)
    segments = [s for s in finding.path.split("/") if s]
    if finding.operation is None or finding.operation.startswith("WEBHOOK"):
        return walker.walk(root, 0, segments, finding.id) + 1
    found = walker.operation(finding.operation)
    if found is None:  # an operation the new document lacks: its path, else the top
        return walker.walk(root, 0, ["paths", finding.operation.partition(" ")[2]]) + 1
    operation, line = found
    if len(segments) >= 3 and segments[0] == "parameters":
        parameter = walker.parameter(finding.operation, segments[1], segments[2])
        if parameter is not None:
            line = parameter.start_mark.line
            return walker.walk(parameter, line, segments[3:], finding.id) + 1
        return walker.walk(operation, line, segments[:1]) + 1
    return walker.walk(operation, line, segments, finding.id) + 1


def _escape(text: str, *, property_value: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if property_value else text


def render_github(
    findings: Sequence[Finding],
    spec_file: str,
    spec_text: str,
    python: Sequence[PyChange] | None = None,
) -> str:
    """One workflow command per change (its first location's line), then one per breaking
    change of the Python API."""
    root = compose(spec_text)
    lines: list[str] = []
    for change in group(findings):
        first = change.findings[0]
        line = line_of(root, first) if root is not None else 1
        where = change.cause or (f"{first.operation or '(document)'} {first.path}".strip())
        uses = f" ({len(change.findings)} locations)" if len(change.findings) > 1 else ""
        message = (
            f"{where}: {change.summary}: {value_text(change.old)} → {value_text(change.new)}{uses}"
        )
        title = f"{change.level} {change.id}"
        lines.append(
            f"::{COMMANDS[change.level]} file={_escape(spec_file, property_value=True)},"
            f"line={line},title={_escape(title, property_value=True)}::{_escape(message)}"
        )
    for py in python or ():
        if py.level == "ERR":
            title = f"Python API {py.kind}"
            lines.append(
                f"::error title={_escape(title, property_value=True)}::"
                f"{_escape(f'{py.path}: {py.summary}')}"
            )
    return "".join(f"{line}\n" for line in lines)
