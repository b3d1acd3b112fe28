"""What each paper says, read back from its PDF: every field comes from the dossier and the registry.

The papers are issued as the platform issues them after a step (engine.onestop.paperwork), and their text
is extracted with pypdf; the number printed is the one in the dossier's data and in the registry.
"""

from __future__ import annotations

import io
from datetime import date

import procedure_data as d
import pytest
from procedure_driver import BPMN, Run
from pypdf import PdfReader
from sqlalchemy.orm import Session

from engine.access.user import create_user
from engine.onestop import registry
from engine.onestop.documents import Agency, Document
from engine.onestop.paperwork import Office, Paperwork
from engine.runtime.dossier_service import DossierService

SEED_ADDRESS = "Số 1597 đường Phạm Văn Thuận, phường Thống Nhất, thành phố Biên Hòa, tỉnh Đồng Nai"


@pytest.fixture
def paperwork(service: DossierService) -> Paperwork:
    with service.command() as session:
        create_user(session, "lanhdao", "x" * 12, "Phạm Minh Tuấn", ["leadership"]).title = "Phó Giám đốc"
    return Paperwork(service, Office(agency=Agency(), agency_code="000.00.19.H19", bpmn_root=BPMN))


def text_of(service: DossierService, document_id: int) -> str:
    with service.read_session() as session:
        content = session.get(Document, document_id).content
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages).split())


def issue_paper(paperwork: Paperwork, dossier_id: int, kind: str) -> tuple[str, int]:
    """The paper as the outbox issues it after the step: from the dossier's data, in a transaction."""
    data = paperwork.service.data(dossier_id)
    with paperwork.service.command() as session:
        document, _mail = paperwork.issue_in(session, dossier_id, kind, "officer", data=data, notify=False)
        return document.number, document.id


def issue(paperwork: Paperwork, run: Run, kind: str) -> tuple[str, str]:
    number, document_id = issue_paper(paperwork, run.dossier_id, kind)
    return number, text_of(paperwork.service, document_id)


def licence_run(service: DossierService, devices: list[dict[str, object]]) -> Run:
    run = Run(service, "radiation_licence_issue").start("Bệnh viện Đa khoa Thống Nhất Đồng Nai")
    return run.do("receive", {**d.APPLICANT, "works": d.WORKS, "devices": devices, **d.SAFETY_OFFICER})


def signed(run: Run, valid_until: str | None = None) -> Run:
    run.do("appraise", d.APPRAISE_ISSUE).do("review", d.HEAD_AGREES).do("decide", d.SIGN_ISSUE, actor="lanhdao")
    return run.do("issue_result", d.issued(valid_until=valid_until))


def test_receipt_supplement_request_and_fee_notice(service: DossierService, paperwork: Paperwork) -> None:
    devices = [d.device("general", "M01", mobility="mobile"), d.device("ct", "CT01")]
    run = licence_run(service, devices)
    _, receipt = issue(paperwork, run, "receipt")
    assert "Số lượng hồ sơ: 01 (bộ)" in receipt and "30 ngày làm việc" in receipt
    assert "Bệnh viện Đa khoa Thống Nhất Đồng Nai" in receipt

    run.do("check_dossier", d.CHECK_MISSING).do("request_supplement", d.SUPPLEMENT_REQUEST)
    number, request = issue(paperwork, run, "supplement_request")
    assert number == run.data()["request_number"] == "01/BSHS-SKHCN" and f"Số: {number}" in request
    assert "Bản sao Biên bản kiểm xạ: Chưa nộp biên bản kiểm xạ phòng CT" in request
    assert SEED_ADDRESS in request and "Tam Hiệp" not in request

    # Received the day it was asked for: the platform's clock stands on 2 March (no event in the future).
    run.do("await_supplement", {**d.SUPPLEMENT_RECEIVED, "supplement_received_on": "2026-03-02"})
    run.do("check_dossier", d.CHECK_OK).do("notify_fee", d.fee_notice(10_000_000))
    number, notice = issue(paperwork, run, "fee_notice")
    assert number == run.data()["fee_notice_number"] and f"Số: {number}" in notice
    # TT 2 h): one line per device with its rate; the mobile general device at the mobile rate.
    assert "Máy X-quang kỹ thuật số (Soi, chụp chẩn đoán tổng hợp (X-quang chẩn đoán thông thường), di động)" \
        in notice and "số sê-ri T-M01 2.000.000 đồng" in notice
    assert "số sê-ri T-CT01 8.000.000 đồng" in notice
    assert "Tổng cộng 10.000.000 đồng" in notice and "Bằng chữ: Mười triệu đồng" in notice


