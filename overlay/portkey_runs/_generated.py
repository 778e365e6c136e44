"""The one module that touches generated internals.

Two things of ``portkey_runs_api`` that are not its public surface are used, here only:

* the private ``_get_kwargs`` of both endpoint modules, so that the method, path, query and
  body of every request are exactly as generated from the spec;
* the private fields of the generated ``Client`` (``_base_url``, ``_headers``, ``_client``...),
  from which :class:`ApiClient` builds its httpx clients, as the generated
  ``get_httpx_client`` does.

``tests/overlay/test_contract.py`` fails with a plain message if a generator upgrade changes
either. Everything else in the overlay goes through this module or the generated public API.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Any

import httpx
from attrs import define, field

from portkey_runs_api import Client, spec_facts
from portkey_runs_api.models.tool_output import ToolOutput
from portkey_runs_api.types import UNSET, check_id

from ._headers import REDACTED, redact_headers, safe_url
from ._retries import AsyncRetryTransport, RetryPolicy, RetryTransport
from ._tracing import Tracing

__all__ = [
    "ApiClient",
    "ToolOutputLike",
    "check_tool_call_id",
    "list_runs_request",
    "submit_request",
]

ToolOutputLike = ToolOutput | Mapping[str, str]


class PortkeyAuth(httpx.Auth):
    """Adds the secret headers (API key, virtual key, Authorization...) to every request.

    Kept out of the httpx clients' default headers, whose repr would show them; this
    object's repr names the headers, never their values.
    """

    def __init__(self, headers: Mapping[str, str]) -> None:
        self._headers = dict(headers)

    def auth_flow(self, request: httpx.Request) -> Any:
        for name, value in self._headers.items():
            if name not in request.headers:
                request.headers[name] = value
        yield request

    def __repr__(self) -> str:
        return f"PortkeyAuth(headers={sorted(self._headers)})"


def _origin(url: httpx.URL | str) -> tuple[str, str, int | None]:
    url = httpx.URL(url)
    return url.scheme, url.host, url.port


@define
class ApiClient(Client):
    """The generated :class:`~portkey_runs_api.Client`, configured for Portkey: its httpx
    clients authenticate with the secret headers and retry per a :class:`RetryPolicy`.

    ``portkey_runs.Client(...).api`` is one; every generated ``api`` function takes it. It
    builds its httpx clients lazily, so the copies that the generated ``with_headers()``,
    ``with_cookies()`` and ``with_timeout()`` return keep the credentials and the retries.
    Secret headers are dropped from any request that a redirect sends to another origin.
    """

    _secret_headers: dict[str, str] = field(
        factory=dict, kw_only=True, alias="secret_headers", repr=False
    )
    _retry_policy: RetryPolicy = field(factory=RetryPolicy, kw_only=True, alias="retry_policy")
    _transport_args: dict[str, Any] = field(
        factory=dict, kw_only=True, alias="transport_args", repr=False
    )
    _transport: httpx.BaseTransport | None = field(
        default=None, kw_only=True, alias="transport", repr=False
    )
    _async_transport: httpx.AsyncBaseTransport | None = field(
        default=None, kw_only=True, alias="async_transport", repr=False
    )
    #: OpenTelemetry tracing (``portkey_runs._tracing``): its options and tracer.
    tracing: Tracing = field(factory=Tracing, kw_only=True, repr=False)

    _closed: bool = field(default=False, init=False, repr=False)
    # Two threads making the first request at once make one httpx client, not two.
    _building: threading.Lock = field(factory=threading.Lock, init=False, repr=False)

    @property
    def base_url(self) -> str:
        return self._base_url

    def __repr__(self) -> str:
        # The generated repr would show the base URL as given, a password in it included.
        shown = safe_url(httpx.URL(self._base_url))
        return (
            f"ApiClient(base_url={shown!r}, headers={self.header_names}, "
            f"retry_policy={self._retry_policy!r})"
        )

    @property
    def retry_policy(self) -> RetryPolicy:
        return self._retry_policy

    @property
    def header_names(self) -> list[str]:
        """The names (never the values) of the headers sent with every request."""
        return sorted({*self._headers, *self._secret_headers})

    def _strip_secrets_off_origin(self, request: httpx.Request) -> None:
        if _origin(request.url) != _origin(self._base_url):
            shown = redact_headers(request.headers.items())
            secrets = {name for name, value in shown.items() if value == REDACTED}
            for name in {*self._secret_headers, *secrets}:
                request.headers.pop(name, None)

    def _client_args(self, hook: Any) -> dict[str, Any]:
        args = dict(self._httpx_args)
        hooks = dict(args.pop("event_hooks", None) or {})
        hooks["request"] = [*hooks.get("request", []), hook]
        return {
            "base_url": self._base_url,
            "cookies": self._cookies,
            "headers": self._headers,
            "timeout": self._timeout,
            "follow_redirects": self._follow_redirects,
            "auth": PortkeyAuth(self._secret_headers),
            "event_hooks": hooks,
            **args,
        }

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("this client is closed: make a new one to send more requests")

    def _verify(self) -> Any:
        """What the transports verify with: httpx's default (certifi) made once for both,
        when the first one is made (loading it is what costs)."""
        if self._verify_ssl is True:
            self._verify_ssl = httpx.create_ssl_context()
        return self._verify_ssl

    def get_httpx_client(self) -> httpx.Client:
        self._check_open()
        if self._client is None:
            with self._building:
                return self._build_client()
        return self._client

    def _build_client(self) -> httpx.Client:
        if self._client is None:
            inner = self._transport or httpx.HTTPTransport(
                verify=self._verify(), **self._transport_args
            )
            self._client = httpx.Client(
                transport=RetryTransport(self.tracing.transport(inner), self._retry_policy),
                **self._client_args(self._strip_secrets_off_origin),
            )
        return self._client

    def get_async_httpx_client(self) -> httpx.AsyncClient:
        self._check_open()
        if self._async_client is None:
            with self._building:
                return self._build_async_client()
        return self._async_client

    def _build_async_client(self) -> httpx.AsyncClient:
        if self._async_client is None:

            async def strip(request: httpx.Request) -> None:
                self._strip_secrets_off_origin(request)

            inner = self._async_transport or httpx.AsyncHTTPTransport(
                verify=self._verify(), **self._transport_args
            )
            traced = self.tracing.async_transport(inner)
            self._async_client = httpx.AsyncClient(
                transport=AsyncRetryTransport(traced, self._retry_policy),
                **self._client_args(strip),
            )
        return self._async_client

    def close(self) -> None:
        """Close the sync httpx client (if one was made); no request can be sent after."""
        self._closed = True
        if self._client is not None:
            self._client.close()

    async def aclose(self) -> None:
        """Close both httpx clients (those that were made); no request can be sent after."""
        self.close()
        if self._async_client is not None:
            await self._async_client.aclose()


def list_runs_request(
    thread_id: str, *, limit: int, order: str, after: str | None, before: str | None
) -> dict[str, Any]:
    """The keyword arguments of ``httpx.Client.request`` for one page; bad arguments raise."""
    low, high = spec_facts.LIMIT_MINIMUM, spec_facts.LIMIT_MAXIMUM
    if isinstance(limit, bool) or not isinstance(limit, int) or not low <= limit <= high:
        raise ValueError(f"limit must be an integer from {low} to {high}, got {limit!r}")
    if order not in spec_facts.ORDERS:
        named = " or ".join(map(repr, spec_facts.ORDERS))
        raise ValueError(f"order must be {named}, got {order!r}")
    if after is not None and before is not None:
        raise ValueError("pass after= or before=, not both")
    from portkey_runs_api.api.runs import list_runs  # on first use: it brings the models
    from portkey_runs_api.models.list_order import ListOrder

    return list_runs._get_kwargs(
        thread_id,
        limit=limit,
        order=ListOrder(order),
        after=UNSET if after is None else _cursor("after", after),
        before=UNSET if before is None else _cursor("before", before),
    )


def check_tool_call_id(name: str, value: object) -> str:
    """``value`` if it can be a tool call id, else an error naming ``name``: any non-empty
    string. (Not held to ``check_id``'s rule for path ids: it travels in a body, never in a
    path, and the API does not promise its characters.)"""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, not {type(value).__name__}")
    if not value:
        raise ValueError(f"{name} must not be empty")
    return value


def _cursor(name: str, value: str) -> str:
    """A cursor is a run id (the same rule as the ids in paths), as long as the spec asks."""
    cursor = check_id(name, value)
    least = spec_facts.CURSOR_MIN_LENGTH.get(name, 0)
    if len(cursor) < least:
        raise ValueError(f"{name} must be at least {least} characters long, got {cursor!r}")
    return cursor


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
        check_tool_call_id(f"{where}.tool_call_id", model.tool_call_id)
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
    """The keyword arguments of ``httpx.Client.request`` for a submission; bad ones raise."""
    from portkey_runs_api.api.runs import submit_tool_outputs_to_run
    from portkey_runs_api.models.submit_tool_outputs_run_request import SubmitToolOutputsRunRequest

    body = SubmitToolOutputsRunRequest(tool_outputs=tool_output_models(tool_outputs), stream=stream)
    kwargs = submit_tool_outputs_to_run._get_kwargs(thread_id, run_id, body=body)
    if stream:
        kwargs["headers"] = {**kwargs.get("headers", {}), "Accept": "text/event-stream"}
    return kwargs
