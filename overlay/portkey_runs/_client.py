"""``portkey_runs.Client`` and ``portkey_runs.AsyncClient``: configured once, used everywhere.

Both take the same arguments (:class:`_BaseClient`); what they share — reading the environment,
building the headers, the retry policy and the generated client — is :func:`_api_client`. Only
closing and the resource (``runs``) differ.
"""

from __future__ import annotations

import functools
import os
import ssl
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Self, TypeVar

import httpx

from ._bounds import MAX_EVENT_BYTES, MAX_RESPONSE_BYTES, Bounds, check_cap, check_deadline
from ._generated import ApiClient
from ._headers import REDACTED, checked_headers, portkey_headers, redact_headers, safe_url
from ._options import check_retries, check_strict, check_timeout
from ._retries import RetryPolicy
from ._tracing import Tracing

if TYPE_CHECKING:
    from ._resources import AsyncRuns, Runs

__all__ = ["DEFAULT_BASE_URL", "DEFAULT_TIMEOUT", "AsyncClient", "Client"]

DEFAULT_BASE_URL = "https://api.portkey.ai/v1"
BASE_URL_ENV = "PORTKEY_BASE_URL"
STRICT_ENV = "PORTKEY_STRICT_RESPONSES"
#: Connecting fails fast; a response (or the next event of a stream) may take a minute.
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=5.0)

#: ``httpx_args`` that configure the connection, so they belong to the inner transport.
TRANSPORT_ARGS = frozenset(
    {"cert", "http1", "http2", "limits", "proxy", "trust_env", "local_address", "uds", "retries"}
)
#: ``httpx_args`` the client sets itself: the parameter to use instead.
OWN_ARGS = {
    "auth": "api_key=/authorization= (or headers=)",
    "base_url": "base_url=",
    "cookies": "cookies=",
    "follow_redirects": "follow_redirects=",
    "headers": "headers=",
    "mounts": "transport=",
    "timeout": "timeout=",
    "transport": "transport=",
    "verify": "verify_ssl=",
}


def _environment_proxy(url: str) -> str | None:
    """The proxy the environment (``HTTPS_PROXY``, ``ALL_PROXY``, ``NO_PROXY``...) sets for
    ``url``: passing a transport to httpx turns its own lookup off, so we do it."""
    import urllib.request  # here: it costs a sixth of the import of this package

    parsed = httpx.URL(url)
    if urllib.request.proxy_bypass(parsed.host):
        return None
    proxies = urllib.request.getproxies()
    return proxies.get(parsed.scheme) or proxies.get("all")


def _strict_from_env() -> bool:
    """``$PORTKEY_STRICT_RESPONSES``: ``1``/``true``/``yes`` make clients strict, ``0``/
    ``false``/``no`` or unset do not; anything else is a ``ValueError`` naming it."""
    value = os.environ.get(STRICT_ENV, "").strip().lower()
    if value in ("1", "true", "yes"):
        return True
    if value in ("", "0", "false", "no"):
        return False
    raise ValueError(f"${STRICT_ENV} must be 1, true, yes, 0, false or no, got {value!r}")


def _split_secrets(headers: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    redacted = redact_headers(headers)
    public = {k: v for k, v in headers.items() if redacted[k] != REDACTED}
    secret = {k: v for k, v in headers.items() if redacted[k] == REDACTED}
    return public, secret


def _api_client(
    *,
    api_key: str | None,
    base_url: str | None,
    timeout: httpx.Timeout | float | None,
    max_retries: int,
    retry_policy: RetryPolicy | None,
    headers: Mapping[str, str] | None,
    verify_ssl: bool | str | ssl.SSLContext,
    follow_redirects: bool,
    cookies: Mapping[str, str] | None,
    httpx_args: Mapping[str, Any] | None,
    transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None,
    portkey: Mapping[str, Any],
    tracing: Tracing,
) -> ApiClient:
    """The configured generated client both clients are built on; bad arguments raise."""
    extra = dict(httpx_args or {})
    for key in sorted(set(extra) & set(OWN_ARGS)):
        raise ValueError(f"httpx_args[{key!r}] is set by the client: use {OWN_ARGS[key]}")
    transport_args = {k: extra.pop(k) for k in sorted(set(extra) & TRANSPORT_ARGS)}
    if transport is not None and transport_args:
        raise ValueError(
            f"httpx_args {sorted(transport_args)} configure the connection, "
            "which transport= replaces: configure your transport instead"
        )
    check_retries(max_retries)
    check_timeout(timeout)
    url = base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"base_url must be an http:// or https:// URL, got {url!r}")
    if "proxy" not in transport_args and transport_args.get("trust_env", True):
        transport_args["proxy"] = _environment_proxy(url)
    public, secret = _split_secrets(
        {**portkey_headers(api_key, **portkey), **checked_headers(headers, "headers")}
    )
    return ApiClient(
        base_url=url,
        headers=public,
        cookies=dict(cookies or {}),
        timeout=timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout),
        verify_ssl=verify_ssl,
        follow_redirects=follow_redirects,
        httpx_args=extra,
        secret_headers=secret,
        retry_policy=retry_policy or RetryPolicy(max_retries=max_retries),
        transport_args=transport_args,
        transport=transport if isinstance(transport, httpx.BaseTransport) else None,
        async_transport=transport if isinstance(transport, httpx.AsyncBaseTransport) else None,
        tracing=tracing,
    )


