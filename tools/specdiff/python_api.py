"""The Python API of the generated client and the overlay, compared between two trees.

A spec change can break the users of the generated client where the wire does not: renaming a
component schema renames its class and module, a changed ``operationId`` renames a module, an
enum member's name changes with its value. :func:`compare` loads ``portkey_runs_api`` (from
``generated/``) and ``portkey_runs`` (from ``overlay/``) of both trees with griffe, statically,
and takes the breaking changes from :func:`griffe.find_breaking_changes` (removed or renamed
objects and parameters, a parameter that became required, moved or changed kind, a changed
default, ...). What it adds are the non-breaking changes: public objects and parameters that
only the new tree has (griffe reports breakages only).

:func:`base_tree` writes a revision's ``generated/`` and ``overlay/`` into a folder (``git
archive``), so that the base is read as it was committed.
"""

from __future__ import annotations

import ast
import io
import logging
import re
import subprocess
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import griffe

from tools.specdiff.gitutil import GitError

_ANSI = re.compile(r"\x1b\[[0-9;]*m")

#: Package → the folder of the repository it is loaded from.
PACKAGES = {"portkey_runs_api": "generated", "portkey_runs": "overlay"}


@dataclass(frozen=True)
class PyChange:
    """One change of the Python API: ``level`` ERR (breaking, from griffe) or INFO (added);
    ``kind`` griffe's breakage kind (``object-removed``, ...) or ``object-added``;
    ``path`` the object's dotted path (a parameter as ``function(name)``)."""

    level: Literal["ERR", "INFO"]
    kind: str
    path: str
    summary: str

    def as_dict(self) -> dict[str, Any]:
        return {"level": self.level, "kind": self.kind, "path": self.path, "summary": self.summary}


def load(root: Path) -> dict[str, griffe.Module]:
    """The packages found in ``root`` (by :data:`PACKAGES`), read statically, with the aliases
    between them resolved (the overlay's ``spec_facts`` names lead to their values)."""
    # griffe logs every annotation it cannot resolve (the generated modules import lazily)
    logging.getLogger("griffe").setLevel(logging.ERROR)
    folders = {package: root / folder for package, folder in PACKAGES.items()}
    present = [p for p, f in folders.items() if (f / p / "__init__.py").is_file()]
    loader = griffe.GriffeLoader(search_paths=[folders[p] for p in present], allow_inspection=False)
    loaded = {package: loader.load(package) for package in present}
    loader.resolve_aliases(implicit=False, external=False)
    return {p: m for p, m in loaded.items() if isinstance(m, griffe.Module)}


#: A default naming a constant that cannot be found (its tree lacks the module it comes from).
_UNRESOLVED = object()


def _value(expression: object, scope: griffe.Object) -> object:
    """The value of a default: a literal, or the literal value of the constant it names (so
    that ``limit=100`` and ``limit=LIMIT_MAXIMUM`` with ``LIMIT_MAXIMUM = 100`` are equal);
    :data:`_UNRESOLVED` for a name that leads nowhere."""
    text = str(expression)
    if text.isidentifier():
        try:
            named = scope.module.members[text]
            target = named.final_target if isinstance(named, griffe.Alias) else named
            text = str(getattr(target, "value", text))
        except (KeyError, griffe.AliasResolutionError, griffe.CyclicAliasError):
            return _UNRESOLVED
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _same_default(breakage: griffe.Breakage, old_package: griffe.Module) -> bool:
    """A changed default that names a constant of the same value: no change to a caller."""
    if not isinstance(breakage, griffe.ParameterChangedDefaultBreakage):
        return False
    try:
        old_scope = old_package[breakage.obj.path.removeprefix(f"{old_package.path}.")]
    except KeyError:
        old_scope = breakage.obj
    old, new = (
        value.default if isinstance(value, griffe.Parameter) else value
        for value in (breakage.old_value, breakage.new_value)
    )
    # breakage.obj is the new function
    before, after = _value(old, old_scope), _value(new, breakage.obj)
    return before is not _UNRESOLVED and after is not _UNRESOLVED and before == after


def _kind(breakage: griffe.Breakage) -> str:
    return breakage.kind.name.lower().replace("_", "-")


def _path(breakage: griffe.Breakage) -> str:
    path = str(breakage.obj.path)
    if isinstance(breakage.old_value, griffe.Parameter) or isinstance(
        breakage.new_value, griffe.Parameter
    ):
        parameter = breakage.old_value or breakage.new_value
        return f"{path}({parameter.name})"
    return path


def public_paths(obj: griffe.Object | griffe.Alias) -> Iterator[str]:
    """The dotted paths of ``obj``'s public members, recursively (not through aliases), and of
    its functions' parameters (``function(name)``)."""
    for member in obj.members.values():
        if member.is_alias or not member.is_public:
            continue
        yield member.path
        if isinstance(member, griffe.Function):
            yield from (f"{member.path}({p.name})" for p in member.parameters if p.name != "self")
        elif isinstance(member, griffe.Module | griffe.Class):
            yield from public_paths(member)


