"""One command for a release: ``make release VERSION=X.Y.Z`` (``python -m tools.release X.Y.Z``).

The version lives in one place, ``[project].version`` of ``pyproject.toml``; the package reads
it (``portkey_runs._version``: a checkout's pyproject.toml, else the installed metadata).
``info.version`` of ``openapi.yaml`` is the version of the API description, which started apart
from the package's (spec 2.0.0, package 1.0.0): it is kept in step by this command, moved by the
same part as the package (a major release raises its major, a minor one its minor, a patch its
patch), so that the version policy's rule, a breaking change raises both majors, always holds
after a release.

In order, and nothing is written unless every check passes:

1. ``VERSION`` must be ``X.Y.Z`` and greater than the current version;
2. the last release is the tag ``vCURRENT`` if there is one, else the commit that last changed
   the version line of ``pyproject.toml`` (``--since REF`` overrides); against it, the spec
   (specdiff) and the Python API of ``generated/`` and ``overlay/`` (griffe) are compared;
3. a breaking change (HTTP or Python) needs a major release: a smaller one is refused, naming
   the changes;
4. the versions are written, ``uv lock`` is run (the lock file records the project's version;
   ``--no-lock`` skips it), and a section for the release is added at the top of
   ``CHANGELOG.md``: the HTTP changes and the Python changes, by level.

Exit 0 when released, 1 when refused, 2 on bad input.
"""

from __future__ import annotations

import argparse
import datetime
import re
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Sequence
from pathlib import Path

from tools.specdiff.diff import diff_specs
from tools.specdiff.gitutil import GitError, resolve_commit
from tools.specdiff.loader import SpecError, parse_text
from tools.specdiff.model import Finding
from tools.specdiff.python_api import PyChange, base_tree, compare
from tools.specdiff.render import group, value_text

ROOT = Path(__file__).resolve().parent.parent
_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")
_PROJECT_VERSION = re.compile(r'^(version\s*=\s*")([^"]*)(")', re.MULTILINE)
_INFO_VERSION = re.compile(r"^(info:\n(?:[ \t]+.*\n|\n)*?[ \t]+version:[ \t]*)(\S+)", re.MULTILINE)
_LEVELS = {"ERR": "Breaking", "WARN": "Potentially breaking", "INFO": "Non-breaking"}


class ReleaseError(Exception):
    """The release is refused; the message says why."""


def parse_version(text: str) -> tuple[int, int, int]:
    match = _VERSION.match(text.strip().strip("'\"").removeprefix("v"))
    if not match:
        raise ValueError(f"{text!r} is not a version X.Y.Z")
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def part_raised(old: tuple[int, int, int], new: tuple[int, int, int]) -> str:
    """``major``, ``minor`` or ``patch``: the leftmost part that ``new`` raises."""
    if new <= old:
        raise ReleaseError(f"{'.'.join(map(str, new))} does not increase {'.'.join(map(str, old))}")
    return "major" if new[0] > old[0] else "minor" if new[1] > old[1] else "patch"