TransportT = TypeVar("TransportT", httpx.BaseTransport, httpx.AsyncBaseTransport)


class _BaseClient(Generic[TransportT]):
    """The arguments both clients take, in one place."""

    _async: ClassVar[bool]

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        virtual_key: str | None = None,
        provider: str | None = None,
        authorization: str | None = None,
        config: str | Mapping[str, Any] | None = None,
        trace_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        custom_host: str | None = None,
        cache_force_refresh: bool | None = None,
        cache_namespace: str | None = None,
        request_timeout: int | None = None,
        forward_headers: Iterable[str] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: httpx.Timeout | float | None = DEFAULT_TIMEOUT,
        max_retries: int = 2,
        retry_policy: RetryPolicy | None = None,
        verify_ssl: bool | str | ssl.SSLContext = True,
        follow_redirects: bool = False,
        cookies: Mapping[str, str] | None = None,
        httpx_args: Mapping[str, Any] | None = None,
        transport: TransportT | None = None,
        strict_responses: bool | None = None,
        span_id: str | None = None,
        span_name: str | None = None,
        parent_span_id: str | None = None,
        trace_context: bool = True,
        trace_content: bool | None = None,
        tracer_provider: Any = None,
        max_response_bytes: int | None = MAX_RESPONSE_BYTES,
        max_event_bytes: int | None = MAX_EVENT_BYTES,
        deadline: float | None = None,
    ) -> None:
        check_cap("max_response_bytes", max_response_bytes)
        check_cap("max_event_bytes", max_event_bytes)
        check_deadline(deadline)
        #: The size caps and deadline of every call, unless the call gives its own.
        self._bounds = Bounds(max_response_bytes, max_event_bytes, deadline)
        portkey = {
            "virtual_key": virtual_key,
            "provider": provider,
            "authorization": authorization,
            "config": config,
            "trace_id": trace_id,
            "metadata": metadata,
            "custom_host": custom_host,
            "cache_force_refresh": cache_force_refresh,
            "cache_namespace": cache_namespace,
            "request_timeout": request_timeout,
            "forward_headers": forward_headers,
            "span_id": span_id,
            "span_name": span_name,
            "parent_span_id": parent_span_id,
        }
        if transport is not None and not isinstance(
            transport, httpx.AsyncBaseTransport if self._async else httpx.BaseTransport
        ):
            kind = "httpx.AsyncBaseTransport" if self._async else "httpx.BaseTransport"
            raise TypeError(f"transport must be an {kind}, not {type(transport).__name__}")
        #: The generated ``portkey_runs_api.Client``, configured as this client: every
        #: generated ``api`` function takes it.
        self.api: ApiClient = _api_client(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            retry_policy=retry_policy,
            headers=headers,
            verify_ssl=verify_ssl,
            follow_redirects=follow_redirects,
            cookies=cookies,
            httpx_args=httpx_args,
            transport=transport,
            portkey=portkey,
            tracing=Tracing(trace_context, trace_content, tracer_provider),
        )
        #: Whether answers that depart from the spec raise (``True``) or are read tolerantly
        #: and reported (``False``): the argument, else (``None``) ``$PORTKEY_STRICT_RESPONSES``,
        #: else tolerant. A call's ``strict_responses=`` option decides for that call.
        self.strict_responses: bool = (
            _strict_from_env() if strict_responses is None else check_strict(strict_responses)
        )

    @property
    def base_url(self) -> str:
        return self.api.base_url

    def __repr__(self) -> str:
        api = self.api
        shown = safe_url(httpx.URL(api.base_url))  # never a password in the URL
        return (
            f"{type(self).__name__}(base_url={shown!r}, "
            f"max_retries={api.retry_policy.max_retries}, headers={api.header_names})"
        )


