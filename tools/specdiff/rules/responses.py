"""Responses: status codes, media types, and their schemas (subject ``response-body``; the
properties inside are ``response-property``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tools.specdiff.media import MediaRules, compare_content
from tools.specdiff.registry import ERR, INFO, WARN, Family
from tools.specdiff.rules import headers
from tools.specdiff.schema import join

if TYPE_CHECKING:
    from tools.specdiff.context import Context

FAMILY = Family("responses")
rule = FAMILY.rule

RESPONSE_SUCCESS_STATUS_ADDED = rule(
    "response-success-status-added",
    WARN,
    "a success status was added: a client may get an answer it does not know how to read",
    deviation="oasdiff: INFO",
)
RESPONSE_SUCCESS_STATUS_REMOVED = rule(
    "response-success-status-removed", ERR, "a success status was removed"
)
RESPONSE_NON_SUCCESS_STATUS_ADDED = rule(
    "response-non-success-status-added", INFO, "an error status was added"
)
RESPONSE_NON_SUCCESS_STATUS_REMOVED = rule(
    "response-non-success-status-removed", INFO, "an error status was removed"
)
RESPONSE_MEDIA_TYPE_ADDED = rule(
    "response-media-type-added",
    WARN,
    "a success response may now come as another media type, which a client may not read",
    deviation="oasdiff: INFO (it assumes clients negotiate with Accept)",
)
RESPONSE_NON_SUCCESS_MEDIA_TYPE_ADDED = rule(
    "response-non-success-media-type-added",
    INFO,
    "an error response may now come as another media type",
    deviation="no oasdiff counterpart: oasdiff reports response-media-type-added (INFO)",
)
RESPONSE_MEDIA_TYPE_REMOVED = rule(
    "response-media-type-removed", ERR, "a media type of a response was removed"
)
RESPONSE_BODY_MEDIA_TYPE_SCHEMA_ADDED = rule(
    "response-body-media-type-schema-added", INFO, "a media type of a response got a schema"
)
RESPONSE_BODY_MEDIA_TYPE_SCHEMA_REMOVED = rule(
    "response-body-media-type-schema-removed",
    WARN,
    "a media type of a response lost its schema: it may now hold anything",
)


def _is_success(status: str) -> bool:
    return status.startswith("2")


def _media(success: bool) -> MediaRules:
    return MediaRules(
        subject="response-body",
        added=RESPONSE_MEDIA_TYPE_ADDED if success else RESPONSE_NON_SUCCESS_MEDIA_TYPE_ADDED,
        removed=RESPONSE_MEDIA_TYPE_REMOVED,
        schema_added=RESPONSE_BODY_MEDIA_TYPE_SCHEMA_ADDED,
        schema_removed=RESPONSE_BODY_MEDIA_TYPE_SCHEMA_REMOVED,
    )


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def compare(ctx: Context, old: dict[str, Any], new: dict[str, Any]) -> None:
    for status in list(old) + [status for status in new if status not in old]:
        path = join("responses", status)
        success = _is_success(status)
        if status not in new:
            rule_id = (
                RESPONSE_SUCCESS_STATUS_REMOVED if success else RESPONSE_NON_SUCCESS_STATUS_REMOVED
            )
            ctx.emit(rule_id, path, status, None)
            continue
        if status not in old:
            rule_id = (
                RESPONSE_SUCCESS_STATUS_ADDED if success else RESPONSE_NON_SUCCESS_STATUS_ADDED
            )
            ctx.emit(rule_id, path, None, status)
            continue
        before = _mapping(ctx.old.deref(old[status]))
        after = _mapping(ctx.new.deref(new[status]))
        compare_content(
            ctx,
            _mapping(before.get("content")),
            _mapping(after.get("content")),
            path,
            _media(success),
        )
        headers.compare(ctx, _mapping(before.get("headers")), _mapping(after.get("headers")), path)
