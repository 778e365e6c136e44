"""Whether one ``pattern`` provably accepts every string another one accepts.

Used to tell a widened pattern (``pattern-generalized``, INFO for a request) from a changed
one (``pattern-changed``, WARN). Only proofs are accepted; anything this module cannot prove
is "not known to widen". It proves:

* a pattern that matches every string (``.*``, ``^.*``, ``[\\s\\S]*``, ``(?:)`` ...): an
  unanchored pattern that can match the empty string at the start of any string;
* a structural widening, element by element: the same literals and anchors, a character set
  that contains the old one (``[a-z]`` -> ``[a-zA-Z]``, ``\\d`` -> ``\\w``), a repetition that
  allows at least as few and as many (``{2,5}`` -> ``{1,10}``, ``+`` -> ``*``), an alternation
  that keeps the old text as one of its branches (``^a$`` -> ``^(?:a|b)$``).

Patterns are read with Python's regular expression parser; the ECMA-262 syntax JSON Schema
uses agrees with it on everything these proofs look at. A pattern it cannot parse proves
nothing.
"""

from __future__ import annotations

import re
from re import _parser as sre_parse  # type: ignore[attr-defined,unused-ignore]  # 3.11+
from typing import Any

#: Character-class categories, as the sets of other categories they contain.
_CATEGORY_COVERS = {
    "CATEGORY_WORD": {"CATEGORY_DIGIT"},
    "CATEGORY_NOT_DIGIT": {"CATEGORY_SPACE", "CATEGORY_NOT_WORD"},
    "CATEGORY_NOT_SPACE": {"CATEGORY_DIGIT", "CATEGORY_WORD"},
}


def _parse(pattern: str) -> list[tuple[Any, Any]] | None:
    try:
        return list(sre_parse.parse(pattern))
    except (re.error, RecursionError, OverflowError, ValueError):
        return None


def accepts_everything(pattern: str) -> bool:
    """Whether ``pattern`` matches (somewhere in) every string."""
    if pattern == "":
        return True
    try:
        compiled = re.compile(pattern)
    except (re.error, RecursionError, OverflowError):
        return False
    tokens = _parse(pattern)
    if tokens is None or _has_lookaround_or_end_anchor(tokens):
        return False
    return compiled.match("") is not None


def _has_lookaround_or_end_anchor(tokens: list[tuple[Any, Any]]) -> bool:
    for op, av in tokens:
        name = str(op)
        if name in ("ASSERT", "ASSERT_NOT", "GROUPREF", "GROUPREF_EXISTS"):
            return True
        if name == "AT" and str(av) not in ("AT_BEGINNING", "AT_BEGINNING_STRING"):
            return True
        for child in _children(op, av):
            if _has_lookaround_or_end_anchor(child):
                return True
    return False


def _children(op: Any, av: Any) -> list[list[tuple[Any, Any]]]:
    name = str(op)
    if name == "SUBPATTERN":
        return [list(av[-1])]
    if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
        return [list(av[2])]
    if name == "BRANCH":
        return [list(branch) for branch in av[1]]
    if name == "ATOMIC_GROUP":
        return [list(av)]
    return []


