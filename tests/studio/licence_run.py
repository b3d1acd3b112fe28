"""Driving the licence procedure (procedure 2) to its appraisal phase with the engine, as the procedures'
tests do: the phase's due date shows which version a dossier runs on."""

from __future__ import annotations

from datetime import date

from engine.runtime.dossier_service import DossierService
from tests.procedures import procedure_data as d
from tests.procedures.procedure_driver import Run
from tests.studio.conftest import LICENCE

WORKS = [{"name": "Sử dụng thiết bị X-quang chẩn đoán trong y tế", "place": "Khoa Chẩn đoán hình ảnh"}]
# What the desk enters at receipt: 1 CT + 2 dental + 1 fluoroscopy, 17,000,000 VND of fees (TT 2 h).
LICENCE_DATA = {**d.APPLICANT, "works": WORKS, "devices": d.MIXED_DEVICES, **d.SAFETY_OFFICER}


def open_licence(service: DossierService, title: str) -> Run:
    """A licence dossier received (the check phase runs)."""
    run = Run(service, LICENCE).start(title)
    return run.do("receive", LICENCE_DATA)


def to_appraisal(run: Run) -> date:
    """Accept, notify and pay the fee the same day; the appraisal's last day."""
    run.do("check_dossier", d.CHECK_OK).do("notify_fee", d.fee_notice(17_000_000, "2026-03-02"))
    run.do("record_payment", d.paid(17_000_000, "2026-03-02"))
    return run.phase_dues()["appraisal"]
