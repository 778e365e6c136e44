"""The overlay's uses of generated internals: ``_get_kwargs`` of both endpoints, and the
fields of the generated ``Client`` that ``ApiClient`` builds its httpx clients from — all in
``portkey_runs/_generated.py``, and nowhere else.

If a generator upgrade changes the shape of these private helpers, these tests fail here,
with a plain message, before anything subtler breaks.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import attrs

from portkey_runs._generated import list_runs_request, submit_request
from portkey_runs_api import Client
from portkey_runs_api.api.runs import list_runs, submit_tool_outputs_to_run

OVERLAY = Path(__file__).resolve().parents[2] / "overlay" / "portkey_runs"


def test_list_runs_get_kwargs_has_the_signature_the_overlay_calls() -> None:
    params = inspect.signature(list_runs._get_kwargs).parameters
    assert list(params) == ["thread_id", "limit", "order", "after", "before", "open_ai_beta"]


def test_submit_get_kwargs_has_the_signature_the_overlay_calls() -> None:
    params = inspect.signature(submit_tool_outputs_to_run._get_kwargs).parameters
    assert list(params) == ["thread_id", "run_id", "body", "open_ai_beta"]


def test_list_request_is_what_httpx_request_takes() -> None:
    kwargs = list_runs_request("thread_1", limit=5, order="asc", after="run_9", before=None)
    assert kwargs == {
        "method": "get",
        "url": "/threads/thread_1/runs",
        "params": {"limit": 5, "order": "asc", "after": "run_9"},
        "headers": {},
    }


def test_submit_request_is_what_httpx_request_takes() -> None:
    kwargs = submit_request("t", "r", [{"tool_call_id": "c", "output": "o"}], stream=True)
    assert kwargs == {
        "method": "post",
        "url": "/threads/t/runs/r/submit_tool_outputs",
        "json": {"tool_outputs": [{"tool_call_id": "c", "output": "o"}], "stream": True},
        "headers": {"Content-Type": "application/json", "Accept": "text/event-stream"},
    }


def test_the_generated_client_has_the_fields_api_client_builds_from() -> None:
    fields = set(attrs.fields_dict(Client))
    assert {
        "_base_url",
        "_cookies",
        "_headers",
        "_timeout",
        "_verify_ssl",
        "_follow_redirects",
        "_httpx_args",
        "_client",
        "_async_client",
    } <= fields


def test_only_one_overlay_module_touches_generated_internals() -> None:
    private = {"_get_kwargs", *attrs.fields_dict(Client)}
    touching = set()
    for path in OVERLAY.rglob("*.py"):
        if path.name == "_wire.py":  # generated itself
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in private:
                touching.add(path.relative_to(OVERLAY).as_posix())
    assert touching == {"_generated.py"}
