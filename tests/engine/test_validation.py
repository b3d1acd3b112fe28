"""Validation and deployment: clear problems, never a traceback, never a half-deployed set."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from engine.runtime.db import make_session_factory
from engine.runtime.definition import ProcessDefinition
from engine.runtime.deployment import deploy_files
from engine.runtime.problems import ValidationFailed
from engine.runtime.validation import parse_bundle
from tests.engine.support import DATA, read
from webapp.cli import cli

MIWG = Path(__file__).resolve().parents[2].parent / "shared" / "conformance" / "miwg"


def bundle(name: str, text: str) -> dict[str, str]:
    return {name: text, "forms/reception.json": read("forms/reception.json")}


def with_script(script: str) -> str:
    return read("licence_demo.bpmn").replace('fee = Decimal("2000000") * len(devices)', script)


@pytest.mark.parametrize(
    ("script", "words"),
    [
        ("__import__('os').system('id')", "_"),
        ("x = ().__class__.__base__.__subclasses__()", "__class__"),
        ("x = open('/etc/passwd').read()", "open"),
        ("import os", "import"),
    ],
)
def test_unsafe_scripts_are_refused_naming_the_element(script: str, words: str) -> None:
    problems = parse_bundle(bundle("p.bpmn", with_script(script))).problems
    assert problems, "an unsafe script was accepted"
    assert all(p.file == "p.bpmn" and p.element_id == "compute_fee" for p in problems)
    assert any(words in p.message for p in problems), problems


def test_malformed_xml_names_the_file_and_line() -> None:
    text = read("licence_demo.bpmn").replace("</bpmn:process>", "</bpmn:proces>")
    problems = parse_bundle(bundle("broken.bpmn", text)).problems
    assert len(problems) == 1
    assert problems[0].file == "broken.bpmn" and "not well-formed XML (line" in problems[0].message


def test_structural_problems_are_named() -> None:
    text = (read("licence_demo.bpmn")
            .replace('name="Trưởng phòng"', 'name="Kế toán"')
            .replace("check:5:working-days", "check:five:working-days"))
    problems = {(p.element_id, p.message.split(":")[0]) for p in parse_bundle(bundle("p.bpmn", text)).problems}
    assert ("escalate", "lane 'Kế toán' of task 'Handle the late dossier' is not a known role") in problems
    assert ("check", "property legal-phase") in problems


def test_a_task_naming_a_missing_form_is_refused() -> None:
    problems = parse_bundle({"p.bpmn": read("licence_demo.bpmn")}).problems
    assert [(p.element_id, p.message) for p in problems] == [
        ("receive", "form 'reception' is neither in the diagram's forms/ folder nor in shared/forms/")]


def test_a_flow_to_nowhere_is_a_problem_not_a_crash() -> None:
    text = read("licence_demo.bpmn").replace('targetRef="appraise"', 'targetRef="nowhere"')
    problems = parse_bundle(bundle("p.bpmn", text)).problems
    assert problems and problems[0].file == "p.bpmn"


def test_nothing_is_deployed_when_one_file_is_bad(db) -> None:
    files = {**bundle("good.bpmn", read("licence_demo.bpmn")),
             "bad.bpmn": with_script("import os").replace("licence_demo", "other_demo")}
    with make_session_factory(db, write=True)() as session:
        with pytest.raises(ValidationFailed) as failed:
            deploy_files(session, files, actor="t")
        session.rollback()
        assert [p.file for p in failed.value.problems] == ["bad.bpmn"]
        assert session.scalar(select(func.count()).select_from(ProcessDefinition)) == 0


def test_versions_follow_content_and_running_dossiers_keep_theirs(db) -> None:
    from engine.runtime.dossier_service import DossierService

    factory = make_session_factory(db, write=True)
    service = DossierService(db)
    with factory() as session:
        first = deploy_files(session, bundle("a.bpmn", read("licence_demo.bpmn")), actor="t")
        again = deploy_files(session, bundle("a.bpmn", read("licence_demo.bpmn")), actor="t")
        session.commit()
    assert [(d.version, d.created) for d in first] == [(1, True)]
    assert [(d.version, d.created) for d in again] == [(1, False)]
    old = service.start("licence_demo", {}, actor="t")

    changed = read("licence_demo.bpmn").replace("Register the dossier", "Register the application")
    with factory() as session:
        second = deploy_files(session, bundle("a.bpmn", changed), actor="t")
        assert [(d.version, d.created) for d in second] == [(2, True)]
        session.commit()
    new = service.start("licence_demo", {}, actor="t")
    assert service.ready_tasks(old.dossier_id)[0].name == "Register the dossier"
    assert service.ready_tasks(new.dossier_id)[0].name == "Register the application"


def test_cli_validate_exit_codes(tmp_path: Path) -> None:
    runner = CliRunner()
    good = runner.invoke(cli, ["validate", str(DATA / "licence_demo.bpmn")])
    assert good.exit_code == 0 and "valid" in good.output
    bad = tmp_path / "bad.bpmn"
    bad.write_text(with_script("import os"), encoding="utf-8")
    result = runner.invoke(cli, ["validate", str(bad)])
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[0].startswith(f"{bad} [compute_fee]: script:")
    assert "Traceback" not in result.output


@pytest.mark.parametrize("name", sorted(p.name for p in MIWG.glob("*.bpmn")))
def test_miwg_reference_diagrams_get_a_clean_verdict(name: str) -> None:
    result = CliRunner().invoke(cli, ["validate", str(MIWG / name)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code in (0, 1)
    lines = result.output.strip().splitlines()
    if result.exit_code == 0:
        assert lines == [f"valid: {MIWG / name}"]
    else:
        assert lines and all(line.startswith(str(MIWG / name)) for line in lines), lines


def test_all_twenty_one_miwg_diagrams_are_there() -> None:
    assert len(list(MIWG.glob("*.bpmn"))) == 21


def test_constructs_the_engine_would_silently_mishandle_are_named() -> None:
    text = (read("licence_demo.bpmn")
            .replace('<bpmn:startEvent id="start"', '<bpmn:startEvent id="Start"')
            .replace('sourceRef="start"', 'sourceRef="Start"')
            .replace('<bpmn:script>fee =', '<bpmn:extensionElements><spiffworkflow:preScript>x = 1'
                     '</spiffworkflow:preScript></bpmn:extensionElements><bpmn:script>fee ='))
    problems = {(p.element_id, p.message.split(":")[0]) for p in parse_bundle(bundle("p.bpmn", text)).problems}
    assert ("compute_fee", "pre- and post-scripts of a script task are never run by the engine") in problems
    assert ("Start", "the id 'Start' is reserved by the engine (its own start and end)") in problems
