"""portkey-runs: list a thread's runs and submit tool outputs through Portkey.

::

    import portkey_runs

    with portkey_runs.Client() as client:  # $PORTKEY_API_KEY, $PORTKEY_VIRTUAL_KEY
        for run in client.runs.list("thread_abc123"):
            ...

``AsyncClient`` is the async twin. The generated low-level client is ``portkey_runs_api``;
``client.api`` is one, configured as the client is.
"""

import importlib
from typing import TYPE_CHECKING, Any

from .errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    DeadlineExceededError,
    EventTooLargeError,
    IncompleteStreamError,
    InternalServerError,
    NotFoundError,
    PaginationError,
    PermissionDeniedError,
    PortkeyError,
    RateLimitError,
    ResponseTooLargeError,
    ResponseValidationError,
    SpecDriftWarning,
    StreamError,
    ToolError,
    ToolLoopError,
    UnprocessableEntityError,
)

# What the rest of the package needs (models, pagination, streams...) is imported on first use
# (PEP 562): `import portkey_runs` costs httpx and the errors, not every model of the API.
# Type checkers see plain imports.
if TYPE_CHECKING:
    from portkey_runs_api.models import Run, ToolOutput

    from ._client import DEFAULT_BASE_URL, DEFAULT_TIMEOUT, AsyncClient, Client
    from ._drift import SpecDrift
    from ._events import AssistantStreamEvent, RunStreamEvent, UnknownEvent
    from ._options import RequestOptions
    from ._pagination import AsyncRunPager, RunPage, RunPager
    from ._resources import AsyncRuns, AsyncRunsWithRawResponse, Runs, RunsWithRawResponse
    from ._response import RawResponse, ResponseMeta
    from ._retries import AsyncRetryTransport, RetryPolicy, RetryTransport
    from ._streaming import AsyncRunStream, AsyncRunStreamManager, RunStream, RunStreamManager
    from ._tools import AsyncToolLoop, ToolCall, ToolLoop
    from ._version import __version__

_LAZY: dict[str, str] = {
    "__version__": "._version",  # reading it costs tomllib or importlib.metadata
    "Run": "portkey_runs_api.models",
    "ToolOutput": "portkey_runs_api.models",
    "DEFAULT_BASE_URL": "._client",
    "DEFAULT_TIMEOUT": "._client",
    "AsyncClient": "._client",
    "Client": "._client",
    "AssistantStreamEvent": "._events",
    "RunStreamEvent": "._events",
    "UnknownEvent": "._events",
    "RequestOptions": "._options",
    "AsyncRunPager": "._pagination",
    "RunPage": "._pagination",
    "RunPager": "._pagination",
    "AsyncRuns": "._resources",
    "AsyncRunsWithRawResponse": "._resources",
    "Runs": "._resources",
    "RunsWithRawResponse": "._resources",
    "RawResponse": "._response",
    "ResponseMeta": "._response",
    "AsyncRetryTransport": "._retries",
    "RetryPolicy": "._retries",
    "RetryTransport": "._retries",
    "AsyncRunStream": "._streaming",
    "AsyncRunStreamManager": "._streaming",
    "RunStream": "._streaming",
    "RunStreamManager": "._streaming",
    "AsyncToolLoop": "._tools",
    "ToolCall": "._tools",
    "ToolLoop": "._tools",
    "SpecDrift": "._drift",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'portkey_runs' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # once: the next lookup is a plain one
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_TIMEOUT",
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AssistantStreamEvent",
    "AsyncClient",
    "AsyncRetryTransport",
    "AsyncRunPager",
    "AsyncRunStream",
    "AsyncRunStreamManager",
    "AsyncRuns",
    "AsyncRunsWithRawResponse",
    "AsyncToolLoop",
    "AuthenticationError",
    "BadRequestError",
    "Client",
    "ConflictError",
    "DeadlineExceededError",
    "EventTooLargeError",
    "IncompleteStreamError",
    "InternalServerError",
    "NotFoundError",
    "PaginationError",
    "PermissionDeniedError",
    "PortkeyError",
    "RateLimitError",
    "RawResponse",
    "RequestOptions",
    "ResponseMeta",
    "ResponseTooLargeError",
    "ResponseValidationError",
    "RetryPolicy",
    "RetryTransport",
    "Run",
    "RunPage",
    "RunPager",
    "RunStream",
    "RunStreamEvent",
    "RunStreamManager",
    "Runs",
    "RunsWithRawResponse",
    "SpecDrift",
    "SpecDriftWarning",
    "StreamError",
    "ToolCall",
    "ToolError",
    "ToolLoop",
    "ToolLoopError",
    "ToolOutput",
    "UnknownEvent",
    "UnprocessableEntityError",
    "__version__",
]
