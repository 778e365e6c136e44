"""One typed exception hierarchy for everything the client can raise.

    PortkeyError
    ├── APIStatusError            a non-2xx answer (any status, even 520 or an HTML page)
    │   ├── BadRequestError           400
    │   ├── AuthenticationError       401
    │   ├── PermissionDeniedError     403
    │   ├── NotFoundError             404
    │   ├── ConflictError             409
    │   ├── UnprocessableEntityError  422
    │   ├── RateLimitError            429
    │   └── InternalServerError       >= 500
    ├── APIConnectionError        the server could not be reached, or the connection broke
    │   └── APITimeoutError
    │       └── DeadlineExceededError the call's ``deadline=`` passed
    ├── StreamError               an ``error`` event, or a stream that cannot be read
    │   ├── IncompleteStreamError     the stream ended or broke before its ``done`` event
    │   └── EventTooLargeError        a line or event past ``max_event_bytes`` (also below)
    ├── ResponseTooLargeError     an answer past ``max_response_bytes``
    ├── ResponseValidationError   a 2xx body that is not what the spec says
    ├── PaginationError           pages that cannot be followed (overlapping, a stuck cursor)
    ├── ToolError                 a tool function failed, with ``on_tool_error="raise"``
    └── ToolLoopError             a tool loop cannot go on (max_rounds, a run not waiting)

Bad arguments are ``ValueError`` or ``TypeError`` naming the parameter, raised at the call,
before any request. No message or repr holds request headers, so no secret can leak through
an exception.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import httpx

from ._headers import safe_url
from ._response import ResponseMeta

if TYPE_CHECKING:  # the model is imported when an error is parsed, not with the package
    from portkey_runs_api.models.error_object import ErrorObject

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
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
    "ResponseTooLargeError",
    "ResponseValidationError",
    "StreamError",
    "ToolError",
    "ToolLoopError",
    "UnprocessableEntityError",
]


class PortkeyError(Exception):
    """The base of every error this package raises."""


def error_object(body: Any) -> ErrorObject | None:
    """The error object of a body, if it has one: the one lenient parser of error bodies.

    Takes ``{"error": {...}}`` (an error answer) or the bare object (an ``error`` event's
    data); needs a string ``message``; a ``type``, ``param`` or ``code`` of the wrong JSON
    type is dropped rather than failing, so that a server's error is never hidden by a
    parse error.
    """
    if not isinstance(body, dict):
        return None
    raw = body.get("error", body)
    if not isinstance(raw, dict) or not isinstance(raw.get("message"), str):
        return None
    from portkey_runs_api.models.error_object import ErrorObject

    return ErrorObject.from_dict(
        {
            "message": raw["message"],
            "type": raw.get("type") if isinstance(raw.get("type"), str) else "",
            "param": raw.get("param") if isinstance(raw.get("param"), str) else None,
            "code": raw.get("code") if isinstance(raw.get("code"), str) else None,
            **{k: v for k, v in raw.items() if k not in ("message", "type", "param", "code")},
        }
    )


class APIStatusError(PortkeyError):
    """The server answered with a status that is not 2xx.

    ``body`` is the decoded JSON (or the text, when the body is not JSON, such as a proxy's
    HTML error page), ``error`` the parsed ``{"error": {...}}`` object when there is one.
    """

    status_code: int
    body: Any
    error: ErrorObject | None
    request_id: str | None
    trace_id: str | None
    meta: ResponseMeta
    response: httpx.Response

    def __init__(self, response: httpx.Response, body: Any, error: ErrorObject | None) -> None:
        self.response = response
        self.status_code = response.status_code
        self.body = body
        self.error = error
        self.meta = ResponseMeta.of(response)
        self.request_id = self.meta.request_id
        self.trace_id = self.meta.trace_id
        detail = error.message if error is not None else _snippet(body)
        super().__init__(f"HTTP {self.status_code} from {_where(response)}: {detail}")

    def __reduce__(self) -> tuple[type[APIStatusError], tuple[Any, ...]]:
        # Picklable (multiprocessing, concurrent.futures): rebuilt from what made it, but for
        # the request's headers (its credentials), which a pickle must not carry.
        request = self.response.request
        response = httpx.Response(
            self.response.status_code,
            headers=self.response.headers,
            content=self.response.content,
            request=httpx.Request(request.method, safe_url(request.url)),
            extensions={"attempts": self.meta.attempts},
        )
        return type(self), (response, self.body, self.error)

    @property
    def retry_after(self) -> str | None:
        value: str | None = self.response.headers.get("retry-after")
        return value


class BadRequestError(APIStatusError):
    pass


class AuthenticationError(APIStatusError):
    pass


class PermissionDeniedError(APIStatusError):
    pass


class NotFoundError(APIStatusError):
    pass


class ConflictError(APIStatusError):
    pass


class UnprocessableEntityError(APIStatusError):
    pass


class RateLimitError(APIStatusError):
    pass


class InternalServerError(APIStatusError):
    pass


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


class APIConnectionError(PortkeyError):
    """The request could not be completed: refused, reset, or broken off."""


class APITimeoutError(APIConnectionError):
    """The request timed out."""


class DeadlineExceededError(APITimeoutError):
    """The call's ``deadline=`` passed (every attempt, retry wait and read counted); the
    connection was closed. ``deadline`` is that bound, in seconds."""

    def __init__(self, message: str, deadline: float) -> None:
        super().__init__(message)
        self.deadline = deadline

    def __reduce__(self) -> tuple[type[DeadlineExceededError], tuple[Any, ...]]:
        return type(self), (str(self), self.deadline)


class StreamError(PortkeyError):
    """The stream reported an error (``error`` is the server's object), or cannot be read.

    ``meta`` is what the stream's answer headers said (``request_id``, ``trace_id``...), once
    the stream has raised it.
    """

    def __init__(self, message: str, error: ErrorObject | None = None) -> None:
        super().__init__(message)
        self.error = error
        self.meta: ResponseMeta | None = None

    @property
    def request_id(self) -> str | None:
        return None if self.meta is None else self.meta.request_id

    @property
    def trace_id(self) -> str | None:
        return None if self.meta is None else self.meta.trace_id

    def __reduce__(self) -> tuple[type[StreamError], tuple[Any, ...]]:
        return type(self), (str(self), self.error)


class IncompleteStreamError(StreamError):
    """The stream ended (or broke) before its ``done`` event."""


class ResponseTooLargeError(PortkeyError):
    """An answer larger than a size cap (counted on decoded bytes, as they are read); the
    connection was closed and nothing of it was handed over. ``limit`` is the cap in bytes,
    ``option`` its name (``max_response_bytes``, ``max_event_bytes``), which the client and
    each call take to raise it (``None``: no cap)."""

    def __init__(self, message: str, limit: int, option: str) -> None:
        super().__init__(message)
        self.limit = limit
        self.option = option

    def __reduce__(self) -> tuple[type[ResponseTooLargeError], tuple[Any, ...]]:
        return type(self), (str(self), self.limit, self.option)


class EventTooLargeError(ResponseTooLargeError, StreamError):
    """A line or an event of a stream larger than ``max_event_bytes``; the stream is closed."""

    def __init__(self, message: str, limit: int, option: str = "max_event_bytes") -> None:
        StreamError.__init__(self, message)
        self.limit = limit
        self.option = option

    def __reduce__(self) -> tuple[type[EventTooLargeError], tuple[Any, ...]]:
        return type(self), (str(self), self.limit, self.option)


class ToolError(PortkeyError):
    """A tool call failed (its function raised or timed out, is unknown, or got arguments
    that are not a JSON object) in a loop with ``on_tool_error="raise"``; nothing of that
    round was submitted. ``call`` is the call as it would have been reported; the function's
    exception, if any, is the cause."""

    def __init__(self, message: str, call: Any = None) -> None:
        super().__init__(message)
        self.call = call

    def __reduce__(self) -> tuple[type[ToolError], tuple[Any, ...]]:
        return type(self), (str(self), self.call)


class ToolLoopError(PortkeyError):
    """A tool loop cannot go on: the run still asks after ``max_rounds`` rounds, is not
    waiting for tool outputs, or is not in its thread."""


class PaginationError(PortkeyError):
    """The server's pages cannot be followed (empty pages with ``has_more``, a stuck cursor,
    a page that repeats runs of the one before)."""


class ResponseValidationError(PortkeyError):
    """A successful response whose body does not match the spec; the message names where.

    ``location`` is the field path (``Run.required_action...tool_calls[2].id``) when known.
    """

    def __init__(self, message: str, body: Any = None, location: str | None = None) -> None:
        super().__init__(message)
        self.body = body
        self.location = location

    def __reduce__(self) -> tuple[type[ResponseValidationError], tuple[Any, ...]]:
        return type(self), (str(self), self.body, self.location)


def _where(response: httpx.Response) -> str:
    request = response.request
    return f"{request.method} {safe_url(request.url, query=False)}"


def _snippet(body: Any) -> str:
    text = body if isinstance(body, str) else json.dumps(body)
    text = " ".join(text.split())
    return text[:200] + ("…" if len(text) > 200 else "") if text else "(empty body)"


def status_error(response: httpx.Response) -> APIStatusError:
    """The typed error for a non-2xx ``response`` whose body has been read."""
    try:
        body: Any = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = response.text
    cls = _BY_STATUS.get(response.status_code)
    if cls is None:
        cls = InternalServerError if response.status_code >= 500 else APIStatusError
    return cls(response, body, error_object(body))


#: httpx errors whose message is about the connection or the body, never about the request's
#: headers; the message of any other (a header httpx refuses, say) could quote a secret.
_SAFE_MESSAGES = (
    httpx.NetworkError,
    httpx.TimeoutException,
    httpx.RemoteProtocolError,
    httpx.TooManyRedirects,
    httpx.DecodingError,
)


def connection_error(exc: httpx.HTTPError) -> APIConnectionError:
    """The typed error for an httpx failure: no answer, a broken one, or one we cannot read."""
    cls = APITimeoutError if isinstance(exc, httpx.TimeoutException) else APIConnectionError
    try:
        request: httpx.Request | None = exc.request
    except RuntimeError:  # an httpx error raised outside a request
        request = None
    where = f" ({request.method} {safe_url(request.url, query=False)})" if request else ""
    detail = f": {exc}" if isinstance(exc, _SAFE_MESSAGES) else ""
    error = cls(f"{type(exc).__name__}{where}{detail}")
    # Raise it with a plain `raise`: the cause is kept only where its message is safe.
    error.__cause__ = exc if isinstance(exc, _SAFE_MESSAGES) else None
    error.__suppress_context__ = True
    return error
