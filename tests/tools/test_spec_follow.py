"""A spec change followed by a regeneration is all the client needs: no hand edit.

A temporary copy of ``openapi.yaml`` tightens ``limit`` (maximum 50, default 10) and the
``after`` cursor (``minLength`` 4), adds an ``order`` value, a stream event and a terminal run
status; ``tools.generate --out`` writes the
generated package into a temporary folder, and a subprocess with that folder first on
``PYTHONPATH`` imports the real overlay on top of it and checks that the client follows.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tools.generate import ROOT, SPEC


def changed_spec(spec: dict[str, Any]) -> dict[str, Any]:
    spec = copy.deepcopy(spec)
    components = spec["components"]
    limit = components["parameters"]["Limit"]["schema"]
    limit["maximum"], limit["default"] = 50, 10
    components["parameters"]["After"]["schema"]["minLength"] = 4  # run ids are longer
    components["schemas"]["ListOrder"]["enum"].append("relevance")
    status = components["schemas"]["RunStatus"]
    status["enum"].append("archived")
    status["x-terminal"].append("archived")
    schemas = components["schemas"]
    paused = copy.deepcopy(schemas["ThreadRunQueuedEvent"])
    paused["description"] = "Occurs when a run is paused."
    paused["properties"]["event"]["const"] = "thread.run.paused"
    schemas["ThreadRunPausedEvent"] = paused
    union = schemas["AssistantStreamEvent"]
    union["oneOf"].insert(0, {"$ref": "#/components/schemas/ThreadRunPausedEvent"})
    union["discriminator"]["mapping"]["thread.run.paused"] = (
        "#/components/schemas/ThreadRunPausedEvent"
    )
    return spec


CLIENT_CHECK = r"""
import json, sys
import httpx
import portkey_runs
import portkey_runs_api
from portkey_runs import _events, _tools
from portkey_runs._sse import ServerSentEvent
from portkey_runs_api.models import RunStatus

seen = []

def answer(request):
    seen.append(dict(request.url.params))
    page = {"object": "list", "data": [], "first_id": None, "last_id": None, "has_more": False}
    return httpx.Response(200, json=page)

out = {"generated_from": portkey_runs_api.__file__}
with portkey_runs.Client("pk-test", transport=httpx.MockTransport(answer), max_retries=0) as c:
    list(c.runs.list("thread_1"))
    list(c.runs.list("thread_1", limit=50, order="relevance"))
    for bad in (51, 0):
        try:
            c.runs.list("thread_1", limit=bad)
        except ValueError as error:
            out[f"limit={bad}"] = str(error)
    try:
        c.runs.list("thread_1", after="abc")
    except ValueError as error:
        out["after=abc"] = str(error)
    c.runs.list("thread_1", before="abc")  # its own rule is unchanged
out["queries"] = seen
from portkey_runs.cli import parser
cli = parser().parse_args(["list", "thread_1", "--order", "relevance"])
out["cli"] = [cli.limit, cli.order]
run = json.loads(sys.argv[1])
run["status"] = "archived"
event, _ = _events.decode_event(ServerSentEvent("thread.run.paused", json.dumps(run)))
out["paused_event"] = type(event).__name__
out["paused_data"] = type(event.data).__name__
out["archived_is_terminal"] = RunStatus("archived") in _tools.TERMINAL
print(json.dumps(out))
"""


def a_run() -> dict[str, Any]:
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    example = spec["paths"]["/threads/{thread_id}/runs"]["get"]["responses"]["200"]
    run: dict[str, Any] = example["content"]["application/json"]["examples"]["page"]["value"][
        "data"
    ][0]
    return run


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated package of the changed spec, in a temporary folder."""
    work = tmp_path_factory.mktemp("follow")
    spec = work / "openapi.yaml"
    original = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    spec.write_text(yaml.safe_dump(changed_spec(original), sort_keys=False), encoding="utf-8")
    out = work / "gen"
    done = subprocess.run(
        [sys.executable, "-m", "tools.generate", "--spec", str(spec), "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return out


def test_the_client_follows_a_regenerated_spec_with_no_hand_edit(regenerated: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(regenerated), str(ROOT / "overlay")])}
    done = subprocess.run(
        [sys.executable, "-c", CLIENT_CHECK, json.dumps(a_run())],
        cwd=regenerated,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["generated_from"].startswith(str(regenerated))  # the regenerated package
    # limit: the spec's new maximum is the client's default and its bound
    assert out["queries"][0]["limit"] == "50"
    assert out["queries"][0]["order"] == "desc"
    assert out["queries"][1] == {"limit": "50", "order": "relevance"}  # the new order value
    assert out["limit=51"] == "limit must be an integer from 1 to 50, got 51"
    assert out["limit=0"] == "limit must be an integer from 1 to 50, got 0"
    # the command line: the spec's default (10) is `list --limit`'s, the new order a choice
    assert out["cli"] == [10, "relevance"]
    assert out["after=abc"] == "after must be at least 4 characters long, got 'abc'"
    # the new event is a known event, its data a Run; the new status ends a run
    assert (out["paused_event"], out["paused_data"]) == ("ThreadRunPausedEvent", "Run")
    assert out["archived_is_terminal"] is True


def test_the_checked_in_client_does_not_know_the_changes() -> None:
    """The same checks against the checked-in package fail: the test above sees a change."""
    from portkey_runs import _events, _tools
    from portkey_runs._generated import list_runs_request
    from portkey_runs._sse import ServerSentEvent
    from portkey_runs_api import spec_facts

    assert (spec_facts.LIMIT_MAXIMUM, spec_facts.LIMIT_DEFAULT) == (100, 20)
    with pytest.raises(ValueError, match="order must be 'asc' or 'desc'"):
        list_runs_request("thread_1", limit=10, order="relevance", after=None, before=None)
    decoded = _events.decode_event(ServerSentEvent("thread.run.paused", json.dumps(a_run())))
    assert decoded is not None
    assert isinstance(decoded[0], _events.UnknownEvent)
    assert {s.value for s in _tools.TERMINAL} == set(spec_facts.TERMINAL_RUN_STATUSES)
