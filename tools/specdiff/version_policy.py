"""Version policy: a breaking API change needs a major version bump.

``python -m tools.specdiff.version_policy [--base REF] [--spec openapi.yaml]
[--pyproject pyproject.toml]``

How it is computed:

1. The base is ``--base REF``, else :func:`~tools.specdiff.gitutil.default_base`
   (``origin/main`` if it exists, else the merge base of HEAD with ``main``, else ``HEAD``).
   An explicit ``--base REF`` that does not resolve to a commit is an error (exit 2). When the
   default falls back to ``HEAD``, a note says that only uncommitted changes are checked (CI
   runs on a clone of main, where HEAD is origin/main, so this is expected there). If the
   default base does not resolve (a repository without commits) or the base has no spec file
   (the spec's first commit), there is nothing to compare: exit 0 with a one-line note.
2. ``git show BASE:openapi.yaml`` is diffed against the working ``openapi.yaml`` with
   :func:`~tools.specdiff.diff_specs`. Without an ERR finding the policy holds (exit 0); WARN and
   INFO findings never require a bump.
   The Python API of ``portkey_runs_api`` and ``portkey_runs`` of the base is compared with the
   working tree's too (:mod:`~tools.specdiff.python_api`, griffe; ``--no-python`` skips it): a
   breaking Python change counts as an ERR finding does.
3. With at least one ERR finding or Python break, both of these must hold, else exit 1 with a
   message naming the breaking changes, their kind (HTTP or Python API), what was not bumped,
   and ``make release VERSION=X.Y.Z``:

   * the major of the working ``info.version`` > the major of the base's ``info.version``;
   * the major of the working ``pyproject.toml`` ``[project].version`` > the major of the base's
     (read with :mod:`tomllib`; skipped, with a note, if the base has no ``pyproject.toml``).

   The *major* is the leading integer of the version (``v2.1.0`` -> 2, ``0.3.0`` -> 0), so a
   breaking change on a ``0.x`` version also needs ``1.0.0``.

Exit 2 (one line on stderr) if a document cannot be read or parsed.
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tools.specdiff.cli import python_changes
from tools.specdiff.diff import diff_specs
from tools.specdiff.gitutil import (
    FALLBACK_BASE,
    FALLBACK_NOTE,
    GitError,
    default_base,
    directory_of,
    resolve_commit,
    show_file,
)
from tools.specdiff.loader import SpecError, load_file, parse_text
from tools.specdiff.render import group

_MAJOR = re.compile(r"\s*[vV]?(\d+)")


def major(version: Any) -> int | None:
    """The leading integer of a version string, or ``None``."""
    match = _MAJOR.match(version) if isinstance(version, str) else None
    return int(match.group(1)) if match else None


def project_version(text: str, source: str) -> str | None:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{source}: not valid TOML ({exc})") from exc
    project = data.get("project")
    version = project.get("version") if isinstance(project, dict) else None
    return version if isinstance(version, str) else None


def _bumped(what: str, old: Any, new: Any) -> str | None:
    """A problem description, or ``None`` if ``new``'s major is greater than ``old``'s."""
    old_major, new_major = major(old), major(new)
    if old_major is None or new_major is None:
        return f"{what}: cannot read a major version from {old!r} -> {new!r}"
    if new_major <= old_major:
        return f"{what} major must increase: {old} -> {new} (needs {old_major + 1}.0.0 or later)"
    return None


#: What the failure message tells to run.
RELEASE_COMMAND = "make release VERSION=X.Y.Z"


def check(base: str, spec: str, pyproject: str, *, python: bool = True) -> tuple[int, str]:
    """(exit status, message) for the policy; raises SpecError/GitError on bad input.
    ``python``: also compare the Python API (griffe) of the base with the working tree."""
    new = load_file(spec)
    if resolve_commit(base, directory_of(spec)) is None:
        return 0, f"version-policy: OK (no base: {base} does not resolve; nothing to compare)"
    old_text = show_file(base, spec)
    if old_text is None:
        return 0, f"version-policy: OK ({base} has no {spec}; nothing to compare)"
    old = parse_text(old_text, f"{base}:{spec}")
    findings = diff_specs(old, new)
    breaking = [f for f in findings if f.level == "ERR"]
    py_changes = python_changes(base, spec) if python else []
    py_breaking = [c for c in py_changes if c.level == "ERR"]
    if not breaking and not py_breaking:
        return 0, (
            f"version-policy: OK (no breaking change in {spec} against {base}; "
            f"{len(findings)} non-breaking finding(s)"
            + (f"; Python API: {len(py_changes)} non-breaking change(s)" if python else "")
            + ")"
        )
    old_info, new_info = old.get("info"), new.get("info")
    old_api = old_info.get("version") if isinstance(old_info, dict) else None
    new_api = new_info.get("version") if isinstance(new_info, dict) else None
    problems = [p for p in [_bumped(f"{spec} info.version", old_api, new_api)] if p]
    notes: list[str] = []
    old_pyproject = show_file(base, pyproject)
    if old_pyproject is None:
        notes.append(f"{base} has no {pyproject}: its version is not checked")
    else:
        try:
            new_pyproject = Path(pyproject).read_text(encoding="utf-8")
        except OSError as exc:
            raise SpecError(f"{pyproject}: cannot read ({exc.strerror or exc})") from exc
        problem = _bumped(
            f"{pyproject} [project].version",
            project_version(old_pyproject, f"{base}:{pyproject}"),
            project_version(new_pyproject, pyproject),
        )
        if problem:
            problems.append(problem)
    changes = group(breaking)
    kinds = []
    if changes:
        http = f"{len(changes)} HTTP"
        if len(changes) != len(breaking):
            http += f" ({len(breaking)} locations)"
        kinds.append(http)
    if py_breaking:
        kinds.append(f"{len(py_breaking)} Python API")
    total = len(changes) + len(py_breaking)
    count = f"{total} breaking change(s) against {base} ({', '.join(kinds)})"
    if not problems:
        lines = [f"version-policy: OK ({count}; major versions bumped: {old_api} -> {new_api})"]
        return 0, "\n".join(lines + [f"note: {n}" for n in notes])
    lines = [f"version-policy: FAIL: {count}, but the major version was not bumped:"]
    lines += [f"  {p}" for p in problems]
    lines += [f"note: {n}" for n in notes]
    lines += ["breaking changes (make spec-diff shows where):"]
    if changes:
        lines.append(f"  HTTP ({spec}):")
    for change in changes:
        first, uses = change.findings[0], len(change.findings)
        if change.cause:
            where = f"`{change.cause}`" + (f" ({uses} locations)" if uses > 1 else "")
        else:
            where = f"{first.operation or '(document)'}" + (
                f" `{first.path}`" if first.path else ""
            )
        lines.append(f"    - {where}: {change.summary} ({change.id})")
    if py_breaking:
        lines.append("  Python API (portkey_runs_api, portkey_runs):")
        lines += [f"    - `{c.path}`: {c.summary} ({c.kind})" for c in py_breaking]
    lines.append(
        f"to release a breaking change, run `{RELEASE_COMMAND}` with the next major "
        "(it sets every version, runs uv lock and writes CHANGELOG.md; README: Changing the spec)"
    )
    return 1, "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.specdiff.version_policy",
        description="Require a major version bump for breaking API changes.",
    )
    parser.add_argument("--base", help="base git revision (default: origin/main or merge base)")
    parser.add_argument("--spec", default="openapi.yaml")
    parser.add_argument("--pyproject", default="pyproject.toml")
    parser.add_argument(
        "--no-python", action="store_true", help="skip the Python API comparison (griffe)"
    )
    args = parser.parse_args(argv)
    try:
        where = directory_of(args.spec)
        if args.base is not None and resolve_commit(args.base, where) is None:
            raise GitError(f"--base {args.base!r} does not resolve to a commit")
        base = args.base or default_base(where)
        if args.base is None and base == FALLBACK_BASE and resolve_commit(base, where):
            print(f"version-policy: note: {FALLBACK_NOTE}")
        status, message = check(base, args.spec, args.pyproject, python=not args.no_python)
    except (SpecError, GitError) as exc:
        print(f"version-policy: error: {exc}", file=sys.stderr)
        return 2
    print(message, file=sys.stderr if status else sys.stdout)
    return status


if __name__ == "__main__":
    sys.exit(main())