def test_licence_lists_every_device_in_words_with_signer(service: DossierService, paperwork: Paperwork) -> None:
    run = licence_run(service, [d.device("dental", "DX01"), d.device("general", "M02", mobility="mobile")])
    run.do("check_dossier", d.CHECK_OK).do("notify_fee", d.fee_notice(4_000_000))
    run.do("record_payment", d.paid(4_000_000))
    signed(run, "2031-03-20")
    number, text = issue(paperwork, run, "licence")
    assert number == run.data()["result_number"] == "01/2026/GP-SKHCN" and f"Số: {number}" in text
    assert "Tổ chức: Bệnh viện Đa khoa Thống Nhất Đồng Nai" in text
    assert "Số 234 Quốc lộ 1A, phường Tân Biên" in text
    assert "Máy X-quang chụp răng, model Rotograph Prime Chụp răng Cố định T-DX01 / C-DX01" in text
    assert "Di động T-M02 / C-M02" in text and "dental" not in text
    assert "ngày 20 tháng 03 năm 2031" in text
    assert "Căn cứ Luật Năng lượng nguyên tử ngày 03/6/2008; Căn cứ Nghị định số 142/2020/NĐ-CP" in text
    assert "KT. GIÁM ĐỐC PHÓ GIÁM ĐỐC" in text and "Phạm Minh Tuấn" in text

    run.do("deliver", d.DELIVERED)
    with service.read_session() as session:
        assert registry.find_licence(session, number).number == number


def _issued_licence(service: DossierService) -> str:
    run = licence_run(service, d.MIXED_DEVICES)
    run.do("check_dossier", d.CHECK_OK).do("notify_fee", d.fee_notice(17_000_000))
    run.do("record_payment", d.paid(17_000_000))
    signed(run, "2031-03-20").do("deliver", d.DELIVERED)
    return run.data()["result_number"]


def test_amended_licence_has_the_new_name_and_the_devices_still_in_force(
    service: DossierService, paperwork: Paperwork,
) -> None:
    first = _issued_licence(service)
    run = Run(service, "radiation_licence_amendment").start("Bệnh viện Đa khoa Thống Nhất Đồng Nai")
    run.do("receive", {**d.APPLICANT, **d.LICENCE, "licence_number": first, "licence_valid_until": "2031-03-20",
                       "amendment_kinds": ["organisation_details", "device_reduction"],
                       "changes": [{"content": "Đổi tên, địa chỉ"}, {"content": "Giảm 01 máy chụp răng"}],
                       "new_applicant_name": "Bệnh viện Đa khoa Thống Nhất",
                       "new_address": "Số 9 đường Đồng Khởi, phường Tân Hiệp, thành phố Biên Hòa",
                       "removed_devices": [{"tube_serial": "T-DX2402", "reason": "transfer"}]})
    signed(run.do("check_dossier", d.CHECK_OK))
    number, text = issue(paperwork, run, "licence")
    assert number == "02/2026/GP-SKHCN" and f"thay thế giấy phép số {first}" in text
    assert "Tổ chức: Bệnh viện Đa khoa Thống Nhất Địa chỉ: Số 9 đường Đồng Khởi" in text
    assert all(serial in text for serial in ("T-CT2401", "T-DX2401", "T-FL2401")) and "T-DX2402" not in text


@pytest.mark.parametrize("procedure", ["radiation_licence_supplement", "radiation_licence_reissue"])
def test_supplement_and_reissue_list_the_full_device_set(
    service: DossierService, paperwork: Paperwork, procedure: str,
) -> None:
    first = _issued_licence(service)
    run = Run(service, procedure).start("Bệnh viện Đa khoa Thống Nhất Đồng Nai")
    extra = ({"changes": [{"content": "Bổ sung 01 máy"}], "devices": [d.device("general", "G2601")]}
             if procedure.endswith("supplement") else {"reissue_reason": "lost", "reason_details": "Thất lạc"})
    run.do("receive", {**d.APPLICANT, **d.LICENCE, "licence_number": first, **extra})
    signed(run.do("check_dossier", d.CHECK_OK))
    _, text = issue(paperwork, run, "licence")
    serials = ["T-CT2401", "T-DX2401", "T-DX2402", "T-FL2401"] + (["T-G2601"] if "G2601" in str(extra) else [])
    assert all(serial in text for serial in serials)
    assert "ngày 20 tháng 03 năm 2031" in text  # validity of the licence in force


