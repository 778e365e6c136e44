"""portkey-runs: list a thread's runs and submit tool outputs through Portkey.

The hand-written layer over the generated client ``portkey_runs_api``::

    from portkey_runs import make_client, iter_runs, stream_tool_outputs

    client = make_client()  # $PORTKEY_API_KEY, $PORTKEY_VIRTUAL_KEY
    for run in iter_runs(client, "thread_abc123"):
        ...
"""

from portkey_runs_api import Client
from portkey_runs_api.models import ListRunsResponse, Run, ToolOutput

from ._client import DEFAULT_BASE_URL, DEFAULT_TIMEOUT, PortkeyAuth, PortkeyClient, make_client
from ._headers import portkey_headers, redact_headers
from ._pagination import (
    PaginationError,
    aiter_run_pages,
    aiter_runs,
    iter_run_pages,
    iter_runs,
)
from ._retries import AsyncRetryTransport, RetryPolicy, RetryTransport, attempts
from ._streaming import (
    AsyncRunStream,
    IncompleteStreamError,
    RunStream,
    StreamEvent,
    UnknownEvent,
    astream_tool_outputs,
    asubmit_tool_outputs,
    stream_tool_outputs,
    submit_tool_outputs,
)
from .errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    PortkeyError,
    RateLimitError,
    ResponseValidationError,
    StreamError,
    UnprocessableEntityError,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_TIMEOUT",
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncRetryTransport",
    "AsyncRunStream",
    "AuthenticationError",
    "BadRequestError",
    "Client",
    "ConflictError",
    "IncompleteStreamError",
    "InternalServerError",
    "ListRunsResponse",
    "NotFoundError",
    "PaginationError",
    "PermissionDeniedError",
    "PortkeyAuth",
    "PortkeyClient",
    "PortkeyError",
    "RateLimitError",
    "ResponseValidationError",
    "RetryPolicy",
    "RetryTransport",
    "Run",
    "RunStream",
    "StreamError",
    "StreamEvent",
    "ToolOutput",
    "UnknownEvent",
    "UnprocessableEntityError",
    "aiter_run_pages",
    "aiter_runs",
    "astream_tool_outputs",
    "asubmit_tool_outputs",
    "attempts",
    "iter_run_pages",
    "iter_runs",
    "make_client",
    "portkey_headers",
    "redact_headers",
    "stream_tool_outputs",
    "submit_tool_outputs",
]
