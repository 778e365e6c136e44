"""Response headers: added, removed, required, and their schemas (subject
``response-header``; a header's text reads as any type, so a change to or from ``string`` is
``type-compatible``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tools.specdiff.registry import ERR, INFO, WARN, Family
from tools.specdiff.rules.parameters import schema_of
from tools.specdiff.schema import join

if TYPE_CHECKING:
    from tools.specdiff.context import Context

FAMILY = Family("headers")
rule = FAMILY.rule

RESPONSE_HEADER_ADDED = rule("response-header-added", INFO, "a response header was added")
REQUIRED_RESPONSE_HEADER_REMOVED = rule(
    "required-response-header-removed", ERR, "a required response header was removed"
)
OPTIONAL_RESPONSE_HEADER_REMOVED = rule(
    "optional-response-header-removed", WARN, "an optional response header was removed"
)
RESPONSE_HEADER_BECAME_OPTIONAL = rule(
    "response-header-became-optional", ERR, "a response header may now be absent"
)


def compare(ctx: Context, old: dict[str, Any], new: dict[str, Any], path: str) -> None:
    old_names = {name.lower(): name for name in old}
    new_names = {name.lower(): name for name in new}
    for key, name in old_names.items():
        before = ctx.old.deref(old[name])
        before = before if isinstance(before, dict) else {}
        where = join(path, "headers", name)
        if key not in new_names:
            rule_id = (
                REQUIRED_RESPONSE_HEADER_REMOVED
                if before.get("required") is True
                else OPTIONAL_RESPONSE_HEADER_REMOVED
            )
            ctx.emit(rule_id, where, name, None)
            continue
        after = ctx.new.deref(new[new_names[key]])
        after = after if isinstance(after, dict) else {}
        if before.get("required") is True and after.get("required") is not True:
            ctx.emit(RESPONSE_HEADER_BECAME_OPTIONAL, where, True, False)
        old_schema, new_schema = schema_of(before), schema_of(after)
        if old_schema is not None or new_schema is not None:
            ctx.compare_schemas(
                old_schema,
                new_schema,
                "response-header",
                join(where, "schema"),
                loose=True,
                anchor=(f"response header {name}", join(where, "schema")),
            )
    for key, name in new_names.items():
        if key not in old_names:
            ctx.emit(RESPONSE_HEADER_ADDED, join(path, "headers", name), None, name)
