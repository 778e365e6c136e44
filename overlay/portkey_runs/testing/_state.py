"""The reference server's memory: threads and their runs, queued faults, requests received.

Everything the server answers is built here as plain JSON and validated by the pydantic wire
models of ``_wire`` before it leaves; a payload that does not validate is a bug
of this module, raised as ``pydantic.ValidationError``. Ids come from a seeded random
generator and timestamps from a logical clock, so the same calls give the same data.

The object is shared by the test (or user) thread and the server's thread; every method
takes one lock.
"""

from __future__ import annotations

import json
import random
import threading
from collections import Counter, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from portkey_runs_api.types import check_id

from ._faults import Fault, parse_fault
from ._wire import (
    AssistantStreamEvent,
    ErrorResponse,
    ListRunsResponse,
    Run,
    SubmitToolOutputsRunRequest,
)

__all__ = [
    "RUN_STATUSES",
    "APIError",
    "RecordedRequest",
    "ReferenceState",
    "Submission",
]

JSON = dict[str, Any]

RUN_STATUSES = (
    "queued",
    "in_progress",
    "requires_action",
    "cancelling",
    "cancelled",
    "failed",
    "completed",
    "incomplete",
    "expired",
)
_ACTIVE = frozenset({"queued", "in_progress", "requires_action", "cancelling"})

MODEL = "gpt-4o"
INSTRUCTIONS = "You are a weather bot. Use the provided functions to answer questions."
GET_WEATHER_TOOL: JSON = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a given location",
        "parameters": {
            "type": "object",
            "properties": {
                "location": {"type": "string", "description": "The city, e.g. Paris"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["location"],
        },
    },
}
GET_LOCAL_TIME_TOOL: JSON = {
    "type": "function",
    "function": {
        "name": "get_local_time",
        "description": "Get the local time in a given location",
        "parameters": {
            "type": "object",
            "properties": {"location": {"type": "string", "description": "The city, e.g. Paris"}},
            "required": ["location"],
        },
    },
}
#: The functions a run may call, in the order its rounds ask for them.
TOOLS = (GET_WEATHER_TOOL, GET_LOCAL_TIME_TOOL)
_CITIES = ("Paris", "Tokyo", "Lagos", "Lima", "Oslo", "Cairo", "Denver", "Hanoi", "Perth")
#: How a submission ends the run instead of going on: ``fail`` or ``expire`` it.
Outcome = Literal["continue", "fail", "expire"]


@dataclass
class _Plan:
    """What a ``requires_action`` run will still ask for, and what it was given so far."""

    rounds_left: int
    calls_per_round: int
    answers: list[str]
    #: The tool-calls step of the round it waits for, once streamed (its id and creation).
    step: JSON | None = None
    #: How many text deltas the reply is cut into (``None``: a few, at random).
    reply_deltas: int | None = None


