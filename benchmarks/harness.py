"""Timing contenders side by side: interleaved rounds, medians, ratios per round, targets.

A scenario is a set of contenders that each do the same job (list 5,000 runs, read a stream)
and return how many units they handled. Each round runs every contender once, in an order
that rotates from round to round (so that none always runs first, after a collection, or on a
warm cache of another); ratios are taken within each round, so that a slow moment of the
machine affects both sides of a ratio alike.

Where a row's time goes: :func:`profile` runs a job once more under cProfile, outside the
timed rounds, and keeps the functions with the most time of their own.
"""

from __future__ import annotations

import cProfile
import gc
import pstats
import statistics
import sysconfig
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Job = Callable[[], int]
"""A contender's job: does the work once and returns the number of units (runs, events)."""


@dataclass
class Samples:
    """One contender's results: one measurement per round, in the scenario's unit."""

    values: list[float] = field(default_factory=list)
    error: str | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def as_json(self) -> dict[str, Any]:
        if self.error is not None:
            return {"error": self.error}
        return {
            "median": self.median,
            "min": min(self.values),
            "max": max(self.values),
            "samples": self.values,
        }


@dataclass(frozen=True)
class Target:
    """``numerator / denominator`` must be ``>=`` or ``<=`` ``threshold``."""

    numerator: str
    denominator: str
    op: str  # ">=" or "<=", or "" for a ratio shown without a target
    threshold: float = 0.0
    note: str = ""

    def met(self, ratio: float) -> bool | None:
        if not self.op:
            return None
        return ratio >= self.threshold if self.op == ">=" else ratio <= self.threshold


@dataclass
class Ratio:
    target: Target
    per_round: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.per_round)

    @property
    def met(self) -> bool | None:
        return self.target.met(self.median)

    def as_json(self) -> dict[str, Any]:
        t = self.target
        return {
            "ratio": f"{t.numerator} / {t.denominator}",
            "target": f"{t.op} {t.threshold:g}" if t.op else None,
            "note": t.note,
            "median": self.median,
            "min": min(self.per_round),
            "max": max(self.per_round),
            "per_round": self.per_round,
            "met": self.met,
        }


@dataclass(frozen=True)
class Hotspot:
    """A function where a profiled job spent time of its own (cProfile's ``tottime``)."""

    where: str  # "path:line function", the path from the repository or site-packages
    calls: int
    seconds: float
    share: float  # of the time of the whole job under the profiler

    def as_json(self) -> dict[str, Any]:
        return {
            "where": self.where,
            "calls": self.calls,
            "seconds": self.seconds,
            "share": self.share,
        }


@dataclass(frozen=True)
class Profile:
    """One run of a job under cProfile: its time (the profiler's overhead included) and the
    functions with the most time of their own."""

    seconds: float
    hotspots: list[Hotspot]

    def as_json(self) -> dict[str, Any]:
        return {"seconds": self.seconds, "hotspots": [h.as_json() for h in self.hotspots]}


@dataclass
class Result:
    """A scenario's outcome: each contender's samples and each target's ratios."""

    name: str
    description: str
    unit: str
    contenders: dict[str, Samples]
    ratios: list[Ratio]
    notes: list[str] = field(default_factory=list)
    profiles: dict[str, Profile] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "description": self.description,
            "unit": self.unit,
            "contenders": {name: s.as_json() for name, s in self.contenders.items()},
            "ratios": [r.as_json() for r in self.ratios],
            "notes": self.notes,
            "profiles": {name: p.as_json() for name, p in self.profiles.items()},
        }


def per_unit(job: Job, expected_units: int, name: str) -> Callable[[], float]:
    """``job`` as a measurement: microseconds per unit (the units are checked)."""

    def measure() -> float:
        gc.collect()  # garbage left by the previous contender is not this one's to collect
        start = time.perf_counter()
        units = job()
        seconds = time.perf_counter() - start
        if units != expected_units:
            raise AssertionError(f"{name} handled {units} units, not {expected_units}")
        return seconds / units * 1e6

    return measure


ROOT = Path(__file__).resolve().parent.parent
STDLIB = sysconfig.get_paths()["stdlib"] + "/"

# cProfile's statistics: (file, line, function) -> (primitive calls, calls, own time, cumulative
# time, callers).
Stats = Mapping[tuple[str, int, str], tuple[int, int, float, float, Any]]


def where(file: str, line: int, function: str) -> str:
    """``path:line function``, the path from site-packages, the standard library or the
    repository; a built-in (cProfile's file ``~``) by its name alone."""
    if file == "~":
        return function
    path = file
    if "/site-packages/" in path:
        path = path.rsplit("/site-packages/", 1)[1]
    else:
        for folder in (STDLIB, ROOT.as_posix() + "/"):
            if path.startswith(folder):
                path = path[len(folder) :]
                break
    return f"{path}:{line} {function}"


