"""Per-call options: ``extra_headers``, ``timeout``, ``max_retries``, ``trace_id``, ``metadata``,
``strict_responses``, ``span_id``, ``span_name``, ``parent_span_id``, ``max_response_bytes``,
``max_event_bytes``, ``deadline``.

Every method of ``client.runs`` takes them as keywords (``**options``); they apply to that call
only (to every page of a listing) and follow the client's header rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict

import httpx
from attrs import field, frozen

from ._bounds import check_cap, check_deadline
from ._headers import call_headers
from ._retries import MAX_RETRIES_EXTENSION

__all__ = [
    "CallOptions",
    "RequestOptions",
    "call_options",
    "check_retries",
    "check_strict",
    "check_timeout",
]


class RequestOptions(TypedDict, total=False):
    """The keywords every method of ``client.runs`` accepts, for that call only."""

    #: More headers (the client's rules: printable ASCII; secrets never shown).
    extra_headers: Mapping[str, str]
    #: Seconds (or an ``httpx.Timeout``) instead of the client's timeout; ``None``: no timeout.
    timeout: float | httpx.Timeout | None
    #: Retries instead of the client's ``max_retries`` (0: none).
    max_retries: int
    #: Portkey's ``x-portkey-trace-id`` for this call.
    trace_id: str
    #: Portkey's ``x-portkey-metadata`` for this call (sent as JSON), instead of the client's.
    metadata: Mapping[str, Any]
    #: Raise on any departure from the spec (``True``) or read tolerantly (``False``),
    #: instead of the client's ``strict_responses``.
    strict_responses: bool
    #: Portkey's ``x-portkey-span-id`` for this call.
    span_id: str
    #: Portkey's ``x-portkey-span-name`` for this call.
    span_name: str
    #: Portkey's ``x-portkey-parent-span-id`` for this call.
    parent_span_id: str
    #: The cap on a non-stream answer's decoded bytes, instead of the client's (``None``: none).
    max_response_bytes: int | None
    #: The cap on one line or event of a stream, instead of the client's (``None``: none).
    max_event_bytes: int | None
    #: Seconds for the whole call (every attempt, retry wait and read; a stream until it ends),
    #: instead of the client's (``None``: none). A listing's bound applies to each page.
    deadline: float | None


_KNOWN = frozenset(RequestOptions.__annotations__)
_BOUNDS = ("max_response_bytes", "max_event_bytes", "deadline")


@frozen
class CallOptions:
    """The checked options of one call, ready to merge into its request."""

    headers: dict[str, str]
    timeout: Any  # float | httpx.Timeout | None, or httpx.USE_CLIENT_DEFAULT
    max_retries: int | None
    #: The bounds given for this call (``max_response_bytes``, ``max_event_bytes``,
    #: ``deadline``), to override the client's.
    bounds: dict[str, Any] = field(factory=dict)
    strict_responses: bool | None = None

    def strict(self, default: bool) -> bool:
        """Whether this call reads strictly: its option, else the client's ``default``."""
        return default if self.strict_responses is None else self.strict_responses

    def apply(self, request: dict[str, Any]) -> dict[str, Any]:
        """``request`` (keyword arguments of ``httpx.Client.build_request``) with these options."""
        merged = dict(request)
        if self.headers:
            headers = httpx.Headers(request.get("headers", {}))
            headers.update(self.headers)  # a name in any case replaces the same header
            merged["headers"] = headers
        merged["timeout"] = self.timeout
        if self.max_retries is not None:
            merged["extensions"] = {
                **request.get("extensions", {}),
                MAX_RETRIES_EXTENSION: self.max_retries,
            }
        return merged


NO_OPTIONS = CallOptions({}, httpx.USE_CLIENT_DEFAULT, None)


def check_timeout(timeout: object) -> None:
    """A timeout, the client's or a call's: seconds > 0, an ``httpx.Timeout``, or ``None``."""
    if not (
        timeout is None
        or isinstance(timeout, httpx.Timeout)
        or (isinstance(timeout, int | float) and not isinstance(timeout, bool) and timeout > 0)
    ):
        raise ValueError(
            f"timeout must be a number of seconds > 0, an httpx.Timeout or None, got {timeout!r}"
        )


def check_retries(retries: object) -> None:
    """A ``max_retries``, the client's or a call's: an integer >= 0."""
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ValueError(f"max_retries must be an integer >= 0, got {retries!r}")


def check_strict(strict: object) -> bool:
    """A ``strict_responses``, the client's or a call's: a ``bool``."""
    if not isinstance(strict, bool):
        raise TypeError(f"strict_responses must be True or False, got {strict!r}")
    return strict


def call_options(options: Mapping[str, Any]) -> CallOptions:
    """Check the ``**options`` of a call; ``TypeError``/``ValueError`` naming a bad one."""
    if not options:
        return NO_OPTIONS
    unknown = sorted(set(options) - _KNOWN)
    if unknown:
        raise TypeError(
            f"unexpected keyword argument {unknown[0]!r} "
            f"(the per-call options are {', '.join(sorted(_KNOWN))})"
        )
    timeout = options.get("timeout", httpx.USE_CLIENT_DEFAULT)
    if timeout is not httpx.USE_CLIENT_DEFAULT:
        check_timeout(timeout)
    retries = options.get("max_retries")
    if retries is not None:
        check_retries(retries)
    headers = call_headers(
        options.get("extra_headers"),
        options.get("trace_id"),
        options.get("metadata"),
        options.get("span_id"),
        options.get("span_name"),
        options.get("parent_span_id"),
    )
    strict = options.get("strict_responses")
    if strict is not None:
        check_strict(strict)
    bounds = {name: options[name] for name in _BOUNDS if name in options}
    for name in ("max_response_bytes", "max_event_bytes"):
        if name in bounds:
            check_cap(name, bounds[name])
    if "deadline" in bounds:
        check_deadline(bounds["deadline"])
    return CallOptions(headers, timeout, retries, bounds, strict)
