"""Command line: ``python -m tools.specdiff``.

* ``OLD.yaml NEW.yaml`` compares two files;
* ``--git BASE_REF [--spec openapi.yaml]`` compares the spec as of ``BASE_REF`` with the working
  file; ``--base-default`` (or ``--git`` without a ref) picks the base with
  :func:`~tools.specdiff.gitutil.default_base` (when that falls back to ``HEAD``, a note says
  that only uncommitted changes are compared). A ``BASE_REF`` that does not resolve to a
  commit is an error (exit 2). A base without the spec (or no base commit at
  all, with ``--base-default``) is compared as an empty document: every operation is new.

``--format md`` (default; a verdict line, then the changes grouped by cause, for a pull-request
comment), ``json`` (see :func:`~tools.specdiff.render.render_json`) or ``github`` (a GitHub
Actions workflow command per change, on its line of the new spec: see
:mod:`~tools.specdiff.annotate`); ``--summary FILE`` also appends the Markdown report to FILE.
In ``--git`` mode the Python API of the base (``generated/``, ``overlay/``) and of the working
tree are compared too (:mod:`~tools.specdiff.python_api`; ``--no-python`` skips it).

Exit status: 0, or 1 if ``--fail-on LEVEL`` is given and there is a finding (or a Python API
change) at that level or a more severe one (``make spec-diff`` passes ``--fail-on ERR``); 2 on
bad input (one line on stderr).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from tools.specdiff.annotate import render_github
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
from tools.specdiff.model import LEVEL_RANK, LEVELS, Finding
from tools.specdiff.python_api import PyChange, base_tree, compare
from tools.specdiff.render import render_json, render_markdown


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"specdiff: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m tools.specdiff",
        description="Semantic OpenAPI diff with breaking-change classification.",
    )
    parser.add_argument("old", nargs="?", help="the old OpenAPI document")
    parser.add_argument("new", nargs="?", help="the new OpenAPI document")
    parser.add_argument("--format", choices=("md", "json", "github"), default="md")
    parser.add_argument(
        "--fail-on",
        choices=LEVELS,
        help="exit 1 if there is a finding at this level or a more severe one",
    )
    parser.add_argument(
        "--git",
        nargs="?",
        const="",
        metavar="BASE_REF",
        help="compare `git show BASE_REF:SPEC` with the working SPEC",
    )
    parser.add_argument(
        "--base-default",
        action="store_true",
        help="with --git: origin/main if it exists, else the merge base with main, else HEAD",
    )
    parser.add_argument("--spec", default="openapi.yaml", help="the spec for --git")
    parser.add_argument(
        "--summary",
        metavar="FILE",
        help="also append the Markdown report to FILE (in CI: $GITHUB_STEP_SUMMARY)",
    )
    parser.add_argument(
        "--no-python",
        action="store_true",
        help="with --git: skip the Python API comparison (generated/ and overlay/ of the base "
        "against the working tree, with griffe)",
    )
    return parser


def empty_document(like: dict[str, Any]) -> dict[str, Any]:
    return {
        "openapi": like.get("openapi", "3.0.0"),
        "info": {"title": "(none)", "version": "0"},
        "paths": {},
    }


def load_base(
    ref: str, spec: str, new: dict[str, Any], *, lenient: bool
) -> tuple[dict[str, Any], str | None]:
    """The spec as of ``ref`` (or an empty document and a note saying why there is none).

    ``lenient``: a ref that does not resolve (a repository without commits) is "no base"
    rather than an error.
    """
    if lenient and resolve_commit(ref, directory_of(spec)) is None:
        note = f"no base revision ({ref} does not resolve): every operation is reported as new"
        return empty_document(new), note
    text = show_file(ref, spec)
    if text is None:
        return empty_document(new), f"{ref} has no {spec}: every operation is reported as new"
    return parse_text(text, f"{ref}:{spec}"), None


def exit_status(
    findings: Sequence[Finding], fail_on: str | None, python: Sequence[PyChange] = ()
) -> int:
    if fail_on is None:
        return 0
    threshold = LEVEL_RANK[fail_on]
    levels = [f.level for f in findings] + [c.level for c in python]
    return 1 if any(LEVEL_RANK[level] <= threshold for level in levels) else 0


def python_changes(ref: str, spec: str) -> list[PyChange]:
    """The Python API changes from ``ref`` to the working tree of the repository of ``spec``."""
    root = directory_of(spec)
    with tempfile.TemporaryDirectory(prefix="specdiff-base-") as tmp:
        base_tree(ref, root, Path(tmp))
        return compare(Path(tmp), root)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    git_mode = args.git is not None or args.base_default
    note: str | None = None
    python: list[PyChange] | None = None
    try:
        if git_mode:
            if args.old or args.new:
                raise SpecError("give either OLD NEW or --git BASE_REF, not both")
            new = load_file(args.spec)
            where = directory_of(args.spec)
            if args.git and resolve_commit(args.git, where) is None:
                raise GitError(f"unknown git revision {args.git!r}")
            ref = args.git or default_base(where)
            old, note = load_base(ref, args.spec, new, lenient=not args.git)
            if not args.git and ref == FALLBACK_BASE and note is None:
                note = FALLBACK_NOTE
            if not args.no_python and resolve_commit(ref, where) is not None:
                python = python_changes(ref, args.spec)
        else:
            if not args.old or not args.new:
                raise SpecError("expected OLD and NEW documents (or --git BASE_REF)")
            old, new = load_file(args.old), load_file(args.new)
    except (SpecError, GitError) as exc:
        print(f"specdiff: error: {exc}", file=sys.stderr)
        return 2
    findings = diff_specs(old, new)
    if args.format == "json":
        if note:
            print(f"specdiff: note: {note}", file=sys.stderr)
        print(render_json(findings, note, python))
    elif args.format == "github":
        if note:
            print(f"::notice title=specdiff::{note}")
        spec_file = args.spec if git_mode else args.new
        text = Path(spec_file).read_text(encoding="utf-8")
        sys.stdout.write(render_github(findings, spec_file, text, python))
    else:
        sys.stdout.write(render_markdown(findings, note, python))
    if args.summary:
        with open(args.summary, "a", encoding="utf-8") as summary:
            summary.write("## Spec diff\n\n" + render_markdown(findings, note, python) + "\n")
    return exit_status(findings, args.fail_on, python or ())