def hotspots(stats: Stats, top: int = 8) -> list[Hotspot]:
    """The ``top`` functions by time of their own, each with its share of the whole."""
    total = sum(entry[2] for entry in stats.values())
    ranked = sorted(stats.items(), key=lambda item: item[1][2], reverse=True)[:top]
    return [
        Hotspot(where(*key), calls, own, own / total if total else 0.0)
        for key, (_, calls, own, _, _) in ranked
    ]


def profile(job: Callable[[], object], top: int = 8) -> Profile:
    """``job`` run once under cProfile: where its time goes."""
    gc.collect()  # as before a timed run: no garbage of another contender to collect
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.runcall(job)
    seconds = time.perf_counter() - start
    stats: Stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    return Profile(seconds, hotspots(stats, top))


def ratios_of(contenders: dict[str, Samples], targets: list[Target]) -> list[Ratio]:
    ratios = []
    for target in targets:
        a, b = contenders.get(target.numerator), contenders.get(target.denominator)
        if a is None or b is None or a.error is not None or b.error is not None:
            continue
        ratios.append(Ratio(target, [x / y for x, y in zip(a.values, b.values, strict=True)]))
    return ratios


def run_scenario(
    name: str,
    description: str,
    unit: str,
    measures: dict[str, Callable[[], float]],
    targets: list[Target],
    *,
    rounds: int,
    warmup: int = 1,
    progress: Callable[[str], None] = lambda _: None,
    profiled: Mapping[str, Callable[[], object]] | None = None,
) -> Result:
    """Run every measurement ``warmup`` times, then ``rounds`` interleaved rounds; then each
    job of ``profiled`` (contender: its job, without the measurement around it) once under
    cProfile.

    A contender that raises during the warm-up is recorded as failed (its error is reported)
    and left out of the rounds; an error after the warm-up is a bug, and stops the benchmark.
    """
    samples = {contender: Samples() for contender in measures}
    live = dict(measures)
    for contender, measure in measures.items():
        progress(f"{name}: warming up {contender}")
        for _ in range(warmup):
            try:
                measure()
            except AssertionError:
                raise
            except Exception as exc:  # a contender that cannot do the job is reported as such
                samples[contender].error = f"{type(exc).__module__}.{type(exc).__name__}: {exc}"
                live.pop(contender)
                break
    order = list(live)
    for number in range(rounds):
        progress(f"{name}: round {number + 1}/{rounds}")
        shift = number % len(order) if order else 0
        for contender in order[shift:] + order[:shift]:
            samples[contender].values.append(live[contender]())
    result = Result(name, description, unit, samples, ratios_of(samples, targets))
    for contender, job in (profiled or {}).items():
        if contender in live:
            progress(f"{name}: profiling {contender}")
            result.profiles[contender] = profile(job)
    return result


# ----------------------------------------------------------------------------------- output


def _fmt(value: float) -> str:
    return f"{value:.3g}" if value < 10 else f"{value:.1f}"


def table(result: Result) -> str:
    lines = [f"{result.name}: {result.description}", f"  {result.unit}, median (min-max)"]
    width = max([len(n) for n in result.contenders] + [10])
    for contender, samples in result.contenders.items():
        if samples.error is not None:
            lines.append(f"    {contender:<{width}}  FAILED: {samples.error[:160]}")
            continue
        lines.append(
            f"    {contender:<{width}}  {_fmt(samples.median):>8}  "
            f"({_fmt(min(samples.values))}-{_fmt(max(samples.values))})"
        )
    if result.ratios:
        labels = [f"{r.target.numerator} / {r.target.denominator}" for r in result.ratios]
        span = max(len(label) for label in labels)
        lines.append(
            f"  {'ratio (median of the per-round ratios, min-max)':<{span + 25}}  target   result"
        )
        for label, ratio in zip(labels, result.ratios, strict=True):
            t = ratio.target
            measured = (
                f"{ratio.median:6.2f}x ({min(ratio.per_round):.2f}-{max(ratio.per_round):.2f})"
            )
            verdict = {True: "met", False: "NOT MET", None: "(no target)"}[ratio.met]
            wanted = f"{t.op} {t.threshold:<4g}" if t.op else " " * 7
            note = f"  [{t.note}]" if t.note else ""
            lines.append(f"    {label:<{span}} {measured:<22} {wanted}  {verdict}{note}")
            per_round = " ".join(f"{r:.2f}" for r in ratio.per_round)
            lines.append(f"      per round: {per_round}")
    lines.extend(f"  note: {note}" for note in result.notes)
    for contender, run in result.profiles.items():
        lines.append(
            f"  where the time of {contender} goes: one run under cProfile "
            f"({run.seconds * 1e3:,.0f} ms with the profiler), by time of its own"
        )
        for spot in run.hotspots:
            own = f"{spot.seconds * 1e3:8.1f} ms"
            lines.append(f"    {spot.share:6.1%} {own} {spot.calls:>9,}x  {spot.where}")
    return "\n".join(lines)
