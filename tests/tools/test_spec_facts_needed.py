"""``x-needed`` and ``x-eager``: the spec says what the client needs, ``spec_facts`` checks it and
hands it to the overlay (``NEEDED``), which holds no list of its own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from portkey_runs import _drift
from portkey_runs_api import spec_facts
from tools.spec_facts import FactError, needed

SPEC = Path(__file__).resolve().parents[2] / "openapi.yaml"


def _spec(**schemas: dict[str, Any]) -> dict[str, Any]:
    return {"components": {"schemas": schemas}}


def test_the_generated_needed_set_is_the_specs() -> None:
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    assert needed(spec) == spec_facts.NEEDED
    assert {("Run", "id"), ("Run", "required_action"), ("MessageDeltaContentText", "index")} <= (
        spec_facts.NEEDED
    )


def test_the_overlay_needs_what_the_spec_says_and_nothing_else() -> None:
    assert _drift.NEEDED is spec_facts.NEEDED
    assert _drift.needed("FunctionToolCallDelta", "index")
    assert not _drift.needed("Run", "tools")
    assert not _drift.needed("MessageDelta", "delta")  # x-eager: typed at arrival, tolerated
    assert not _drift.needed("SomeNewDelta", "index")  # no "any index" rule: the spec lists them


def test_needed_names_must_be_properties_of_their_schema() -> None:
    schema = {"type": "object", "properties": {"id": {"type": "string"}}}
    assert needed(_spec(Thing={**schema, "x-needed": ["id"]})) == {("Thing", "id")}
    with pytest.raises(FactError, match=r"Thing x-needed names \['idd'\]"):
        needed(_spec(Thing={**schema, "x-needed": ["idd"]}))
    with pytest.raises(FactError, match=r"Thing x-eager names \['idd'\]"):
        needed(_spec(Thing={**schema, "x-eager": ["idd"]}))
    with pytest.raises(FactError, match="Thing x-needed is not a list"):
        needed(_spec(Thing={**schema, "x-needed": "id"}))


def test_a_schema_with_an_index_must_name_it_needed() -> None:
    schema = {"type": "object", "properties": {"index": {"type": "integer"}}}
    with pytest.raises(FactError, match="ThingDelta has an index"):
        needed(_spec(ThingDelta=schema))
    with pytest.raises(FactError, match="ThingDelta has an index"):
        needed(_spec(ThingDelta={**schema, "x-eager": ["index"]}))
    assert needed(_spec(ThingDelta={**schema, "x-needed": ["index"]})) == {("ThingDelta", "index")}
