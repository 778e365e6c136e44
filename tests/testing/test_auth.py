"""Authentication modes and the OpenAI-Beta header."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from portkey_runs.testing import AuthMode, ReferenceState, create_app, serve

from .helpers import error_of

BETA = {"OpenAI-Beta": "assistants=v2"}


@pytest.fixture
def state() -> ReferenceState:
    return ReferenceState(seed=3)


def open_client(
    state: ReferenceState, auth: AuthMode, *, require_beta: bool = True
) -> Iterator[httpx.Client]:
    with (
        serve(state, auth=auth, event_delay=0, require_beta=require_beta) as server,
        httpx.Client(base_url=server.base_url, timeout=10) as client,
    ):
        yield client


@pytest.fixture
def portkey(state: ReferenceState) -> Iterator[httpx.Client]:
    yield from open_client(state, "portkey")


@pytest.fixture
def openai(state: ReferenceState) -> Iterator[httpx.Client]:
    yield from open_client(state, "openai")


@pytest.fixture
def no_auth(state: ReferenceState) -> Iterator[httpx.Client]:
    yield from open_client(state, "none")


@pytest.fixture
def beta_optional(state: ReferenceState) -> Iterator[httpx.Client]:
    yield from open_client(state, "none", require_beta=False)


def list_status(client: httpx.Client, state: ReferenceState, **headers: str) -> httpx.Response:
    thread_id = state.create_thread(n_runs=1)
    return client.get(f"/threads/{thread_id}/runs", headers=headers)


@pytest.mark.parametrize("key", [None, ""])
def test_portkey_mode_without_api_key_is_401(
    portkey: httpx.Client, state: ReferenceState, key: str | None
) -> None:
    headers = dict(BETA) if key is None else {**BETA, "x-portkey-api-key": key}
    response = list_status(portkey, state, **headers)
    assert response.status_code == 401
    error = error_of(response)
    assert error["code"] == "invalid_api_key"
    assert "x-portkey-api-key" in error["message"]


def test_portkey_mode_with_api_key_is_200(portkey: httpx.Client, state: ReferenceState) -> None:
    response = list_status(portkey, state, **BETA, **{"x-portkey-api-key": "pk-1"})
    assert response.status_code == 200


def test_portkey_mode_ignores_a_bearer_token_alone(
    portkey: httpx.Client, state: ReferenceState
) -> None:
    response = list_status(portkey, state, **BETA, authorization="Bearer sk-1")
    assert response.status_code == 401


@pytest.mark.parametrize("authorization", [None, "", "Bearer", "Basic abc", "sk-1"])
def test_openai_mode_without_bearer_key_is_401(
    openai: httpx.Client, state: ReferenceState, authorization: str | None
) -> None:
    headers = dict(BETA) if authorization is None else {**BETA, "authorization": authorization}
    response = list_status(openai, state, **headers)
    assert response.status_code == 401
    assert "Authorization" in error_of(response)["message"]


@pytest.mark.parametrize("authorization", ["Bearer sk-1", "bearer anything"])
def test_openai_mode_with_bearer_key_is_200(
    openai: httpx.Client, state: ReferenceState, authorization: str
) -> None:
    response = list_status(openai, state, **BETA, authorization=authorization)
    assert response.status_code == 200


def test_openai_mode_does_not_take_a_portkey_key(
    openai: httpx.Client, state: ReferenceState
) -> None:
    response = list_status(openai, state, **BETA, **{"x-portkey-api-key": "pk-1"})
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("auth", "header", "good", "bad"),
    [
        ("portkey", "x-portkey-api-key", "pk-right", "pk-wrong"),
        ("openai", "authorization", "Bearer sk-right", "Bearer sk-wrong"),
    ],
)
def test_configured_api_key_is_the_only_one_accepted(
    state: ReferenceState, auth: AuthMode, header: str, good: str, bad: str
) -> None:
    key = good.removeprefix("Bearer ")
    with (
        serve(state, auth=auth, api_key=key, event_delay=0) as server,
        httpx.Client(base_url=server.base_url, headers=BETA) as client,
    ):
        assert list_status(client, state, **{header: good}).status_code == 200
        response = list_status(client, state, **{header: bad})
        assert response.status_code == 401
        assert error_of(response)["code"] == "invalid_api_key"


def test_no_auth_mode_needs_no_credentials(no_auth: httpx.Client, state: ReferenceState) -> None:
    assert list_status(no_auth, state, **BETA).status_code == 200


def test_missing_beta_header_is_400_by_default(
    no_auth: httpx.Client, state: ReferenceState
) -> None:
    response = list_status(no_auth, state)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid_beta"
    assert "OpenAI-Beta: assistants=v2" in error["message"]


def test_missing_beta_header_is_accepted_when_not_required(
    beta_optional: httpx.Client, state: ReferenceState
) -> None:
    assert list_status(beta_optional, state).status_code == 200


@pytest.mark.parametrize("value", ["assistants=v1", "assistants=v3", ""])
def test_other_beta_value_is_400_even_when_not_required(
    beta_optional: httpx.Client, state: ReferenceState, value: str
) -> None:
    response = list_status(beta_optional, state, **{"OpenAI-Beta": value})
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_beta"


def test_auth_is_checked_before_routing(portkey: httpx.Client) -> None:
    response = portkey.get("/threads/thread_nope/runs", headers=BETA)
    assert response.status_code == 401


PLUGIN_CONFTEST = """
import pytest

pytest_plugins = ["portkey_runs.testing.pytest_plugin"]


@pytest.fixture(scope="session")
def reference_server_options():
    return {"auth": "openai", "api_key": "sk-plugin"}
"""

PLUGIN_TEST = """
import httpx

HEADERS = {"OpenAI-Beta": "assistants=v2"}


def test_bearer(reference_server, reference_state):
    thread_id = reference_state.create_thread(n_runs=2)
    url = f"{reference_server.base_url}/threads/{thread_id}/runs"
    right = httpx.get(url, headers={**HEADERS, "Authorization": "Bearer sk-plugin"})
    assert right.status_code == 200, right.text
    assert len(right.json()["data"]) == 2
    wrong = httpx.get(url, headers={**HEADERS, "Authorization": "Bearer sk-other"})
    assert wrong.status_code == 401
    assert wrong.json()["error"]["code"] == "invalid_api_key"
    portkey = httpx.get(url, headers={**HEADERS, "x-portkey-api-key": "sk-plugin"})
    assert portkey.status_code == 401
"""


def test_the_pytest_plugins_server_takes_serves_options_from_a_fixture(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "conftest.py").write_text(PLUGIN_CONFTEST)
    (tmp_path / "test_plugin_auth.py").write_text(PLUGIN_TEST)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


@pytest.mark.parametrize("key", ["", " sk-test", "sk-test\n"])
def test_an_api_key_no_request_could_send_is_refused_at_once(key: str) -> None:
    with pytest.raises(ValueError, match="api_key must be a non-empty key without spaces"):
        create_app(api_key=key)