class Client(_BaseClient[httpx.BaseTransport]):
    """A client of Portkey's runs API: ``client.runs.list(...)``,
    ``client.runs.submit_tool_outputs(...)``, ``client.runs.stream_tool_outputs(...)``.

    ``api_key`` falls back to ``$PORTKEY_API_KEY``, ``virtual_key`` to ``$PORTKEY_VIRTUAL_KEY``,
    ``base_url`` to ``$PORTKEY_BASE_URL``, then to ``https://api.portkey.ai/v1``. The Portkey
    options (``virtual_key``, ``provider`` with ``authorization``, ``config``, ``trace_id``,
    ``metadata``...) become ``x-portkey-*`` headers; ``headers`` adds any others. Requests
    retry per ``retry_policy`` (by default a :class:`RetryPolicy` with ``max_retries``; 0
    turns retries off). ``httpx_args`` passes connection options (``proxy``, ``cert``,
    ``limits``, ``http2``...) to the transport and the rest (``event_hooks``...) to the httpx
    client; ``transport`` replaces the network under the retries (``httpx.MockTransport``).

    An answer that departs from the spec is read tolerantly by default: the odd property reads
    as ``None``, a ``SpecDriftWarning`` and a log line report it (``page.drift`` and
    ``stream.drift`` list it); only what the client needs raises ``ResponseValidationError``.
    ``strict_responses=True`` raises on any departure; ``False`` reads tolerantly whatever the
    environment says; left ``None``, ``$PORTKEY_STRICT_RESPONSES=1`` makes the client strict.

    Everything read is bounded: ``max_response_bytes`` (64 MiB) caps a non-stream answer and
    ``max_event_bytes`` (16 MiB) one line or event of a stream, counted on decoded bytes
    (``ResponseTooLargeError``, ``EventTooLargeError``); ``deadline`` (seconds, none by
    default) bounds a whole call — its attempts, retry waits and reads, a stream until it
    ends (``DeadlineExceededError``). ``None`` turns one off; each call may give its own.

    Secrets travel in an ``httpx.Auth``, never in a repr, a log line or an error message.
    ``client.api`` is the generated ``portkey_runs_api.Client``, configured the same way.
    Use the client as a context manager, or ``close()`` it.

    With OpenTelemetry installed (``portkey-runs[otel]``), calls, streams, page walks, tool
    loops and tool calls are traced, and every request carries the current W3C trace context
    (``trace_context=False``: not sent); ``trace_content=True`` records tool arguments and
    outputs (default: ``$OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT``);
    ``tracer_provider`` replaces OpenTelemetry's global one. ``span_id``, ``span_name`` and
    ``parent_span_id`` are Portkey's span headers.
    """

    _async = False

    @functools.cached_property
    def runs(self) -> Runs:
        """A thread's runs: ``list``, ``submit_tool_outputs``, ``stream_tool_outputs``,
        ``run_tools``."""
        from ._resources import Runs  # on first use: it brings the models

        return Runs(self)

    def close(self) -> None:
        """Close the connections."""
        self.api.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class AsyncClient(_BaseClient[httpx.AsyncBaseTransport]):
    """The async twin of :class:`Client`: the same arguments; ``await`` and ``async for``.

    Use it as an async context manager, or ``await client.aclose()``.
    """

    _async = True

    @functools.cached_property
    def runs(self) -> AsyncRuns:
        """A thread's runs: ``list``, ``submit_tool_outputs``, ``stream_tool_outputs``,
        ``run_tools``."""
        from ._resources import AsyncRuns

        return AsyncRuns(self)

    async def aclose(self) -> None:
        """Close the connections."""
        await self.api.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()