def _unwrap(tokens: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """A sequence that is one plain group stands for its content."""
    while len(tokens) == 1 and str(tokens[0][0]) == "SUBPATTERN":
        tokens = list(tokens[0][1][-1])
    return tokens


def _charset(op: Any, av: Any) -> tuple[set[int], set[str], bool] | None:
    """(code points, categories, negated) of a one-character token, or ``None``."""
    name = str(op)
    if name == "LITERAL":
        return {av}, set(), False
    if name == "CATEGORY":
        return set(), {str(av)}, False
    if name == "ANY":
        return set(), {"ANY"}, False
    if name != "IN":
        return None
    points: set[int] = set()
    categories: set[str] = set()
    negated = False
    for item_op, item_av in av:
        item = str(item_op)
        if item == "NEGATE":
            negated = True
        elif item == "LITERAL":
            points.add(item_av)
        elif item == "RANGE":
            low, high = item_av
            if high - low > 0x10000:
                return None
            points.update(range(low, high + 1))
        elif item == "CATEGORY":
            categories.add(str(item_av))
        else:
            return None
    return points, categories, negated


_CATEGORY_TEST = {
    "CATEGORY_DIGIT": re.compile(r"\d"),
    "CATEGORY_WORD": re.compile(r"\w"),
    "CATEGORY_SPACE": re.compile(r"\s"),
}


def _in_categories(point: int, categories: set[str]) -> bool:
    char = chr(point)
    for category in categories:
        if category == "ANY":
            if char != "\n":
                return True
            continue
        positive = category.replace("_NOT_", "_")
        test = _CATEGORY_TEST.get(positive)
        if test is None:
            continue
        if bool(test.match(char)) != (positive != category):
            return True
    return False


def _set_covers(
    wide: tuple[set[int], set[str], bool], narrow: tuple[set[int], set[str], bool]
) -> bool:
    wide_points, wide_categories, wide_negated = wide
    narrow_points, narrow_categories, narrow_negated = narrow
    if wide_negated or narrow_negated:
        # [^ab] covers [^abc]: it excludes less; a negated set never covers a plain one
        plain = not wide_categories and not narrow_categories
        return wide_negated and narrow_negated and plain and wide_points <= narrow_points
    if "ANY" in wide_categories:  # '.' matches every character but a newline
        with_newline = {"CATEGORY_SPACE", "CATEGORY_NOT_DIGIT", "CATEGORY_NOT_WORD"}
        return ord("\n") not in narrow_points and not narrow_categories & with_newline
    for category in narrow_categories:
        if category not in wide_categories and not any(
            category in _CATEGORY_COVERS.get(w, set()) for w in wide_categories
        ):
            return False
    return all(p in wide_points or _in_categories(p, wide_categories) for p in narrow_points)


def _token_covers(wide: tuple[Any, Any], narrow: tuple[Any, Any]) -> bool:
    (w_op, w_av), (n_op, n_av) = wide, narrow
    if (w_op, w_av) == (n_op, n_av):
        return True
    w_set, n_set = _charset(w_op, w_av), _charset(n_op, n_av)
    if w_set is not None and n_set is not None:
        return _set_covers(w_set, n_set)
    w_name, n_name = str(w_op), str(n_op)
    repeats = ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")
    if w_name in repeats:
        w_min, w_max, w_body = w_av
        if n_name in repeats:
            n_min, n_max, n_body = n_av
        else:  # a single token is that token once
            n_min, n_max, n_body = 1, 1, [narrow]
        return w_min <= n_min and w_max >= n_max and _covers(list(w_body), list(n_body))
    if w_name == "SUBPATTERN":
        return _covers(list(w_av[-1]), [narrow])
    if w_name == "BRANCH":
        return any(_covers(list(branch), [narrow]) for branch in w_av[1])
    if n_name == "SUBPATTERN":
        return _covers([wide], list(n_av[-1]))
    return False


def _covers(wide: list[tuple[Any, Any]], narrow: list[tuple[Any, Any]]) -> bool:
    """Whether the token sequence ``wide`` matches every string ``narrow`` matches."""
    wide, narrow = _unwrap(wide), _unwrap(narrow)
    if wide == narrow:
        return True
    if len(wide) == 1 and str(wide[0][0]) == "BRANCH":
        branches = [list(branch) for branch in wide[0][1][1]]
        if len(narrow) == 1 and str(narrow[0][0]) == "BRANCH":
            return all(any(_covers(w, list(n)) for w in branches) for n in narrow[0][1][1])
        return any(_covers(branch, narrow) for branch in branches)
    if len(wide) != len(narrow):
        return False
    return all(_token_covers(w, n) for w, n in zip(wide, narrow, strict=True))


def widens(old: str, new: str) -> bool:
    """Whether ``new`` provably accepts every string that ``old`` accepts."""
    if accepts_everything(new):
        return True
    old_tokens, new_tokens = _parse(old), _parse(new)
    if old_tokens is None or new_tokens is None:
        return False
    try:
        return _covers(new_tokens, old_tokens)
    except (TypeError, ValueError):  # an unexpected token shape proves nothing
        return False
