"""schemathesis fuzzes the reference server over loopback against openapi.yaml.

Every case is sent and its answer checked by schemathesis' default checks (status codes
documented, content types, headers, schemas, positive data accepted, negative data
rejected, auth enforced); the events of a stream are checked by the wire models instead of
the schema check (see ``check_stream``).

Half of the cases are pointed at a seeded thread so that 200s are exercised: their cursors
become real run ids and, for a submission, the run is a fresh ``requires_action`` run whose
pending calls the positive body answers (streamed half of the time). Positive cases without
``OpenAI-Beta`` get it, as the generated client sends it: the spec declares it optional with
that default, while the API (and this server) requires it.

Deterministic: ``derandomize=True``, a bounded number of examples, no example database.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from requests.structures import CaseInsensitiveDict
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.checks import response_schema_conformance
from schemathesis.core.result import Ok

from portkey_runs.testing import ReferenceState, RunningServer, serve

from .helpers import decode, validate_event

SPEC = Path(__file__).resolve().parents[2] / "openapi.yaml"
MAX_EXAMPLES = 100
AUTH = {"x-portkey-api-key": "pk-fuzz"}
Operation = APIOperation[Any, Any, Any, Any]
AnyCase = Case[Any]
SEEDED_STATUSES = ["completed", "failed", "cancelled", "incomplete", "expired", "in_progress"] * 5


@dataclass
class Figures:
    operations: int = 0
    cases: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    events: int = 0


@dataclass
class Fuzz:
    server: RunningServer
    thread_id: str
    figures: Figures

    @property
    def state(self) -> ReferenceState:
        return self.server.state

    def point_at_seeded_thread(self, case: AnyCase, data: st.DataObject) -> None:
        case.path_parameters = {**(case.path_parameters or {}), "thread_id": self.thread_id}
        positive = case.meta is None or case.meta.generation.mode.is_positive
        if case.operation.method.upper() == "GET":
            if positive and case.query:
                ids = [run.id for run in self.state.runs(self.thread_id)]
                for cursor in ("after", "before"):
                    if cursor in case.query:
                        case.query[cursor] = data.draw(st.sampled_from(ids), label=cursor)
            return
        calls = data.draw(st.integers(1, 3), label="tool_calls")
        run_id = self.state.add_run(self.thread_id, tool_calls=calls)
        case.path_parameters["run_id"] = run_id
        body: Any = case.body
        if positive and isinstance(body, dict):
            texts = [output["output"] for output in body["tool_outputs"]] + [""] * calls
            pending = self.state.pending_tool_call_ids(self.thread_id, run_id)
            body["tool_outputs"] = [
                {"tool_call_id": call_id, "output": text}
                for call_id, text in zip(pending, texts, strict=False)
            ]
            if data.draw(st.booleans(), label="stream"):
                body["stream"] = True

    def run(self, case: AnyCase, data: st.DataObject, label: str) -> None:
        if data.draw(st.booleans(), label="seeded thread"):
            self.point_at_seeded_thread(case, data)
        positive = case.meta is None or case.meta.generation.mode.is_positive
        if positive:
            headers = case.headers if case.headers is not None else CaseInsensitiveDict()
            headers.setdefault("OpenAI-Beta", "assistants=v2")
            case.headers = headers
        self.figures.cases[label] += 1
        response = case.call(base_url=self.server.base_url, headers=AUTH, timeout=10)
        self.figures.statuses[f"{case.operation.method.upper()} {response.status_code}"] += 1
        stream = (response.headers.get("content-type") or [""])[0].startswith("text/event-stream")
        try:
            case.validate_response(
                response,
                headers=AUTH,
                transport_kwargs={"base_url": self.server.base_url},
                excluded_checks=[response_schema_conformance] if stream else None,
            )
            if stream:
                self.figures.events += check_stream(response.content)
        except (AssertionError, BaseExceptionGroup, ValueError) as failure:  # reported below
            self.figures.failures.append(f"{label}: {failure}\n{case.as_curl_command()}")


def check_stream(body: bytes) -> int:
    """Each event validated by the wire model (see the module docstring); how many there were.

    schemathesis reads an event's ``data`` as the string it is on the wire, while the spec
    describes it parsed (as the wire models do), so its schema check cannot apply here.
    """
    events = decode(body)
    for event in events:
        validate_event(event)
    assert events[-1].event == "done", "the stream does not end with done"
    return len(events)


def fuzz_operation(fuzz: Fuzz, operation: Operation) -> None:
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        strategy = operation.as_strategy(generation_mode=mode)
        explore(fuzz, strategy, f"{operation.label} [{mode.value}]", MAX_EXAMPLES)
    for index, strategy in enumerate(operation.get_strategies_from_examples()):
        explore(fuzz, strategy, f"{operation.label} [example {index}]", 5)


def explore(fuzz: Fuzz, strategy: st.SearchStrategy[AnyCase], label: str, examples: int) -> None:
    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy, data=st.data())
    def send(case: AnyCase, data: st.DataObject) -> None:
        fuzz.run(case, data, label)

    send()


@pytest.mark.filterwarnings("ignore::DeprecationWarning:schemathesis")
def test_reference_server_answers_as_the_spec_says(record_property: Any) -> None:
    schema = schemathesis.openapi.from_path(SPEC)
    results = list(schema.get_all_operations())
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    assert len(operations) == len(results)
    state = ReferenceState(seed=2024)
    thread_id = state.create_thread(statuses=SEEDED_STATUSES, seed=2024)
    figures = Figures(operations=len(operations))
    with serve(state, event_delay=0, api_key=AUTH["x-portkey-api-key"]) as server:
        fuzz = Fuzz(server, thread_id, figures)
        for operation in operations:
            fuzz_operation(fuzz, operation)
    summary = (
        f"schemathesis: {figures.operations} operations, {sum(figures.cases.values())} cases, "
        f"{len(figures.failures)} failures, {figures.events} stream events validated; "
        f"statuses {dict(sorted(figures.statuses.items()))}; cases {dict(figures.cases)}"
    )
    print(summary)
    record_property("schemathesis", summary)
    assert figures.operations == 2
    assert figures.statuses["GET 200"] > 0
    assert figures.statuses["POST 200"] > 0
    assert not figures.failures, "\n\n".join(figures.failures[:5])
