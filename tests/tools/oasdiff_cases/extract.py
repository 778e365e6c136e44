"""Extract regression cases from oasdiff's checker tests (run by hand; see README.md here).

``python -m tests.tools.oasdiff_cases.extract OASDIFF_CHECKOUT [--out DIR]``

``OASDIFF_CHECKOUT`` is a directory holding oasdiff's ``checker/`` and ``data/`` folders (for
example ``git --git-dir=oasdiff.git archive HEAD checker data | tar x``). This reads facts only:

* the rule registry (``checker/rules.go``): every rule id with its default level;
* each ``Test*`` function of ``checker/check_*_test.go`` that opens exactly one base and one
  revision spec from ``data/`` and never touches the loaded documents (no ``.Spec`` access, no
  table-driven file names): the two file paths, the rule ids the test expects, the ids it
  says must be absent, and whether it asserts that nothing breaking (or nothing at all) is
  reported;
* the YAML files those cases use, plus the files they ``$ref``, copied under ``data/`` here.

It writes ``cases.json`` and ``rules.json`` in ``--out`` (default: this folder). Tests that pass
a configuration option we model (``WithDeprecation(beta, stable)``) keep it in the case; any
other option, or a changed config field, excludes the test.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

_TEST = re.compile(r"^func (Test\w+)\(t \*testing\.T\) \{", re.MULTILINE)
_ID_CONST = re.compile(r"\b(\w+Id)\s*=\s*\"([a-z0-9-]+)\"")
_RULE = re.compile(r"newBackwardCompatibilityRule\(\s*(\w+Id),\s*(ERR|WARN|INFO),\s*(\w+)")
_DATA_FN = re.compile(r"(\w+)\s*=\s*dataFileFn\(\"([^\"]+)\"\)")
_OPEN = re.compile(r"\bopen\((?:(\w+)\()?\"([^\"]+)\"\)?\s*[,)]")
_OPEN_ANY = re.compile(r"\bopen\(")
_NUMBERED = re.compile(r"\bl\(t,\s*(\d+)\)")
_PAIR_HELPER = re.compile(r"\bd\(t,\s*[^,]+,\s*(\d+),\s*(\d+)\)")
_USED_ID = re.compile(r"\bchecker\.(\w+Id)\b")
_ABSENT_LINE = re.compile(r"require\.(False|NotContains|Nil|NotEqual)\(")
_EMPTY = re.compile(r"require\.(Empty\(t, (\w+)\)|Len\(t, (\w+), 0\))")
_CHECK_CALL = re.compile(
    r"(\w+)\s*:?=\s*checker\.(CheckBackwardCompatibility|CheckBackwardCompatibilityUntilLevel)\("
)
_SINGLE = re.compile(r"singleCheckConfig\(checker\.(\w+)")
_OPTION = re.compile(r"checker\.(With\w+)\(([^()]*)\)")
_REF = re.compile(r"\$ref:\s*['\"]?([^'\"#\s]+\.ya?ml)")


@dataclass
class Case:
    name: str
    test_file: str
    base: str
    revision: str
    expected: list[dict[str, str]]
    absent: list[str]
    #: "breaking": asserts nothing at WARN or above; "all": nothing at all (of the checks run)
    asserts_empty: str | None
    #: the single check the test runs (``None``: all of them)
    check: str | None
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return "positive" if self.expected else "negative"


def _bodies(text: str) -> Iterator[tuple[str, str]]:
    """(test name, body) for every top-level ``func TestX(t *testing.T)`` in a Go file."""
    for match in _TEST.finditer(text):
        depth, i = 1, match.end()
        while depth and i < len(text):
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        yield match.group(1), text[match.end() : i - 1]


def rule_table(checker: Path) -> tuple[dict[str, str], dict[str, str], dict[str, list[str]]]:
    """(constant name -> id, id -> default level, check function -> the ids it emits) from
    oasdiff's checker sources."""
    names: dict[str, str] = {}
    for source in sorted(checker.glob("*.go")):
        if not source.name.endswith("_test.go"):
            names.update(dict(_ID_CONST.findall(source.read_text(encoding="utf-8"))))
    levels: dict[str, str] = {}
    handlers: dict[str, list[str]] = {}
    registry = (checker / "rules.go").read_text(encoding="utf-8")
    for const, level, handler in _RULE.findall(registry):
        if const in names:
            levels.setdefault(names[const], level)
            handlers.setdefault(handler, []).append(names[const])
    return names, levels, handlers