_PARENT = re.compile(r"(\.[^.(]*|\([^)]*\))$")


def _functions(
    obj: griffe.Object | griffe.Alias, seen: set[str] | None = None
) -> Iterator[griffe.Function]:
    """The public functions and methods reachable from ``obj``, through the aliases of its
    package (``portkey_runs.Runs`` is ``portkey_runs._resources.Runs``), each once."""
    seen = set() if seen is None else seen
    for member in obj.members.values():
        if not member.is_public:
            continue
        target: griffe.Object | griffe.Alias = member
        if isinstance(member, griffe.Alias):
            try:
                target = member.final_target
            except (griffe.AliasResolutionError, griffe.CyclicAliasError):
                continue
            if target.package.path != obj.package.path:
                continue
        if target.path in seen:
            continue
        seen.add(target.path)
        if isinstance(target, griffe.Function):
            yield target
        elif isinstance(target, griffe.Module | griffe.Class):
            yield from _functions(target, seen)


def moved_defaults(old: griffe.Module, new: griffe.Module) -> list[PyChange]:
    """Defaults that name a constant whose value changed (``limit=LIMIT_MAXIMUM``, 100 -> 50).

    griffe compares a default's expression, not the value a name stands for: this completes it
    for the overlay's defaults read from ``spec_facts``."""
    moved: list[PyChange] = []
    for function in _functions(new):
        try:
            before = old[function.path.removeprefix(f"{old.path}.")]
        except KeyError:
            continue
        if not isinstance(before, griffe.Function):
            continue
        for parameter in function.parameters:
            if parameter.default is None or not str(parameter.default).isidentifier():
                continue
            if parameter.name not in before.parameters:
                continue
            was = before.parameters[parameter.name].default
            if str(was) != str(parameter.default):
                continue  # griffe judges a changed expression
            old_value, new_value = _value(was, before), _value(parameter.default, function)
            if _UNRESOLVED in (old_value, new_value):
                continue  # the same name, and no value to compare: griffe's "unchanged" holds
            if old_value != new_value:
                moved.append(
                    PyChange(
                        "ERR",
                        "parameter-changed-default",
                        f"{function.path}({parameter.name})",
                        f"Parameter default was changed: {parameter.default} "
                        f"{old_value!r} -> {new_value!r}",
                    )
                )
    return moved


def compare(old_root: Path, new_root: Path) -> list[PyChange]:
    """The Python API changes from ``old_root`` to ``new_root`` (breaking first)."""
    breaking: list[PyChange] = []
    added: list[PyChange] = []
    old_packages, new_packages = load(old_root), load(new_root)
    for package in PACKAGES:
        old, new = old_packages.get(package), new_packages.get(package)
        if new is None:
            if old is not None:
                breaking.append(PyChange("ERR", "object-removed", package, "package removed"))
            continue
        if old is None:
            added.append(PyChange("INFO", "object-added", package, "package added"))
            continue
        for breakage in griffe.find_breaking_changes(old, new):
            if _same_default(breakage, old):
                continue
            # the one-line explanation, without its colours and the file and line it starts with
            summary = _ANSI.sub("", breakage.explain(griffe.ExplanationStyle.ONE_LINE))
            summary = summary.split(": ", 2)[-1]
            breaking.append(PyChange("ERR", _kind(breakage), _path(breakage), summary))
        breaking += moved_defaults(old, new)
        known = set(public_paths(old))
        new_paths = [path for path in public_paths(new) if path not in known]
        fresh = set(new_paths)
        for path in new_paths:  # an added module or class stands for its members
            if _PARENT.sub("", path) not in fresh:
                added.append(PyChange("INFO", "object-added", path, "added"))
    return sorted(set(breaking), key=lambda c: c.path) + sorted(set(added), key=lambda c: c.path)


def base_tree(ref: str, repository: Path, dest: Path) -> None:
    """Write ``generated/`` and ``overlay/`` as of ``ref`` into ``dest`` (those it has)."""
    folders = [
        folder
        for folder in PACKAGES.values()
        if subprocess.run(
            ["git", "cat-file", "-e", f"{ref}:./{folder}"], cwd=repository, capture_output=True
        ).returncode
        == 0
    ]
    if not folders:
        return
    done = subprocess.run(
        ["git", "archive", "--format=tar", ref, *folders], cwd=repository, capture_output=True
    )
    if done.returncode != 0:
        raise GitError(f"git archive {ref} failed: {done.stderr.decode(errors='replace').strip()}")
    with tarfile.open(fileobj=io.BytesIO(done.stdout)) as archive:
        archive.extractall(dest, filter="data")