def test_certificate_names_the_individual_from_a_licence_dossier(
    service: DossierService, paperwork: Paperwork, session: Session,
) -> None:
    from sqlalchemy import select

    from engine.runtime.dossier import Dossier

    parent = licence_run(service, d.MIXED_DEVICES)  # the facility's dossier
    licence_data = {**d.SAFETY_OFFICER, "so_certificate_filed_together": True, "so_worker_cert_number": None,
                    "so_worker_cert_date": None, "so_worker_cert_issuer": None}
    parent = Run(service, "radiation_licence_issue").start("Bệnh viện Đa khoa Thống Nhất Đồng Nai")
    parent.do("receive", {**d.APPLICANT, "works": d.WORKS, "devices": d.MIXED_DEVICES, **licence_data})
    child_id = session.scalars(select(Dossier.id).where(Dossier.parent_id == parent.dossier_id)).one()
    run = Run(service, "radiation_worker_certificate", dossier_id=child_id)
    run.do("receive", {**service.data(child_id), "submission_channel": "online", "job": "safety_officer",
                       "id_issued_on": "2021-08-20", "id_issued_by": "Cục Cảnh sát QLHC về TTXH",
                       "health_check_date": "2026-01-15", "attachments": []})
    run.do("check_dossier", d.CHECK_OK).do("notify_fee", d.fee_notice(200_000)).do("record_payment", d.paid(200_000))
    signed(run)
    number, text = issue(paperwork, run, "certificate")
    assert number == run.data()["result_number"] == "01/2026/CCBX-SKHCN"
    assert "Ông/Bà: Trần Thị Mai" in text and "Ngày sinh: 12/04/1985" in text
    assert "Số CMND/CCCD/Hộ chiếu: 075185004321" in text
    assert "Nơi làm việc: Bệnh viện Đa khoa Thống Nhất Đồng Nai" in text
    assert "Người phụ trách an toàn cơ sở X-quang" in text and "Ông/Bà: Bệnh viện" not in text
    run.do("deliver", d.DELIVERED)
    with service.read_session() as fresh:
        entry = fresh.scalars(select(registry.WorkerCertificate)).one()
        assert (entry.number, entry.id_number, entry.birth_date) == (number, "075185004321", date(1985, 4, 12))


def test_receipt_of_a_quantity_mark_declaration_asks_two_copies(
    service: DossierService, paperwork: Paperwork,
) -> None:
    run = Run(service, "quantity_mark_declaration").start("Công ty TNHH Thực phẩm Đồng Nai")
    _, receipt = issue(paperwork, run, "receipt")
    assert "Số lượng hồ sơ: 02 (bản)" in receipt  # TT 10 c): "Số lượng hồ sơ: 02 bản"


# -- signed results and their verification page ---------------------------------------------------------


def _signature_status(content: bytes, trusted: bytes):  # type: ignore[no-untyped-def]
    from asn1crypto import pem, x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    root = x509.Certificate.load(pem.unarmor(trusted)[2])
    signature = PdfFileReader(io.BytesIO(content)).embedded_signatures[0]
    return validate_pdf_signature(signature, ValidationContext(trust_roots=[root]))


def test_a_licence_is_a_pades_signature_that_one_changed_byte_breaks(
    service: DossierService, paperwork: Paperwork, tmp_path,  # type: ignore[no-untyped-def]
) -> None:
    from dataclasses import replace

    from engine.onestop.signing import write_demo_certificate

    key = write_demo_certificate(tmp_path)
    paperwork.office = replace(paperwork.office, signing=key)
    run = licence_run(service, [d.device("dental", "DX01")])
    run.do("check_dossier", d.CHECK_OK).do("notify_fee", d.fee_notice(2_000_000))
    signed(run.do("record_payment", d.paid(2_000_000)), "2031-03-20")
    _number, document_id = issue_paper(paperwork, run.dossier_id, "licence")
    with service.read_session() as session:
        content = session.get(Document, document_id).content
    status = _signature_status(content, key.cert.read_bytes())
    assert status.intact and status.valid and status.trusted and status.bottom_line
    assert "/ETSI.CAdES.detached" in content.decode("latin-1")  # PAdES
    # The QR code's page is written under the signature block.
    assert "/verify/01/2026/GP-SKHCN" in text_of(service, document_id)

    position = content.index(b"Rotograph") if b"Rotograph" in content else len(content) // 3
    tampered = content[:position] + bytes([content[position] ^ 0x01]) + content[position + 1:]
    assert not _signature_status(tampered, key.cert.read_bytes()).intact