def _file_helpers(checker: Path) -> dict[str, str]:
    helpers: dict[str, str] = {}
    for source in checker.glob("*_test.go"):
        helpers.update(dict(_DATA_FN.findall(source.read_text(encoding="utf-8"))))
    return helpers


def _opened(body: str, helpers: dict[str, str]) -> list[str] | None:
    """The data files a test body opens, in order, relative to the checkout; ``None`` if one
    of them is not a literal (a table-driven test)."""
    files: list[str] = []
    literal = list(_OPEN.finditer(body))
    if len(literal) != len(_OPEN_ANY.findall(body)):
        return None
    for match in literal:
        helper, name = match.groups()
        if helper:
            if helper not in helpers:
                return None
            files.append(f"data/{helpers[helper]}/{name}")
        elif name.startswith("../"):
            files.append(name[3:])
        else:
            return None
    files += [f"data/openapi-test{n}.yaml" for n in _NUMBERED.findall(body)]
    return files


def _options(body: str) -> dict[str, Any] | None:
    """The modelled checker options of a test, or ``None`` if it sets any other."""
    if re.search(r"\bconfig\.\w+\s*=", body) or "stabilityChanges(" in body:
        return None
    options: dict[str, Any] = {}
    for name, args in _OPTION.findall(body):
        if name == "WithDeprecation":
            beta, stable = (int(part) for part in args.split(","))
            options["deprecation_days"] = [beta, stable]
        elif name != "WithSingleCheck":
            return None
    return options


_SPEC_VAR = re.compile(r"^\s*(\w+)(?:, err)? :?= (?:open|l)\(", re.MULTILINE)
_DIFF_CALL = re.compile(r"\bdiff\.Get\w*\(")


def _touched(body: str) -> bool:
    """Whether the body does anything with a loaded spec but diff it: a ``.Spec`` access, or
    a helper called with the spec (``setRequestBodyType(t, s2, ...)``)."""
    if re.search(r"\b\w+\.Spec\b", body):
        return True
    for var in set(_SPEC_VAR.findall(body)):
        used = re.compile(rf"\b{re.escape(var)}\b")
        for line in body.splitlines():
            if not used.search(line) or _DIFF_CALL.search(line):
                continue
            if re.match(rf"\s*{re.escape(var)}(?:, err)? :?= (?:open|l)\(", line):
                continue
            return True
    return False


def extract_test(
    name: str,
    body: str,
    test_file: str,
    helpers: dict[str, str],
    ids: dict[str, str],
    levels: dict[str, str],
) -> Case | None:
    """The case a test body makes, or ``None`` if it is not one (see the module docstring).

    Expected ids are the registry ids the body names (comment texts such as ``XId +
    "-comment"`` or ``...CommentId`` are not rules and are skipped)."""
    if _touched(body) or "t.Run(" in body or "loadFrom(" in body:
        return None  # the loaded documents are changed in Go, or several sub-cases
    pair = _PAIR_HELPER.search(body)
    files = (
        [f"data/openapi-test{pair.group(1)}.yaml", f"data/openapi-test{pair.group(2)}.yaml"]
        if pair
        else _opened(body, helpers)
    )
    if files is None or len(files) != 2:
        return None
    options = _options(body)
    if options is None:
        return None
    absent: set[str] = set()
    for line in body.splitlines():
        if _ABSENT_LINE.search(line):
            absent.update(ids[c] for c in _USED_ID.findall(line) if c in ids)
    expected: list[str] = []
    for const in _USED_ID.findall(body):
        rule_id = ids.get(const)
        if rule_id and rule_id in levels and rule_id not in absent and rule_id not in expected:
            expected.append(rule_id)
    calls = dict(_CHECK_CALL.findall(body))
    asserts_empty: str | None = None
    for match in _EMPTY.finditer(body):
        var = match.group(2) or match.group(3)
        kind = "CheckBackwardCompatibility" if pair else calls.get(var)
        if kind == "CheckBackwardCompatibility":
            asserts_empty = "breaking"
        elif kind and asserts_empty is None:
            asserts_empty = "all"
    single = _SINGLE.search(body)
    return Case(
        name=name,
        test_file=test_file,
        base=files[0],
        revision=files[1],
        expected=[{"id": rule_id} for rule_id in expected],
        absent=sorted(absent),
        asserts_empty=asserts_empty,
        check=single.group(1) if single else None,
        options=options,
    )


