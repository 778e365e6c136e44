"""Validation of ids that go into URL paths."""

from __future__ import annotations

__all__ = ["check_path_id"]

_FORBIDDEN = frozenset("/?#%\\")


def check_path_id(name: str, value: object) -> str:
    """``value`` if it is safe as one path segment, else ``ValueError`` naming ``name``.

    Refused: non-strings, the empty string, ``.`` and ``..`` (httpx would remove them as dot
    segments and request another URL), and anything holding ``/``, ``?``, ``#``, ``%``, ``\\``,
    whitespace or control characters. Real ids (``thread_abc123``, ``run_abc123``) pass.
    """
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, not {type(value).__name__}")
    if value in ("", ".", ".."):
        raise ValueError(f"{name} must be a non-empty id other than '.' or '..', got {value!r}")
    for char in value:
        if char in _FORBIDDEN or char.isspace() or not char.isprintable():
            raise ValueError(f"{name} must not contain {char!r}, got {value!r}")
    return value
