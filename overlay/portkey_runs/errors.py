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

    UserWarning
    └── SpecDriftWarning          an answer departed from the spec and was read tolerantly

Bad arguments are ``ValueError`` or ``TypeError`` naming the parameter, raised at the call,
before any request. No message or repr holds request headers, so no secret can leak through
an exception; a secret the server echoes back (a gateway quoting the request's headers) is
replaced by ``***`` in the message, ``body`` and ``error`` (:func:`redact_error`), and the
request kept on the error has its secret headers replaced by ``<redacted>``. Whatever the server
sends, what is raised is a ``PortkeyError``: an error body nested deeper than
:data:`MAX_BODY_DEPTH` is kept as its text, never walked.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import httpx

from ._headers import redact_headers, redact_text, safe_url, secret_values
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
    "SpecDriftWarning",
    "StreamError",
    "ToolError",
    "ToolLoopError",
    "UnprocessableEntityError",
]


class PortkeyError(Exception):
    """The base of every error this package raises."""


#: The deepest nesting of an error body kept as JSON; a deeper one is kept as its text, so that
#: nothing that walks it (a message, a pickle, a repr) can exhaust the stack.
MAX_BODY_DEPTH = 64


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


class SpecDriftWarning(UserWarning):
    """An answer or event departed from the spec and was read tolerantly (the default,
    ``strict_responses=False``): the odd property reads as ``None``. Issued once per model
    and property; ``page.drift`` and ``stream.drift`` list every departure they saw."""


def _where(response: httpx.Response) -> str:
    request = response.request
    return f"{request.method} {safe_url(request.url, query=False)}"


def _snippet(body: Any) -> str:
    text = body if isinstance(body, str) else json.dumps(body)
    text = " ".join(text.split())
    return text[:200] + ("…" if len(text) > 200 else "") if text else "(empty body)"


def too_deep(value: Any, limit: int) -> bool:
    """Whether JSON ``value`` nests objects or arrays more than ``limit`` deep (no recursion)."""
    todo = [(value, 0)]
    while todo:
        item, depth = todo.pop()
        if isinstance(item, dict | list):
            if depth >= limit:
                return True
            inner = item.values() if isinstance(item, dict) else item
            todo.extend((child, depth + 1) for child in inner if isinstance(child, dict | list))
    return False


def _body(response: httpx.Response) -> Any:
    """An error answer's body: its JSON, or its text (not JSON, or nested too deep)."""
    from portkey_runs_api.types import json_loads  # with the models, on the first error

    try:
        body = json_loads(response.content)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, nested too deep to decode
        return response.text
    return response.text if too_deep(body, MAX_BODY_DEPTH) else body


def _redact_json(value: Any, secrets: tuple[str, ...], depth: int = 0) -> Any:
    if isinstance(value, str):
        return redact_text(value, secrets)
    if depth >= MAX_BODY_DEPTH and isinstance(value, dict | list):
        return "***"  # never walked any deeper (only ever met in what a stream event held)
    if isinstance(value, dict):
        return {
            redact_text(str(k), secrets): _redact_json(v, secrets, depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_redact_json(item, secrets, depth + 1) for item in value]
    return value


def _sent_secrets(request: httpx.Request | None) -> tuple[str, ...]:
    """The secret values ``request`` carried; its headers then show ``<redacted>`` instead."""
    if request is None:
        return ()
    secrets = secret_values(request.headers.multi_items())
    if secrets:
        shown = redact_headers(request.headers.multi_items())
        request.headers = httpx.Headers(list(shown.items()))
    return secrets


def request_of(response: httpx.Response) -> httpx.Request | None:
    try:
        return response.request
    except RuntimeError:  # a response made by hand, never sent
        return None


def redact_error(error: PortkeyError, request: httpx.Request | None) -> PortkeyError:
    """``error`` with every secret value ``request`` carried replaced by ``***`` in its
    message, in the server's error object and in the body a ``ResponseValidationError``
    keeps; the request's secret headers redacted."""
    return mask_error(error, _sent_secrets(request))


def mask_error(error: PortkeyError, secrets: tuple[str, ...]) -> PortkeyError:
    """``error`` with each of ``secrets`` replaced by ``***`` in its message, in the server's
    error object and in the body a ``ResponseValidationError`` keeps (see :func:`redact_error`)."""
    if not secrets:
        return error
    error.args = tuple(redact_text(a, secrets) if isinstance(a, str) else a for a in error.args)
    if isinstance(error, ResponseValidationError):
        error.body = _redact_json(error.body, secrets)
    server_error = getattr(error, "error", None)
    if server_error is not None:
        server_error.message = redact_text(server_error.message, secrets)
        server_error.type_ = redact_text(server_error.type_, secrets)
        if server_error.param is not None:
            server_error.param = redact_text(server_error.param, secrets)
        if server_error.code is not None:
            server_error.code = redact_text(server_error.code, secrets)
        server_error.additional_properties = _redact_json(
            server_error.additional_properties, secrets
        )
    return error


def _with_text(response: httpx.Response, text: str) -> httpx.Response:
    """A copy of a read ``response`` whose body is ``text`` (as UTF-8, not encoded)."""
    headers = [
        (name, value)
        for name, value in response.headers.multi_items()
        if name.lower() not in ("content-encoding", "content-length", "transfer-encoding")
    ]
    content_type = response.headers.get("content-type", "")
    if "charset" in content_type.lower():  # the text is re-encoded as UTF-8
        headers = [(n, v) for n, v in headers if n.lower() != "content-type"]
        headers.append(("content-type", content_type.partition(";")[0] + "; charset=utf-8"))
    copy = httpx.Response(
        response.status_code,
        headers=headers,
        content=text.encode("utf-8", "surrogatepass"),
        extensions=response.extensions,
    )
    copy.request = response.request
    return copy


def status_error(response: httpx.Response) -> APIStatusError:
    """The typed error for a non-2xx ``response`` whose body has been read.

    Its body is kept as JSON, or as text when it is not JSON or nests deeper than
    :data:`MAX_BODY_DEPTH`; the secrets the request carried are replaced by ``***`` in it.
    """
    secrets = _sent_secrets(request_of(response))
    text = response.text
    if any(secret in text for secret in secrets):
        response = _with_text(response, redact_text(text, secrets))
    body = _body(response)
    if secrets and not isinstance(body, str):  # as decoded too: JSON may escape a secret
        body = _redact_json(body, secrets)
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
    raw = f": {exc}" if isinstance(exc, _SAFE_MESSAGES) else ""
    detail = redact_text(raw, _sent_secrets(request))
    error = cls(f"{type(exc).__name__}{where}{detail}")
    # Raise it with a plain `raise`: the cause is kept only where its message is safe (and
    # quotes no secret: a malformed answer echoing a header is in a protocol error's message).
    error.__cause__ = exc if isinstance(exc, _SAFE_MESSAGES) and detail == raw else None
    error.__suppress_context__ = True
    return error
