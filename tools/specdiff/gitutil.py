"""The few git look-ups the CLI and the version policy need."""

from __future__ import annotations

import subprocess
from pathlib import Path


class GitError(Exception):
    """git is missing or failed."""


def _git(args: list[str], cwd: str | Path | None) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise GitError(f"cannot run git ({exc.strerror or exc})") from exc


def resolve_commit(ref: str, cwd: str | Path | None = None) -> str | None:
    """The commit id ``ref`` names, or ``None`` (unknown ref, no commits yet, not a repo)."""
    done = _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd)
    return done.stdout.strip() or None if done.returncode == 0 else None


#: What :func:`default_base` falls back to: comparing with it sees only uncommitted changes.
FALLBACK_BASE = "HEAD"

FALLBACK_NOTE = (
    "neither origin/main nor main exists: comparing with HEAD, "
    "so only uncommitted changes are checked"
)


def default_base(cwd: str | Path | None = None) -> str:
    """``origin/main`` if it exists, else the merge base of HEAD with ``main``, else ``HEAD``
    (:data:`FALLBACK_BASE`)."""
    if resolve_commit("origin/main", cwd):
        return "origin/main"
    done = _git(["merge-base", "HEAD", "main"], cwd)
    if done.returncode == 0 and done.stdout.strip():
        return done.stdout.strip()
    return FALLBACK_BASE


def directory_of(path: str | Path) -> Path:
    """Where to run git for a working-tree ``path``: its directory (if it exists)."""
    parent = Path(path).absolute().parent
    return parent if parent.is_dir() else Path.cwd()


def show_file(ref: str, path: str | Path) -> str | None:
    """The text of ``path`` (a working-tree path) as of ``ref``, or ``None`` if absent there.

    Raises :class:`GitError` if ``ref`` is not a commit of the repository holding ``path``.
    """
    file = Path(path).absolute()
    where = directory_of(file)
    if resolve_commit(ref, where) is None:
        raise GitError(f"unknown git revision {ref!r}")
    done = _git(["show", f"{ref}:./{file.name}"], where)
    if done.returncode != 0:
        return None
    return done.stdout
