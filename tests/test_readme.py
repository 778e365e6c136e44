"""The README's Python examples run as written, each block on its own, against the reference
server; and the README links only to files inside the repository."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

from portkey_runs.testing import ReferenceState, serve

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)


def test_the_readme_has_python_examples() -> None:
    assert len(BLOCKS) >= 8


@pytest.fixture(scope="module")
def printed() -> list[str]:
    """What each block printed, run in order, each in a namespace of its own."""
    state = ReferenceState(seed=11)
    # The examples use the placeholder id of the API reference; a seeded thread stands in.
    thread_id = state.create_thread(statuses=["completed", "failed", "requires_action", "queued"])
    outputs = []
    with pytest.MonkeyPatch.context() as env, serve(state, event_delay=0) as server:
        env.setenv("PORTKEY_API_KEY", "pk-readme")
        env.setenv("PORTKEY_BASE_URL", server.base_url)
        env.delenv("PORTKEY_VIRTUAL_KEY", raising=False)
        for number, block in enumerate(BLOCKS, 1):
            code = compile(
                block.replace("thread_abc123", thread_id), f"README block {number}", "exec"
            )
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                exec(code, {"__name__": f"readme_block_{number}"})
            outputs.append(out.getvalue())
    return outputs


def test_every_block_runs_on_its_own(printed: list[str]) -> None:
    assert len(printed) == len(BLOCKS)


def test_the_examples_print_what_their_comments_say(printed: list[str]) -> None:
    text = "\n".join(printed)
    assert "\ncompleted\n" in text, "the stream ends with the completed run"
    assert "'content': [{'index': 0, 'type': 'text'" in text, "message deltas were printed"
    assert "404 No thread found" in text
    assert "RateLimitError" in text
    assert "ListRunsResponse" in text
    assert re.search(r"req_[0-9a-f]{24} trace_[0-9a-f]{24}", text), "raw.meta ids"
    assert "Client(base_url=" in text
    assert "pk-readme" not in text, "no secret is printed"


def test_a_block_that_forgets_an_import_fails() -> None:
    block = next(b for b in BLOCKS if "NotFoundError" in b)
    broken = block.replace("import portkey_runs\n", "")
    with pytest.raises(NameError, match="portkey_runs"):
        exec(compile(broken, "README", "exec"), {})


def test_the_readme_links_only_to_files_in_the_repository() -> None:
    for target in re.findall(r"\]\(([^)#]+)\)", README):
        if target.startswith(("http://", "https://")):
            continue
        path = (ROOT / target).resolve()
        assert path.is_relative_to(ROOT), target
        assert path.exists(), target
