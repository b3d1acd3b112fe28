import json
import pytest
import engine.serialization as s

@pytest.fixture(autouse=True)
def _patch_state(monkeypatch):
    def state_to_json(self, wf):
        return json.dumps(self.registry.convert(self._state.to_dict(wf)), separators=(",", ":"))
    monkeypatch.setattr(s.WorkflowSerializer, "state_to_json", state_to_json)

import procedure_data as d
from procedure_driver import Run


def test_smoke(service):
    run = Run(service, "radiation_licence_issue").start("BV Thống Nhất")
    print(run.ready)
    run.do("receive", {**d.APPLICANT, "works": [{"name": "Sử dụng thiết bị X-quang chẩn đoán trong y tế", "place": "Khoa CĐHA"}],
                       "devices": d.MIXED_DEVICES, **d.SAFETY_OFFICER})
    print(run.ready, run.data()["fee_amount"])
    run.do("check_dossier", d.CHECK_OK)
    run.do("notify_fee", d.fee_notice(17000000))
    run.do("record_payment", d.paid(17000000))
    run.do("appraise", d.APPRAISE_ISSUE).do("review", d.HEAD_AGREES).do("decide", d.SIGN_ISSUE)
    run.do("issue_result", d.issued("20/GP-SKHCN", valid_until="2031-03-20")).do("deliver", d.DELIVERED)
    print(run.status, run.phase_dues(), run.data()["outcome"])
