"""`motcua decide` and `motcua dmn-tck`, through click's CliRunner."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from engine.decisions.cli import decide, dmn_tck

PROJECT = Path(__file__).resolve().parents[2]
FEES = str(PROJECT / "dmn" / "radiation_fees.dmn")
TCK = PROJECT / ".." / "shared" / "conformance" / "dmn-tck"


def test_decide_prints_exact_json() -> None:
    result = CliRunner().invoke(decide, [FEES, "device_fee", "--data", '{"device": {"purpose": "pet_ct"}}'])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == '{"device_fee": 16000000}'


def test_decide_writes_fractions_digit_for_digit() -> None:
    data = json.dumps({"appraisal_fee": 3_000_001})
    result = CliRunner().invoke(decide, [FEES, "renewal_appraisal_fee", "--data", data])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == '{"renewal_appraisal_fee": 2250000.75}'


def test_decide_over_a_list() -> None:
    data = json.dumps({"devices": [{"purpose": "ct"}, {"purpose": "general"}, {"purpose": "ct"}]})
    args = [FEES, "device_fee", "--data", data, "--for-each", "devices", "--item", "device"]
    listed = CliRunner().invoke(decide, args)
    assert json.loads(listed.output) == {"device_fee": [8000000, 3000000, 8000000]}
    summed = CliRunner().invoke(decide, [*args, "--aggregation", "SUM"])
    assert summed.output.strip() == '{"device_fee": 19000000}'


def test_decide_reports_errors_with_a_non_zero_status() -> None:
    bad_value = CliRunner().invoke(decide, [FEES, "device_fee", "--data", '{"device": {"purpose": "xray"}}'])
    assert bad_value.exit_code == 1
    assert "is not one of the allowed values" in bad_value.output
    bad_json = CliRunner().invoke(decide, [FEES, "device_fee", "--data", "{not json"])
    assert bad_json.exit_code == 2 and "not JSON" in bad_json.output
    unknown = CliRunner().invoke(decide, [FEES, "nope", "--data", "{}"])
    assert unknown.exit_code == 1 and "no decision 'nope'" in unknown.output


def test_dmn_tck_passes_on_the_shared_corpus() -> None:
    result = CliRunner().invoke(dmn_tck, [str(TCK)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "126 passed, 0 failed"


def test_dmn_tck_reports_failing_cases_and_exits_1(tmp_path: Path) -> None:
    folder = tmp_path / "0115-sum-collect-hitpolicy"
    shutil.copytree(TCK / "compliance-level-2" / folder.name, folder)
    test_file = folder / f"{folder.name}-test-01.xml"
    test_file.write_text(test_file.read_text().replace(">1100<", ">1200<"))
    result = CliRunner().invoke(dmn_tck, [str(tmp_path)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[-1] == "2 passed, 1 failed"
    assert lines[0] == "0115-sum-collect-hitpolicy case 001 [Salary]: expected {Salary: 1200}, got {Salary: 1100}"


def test_dmn_tck_on_level_3_passes_every_case() -> None:
    result = CliRunner().invoke(dmn_tck, [str(TCK.parent / "dmn-tck-level-3" / "compliance-level-3")])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["3149 passed, 0 failed"]


def test_a_model_that_does_not_load_is_one_short_line_per_case(tmp_path: Path) -> None:
    folder = tmp_path / "0001-broken"
    folder.mkdir()
    (folder / "0001-broken.dmn").write_text("<definitions", encoding="utf-8")
    cases = "".join(
        f'<testCase id="{n}"><resultNode name="d"><expected><value>1</value></expected></resultNode></testCase>'
        for n in ("001", "002")
    )
    (folder / "0001-broken-test-01.xml").write_text(
        f'<testCases xmlns="http://www.omg.org/spec/DMN/20160719/testcase">{cases}</testCases>', encoding="utf-8"
    )
    result = CliRunner().invoke(dmn_tck, [str(tmp_path)])
    lines = result.output.splitlines()
    assert result.exit_code == 1 and lines[-1] == "0 passed, 2 failed"
    assert lines[0].startswith("0001-broken case 001 [d]: model not loaded: malformed XML")
    assert len(lines) == 3 and all(len(line) < 400 for line in lines)


def test_decide_keeps_a_null_fee_in_the_json_and_says_why() -> None:
    result = CliRunner().invoke(decide, [FEES, "renewal_appraisal_fee", "--data", '{"appraisal_fee": "x"}'])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == '{"renewal_appraisal_fee": null}'
    assert result.stderr == "note: input data 'appraisal_fee': \"x\" is not a number\n"
