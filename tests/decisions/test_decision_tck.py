"""The DMN TCK, compliance level 2, run as a test (shared/conformance beside the project)."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.decisions.tck import run_tck

TCK = Path(__file__).resolve().parents[2] / ".." / "shared" / "conformance" / "dmn-tck"

# Folders whose every case must pass: the decision-table folders of level 2.
REQUIRED_FOLDERS = {
    "0004-simpletable-U",
    "0005-simpletable-A",
    "0006-simpletable-P1",
    "0007-simpletable-P2",
    "0010-multi-output-U",
    *(
        f"{number:04d}-{name}"
        for number, name in [
            (108, "first-hitpolicy"),
            (109, "ruleOrder-hitpolicy"),
            (110, "outputOrder-hitpolicy"),
            (111, "first-hitpolicy-singleoutputcol"),
            (112, "ruleOrder-hitpolicy-singleinoutcol"),
            (113, "outputOrder-hitpolicy-singleinoutcol"),
            (114, "min-collect-hitpolicy"),
            (115, "sum-collect-hitpolicy"),
            (116, "count-collect-hitpolicy"),
            (117, "multi-any-hitpolicy"),
            (118, "multi-priority-hitpolicy"),
            (119, "multi-collect-hitpolicy"),
        ]
    ),
}
EXPECTED_PASSED = 126
EXPECTED_FAILURES: set[tuple[str, str, str]] = set()


@pytest.fixture(scope="module")
def outcomes() -> list:
    if not TCK.is_dir():
        pytest.fail(f"the DMN TCK is not at {TCK}; shared/ must sit beside the project")
    return run_tck(TCK)


def test_every_decision_table_folder_passes(outcomes: list) -> None:
    folders = {outcome.folder for outcome in outcomes}
    assert folders >= REQUIRED_FOLDERS
    failing = [str(o) for o in outcomes if o.folder in REQUIRED_FOLDERS and not o.passed]
    assert failing == []
    assert sum(1 for o in outcomes if o.folder in REQUIRED_FOLDERS) >= 3 * len(REQUIRED_FOLDERS)


def test_level_2_totals(outcomes: list) -> None:
    failures = {(o.folder, o.case_id, o.decision) for o in outcomes if not o.passed}
    assert failures == EXPECTED_FAILURES
    assert sum(o.passed for o in outcomes) >= EXPECTED_PASSED
    assert len({o.folder for o in outcomes}) == 28
