"""Request bodies: added, removed, required, media types, and their schemas (subject
``request-body``; the properties inside are ``request-property``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tools.specdiff.media import MediaRules, compare_content
from tools.specdiff.registry import ERR, INFO, Family

if TYPE_CHECKING:
    from tools.specdiff.context import Context

FAMILY = Family("request bodies")
rule = FAMILY.rule

REQUEST_BODY_ADDED_REQUIRED = rule("request-body-added-required", ERR, "a required body was added")
REQUEST_BODY_ADDED_OPTIONAL = rule(
    "request-body-added-optional", INFO, "an optional body was added"
)
REQUEST_BODY_REMOVED = rule(
    "request-body-removed", ERR, "the request body was removed (clients still send one)"
)
REQUEST_BODY_BECAME_REQUIRED = rule(
    "request-body-became-required", ERR, "the request body became required"
)
REQUEST_BODY_BECAME_OPTIONAL = rule(
    "request-body-became-optional", INFO, "the request body became optional"
)
REQUEST_BODY_MEDIA_TYPE_ADDED = rule(
    "request-body-media-type-added", INFO, "the body may now be sent as another media type"
)
REQUEST_BODY_MEDIA_TYPE_REMOVED = rule(
    "request-body-media-type-removed", ERR, "a media type of the body is no longer accepted"
)
REQUEST_BODY_MEDIA_TYPE_SCHEMA_ADDED = rule(
    "request-body-media-type-schema-added",
    ERR,
    "a media type that took any body now has a schema",
)
REQUEST_BODY_MEDIA_TYPE_SCHEMA_REMOVED = rule(
    "request-body-media-type-schema-removed",
    INFO,
    "a media type of the body no longer has a schema (any body is accepted)",
)

MEDIA = MediaRules(
    subject="request-body",
    added=REQUEST_BODY_MEDIA_TYPE_ADDED,
    removed=REQUEST_BODY_MEDIA_TYPE_REMOVED,
    schema_added=REQUEST_BODY_MEDIA_TYPE_SCHEMA_ADDED,
    schema_removed=REQUEST_BODY_MEDIA_TYPE_SCHEMA_REMOVED,
)


def _content(body: dict[str, Any]) -> dict[str, Any]:
    content = body.get("content")
    return content if isinstance(content, dict) else {}


def compare(ctx: Context, old_raw: Any, new_raw: Any) -> None:
    if old_raw is None and new_raw is None:
        return
    before, after = ctx.old.deref(old_raw), ctx.new.deref(new_raw)
    before = before if isinstance(before, dict) else {}
    after = after if isinstance(after, dict) else {}
    was, now = before.get("required") is True, after.get("required") is True
    if old_raw is None:
        rule_id = REQUEST_BODY_ADDED_REQUIRED if now else REQUEST_BODY_ADDED_OPTIONAL
        ctx.emit(rule_id, "requestBody", None, sorted(_content(after)))
        return
    if new_raw is None:
        ctx.emit(REQUEST_BODY_REMOVED, "requestBody", sorted(_content(before)), None)
        return
    if was != now:
        rule_id = REQUEST_BODY_BECAME_REQUIRED if now else REQUEST_BODY_BECAME_OPTIONAL
        ctx.emit(rule_id, "requestBody", was, now)
    compare_content(ctx, _content(before), _content(after), "requestBody", MEDIA)
