"""A generated ``Client`` configured for Portkey: base URL, headers, timeouts, retries."""

from __future__ import annotations

import os
import ssl
from collections.abc import Generator, Mapping
from typing import Any

import httpx

from portkey_runs_api import Client

from ._headers import REDACTED, portkey_headers, redact_headers
from ._retries import AsyncRetryTransport, RetryPolicy, RetryTransport

__all__ = ["DEFAULT_BASE_URL", "DEFAULT_TIMEOUT", "make_client"]

DEFAULT_BASE_URL = "https://api.portkey.ai/v1"
BASE_URL_ENV = "PORTKEY_BASE_URL"
#: Connecting fails fast; a response (or the next event of a stream) may take a minute.
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=5.0)


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
) -> Client:
    """A generated :class:`portkey_runs_api.Client` ready for Portkey.

    ``api_key`` and ``header_options`` (``virtual_key=``, ``provider=``, ``config=``,
    ``authorization=``, ``trace_id=``, ...) become headers through :func:`portkey_headers`;
    ``headers`` adds any others. ``base_url`` falls back to ``$PORTKEY_BASE_URL``, then to
    ``https://api.portkey.ai/v1``. Both its sync and async httpx clients send through the
    retrying transport (``max_retries=0`` turns retries off; ``retry_policy`` replaces the
    whole policy). The result works with every generated ``api`` function.

    Secret headers travel through a :class:`PortkeyAuth` rather than the clients' default
    headers, so that no repr of the client or its httpx clients shows them.
    """
    policy = retry_policy or RetryPolicy(max_retries=max_retries)
    all_headers = {**portkey_headers(api_key, **header_options), **(headers or {})}
    url = base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
    if not isinstance(timeout, httpx.Timeout):
        timeout = httpx.Timeout(timeout)
    if verify_ssl is True:
        # One context for both transports: loading the CA bundle once is what costs.
        verify_ssl = ssl.create_default_context()
    public, secret = _split_secrets(all_headers)
    shared: dict[str, Any] = {
        "base_url": url,
        "headers": public,
        "auth": PortkeyAuth(secret),
        "cookies": dict(cookies or {}),
        "timeout": timeout,
        "follow_redirects": follow_redirects,
        **(httpx_args or {}),
    }
    client = Client(
        base_url=url,
        headers=public,
        cookies=dict(cookies or {}),
        timeout=timeout,
        verify_ssl=verify_ssl,
        follow_redirects=follow_redirects,
        raise_on_unexpected_status=raise_on_unexpected_status,
        httpx_args=dict(httpx_args or {}),
    )
    client.set_httpx_client(
        httpx.Client(
            transport=RetryTransport(httpx.HTTPTransport(verify=verify_ssl), policy), **shared
        )
    )
    client.set_async_httpx_client(
        httpx.AsyncClient(
            transport=AsyncRetryTransport(httpx.AsyncHTTPTransport(verify=verify_ssl), policy),
            **shared,
        )
    )
    return client
