"""Walk two OpenAPI documents operation by operation and collect classified findings."""

from __future__ import annotations

import json
import re
from typing import Any

from tools.specdiff.loader import Resolver, check_document
from tools.specdiff.model import LEVEL_RANK, Finding
from tools.specdiff.rules import RULES
from tools.specdiff.schema_diff import EMPTY, SchemaDiff, join
from tools.specdiff.security import (
    effective_security,
    effective_servers,
    security_changes,
    server_changes,
)

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_TEMPLATE = re.compile(r"\{([^}/]*)\}")


def diff_specs(old: dict[str, Any], new: dict[str, Any]) -> list[Finding]:
    """Every classified difference from ``old`` to ``new`` (two parsed OpenAPI 3.x documents).

    Sorted most severe first, then by operation and location. Raises
    :class:`~tools.specdiff.loader.SpecError` if either is not an OpenAPI 3.x document.
    """
    walker = _Walker(check_document(old, "old document"), check_document(new, "new document"))
    walker.run()
    unique = {
        json.dumps(f.as_dict(), sort_keys=True, default=str): f for f in walker.findings
    }.values()
    return sorted(unique, key=lambda f: (LEVEL_RANK[f.level], f.operation or "", f.path, f.id))


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _template_key(path: str) -> str:
    return _TEMPLATE.sub("{}", path)


def _index_paths(paths: dict[str, Any]) -> dict[str, str]:
    """Template key (``/a/{}``) -> path as written; paths differing only in names match."""
    index: dict[str, str] = {}
    clashes: set[str] = set()
    for path in paths:
        key = _template_key(path)
        if key in index:
            clashes.add(key)
        index.setdefault(key, path)
    for key in clashes:  # ambiguous templates: fall back to exact spelling
        del index[key]
    for path in paths:
        if _template_key(path) in clashes:
            index[path] = path
    return index


def _is_success(status: str) -> bool:
    return status.startswith("2")


def media_key(media: str) -> str:
    """``Application/JSON; charset=utf-8`` -> ``application/json``: parameters do not change
    which schema applies."""
    return media.split(";", 1)[0].strip().lower()


#: ``in`` -> the default ``style``; ``explode`` defaults to True for ``form`` only
_DEFAULT_STYLE = {"query": "form", "cookie": "form", "path": "simple", "header": "simple"}


def _serialization(param: dict[str, Any], where: str) -> tuple[Any, Any]:
    """The effective (style, explode) of a parameter."""
    style = param.get("style", _DEFAULT_STYLE.get(where))
    return style, param.get("explode", style == "form")


