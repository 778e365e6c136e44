"""Fault specs: what the reference server does wrong, on purpose, for one request.

The syntax is documented in the package docstring (:mod:`portkey_runs.testing`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["Fault", "parse_fault"]

_FLAGS = ("html502", "reset", "malformed_json", "bad_arguments", "run_fails", "run_expires")
_KEYS = (
    *_FLAGS,
    *("latency", "status", "retry_after", "cut_stream", "should_retry"),
    *("unknown_status", "unknown_event", "stream_error"),
)


@dataclass(frozen=True)
class Fault:
    """One request's faults; the default instance is no fault at all."""

    latency: float = 0.0
    status: int | None = None
    retry_after: str | None = None
    html502: bool = False
    reset: bool = False
    cut_stream: int | None = None
    malformed_json: bool = False
    unknown_status: str | None = None
    unknown_event: str | None = None
    should_retry: bool | None = None
    bad_arguments: bool = False
    run_fails: bool = False
    run_expires: bool = False
    stream_error: int | None = None

    def __post_init__(self) -> None:
        if self.run_fails and self.run_expires:
            raise ValueError("fault run_fails and run_expires exclude each other")

    @property
    def outcome(self) -> Literal["continue", "fail", "expire"]:
        """How a submission ends: the run goes on, or fails, or expires."""
        return "fail" if self.run_fails else "expire" if self.run_expires else "continue"


def parse_fault(spec: str) -> Fault:
    """The fault a spec describes; ``ValueError`` naming the bad item otherwise."""
    values: dict[str, Any] = {}
    for raw in spec.split(";"):
        item = raw.strip()
        if not item or item == "none":
            continue
        key, sep, value = (part.strip() for part in item.partition("="))
        if key not in _KEYS:
            raise ValueError(f"unknown fault {key!r}; known: {', '.join(_KEYS)}")
        if key in values:
            raise ValueError(f"fault {key!r} given twice")
        if key in _FLAGS:
            if sep:
                raise ValueError(f"fault {key!r} takes no value")
            values[key] = True
            continue
        if not sep or not value:
            raise ValueError(f"fault {key!r} needs a value ({key}=...)")
        values[key] = _value(key, value)
    return Fault(**values)


def _value(key: str, value: str) -> object:
    if key == "latency":
        seconds = _number(key, value)
        if not 0 <= seconds <= 60:
            raise ValueError(f"fault latency must be between 0 and 60 seconds, got {value!r}")
        return seconds
    if key == "status":
        status = _integer(key, value)
        if not 400 <= status <= 599:
            raise ValueError(f"fault status must be a 4xx or 5xx code, got {value!r}")
        return status
    if key in ("cut_stream", "stream_error"):
        event = _integer(key, value)
        if event < 1:
            raise ValueError(f"fault {key} counts events from 1, got {value!r}")
        return event
    if key == "should_retry":
        if value not in ("true", "false"):
            raise ValueError(f"fault should_retry must be true or false, got {value!r}")
        return value == "true"
    if not (value.isascii() and value.isprintable()):  # retry_after, unknown_status/event
        raise ValueError(f"fault {key} must be printable ASCII, got {value!r}")
    return value


def _number(key: str, value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"fault {key} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"fault {key} must be a finite number, got {value!r}")
    return number


def _integer(key: str, value: str) -> int:
    if not (value.isascii() and value.isdigit()):
        raise ValueError(f"fault {key} must be a whole number, got {value!r}")
    return int(value)
