"""The README's Python examples run as written, each block on its own, against the reference
server; and the README links only to files inside the repository."""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests._loopback import free_port

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)
#: The README's shell session: the server in the background, its environment, a tool loop.
SESSION = next(
    b
    for b in re.findall(r"```sh\n(.*?)```", README, flags=re.DOTALL)
    if "portkey-runs serve --port" in b
)
SERVE_LINE, EXPORT_LINE, RUN_LINE = SESSION.strip().splitlines()
README_PORT = "8765"


def test_the_readme_has_python_examples() -> None:
    assert len(BLOCKS) >= 8


@contextlib.contextmanager
def readme_server(rounds: str | None = None) -> Iterator[dict[str, str]]:
    """``portkey-runs serve`` started as the README says (on a free port for the README's;
    with other ``--rounds`` if given); the environment its export line sets."""
    port = str(free_port())
    serve_args = shlex.split(SERVE_LINE.rstrip("& ").replace(README_PORT, port))
    assert serve_args[:2] == ["portkey-runs", "serve"]
    if rounds is not None:
        serve_args[serve_args.index("--rounds") + 1] = rounds
    server = subprocess.Popen(
        [sys.executable, "-m", "portkey_runs.cli", *serve_args[1:]],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        banner = server.stdout.readline()  # written once the server listens
        assert banner.startswith(f"reference server at http://127.0.0.1:{port}/v1"), banner
        assert server.stdout.readline().startswith("thread_abc123: 5 runs; run_abc123 waits")
        env = dict(item.split("=", 1) for item in shlex.split(EXPORT_LINE)[1:])
        yield {k: v.replace(README_PORT, port) for k, v in env.items()}
    finally:
        server.send_signal(signal.SIGTERM)
        _, err = server.communicate(timeout=30)
    assert server.returncode == 0, err


@pytest.fixture(scope="module")
def printed() -> list[str]:
    """What each block printed, run unchanged and in order against the README's server
    process, each in a namespace of its own."""
    outputs = []
    with pytest.MonkeyPatch.context() as patch, readme_server() as env:
        for name, value in env.items():
            patch.setenv(name, value)
        patch.delenv("PORTKEY_VIRTUAL_KEY", raising=False)
        for number, block in enumerate(BLOCKS, 1):
            code = compile(block, f"README block {number}", "exec")
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                exec(code, {"__name__": f"readme_block_{number}"})
            outputs.append(out.getvalue())
    return outputs


def test_every_block_runs_on_its_own(printed: list[str]) -> None:
    assert len(printed) == len(BLOCKS)


def block_printing(printed: list[str], marker: str) -> str:
    """What the block whose code holds ``marker`` printed."""
    (number,) = (n for n, block in enumerate(BLOCKS) if marker in block)
    return printed[number]


def test_the_examples_print_what_their_comments_say(printed: list[str]) -> None:
    text = "\n".join(printed)
    assert "run_abc123 requires_action\n" in printed[0], "the first example lists the thread"
    stream = block_printing(printed, 'if event.event == "thread.message.delta"')
    assert stream == "requires_action\n", "run_abc123 asks again after its first round"
    reply = block_printing(printed, "stream.text_deltas")
    assert reply.endswith("\ncompleted 2\n"), "its second round completes it, with a message"
    assert reply.startswith("Here is what the tools returned:")
    loop = block_printing(printed, "client.runs.run_tools(")
    assert "\ncompleted 2\n" in loop, "the tool loop: another waiting run, two rounds"
    assert "1 get_weather {" in loop
    assert "2 get_local_time {" in loop
    assert "404 No thread found" in text
    assert "RateLimitError" in text
    assert "ListRunsResponse" in text
    assert re.search(r"req_[0-9a-f]{24} trace_[0-9a-f]{24}", text), "raw.meta ids"
    assert "Client(base_url=" in text
    assert "\nmax_response_bytes 100\n" in text, "the size cap's example"
    assert "pk-anything" not in text, "no secret is printed"
    assert re.search(r"\nGET +[0-9a-f]{16} <- [0-9a-f]{16}\n", text), "the tracing example"
    assert re.search(r"\nnightly-report +[0-9a-f]{16} <- -\n", text)


def test_the_stream_example_prints_the_reply_of_a_run_that_completes() -> None:
    """The same block against runs of one round: the message deltas, then completed."""
    block = next(b for b in BLOCKS if 'if event.event == "thread.message.delta"' in b)
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as patch, readme_server(rounds="1") as env:
        for name, value in env.items():
            patch.setenv(name, value)
        with contextlib.redirect_stdout(out):
            exec(compile(block, "README stream block", "exec"), {"__name__": "readme_stream"})
    lines = out.getvalue().splitlines()
    assert lines[-1] == "completed"
    assert lines[0].startswith("{'content': [{'index': 0, 'type': 'text'"), "message deltas"


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


def test_the_reference_server_session_runs_as_written(tmp_path: Path) -> None:
    """The README's shell session as written: the tool loop from the command line on the ids
    the server serves."""
    with readme_server() as env:
        argv = shlex.split(RUN_LINE)
        assert argv[:2] == ["portkey-runs", "run-tools"]
        result = subprocess.run(
            [sys.executable, "-m", "portkey_runs.cli", *argv[1:]],
            capture_output=True,
            text=True,
            env={**env, "PATH": os.environ.get("PATH", "")},
            timeout=60,
            cwd=tmp_path,
        )
    assert result.returncode == 0, result.stderr
    assert "round 2: get_local_time(" in result.stdout
    assert "reply: Here is what the tools returned:" in result.stdout
    assert re.match(r"final run: run_abc123 +completed", result.stderr), result.stderr
    assert "after 2 round(s)" in result.stderr


def test_every_block_passes_mypy_strict(tmp_path: Path) -> None:
    """Each block as a module of its own, all checked in one mypy run (the project's settings
    and cache)."""
    paths = []
    for number, block in enumerate(BLOCKS, 1):
        path = tmp_path / f"readme_block_{number}.py"
        path.write_text(block)
        paths.append(str(path))
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", *paths],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_would_catch_a_block_that_breaks_the_types(tmp_path: Path) -> None:
    path = tmp_path / "readme_broken.py"
    path.write_text("import portkey_runs\n\nportkey_runs.Client(timeout='soon')\n")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert result.returncode == 1
    assert 'Argument "timeout" to "Client"' in result.stdout


def test_the_examples_hold_in_any_order_and_again_against_one_server(tmp_path: Path) -> None:
    """One server process, as the README starts it: the command-line tool loop on the fixed
    ids, every block backward, then forward, then the tool loop again (run_abc123 waits again
    once it has ended, as stripe-mock's fixed objects never change)."""

    def run_tools(env: dict[str, str]) -> None:
        result = subprocess.run(
            [sys.executable, "-m", "portkey_runs.cli", *shlex.split(RUN_LINE)[1:]],
            capture_output=True,
            text=True,
            env={**os.environ, **env},
            timeout=60,
            cwd=tmp_path,
        )
        assert result.returncode == 0, result.stderr

    with pytest.MonkeyPatch.context() as patch, readme_server() as env:
        for name, value in env.items():
            patch.setenv(name, value)
        patch.delenv("PORTKEY_VIRTUAL_KEY", raising=False)
        run_tools(env)
        for number, block in [*reversed(list(enumerate(BLOCKS, 1))), *enumerate(BLOCKS, 1)]:
            code = compile(block, f"README block {number}", "exec")
            with contextlib.redirect_stdout(io.StringIO()):
                exec(code, {"__name__": f"readme_block_{number}"})
        run_tools(env)