class APIError(Exception):
    """An error answer of the API: its status and its ``{"error": {...}}`` body."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        type: str = "invalid_request_error",
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param
        self.code = code
        self.type = type

    def body(self) -> JSON:
        """The error body, validated as an ``ErrorResponse``."""
        error = {"message": self.message, "type": self.type, "param": self.param}
        return validated(ErrorResponse, {"error": {**error, "code": self.code}})


@dataclass(frozen=True)
class RecordedRequest:
    """A request the server received (before any fault or check was applied)."""

    method: str
    path: str
    query: str
    headers: Mapping[str, str]


@dataclass(frozen=True)
class Submission:
    """An accepted submission: the run as answered (``queued``) and its stream of events.

    ``events`` are ``(name, data)`` pairs in order, each validated as an
    ``AssistantStreamEvent``; ``data`` is JSON, or the literal ``"[DONE]"`` of ``done``.
    """

    run: JSON
    events: list[tuple[str, JSON | str]]


def validated(model: type[BaseModel], payload: Any) -> JSON:
    """``payload`` validated by ``model`` and dumped back to JSON (exactly the fields given)."""
    return model.model_validate(payload).model_dump(mode="json", by_alias=True, exclude_unset=True)


class ReferenceState:
    """Threads, runs, faults to inject and the requests received, for one reference server.

    ``seed`` fixes the ids; ``start_time`` is the first timestamp of the logical clock.
    """

    def __init__(self, *, seed: int = 0, start_time: int = 1_700_000_000) -> None:
        self._lock = threading.RLock()
        self._rng = random.Random(seed)
        self._now = start_time
        self._threads: dict[str, list[str]] = {}
        self._runs: dict[str, Run] = {}
        self._replies: dict[str, str] = {}
        self._plans: dict[str, _Plan] = {}
        #: The runs that wait again once ended (``add_run(renew=True)``): each as first created,
        #: with its number of rounds and whether its first call's arguments are broken.
        self._renewing: dict[str, tuple[Run, int, bool]] = {}
        self._ids: set[str] = set()
        # Request and trace ids come from a generator of their own, so that answering a
        # request never changes the ids of the threads and runs created after it.
        self._answer_rng = random.Random(f"answers-{seed}")
        self.assistant_id = self._new_id("asst", self._rng)
        #: Faults consumed one per request that has no ``x-reference-fault`` header of its own.
        self.faults: deque[Fault] = deque()
        #: Every request received, in order.
        self.requests: list[RecordedRequest] = []
        #: When set to an event, every stream waits for it after its first event (max 30 s).
        self.stream_gate: threading.Event | None = None
        #: How many event streams were sent to their end (their ``done`` event).
        self.finished_streams = 0
        #: How many clients hung up while their event stream was being sent.
        self.hangups = 0

    # -------------------------------------------------------------------------- seeding

    def create_thread(
        self,
        n_runs: int | None = None,
        statuses: str | Sequence[str] | None = None,
        *,
        seed: int | None = None,
        tool_calls: int = 1,
        rounds: int = 1,
        bad_arguments: bool = False,
        reply_deltas: int | None = None,
        thread_id: str | None = None,
    ) -> str:
        """A new thread with ``n_runs`` runs, oldest first; its id (``thread_id`` if given, as
        ``thread_abc123`` for examples; ``ValueError`` if it is taken).

        ``statuses`` is one status for every run or one per run (then ``n_runs`` may be
        left out); the default is ``completed``. Each ``requires_action`` run waits for
        ``tool_calls`` calls of ``get_weather`` and asks for tool outputs ``rounds`` times in
        all (the later rounds call ``get_local_time``, then ``get_weather``, in turn) before it
        completes; with ``bad_arguments`` the first call's arguments are not valid JSON.
        ``reply_deltas`` cuts the reply into that many text deltas (as many as it has characters
        at most; a long stream for a benchmark), instead of a few. ``seed`` makes this thread's
        ids independent of what was created before.
        """
        if isinstance(statuses, str) or statuses is None:
            count = n_runs or 0
            chosen = [statuses or "completed"] * count
        else:
            chosen = list(statuses)
            if n_runs is not None and n_runs != len(chosen):
                raise ValueError(f"n_runs={n_runs} but {len(chosen)} statuses were given")
        for status in chosen:
            _check_status(status)
        rng = random.Random(seed) if seed is not None else self._rng
        with self._lock:
            thread_id = self._claim(thread_id) if thread_id else self._new_id("thread", rng)
            self._threads[thread_id] = []
            for status in chosen:
                run_id = self._add_run(thread_id, status, tool_calls, rng, rounds, bad_arguments)
                if run_id in self._plans:
                    self._plans[run_id].reply_deltas = reply_deltas
            return thread_id

    def add_run(
        self,
        thread_id: str,
        status: str = "requires_action",
        *,
        tool_calls: int = 1,
        rounds: int = 1,
        bad_arguments: bool = False,
        reply_deltas: int | None = None,
        run_id: str | None = None,
        renew: bool = False,
    ) -> str:
        """A new run (the thread's latest) in ``status``; its id (``run_id`` if given;
        ``ValueError`` if it is taken). ``KeyError`` if no such thread. The other keywords are
        those of :meth:`create_thread`.

        ``renew`` (a ``requires_action`` run): once its last round has ended it, the stream
        says so, and the run waits again at its first round with new calls, as stripe-mock's
        fixed objects never change (``serve``'s ``run_abc123``, so that examples run again)."""
        _check_status(status)
        if renew and status != "requires_action":
            raise ValueError(f"only a requires_action run can renew, not a {status} one")
        with self._lock:
            if thread_id not in self._threads:
                raise KeyError(thread_id)
            run_id = self._add_run(
                thread_id, status, tool_calls, self._rng, rounds, bad_arguments, run_id
            )
            if run_id in self._plans:
                self._plans[run_id].reply_deltas = reply_deltas
            if renew:
                self._renewing[run_id] = (self._runs[run_id], rounds, bad_arguments)
            return run_id

    def get_run(self, thread_id: str, run_id: str) -> Run:
        """The stored run; ``KeyError`` if the thread has no such run."""
        with self._lock:
            run = self._runs.get(run_id)
            if run is None or run.thread_id != thread_id:
                raise KeyError(run_id)
            return run

    def runs(self, thread_id: str) -> list[Run]:
        """The thread's runs, oldest first; ``KeyError`` if no such thread."""
        with self._lock:
            return [self._runs[run_id] for run_id in self._threads[thread_id]]

    def pending_tool_call_ids(self, thread_id: str, run_id: str) -> list[str]:
        """The ids of the tool calls the run waits for (empty unless ``requires_action``)."""
        action = self.get_run(thread_id, run_id).required_action
        return [] if action is None else [call.id for call in action.submit_tool_outputs.tool_calls]

    def reply_text(self, run_id: str) -> str | None:
        """The text of the message the run wrote after its last tool outputs, if it got them."""
        with self._lock:
            return self._replies.get(run_id)

    def rounds_left(self, run_id: str) -> int:
        """How many more times the run will ask for tool outputs (0 once it stops asking)."""
        with self._lock:
            plan = self._plans.get(run_id)
            return 0 if plan is None else plan.rounds_left

    # -------------------------------------------------------------------------- faults, requests

    def new_id(self, prefix: str) -> str:
        """A new id for an answer's header (``req_...``, ``trace_...``)."""
        with self._lock:
            return f"{prefix}_{self._answer_rng.getrandbits(96):024x}"

    def inject(self, *specs: str | Fault) -> None:
        """Queue faults (specs or ``Fault``s), consumed one per request, first in first out."""
        parsed = [spec if isinstance(spec, Fault) else parse_fault(spec) for spec in specs]
        with self._lock:
            self.faults.extend(parsed)

    def next_fault(self) -> Fault | None:
        with self._lock:
            return self.faults.popleft() if self.faults else None

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    @property
    def request_counts(self) -> Counter[str]:
        """How many requests each path received (e.g. ``/v1/threads/thread_x/runs``)."""
        with self._lock:
            return Counter(request.path for request in self.requests)

    def count(self, path: str | None = None, *, method: str | None = None) -> int:
        """How many requests were received, for one path and/or method if given."""
        with self._lock:
            return sum(
                1
                for request in self.requests
                if (path is None or request.path == path)
                and (method is None or request.method == method.upper())
            )

    # -------------------------------------------------------------------------- the API

    def list_runs(
        self,
        thread_id: str,
        *,
        limit: int = 20,
        order: str = "desc",
        after: str | None = None,
        before: str | None = None,
    ) -> JSON:
        """One page of runs as a validated ``ListRunsResponse``; ``APIError`` 404/400.

        The cursors are exclusive. With ``before`` alone the page holds the ``limit`` runs
        just before the cursor (in list order); with ``after`` (and optionally ``before``)
        the first ``limit`` runs after it. ``has_more`` tells whether more runs lie beyond
        the page in the direction of travel.
        """
        if not 1 <= limit <= 100 or order not in ("asc", "desc"):
            raise ValueError("limit must be 1..100 and order asc or desc")
        with self._lock:
            ids = self._thread(thread_id)
            ordered = ids if order == "asc" else ids[::-1]
            low = 0 if after is None else _cursor(ordered, after, "after", thread_id) + 1
            high = len(ordered) if before is None else _cursor(ordered, before, "before", thread_id)
            window = ordered[low:high]
            page = window[-limit:] if before is not None and after is None else window[:limit]
            data = [
                self._runs[run_id].model_dump(mode="json", exclude_unset=True) for run_id in page
            ]
        return validated(
            ListRunsResponse,
            {
                "object": "list",
                "data": data,
                "first_id": page[0] if page else None,
                "last_id": page[-1] if page else None,
                "has_more": len(window) > len(page),
            },
        )

    def submit_tool_outputs(
        self,
        thread_id: str,
        run_id: str,
        request: SubmitToolOutputsRunRequest,
        *,
        outcome: Outcome = "continue",
        bad_arguments: bool = False,
    ) -> Submission:
        """Hand the outputs to a ``requires_action`` run: it asks for the next round of tool
        outputs (``requires_action`` again, with new calls) or, after its last round, completes.

        ``outcome="fail"`` or ``"expire"`` makes the run fail or expire instead;
        ``bad_arguments`` gives the next round's first call arguments that are not valid JSON.
        ``APIError`` 404 for an unknown thread or run, 400 unless every pending tool call gets
        exactly one output. The stored run is in its new state on return.
        """
        with self._lock:
            self._thread(thread_id)
            run = self._runs.get(run_id)
            if run is None or run.thread_id != thread_id:
                raise APIError(404, f"No run found with id '{run_id}'.")
            outputs = _check_outputs(run, request)
            submission, stored = self._answer(run, outputs, outcome, bad_arguments)
            if run_id in self._renewing and stored.status.value not in _ACTIVE:
                stored = self._renewed(run_id)
            self._runs[run_id] = stored
            return submission

    # -------------------------------------------------------------------------- internals

    def _thread(self, thread_id: str) -> list[str]:
        ids = self._threads.get(thread_id)
        if ids is None:
            raise APIError(404, f"No thread found with id '{thread_id}'.")
        return ids

    def _renewed(self, run_id: str) -> Run:
        """A renewing run that has ended, waiting again: as first created, with new calls for
        its first round and a new plan."""
        first, rounds, bad_arguments = self._renewing[run_id]
        plan = self._plans[run_id]
        calls = self._tool_calls(0, plan.calls_per_round, self._rng, bad_arguments)
        self._plans[run_id] = _Plan(
            rounds_left=rounds,
            calls_per_round=plan.calls_per_round,
            answers=[],
            reply_deltas=plan.reply_deltas,
        )
        waiting = first.model_dump(mode="json", exclude_unset=True)
        waiting["required_action"]["submit_tool_outputs"]["tool_calls"] = calls
        return Run.model_validate(waiting)

    def _claim(self, chosen: str) -> str:
        """``chosen`` as a new id; ``ValueError`` if it is taken or not a valid id."""
        check_id("id", chosen)
        if chosen in self._ids:
            raise ValueError(f"the id {chosen!r} is taken")
        self._ids.add(chosen)
        return chosen

    def _new_id(self, prefix: str, rng: random.Random) -> str:
        while True:
            candidate = f"{prefix}_{rng.getrandbits(96):024x}"
            if candidate not in self._ids:
                self._ids.add(candidate)
                return candidate

    def _tick(self, seconds: int = 1) -> int:
        self._now += seconds
        return self._now

    def _add_run(
        self,
        thread_id: str,
        status: str,
        tool_calls: int,
        rng: random.Random,
        rounds: int = 1,
        bad_arguments: bool = False,
        chosen_id: str | None = None,
    ) -> str:
        if tool_calls < 1:
            raise ValueError("tool_calls must be at least 1")
        if rounds < 1:
            raise ValueError("rounds must be at least 1")
        run_id = self._claim(chosen_id) if chosen_id else self._new_id("run", rng)
        created = self._tick(rng.randint(1, 30))
        run: JSON = {
            "id": run_id,
            "object": "thread.run",
            "created_at": created,
            "thread_id": thread_id,
            "assistant_id": self.assistant_id,
            "status": status,
            "required_action": None,
            "last_error": None,
            "expires_at": created + 600 if status in _ACTIVE or status == "expired" else None,
            "started_at": None if status == "queued" else created + 1,
            "cancelled_at": None,
            "failed_at": None,
            "completed_at": None,
            "incomplete_details": None,
            "model": MODEL,
            "instructions": INSTRUCTIONS,
            "tools": list(TOOLS),
            "metadata": {},
            "usage": None,
            "temperature": 1.0,
            "top_p": 1.0,
            "max_prompt_tokens": None,
            "max_completion_tokens": None,
            "truncation_strategy": {"type": "auto", "last_messages": None},
            "tool_choice": "auto",
            "parallel_tool_calls": True,
            "response_format": "auto",
            "tool_resources": {},
            "reasoning_effort": None,
        }
        usage = _usage(rng.randint(60, 400), rng.randint(5, 120))
        if status == "requires_action":
            calls = self._tool_calls(0, tool_calls, rng, bad_arguments)
            run["required_action"] = {
                "type": "submit_tool_outputs",
                "submit_tool_outputs": {"tool_calls": calls},
            }
            self._plans[run_id] = _Plan(rounds_left=rounds, calls_per_round=tool_calls, answers=[])
        elif status == "completed":
            run.update(completed_at=created + 4, usage=usage)
        elif status == "cancelled":
            run.update(cancelled_at=created + 3, usage=usage)
        elif status == "failed":
            run.update(
                failed_at=created + 3,
                usage=usage,
                last_error={"code": "server_error", "message": "Sorry, something went wrong."},
            )
        elif status == "incomplete":
            run.update(
                usage=usage,
                max_completion_tokens=256,
                incomplete_details={"reason": "max_completion_tokens"},
            )
        self._runs[run_id] = Run.model_validate(run)
        self._threads[thread_id].append(run_id)
        return run_id

    def _tool_calls(
        self, round_number: int, count: int, rng: random.Random, bad_arguments: bool
    ) -> list[JSON]:
        """The calls of one round: ``count`` calls of the round's function, each on a city."""
        name = TOOLS[round_number % len(TOOLS)]["function"]["name"]
        calls = []
        for number in range(count):
            arguments = json.dumps({"location": rng.choice(_CITIES)})
            if bad_arguments and number == 0:
                arguments = arguments[: len(arguments) // 2]  # cut: not valid JSON
            calls.append(
                {
                    "id": self._new_id("call", rng),
                    "type": "function",
                    "function": {"name": name, "arguments": arguments},
                }
            )
        return calls

    def _answer(
        self, run: Run, outputs: dict[str, str], outcome: Outcome, bad_arguments: bool
    ) -> tuple[Submission, Run]:
        """The events that answer a submission, and the run as it is after them."""
        base: JSON = run.model_dump(mode="json", exclude_unset=True)
        action = run.required_action
        assert action is not None  # checked by _check_outputs
        calls = action.submit_tool_outputs.tool_calls
        plan = self._plans.setdefault(run.id, _Plan(rounds_left=1, calls_per_round=1, answers=[]))
        plan.answers += [
            f'{call.function.name}({call.function.arguments}) said "{outputs[call.id]}"'
            for call in calls
        ]
        plan.rounds_left -= 1
        rng = self._rng
        now = self._tick()
        common = {"assistant_id": base["assistant_id"], "thread_id": base["thread_id"]}
        step_common = {
            **common,
            "object": "thread.run.step",
            "run_id": base["id"],
            "last_error": None,
            "expires_at": None,
            "cancelled_at": None,
            "failed_at": None,
        }
        tool_usage = _usage(rng.randint(60, 400), rng.randint(5, 40))
        waited = plan.step or {
            **step_common,
            "id": self._new_id("step", rng),
            "created_at": base["started_at"] or base["created_at"],
            "type": "tool_calls",
            "status": "in_progress",
            "completed_at": None,
            "usage": None,
            "step_details": {"type": "tool_calls", "tool_calls": []},
        }
        tool_step = {
            **waited,
            "status": "completed",
            "completed_at": now,
            "expires_at": None,
            "usage": tool_usage,
            "step_details": {
                "type": "tool_calls",
                "tool_calls": [
                    {
                        "id": call.id,
                        "type": "function",
                        "function": {
                            "name": call.function.name,
                            "arguments": call.function.arguments,
                            "output": outputs[call.id],
                        },
                    }
                    for call in calls
                ],
            },
        }
        queued = {**base, "status": "queued", "required_action": None}
        in_progress = {**queued, "status": "in_progress", "started_at": now + 1}
        events: list[tuple[str, JSON | str]] = [
            ("thread.run.step.completed", tool_step),
            ("thread.run.queued", queued),
            ("thread.run.in_progress", in_progress),
        ]
        if outcome != "continue":
            ended, stored = self._end(in_progress, outcome, now + 1, tool_usage)
            events.append(ended)
        elif plan.rounds_left > 0:
            asked, stored, plan.step = self._ask_again(
                in_progress, plan, step_common, now + 1, bad_arguments
            )
            events += asked
        else:
            text = "Here is what the tools returned: " + "; ".join(plan.answers)
            written, stored = self._write_reply(
                in_progress, text, step_common, now + 1, tool_usage, plan.reply_deltas
            )
            events += written
            self._replies[run.id] = text
        events.append(("done", "[DONE]"))
        checked = [
            (name, validated(AssistantStreamEvent, {"event": name, "data": data})["data"])
            for name, data in events
        ]
        self._tick(2)
        return Submission(run=validated(Run, queued), events=checked), Run.model_validate(stored)

    def _end(
        self, run: JSON, outcome: Outcome, at: int, usage: JSON
    ) -> tuple[tuple[str, JSON], JSON]:
        """The run failing (``outcome="fail"``) or expiring, instead of going on."""
        if outcome == "fail":
            failed = {
                **run,
                "status": "failed",
                "failed_at": at,
                "expires_at": None,
                "usage": usage,
                "last_error": {"code": "server_error", "message": "Sorry, something went wrong."},
            }
            return ("thread.run.failed", failed), failed
        expired = {**run, "status": "expired", "expires_at": at, "usage": usage}
        return ("thread.run.expired", expired), expired

    def _ask_again(
        self, run: JSON, plan: _Plan, step_common: JSON, at: int, bad_arguments: bool
    ) -> tuple[list[tuple[str, JSON | str]], JSON, JSON]:
        """The run asking for the next round, as the API streams it: a tool-calls step
        announced with no calls, each call's id, type and name in the first delta of its
        ``index`` (empty arguments, no output), its arguments in several later deltas, then
        ``requires_action`` with the new calls. Also the run and the step."""
        rng = self._rng
        round_number = len(plan.answers) // plan.calls_per_round
        calls = self._tool_calls(round_number, plan.calls_per_round, rng, bad_arguments)
        expires_at = at + 600
        step = {
            **step_common,
            "id": self._new_id("step", rng),
            "created_at": at,
            "type": "tool_calls",
            "status": "in_progress",
            "completed_at": None,
            "expires_at": expires_at,
            "usage": None,
            "step_details": {"type": "tool_calls", "tool_calls": []},
        }
        announced = [
            {
                "id": call["id"],
                "type": "function",
                "function": {"name": call["function"]["name"], "arguments": "", "output": None},
            }
            for call in calls
        ]
        deltas: list[tuple[str, JSON | str]] = []
        for index, call in enumerate(calls):
            parts = [announced[index]] + [
                {"type": "function", "function": {"arguments": piece}}
                for piece in _pieces(call["function"]["arguments"], rng, at_least=2)
            ]
            deltas += [
                ("thread.run.step.delta", _step_delta(step["id"], index, part)) for part in parts
            ]
        waiting = {
            **run,
            "status": "requires_action",
            "required_action": {
                "type": "submit_tool_outputs",
                "submit_tool_outputs": {"tool_calls": calls},
            },
            "expires_at": expires_at,
        }
        events: list[tuple[str, JSON | str]] = [
            ("thread.run.step.created", step),
            ("thread.run.step.in_progress", step),
            *deltas,
            ("thread.run.requires_action", waiting),
        ]
        return events, waiting, step

    def _write_reply(
        self,
        run: JSON,
        text: str,
        step_common: JSON,
        at: int,
        tool_usage: JSON,
        deltas_wanted: int | None = None,
    ) -> tuple[list[tuple[str, JSON | str]], JSON]:
        """The run writing its reply, streamed as text deltas, and completing."""
        rng = self._rng
        step_id, message_id = self._new_id("step", rng), self._new_id("msg", rng)
        message_usage = _usage(tool_usage["total_tokens"] + 20, len(text.split()))
        run_usage = _usage(
            tool_usage["prompt_tokens"] + message_usage["prompt_tokens"],
            tool_usage["completion_tokens"] + message_usage["completion_tokens"],
        )
        step = {
            **step_common,
            "id": step_id,
            "created_at": at,
            "type": "message_creation",
            "status": "in_progress",
            "completed_at": None,
            "usage": None,
            "step_details": {
                "type": "message_creation",
                "message_creation": {"message_id": message_id},
            },
        }
        message = {
            "assistant_id": run["assistant_id"],
            "thread_id": run["thread_id"],
            "id": message_id,
            "object": "thread.message",
            "created_at": at,
            "status": "in_progress",
            "incomplete_details": None,
            "completed_at": None,
            "incomplete_at": None,
            "role": "assistant",
            "content": [],
            "run_id": run["id"],
            "attachments": [],
            "metadata": {},
        }
        deltas = [
            {
                "id": message_id,
                "object": "thread.message.delta",
                "delta": {
                    "content": [
                        {"index": 0, "type": "text", "text": {"value": piece, "annotations": []}}
                    ]
                },
            }
            for piece in _pieces(text, rng, at_least=3, exactly=deltas_wanted)
        ]
        done_at = at + 1
        content = [{"type": "text", "text": {"value": text, "annotations": []}}]
        completed = {
            **run,
            "status": "completed",
            "expires_at": None,
            "completed_at": done_at,
            "usage": run_usage,
        }
        events: list[tuple[str, JSON | str]] = [
            ("thread.run.step.created", step),
            ("thread.run.step.in_progress", step),
            ("thread.message.created", message),
            ("thread.message.in_progress", message),
            *(("thread.message.delta", delta) for delta in deltas),
            (
                "thread.message.completed",
                {**message, "status": "completed", "completed_at": done_at, "content": content},
            ),
            (
                "thread.run.step.completed",
                {**step, "status": "completed", "completed_at": done_at, "usage": message_usage},
            ),
            ("thread.run.completed", completed),
        ]
        return events, completed


def _check_status(status: str) -> None:
    if status not in RUN_STATUSES:
        raise ValueError(f"unknown run status {status!r}; expected one of {RUN_STATUSES}")


def _cursor(ordered: list[str], cursor: str, name: str, thread_id: str) -> int:
    try:
        return ordered.index(cursor)
    except ValueError:
        raise APIError(
            400, f"Invalid '{name}': no run with id '{cursor}' in thread '{thread_id}'.", param=name
        ) from None


def _check_outputs(run: Run, request: SubmitToolOutputsRunRequest) -> dict[str, str]:
    action = run.required_action
    if run.status.value != "requires_action" or action is None:
        raise APIError(400, f'Runs in status "{run.status.value}" do not accept tool outputs.')
    pending = [call.id for call in action.submit_tool_outputs.tool_calls]
    outputs: dict[str, str] = {}
    for index, output in enumerate(request.tool_outputs):
        param = f"tool_outputs[{index}].tool_call_id"
        if output.tool_call_id not in pending:
            raise APIError(
                400,
                f"Invalid tool_call_id '{output.tool_call_id}': run '{run.id}' is not waiting "
                f"for it (pending: {', '.join(pending)}).",
                param=param,
            )
        if output.tool_call_id in outputs:
            raise APIError(
                400,
                f"Duplicate tool_call_id '{output.tool_call_id}': submit exactly one output "
                "per tool call.",
                param=param,
            )
        outputs[output.tool_call_id] = output.output
    missing = [call_id for call_id in pending if call_id not in outputs]
    if missing:
        raise APIError(
            400,
            f"Missing tool output for tool_call_id '{missing[0]}': the outputs of all pending "
            f"tool calls ({', '.join(pending)}) must be submitted together.",
            param="tool_outputs",
        )
    return outputs


def _usage(prompt: int, completion: int) -> JSON:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def _step_delta(step_id: str, index: int, call: JSON) -> JSON:
    """A ``thread.run.step.delta`` carrying one piece of the tool call at ``index``."""
    return {
        "id": step_id,
        "object": "thread.run.step.delta",
        "delta": {"step_details": {"type": "tool_calls", "tool_calls": [{"index": index, **call}]}},
    }


def _pieces(
    text: str, rng: random.Random, at_least: int = 1, exactly: int | None = None
) -> list[str]:
    """``text`` cut at random places into pieces (``at_least`` of them, or ``exactly`` that
    many, when it is long enough) that add up to exactly ``text``."""
    wanted = exactly if exactly is not None else rng.randint(max(at_least, 2), max(at_least, 8))
    count = max(1, min(len(text), wanted))
    cuts = sorted(rng.sample(range(1, len(text)), count - 1)) if count > 1 else []
    return [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
