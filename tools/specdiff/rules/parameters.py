"""Parameters: added, removed, required, deprecated (with sunset), serialization, schema.

A parameter is matched by ``in`` and name (a header's name case-insensitively; a path
parameter through the renaming of its path template). Operation-level parameters override
path-level ones. A parameter's schema is compared with the schema rules under the subject
``request-parameter`` (its object properties: ``request-parameter-property``, or
``request-header-property`` for a header).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tools.specdiff.loader import Resolver
from tools.specdiff.registry import ERR, INFO, WARN, Family
from tools.specdiff.schema import join
from tools.specdiff.sunset import (
    Removal,
    SunsetChange,
    SunsetVerdict,
    judge_deprecation,
    judge_removal,
    judge_sunset_change,
)

if TYPE_CHECKING:
    from tools.specdiff.context import Context

FAMILY = Family("parameters")
rule = FAMILY.rule

NEW_REQUIRED_REQUEST_PARAMETER = rule(
    "new-required-request-parameter", ERR, "a required parameter was added"
)
NEW_OPTIONAL_REQUEST_PARAMETER = rule(
    "new-optional-request-parameter", INFO, "an optional parameter was added"
)
NEW_REQUEST_PATH_PARAMETER = rule("new-request-path-parameter", ERR, "a path parameter was added")
NEW_REQUIRED_REQUEST_DEFAULT_PARAMETER = rule(
    "new-required-request-default-parameter-to-existing-path",
    ERR,
    "a required path-level parameter was added to a path whose operations existed",
)
NEW_OPTIONAL_REQUEST_DEFAULT_PARAMETER = rule(
    "new-optional-request-default-parameter-to-existing-path",
    INFO,
    "an optional path-level parameter was added to a path whose operations existed",
)
REQUEST_PARAMETER_REMOVED = rule(
    "request-parameter-removed", WARN, "a parameter was removed (clients may still send it)"
)
REQUEST_PARAMETER_REMOVED_WITH_DEPRECATION = rule(
    "request-parameter-removed-with-deprecation",
    INFO,
    "a deprecated parameter was removed after its sunset",
)
REQUEST_PARAMETER_REMOVED_BEFORE_SUNSET = rule(
    "request-parameter-removed-before-sunset",
    ERR,
    "a deprecated parameter was removed before its x-sunset",
)
REQUEST_PARAMETER_SUNSET_PARSE = rule(
    "request-parameter-sunset-parse", ERR, "the x-sunset of a deprecated parameter is not a date"
)
REQUEST_PARAMETER_BECAME_REQUIRED = rule(
    "request-parameter-became-required", ERR, "a parameter became required"
)
REQUEST_PARAMETER_BECAME_OPTIONAL = rule(
    "request-parameter-became-optional", INFO, "a parameter became optional"
)
REQUEST_PARAMETER_DEPRECATED = rule(
    "request-parameter-deprecated", INFO, "a parameter was deprecated"
)
REQUEST_PARAMETER_DEPRECATED_SUNSET_MISSING = rule(
    "request-parameter-deprecated-sunset-missing",
    ERR,
    "a parameter was deprecated without the x-sunset the deprecation policy requires",
)
REQUEST_PARAMETER_SUNSET_DATE_TOO_SMALL = rule(
    "request-parameter-sunset-date-too-small",
    ERR,
    "a parameter was deprecated with an x-sunset sooner than the policy allows",
)
REQUEST_PARAMETER_REACTIVATED = rule(
    "request-parameter-reactivated", INFO, "a parameter is no longer deprecated"
)
REQUEST_PARAMETER_SUNSET_DELETED = rule(
    "request-parameter-sunset-deleted", ERR, "the x-sunset of a deprecated parameter was removed"
)
REQUEST_PARAMETER_SUNSET_DATE_CHANGED_TOO_SMALL = rule(
    "request-parameter-sunset-date-changed-too-small",
    ERR,
    "the x-sunset of a deprecated parameter moved earlier than the policy allows",
)
REQUEST_PARAMETER_STYLE_CHANGED = rule(
    "request-parameter-style-changed",
    ERR,
    "a parameter's serialization style changed",
    deviation="no oasdiff counterpart",
)
REQUEST_PARAMETER_EXPLODE_CHANGED = rule(
    "request-parameter-explode-changed",
    ERR,
    "a parameter's explode changed",
    deviation="no oasdiff counterpart",
)

#: ``in`` -> the default ``style``; ``explode`` defaults to True for ``form`` only
_DEFAULT_STYLE = {"query": "form", "cookie": "form", "path": "simple", "header": "simple"}

Parameters = dict[tuple[str, str], tuple[dict[str, Any], bool]]


def _serialization(param: dict[str, Any], where: str) -> tuple[Any, Any]:
    """The effective (style, explode) of a parameter."""
    style = param.get("style", _DEFAULT_STYLE.get(where))
    return style, param.get("explode", style == "form")


def collect(
    resolver: Resolver, item: dict[str, Any], op: dict[str, Any], renames: dict[str, str]
) -> Parameters:
    """(in, name) -> (parameter, defined at path level); the operation's override the path's."""
    found: Parameters = {}
    for source, path_level in ((item.get("parameters"), True), (op.get("parameters"), False)):
        for raw in source if isinstance(source, list) else []:
            param = resolver.deref(raw)
            if not isinstance(param, dict):
                continue
            where, name = str(param.get("in", "")), str(param.get("name", ""))
            if where == "path":
                name = renames.get(name, name)
            key = (where, name.lower() if where == "header" else name)
            found[key] = (param, path_level)
    return found


def schema_of(param: dict[str, Any]) -> Any:
    """A parameter's (or header's) ``schema``, or the schema of its single ``content`` entry."""
    if "schema" in param:
        return param["schema"]
    content = param.get("content")
    for media in content.values() if isinstance(content, dict) else []:
        return media.get("schema") if isinstance(media, dict) else None
    return None


_DEPRECATION = {
    SunsetVerdict.DEPRECATED: REQUEST_PARAMETER_DEPRECATED,
    SunsetVerdict.WITH_SUNSET: REQUEST_PARAMETER_DEPRECATED,
    SunsetVerdict.SUNSET_MISSING: REQUEST_PARAMETER_DEPRECATED_SUNSET_MISSING,
    SunsetVerdict.SUNSET_INVALID: REQUEST_PARAMETER_SUNSET_PARSE,
    SunsetVerdict.TOO_SOON: REQUEST_PARAMETER_SUNSET_DATE_TOO_SMALL,
}


_REMOVALS = {
    Removal.WITHOUT_DEPRECATION: REQUEST_PARAMETER_REMOVED,
    Removal.WITH_DEPRECATION: REQUEST_PARAMETER_REMOVED_WITH_DEPRECATION,
    Removal.BEFORE_SUNSET: REQUEST_PARAMETER_REMOVED_BEFORE_SUNSET,
}
_SUNSET_CHANGES = {
    SunsetChange.DELETED: REQUEST_PARAMETER_SUNSET_DELETED,
    SunsetChange.INVALID: REQUEST_PARAMETER_SUNSET_PARSE,
    SunsetChange.TOO_SOON: REQUEST_PARAMETER_SUNSET_DATE_CHANGED_TOO_SMALL,
}


def _removed(ctx: Context, param: dict[str, Any], path: str, name: str) -> None:
    verdict, sunset = judge_removal(param, ctx.today)
    if verdict is Removal.SUNSET_INVALID:
        ctx.emit(REQUEST_PARAMETER_SUNSET_PARSE, join(path, "x-sunset"), sunset, None)
    else:
        ctx.emit(
            _REMOVALS[verdict], path, name, sunset if verdict is Removal.BEFORE_SUNSET else None
        )


def _lifecycle(ctx: Context, before: dict[str, Any], after: dict[str, Any], path: str) -> None:
    was, now = before.get("deprecated") is True, after.get("deprecated") is True
    if was and not now:
        ctx.emit(REQUEST_PARAMETER_REACTIVATED, path, True, False)
    elif now and not was:
        verdict, sunset = judge_deprecation(after.get("x-sunset"), ctx.deprecation_days, ctx.today)
        ctx.emit(_DEPRECATION[verdict], path, False, sunset or True)
    elif now:
        old, new = before.get("x-sunset"), after.get("x-sunset")
        change = judge_sunset_change(old, new, ctx.deprecation_days, ctx.today)
        if change is not None:
            ctx.emit(_SUNSET_CHANGES[change], join(path, "x-sunset"), old, new)


def compare(ctx: Context, old: Parameters, new: Parameters, existing_operation: bool) -> None:
    """Compare the parameters of one operation (``existing_operation``: it was in the base)."""
    for key in list(old) + [key for key in new if key not in old]:
        where, _ = key
        before_entry, after_entry = old.get(key), new.get(key)
        before = before_entry[0] if before_entry else None
        after = after_entry[0] if after_entry else None
        name = str((after or before or {}).get("name", key[1]))
        path = join("parameters", where, name)
        if after is None:
            assert before is not None
            _removed(ctx, before, path, name)
            continue
        required = where == "path" or after.get("required") is True
        if before is None:
            assert after_entry is not None
            if where == "path":
                rule_id = NEW_REQUEST_PATH_PARAMETER
            elif after_entry[1] and existing_operation:
                rule_id = (
                    NEW_REQUIRED_REQUEST_DEFAULT_PARAMETER
                    if required
                    else NEW_OPTIONAL_REQUEST_DEFAULT_PARAMETER
                )
            elif required:
                rule_id = NEW_REQUIRED_REQUEST_PARAMETER
            else:
                rule_id = NEW_OPTIONAL_REQUEST_PARAMETER
            ctx.emit(rule_id, path, None, name)
            continue
        was_required = where == "path" or before.get("required") is True
        if was_required != required:
            rule_id = (
                REQUEST_PARAMETER_BECAME_REQUIRED if required else REQUEST_PARAMETER_BECAME_OPTIONAL
            )
            ctx.emit(rule_id, path, was_required, required)
        _lifecycle(ctx, before, after, path)
        old_style, old_explode = _serialization(before, where)
        new_style, new_explode = _serialization(after, where)
        if old_style != new_style:
            ctx.emit(REQUEST_PARAMETER_STYLE_CHANGED, path, old_style, new_style)
        if old_explode != new_explode:
            ctx.emit(REQUEST_PARAMETER_EXPLODE_CHANGED, path, old_explode, new_explode)
        old_schema, new_schema = schema_of(before), schema_of(after)
        if old_schema is not None or new_schema is not None:
            ctx.compare_schemas(
                old_schema,
                new_schema,
                "request-parameter",
                join(path, "schema"),
                in_header=where == "header",
                loose="schema" in after,  # text on the wire, unless given as JSON content
                anchor=(f"{where} parameter {name}", join(path, "schema")),
            )
