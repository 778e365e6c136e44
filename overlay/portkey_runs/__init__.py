"""portkey-runs: list a thread's runs and submit tool outputs through Portkey.

::

    import portkey_runs

    with portkey_runs.Client() as client:  # $PORTKEY_API_KEY, $PORTKEY_VIRTUAL_KEY
        for run in client.runs.list("thread_abc123"):
            ...

``AsyncClient`` is the async twin. The generated low-level client is ``portkey_runs_api``;
``client.api`` is one, configured as the client is.
"""

from portkey_runs_api.models import Run, ToolOutput

from ._client import DEFAULT_BASE_URL, DEFAULT_TIMEOUT, AsyncClient, Client
from ._events import AssistantStreamEvent, RunStreamEvent, UnknownEvent
from ._options import RequestOptions
from ._pagination import AsyncRunPager, RunPage, RunPager
from ._resources import AsyncRuns, AsyncRunsWithRawResponse, Runs, RunsWithRawResponse
from ._response import RawResponse, ResponseMeta
from ._retries import AsyncRetryTransport, RetryPolicy, RetryTransport
from ._streaming import AsyncRunStream, AsyncRunStreamManager, RunStream, RunStreamManager
from ._tools import AsyncToolLoop, ToolCall, ToolLoop
from ._version import __version__
from .errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    IncompleteStreamError,
    InternalServerError,
    NotFoundError,
    PaginationError,
    PermissionDeniedError,
    PortkeyError,
    RateLimitError,
    ResponseValidationError,
    StreamError,
    ToolError,
    ToolLoopError,
    UnprocessableEntityError,
)

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
