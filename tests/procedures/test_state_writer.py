"""A dossier's engine state is written by motcua's own task conversion (engine.runtime.serialization), for
speed; what it writes must be exactly what SpiffWorkflow's converters write, at every step of a real procedure
(called shared parts, boundary timers, dates and money in the data, a supplement sent and received)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import procedure_data as d
import pytest
from procedure_driver import Run, at
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow

from engine.decisions.bpmn_task import register_data_types
from engine.runtime import dossier_service
from engine.runtime.dossier_service import DossierService
from engine.runtime.serialization import serializer_config


def _spiff_writer() -> Any:
    registry = BpmnWorkflowSerializer.configure(serializer_config())
    register_data_types(registry)
    return BpmnWorkflowSerializer(registry)


@pytest.fixture
def written(monkeypatch: pytest.MonkeyPatch) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Each state a command writes, beside what SpiffWorkflow writes for the same workflow (its specs left out)."""
    spiff = _spiff_writer()
    ours = dossier_service._serializer._state
    pairs: list[tuple[dict[str, Any], dict[str, Any]]] = []
    to_dict = type(ours).to_dict

    def both(self: Any, workflow: BpmnWorkflow) -> dict[str, Any]:
        mine = to_dict(self, workflow)
        theirs = spiff.to_dict(workflow)
        del theirs["spec"], theirs["subprocess_specs"], theirs["typename"]  # the top converter adds no typename
        pairs.append((mine, theirs))
        return mine

    monkeypatch.setattr(type(ours), "to_dict", both)
    return pairs


def _text(dct: dict[str, Any]) -> str:
    return json.dumps(dct, separators=(",", ":"), cls=dossier_service._serializer._encoder)


def test_the_state_written_is_spiffworkflows_at_every_step(service: DossierService,
                                                           written: list[tuple[dict, dict]]) -> None:
    run = Run(service, "radiation_licence_issue").start("Bệnh viện Đa khoa Thống Nhất Đồng Nai")
    run.do("receive", {**d.APPLICANT, "works": d.WORKS, "devices": d.MIXED_DEVICES, **d.SAFETY_OFFICER})
    at(date(2026, 3, 4))
    run.do("check_dossier", d.CHECK_MISSING).do("request_supplement", d.SUPPLEMENT_REQUEST)
    at(date(2026, 3, 16))
    run.do("await_supplement", d.SUPPLEMENT_RECEIVED)
    run.do("check_dossier", d.CHECK_OK).do("notify_fee", d.fee_notice(17_000_000, "2026-03-16"))
    run.do("record_payment", d.paid(17_000_000, "2026-03-16"))
    run.do("appraise", d.APPRAISE_ISSUE).do("review", d.HEAD_AGREES).do("decide", d.SIGN_ISSUE)
    run.do("issue_result", d.issued(valid_until="2031-03-16")).do("deliver", d.DELIVERED)
    assert run.status == "completed"

    assert len(written) >= 12
    # The run went through called shared parts, and wrote data that are not plain JSON (dates, money).
    assert any(mine["subprocesses"] for mine, _ in written)
    assert any('"typename":"Decimal"' in _text(mine) for mine, _ in written)
    for mine, theirs in written:
        assert mine == theirs
        assert _text(mine) == _text(theirs)  # the same keys in the same order: the same bytes stored
