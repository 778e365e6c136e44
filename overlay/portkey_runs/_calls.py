"""Building, sending and parsing the two calls: the one place that touches generated internals.

The generated endpoint modules build their requests in a private ``_get_kwargs``; reusing it
keeps the method, path, query and body exactly as generated from the spec. It is used here
and nowhere else, and ``tests/overlay/test_contract.py`` fails loudly if a generator upgrade
changes its shape.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, Protocol, Self, TypeVar

import httpx

from portkey_runs_api import Client
from portkey_runs_api.api.runs import list_runs, submit_tool_outputs_to_run
from portkey_runs_api.errors import ParseError
from portkey_runs_api.models import ListOrder, SubmitToolOutputsRunRequest, ToolOutput
from portkey_runs_api.types import UNSET

from ._ids import check_path_id
from .errors import ResponseValidationError, connection_error, status_error

__all__ = ["ToolOutputLike", "list_runs_request", "submit_request"]

ToolOutputLike = ToolOutput | Mapping[str, str]


class _Model(Protocol):
    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self: ...


M = TypeVar("M", bound=_Model)


def list_runs_request(
    thread_id: str, *, limit: int, order: str, after: str | None, before: str | None
) -> dict[str, Any]:
    check_path_id("thread_id", thread_id)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 100:
        raise ValueError(f"limit must be an integer from 1 to 100, got {limit!r}")
    if order not in ("asc", "desc"):
        raise ValueError(f"order must be 'asc' or 'desc', got {order!r}")
    if after is not None and before is not None:
        raise ValueError("pass after= or before=, not both")
    for name, cursor in (("after", after), ("before", before)):
        if cursor is not None:
            if not isinstance(cursor, str) or not cursor:
                raise ValueError(f"{name} must be a run id (a non-empty string), got {cursor!r}")
            check_path_id(name, cursor)  # a cursor is an id: the same characters are allowed
    return list_runs._get_kwargs(
        thread_id,
        limit=limit,
        order=ListOrder(order),
        after=UNSET if after is None else after,
        before=UNSET if before is None else before,
    )


def tool_output_models(tool_outputs: Iterable[ToolOutputLike]) -> list[ToolOutput]:
    """Generated ``ToolOutput`` models from models or ``{"tool_call_id", "output"}`` dicts."""
    if isinstance(tool_outputs, Mapping | str | bytes):
        raise TypeError("tool_outputs must be a list of tool outputs, not a single object")
    models: list[ToolOutput] = []
    seen: set[str] = set()
    for index, item in enumerate(tool_outputs):
        where = f"tool_outputs[{index}]"
        if isinstance(item, ToolOutput):
            model = item
        elif isinstance(item, Mapping):
            unknown = sorted(set(item) - {"tool_call_id", "output"})
            if unknown:
                raise ValueError(f"{where}: unknown key(s) {', '.join(map(repr, unknown))}")
            for key in ("tool_call_id", "output"):
                if not isinstance(item.get(key), str):
                    raise TypeError(f"{where}.{key} must be a string, got {item.get(key)!r}")
            model = ToolOutput(tool_call_id=item["tool_call_id"], output=item["output"])
        else:
            raise TypeError(f"{where} must be a ToolOutput or a dict, not {type(item).__name__}")
        if model.tool_call_id in seen:
            raise ValueError(f"{where}: tool_call_id {model.tool_call_id!r} is given twice")
        seen.add(model.tool_call_id)
        models.append(model)
    if not models:
        raise ValueError("tool_outputs must not be empty")
    return models


def submit_request(
    thread_id: str, run_id: str, tool_outputs: Iterable[ToolOutputLike], *, stream: bool
) -> dict[str, Any]:
    check_path_id("thread_id", thread_id)
    check_path_id("run_id", run_id)
    body = SubmitToolOutputsRunRequest(tool_outputs=tool_output_models(tool_outputs), stream=stream)
    kwargs = submit_tool_outputs_to_run._get_kwargs(thread_id, run_id, body=body)
    if stream:
        kwargs["headers"] = {**kwargs.get("headers", {}), "Accept": "text/event-stream"}
    return kwargs


def send(client: Client, kwargs: dict[str, Any]) -> httpx.Response:
    """Send and read a request; a non-2xx answer or a transport failure raises typed."""
    try:
        response = client.get_httpx_client().request(**kwargs)
    except httpx.HTTPError as exc:
        raise connection_error(exc)  # noqa: B904 (it sets its own cause)
    if not response.is_success:
        raise status_error(response)
    return response


async def asend(client: Client, kwargs: dict[str, Any]) -> httpx.Response:
    try:
        response = await client.get_async_httpx_client().request(**kwargs)
    except httpx.HTTPError as exc:
        raise connection_error(exc)  # noqa: B904 (it sets its own cause)
    if not response.is_success:
        raise status_error(response)
    return response


def parse(model: type[M], data: Any, where: str = "") -> M:
    """``model.from_dict(data)``, with a contract breach as a ``ResponseValidationError``.

    Its message names the model and the field path, e.g.
    ``Run.required_action.submit_tool_outputs.tool_calls[2].id: missing required property``.
    """
    if not isinstance(data, Mapping):
        raise ResponseValidationError(
            f"{where}{model.__name__}: expected a JSON object, got {type(data).__name__}", data
        )
    try:
        return model.from_dict(data)
    except ParseError as exc:
        raise ResponseValidationError(f"{where}{exc}", data, exc.location) from exc


def parse_response(model: type[M], response: httpx.Response) -> M:
    try:
        data = json.loads(response.content)
    except (ValueError, RecursionError) as exc:  # not JSON, not UTF-8, too deep, too many digits
        raise ResponseValidationError(
            f"{model.__name__}: the body of a {response.status_code} answer is not JSON ({exc})",
            response.text,
        ) from exc
    return parse(model, data)
