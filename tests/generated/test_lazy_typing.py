"""Typing at access: in a tolerant read, the nested properties the client does not need are
typed when first read (``types.Lazy``), and the object is the one an eager read gives.

Property tests, on instances generated from ``openapi.yaml`` (valid, and drifted by random
mutations: a key dropped, a value of another JSON type, an unknown shape): a lazily read object,
its properties read in a random order, equals the eagerly read one (strict on valid data, the
tolerant-eager read on drifted data), and so do its ``to_dict()`` and pickle round trip; the
departures reported, once everything is read, are the same. Then the focused guarantees: nothing
lazy is built before it is read, a build happens once (threads), strict reads build everything
at arrival, and which properties are lazy follows the spec's ``x-needed``/``x-eager``.
"""

from __future__ import annotations

import copy
import pickle
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portkey_runs_api import models
from portkey_runs_api.errors import ParseError
from portkey_runs_api.types import EAGER, TOLERANCE, Lazy
from tests.generated._schema import (
    SCHEMAS,
    Path_,
    admits_type,
    named,
    replaced,
    resolve,
    sites,
    without,
)
from tests.overlay.test_real_shapes import _run

#: The models of the answers and of the stream events' data.
MODELS = ["Run", "RunStep", "Message", "MessageDelta", "RunStepDelta", "ListRunsResponse"]

SETTINGS = settings(
    derandomize=True,
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)

WRONG_TYPES: list[Any] = [None, True, 7, "text", [1], {"zz": 1}]


def _read(model: type[Any], data: Any, reports: list[ParseError] | None, eager: bool) -> Any:
    """``model.from_dict(data)``: strict (``reports`` None), tolerant-eager or tolerant-lazy."""
    if reports is None:
        return model.from_dict(data)
    token, eager_token = TOLERANCE.set(reports.append), EAGER.set(eager)
    try:
        return model.from_dict(data)
    finally:
        EAGER.reset(eager_token)
        TOLERANCE.reset(token)


def _lazy_names(model: type[Any]) -> list[str]:
    return [f.name for f in attrs.fields(model) if _is_lazy(model, f.name)]


def _is_lazy(model: type[Any], name: str) -> bool:
    return name in getattr(model, "_lazy_readers_", {})


def _pending(obj: Any) -> list[str]:
    """The lazy properties of ``obj`` not built yet (looked at without building them)."""
    found = []
    for name in _lazy_names(type(obj)):
        try:
            object.__getattribute__(obj, name)
        except AttributeError:
            found.append(name)
    return found


Mutation = Callable[[Any], Any]


def _mutations(value: Any, name: str) -> list[Mutation]:
    """Ways to drift ``value`` (a valid instance): a key dropped, a value of a JSON type its
    schema does not admit, an unknown shape (a discriminator that is no string), anywhere below
    the top."""
    found: list[Mutation] = []

    def put(path: Path_, new: Any) -> Mutation:
        return lambda v: replaced(v, path, new)

    def drop(path: Path_) -> Mutation:
        return lambda v: without(v, path)

    for path, schema, item in sites(value, SCHEMAS[name]):
        if not path:
            continue
        found.extend(put(path, wrong) for wrong in WRONG_TYPES if not admits_type(schema, wrong))
        if "discriminator" in schema and isinstance(item, dict):
            found.append(put(path, {**item, schema["discriminator"]["propertyName"]: [1]}))
        if isinstance(item, dict) and "properties" in schema:
            found.extend(drop((*path, key)) for key in item)
    return found


def _drift(value: Any, mutations: list[Mutation]) -> Any:
    """``value`` with each of ``mutations`` that still applies (an earlier one may have
    removed where a later one points)."""
    for mutate in mutations:
        try:
            value = mutate(value)
        except (KeyError, IndexError, TypeError, AttributeError, AssertionError):
            continue
    return value


def _read_in_order(obj: Any, names: list[str]) -> None:
    for name in names:
        getattr(obj, name)


def _records(reports: list[ParseError]) -> Counter[str]:
    return Counter(f"{e.model}|{e.path}|{e.reason}" for e in reports)


