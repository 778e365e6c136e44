"""Deprecation policy and stability levels: ``x-sunset`` dates and ``x-stability-level``.

As in oasdiff: ``x-stability-level`` is one of ``draft``, ``alpha``, ``beta``, ``stable``
(absent: stable); changes to a ``draft`` or ``alpha`` operation are not reported. The
deprecation policy (:class:`~tools.specdiff.model.Options.deprecation_days`: days for beta,
days for stable) asks a newly deprecated element for an ``x-sunset`` date (``YYYY-MM-DD`` or
RFC 3339) at least that many days away; with no policy (the default, 0 days) a deprecation
needs no sunset. Removing a deprecated element before its sunset is breaking.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Any

from tools.specdiff.model import Options

STABILITY_LEVELS = ("draft", "alpha", "beta", "stable")
#: operations at these levels are exempt: their changes are not reported
EXEMPT_STABILITY = frozenset({"draft", "alpha"})


class InvalidStability(ValueError):
    """An ``x-stability-level`` that is not one of :data:`STABILITY_LEVELS`."""


def stability(extensions: Any) -> str:
    """The ``x-stability-level`` of a mapping (``"stable"`` when absent); raises
    :class:`InvalidStability`."""
    value = extensions.get("x-stability-level") if isinstance(extensions, dict) else None
    if value is None:
        return "stable"
    if value not in STABILITY_LEVELS:
        raise InvalidStability(
            f"x-stability-level is not one of {', '.join(STABILITY_LEVELS)}: {value!r}"
        )
    return str(value)


def stability_rank(value: Any) -> int | None:
    """The rank of an ``x-stability-level`` value (absent: stable), ``None`` if invalid."""
    if value is None:
        return STABILITY_LEVELS.index("stable")
    return STABILITY_LEVELS.index(value) if value in STABILITY_LEVELS else None


def parse_sunset(value: Any) -> date | None:
    """An ``x-sunset`` value as a date (``YYYY-MM-DD`` or RFC 3339), ``None`` if it is not."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError:
        return None


def today(options: Options) -> date:
    return options.today or date.today()


def policy_days(options: Options, level: str) -> int:
    """Days the policy asks between deprecation and sunset at a stability level."""
    if options.deprecation_days is None or level in EXEMPT_STABILITY:
        return 0
    beta, stable = (*options.deprecation_days, 0, 0)[:2]
    return beta if level == "beta" else stable


class SunsetVerdict(Enum):
    DEPRECATED = "deprecated"
    WITH_SUNSET = "with-sunset"
    SUNSET_MISSING = "sunset-missing"
    SUNSET_INVALID = "sunset-invalid"
    TOO_SOON = "too-soon"


def judge_deprecation(sunset: Any, days: int, on: date | None) -> tuple[SunsetVerdict, str | None]:
    """What a new deprecation with this ``x-sunset`` is, under a policy of ``days``."""
    if sunset is None:
        return (SunsetVerdict.SUNSET_MISSING if days > 0 else SunsetVerdict.DEPRECATED), None
    when = parse_sunset(sunset)
    if when is None:
        return SunsetVerdict.SUNSET_INVALID, str(sunset)
    if (when - (on or date.today())).days < days:
        return SunsetVerdict.TOO_SOON, when.isoformat()
    return SunsetVerdict.WITH_SUNSET, when.isoformat()


class Removal(Enum):
    WITHOUT_DEPRECATION = "without-deprecation"
    WITH_DEPRECATION = "with-deprecation"
    BEFORE_SUNSET = "before-sunset"
    SUNSET_INVALID = "sunset-invalid"


def judge_removal(element: dict[str, Any], on: date) -> tuple[Removal, str | None]:
    """What removing ``element`` (an operation or a parameter) is: (verdict, its sunset)."""
    if element.get("deprecated") is not True:
        return Removal.WITHOUT_DEPRECATION, None
    if "x-sunset" not in element:
        return Removal.WITH_DEPRECATION, None
    sunset = parse_sunset(element["x-sunset"])
    if sunset is None:
        return Removal.SUNSET_INVALID, str(element["x-sunset"])
    if on < sunset:
        return Removal.BEFORE_SUNSET, sunset.isoformat()
    return Removal.WITH_DEPRECATION, sunset.isoformat()


class SunsetChange(Enum):
    DELETED = "deleted"
    INVALID = "invalid"
    TOO_SOON = "too-soon"


def judge_sunset_change(before: Any, after: Any, days: int, on: date) -> SunsetChange | None:
    """What changing the ``x-sunset`` of a still deprecated element is (``None``: fine)."""
    if before is None or before == after:
        return None
    if after is None:
        return SunsetChange.DELETED
    old_date, new_date = parse_sunset(before), parse_sunset(after)
    if old_date is None or new_date is None:
        return SunsetChange.INVALID
    if new_date < old_date and (new_date - on).days < days:
        return SunsetChange.TOO_SOON
    return None
