"""What tracing costs (``--only otel``): the same client without a tracer provider and with
OpenTelemetry's SDK recording every span into an in-memory exporter.

Without a provider OpenTelemetry's spans are non-recording: that row is compared, in the same
rounds, with a client whose hooks run as they do where OpenTelemetry cannot be imported (no
tracer); ``--no-otel`` does the same across processes (compare the ``list`` and ``stream``
rows of a run with it to those of a run without it). With the SDK, the ratio is the price of
recording: two spans a request (the page walk's or the stream's, and the attempt's) and
nothing per event.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from benchmarks import contenders as c
from benchmarks import payloads
from benchmarks.harness import Result, Target, per_unit, run_scenario
from benchmarks.inmemory import BASE_URL

ABSENT = "portkey-runs, as without OpenTelemetry"
PLAIN = "portkey-runs, no tracer provider"
TRACED = "portkey-runs, SDK + in-memory exporter"


def _provider() -> tuple[Any, Callable[[], None]]:
    """An SDK tracer provider exporting to memory, and a function that empties the memory."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider, exporter.clear


def otel(fx: Any, rounds: int, progress: Callable[[str], None]) -> list[Result]:
    import portkey_runs

    provider, clear = _provider()

    from portkey_runs._tracing import Tracing

    class Absent(Tracing):
        """The hooks as they run where OpenTelemetry cannot be imported: no tracer."""

        def tracer(self) -> None:
            return None

    def client(**tracing: Any) -> Any:
        return portkey_runs.Client(
            "pk-bench", base_url=BASE_URL, virtual_key="vk-bench", transport=fx.httpx(), **tracing
        )

    plain, traced, absent = client(), client(tracer_provider=provider), client()
    absent.api.tracing = Absent()  # before its first request: nothing was built from it yet
    thread, run, outputs = payloads.THREAD_ID, payloads.RUN_ID, fx.outputs

    def listing(who: Any) -> Callable[[], int]:
        def job() -> int:
            clear()
            return c.portkey_runs_list(who, thread)[0]

        return job

    def streaming(who: Any) -> Callable[[], int]:
        def job() -> int:
            clear()
            return c.portkey_runs_read_stream(who, thread, run, outputs)[0]

        return job

    target = [
        Target(PLAIN, ABSENT, "<=", 1.03, note="OpenTelemetry installed, no provider"),
        Target(TRACED, PLAIN, "", note="the price of recording every span"),
    ]
    pages = -(-fx.total_runs // 100)
    listed = run_scenario(
        "otel: list",
        f"{fx.total_runs:,} runs in {pages} requests, spans recorded or not",
        "microseconds per run",
        {
            ABSENT: per_unit(listing(absent), fx.total_runs, ABSENT),
            PLAIN: per_unit(listing(plain), fx.total_runs, PLAIN),
            TRACED: per_unit(listing(traced), fx.total_runs, TRACED),
        },
        target,
        rounds=rounds,
        progress=progress,
    )
    streamed = run_scenario(
        "otel: stream",
        f"a {fx.total_events:,}-event stream in one request, spans recorded or not",
        "microseconds per event",
        {
            ABSENT: per_unit(streaming(absent), fx.total_events, ABSENT),
            PLAIN: per_unit(streaming(plain), fx.total_events, PLAIN),
            TRACED: per_unit(streaming(traced), fx.total_events, TRACED),
        },
        target,
        rounds=rounds,
        progress=progress,
    )
    for result, units, unit in ((listed, fx.total_runs / pages, "request"), (streamed, 1, "event")):
        extra = (result.contenders[TRACED].median - result.contenders[PLAIN].median) * units
        result.notes.append(f"recording costs {extra:+.1f} microseconds per {unit}")
    for each in (absent, plain, traced):
        each.close()
    hooks = _hooks(provider, clear, rounds, progress, listed)
    provider.shutdown()
    return [listed, streamed, hooks]


def _hooks(
    provider: Any,
    clear: Callable[[], None],
    rounds: int,
    progress: Callable[[str], None],
    listed: Result,
) -> Result:
    """The transport hook alone, per request: what tracing adds to each attempt, against a
    network that answers at once (so that nothing else is in the measure)."""
    import httpx

    from portkey_runs._tracing import Tracing

    requests = 2_000

    class Answer(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            return httpx.Response(200, request=request)

    def sending(transport: httpx.BaseTransport) -> Callable[[], int]:
        def job() -> int:
            clear()
            for _ in range(requests):
                transport.handle_request(httpx.Request("GET", BASE_URL + "/threads/t/runs"))
            return requests

        return job

    bare = Answer()
    contenders = {
        "no hook (as without OpenTelemetry)": bare,
        PLAIN: Tracing().transport(bare),
        TRACED: Tracing(provider=provider).transport(bare),
    }
    result = run_scenario(
        "otel: the transport hook",
        f"{requests:,} requests to a transport that answers at once",
        "microseconds per request",
        {name: per_unit(sending(t), requests, name) for name, t in contenders.items()},
        [],
        rounds=rounds,
        progress=progress,
    )
    medians = {name: samples.median for name, samples in result.contenders.items()}
    base = medians["no hook (as without OpenTelemetry)"]
    page = listed.contenders[ABSENT].median * 100  # one request of the listing: 100 runs
    for name in (PLAIN, TRACED):
        extra = medians[name] - base
        result.notes.append(
            f"{name}: {extra:+.1f} microseconds per request, "
            f"{extra / page:+.2%} of a request of the listing ({page:,.0f} microseconds)"
        )
    return result


def block_opentelemetry() -> None:
    """Make ``import opentelemetry`` fail in this process, as if it were not installed."""
    import sys
    from importlib.abc import MetaPathFinder

    class Refuse(MetaPathFinder):
        def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
            if name.split(".")[0] == "opentelemetry":
                raise ImportError(f"{name}: blocked by --no-otel")

    sys.meta_path.insert(0, Refuse())
