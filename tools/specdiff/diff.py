"""Walk two OpenAPI documents operation by operation and collect classified findings.

The walk is here; what is reported, and at which level, is in the family modules of
:mod:`tools.specdiff.rules`.
"""

from __future__ import annotations

import json
from typing import Any

from tools.specdiff.context import Context, mapping
from tools.specdiff.loader import check_document
from tools.specdiff.model import LEVEL_RANK, Finding, Options
from tools.specdiff.rules import endpoints, parameters, request_bodies, responses, security
from tools.specdiff.rules.endpoints import METHODS
from tools.specdiff.rules.schemas import API_SCHEMA_REMOVED
from tools.specdiff.schema import join


def diff_specs(
    old: dict[str, Any], new: dict[str, Any], options: Options | None = None
) -> list[Finding]:
    """Every classified difference from ``old`` to ``new`` (two parsed OpenAPI 3.x documents).

    Sorted most severe first, then by operation and location. Raises
    :class:`~tools.specdiff.loader.SpecError` if either is not an OpenAPI 3.x document.
    """
    ctx = Context(
        check_document(old, "old document"),
        check_document(new, "new document"),
        options or Options(),
    )
    _Walker(ctx).run()
    unique = {
        json.dumps(f.as_dict(), sort_keys=True, default=str): f for f in ctx.findings
    }.values()
    return sorted(unique, key=lambda f: (LEVEL_RANK[f.level], f.operation or "", f.path, f.id))


class _Walker:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def run(self) -> None:
        ctx = self.ctx
        old_paths = mapping(ctx.old_doc.get("paths"))
        new_paths = mapping(ctx.new_doc.get("paths"))
        old_index, new_index = endpoints.index_paths(old_paths), endpoints.index_paths(new_paths)
        for key in sorted(set(old_index) | set(new_index)):
            old_path, new_path = old_index.get(key), new_index.get(key)
            old_item = mapping(ctx.old.deref(old_paths[old_path])) if old_path else None
            new_item = mapping(ctx.new.deref(new_paths[new_path])) if new_path else None
            self._path_item(old_path, new_path, old_item, new_item, None)
        self._webhooks()
        ctx.operation = None
        security.document(ctx)
        old_schemas = mapping(mapping(ctx.old_doc.get("components")).get("schemas"))
        new_schemas = mapping(mapping(ctx.new_doc.get("components")).get("schemas"))
        for name in old_schemas:
            if name not in new_schemas:
                ctx.emit(API_SCHEMA_REMOVED, join("components/schemas", name), name, None)

    def _webhooks(self) -> None:
        ctx = self.ctx
        old, new = mapping(ctx.old_doc.get("webhooks")), mapping(ctx.new_doc.get("webhooks"))
        for name in list(old) + [name for name in new if name not in old]:
            ctx.operation = f"WEBHOOK {name}"
            if name not in new:
                ctx.emit(endpoints.WEBHOOK_REMOVED, join("webhooks", name), name, None)
            elif name not in old:
                ctx.emit(endpoints.WEBHOOK_ADDED, join("webhooks", name), None, name)
            else:
                old_item, new_item = (
                    mapping(ctx.old.deref(old[name])),
                    mapping(ctx.new.deref(new[name])),
                )
                self._path_item(name, name, old_item, new_item, name)

    def _path_item(
        self,
        old_path: str | None,
        new_path: str | None,
        old_item: dict[str, Any] | None,
        new_item: dict[str, Any] | None,
        webhook: str | None,
    ) -> None:
        ctx = self.ctx
        for method in METHODS:
            old_op = mapping(old_item.get(method)) if old_item and method in old_item else None
            new_op = mapping(new_item.get(method)) if new_item and method in new_item else None
            if old_op is None and new_op is None:
                continue
            where = new_path if new_op is not None else old_path
            ctx.operation = (
                f"WEBHOOK {webhook}: {method.upper()}" if webhook else f"{method.upper()} {where}"
            )
            if new_op is None:
                assert old_op is not None
                if endpoints.invalid_stability(ctx, old_op) or endpoints.exempt(ctx, old_op):
                    continue
                endpoints.removed(ctx, old_op, whole_path=new_item is None)
            elif old_op is None:
                ctx.emit(endpoints.ENDPOINT_ADDED, "", None, ctx.operation)
            else:
                assert old_path is not None
                assert new_path is not None
                assert old_item is not None
                assert new_item is not None
                self._operation(old_path, new_path, old_item, new_item, old_op, new_op)

    def _operation(
        self,
        old_path: str,
        new_path: str,
        old_item: dict[str, Any],
        new_item: dict[str, Any],
        old_op: dict[str, Any],
        new_op: dict[str, Any],
    ) -> None:
        ctx = self.ctx
        invalid = endpoints.invalid_stability(ctx, old_op)
        invalid = endpoints.invalid_stability(ctx, new_op) or invalid
        if not invalid:
            endpoints.stability_changed(ctx, old_op, new_op)
        if endpoints.exempt(ctx, old_op):
            return
        endpoints.set_policy(ctx, new_op)
        endpoints.lifecycle(ctx, old_op, new_op)
        renames = endpoints.renames(old_path, new_path)
        parameters.compare(
            ctx,
            parameters.collect(ctx.old, old_item, old_op, renames),
            parameters.collect(ctx.new, new_item, new_op, {}),
            existing_operation=True,
        )
        request_bodies.compare(ctx, old_op.get("requestBody"), new_op.get("requestBody"))
        responses.compare(ctx, mapping(old_op.get("responses")), mapping(new_op.get("responses")))
        security.operation(ctx, ctx.old_doc, ctx.new_doc, old_op, new_op)
        endpoints.servers(
            ctx,
            endpoints.effective_servers(ctx.old_doc, old_item, old_op),
            endpoints.effective_servers(ctx.new_doc, new_item, new_op),
        )
