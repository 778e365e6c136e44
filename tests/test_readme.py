"""The README's Python examples run, in order, against the reference server."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

from portkey_runs.testing import ReferenceState, serve

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)


def test_the_readme_has_python_examples() -> None:
    assert len(BLOCKS) >= 4


def test_the_readme_examples_run_against_the_reference_server(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    state = ReferenceState(seed=11)
    # The examples use the placeholder id of the API reference; a seeded thread stands in.
    thread_id = state.create_thread(statuses=["completed", "failed", "requires_action", "queued"])
    with serve(state, event_delay=0) as server:
        monkeypatch.setenv("PORTKEY_API_KEY", "pk-readme")
        monkeypatch.setenv("PORTKEY_BASE_URL", server.base_url)
        namespace: dict[str, object] = {}
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            for block in BLOCKS:
                code = compile(block.replace("thread_abc123", thread_id), "README.md", "exec")
                exec(code, namespace)
        client = namespace["client"]
        client.get_httpx_client().close()  # type: ignore[attr-defined]
    output = printed.getvalue()
    assert "thread.run.completed" in output
    assert "\ncompleted\n" in output
    assert "404" in output
    assert state.count(method="POST") == 1