@pytest.mark.parametrize("name", MODELS)
def test_a_lazily_read_valid_instance_read_in_any_order_equals_the_strict_read(name: str) -> None:
    model = getattr(models, name)
    names = [f.name for f in attrs.fields(model)]
    pending_seen: list[int] = []

    @SETTINGS
    @given(named(name), st.data())
    def check(value: dict[str, Any], data: st.DataObject) -> None:
        strict = _read(model, value, None, eager=False)
        reports: list[ParseError] = []
        lazy = _read(model, value, reports, eager=False)
        pending_seen.append(len(_pending(lazy)))
        _read_in_order(lazy, data.draw(st.permutations(names)))
        assert lazy == strict
        assert lazy.to_dict() == strict.to_dict() == value
        assert pickle.loads(pickle.dumps(lazy)) == strict
        assert copy.deepcopy(lazy) == strict
        assert reports == []

    check()
    if _lazy_names(model):
        assert max(pending_seen) > 0, "nothing was ever left to its first read"


@pytest.mark.parametrize("name", MODELS)
def test_a_lazily_read_drifted_instance_equals_the_eager_tolerant_read_and_reports_alike(
    name: str,
) -> None:
    model = getattr(models, name)
    names = [f.name for f in attrs.fields(model)]
    drifted: list[int] = []
    deferred: list[int] = []
    same: list[bool] = []

    @SETTINGS
    @given(named(name), st.data())
    def check(value: dict[str, Any], data: st.DataObject) -> None:
        mutations = _mutations(value, name)
        if mutations:
            value = _drift(value, data.draw(st.lists(st.sampled_from(mutations), max_size=3)))
        eager_reports: list[ParseError] = []
        eager = _read(model, value, eager_reports, eager=True)
        lazy_reports: list[ParseError] = []
        lazy = _read(model, value, lazy_reports, eager=False)
        at_arrival = len(lazy_reports)
        _read_in_order(lazy, data.draw(st.permutations(names)))
        assert lazy == eager
        assert lazy.to_dict() == eager.to_dict()
        assert pickle.loads(pickle.dumps(lazy)) == eager
        # Each departure the lazy read reports, the eager one does, once: the same ones but for
        # those inside a value the read drops (a list whose later item is unusable reads as None,
        # the earlier items' lazy properties never built).
        assert not _records(lazy_reports) - _records(eager_reports)
        same.append(_records(lazy_reports) == _records(eager_reports))
        drifted.append(len(eager_reports))
        deferred.append(len(lazy_reports) - at_arrival)

    check()
    assert max(drifted) > 0, "no mutation ever departed from the spec"
    if _lazy_names(model):
        assert max(deferred) > 0, "no departure was ever left to a lazy property's first read"
    assert same.count(True) >= len(same) // 2, "the reports differed in most examples"


# --- focused ----------------------------------------------------------------------------------

ODD_RUN = {**_run("completed"), "usage": "odd", "tools": [{"type": "function"}]}


@pytest.fixture
def tolerant() -> Iterator[list[ParseError]]:
    """A lazy tolerant read for the test; its reports in the list."""
    reports: list[ParseError] = []
    token = TOLERANCE.set(reports.append)
    yield reports
    TOLERANCE.reset(token)


def _counting(monkeypatch: pytest.MonkeyPatch, model: type[Any], name: str) -> list[int]:
    """Count the builds of ``model.name`` on first read (calls of its reader from there)."""
    readers = model._lazy_readers_
    calls: list[int] = []
    real: Callable[[Any, dict[str, Any]], Any] = readers[name]

    def counted(cls: Any, data: dict[str, Any]) -> Any:
        calls.append(1)
        return real(cls, data)

    monkeypatch.setitem(readers, name, counted)
    return calls


def test_nothing_lazy_is_built_until_read_and_each_is_built_once(
    tolerant: list[ParseError], monkeypatch: pytest.MonkeyPatch
) -> None:
    tools = _counting(monkeypatch, models.Run, "tools")
    usage = _counting(monkeypatch, models.Run, "usage")
    run = models.Run.from_dict(ODD_RUN)
    assert (run.id, run.status, run.model, run.created_at) == (
        "run_shape1",
        "completed",
        "gpt-4o-mini",
        1730000000,
    )
    assert (tools, usage, tolerant) == ([], [], [])
    assert set(_pending(run)) == set(_lazy_names(models.Run))
    assert run.usage is None
    assert (tools, usage) == ([], [1])
    assert [str(e) for e in tolerant] == ["Run.usage: expected null or object, got string 'odd'"]
    run.usage, run.tools, run.to_dict(), repr(run)
    assert (tools, usage) == ([1], [1])
    assert len(tolerant) == 2  # usage once, and the tool's missing function


