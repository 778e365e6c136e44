"""Parity with oasdiff on its own checker test data (tests/tools/oasdiff_cases)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools.specdiff import parity

CASES = Path(__file__).resolve().parents[1] / "oasdiff_cases"


@pytest.fixture(scope="module")
def score() -> parity.Score:
    return parity.score(CASES)


def test_the_case_list_is_the_extracted_one(score: parity.Score) -> None:
    figures = score.figures()
    assert figures["positive"] >= 300
    assert figures["negative"] >= 30
    assert all(o.error is None for o in score.outcomes), [o.error for o in score.outcomes]


def test_the_expected_rule_id_in_at_least_90_percent_of_positive_cases(score: parity.Score) -> None:
    figures = score.figures()
    assert figures["id"] >= 0.90 * figures["positive"], parity.report(score)


def test_oasdiffs_level_or_a_documented_deviation_in_at_least_85_percent(
    score: parity.Score,
) -> None:
    figures = score.figures()
    assert figures["level"] >= 0.85 * figures["positive"], parity.report(score)


def test_no_warn_or_err_on_negative_cases_but_documented_deviations(score: parity.Score) -> None:
    assert score.figures()["negative_with_findings"] == 0, parity.report(score)


def test_every_documented_case_deviation_is_still_a_disagreement(score: parity.Score) -> None:
    """A deviation that no longer disagrees is stale: remove it from deviations.json."""
    for outcome in score.outcomes:
        if outcome.name not in score.deviations:
            continue
        if outcome.kind == "positive":
            assert not outcome.level_ok, outcome.name
        else:
            assert outcome.in_scope(outcome.severe()), outcome.name


def test_the_command_prints_the_figures(capsys: pytest.CaptureFixture[str]) -> None:
    assert parity.main([str(CASES)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("oasdiff checker cases: ")
    assert lines[1].startswith("expected rule id reported: ")
    assert parity.main([str(CASES), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["positive"] >= 300


def test_a_folder_without_cases_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert parity.main([str(tmp_path)]) == 2
    assert "cases.json: cannot read" in capsys.readouterr().err
