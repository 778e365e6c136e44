"""The finding record and the severity levels."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

Level = Literal["ERR", "WARN", "INFO"]

#: Most severe first.
LEVELS: tuple[Level, ...] = ("ERR", "WARN", "INFO")
LEVEL_RANK: dict[str, int] = {level: rank for rank, level in enumerate(LEVELS)}


@dataclass(frozen=True)
class Finding:
    """One classified difference between two OpenAPI documents.

    ``operation`` is ``"METHOD /path"`` (``WEBHOOK name: METHOD`` for a webhook; ``None`` for
    document-level findings); ``path`` is a
    slash-separated location inside the operation, e.g.
    ``responses/200/content/application/json/schema/data/items/status`` (property names are path
    segments, array items are ``items``). ``old`` and ``new`` are JSON values, ``None`` if absent.
    """

    id: str
    level: Level
    operation: str | None
    path: str
    old: Any = None
    new: Any = None
    #: the schema change behind the finding, named from the component it is in
    #: (``Run.model``); findings of one cause are one change, reported at each use
    cause: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "level": self.level,
            "operation": self.operation,
            "path": self.path,
            "old": self.old,
            "new": self.new,
            "cause": self.cause,
        }


@dataclass(frozen=True)
class Options:
    """How a comparison judges what depends on more than the two documents.

    ``today``: the date sunsets are judged against (``None``: the current date);
    ``deprecation_days``: oasdiff's deprecation policy, the least number of days between
    a deprecation and its sunset for (beta, stable) operations; ``None`` or ``(0, 0)``: no
    policy (a deprecation needs no sunset).
    """

    today: date | None = None
    deprecation_days: tuple[int, ...] | None = None
