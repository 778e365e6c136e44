"""Endpoints: operations and webhooks added or removed, deprecation and sunset, stability
levels, and servers.

Operations are matched by path template (``/runs/{id}`` and ``/runs/{run_id}`` are one path)
and method. A removed operation is ERR unless it was deprecated; removing it before its
``x-sunset`` is ERR again. ``x-stability-level`` (draft, alpha, beta, stable) is checked as in
oasdiff, and a draft or alpha operation (in the base) is exempt: nothing else is reported for
it. Servers are the operation's, else the path's, else the document's.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from tools.specdiff.registry import ERR, INFO, WARN, Family
from tools.specdiff.sunset import (
    EXEMPT_STABILITY,
    STABILITY_LEVELS,
    InvalidStability,
    Removal,
    SunsetChange,
    SunsetVerdict,
    judge_deprecation,
    judge_removal,
    judge_sunset_change,
    policy_days,
    stability,
)

if TYPE_CHECKING:
    from tools.specdiff.context import Context

FAMILY = Family("endpoints")
rule = FAMILY.rule

ENDPOINT_ADDED = rule("endpoint-added", INFO, "an operation was added")
WEBHOOK_ADDED = rule("webhook-added", INFO, "a webhook was added")
WEBHOOK_REMOVED = rule("webhook-removed", ERR, "a webhook was removed")
API_PATH_REMOVED_WITHOUT_DEPRECATION = rule(
    "api-path-removed-without-deprecation", ERR, "a path was removed without being deprecated"
)
API_PATH_REMOVED_WITH_DEPRECATION = rule(
    "api-path-removed-with-deprecation", INFO, "a deprecated path was removed after its sunset"
)
API_PATH_REMOVED_BEFORE_SUNSET = rule(
    "api-path-removed-before-sunset", ERR, "a deprecated path was removed before its x-sunset"
)
API_PATH_SUNSET_PARSE = rule(
    "api-path-sunset-parse", ERR, "the x-sunset of a deprecated operation is not a date"
)
API_REMOVED_WITHOUT_DEPRECATION = rule(
    "api-removed-without-deprecation", ERR, "an operation was removed without being deprecated"
)
API_REMOVED_WITH_DEPRECATION = rule(
    "api-removed-with-deprecation", INFO, "a deprecated operation was removed after its sunset"
)
API_REMOVED_BEFORE_SUNSET = rule(
    "api-removed-before-sunset", ERR, "a deprecated operation was removed before its x-sunset"
)
ENDPOINT_DEPRECATED = rule("endpoint-deprecated", INFO, "an operation was deprecated")
ENDPOINT_DEPRECATED_WITH_SUNSET = rule(
    "endpoint-deprecated-with-sunset",
    INFO,
    "an operation was deprecated with an x-sunset date far enough away",
)
API_DEPRECATED_SUNSET_MISSING = rule(
    "api-deprecated-sunset-missing",
    ERR,
    "an operation was deprecated without the x-sunset the deprecation policy requires",
)
API_DEPRECATED_SUNSET_PARSE = rule(
    "api-deprecated-sunset-parse", ERR, "an operation was deprecated with an invalid x-sunset"
)
API_SUNSET_DATE_TOO_SMALL = rule(
    "api-sunset-date-too-small",
    ERR,
    "an operation was deprecated with an x-sunset sooner than the policy allows",
)
ENDPOINT_REACTIVATED = rule("endpoint-reactivated", INFO, "an operation is no longer deprecated")
SUNSET_DELETED = rule("sunset-deleted", ERR, "the x-sunset of a deprecated operation was removed")
API_SUNSET_DATE_CHANGED_TOO_SMALL = rule(
    "api-sunset-date-changed-too-small",
    ERR,
    "the x-sunset of a deprecated operation moved earlier than the policy allows",
)
API_INVALID_STABILITY_LEVEL = rule(
    "api-invalid-stability-level",
    ERR,
    "an operation's x-stability-level is not one of draft, alpha, beta, stable",
)
API_STABILITY_DECREASED = rule(
    "api-stability-decreased", ERR, "an operation's x-stability-level decreased"
)
API_STABILITY_INCREASED = rule(
    "api-stability-increased", INFO, "an operation's x-stability-level increased"
)
API_SERVER_CHANGED = rule(
    "api-server-changed",
    WARN,
    "a server URL of an operation changed",
    deviation="oasdiff has no server rules (it treats servers as deployment metadata)",
)
API_SERVER_REMOVED = rule(
    "api-server-removed",
    WARN,
    "a server URL of an operation was removed",
    deviation="oasdiff has no server rules (it treats servers as deployment metadata)",
)
API_SERVER_ADDED = rule("api-server-added", INFO, "a server URL was added to an operation")

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_TEMPLATE = re.compile(r"\{([^}/]*)\}")


def template_key(path: str) -> str:
    return _TEMPLATE.sub("{}", path)


def renames(old_path: str, new_path: str) -> dict[str, str]:
    """Path parameter names of ``old_path`` -> their names in ``new_path`` (same template)."""
    return dict(zip(_TEMPLATE.findall(old_path), _TEMPLATE.findall(new_path), strict=True))


def index_paths(paths: dict[str, Any]) -> dict[str, str]:
    """Template key (``/a/{}``) -> path as written; paths differing only in names match."""
    index: dict[str, str] = {}
    clashes: set[str] = set()
    for path in paths:
        key = template_key(path)
        if key in index:
            clashes.add(key)
        index.setdefault(key, path)
    for key in clashes:  # ambiguous templates: fall back to exact spelling
        del index[key]
    for path in paths:
        if template_key(path) in clashes:
            index[path] = path
    return index


def exempt(ctx: Context, op: dict[str, Any]) -> bool:
    """A draft or alpha operation: its changes are not reported."""
    try:
        return stability(op) in EXEMPT_STABILITY
    except InvalidStability:
        return False


def set_policy(ctx: Context, op: dict[str, Any]) -> None:
    """The deprecation policy that applies to ``op`` (by its stability level)."""
    try:
        level = stability(op)
    except InvalidStability:
        level = "stable"
    ctx.deprecation_days = policy_days(ctx.options, level)


def removed(ctx: Context, op: dict[str, Any], whole_path: bool) -> None:
    """``op`` is gone (with its path if ``whole_path``)."""
    verdict, sunset = judge_removal(op, ctx.today)
    if verdict is Removal.SUNSET_INVALID:
        ctx.emit(API_PATH_SUNSET_PARSE, "x-sunset", sunset, None)
        return
    rule_id = {
        Removal.WITHOUT_DEPRECATION: (
            API_PATH_REMOVED_WITHOUT_DEPRECATION,
            API_REMOVED_WITHOUT_DEPRECATION,
        ),
        Removal.WITH_DEPRECATION: (API_PATH_REMOVED_WITH_DEPRECATION, API_REMOVED_WITH_DEPRECATION),
        Removal.BEFORE_SUNSET: (API_PATH_REMOVED_BEFORE_SUNSET, API_REMOVED_BEFORE_SUNSET),
    }[verdict][0 if whole_path else 1]
    ctx.emit(rule_id, "", ctx.operation, sunset if verdict is Removal.BEFORE_SUNSET else None)


_DEPRECATION = {
    SunsetVerdict.DEPRECATED: ENDPOINT_DEPRECATED,
    SunsetVerdict.WITH_SUNSET: ENDPOINT_DEPRECATED_WITH_SUNSET,
    SunsetVerdict.SUNSET_MISSING: API_DEPRECATED_SUNSET_MISSING,
    SunsetVerdict.SUNSET_INVALID: API_DEPRECATED_SUNSET_PARSE,
    SunsetVerdict.TOO_SOON: API_SUNSET_DATE_TOO_SMALL,
}


def lifecycle(ctx: Context, old_op: dict[str, Any], new_op: dict[str, Any]) -> None:
    """Deprecation, sunset and stability of an operation present on both sides."""
    was, now = old_op.get("deprecated") is True, new_op.get("deprecated") is True
    if was and not now:
        ctx.emit(ENDPOINT_REACTIVATED, "deprecated", True, False)
    elif now and not was:
        verdict, sunset = judge_deprecation(new_op.get("x-sunset"), ctx.deprecation_days, ctx.today)
        ctx.emit(_DEPRECATION[verdict], "deprecated", False, sunset or True)
    elif now:
        _sunset_changed(ctx, old_op, new_op)


_SUNSET_CHANGES = {
    SunsetChange.DELETED: SUNSET_DELETED,
    SunsetChange.INVALID: API_PATH_SUNSET_PARSE,
    SunsetChange.TOO_SOON: API_SUNSET_DATE_CHANGED_TOO_SMALL,
}


def _sunset_changed(ctx: Context, old_op: dict[str, Any], new_op: dict[str, Any]) -> None:
    before, after = old_op.get("x-sunset"), new_op.get("x-sunset")
    verdict = judge_sunset_change(before, after, ctx.deprecation_days, ctx.today)
    if verdict is not None:
        ctx.emit(_SUNSET_CHANGES[verdict], "x-sunset", before, after)


def invalid_stability(ctx: Context, op: dict[str, Any]) -> bool:
    """Report an invalid ``x-stability-level`` of ``op``; whether it was invalid."""
    try:
        stability(op)
    except InvalidStability as exc:
        ctx.emit(API_INVALID_STABILITY_LEVEL, "x-stability-level", None, str(exc))
        return True
    return False


def stability_changed(ctx: Context, old_op: dict[str, Any], new_op: dict[str, Any]) -> None:
    """Both levels valid: a decrease is ERR, an increase INFO (from a beta or stable base)."""
    before, after = stability(old_op), stability(new_op)
    if before == after or before in EXEMPT_STABILITY:
        return
    decreased = STABILITY_LEVELS.index(after) < STABILITY_LEVELS.index(before)
    rule_id = API_STABILITY_DECREASED if decreased else API_STABILITY_INCREASED
    ctx.emit(rule_id, "x-stability-level", before, after)


# --- servers -------------------------------------------------------------------------------------


def _urls(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    urls = [str(s.get("url", "")).rstrip("/") for s in value if isinstance(s, dict)]
    return [url for url in urls if url]


def effective_servers(
    document: dict[str, Any], item: dict[str, Any], operation: dict[str, Any]
) -> list[str]:
    for holder in (operation, item, document):
        urls = _urls(holder.get("servers"))
        if urls:
            return urls
    return []  # the default, "/", on both sides alike


def servers(ctx: Context, old: list[str], new: list[str]) -> None:
    """Changed (WARN; paired in order), removed (WARN) and added (INFO) server URLs."""
    gone = [url for url in old if url not in new]
    added = [url for url in new if url not in old]
    for index, url in enumerate(gone):
        if index < len(added):
            ctx.emit(API_SERVER_CHANGED, "servers", url, added[index])
        else:
            ctx.emit(API_SERVER_REMOVED, "servers", url, None)
    for url in added[len(gone) :]:
        ctx.emit(API_SERVER_ADDED, "servers", None, url)
