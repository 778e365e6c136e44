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