class _Walker:
    def __init__(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        self.old_doc, self.new_doc = old, new
        self.old, self.new = Resolver(old), Resolver(new)
        self.findings: list[Finding] = []
        self.operation: str | None = None
        self.schemas = SchemaDiff(self.old, self.new, self.emit)

    def emit(self, rule_id: str, path: str, old: Any, new: Any) -> None:
        self.findings.append(Finding(rule_id, RULES[rule_id], self.operation, path, old, new))

    def run(self) -> None:
        old_paths, new_paths = (
            _mapping(self.old_doc.get("paths")),
            _mapping(self.new_doc.get("paths")),
        )
        old_index, new_index = _index_paths(old_paths), _index_paths(new_paths)
        for key in sorted(set(old_index) | set(new_index)):
            old_path, new_path = old_index.get(key), new_index.get(key)
            old_item = _mapping(self.old.deref(old_paths[old_path])) if old_path else None
            new_item = _mapping(self.new.deref(new_paths[new_path])) if new_path else None
            self._path_item(old_path, new_path, old_item, new_item)
        self.operation = None
        old_schemas = _mapping(_mapping(self.old_doc.get("components")).get("schemas"))
        new_schemas = _mapping(_mapping(self.new_doc.get("components")).get("schemas"))
        for name in old_schemas:
            if name not in new_schemas:
                self.emit("api-schema-removed", join("components/schemas", name), name, None)

    def _path_item(
        self,
        old_path: str | None,
        new_path: str | None,
        old_item: dict[str, Any] | None,
        new_item: dict[str, Any] | None,
    ) -> None:
        for method in METHODS:
            old_op = _mapping(old_item.get(method)) if old_item and method in old_item else None
            new_op = _mapping(new_item.get(method)) if new_item and method in new_item else None
            if old_op is None and new_op is None:
                continue
            self.operation = f"{method.upper()} {new_path if new_op is not None else old_path}"
            if new_op is None:
                assert old_op is not None
                deprecated = old_op.get("deprecated") is True
                if new_item is None:
                    rule = (
                        "api-path-removed-with-deprecation"
                        if deprecated
                        else ("api-path-removed-without-deprecation")
                    )
                else:
                    rule = (
                        "api-removed-with-deprecation"
                        if deprecated
                        else ("api-removed-without-deprecation")
                    )
                self.emit(rule, "", self.operation, None)
            elif old_op is None:
                self.emit("endpoint-added", "", None, self.operation)
            else:
                assert old_path is not None
                assert new_path is not None
                assert old_item is not None
                assert new_item is not None
                renames = dict(
                    zip(_TEMPLATE.findall(old_path), _TEMPLATE.findall(new_path), strict=True)
                )
                self._operation(old_item, new_item, old_op, new_op, renames)
                self._access(old_item, new_item, old_op, new_op)

    def _access(
        self,
        old_item: dict[str, Any],
        new_item: dict[str, Any],
        old_op: dict[str, Any],
        new_op: dict[str, Any],
    ) -> None:
        changes = security_changes(
            effective_security(self.old_doc, old_op), effective_security(self.new_doc, new_op)
        )
        changes += server_changes(
            effective_servers(self.old_doc, old_item, old_op),
            effective_servers(self.new_doc, new_item, new_op),
        )
        for rule_id, path, old, new in changes:
            self.emit(rule_id, path, old, new)

    def _operation(
        self,
        old_item: dict[str, Any],
        new_item: dict[str, Any],
        old_op: dict[str, Any],
        new_op: dict[str, Any],
        renames: dict[str, str],
    ) -> None:
        was, now = old_op.get("deprecated") is True, new_op.get("deprecated") is True
        if was != now:
            self.emit("endpoint-deprecated" if now else "endpoint-reactivated", "", was, now)
        self._parameters(
            self._collect_parameters(self.old, old_item, old_op, renames),
            self._collect_parameters(self.new, new_item, new_op, {}),
        )
        self._request_body(old_op.get("requestBody"), new_op.get("requestBody"))
        self._responses(_mapping(old_op.get("responses")), _mapping(new_op.get("responses")))

    # --- parameters ----------------------------------------------------------------------------

    @staticmethod
    def _collect_parameters(
        resolver: Resolver, item: dict[str, Any], op: dict[str, Any], renames: dict[str, str]
    ) -> dict[tuple[str, str], dict[str, Any]]:
        """(in, name) -> parameter; operation-level ones override path-level ones."""
        found: dict[tuple[str, str], dict[str, Any]] = {}
        for source in (item.get("parameters"), op.get("parameters")):
            for raw in source if isinstance(source, list) else []:
                param = _mapping(resolver.deref(raw))
                where, name = str(param.get("in", "")), str(param.get("name", ""))
                if where == "path":
                    name = renames.get(name, name)
                key = (where, name.lower() if where == "header" else name)
                found[key] = param
        return found

    def _parameters(
        self,
        old: dict[tuple[str, str], dict[str, Any]],
        new: dict[tuple[str, str], dict[str, Any]],
    ) -> None:
        for key in list(old) + [key for key in new if key not in old]:
            where, _ = key
            before, after = old.get(key), new.get(key)
            name = str((after or before or {}).get("name", key[1]))
            path = join("parameters", where, name)
            if after is None:
                assert before is not None
                rule = (
                    "request-parameter-removed-with-deprecation"
                    if (before.get("deprecated") is True)
                    else "request-parameter-removed"
                )
                self.emit(rule, path, name, None)
                continue
            required = where == "path" or after.get("required") is True
            if before is None:
                if where == "path":
                    rule = "new-request-path-parameter"
                elif required:
                    rule = "new-required-request-parameter"
                else:
                    rule = "new-optional-request-parameter"
                self.emit(rule, path, None, name)
                continue
            was_required = where == "path" or before.get("required") is True
            if was_required != required:
                change = "became-required" if required else "became-optional"
                self.emit(f"request-parameter-{change}", path, was_required, required)
            was, now = before.get("deprecated") is True, after.get("deprecated") is True
            if was != now:
                rule = "request-parameter-deprecated" if now else "request-parameter-reactivated"
                self.emit(rule, path, was, now)
            old_style, old_explode = _serialization(before, where)
            new_style, new_explode = _serialization(after, where)
            if old_style != new_style:
                self.emit("request-parameter-style-changed", path, old_style, new_style)
            if old_explode != new_explode:
                self.emit("request-parameter-explode-changed", path, old_explode, new_explode)
            old_schema, new_schema = _parameter_schema(before), _parameter_schema(after)
            if old_schema is not None or new_schema is not None:
                self.schemas.compare(
                    EMPTY if old_schema is None else old_schema,
                    EMPTY if new_schema is None else new_schema,
                    "request-parameter",
                    join(path, "schema"),
                )

    # --- request body --------------------------------------------------------------------------

    def _request_body(self, old_raw: Any, new_raw: Any) -> None:
        if old_raw is None and new_raw is None:
            return
        before, after = _mapping(self.old.deref(old_raw)), _mapping(self.new.deref(new_raw))
        was, now = before.get("required") is True, after.get("required") is True
        if old_raw is None:
            rule = "request-body-added-required" if now else "request-body-added-optional"
            self.emit(rule, "requestBody", None, sorted(_mapping(after.get("content"))))
            return
        if new_raw is None:
            self.emit(
                "request-body-removed", "requestBody", sorted(_mapping(before.get("content"))), None
            )
            return
        if was != now:
            rule = "request-body-became-required" if now else "request-body-became-optional"
            self.emit(rule, "requestBody", was, now)
        self._content(
            _mapping(before.get("content")),
            _mapping(after.get("content")),
            "requestBody",
            "request-body-media-type-added",
        )

    def _content(self, old: dict[str, Any], new: dict[str, Any], path: str, added: str) -> None:
        """Compare media types (``added``: the rule for a new one)."""
        old_types: dict[str, str] = {}
        new_types: dict[str, str] = {}
        for types, content in ((old_types, old), (new_types, new)):
            for media in content:
                types.setdefault(media_key(media), media)
        request = added.startswith("request")
        subject = "request-body" if request else "response-body"
        removed = "request-body-media-type-removed" if request else "response-media-type-removed"
        for key, media in old_types.items():
            if key not in new_types:
                self.emit(removed, join(path, "content", media), media, None)
        for key, media in new_types.items():
            if key not in old_types:
                self.emit(added, join(path, "content", media), None, media)
                continue
            old_schema = _mapping(old[old_types[key]]).get("schema")
            new_schema = _mapping(new[media]).get("schema")
            if old_schema is not None or new_schema is not None:
                self.schemas.compare(
                    old_schema if old_schema is not None else EMPTY,
                    new_schema if new_schema is not None else EMPTY,
                    subject,
                    join(path, "content", media, "schema"),
                )

    # --- responses -----------------------------------------------------------------------------

    def _responses(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        for status in list(old) + [status for status in new if status not in old]:
            path = join("responses", status)
            kind = "success" if _is_success(status) else "non-success"
            if status not in new:
                self.emit(f"response-{kind}-status-removed", path, status, None)
                continue
            if status not in old:
                self.emit(f"response-{kind}-status-added", path, None, status)
                continue
            before = _mapping(self.old.deref(old[status]))
            after = _mapping(self.new.deref(new[status]))
            self._content(
                _mapping(before.get("content")),
                _mapping(after.get("content")),
                path,
                "response-media-type-added"
                if _is_success(status)
                else "response-non-success-media-type-added",
            )
            self._headers(_mapping(before.get("headers")), _mapping(after.get("headers")), path)

    def _headers(self, old: dict[str, Any], new: dict[str, Any], path: str) -> None:
        old_names = {name.lower(): name for name in old}
        new_names = {name.lower(): name for name in new}
        for key, name in old_names.items():
            before = _mapping(self.old.deref(old[name]))
            where = join(path, "headers", name)
            if key not in new_names:
                rule = (
                    "required-response-header-removed"
                    if before.get("required") is True
                    else ("optional-response-header-removed")
                )
                self.emit(rule, where, name, None)
                continue
            after = _mapping(self.new.deref(new[new_names[key]]))
            if before.get("required") is True and after.get("required") is not True:
                self.emit("response-header-became-optional", where, True, False)
            old_schema, new_schema = _parameter_schema(before), _parameter_schema(after)
            if old_schema is not None or new_schema is not None:
                self.schemas.compare(
                    EMPTY if old_schema is None else old_schema,
                    EMPTY if new_schema is None else new_schema,
                    "response-header",
                    join(where, "schema"),
                )
        for key, name in new_names.items():
            if key not in old_names:
                self.emit("response-header-added", join(path, "headers", name), None, name)


def _parameter_schema(param: dict[str, Any]) -> Any:
    """A parameter's (or header's) ``schema``, or the schema of its single ``content`` entry."""
    if "schema" in param:
        return param["schema"]
    for media in _mapping(param.get("content")).values():
        return _mapping(media).get("schema")
    return None