def raise_part(version: tuple[int, int, int], part: str) -> tuple[int, int, int]:
    major, minor, patch = version
    if part == "major":
        return major + 1, 0, 0
    if part == "minor":
        return major, minor + 1, 0
    return major, minor, patch + 1


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
    if done.returncode != 0:
        raise GitError(f"git {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


def last_release(root: Path, current: str) -> str:
    """The tag ``vCURRENT``, else the commit that last changed the version of pyproject.toml."""
    if resolve_commit(f"v{current}", root):
        return f"v{current}"
    found = _git(root, "log", "-1", "--format=%H", "-G", r"^version\s*=", "--", "pyproject.toml")
    if not found.strip():
        raise ReleaseError(f"no last release: no tag v{current}, no commit set the version")
    return found.strip()


def set_versions(root: Path, package: str, spec_version: str) -> None:
    pyproject = root / "pyproject.toml"
    text, count = _PROJECT_VERSION.subn(rf"\g<1>{package}\g<3>", pyproject.read_text(), count=1)
    if count != 1:
        raise ReleaseError("pyproject.toml has no version line")
    pyproject.write_text(text)
    spec = root / "openapi.yaml"
    text, count = _INFO_VERSION.subn(rf"\g<1>{spec_version}", spec.read_text(), count=1)
    if count != 1:
        raise ReleaseError("openapi.yaml has no info.version line")
    spec.write_text(text)


def _http_section(findings: Sequence[Finding]) -> list[str]:
    lines = ["### HTTP API (openapi.yaml)", ""]
    changes = group(findings)
    if not changes:
        return [*lines, "No changes.", ""]
    for level, label in _LEVELS.items():
        selected = [c for c in changes if c.level == level]
        if selected:
            lines += [f"#### {label}", ""]
            for change in selected:
                where = (
                    change.cause
                    or (
                        f"{change.findings[0].operation or '(document)'} {change.findings[0].path}"
                    ).strip()
                )
                values = f"{value_text(change.old)} → {value_text(change.new)}"
                lines.append(f"- `{where}`: {change.summary} (`{change.id}`): {values}")
            lines.append("")
    return lines


def _python_section(changes: Sequence[PyChange]) -> list[str]:
    lines = ["### Python API (portkey_runs_api, portkey_runs)", ""]
    if not changes:
        return [*lines, "No changes.", ""]
    for level, label in (("ERR", "Breaking"), ("INFO", "Non-breaking")):
        selected = [c for c in changes if c.level == level]
        if selected:
            lines += [f"#### {label}", ""]
            lines += [f"- `{c.path}`: {c.summary} (`{c.kind}`)" for c in selected]
            lines.append("")
    return lines


def changelog_section(
    version: str,
    spec_version: str,
    since: str,
    findings: Sequence[Finding],
    python: Sequence[PyChange],
    today: datetime.date,
) -> str:
    lines = [f"## {version} (spec {spec_version}) — {today.isoformat()}", ""]
    lines += [f"Changes since {since}.", ""]
    lines += _http_section(findings) + _python_section(python)
    return "\n".join(lines)


def write_changelog(root: Path, section: str) -> None:
    path = root / "CHANGELOG.md"
    title = "# Changelog\n\n"
    text = path.read_text(encoding="utf-8") if path.is_file() else title
    body = text.removeprefix(title) if text.startswith(title) else text
    path.write_text(title + section + "\n" + body, encoding="utf-8")


def release(
    root: Path,
    version: str,
    *,
    since: str | None = None,
    lock: bool = True,
    uv: str = "uv",
    today: datetime.date | None = None,
) -> str:
    """Release ``version`` in ``root``; the one-line summary. Raises ReleaseError (refused)."""
    wanted = parse_version(version)
    version = ".".join(map(str, wanted))  # written as X.Y.Z, whatever prefix or quotes it came with
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    current = str(project["version"])
    part = part_raised(parse_version(current), wanted)
    base = since or last_release(root, current)
    if resolve_commit(base, root) is None:
        raise GitError(f"--since {base!r} is not a commit")  # bad input (2), not a refusal
    old_spec = parse_text(_git(root, "show", f"{base}:openapi.yaml"), f"{base}:openapi.yaml")
    new_spec = parse_text((root / "openapi.yaml").read_text(encoding="utf-8"), "openapi.yaml")
    findings = diff_specs(old_spec, new_spec)
    with tempfile.TemporaryDirectory(prefix="release-base-") as tmp:
        base_tree(base, root, Path(tmp))
        python = compare(Path(tmp), root)
    breaking = [c.summary for c in group(findings) if c.level == "ERR"]
    breaking += [f"`{c.path}`: {c.summary}" for c in python if c.level == "ERR"]
    if breaking and part != "major":
        shown = "\n".join(f"  - {b}" for b in breaking[:10])
        raise ReleaseError(
            f"{version} is a {part} release, but there are {len(breaking)} breaking change(s) "
            f"since {base} (HTTP or Python API): release {wanted[0] + 1}.0.0 instead\n{shown}"
        )
    info = new_spec.get("info")
    old_spec_version = str(info.get("version")) if isinstance(info, dict) else ""
    spec_version = ".".join(map(str, raise_part(parse_version(old_spec_version), part)))
    written = {path: path.read_bytes() for path in (root / "pyproject.toml", root / "openapi.yaml")}
    set_versions(root, version, spec_version)
    if lock:
        done = subprocess.run([uv, "lock", "--quiet"], cwd=root, capture_output=True, text=True)
        if done.returncode != 0:
            for path, content in written.items():  # as before: no version without its lock
                path.write_bytes(content)
            raise ReleaseError(f"uv lock failed:\n{done.stderr.strip()}")
    section = changelog_section(
        version, spec_version, base, findings, python, today or datetime.date.today()
    )
    write_changelog(root, section)
    return (
        f"release: {current} -> {version} ({part}), openapi.yaml info.version -> {spec_version}; "
        f"CHANGELOG.md: {len(group(findings))} HTTP and {len(python)} Python change(s) since {base}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="make release VERSION=", description=__doc__.split("\n")[0]
    )
    parser.add_argument("version", help="the new version, X.Y.Z")
    parser.add_argument("--root", type=Path, default=ROOT, help="the repository")
    parser.add_argument(
        "--since",
        help="the last release (default: tag vCURRENT, or the commit that last set the version)",
    )
    parser.add_argument("--no-lock", action="store_true", help="do not run uv lock")
    parser.add_argument("--uv", default=str(ROOT / ".venv-uv" / "bin" / "uv"), help="uv to run")
    args = parser.parse_args(argv)
    try:
        print(release(args.root, args.version, since=args.since, lock=not args.no_lock, uv=args.uv))
    except ReleaseError as exc:
        print(f"release: refused: {exc}", file=sys.stderr)
        return 1
    except (ValueError, SpecError, GitError, OSError, KeyError) as exc:
        print(f"release: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
