"""Portkey request headers from arguments and the environment, and their redaction."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

import httpx

from portkey_runs_api.spec_facts import OPENAI_BETA, SECURITY_HEADERS

__all__ = [
    "REDACTED",
    "SENSITIVE_HEADERS",
    "call_headers",
    "checked_headers",
    "is_secret",
    "is_sensitive",
    "portkey_headers",
    "redact_headers",
    "redact_text",
    "safe_url",
    "secret_values",
]

API_KEY_ENV = "PORTKEY_API_KEY"
VIRTUAL_KEY_ENV = "PORTKEY_VIRTUAL_KEY"

#: Headers whose values are secrets. Compared case-insensitively.
SENSITIVE_HEADERS = frozenset(
    {
        SECURITY_HEADERS["PortkeyApiKey"].lower(),
        SECURITY_HEADERS["PortkeyVirtualKey"].lower(),
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
    }
)
#: Any header whose name holds one of these is treated as a secret too (provider credentials
#: passed as extra options, such as ``x-portkey-aws-secret-access-key``).
SENSITIVE_WORDS = (
    "key",
    "secret",
    "token",
    "password",
    "credential",
    "signature",
    "auth",
    "session",
    "service-account",
)
REDACTED = "<redacted>"
#: What a secret value is replaced with inside a text (an error message, a body).
MASK = "***"

# A credential "has a scheme" when it starts with an RFC 7235 token followed by a space.
_HAS_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]* \S")
# A header name is an RFC 9110 token.
_TOKEN = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")


def _text(header: str, value: object) -> str:
    """One header value as text: bools as true/false, mappings as compact ASCII JSON."""
    if not isinstance(header, str) or not _TOKEN.match(header):
        raise ValueError(f"header name {header!r} is not a valid HTTP header name")
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, Mapping):
        try:
            text = json.dumps(value, separators=(",", ":"))
        except (TypeError, ValueError) as exc:  # the message names a type, never a value
            raise TypeError(f"header {header}: {exc}") from None
    elif isinstance(value, str | int | float):
        text = str(value)
    else:
        raise TypeError(
            f"header {header}: expected str, int, float, bool or a mapping, "
            f"not {type(value).__name__}"
        )
    if "\r" in text or "\n" in text:
        raise ValueError(f"header {header}: value must not contain CR or LF")
    if not all(" " <= char <= "~" or char == "\t" for char in text):
        raise ValueError(
            f"header {header}: value must be printable ASCII (no control or non-ASCII characters)"
        )
    return text


def portkey_headers(
    api_key: str | None = None,
    *,
    virtual_key: str | None = None,
    provider: str | None = None,
    config: str | Mapping[str, Any] | None = None,
    authorization: str | None = None,
    trace_id: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    custom_host: str | None = None,
    cache_force_refresh: bool | None = None,
    cache_namespace: str | None = None,
    request_timeout: int | None = None,
    forward_headers: Iterable[str] | None = None,
    span_id: str | None = None,
    span_name: str | None = None,
    parent_span_id: str | None = None,
    **extra: str | int | float | bool | Mapping[str, Any] | None,
) -> dict[str, str]:
    """The headers of a Portkey request.

    ``api_key`` falls back to ``$PORTKEY_API_KEY`` and ``virtual_key`` to
    ``$PORTKEY_VIRTUAL_KEY``. Booleans become ``"true"``/``"false"``, mappings compact JSON,
    ``authorization`` gets ``Bearer `` unless it has a scheme, ``forward_headers`` is
    comma-joined. Any other keyword ``foo_bar=...`` becomes ``x-portkey-foo-bar``. Arguments
    left as ``None`` send nothing. ``OpenAI-Beta: assistants=v2`` is always included.

    Raises ``ValueError`` (naming the header, never its value) when no API key is given or
    found, or when a value holds CR or LF.
    """
    api_key = api_key if api_key is not None else os.environ.get(API_KEY_ENV)
    if not api_key:
        raise ValueError(
            f"header x-portkey-api-key: no API key; pass api_key= or set ${API_KEY_ENV}"
        )
    if virtual_key is None:
        virtual_key = os.environ.get(VIRTUAL_KEY_ENV) or None
    if authorization is not None and not _HAS_SCHEME.match(authorization):
        authorization = f"Bearer {authorization}"
    forwarded = None
    if forward_headers is not None:
        if isinstance(forward_headers, str):
            raise TypeError("header x-portkey-forward-headers: pass a list of header names")
        forwarded = ",".join(name.strip() for name in forward_headers)

    values: dict[str, object] = {
        SECURITY_HEADERS["PortkeyApiKey"]: api_key,
        SECURITY_HEADERS["PortkeyVirtualKey"]: virtual_key,
        SECURITY_HEADERS["PortkeyProvider"]: provider,
        SECURITY_HEADERS["PortkeyConfig"]: config,
        "Authorization": authorization,
        "x-portkey-trace-id": trace_id,
        "x-portkey-metadata": metadata,
        "x-portkey-custom-host": custom_host,
        "x-portkey-cache-force-refresh": cache_force_refresh,
        "x-portkey-cache-namespace": cache_namespace,
        "x-portkey-request-timeout": request_timeout,
        "x-portkey-forward-headers": forwarded,
        "x-portkey-span-id": span_id,
        "x-portkey-span-name": span_name,
        "x-portkey-parent-span-id": parent_span_id,
    }
    for key, value in extra.items():
        values["x-portkey-" + key.replace("_", "-").lower()] = value
    headers = {name: _text(name, value) for name, value in values.items() if value is not None}
    beta, version = OPENAI_BETA
    headers[beta] = version
    return headers


def checked_headers(headers: Mapping[str, object] | None, where: str) -> dict[str, str]:
    """``headers`` (from ``headers=`` or ``extra_headers=``) as text, each checked by the rules
    of :func:`portkey_headers`; ``TypeError`` naming ``where`` for anything but a mapping."""
    if headers is None:
        return {}
    if not isinstance(headers, Mapping):
        raise TypeError(f"{where} must be a mapping of header names to values")
    return {name: _text(name, value) for name, value in headers.items()}


def call_headers(
    extra_headers: Mapping[str, object] | None,
    trace_id: str | None,
    metadata: Mapping[str, Any] | None,
    span_id: str | None = None,
    span_name: str | None = None,
    parent_span_id: str | None = None,
) -> dict[str, str]:
    """The headers of one call's options (``extra_headers=``, ``trace_id=``, ``metadata=``,
    ``span_id=``, ``span_name=``, ``parent_span_id=``)."""
    headers = checked_headers(extra_headers, "extra_headers")
    for option, header, value in (
        ("trace_id", "x-portkey-trace-id", trace_id),
        ("span_id", "x-portkey-span-id", span_id),
        ("span_name", "x-portkey-span-name", span_name),
        ("parent_span_id", "x-portkey-parent-span-id", parent_span_id),
    ):
        if value is not None:
            if not isinstance(value, str) or not value:
                raise ValueError(f"{option} must be a non-empty string, got {value!r}")
            headers[header] = _text(header, value)
    if metadata is not None:
        if not isinstance(metadata, Mapping):
            raise TypeError(f"metadata must be a mapping, not {type(metadata).__name__}")
        headers["x-portkey-metadata"] = _text("x-portkey-metadata", metadata)
    return headers


def is_sensitive(name: str, extra: Iterable[str] = ()) -> bool:
    """Whether the value of header ``name`` is a secret (``extra``: more names that are)."""
    lowered = name.lower()
    bare = lowered.removeprefix("x-portkey-")  # "portkey" itself holds "key"
    return (
        lowered in SENSITIVE_HEADERS
        or any(word in bare for word in SENSITIVE_WORDS)
        or lowered in {e.strip().lower() for e in extra}
    )


def safe_url(url: httpx.URL, *, query: bool = True) -> str:
    """``url`` for a log line or a message: never with a user or password in it."""
    return str(url.copy_with(userinfo=b"") if query else url.copy_with(userinfo=b"", query=None))


def redact_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    """A copy of ``headers`` with every secret value replaced by ``<redacted>``.

    Secrets are the headers in :data:`SENSITIVE_HEADERS`, any header named in
    ``x-portkey-sensitive-headers``, and an inline JSON ``x-portkey-config`` (it may carry
    provider keys; a saved config id such as ``pc-abc`` is shown).
    """
    items = list(headers.items() if isinstance(headers, Mapping) else headers)
    named = [
        part
        for name, value in items
        if name.lower() == "x-portkey-sensitive-headers"
        for part in value.split(",")
    ]
    return {name: REDACTED if is_secret(name, value, named) else value for name, value in items}


def is_secret(name: str, value: str, extra: Iterable[str] = ()) -> bool:
    """Whether header ``name: value`` must never be shown: a sensitive header, or an inline
    JSON ``x-portkey-config`` (it may carry provider keys)."""
    return is_sensitive(name, extra) or (
        name.lower() == SECURITY_HEADERS["PortkeyConfig"].lower() and value.lstrip().startswith("{")
    )


def secret_values(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> tuple[str, ...]:
    """The secret values among ``headers`` (those :func:`redact_headers` hides), longest
    first, as a server could echo them: each whole value, the credential after its scheme
    (``sk-...`` of ``Bearer sk-...``), and the strings an inline JSON config holds under a
    secret-sounding key (``api_key``...)."""
    items = list(headers.items() if isinstance(headers, Mapping) else headers)
    shown = redact_headers(items)
    found: set[str] = set()
    for name, value in items:
        if shown.get(name) != REDACTED or not value:
            continue
        found.add(value)
        if _HAS_SCHEME.match(value):
            found.add(value.partition(" ")[2].strip())
        if name.lower() == SECURITY_HEADERS["PortkeyConfig"].lower():
            found.update(_config_secrets(value))
    return tuple(sorted((v for v in found if v), key=len, reverse=True))


def _config_secrets(value: str) -> list[str]:
    """The strings of an inline JSON config under keys that name a secret (any depth)."""
    try:
        todo: list[Any] = [json.loads(value)]
    except (ValueError, RecursionError):
        return []
    found = []
    while todo:
        item = todo.pop()
        if isinstance(item, dict):
            for key, inner in item.items():
                if isinstance(inner, str) and is_sensitive(str(key).replace("_", "-")):
                    found.append(inner)
                elif isinstance(inner, dict | list):
                    todo.append(inner)
        elif isinstance(item, list):
            todo.extend(item)
    return found


#: The shortest start of a secret that :func:`redact_text` masks at the end of a text.
_PARTIAL = 4


def redact_text(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every occurrence of each of ``secrets`` replaced by ``***``, and a text
    cut short in the middle of one (a message that quotes the first 200 characters of a
    body) with that start masked too."""
    secrets = list(secrets)
    for secret in secrets:  # longest first (as secret_values gives them): no partial leftovers
        if secret in text:
            text = text.replace(secret, MASK)
    body, ellipsis = (text[:-1], "…") if text.endswith("…") else (text, "")
    for secret in secrets:
        # The longest start of ``secret`` that ends the text: found by searching the text's
        # last characters for its first few (not one comparison per length: this runs on every
        # string of a body).
        head = secret[:_PARTIAL]
        at = body.find(head, max(0, len(body) - len(secret) + 1))
        while at != -1:
            if secret.startswith(body[at:]):
                return body[:at] + MASK + ellipsis
            at = body.find(head, at + 1)
    return text
