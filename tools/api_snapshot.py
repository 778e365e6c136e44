"""The public API of the generated client and the overlay, as a short, stable text.

``make generate`` writes it to ``public-api.txt`` (and ``make check`` fails when it is stale),
so that a review sees what a spec or overlay change does to users in a few lines:
operations with their signatures, models with field names, types and optionality, enum
members (``NAME = 'value'``, one a line, so that a renamed member shows), and the public names
of the overlay and of ``portkey_runs.testing`` (each package's ``__all__``) with their
signatures.

It reads source files with :mod:`ast` (nothing is imported), so it works on a freshly
generated tree in a temporary folder as well as on the checked-in one.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

__all__ = ["snapshot"]

HEADER = (
    "# The public API of portkey-runs, written by `make generate` (tools/api_snapshot.py).\n"
    "# Do not edit. Review its diff: it is what a change to openapi.yaml or the overlay\n"
    "# does to users.\n"
)


def _arguments(args: ast.arguments) -> str:
    parts: list[str] = []
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
    defaults += list(args.defaults)
    for index, (arg, default) in enumerate(zip(positional, defaults, strict=True)):
        if arg.arg in ("self", "cls") and index == 0:
            continue
        parts.append(_arg(arg, default))
        if args.posonlyargs and index == len(args.posonlyargs) - 1:
            parts.append("/")
    if args.vararg:
        parts.append("*" + _arg(args.vararg, None))
    elif args.kwonlyargs:
        parts.append("*")
    for arg, kw_default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        parts.append(_arg(arg, kw_default))
    if args.kwarg:
        parts.append("**" + _arg(args.kwarg, None))
    return ", ".join(parts)


def _arg(arg: ast.arg, default: ast.expr | None) -> str:
    text = arg.arg
    if arg.annotation is not None:
        text += f": {ast.unparse(arg.annotation)}"
    if default is not None:
        text += f" = {ast.unparse(default)}" if arg.annotation else f"={ast.unparse(default)}"
    return text


def _function(node: ast.FunctionDef | ast.AsyncFunctionDef, indent: str = "") -> str:
    prefix = "async def" if isinstance(node, ast.AsyncFunctionDef) else "def"
    returns = f" -> {ast.unparse(node.returns)}" if node.returns else ""
    decorators = "".join(
        f"{indent}@{ast.unparse(d)}\n" for d in node.decorator_list if ast.unparse(d) != "property"
    )
    return f"{decorators}{indent}{prefix} {node.name}({_arguments(node.args)}){returns}"


def _is_enum(node: ast.ClassDef) -> bool:
    return any(
        ast.unparse(base) in ("StrEnum", "IntEnum", "Enum", "str, Enum") for base in node.bases
    )


def _class(
    node: ast.ClassDef, *, methods: bool, private: dict[str, ast.ClassDef] | None = None
) -> Iterator[str]:
    """``node``'s public members; with ``private`` (the private classes of its module), also
    those it inherits from a private base such as ``_BaseClient``, which users never see."""
    bases = ", ".join(ast.unparse(base) for base in node.bases)
    if _is_enum(node):
        yield f"enum {node.name}({bases}):"
        for stmt in node.body:
            if isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Name):
                yield f"    {stmt.targets[0].id} = {ast.unparse(stmt.value)}"
        return
    yield f"class {node.name}({bases}):" if bases else f"class {node.name}:"
    body = list(node.body)
    for base in node.bases:
        inherited = (private or {}).get(ast.unparse(base).split("[", 1)[0])
        if inherited is not None:
            own = {getattr(stmt, "name", None) for stmt in body}
            body += [stmt for stmt in inherited.body if getattr(stmt, "name", None) not in own]
    for stmt in body:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            name = stmt.target.id
            if name.startswith("_"):
                continue
            default = ""
            if stmt.value is not None:
                value = ast.unparse(stmt.value)
                default = (
                    " = ..." if "field(" in value or "_attrs_field(" in value else f" = {value}"
                )
            yield f"    {name}: {ast.unparse(stmt.annotation)}{default}"
        elif methods and isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            public = not stmt.name.startswith("_") or stmt.name in _PROTOCOL
            if stmt.name == "__init__":
                yield from _instance_attributes(stmt)
            if public:
                decorators = {ast.unparse(d) for d in stmt.decorator_list}
                mark = "    @property\n" if "property" in decorators else ""
                yield mark + _function(stmt, "    ")


#: The special methods that are part of what users do with an object.
_PROTOCOL = (
    "__init__",
    "__iter__",
    "__next__",
    "__aiter__",
    "__anext__",
    "__enter__",
    "__aenter__",
    "__len__",
)


def _instance_attributes(init: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[str]:
    """The public attributes ``__init__`` sets on ``self`` (``self.meta = ...``)."""
    seen = set()
    for node in ast.walk(init):
        targets: list[ast.expr] = []
        annotation = ""
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign):
            targets = [node.target]
            annotation = f": {ast.unparse(node.annotation)}"
        for target in targets:
            if (
                isinstance(target, ast.Attribute)
                and isinstance(target.value, ast.Name)
                and target.value.id == "self"
                and not target.attr.startswith("_")
                and target.attr not in seen
            ):
                seen.add(target.attr)
                yield f"    self.{target.attr}{annotation}"


def _module(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


def _generated(package: Path) -> Iterator[str]:
    yield "## portkey_runs_api.api (operations)"
    for path in sorted((package / "api").rglob("*.py")):
        if path.name == "__init__.py":
            continue
        module = ".".join(path.relative_to(package.parent).with_suffix("").parts)
        yield f"\n{module}"
        for node in _module(path).body:
            if isinstance(
                node, ast.FunctionDef | ast.AsyncFunctionDef
            ) and not node.name.startswith("_"):
                yield _function(node, "  ")
    yield "\n## portkey_runs_api.models"
    for path in sorted((package / "models").glob("*.py")):
        if path.name == "__init__.py":
            continue
        for node in _module(path).body:
            if isinstance(node, ast.ClassDef):
                yield from _class(node, methods=False)
    facts = package / "spec_facts.py"
    if facts.is_file():  # the spec's facts the overlay reads: a tightened limit shows here
        yield "\n## portkey_runs_api.spec_facts"
        for node in _module(facts).body:
            if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
                target = node.targets[0] if isinstance(node, ast.Assign) else node.target
                yield f"{ast.unparse(target)} = {ast.unparse(node.value)}"
    yield "\n## portkey_runs_api (client, errors, types)"
    for name in ("client.py", "errors.py", "types.py"):
        for node in _module(package / name).body:
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                yield from _class(node, methods=True)


def _overlay(package: Path, title: str) -> Iterator[str]:
    """The names in ``package/__init__.py``'s ``__all__``, found in its relative imports."""
    yield f"\n## {title}"
    init = _module(package / "__init__.py")
    where: dict[str, str] = {}
    public: list[str] = []
    body: list[ast.stmt] = []
    for node in init.body:  # imports under `if TYPE_CHECKING:` are the lazily loaded names
        lazy = isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
        body += node.body if lazy else [node]  # type: ignore[attr-defined]
    for node in body:
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            for alias in node.names:
                where[alias.asname or alias.name] = node.module
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                where[alias.asname or alias.name] = f"={node.module}"
        elif isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "__all__":
            public = list(ast.literal_eval(node.value))
    definitions: dict[str, ast.stmt] = {}
    private: dict[str, ast.ClassDef] = {}
    for module in sorted({m for m in where.values() if not m.startswith("=")}):
        for node in _module(package / f"{module.replace('.', '/')}.py").body:
            if isinstance(node, ast.ClassDef) and node.name.startswith("_"):
                private[node.name] = node
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                definitions[node.name] = node
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        definitions[target.id] = node
    for name in sorted(public, key=str.lower):
        origin = where.get(name, "")
        found = definitions.get(name)
        if origin.startswith("="):
            yield f"{name}  (re-exported from {origin[1:]})"
        elif isinstance(found, ast.FunctionDef | ast.AsyncFunctionDef):
            yield _function(found)
        elif isinstance(found, ast.ClassDef):
            yield from _class(found, methods=True, private=private)
        elif isinstance(found, ast.Assign | ast.AnnAssign) and found.value is not None:
            yield f"{name} = {ast.unparse(found.value)}"
        else:
            yield name


def snapshot(generated_package: Path, overlay_package: Path) -> str:
    """The snapshot text of ``portkey_runs_api`` at one path and ``portkey_runs`` at another."""
    lines = [
        *_generated(generated_package),
        *_overlay(overlay_package, "portkey_runs (the overlay's curated surface)"),
        *_overlay(overlay_package / "testing", "portkey_runs.testing (the reference server)"),
    ]
    return HEADER + "\n" + "\n".join(lines) + "\n"
