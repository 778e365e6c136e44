"""A generated ``Client`` configured for Portkey: base URL, headers, timeouts, retries."""

from __future__ import annotations

import os
import ssl
import urllib.request
from collections.abc import Generator, Mapping
from typing import Any

import httpx
from attrs import define, field

from portkey_runs_api import Client

from ._headers import REDACTED, portkey_headers, redact_headers
from ._retries import AsyncRetryTransport, RetryPolicy, RetryTransport

__all__ = ["DEFAULT_BASE_URL", "DEFAULT_TIMEOUT", "PortkeyAuth", "PortkeyClient", "make_client"]

DEFAULT_BASE_URL = "https://api.portkey.ai/v1"
BASE_URL_ENV = "PORTKEY_BASE_URL"
#: Connecting fails fast; a response (or the next event of a stream) may take a minute.
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=5.0)

#: ``httpx_args`` that configure the connection, so they belong to the inner transport.
TRANSPORT_ARGS = frozenset(
    {"cert", "http1", "http2", "limits", "proxy", "trust_env", "local_address", "uds", "retries"}
)
#: ``httpx_args`` that make_client sets itself: the parameter to use instead.
OWN_ARGS = {
    "auth": "api_key=/authorization= (or headers=)",
    "base_url": "base_url=",
    "cookies": "cookies=",
    "follow_redirects": "follow_redirects=",
    "headers": "headers=",
    "mounts": "(none: make_client owns the transports)",
    "timeout": "timeout=",
    "transport": "(none: make_client owns the transports; pass an httpx client of your own "
    "with set_httpx_client() instead)",
    "verify": "verify_ssl=",
}


class PortkeyAuth(httpx.Auth):
    """Adds the secret headers (API key, virtual key, Authorization...) to every request.

    Kept out of the httpx clients' default headers, whose repr would show them; this
    object's repr names the headers, never their values.
    """

    def __init__(self, headers: Mapping[str, str]) -> None:
        self._headers = dict(headers)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
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
class PortkeyClient(Client):
    """A generated :class:`~portkey_runs_api.Client` whose httpx clients authenticate with
    the secret Portkey headers and retry per a :class:`RetryPolicy`.

    Made by :func:`make_client`. It builds its httpx clients lazily, so the copies that the
    generated ``with_headers()``, ``with_cookies()`` and ``with_timeout()`` return keep the
    credentials and the retries. The secret headers are dropped from any request that a
    redirect sends to another origin.

    It reads the generated client's private fields (``_base_url``, ``_headers``...), as the
    generated ``get_httpx_client`` does; ``tests/overlay/test_contract.py`` fails loudly if a
    generator upgrade renames them.
    """

    _secret_headers: dict[str, str] = field(
        factory=dict, kw_only=True, alias="secret_headers", repr=False
    )
    _retry_policy: RetryPolicy = field(factory=RetryPolicy, kw_only=True, alias="retry_policy")
    _transport_args: dict[str, Any] = field(
        factory=dict, kw_only=True, alias="transport_args", repr=False
    )

    def _strip_secrets_off_origin(self, request: httpx.Request) -> None:
        if _origin(request.url) != _origin(self._base_url):
            for name in self._secret_headers:
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

    def get_httpx_client(self) -> httpx.Client:
        if self._client is None:
            transport = httpx.HTTPTransport(verify=self._verify_ssl, **self._transport_args)
            self._client = httpx.Client(
                transport=RetryTransport(transport, self._retry_policy),
                **self._client_args(self._strip_secrets_off_origin),
            )
        return self._client

    def get_async_httpx_client(self) -> httpx.AsyncClient:
        if self._async_client is None:

            async def strip(request: httpx.Request) -> None:
                self._strip_secrets_off_origin(request)

            transport = httpx.AsyncHTTPTransport(verify=self._verify_ssl, **self._transport_args)
            self._async_client = httpx.AsyncClient(
                transport=AsyncRetryTransport(transport, self._retry_policy),
                **self._client_args(strip),
            )
        return self._async_client


def _environment_proxy(url: str) -> str | None:
    """The proxy the environment (``HTTPS_PROXY``, ``ALL_PROXY``, ``NO_PROXY``...) sets for
    ``url``: passing a transport to httpx turns its own lookup off, so we do it."""
    parsed = httpx.URL(url)
    if urllib.request.proxy_bypass(parsed.host):
        return None
    proxies = urllib.request.getproxies()
    return proxies.get(parsed.scheme) or proxies.get("all")


def _split_secrets(headers: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    redacted = redact_headers(headers)
    public = {k: v for k, v in headers.items() if redacted[k] != REDACTED}
    secret = {k: v for k, v in headers.items() if redacted[k] == REDACTED}
    return public, secret


def make_client(
    api_key: str | None = None,
    *,
    base_url: str | None = None,
    timeout: httpx.Timeout | float | None = DEFAULT_TIMEOUT,
    max_retries: int = 2,
    retry_policy: RetryPolicy | None = None,
    headers: Mapping[str, str] | None = None,
    verify_ssl: bool | str | ssl.SSLContext = True,
    follow_redirects: bool = False,
    cookies: Mapping[str, str] | None = None,
    raise_on_unexpected_status: bool = False,
    httpx_args: Mapping[str, Any] | None = None,
    **header_options: Any,
) -> PortkeyClient:
    """A generated :class:`portkey_runs_api.Client` ready for Portkey.

    ``api_key`` and ``header_options`` (``virtual_key=``, ``provider=``, ``config=``,
    ``authorization=``, ``trace_id=``, ...) become headers through :func:`portkey_headers`;
    ``headers`` adds any others. ``base_url`` falls back to ``$PORTKEY_BASE_URL``, then to
    ``https://api.portkey.ai/v1``. Both its sync and async httpx clients send through the
    retrying transport (``max_retries=0`` turns retries off; ``retry_policy`` replaces the
    whole policy). The result works with every generated ``api`` function.

    Secret headers travel through a :class:`PortkeyAuth` rather than the clients' default
    headers, so that no repr of the client or its httpx clients shows them. ``httpx_args``
    passes connection options (``proxy``, ``cert``, ``limits``, ``http2``...) to the
    transport and the rest to the httpx clients; the environment's proxy settings apply as
    they do in httpx.
    """
    extra = dict(httpx_args or {})
    for key in sorted(set(extra) & set(OWN_ARGS)):
        raise ValueError(f"httpx_args[{key!r}] is set by make_client: use {OWN_ARGS[key]}")
    transport_args = {k: extra.pop(k) for k in sorted(set(extra) & TRANSPORT_ARGS)}
    url = base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
    if "proxy" not in transport_args and transport_args.get("trust_env", True):
        transport_args["proxy"] = _environment_proxy(url)
    public, secret = _split_secrets(
        {**portkey_headers(api_key, **header_options), **(headers or {})}
    )
    if verify_ssl is True:
        # httpx's default (certifi), made once for both transports: loading it is what costs.
        verify_ssl = httpx.create_ssl_context()
    return PortkeyClient(
        base_url=url,
        headers=public,
        cookies=dict(cookies or {}),
        timeout=timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout),
        verify_ssl=verify_ssl,
        follow_redirects=follow_redirects,
        raise_on_unexpected_status=raise_on_unexpected_status,
        httpx_args=extra,
        secret_headers=secret,
        retry_policy=retry_policy or RetryPolicy(max_retries=max_retries),
        transport_args=transport_args,
    )
