"""The scenarios measured in fresh processes: import time, peak memory, over the wire."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import warnings
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks import contenders as c
from benchmarks.harness import Result, Target, per_unit, run_scenario

ROOT = Path(__file__).resolve().parent.parent
OURS, OPENAI, FLOOR = "portkey-runs", "openai", "floor: httpx + json.loads"


# Children may write bytecode (as an installed package has it, compiled by the installer): the
# warm-up round writes it, the measured rounds read it. PYTHONDONTWRITEBYTECODE, where it is set,
# would make every import compile its source again, and measure the compiler.
_ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


def _python(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        input=stdin,
        env=_ENV,
    )


# ------------------------------------------------------------------------------- import

IMPORTS = {
    "httpx": "import httpx",
    "portkey_runs": "import portkey_runs",
    "portkey_runs_api": "import portkey_runs_api",
    "portkey_runs_api.models": "import portkey_runs_api.models",
    "openai": "import openai",
    "portkey_ai": "import portkey_ai",
    # portkey_runs loads what a job needs when it is first used: these show what that costs.
    "httpx + Client()": "import httpx; httpx.Client()",
    "portkey_runs + Client()": "import portkey_runs; portkey_runs.Client('pk')",
    "portkey_runs + Client().runs": "import portkey_runs; portkey_runs.Client('pk').runs",
}
# httpx imports its command-line tool's dependencies (click, rich, pygments) when they are
# installed, as they are in this project's development environment (through the generator), but
# not where `pip install portkey-runs` is all a user did: the children hide them, as there.
_USER_LIKE = "import sys; sys.modules.update(dict.fromkeys(['click', 'rich', 'pygments']))"
_IMPORT = (
    _USER_LIKE
    + "; import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
)


def _import_ms(statement: str) -> Callable[[], float]:
    def measure() -> float:
        return float(_python("-c", _IMPORT.format(statement=statement)).stdout) * 1e3

    return measure


def offenders(module: str = "portkey_runs", top: int = 8) -> list[tuple[str, float]]:
    """``python -X importtime``: the top-level packages whose own modules take the most time
    while importing ``module``, in milliseconds."""
    stderr = _python("-X", "importtime", "-c", f"{_USER_LIKE}; import {module}").stderr
    by_package: Counter[str] = Counter()  # microseconds
    for line in stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)", line)
        if match:
            by_package[match.group(2).split(".")[0]] += int(match.group(1))
    return [(name, us / 1e3) for name, us in by_package.most_common(top)]


def import_time(rounds: int, progress: Callable[[str], None]) -> Result:
    result = run_scenario(
        "import",
        "`import X` in a fresh interpreter (bytecode cached), timed inside it, without httpx's "
        "CLI dependencies (click, rich, pygments), as a user's environment has them",
        "milliseconds",
        {name: _import_ms(statement) for name, statement in IMPORTS.items()},
        [
            Target("portkey_runs", "httpx", "<=", 1.3),
            Target("portkey_runs + Client()", "httpx + Client()", ""),
            Target("portkey_runs + Client().runs", "httpx", ""),
            Target("portkey_runs_api", "httpx", ""),
            Target("portkey_runs_api.models", "httpx", ""),
            Target("openai", "portkey_runs", ""),
            Target("portkey_ai", "portkey_runs", ""),
        ],
        rounds=rounds,
        progress=progress,
    )
    shown = ", ".join(f"{name} {ms:.1f}" for name, ms in offenders())
    result.notes.append(f"import portkey_runs, own time by top-level package (ms): {shown}")
    return result


# ------------------------------------------------------------------------------- memory

SMALL, LARGE = 1_000, 100_000


def _peak_mib(contender: str, runs: int) -> Callable[[], float]:
    def measure() -> float:
        return int(_python("-m", "benchmarks._memory", contender, str(runs)).stdout) / 1024

    return measure


def memory(rounds: int, progress: Callable[[str], None]) -> Result:
    measures = {
        f"{who} {runs:,} runs": _peak_mib(contender, runs)
        for who, contender in ((OURS, "portkey-runs"), (FLOOR, "floor"))
        for runs in (SMALL, LARGE)
    }
    return run_scenario(
        "memory",
        f"peak RSS iterating {LARGE:,} runs against {SMALL:,} (pages of 100 made on request, "
        "each run dropped once seen), fresh processes",
        "MiB",
        measures,
        [
            Target(f"{OURS} {LARGE:,} runs", f"{OURS} {SMALL:,} runs", "<=", 1.1),
            Target(
                f"floor: httpx + json.loads {LARGE:,} runs",
                f"floor: httpx + json.loads {SMALL:,} runs",
                "",
            ),
        ],
        rounds=rounds,
        progress=progress,
    )


# ------------------------------------------------------------------------- over the wire


class ReferenceServer:
    """The reference server in a child process (``benchmarks._server``)."""

    def __init__(self, runs: int, submissions: int, events: int) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "benchmarks._server",
                str(runs),
                str(submissions),
                str(events),
            ],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            self.close()
            raise RuntimeError("the reference server did not start")
        info: dict[str, Any] = json.loads(line)
        self.base_url: str = info["base_url"]
        self.list_thread: str = info["list_thread"]
        self.waiting: list[tuple[str, str, list[str]]] = [tuple(w) for w in info["waiting"]]

    def take(self, count: int) -> list[tuple[str, str, list[str]]]:
        """``count`` runs waiting for their tool outputs, each handed out once."""
        if len(self.waiting) < count:
            raise RuntimeError("the benchmark ran out of waiting runs")
        taken, self.waiting = self.waiting[:count], self.waiting[count:]
        return taken

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)


#: What each call of a tool outputs: long enough for a reply of 10,000 text deltas.
LONG_OUTPUT = "21 degrees and sunny. " * 500


def wire(
    rounds: int, progress: Callable[[str], None], *, runs: int = 5_000, events: int = 10_000
) -> list[Result]:
    import httpx

    contenders = 3
    server = ReferenceServer(runs, contenders * (rounds + 1), events)
    try:
        base = server.base_url
        ours = c.portkey_runs_client(base)
        sdk = c.openai_client(base)
        floor = httpx.Client(
            base_url=base + "/", timeout=60, headers={"OpenAI-Beta": "assistants=v2"}
        )

        def quiet(job: Callable[[], int]) -> Callable[[], int]:
            def run() -> int:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", DeprecationWarning)
                    return job()

            return run

        thread = server.list_thread
        lists: dict[str, Callable[[], int]] = {
            OURS: lambda: c.portkey_runs_list(ours, thread)[0],
            OPENAI: quiet(lambda: c.openai_list(sdk, thread)[0]),
            FLOOR: lambda: c.floor_list(floor, thread)[0],
        }
        listed = run_scenario(
            "list over the wire",
            f"{runs:,} runs in pages of 100 from the reference server on loopback "
            "(its own process, uvicorn)",
            "microseconds per run",
            {name: per_unit(job, runs, name) for name, job in lists.items()},
            [
                Target(OPENAI, OURS, "", note="end to end"),
                Target(OURS, FLOOR, ""),
            ],
            rounds=rounds,
            progress=progress,
        )

        def streams(stream_one: Callable[[str, str, c.Outputs], c.Streamed]) -> Callable[[], int]:
            def job() -> int:
                ((thread_id, run_id, calls),) = server.take(1)
                outputs = [{"tool_call_id": call, "output": LONG_OUTPUT} for call in calls]
                return stream_one(thread_id, run_id, outputs)[0]

            return job

        def ours_one(thread_id: str, run_id: str, outputs: c.Outputs) -> c.Streamed:
            return c.portkey_runs_read_stream(ours, thread_id, run_id, outputs)

        streamed = run_scenario(
            "stream over the wire",
            f"a {events:,}-event stream (one submission) from the reference server on loopback "
            "(no delay between events)",
            "microseconds per event",
            {
                name: per_unit(job, events, name)
                for name, job in {
                    OURS: streams(ours_one),
                    OPENAI: quiet(streams(lambda t, r, o: c.openai_stream(sdk, t, r, o))),
                    "floor: httpx iter_lines + json.loads": streams(
                        lambda t, r, o: c.floor_stream(floor, t, r, o)
                    ),
                }.items()
            },
            [
                Target(OPENAI, OURS, "", note="end to end"),
                Target(OURS, "floor: httpx iter_lines + json.loads", ""),
            ],
            rounds=rounds,
            progress=progress,
        )
        return [listed, streamed]
    finally:
        server.close()
