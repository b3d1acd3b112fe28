"""The workspace around the steps (issue 15): a step opens empty or with what it entered itself, never with
another step's answer; the inbox counts its items per clock state and offers only startable procedures;
escalation rules name a phase the diagrams carry."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from engine.legal_time.clock import clock
from engine.oversight.escalation import EscalationRule
from engine.runtime.db import make_session_factory
from tests.webapp.conftest import post
from tests.webapp.helpers import complete, open_item, register


def textarea(page: str, name: str) -> str:
    match = re.search(rf'<textarea id="{name}" name="{name}"[^>]*>([^<]*)</textarea>', page)
    assert match, name
    return match.group(1)


def test_a_step_opens_without_another_steps_answer_but_with_its_own(app, client_for) -> None:
    dossier_id = register(client_for("tiepnhan"))
    specialist = client_for("chuyenvien")
    complete(specialist, open_item(app, dossier_id, "check").id,
             {"decision": "supplement", "missing_items": ["safety_report"], "supplement_note": "Thiếu báo cáo",
              "refusal_reasons": "Ghi chú của bước kiểm tra"})
    complete(client_for("tiepnhan"), open_item(app, dossier_id, "receive_supplement").id,
             {"supplement_received": "on"})
    again = specialist.get(f"/tasks/{open_item(app, dossier_id, 'check').id}").get_data(as_text=True)
    assert textarea(again, "supplement_note") == "Thiếu báo cáo"  # its own earlier answer
    complete(specialist, open_item(app, dossier_id, "check").id, {"decision": "accept"})
    appraisal = specialist.get(f"/tasks/{open_item(app, dossier_id, 'appraise').id}").get_data(as_text=True)
    form = appraisal[appraisal.index('class="task-form"'):]
    assert textarea(form, "refusal_reasons") == ""  # the same field name, entered by the check: not carried over
    assert "Ghi chú của bước kiểm tra" in appraisal[:appraisal.index('class="task-form"')]  # but shown above


def test_inbox_counts_items_per_clock_state_and_lists_only_startable_procedures(app, client_for) -> None:
    desk = client_for("tiepnhan")
    for index in range(3):
        register(desk, email=f"c{index}@example.vn", name=f"Cơ sở {index}")
    specialist = client_for("chuyenvien")
    page = specialist.get("/inbox").get_data(as_text=True)

    def count(state: str) -> int:
        return int(re.search(rf'data-state="{state}">[^<]*<strong>(\d+)</strong>', page).group(1))

    assert (count("on_track"), count("due_soon"), count("overdue"), count("paused")) == (3, 0, 0, 0)
    clock.advance(timedelta(days=5))  # Saturday 7/3: the 5-working-day check of 2/3 ends with Monday 9/3
    page = specialist.get("/inbox").get_data(as_text=True)
    assert (count("on_track"), count("due_soon"), count("overdue")) == (0, 3, 0)
    clock.advance(timedelta(days=3))
    page = specialist.get("/inbox?q=Cơ sở 1").get_data(as_text=True)
    assert (count("overdue"), count("due_soon")) == (1, 0)  # the counts follow the filters
    options = re.findall(r'<option value="(\w+)"', page[page.index('name="procedure"'):page.index('name="state"')])
    assert options == ["licence_web"]


def test_escalation_rules_offer_the_phases_of_the_diagrams(app, client_for) -> None:
    supervisor = client_for("giamsat")
    page = supervisor.get("/supervisor/escalation").get_data(as_text=True)
    phases = re.findall(r'<option value="([\w*-]+)"', page[page.index('name="phase"'):page.index('name="milestone"')])
    assert phases == ["*", "check", "appraisal"]  # by their names: "Kiểm tra hồ sơ", "Thẩm định hồ sơ"
    post(supervisor, "/supervisor/escalation", {"phase": "payment-typo", "milestone": "due_soon",
                                                "notify": "office_head"}, token_from="/supervisor/escalation")
    post(supervisor, "/supervisor/escalation", {"phase": "appraisal", "milestone": "due_soon",
                                                "notify": "office_head"}, token_from="/supervisor/escalation")
    with make_session_factory(app.extensions["motcua"].engine)() as session:
        saved = session.scalars(select(EscalationRule.phase)).all()
    assert "appraisal" in saved and "payment-typo" not in saved


def test_the_signers_name_comes_from_the_signed_in_user(app, client_for) -> None:
    dossier_id = register(client_for("tiepnhan"))
    specialist = client_for("chuyenvien")
    complete(specialist, open_item(app, dossier_id, "check").id, {"decision": "accept"})
    complete(specialist, open_item(app, dossier_id, "appraise").id, {"decision": "issue", "valid_until": "2031-03-31"})
    leader = client_for("lanhdao")
    item = open_item(app, dossier_id, "sign")
    page = leader.get(f"/tasks/{item.id}").get_data(as_text=True)
    assert re.search(r'<input id="signed_by" name="signed_by" type="text" value="Phạm Văn Lãnh Đạo"\s+readonly', page)
    response = complete(leader, item.id, {"signed": "on", "signed_by": "Người khác"})
    assert response.status_code == 302
    assert app.extensions["motcua"].dossiers.data(dossier_id)["signed_by"] == "Phạm Văn Lãnh Đạo"