def extract(checkout: Path) -> tuple[list[Case], dict[str, str], dict[str, list[str]]]:
    checker = checkout / "checker"
    ids, levels, handlers = rule_table(checker)
    helpers = _file_helpers(checker)
    cases: list[Case] = []
    for source in sorted(checker.glob("check_*_test.go")):
        text = source.read_text(encoding="utf-8")
        for name, body in _bodies(text):
            case = extract_test(name, body, f"checker/{source.name}", helpers, ids, levels)
            if case is None:
                continue
            if not (checkout / case.base).is_file() or not (checkout / case.revision).is_file():
                continue
            for item in case.expected:
                item["level"] = levels[item["id"]]
            if case.expected or case.asserts_empty:
                cases.append(case)
    return cases, levels, handlers


def _with_refs(checkout: Path, relative: str, seen: set[str]) -> None:
    if relative in seen:
        return
    seen.add(relative)
    text = (checkout / relative).read_text(encoding="utf-8")
    for target in _REF.findall(text):
        other = (Path(relative).parent / target).as_posix()
        if (checkout / other).is_file():
            _with_refs(checkout, str(Path(other)), seen)


def copy_data(checkout: Path, cases: list[Case], out: Path) -> int:
    needed: set[str] = set()
    for case in cases:
        for relative in (case.base, case.revision):
            _with_refs(checkout, relative, needed)
    target = out / "data"
    if target.exists():
        shutil.rmtree(target)
    for relative in sorted(needed):
        dest = out / relative
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(checkout / relative, dest)
    return len(needed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkout", type=Path, help="a folder with oasdiff's checker/ and data/")
    parser.add_argument("--out", type=Path, default=HERE)
    parser.add_argument("--commit", default="unknown", help="the oasdiff commit, recorded")
    parser.add_argument("--today", default="2026-12-01", help="the date sunsets are judged at")
    args = parser.parse_args(argv)
    if not (args.checkout / "checker" / "rules.go").is_file():
        print(f"extract: {args.checkout} has no checker/rules.go", file=sys.stderr)
        return 2
    cases, levels, handlers = extract(args.checkout)
    copied = copy_data(args.checkout, cases, args.out)
    document = {
        "origin": "https://github.com/oasdiff/oasdiff (Apache-2.0)",
        "commit": args.commit,
        "today": args.today,
        "cases": [
            {
                "name": case.name,
                "test_file": case.test_file,
                "base": case.base,
                "revision": case.revision,
                "kind": case.kind,
                "expected": case.expected,
                "absent": case.absent,
                "asserts_empty": case.asserts_empty,
                "check": case.check,
                "check_ids": sorted(handlers.get(case.check, [])) if case.check else None,
                "options": case.options,
            }
            for case in cases
        ],
    }
    (args.out / "cases.json").write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    rules = {
        "commit": args.commit,
        "levels": dict(sorted(levels.items())),
        "checks": dict(sorted(handlers.items())),
    }
    (args.out / "rules.json").write_text(json.dumps(rules, indent=1) + "\n", encoding="utf-8")
    positive = sum(case.kind == "positive" for case in cases)
    print(f"{positive} positive, {len(cases) - positive} negative cases; {copied} files copied")
    return 0


if __name__ == "__main__":
    sys.exit(main())