def test_a_build_happens_once_when_threads_read_at_once(
    tolerant: list[ParseError], monkeypatch: pytest.MonkeyPatch
) -> None:
    builds = _counting(monkeypatch, models.Run, "tools")
    run = models.Run.from_dict(ODD_RUN)
    threads_n = 8
    barrier = threading.Barrier(threads_n)
    seen: list[Any] = []

    def read() -> None:
        barrier.wait()
        seen.append(run.tools)

    threads = [threading.Thread(target=read) for _ in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == threads_n
    assert all(value is seen[0] for value in seen)
    assert builds == [1]
    assert tolerant == []  # the tool's own nested properties are lazy too
    (tool,) = seen[0]
    assert tool.function is None
    assert [str(e) for e in tolerant] == [
        "AssistantToolsFunction.function: missing required property"
    ]


def test_a_strict_read_builds_everything_at_arrival_and_raises_there(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    builds = _counting(monkeypatch, models.Run, "tools")
    run = models.Run.from_dict(_run("completed"))
    assert _pending(run) == []
    assert builds == []
    with pytest.raises(ParseError, match=r"^Run\.tools\[0\]\.function: missing required"):
        models.Run.from_dict(ODD_RUN)


def test_an_eager_tolerant_read_builds_everything_at_arrival(
    tolerant: list[ParseError],
) -> None:
    token = EAGER.set(True)
    try:
        run = models.Run.from_dict(ODD_RUN)
    finally:
        EAGER.reset(token)
    assert _pending(run) == []
    assert len(tolerant) == 2


def test_a_missing_required_lazy_property_is_reported_when_read(
    tolerant: list[ParseError],
) -> None:
    data = {k: v for k, v in _run("completed").items() if k != "tools"}
    run = models.Run.from_dict(data)
    assert tolerant == []
    assert run.tools is None
    assert [str(e) for e in tolerant] == ["Run.tools: missing required property"]


def test_set_and_delete_work_as_on_any_slot_and_a_deleted_property_is_never_built(
    tolerant: list[ParseError],
) -> None:
    run = models.Run.from_dict(_run("completed"))
    del run.metadata
    with pytest.raises(AttributeError):
        _ = run.metadata
    with pytest.raises(AttributeError):
        del run.metadata
    run.metadata = None
    assert run.metadata is None
    run.tools = []
    assert run.tools == []
    assert run.to_dict()["tools"] == []


def test_copies_evolve_and_asdict_see_the_values_not_the_raw_data(
    tolerant: list[ParseError],
) -> None:
    data = _run("completed")
    strict_token = TOLERANCE.set(None)
    try:
        strict = models.Run.from_dict(data)
    finally:
        TOLERANCE.reset(strict_token)
    for make in (copy.copy, copy.deepcopy, attrs.evolve):
        assert make(models.Run.from_dict(data)) == strict
    assert attrs.asdict(models.Run.from_dict(data)) == attrs.asdict(strict)
    state: dict[str, Any] = models.Run.from_dict(data).__getstate__()  # type: ignore[assignment]
    assert "_lazy_" not in state
    assert state["tools"] == strict.tools


def _expected_lazy(name: str) -> set[str]:
    """From the spec: the properties holding nested values (an object, a list, a union with
    one) that neither ``x-needed`` nor ``x-eager`` names."""
    schema = resolve(SCHEMAS[name])
    typed_at_arrival = set(schema.get("x-needed", [])) | set(schema.get("x-eager", []))

    def nested(s: dict[str, Any]) -> bool:
        s = resolve(s)
        if "oneOf" in s:
            return any(nested(branch) for branch in s["oneOf"])
        types = s.get("type")
        kinds = set(types) if isinstance(types, list) else {types}
        return bool(kinds & {"object", "array"}) or (types is None and "properties" in s)

    return {
        key
        for key, s in schema.get("properties", {}).items()
        if key not in typed_at_arrival and nested(s)
    }


@pytest.mark.parametrize(
    "name", [n for n in SCHEMAS if "properties" in resolve(SCHEMAS[n]) and hasattr(models, n)]
)
def test_the_lazy_properties_are_the_nested_ones_the_spec_does_not_name(name: str) -> None:
    model = getattr(models, name)
    lazy = {f.name.rstrip("_") for f in attrs.fields(model) if _is_lazy(model, f.name)}
    assert lazy == _expected_lazy(name)
    assert issubclass(model, Lazy) == bool(lazy)


def test_what_the_client_needs_is_typed_at_arrival() -> None:
    """Typed at arrival, through properties typed at arrival only: a page's runs, a run's
    required action, a delta's content and text (the issue's list)."""
    assert _lazy_names(models.ListRunsResponse) == []
    assert not {"id", "status", "required_action", "created_at", "model"} & set(
        _lazy_names(models.Run)
    )
    for name in ["MessageDelta", "MessageDeltaContent", "MessageDeltaContentText",
                 "MessageTextDelta", "RunStepDelta", "RunStepDeltaContent",
                 "RunStepDeltaToolCalls", "RunRequiredAction", "RunSubmitToolOutputs",
                 "RunToolCall"]:  # fmt: skip
        assert _lazy_names(getattr(models, name)) == [], name


def test_a_reporter_that_waits_holds_up_no_other_lazy_read() -> None:
    """A build reports its departures after it lets go of the lock: a reporter logs and warns,
    and a log handler may wait (or read a lazy property itself, in another thread)."""
    entered, gate = threading.Event(), threading.Event()

    def slow(error: ParseError) -> None:
        entered.set()
        gate.wait(60)

    drifted = _read(models.Run, ODD_RUN, [], eager=False)
    object.__setattr__(drifted, "_lazy_", (ODD_RUN, slow, ()))
    other = _read(models.Run, _run("completed"), [], eager=False)
    done = threading.Event()

    def read_other() -> None:
        _ = other.usage
        done.set()

    slow_reader = threading.Thread(target=lambda: drifted.usage)
    other_reader = threading.Thread(target=read_other)
    slow_reader.start()
    try:
        assert entered.wait(10)
        other_reader.start()
        assert done.wait(5), "a lazy read waited for another thread's reporter"
    finally:
        gate.set()
        slow_reader.join()
        if other_reader.ident is not None:
            other_reader.join()
    assert drifted.usage is None


def test_a_departure_the_reporter_raises_on_comes_out_of_the_read_once_all_are_reported() -> None:
    seen: list[str] = []

    def raising(error: ParseError) -> None:
        seen.append(str(error))
        raise RuntimeError(str(error))

    data = {**_run("completed"), "tools": [{"type": "function"}, {"type": "function"}]}
    run = _read(models.Run, data, [], eager=False)
    (tools,) = [run.tools]  # the tools' own nested properties are lazy
    object.__setattr__(tools[0], "_lazy_", (data["tools"][0], raising, ()))
    with pytest.raises(RuntimeError, match="function"):
        _ = tools[0].function
    assert tools[0].function is None  # built once: not reported again
    assert seen == ["AssistantToolsFunction.function: missing required property"]


def test_a_fully_built_object_keeps_no_raw_data(tolerant: list[ParseError]) -> None:
    run = models.Run.from_dict(ODD_RUN)
    del run.metadata
    for name in _lazy_names(models.Run):
        if name != "metadata":
            assert _pending_data(run) is not None
            getattr(run, name)
    assert _pending_data(run) is None  # nor the reporter, nor what it holds (the answer)
    with pytest.raises(AttributeError):
        _ = run.metadata  # deleted stays deleted


def _pending_data(obj: Any) -> Any:
    try:
        return object.__getattribute__(obj, "_lazy_")
    except AttributeError:
        return None


def test_a_lazy_property_of_a_value_the_read_drops_is_never_built_nor_reported(
    tolerant: list[ParseError],
) -> None:
    run = {k: v for k, v in _run("completed").items() if k != "truncation_strategy"}
    page = {"object": "list", "data": [run, 7], "first_id": None, "last_id": None}
    read = models.ListRunsResponse.from_dict({**page, "has_more": False})
    assert read.data is None
    assert [str(e) for e in tolerant] == [
        "ListRunsResponse.data[1]: expected object, got integer 7"
    ]  # an eager read reports the dropped run's missing truncation_strategy too