def test_the_verification_page_tells_valid_amended_and_expired(
    service: DossierService, paperwork: Paperwork, db,  # type: ignore[no-untyped-def]
) -> None:
    from datetime import UTC, datetime

    from engine.legal_time.clock import clock
    from webapp import create_app

    run = licence_run(service, d.MIXED_DEVICES)
    run.do("check_dossier", d.CHECK_OK).do("notify_fee", d.fee_notice(17_000_000))
    signed(run.do("record_payment", d.paid(17_000_000)), "2031-03-20")
    first = issue(paperwork, run, "licence")[0]
    run.do("deliver", d.DELIVERED)
    amendment = Run(service, "radiation_licence_amendment").start("Bệnh viện Đa khoa Thống Nhất Đồng Nai")
    amendment.do("receive", {**d.APPLICANT, **d.LICENCE, "licence_number": first,
                             "amendment_kinds": ["device_reduction"], "changes": [{"content": "Giảm 01 máy chụp răng"}],
                             "removed_devices": [{"tube_serial": "T-DX2402", "reason": "transfer"}]})
    signed(amendment.do("check_dossier", d.CHECK_OK))
    amended = issue(paperwork, amendment, "licence")[0]
    amendment.do("deliver", d.DELIVERED)

    app = create_app({"DATABASE_URL": db.url.render_as_string(hide_password=False), "TESTING": True,
                      "SECRET_KEY": "test", "BPMN_ROOT": str(BPMN), "SMTP": None})
    client = app.test_client()
    old = client.get(f"/verify/{first}")
    page = old.get_data(as_text=True)
    assert old.status_code == 200 and 'data-status="amended"' in page and amended in page
    assert "Bệnh viện Đa khoa Thống Nhất Đồng Nai" in page and "20/03/2031" in page
    current = client.get("/verify", query_string={"number": amended}).get_data(as_text=True)
    assert 'data-status="valid"' in current and "Còn hiệu lực" in current
    clock.freeze(datetime(2031, 3, 21, 3, 0, tzinfo=UTC))
    assert 'data-status="expired"' in client.get(f"/verify/{amended}").get_data(as_text=True)
    unknown = client.get("/verify/99/2026/GP-SKHCN")
    assert unknown.status_code == 404 and "Không tìm thấy" in unknown.get_data(as_text=True)


def test_appointment_notice_of_procedures_8_and_9(service: DossierService, paperwork: Paperwork) -> None:
    from test_appointments import DECIDED, admission, answer, passed

    run = admission(service, "III")
    run.do("unit_council", answer("Trung tâm Ứng dụng tiến bộ KH&CN", "12/QĐ-TTUD", "2026-04-02"))
    run.do("unit_council_result", passed()).do("unit_recognise", answer("Trung tâm", "13/QĐ-TTUD", "2026-04-02"))
    run.do("unit_decide", {**DECIDED, "decided_by": "Giám đốc Trung tâm Ứng dụng tiến bộ KH&CN"})
    data = run.data()
    number, text = issue(paperwork, run, "appointment_notice")
    assert number == data["appointment_notice_number"] == "01/TB-SKHCN"
    assert "Kính gửi: Ông/Bà Phạm Quốc Bảo" in text and "sinh ngày 02/09/1979" in text
    assert "Chức danh nghiên cứu khoa học" in text and "Hạng III: nghiên cứu viên, kỹ sư" in text
    assert "Số 1234/QĐ-UBND ngày 29/05/2026 của Giám đốc Trung tâm Ứng dụng tiến bộ KH&CN" in text
    assert "Căn cứ Luật Khoa học và Công nghệ ngày 18 tháng 6 năm 2013;" in text


def test_refusal_is_signed_by_the_leader_who_decided(service: DossierService, paperwork: Paperwork) -> None:
    run = licence_run(service, [d.device("general", "G1")]).do("check_dossier", d.CHECK_OK)
    run.do("notify_fee", d.fee_notice(3_000_000)).do("record_payment", d.paid(3_000_000))
    run.do("appraise", d.APPRAISE_REFUSE).do("review", d.HEAD_AGREES).do("decide", d.SIGN_REFUSE, actor="lanhdao")
    run.do("refusal_letter", d.REFUSAL)
    number, text = issue(paperwork, run, "refusal")
    assert number == run.data()["refusal_number"] == "01/TCHS-SKHCN"
    assert "1. Không đáp ứng điều kiện che chắn: suất liều tại phòng điều khiển vượt 10 µSv/giờ" in text
    assert "KT. GIÁM ĐỐC PHÓ GIÁM ĐỐC Phạm Minh Tuấn" in text


