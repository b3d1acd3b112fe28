"""Drafts: saved with their problems, shared with an optimistic version, never holding a forbidden text,
deployed as a new version that new dossiers take while running ones keep theirs."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from engine.legal_time.clock import clock
from engine.runtime.db import make_session_factory
from engine.runtime.definition import ProcessDefinition
from engine.runtime.deployment import Deployed
from engine.runtime.dossier import Dossier
from engine.runtime.dossier_service import DossierService
from engine.runtime.errors import InvalidData
from engine.runtime.problems import ValidationFailed
from engine.studio.legal_checks import legal_problems
from engine.studio.studio_draft import (
    DraftConflict,
    StudioDraft,
    deploy_draft,
    discard_draft,
    find_draft,
    save_draft,
    stale_files,
)
from engine.studio.studio_workspace import digest, load_workspace
from tests.studio.conftest import LICENCE, LICENCE_FILE
from tests.studio.licence_run import open_licence, to_appraisal

FEES = "dmn/radiation_fees.dmn"
UNSAFE = Path(__file__).parent / "data" / "unsafe_script.bpmn"


def save(db: Engine, subject: str, files: dict[str, str], actor: str, version: int | None,
         main_file: str = LICENCE_FILE) -> StudioDraft:
    with make_session_factory(db, write=True)() as session:
        draft = save_draft(session, load_workspace(session), subject, files, actor, expected_version=version,
                           main_file=main_file)
        session.commit()
        return draft


def deploy(db: Engine, subject: str, version: int, actor: str = "phantich") -> list[Deployed]:
    with make_session_factory(db, write=True)() as session:
        deployed = deploy_draft(session, load_workspace(session), subject, actor, expected_version=version)
        session.commit()
        return deployed


def draft_of(db: Engine, subject: str) -> StudioDraft | None:
    with make_session_factory(db)() as session:
        return find_draft(session, subject)


def licence(db: Engine) -> str:
    with make_session_factory(db)() as session:
        return load_workspace(session).files[LICENCE_FILE]


def test_saving_keeps_the_edit_with_its_problems_and_what_it_started_from(deployed: Engine) -> None:
    original = licence(deployed)
    broken = original.replace("appraisal:25:working-days", "appraisal:x:working-days")
    draft = save(deployed, LICENCE, {LICENCE_FILE: broken}, "phantich", None)
    assert draft.version == 1 and draft.base_version == 1 and draft.updated_by == "phantich"
    assert draft.files == {LICENCE_FILE: broken} and draft.base == {LICENCE_FILE: digest(original)}
    assert [(p["element_id"], p["message"]) for p in draft.problems] == [
        ("appraisal", "property legal-phase: phase 'appraisal:x:working-days': the amount 'x' is not a whole "
                      "number of days")]
    fixed = save(deployed, LICENCE, {LICENCE_FILE: broken.replace(":x:", ":25:")}, "phantich", 1)
    assert fixed.version == 2 and fixed.problems == []


def test_phases_that_break_the_law_are_found(deployed: Engine) -> None:
    # TT 2 d): check 5 + appraisal 25 = 30 working days, as the start event and procedure.json say.
    shorter = licence(deployed).replace("appraisal:25:working-days", "appraisal:20:working-days")
    with make_session_factory(deployed)() as session:
        files = load_workspace(session).files
    assert legal_problems(files) == []  # the eleven procedures keep the law
    assert [(p.element_id, p.message) for p in legal_problems({**files, LICENCE_FILE: shorter})] == [
        ("start", "legal-total 30 working-days is not the sum of the phases (check 5 working-days + "
                  "appraisal 20 working-days)"),
        ("appraisal", "phase 'appraisal' lasts 20 working-days here but 25 working-days in procedure.json")]


def test_two_analysts_on_one_draft_get_a_conflict_and_nothing_is_lost(deployed: Engine) -> None:
    original = licence(deployed)
    mine = original.replace("appraisal:25:working-days", "appraisal:20:working-days")
    theirs = original.replace("appraisal:25:working-days", "appraisal:22:working-days")
    save(deployed, LICENCE, {LICENCE_FILE: mine}, "phantich", None)
    with pytest.raises(DraftConflict) as created_twice:  # both opened the procedure when it had no draft
        save(deployed, LICENCE, {LICENCE_FILE: theirs}, "phantich2", None)
    assert created_twice.value.by == "phantich" and created_twice.value.version == 1
    save(deployed, LICENCE, {LICENCE_FILE: mine.replace("Thẩm định", "Thẩm định hồ sơ")}, "phantich", 1)
    with pytest.raises(DraftConflict) as stale:  # the other analyst still edits version 1
        save(deployed, LICENCE, {LICENCE_FILE: theirs}, "phantich2", 1)
    assert stale.value.by == "phantich" and stale.value.version == 2 and stale.value.at == clock.now()
    kept = draft_of(deployed, LICENCE)
    assert kept is not None and kept.version == 2 and "appraisal:20:working-days" in kept.files[LICENCE_FILE]


def test_a_file_edited_back_to_its_deployed_text_leaves_the_draft(deployed: Engine) -> None:
    original = licence(deployed)
    save(deployed, LICENCE, {LICENCE_FILE: original.replace(":25:", ":20:")}, "phantich", None)
    back = save(deployed, LICENCE, {LICENCE_FILE: original}, "phantich", 1)
    assert back.files == {} and back.base == {}
    with pytest.raises(InvalidData):
        deploy(deployed, LICENCE, back.version)


def test_a_forbidden_script_is_refused_at_save_and_nothing_is_stored(deployed: Engine) -> None:
    text = UNSAFE.read_text(encoding="utf-8")
    with pytest.raises(ValidationFailed) as refused:
        save(deployed, "unsafe_demo", {"bpmn/unsafe_demo/unsafe_demo.bpmn": text}, "phantich", None,
             main_file="bpmn/unsafe_demo/unsafe_demo.bpmn")
    assert [(p.element_id, p.message) for p in refused.value.problems] == [
        ("steal", "script: line 1: 'import' is not allowed")]
    condition = licence(deployed).replace('outcome == "issue"', "().__class__.__base__.__subclasses__()", 1)
    assert condition != licence(deployed)
    with pytest.raises(ValidationFailed):
        save(deployed, LICENCE, {LICENCE_FILE: condition}, "phantich", None)
    assert draft_of(deployed, "unsafe_demo") is None and draft_of(deployed, LICENCE) is None


def test_a_diagram_over_the_size_bound_is_refused_at_save_unparsed(deployed: Engine) -> None:
    # Too large to be read for forbidden constructs, so it is never stored: an import hidden in it stays out.
    text = licence(deployed)
    end = text.index("</bpmn:definitions>")
    huge = text[:end] + "<!-- __import__('os') -->" + "<x/>" * 600_000 + text[end:]
    with pytest.raises(ValidationFailed) as refused:
        save(deployed, LICENCE, {LICENCE_FILE: huge}, "phantich", None)
    assert [p.message for p in refused.value.problems] == [
        f"the file has {len(huge):,} characters; the limit is 2,000,000"]
    assert draft_of(deployed, LICENCE) is None


def test_deploy_refuses_a_forbidden_text_even_from_a_stored_draft(deployed: Engine) -> None:
    # A draft stored before the evaluator forbade a construct: the deployment checks again.
    text = licence(deployed).replace('outcome == "issue"', "__import__('os').system('id')", 1)
    with make_session_factory(deployed, write=True)() as session:
        session.add(StudioDraft(subject=LICENCE, main_file=LICENCE_FILE, files={LICENCE_FILE: text},
                                base={LICENCE_FILE: digest(licence(deployed))}, base_version=1, problems=[],
                                created_by="x", created_at=clock.now(), updated_by="x", updated_at=clock.now()))
        session.commit()
    with pytest.raises(ValidationFailed) as refused:
        deploy(deployed, LICENCE, 1)
    assert any("'_' are reserved" in p.message for p in refused.value.problems)
    assert versions(deployed, LICENCE) == [1]


def test_an_invalid_draft_cannot_be_deployed_and_nothing_is_stored(deployed: Engine) -> None:
    broken = licence(deployed).replace("appraisal:25:working-days", "appraisal:x:working-days")
    draft = save(deployed, LICENCE, {LICENCE_FILE: broken}, "phantich", None)
    with pytest.raises(ValidationFailed) as refused:
        deploy(deployed, LICENCE, draft.version)
    assert {p.element_id for p in refused.value.problems} == {"appraisal"}
    assert versions(deployed, LICENCE) == [1] and draft_of(deployed, LICENCE) is not None


def versions(db: Engine, process_id: str) -> list[int]:
    with make_session_factory(db)() as session:
        return list(session.scalars(select(ProcessDefinition.version)
                                    .where(ProcessDefinition.process_id == process_id)
                                    .order_by(ProcessDefinition.version)))


def version_of(db: Engine, dossier_id: int) -> int:
    with make_session_factory(db)() as session:
        return session.scalar(select(ProcessDefinition.version)
                              .join(Dossier, Dossier.definition_id == ProcessDefinition.id)
                              .where(Dossier.id == dossier_id))


def test_a_new_version_is_taken_by_new_dossiers_while_running_ones_keep_theirs(deployed: Engine) -> None:
    service = DossierService(deployed)
    before = open_licence(service, "Bệnh viện Đa khoa Thống Nhất Đồng Nai")
    draft = save(deployed, LICENCE, {LICENCE_FILE: licence(deployed).replace(
        "appraisal:25:working-days", "appraisal:20:working-days")}, "phantich", None)
    assert deploy(deployed, LICENCE, draft.version) == [Deployed(LICENCE, 2, created=True)]  # nothing else changed
    after = open_licence(service, "Phòng khám Đa khoa Tân Mai")
    assert (version_of(deployed, before.dossier_id), version_of(deployed, after.dossier_id)) == (1, 2)
    # Fee paid on Monday 2/3 (not counted): 25 working days end on Monday 6/4 (v1), 20 on Monday 30/3 (v2).
    assert to_appraisal(before) == date(2026, 4, 6)
    assert to_appraisal(after) == date(2026, 3, 30)
    assert draft_of(deployed, LICENCE) is None
    with make_session_factory(deployed)() as session:
        deployed_by = session.scalar(select(ProcessDefinition.deployed_by).where(ProcessDefinition.version == 2))
    assert deployed_by == "phantich"


def test_a_deployment_since_the_draft_began_on_the_same_file_refuses_the_draft(deployed: Engine) -> None:
    with make_session_factory(deployed)() as session:
        fees = load_workspace(session).files[FEES]
    first = save(deployed, LICENCE, {FEES: fees.replace("2000000", "2100000", 1)}, "phantich", None)
    other = save(deployed, "radiation_licence_renewal", {FEES: fees.replace("16000000", "17000000")}, "phantich2",
                 None, main_file="bpmn/radiation_licence_renewal/radiation_licence_renewal.bpmn")
    created = deploy(deployed, "radiation_licence_renewal", other.version, "phantich2")
    # A table is part of every version that carries it: each procedure gets a new version.
    assert {d.process_id for d in created} >= {LICENCE, "radiation_licence_renewal", "xray_declaration"}
    with make_session_factory(deployed)() as session:
        workspace = load_workspace(session)
        assert stale_files(workspace, session.get(StudioDraft, first.id)) == [FEES]
    with pytest.raises(DraftConflict) as conflict:
        deploy(deployed, LICENCE, first.version)
    assert conflict.value.files == (FEES,)
    with make_session_factory(deployed, write=True)() as session:
        discard_draft(session, LICENCE, first.version)
        session.commit()
        assert session.scalar(select(func.count()).select_from(StudioDraft)) == 0
