"""A stateful reference server of the Portkey runs API, for tests (the ``testing`` extra).

It serves ``GET /v1/threads/{thread_id}/runs`` and
``POST /v1/threads/{thread_id}/runs/{run_id}/submit_tool_outputs`` from memory, validates
every request and answer with the wire models generated from ``openapi.yaml``
(``portkey_runs.testing._wire``, generated), and misbehaves on demand::

    import portkey_runs
    from portkey_runs.testing import ReferenceState, serve

    state = ReferenceState(seed=1)
    thread_id = state.create_thread(statuses=["completed", "failed", "requires_action"])
    with serve(state, event_delay=0) as server:
        with portkey_runs.Client("pk-test", base_url=server.base_url) as client:
            runs = list(client.runs.list(thread_id))
        assert server.state.count(f"/v1/threads/{thread_id}/runs") == 1

In-process, without a socket: ``httpx.AsyncClient(transport=asgi_transport(state),
base_url="http://reference/v1")``. pytest fixtures: :mod:`portkey_runs.testing.pytest_plugin`.

Faults, for one request with the header ``x-reference-fault: <spec>``, or for the next
requests without that header, one each, with ``state.inject(spec, ...)``. A spec is
``;``-separated items::

    latency=0.2                       wait 0.2 s before answering
    status=429;retry_after=1          answer 429 (an ErrorResponse) with ``Retry-After: 1``
    status=503                        any 4xx/5xx status, with a fitting ErrorResponse body
    html502                           a 502 whose body is an HTML page, as a proxy sends it
    reset                             close the connection without answering
    cut_stream=3                      a stream stops mid-line in its 3rd event, abnormally
    stream_error=3                    a stream's 3rd event is an ``error`` event, its last
    malformed_json                    a 200 with broken JSON (in a stream: the 1st event's data)
    unknown_status=paused             the answer's first run has status ``paused``
    unknown_event=thread.run.paused   an extra event of that name after ``thread.run.queued``
    should_retry=true                 add ``x-should-retry: true`` to the answer
    bad_arguments                     the next round's first call has arguments that are not JSON
    run_fails                         the run fails after this submission (``thread.run.failed``)
    run_expires                       the run expires after this submission (``thread.run.expired``)
    none                              no fault (a placeholder in a queue)

Items combine: ``latency=0.1;status=500;should_retry=false``. A fault applies before the
credentials are checked; ``reset``, ``html502`` and ``status`` answer without reaching the
API (the state does not change), the others alter a successful answer.
"""

import sys

try:
    import pydantic  # noqa: F401
    import starlette  # noqa: F401
    import uvicorn  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised in a subprocess by the tests
    if sys.argv[:1] == ["-m"] and any(arg.endswith(__name__) for arg in sys.orig_argv):
        # ``python -m portkey_runs.testing`` (runpy imports the package with argv[0] "-m"):
        # the command's one line, not a traceback.
        from ..cli import EXTRA_HINT, PROG

        sys.stderr.write(f"{PROG}: error: the reference server needs: {EXTRA_HINT}\n")
        raise SystemExit(1) from None
    raise ImportError(
        f"portkey_runs.testing needs the testing extra ({exc.name} is not installed): "
        'pip install "portkey-runs[testing]"',
        name=exc.name,
    ) from None

from ._app import DEFAULT_EVENT_DELAY, FAULT_HEADER, AuthMode, ConnectionAborted, create_app
from ._faults import Fault, parse_fault
from ._server import RunningServer, asgi_transport, serve
from ._state import RUN_STATUSES, APIError, RecordedRequest, ReferenceState, Submission

__all__ = [
    "DEFAULT_EVENT_DELAY",
    "FAULT_HEADER",
    "RUN_STATUSES",
    "APIError",
    "AuthMode",
    "ConnectionAborted",
    "Fault",
    "RecordedRequest",
    "ReferenceState",
    "RunningServer",
    "Submission",
    "asgi_transport",
    "create_app",
    "parse_fault",
    "serve",
]
