"""The generation pipeline: reproducible, strict about its inputs, and loud about drift."""

from __future__ import annotations

import difflib
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from tools import api_snapshot, generate, validate_spec

ROOT = Path(__file__).resolve().parent.parent


def _spec() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "openapi.yaml").read_text())
    return loaded


def _write(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def with_new_run_field(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """openapi.yaml plus one optional field on Run, and the client generated from it."""
    work = tmp_path_factory.mktemp("new-field")
    document = _spec()
    document["components"]["schemas"]["Run"]["properties"]["service_tier"] = {
        "type": "string",
        "description": "A new optional field, added by a test.",
    }
    spec = _write(work / "openapi.yaml", document)
    out = work / "generated"
    out.mkdir()
    generate.generate_into(out, spec)
    return spec, out


def test_new_optional_run_field_gives_a_small_readable_diff(
    with_new_run_field: tuple[Path, Path],
) -> None:
    _, out = with_new_run_field
    changed = generate._differences(out, ROOT / "generated")
    assert changed == ["portkey_runs/testing/_wire.py", "portkey_runs_api/models/run.py"]
    checked_in = {
        "portkey_runs/testing/_wire.py": ROOT / "overlay" / generate.WIRE_MODULE,
        "portkey_runs_api/models/run.py": ROOT / "generated" / "portkey_runs_api/models/run.py",
    }
    diff = [
        line
        for rel in changed
        for line in difflib.unified_diff(
            checked_in[rel].read_text().splitlines(),
            (out / rel).read_text().splitlines(),
            lineterm="",
            n=0,
        )
        if line[:1] in "+-" and line[:3] not in ("+++", "---")
    ]
    assert any("service_tier" in line for line in diff)
    assert len(diff) < 40, "\n".join(diff)


def test_drift_check_fails_until_regenerated(
    with_new_run_field: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    spec, out = with_new_run_field
    assert generate.check(spec, ROOT / "generated") == 1
    err = capsys.readouterr().err
    assert "out of sync" in err
    assert "generated/portkey_runs_api/models/run.py" in err
    assert generate.check(spec, out) == 0


def test_generation_is_deterministic(with_new_run_field: tuple[Path, Path], tmp_path: Path) -> None:
    spec, first = with_new_run_field
    generate.generate_into(tmp_path, spec)
    assert generate._differences(tmp_path, first) == []


def test_unknown_generator_config_key_is_rejected(tmp_path: Path) -> None:
    config = tmp_path / "generator-config.yaml"
    config.write_text("package_name_override: x\nliteral_enum: true\n")
    with pytest.raises(generate.GenerationError, match="unknown key\\(s\\) literal_enum"):
        generate.check_config(config)


def test_checked_in_generator_config_has_only_known_keys() -> None:
    generate.check_config()


def test_generator_version_other_than_pinned_stops_generation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(generate, "version", lambda package: "99.0.0")
    with pytest.raises(generate.GenerationError, match=r"99\.0\.0 is installed but .* is pinned"):
        generate.check_versions()


def test_changed_stock_template_stops_generation(monkeypatch: pytest.MonkeyPatch) -> None:
    generate.check_stock_templates()  # the installed generator matches the recorded hashes
    monkeypatch.setitem(generate.STOCK_TEMPLATES, "client.py.jinja", "0" * 64)
    with pytest.raises(generate.GenerationError, match=r"stock template client\.py\.jinja changed"):
        generate.check_stock_templates()


def test_missing_spec_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(generate.GenerationError, match="no OpenAPI document at"):
        generate.generate_into(tmp_path, tmp_path / "nope.yaml")


def test_checked_in_spec_is_valid(capsys: pytest.CaptureFixture[str]) -> None:
    assert validate_spec.main([str(ROOT / "openapi.yaml")]) == 0
    assert "valid OpenAPI 3.1" in capsys.readouterr().out


def test_dangling_ref_is_reported_with_its_location(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = _spec()
    document["components"]["schemas"]["Run"]["properties"]["status"] = {
        "$ref": "#/components/schemas/RunStatuz"
    }
    assert validate_spec.main([str(_write(tmp_path / "bad.yaml", document))]) == 1
    err = capsys.readouterr().err
    assert (
        "components/schemas/Run/properties/status: $ref '#/components/schemas/RunStatuz' "
        "points at nothing"
    ) in err


def test_invalid_type_is_reported_with_its_location(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = _spec()
    document["components"]["schemas"]["Run"]["properties"]["created_at"] = {"type": "integr"}
    assert validate_spec.main([str(_write(tmp_path / "bad.yaml", document))]) == 1
    err = capsys.readouterr().err
    assert "components/schemas/Run/properties/created_at/type: 'integr' is not valid" in err


def test_api_snapshot_shows_a_new_run_field_as_one_line(
    with_new_run_field: tuple[Path, Path],
) -> None:
    _, out = with_new_run_field
    before = api_snapshot.snapshot(ROOT / "generated/portkey_runs_api", generate.OVERLAY)
    after = api_snapshot.snapshot(out / "portkey_runs_api", generate.OVERLAY)
    changed = [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and line[:3] not in ("+++", "---")
    ]
    assert changed == ["+    service_tier: str | Unset = UNSET"]


def test_checked_in_api_snapshot_is_current() -> None:
    current = api_snapshot.snapshot(ROOT / "generated/portkey_runs_api", generate.OVERLAY)
    assert generate.SNAPSHOT.read_text() == current, "run `make generate`"


def test_a_stale_api_snapshot_fails_the_drift_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stale = tmp_path / "public-api.txt"
    stale.write_text(generate.SNAPSHOT.read_text().replace("class Client", "class Clientz"))
    monkeypatch.setattr(generate, "SNAPSHOT", stale)
    assert generate.check() == 1
    assert "public-api.txt is out of date" in capsys.readouterr().err


# --- isolation from the user's tools -----------------------------------------------------------


def test_user_ruff_configuration_does_not_change_generated_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    narrow = 'line-length = 60\n[format]\nquote-style = "single"\n'
    (tmp_path / "config" / "ruff").mkdir(parents=True)
    (tmp_path / "config" / "ruff" / "ruff.toml").write_text(narrow)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    # and a ruff.toml above the temporary folders the generators run in
    (tmp_path / "ruff.toml").write_text(narrow)
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    assert generate.check() == 0, capsys.readouterr().err


# --- --out -------------------------------------------------------------------------------------


def _copy_checked_in(dest: Path, spec: Path = generate.SPEC) -> None:
    """Stands in for generate_into: the checked-in generation, without running generators."""
    shutil.copytree(ROOT / "generated" / generate.CLIENT_PACKAGE, dest / generate.CLIENT_PACKAGE)
    (dest / generate.WIRE_MODULE).parent.mkdir(parents=True)
    shutil.copyfile(ROOT / "overlay" / generate.WIRE_MODULE, dest / generate.WIRE_MODULE)


def test_out_refuses_a_folder_that_is_not_a_previous_generation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(generate, "generate_into", _copy_checked_in)
    precious = tmp_path / "work"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me")
    assert generate.main(["--out", str(precious)]) == 1
    err = capsys.readouterr().err
    assert "holds notes.txt: it is not a previous generation" in err
    assert (precious / "notes.txt").read_text() == "keep me"


def test_out_outside_the_repository_is_written_and_rewritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(generate, "generate_into", _copy_checked_in)
    out = tmp_path / "out"
    for _ in range(2):  # new, then a previous generation
        assert generate.main(["--out", str(out)]) == 0
        assert capsys.readouterr().out == (
            f"wrote {out / generate.CLIENT_PACKAGE}, {out / generate.WIRE_MODULE}\n"
        )
    assert sorted(p.name for p in out.iterdir()) == ["portkey_runs", "portkey_runs_api"]
    assert (out / generate.WIRE_MODULE).is_file()


def test_relative_out_naming_generated_checks_the_api_snapshot_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(generate, "generate_into", _copy_checked_in)
    stale = tmp_path / "public-api.txt"
    stale.write_text("stale\n")
    monkeypatch.setattr(generate, "SNAPSHOT", stale)
    monkeypatch.chdir(ROOT / "overlay")
    assert generate.check(out=Path("../generated")) == 1
    assert "public-api.txt is out of date" in capsys.readouterr().err


# --- templates ---------------------------------------------------------------------------------


def test_template_without_stock_counterpart_is_a_generation_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "typo_module.py.jinja").write_text("")
    monkeypatch.setattr(generate, "TEMPLATES", tmp_path)
    with pytest.raises(generate.GenerationError, match=r"typo_module\.py\.jinja has no stock"):
        generate.check_stock_templates()
    monkeypatch.setitem(generate.STOCK_TEMPLATES, "typo_module.py.jinja", "0" * 64)
    with pytest.raises(generate.GenerationError, match="has no stock template typo_module"):
        generate.check_stock_templates()


def test_every_stock_property_template_is_recorded() -> None:
    import openapi_python_client

    stock = Path(openapi_python_client.__file__).parent / "templates"
    names = {p.relative_to(stock).as_posix() for p in stock.glob("property_templates/*.jinja")}
    recorded = set(generate.STOCK_TEMPLATES) | set(generate.STOCK_TEMPLATES_CALLED)
    assert names - recorded == set()


# --- validate_spec and the API snapshot --------------------------------------------------------


def test_example_values_are_not_validated_as_schemas(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = _spec()
    media = document["paths"]["/threads/{thread_id}/runs"]["get"]["responses"]["200"]["content"]
    example = {"schema": 12, "items": [{"schema": "not a schema"}]}
    next(iter(media.values()))["examples"] = {"odd": {"value": example}}
    document["components"]["examples"] = {"Odd": {"value": example}}
    parameter = {"name": "q", "in": "query", "schema": {"type": "string"}, "example": example}
    document["paths"]["/threads/{thread_id}/runs"]["get"]["parameters"].append(parameter)
    assert validate_spec.main([str(_write(tmp_path / "examples.yaml", document))]) == 0, (
        capsys.readouterr().err
    )


def test_api_snapshot_lists_enum_members_by_name_and_the_testing_surface() -> None:
    text = api_snapshot.snapshot(ROOT / "generated/portkey_runs_api", generate.OVERLAY)
    assert "enum ListOrder(StrEnum):\n    ASC = 'asc'\n    DESC = 'desc'\n" in text
    testing = text[text.index("\n## portkey_runs.testing (the reference server)\n") :]
    assert "\ndef parse_fault(spec: str) -> Fault\n" in testing
    assert "\nclass ReferenceState:\n" in testing


def test_api_snapshot_shows_what_a_class_inherits_from_a_private_base() -> None:
    text = generate.SNAPSHOT.read_text()
    section = text[text.index("class Client(_BaseClient") :]
    section = section[: section.index("\nclass ", 1)]
    assert "def __init__(api_key: str | None = None, *, base_url" in section
    assert "def runs() -> Runs" in section
    assert "max_retries: int = 2" in section
