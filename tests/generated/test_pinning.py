"""The templates rely on generator internals: an upgrade that changes what they rely on stops
generation loudly instead of producing a subtly different client."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tools import generate


def test_every_template_we_ship_is_recorded_with_the_hash_of_the_stock_one_it_replaces() -> None:
    ours = {p.relative_to(generate.TEMPLATES).as_posix() for p in generate.TEMPLATES.rglob("*")}
    ours = {name for name in ours if name.endswith(".jinja")}
    assert ours == set(generate.STOCK_TEMPLATES)
    generate.check_stock_templates()


def test_an_unrecorded_template_in_a_subfolder_stops_generation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "property_templates").mkdir()
    (tmp_path / "property_templates" / "list_property.py.jinja").write_text("")
    monkeypatch.setattr(generate, "TEMPLATES", tmp_path)
    with pytest.raises(generate.GenerationError, match=r"property_templates/list_property"):
        generate.check_stock_templates()


@pytest.mark.parametrize(
    ("table", "name"),
    [
        ("STOCK_TEMPLATES", "property_templates/union_property.py.jinja"),
        ("STOCK_TEMPLATES", "model.py.jinja"),
        ("STOCK_TEMPLATES_CALLED", "property_templates/list_property.py.jinja"),
        ("STOCK_TEMPLATES_CALLED", "endpoint_macros.py.jinja"),
    ],
)
def test_a_changed_stock_template_we_replace_or_call_stops_generation(
    monkeypatch: pytest.MonkeyPatch, table: str, name: str
) -> None:
    monkeypatch.setitem(getattr(generate, table), name, "0" * 64)
    with pytest.raises(generate.GenerationError, match=rf"stock template {name}.* changed"):
        generate.check_stock_templates()


def test_the_post_hooks_apply_no_unsafe_fixes() -> None:
    config = yaml.safe_load(generate.CONFIG.read_text())
    assert not [hook for hook in config["post_hooks"] if "--unsafe-fixes" in hook]


INTEGER_ENUM_SPEC = {
    "openapi": "3.1.0",
    "info": {"title": "integer enum", "version": "1.0.0"},
    "paths": {
        "/things": {
            "get": {
                "operationId": "getThing",
                "responses": {
                    "200": {
                        "description": "A thing.",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}
                        },
                    }
                },
            }
        }
    },
    "components": {
        "schemas": {
            "Priority": {"type": "integer", "enum": [1, 2, 3]},
            "Thing": {
                "type": "object",
                "properties": {"priority": {"$ref": "#/components/schemas/Priority"}},
            },
        }
    },
}


def test_an_integer_enum_stops_generation_naming_the_enum(tmp_path: Path) -> None:
    """The stock IntEnum would raise a bare ValueError on a value a newer server adds."""
    spec = tmp_path / "openapi.yaml"
    spec.write_text(yaml.safe_dump(INTEGER_ENUM_SPEC, sort_keys=False))
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(generate.GenerationError) as caught:
        generate.generate_into(out, spec)
    message = " ".join(str(caught.value).split())
    assert "Priority is an integer enum, which templates/ do not support" in message
    assert list(out.iterdir()) == []
