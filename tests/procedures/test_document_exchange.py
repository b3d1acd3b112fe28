"""Procedures 8 and 9: the ministries' answers arrive by the document exchange (messages `most_answer` and
`moha_answer`, key: the dossier code) or on paper through the liaison officer, whichever comes first."""

from __future__ import annotations

from datetime import date

import pytest
from procedure_driver import Run, at
from test_appointments import DECIDED, DISPATCH, PASSED, PUBLISHED, admission, answer

from engine.runtime.dossier import Dossier
from engine.runtime.dossier_service import DossierService
from engine.runtime.errors import InvalidData, NotFound, TaskNotReady
from engine.runtime.messages import MessageService

CODE = "000.00.19.H19-260402-0007"


def waiting_for_most(service: DossierService) -> Run:
    run = admission(service, "II")
    with service.command() as session:  # the code the desk gave at receipt (the driver starts without one)
        session.execute(Dossier.__table__.update().where(Dossier.id == run.dossier_id).values(code=CODE))
    run.do("send_to_ppc", DISPATCH).do("ppc_council", answer("UBND tỉnh Đồng Nai", "951/QĐ-UBND", "2026-04-02"))
    run.do("ppc_council_result", PASSED).do("ppc_to_most", answer("UBND tỉnh Đồng Nai", "2102/UBND", "2026-04-02"))
    assert run.ready == ["most_answer"]
    return run


def test_the_ministry_answers_by_document_exchange(service: DossierService) -> None:
    run = waiting_for_most(service)
    officer_task = run.task("most_answer")
    messages = MessageService(service)
    with pytest.raises(InvalidData) as refused:  # the liaison form checks the exchange's document too
        messages.send("most_answer", CODE, {"answer_body": "Bộ Khoa học và Công nghệ"}, "api:lgsp")
    assert {"payload.answer_number", "payload.answer_date"} <= set(refused.value.fields)
    at(date(2026, 4, 10))
    delivered = messages.send("most_answer", CODE, answer("Bộ Khoa học và Công nghệ", "1571/BKHCN", "2026-04-09"),
                              "api:lgsp")
    assert (delivered.status, delivered.element_id) == ("delivered", "most_answer_by_message")
    assert run.ready == ["ppc_decide"] and run.data()["answer_number"] == "1571/BKHCN"
    with pytest.raises(TaskNotReady):
        service.complete(run.dossier_id, officer_task.id, answer("Bộ KH&CN", "1571/BKHCN", "2026-04-09"), "lienthong")
    run.do("ppc_decide", DECIDED).do("publish", PUBLISHED)
    assert run.status == "completed"
    # The answer's phase ended when the answer came, as if the officer had recorded it.
    assert run.phase_dues()["most-answer"] == date(2026, 4, 17)


def test_an_answer_recorded_on_paper_first_closes_the_exchange(service: DossierService) -> None:
    run = waiting_for_most(service)
    run.do("most_answer", answer("Bộ Khoa học và Công nghệ", "1571/BKHCN", "2026-04-02"))
    with pytest.raises(NotFound):
        MessageService(service).send("most_answer", CODE, answer("Bộ KH&CN", "1571/BKHCN", "2026-04-02"), "api:lgsp")