def test_quantity_mark_stamp_and_its_verification(service: DossierService, paperwork: Paperwork, session: Session,
                                                  ) -> None:
    from test_quantity_marks import DECLARATION, RECEPTION

    from engine.onestop.verification import AMENDED, VALID, verify

    run = Run(service, "quantity_mark_declaration").start("Công ty TNHH Thực phẩm Đồng Nai Xanh")
    run.do("receive", DECLARATION).do("check_dossier", d.CHECK_OK).do("resolve", RECEPTION)
    number, text = issue(paperwork, run, "quantity_mark_declaration")
    assert "Tên cơ sở: Công ty TNHH Thực phẩm Đồng Nai Xanh" in text and "Số 01/2026/CB-DL" in text
    assert "Hạt điều rang muối 500 g 12 g" in text and "Cà phê bột Robusta 250 g 8 g" in text
    assert f"Số: {number}" in text and "Lần tiếp nhận: 1" in text
    run.do("deliver", d.DELIVERED)
    assert verify(session, number).status == VALID

    adjustment = Run(service, "quantity_mark_adjustment").start("Công ty TNHH Thực phẩm Đồng Nai Xanh")
    adjustment.do("receive", {**DECLARATION, "adjustment_reason": "changed", "previous_reception_count": 1,
                              "previous_received_on": "2026-03-02", "changes": "Đổi khối lượng bao bì"})
    adjustment.do("check_dossier", d.CHECK_OK)
    adjustment.do("resolve", {**RECEPTION, "reception_count": 2})
    second, text = issue(paperwork, adjustment, "quantity_mark_declaration")
    assert "Lần tiếp nhận: 2" in text
    adjustment.do("deliver", d.DELIVERED)
    session.rollback()  # a new read transaction sees the adjustment
    assert verify(session, number).status == AMENDED and verify(session, second).status == VALID


def test_declaration_confirmation_names_the_device_in_words(service: DossierService, paperwork: Paperwork) -> None:
    from test_certificate_and_declaration import declaration

    run = Run(service, "xray_declaration").start("Phòng khám Đa khoa Tâm An")
    run.do("receive", declaration(acquired_on="2026-02-25")).do("review", d.CHECK_OK)
    signed(run)
    number, text = issue(paperwork, run, "declaration_confirmation")
    assert number == run.data()["result_number"] == "01/2026/XNKB-SKHCN" and f"Số: {number}" in text
    assert "Tổ chức, cá nhân: Phòng khám Đa khoa Tâm An" in text
    assert "Số 45 đường 30 Tháng 4, phường Trung Dũng" in text
    assert "Máy X-quang kỹ thuật số, model DRX-Evolution" in text and "T-G7701" in text
    assert "Soi, chụp chẩn đoán tổng hợp" in text and "25/02/2026" in text and "general" not in text
    assert "KT. GIÁM ĐỐC PHÓ GIÁM ĐỐC Phạm Minh Tuấn" in text


def test_renewed_licence_has_the_new_validity_and_every_device(service: DossierService, paperwork: Paperwork) -> None:
    first = _issued_licence(service)
    run = Run(service, "radiation_licence_renewal").start("Bệnh viện Đa khoa Thống Nhất Đồng Nai")
    run.do("receive", {**d.APPLICANT, **d.LICENCE, "licence_number": first, "licence_valid_until": "2026-05-10",
                       "devices": d.MIXED_DEVICES})
    # TT 3 h): 75% of the new-licence fee of the same devices, 17,000,000.
    run.do("check_dossier", d.CHECK_OK).do("notify_fee", d.fee_notice(12_750_000))
    _, notice = issue(paperwork, run, "fee_notice")
    assert "Tổng cộng 12.750.000 đồng" in notice and "Mười hai triệu bảy trăm năm mươi nghìn đồng" in notice
    signed(run.do("record_payment", d.paid(12_750_000)), "2031-05-10")
    number, text = issue(paperwork, run, "licence")
    assert number == "02/2026/GP-SKHCN" and f"thay thế giấy phép số {first}" in text
    assert "ngày 10 tháng 05 năm 2031" in text
    assert all(s in text for s in ("T-CT2401", "T-DX2401", "T-DX2402", "T-FL2401"))
