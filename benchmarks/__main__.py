"""``make bench``: every job of portkey-runs against the openai SDK, portkey-ai and the floors.

    python -m benchmarks [--rounds N] [--only list,stream,...] [--quick] [--no-otel] [--profile]

Scenarios (``--only`` takes their keys):

* ``list``: 5,000 runs in pages of 100 from an in-memory transport, sync and async, each run's
  id, status, created_at and model read;
* ``stream``: a 10,000-event stream of a tool-output submission, each text delta's value read,
  with and without the accumulation of the message's text;
* ``import``: ``import X`` in fresh interpreters;
* ``memory``: peak RSS iterating 100,000 runs against 1,000, in fresh processes;
* ``wire``: listing and streaming from the reference server on loopback;
* ``otel``: the ``list`` and ``stream`` jobs with no tracer provider and with OpenTelemetry's
  SDK recording into memory (the price of recording, as a ratio). ``--no-otel`` runs
  everything where OpenTelemetry cannot be imported: its ``list`` and ``stream`` rows against
  a run without it are the cost of having it installed with no provider.

``list`` and ``stream`` have a row for each mode of portkey-runs: eager (strict) and lazy
(default). With ``--profile`` (``make bench PROFILE=1``) each of these rows runs once more
under cProfile after the timed rounds, and the functions with the most time of their own are
printed under the scenario's table: where the time of the row goes.

Within a scenario the contenders run interleaved, one after the other in each round (after a
warm-up); each ratio is taken within a round, and its median over the rounds is compared with
the issue's target: met or NOT MET, printed, never asserted. Everything measured is also
written as JSON to ``.bench/`` (git-ignored): ``latest.json`` and one file per run.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

from benchmarks import processes, scenarios, tracing
from benchmarks.harness import Result, table

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / ".bench"
KEYS = ("list", "stream", "import", "memory", "wire", "otel")
MIN_ROUNDS = 11


def _meta(rounds: int) -> dict[str, Any]:
    def commit() -> str:
        try:
            return subprocess.run(
                ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
            ).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return "unknown"

    packages = ["httpx", "httpx2", "openai", "portkey-ai", "attrs", "orjson"]
    versions: dict[str, str | None] = {}
    for package in packages:
        try:
            versions[package] = version(package)
        except Exception:
            versions[package] = None
    return {
        "opentelemetry": "opentelemetry" in sys.modules,
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "commit": commit(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "rounds": rounds,
        "versions": versions,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--rounds", type=int, default=MIN_ROUNDS, help="rounds per scenario")
    parser.add_argument("--only", default=None, help="comma-separated scenario keys (all)")
    parser.add_argument(
        "--quick", action="store_true", help="3 rounds: for development, not for numbers"
    )
    parser.add_argument(
        "--no-otel",
        action="store_true",
        help="run where OpenTelemetry cannot be imported (compare with a run without this flag)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="then each row of ours in list and stream once under cProfile: its top entries",
    )
    args = parser.parse_args(argv)
    if args.no_otel:
        tracing.block_opentelemetry()
    rounds = 3 if args.quick else args.rounds
    chosen = args.only if args.only is not None else ",".join(KEYS)
    only = [key.strip() for key in chosen.split(",") if key.strip()]
    if args.no_otel and args.only is None:
        only.remove("otel")
    unknown = sorted(set(only) - set(KEYS))
    if unknown:
        parser.error(f"unknown scenario(s) {', '.join(unknown)}; choose from {', '.join(KEYS)}")
    if args.no_otel and "otel" in only:
        parser.error("the otel scenario needs OpenTelemetry: leave it out with --no-otel")
    if rounds < MIN_ROUNDS:
        print(f"(only {rounds} rounds: numbers for development, not for the record)")

    def progress(message: str) -> None:
        if sys.stderr.isatty():
            print(f"\r\033[K  {message}", end="", file=sys.stderr, flush=True)

    results: list[Result] = []

    def show(new: list[Result]) -> None:
        if sys.stderr.isatty():
            print("\r\033[K", end="", file=sys.stderr, flush=True)
        for result in new:
            print(table(result), end="\n\n", flush=True)
        results.extend(new)

    fixture: scenarios.Fixture | None = None
    runners: dict[str, Callable[[], list[Result]]] = {}
    if "list" in only or "stream" in only or "otel" in only:
        fixture = scenarios.Fixture()
    if fixture is not None:
        fx = fixture
        runners["list"] = lambda: [
            scenarios.list_sync(fx, rounds, progress, args.profile),
            scenarios.list_async(fx, rounds, progress, args.profile),
        ]
        runners["stream"] = lambda: [scenarios.stream(fx, rounds, progress, args.profile)]
        runners["otel"] = lambda: tracing.otel(fx, rounds, progress)
    runners["import"] = lambda: [processes.import_time(rounds, progress)]
    runners["memory"] = lambda: [processes.memory(rounds, progress)]
    runners["wire"] = lambda: processes.wire(rounds, progress)
    started = time.perf_counter()
    for key in KEYS:
        if key in only:
            began = time.perf_counter()
            show(runners[key]())
            print(f"({key}: {time.perf_counter() - began:.0f} s)", end="\n\n", flush=True)

    verdicts = [ratio.met for result in results for ratio in result.ratios if ratio.met is not None]
    print(
        f"targets: {sum(verdicts)} of {len(verdicts)} met "
        f"({rounds} rounds, {time.perf_counter() - started:.0f} s)"
    )
    OUT.mkdir(exist_ok=True)
    document = {
        "meta": _meta(rounds),
        "scenarios": {result.name: result.as_json() for result in results},
    }
    text = json.dumps(document, indent=2)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (OUT / f"bench-{stamp}.json").write_text(text)
    (OUT / "latest.json").write_text(text)
    print(f"written to {(OUT / 'latest.json').relative_to(ROOT)} and bench-{stamp}.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
