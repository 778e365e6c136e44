"""Example tool functions for the reference server's runs (``get_weather``, ``get_local_time``).

Deterministic, made up, and safe to call: ``portkey-runs run-tools THREAD_ID RUN_ID --module
portkey_runs.testing.tools`` runs a tool loop with them, as the demo does.
"""

from __future__ import annotations

import hashlib

__all__ = ["get_local_time", "get_weather"]

_SKIES = ("sunny", "cloudy", "rainy", "windy")


def _digest(location: str) -> bytes:
    return hashlib.sha256(location.encode()).digest()


def get_weather(location: str, unit: str = "celsius") -> dict[str, object]:
    """A made-up forecast for ``location``, the same every time."""
    digest = _digest(location)
    celsius = 5 + digest[1] % 25
    temperature = celsius if unit == "celsius" else round(celsius * 9 / 5 + 32)
    return {
        "location": location,
        "temperature": temperature,
        "unit": unit,
        "sky": _SKIES[digest[0] % 4],
    }


def get_local_time(location: str) -> str:
    """A made-up local time for ``location``, the same every time."""
    digest = _digest(location)
    return f"{digest[2] % 24:02d}:{digest[3] % 60:02d} in {location}"
