"""Media types of a request body or a response, compared by type (parameters ignored)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tools.specdiff.schema import join

if TYPE_CHECKING:
    from tools.specdiff.context import Context


def media_key(media: str) -> str:
    """``Application/JSON; charset=utf-8`` -> ``application/json``: parameters do not change
    which schema applies."""
    return media.split(";", 1)[0].strip().lower()


def strongly_typed(media: str) -> bool:
    """JSON (``application/json``, ``*+json``): a value's text says its type. In other media
    types (text, XML, forms) any value reads as a string."""
    key = media_key(media)
    return key == "application/json" or key.endswith("+json") or key == "text/event-stream"


@dataclass(frozen=True)
class MediaRules:
    """The rule ids a side uses for a media type added or removed, or its schema added or
    removed, and the subject its schemas are judged as."""

    subject: str
    added: str
    removed: str
    schema_added: str
    schema_removed: str


def compare_content(
    ctx: Context, old: dict[str, Any], new: dict[str, Any], path: str, rules: MediaRules
) -> None:
    old_types: dict[str, str] = {}
    new_types: dict[str, str] = {}
    for types, content in ((old_types, old), (new_types, new)):
        for media in content:
            types.setdefault(media_key(media), media)
    for key, media in old_types.items():
        if key not in new_types:
            ctx.emit(rules.removed, join(path, "content", media), media, None)
    for key, media in new_types.items():
        if key not in old_types:
            ctx.emit(rules.added, join(path, "content", media), None, media)
            continue
        before, after = old[old_types[key]], new[media]
        old_schema = before.get("schema") if isinstance(before, dict) else None
        new_schema = after.get("schema") if isinstance(after, dict) else None
        where = join(path, "content", media, "schema")
        if old_schema is None and new_schema is not None:
            ctx.emit(rules.schema_added, where, None, media)
        elif old_schema is not None and new_schema is None:
            ctx.emit(rules.schema_removed, where, media, None)
        elif old_schema is not None:
            ctx.compare_schemas(
                old_schema, new_schema, rules.subject, where, loose=not strongly_typed(media)
            )
