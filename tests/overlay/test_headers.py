"""portkey_headers and redact_headers."""

from __future__ import annotations

import pytest

from portkey_runs._headers import portkey_headers, redact_headers


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PORTKEY_API_KEY", raising=False)
    monkeypatch.delenv("PORTKEY_VIRTUAL_KEY", raising=False)


def test_minimal_headers_are_the_key_and_the_beta_header() -> None:
    assert portkey_headers("pk-1") == {"x-portkey-api-key": "pk-1", "OpenAI-Beta": "assistants=v2"}


def test_every_option_maps_to_its_header() -> None:
    headers = portkey_headers(
        "pk-1",
        virtual_key="vk-1",
        provider="openai",
        config={"retry": {"attempts": 3}},
        authorization="sk-upstream",
        trace_id="trace-1",
        metadata={"_user": "u1", "env": "ci"},
        custom_host="http://127.0.0.1:9/v1",
        cache_force_refresh=True,
        cache_namespace="ns",
        request_timeout=5000,
        forward_headers=["x-a", " x-b"],
    )
    assert headers == {
        "x-portkey-api-key": "pk-1",
        "x-portkey-virtual-key": "vk-1",
        "x-portkey-provider": "openai",
        "x-portkey-config": '{"retry":{"attempts":3}}',
        "Authorization": "Bearer sk-upstream",
        "x-portkey-trace-id": "trace-1",
        "x-portkey-metadata": '{"_user":"u1","env":"ci"}',
        "x-portkey-custom-host": "http://127.0.0.1:9/v1",
        "x-portkey-cache-force-refresh": "true",
        "x-portkey-cache-namespace": "ns",
        "x-portkey-request-timeout": "5000",
        "x-portkey-forward-headers": "x-a,x-b",
        "OpenAI-Beta": "assistants=v2",
    }


def test_booleans_become_true_and_false() -> None:
    assert (
        portkey_headers("k", cache_force_refresh=False)["x-portkey-cache-force-refresh"] == "false"
    )
    assert portkey_headers("k", debug=True)["x-portkey-debug"] == "true"


def test_extra_keywords_become_kebab_case_portkey_headers() -> None:
    headers = portkey_headers(
        "k", span_name="step 1", azure_resource_name="res", none_is_skipped=None
    )
    assert headers["x-portkey-span-name"] == "step 1"
    assert headers["x-portkey-azure-resource-name"] == "res"
    assert "x-portkey-none-is-skipped" not in headers


def test_config_id_string_is_sent_as_is() -> None:
    assert portkey_headers("k", config="pc-abc-123")["x-portkey-config"] == "pc-abc-123"


@pytest.mark.parametrize(
    ("given", "sent"),
    [
        ("sk-1", "Bearer sk-1"),
        ("Bearer sk-1", "Bearer sk-1"),
        ("Basic dXNlcjpwYXNz", "Basic dXNlcjpwYXNz"),
        ("token with-space", "token with-space"),
    ],
)
def test_authorization_gets_bearer_unless_it_has_a_scheme(given: str, sent: str) -> None:
    assert portkey_headers("k", authorization=given)["Authorization"] == sent


def test_api_key_and_virtual_key_fall_back_to_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PORTKEY_API_KEY", "pk-env")
    monkeypatch.setenv("PORTKEY_VIRTUAL_KEY", "vk-env")
    headers = portkey_headers()
    assert headers["x-portkey-api-key"] == "pk-env"
    assert headers["x-portkey-virtual-key"] == "vk-env"
    assert portkey_headers("pk-arg", virtual_key="vk-arg")["x-portkey-virtual-key"] == "vk-arg"


@pytest.mark.parametrize("key", [None, ""])
def test_missing_api_key_is_a_value_error_naming_the_header(key: str | None) -> None:
    with pytest.raises(ValueError, match=r"x-portkey-api-key.*PORTKEY_API_KEY"):
        portkey_headers(key)


@pytest.mark.parametrize(
    ("kwargs", "header"),
    [
        ({"api_key": "pk-secret\r\nx-evil: 1"}, "x-portkey-api-key"),
        ({"api_key": "k", "virtual_key": "vk\nsecret"}, "x-portkey-virtual-key"),
        ({"api_key": "k", "trace_id": "a\rb"}, "x-portkey-trace-id"),
        ({"api_key": "k", "metadata": {"a": "line\nbreak"}}, None),
        ({"api_key": "k", "span_name": "x\ny"}, "x-portkey-span-name"),
    ],
)
def test_cr_or_lf_is_a_value_error_naming_the_header_not_the_value(
    kwargs: dict[str, object], header: str | None
) -> None:
    if header is None:
        # JSON escapes the newline: a mapping can never smuggle CR/LF into a header.
        assert "\n" not in portkey_headers(**kwargs)["x-portkey-metadata"]  # type: ignore[arg-type]
        return
    with pytest.raises(ValueError, match=f"header {header}") as info:
        portkey_headers(**kwargs)  # type: ignore[arg-type]
    assert "secret" not in str(info.value)


def test_forward_headers_must_be_a_list_not_a_string() -> None:
    with pytest.raises(TypeError, match="x-portkey-forward-headers"):
        portkey_headers("k", forward_headers="x-a,x-b")


def test_unsupported_value_type_is_a_type_error_naming_the_header() -> None:
    with pytest.raises(TypeError, match="header x-portkey-span-name: expected"):
        portkey_headers("k", span_name=["a"])  # type: ignore[arg-type]


def test_redaction_hides_every_secret_and_keeps_the_rest() -> None:
    headers = {
        "x-portkey-api-key": "pk-secret",
        "X-Portkey-Virtual-Key": "vk-secret",
        "Authorization": "Bearer sk-secret",
        "x-portkey-sensitive-headers": "x-custom-token, x-other",
        "X-Custom-Token": "tok-secret",
        "x-portkey-config": '{"api_key":"sk-secret"}',
        "x-portkey-trace-id": "trace-1",
        "OpenAI-Beta": "assistants=v2",
    }
    redacted = redact_headers(headers)
    assert "secret" not in repr(redacted)
    assert redacted["x-portkey-trace-id"] == "trace-1"
    assert redacted["OpenAI-Beta"] == "assistants=v2"
    assert redacted["x-portkey-api-key"] == "<redacted>"
    assert redacted["X-Custom-Token"] == "<redacted>"
    assert redact_headers({"x-portkey-config": "pc-abc"}) == {"x-portkey-config": "pc-abc"}
