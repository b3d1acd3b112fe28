"""Realistic dossiers: Đồng Nai hospitals, clinics and producers, with the people and devices in them."""

from __future__ import annotations

from typing import Any

APPLICANT: dict[str, Any] = {
    "submission_channel": "online",
    "applicant_name": "Bệnh viện Đa khoa Thống Nhất Đồng Nai",
    "contact_address": "Số 234 Quốc lộ 1A, phường Tân Biên, thành phố Biên Hòa, tỉnh Đồng Nai",
    "phone": "0251 3883 660",
    "fax": "0251 3883 661",
    "email": "bvthongnhat@dongnai.gov.vn",
    "head_name": "Nguyễn Văn Hùng",
    "head_position": "Giám đốc",
    "head_id_number": "075068001234",
    "head_id_issued_on": "2021-06-15",
    "head_id_issued_by": "Cục Cảnh sát quản lý hành chính về trật tự xã hội",
}
# The radiation work a licence dossier asks to carry out.
WORKS = [{"name": "Sử dụng thiết bị X-quang chẩn đoán trong y tế", "place": "Khoa Chẩn đoán hình ảnh"}]


def device(purpose: str, serial: str, **extra: Any) -> dict[str, Any]:
    names = {
        "ct": ("Máy chụp cắt lớp vi tính 128 lát", "Revolution EVO", "GE Healthcare, Hoa Kỳ", 140, 500),
        "dental": ("Máy X-quang chụp răng", "Rotograph Prime", "Villa Sistemi Medicali, Italia", 70, 8),
        "fluoroscopy": ("Máy X-quang tăng sáng truyền hình C-arm", "Cios Alpha", "Siemens Healthineers, Đức", 110, 250),
        "general": ("Máy X-quang kỹ thuật số", "DRX-Evolution", "Carestream Health, Hoa Kỳ", 150, 800),
        "mammography": ("Máy chụp X-quang vú", "Amulet Innovality", "Fujifilm, Nhật Bản", 49, 200),
    }
    name, model, maker, kv, ma = names[purpose]
    row = {
        "name": name, "model": model, "maker": maker, "year": 2024, "max_kv": kv, "max_ma": ma,
        "purpose": purpose, "mobility": "fixed", "location": "Khoa Chẩn đoán hình ảnh, tầng 1, nhà B",
        "tube_model": f"{model}-T", "tube_serial": f"T-{serial}", "tube_maker": maker, "tube_year": 2024,
        "console_model": f"{model}-C", "console_serial": f"C-{serial}", "console_maker": maker, "console_year": 2024,
    }
    if purpose == "fluoroscopy":
        row.update(intensifier_model="II-30", intensifier_serial=f"I-{serial}", intensifier_maker=maker,
                   intensifier_year=2024)
    row.update(extra)
    return row


# 1 CT + 2 dental + 1 fluoroscopy: 8,000,000 + 2 × 2,000,000 + 5,000,000 = 17,000,000 VND (TT 2 h).
MIXED_DEVICES = [device("ct", "CT2401"), device("dental", "DX2401"), device("dental", "DX2402"),
                 device("fluoroscopy", "FL2401")]

SAFETY_OFFICER: dict[str, Any] = {
    "so_name": "Trần Thị Mai",
    "so_birth_date": "1985-04-12",
    "so_sex": "nu",
    "so_id_number": "075185004321",
    "so_id_issued_on": "2021-08-20",
    "so_id_issued_by": "Cục Cảnh sát quản lý hành chính về trật tự xã hội",
    "so_training_field": "Kỹ thuật hình ảnh y học",
    "so_department": "Khoa Chẩn đoán hình ảnh",
    "so_phone": "0913 456 789",
    "so_appointment_number": "125/QĐ-BVTN",
    "so_appointment_date": "2026-01-05",
    "so_training_cert_number": "ATBX-2025-0312",
    "so_training_cert_date": "2025-11-20",
    "so_training_cert_issuer": "Viện Khoa học và Kỹ thuật hạt nhân",
    "so_worker_cert_number": "CC-NVBX-0421/ĐN",
    "so_worker_cert_date": "2025-12-10",
    "so_worker_cert_issuer": "Sở Khoa học và Công nghệ tỉnh Đồng Nai",
    "workers": [{
        "name": "Lê Quang Vinh", "birth_year": 1990, "sex": "nam", "training_cert_number": "ATBX-2025-0313",
        "training_cert_date": "2025-11-20", "training_cert_issuer": "Viện Khoa học và Kỹ thuật hạt nhân",
        "training_field": "Kỹ thuật viên X-quang", "job": "Vận hành máy CT",
    }],
}

LICENCE = {"licence_number": "15/GP-SKHCN", "licence_issued_on": "2021-05-10", "licence_valid_until": "2026-05-10"}

CHECK_OK = {"dossier_complete": True}
CHECK_MISSING = {
    "dossier_complete": False,
    "missing_items": [{"item": "Bản sao Biên bản kiểm xạ", "issue": "Chưa nộp biên bản kiểm xạ phòng CT"}],
}
SUPPLEMENT_REQUEST = {"request_date": "2026-03-04",
                      "request_content": "Đề nghị bổ sung bản sao Biên bản kiểm xạ phòng đặt máy CT."}
SUPPLEMENT_RECEIVED = {"supplement_received_on": "2026-03-16", "supplement_channel": "online"}
APPRAISE_ISSUE = {"recommendation": "issue", "findings": "Hồ sơ đáp ứng các điều kiện theo Nghị định 142/2020/NĐ-CP."}
APPRAISE_REFUSE = {"recommendation": "refuse", "findings": "Suất liều tại phòng điều khiển vượt 10 µSv/giờ."}
HEAD_AGREES = {"head_agrees": True}
SIGN_ISSUE = {"outcome": "issue", "signed_by": "Phó Giám đốc Phạm Minh Tuấn", "signed_on": "2026-03-20"}
SIGN_REFUSE = {"outcome": "refuse", "signed_by": "Phó Giám đốc Phạm Minh Tuấn", "signed_on": "2026-03-20"}
REFUSAL = {"refusal_date": "2026-03-23",
           "refusal_reasons": "Không đáp ứng điều kiện che chắn: suất liều tại phòng điều khiển vượt 10 µSv/giờ "
                              "(Báo cáo đánh giá an toàn, Phần III)."}
DELIVERED = {"delivery": "email", "delivered_on": "2026-03-24",
             "delivery_reference": "bvthongnhat@dongnai.gov.vn"}


def paid(amount: int, on: str = "2026-03-02") -> dict[str, Any]:
    return {"fee_paid": amount, "fee_paid_on": on, "fee_receipt_number": "BL-0002315", "fee_payment_method": "transfer"}


def fee_notice(amount: int, on: str = "2026-03-04") -> dict[str, Any]:
    return {"fee_notice_date": on, "fee_notified": amount}


def issued(on: str = "2026-03-20", valid_until: str | None = None) -> dict[str, Any]:
    """The result step: its number comes from the register book, never from the officer."""
    data: dict[str, Any] = {"result_issued_on": on}
    if valid_until:
        data["result_valid_until"] = valid_until
    return data
