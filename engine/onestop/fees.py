"""Money a step records: the notified fee against the computed one, the payment against the notice.

Circular 287/2016/TT-BTC fixes the fees (dmn/radiation_fees.dmn computes them into `fee_amount`); the fee
notice is prefilled with that amount, and an officer who notifies another one must say why (the reason is
kept with the step in the audit trail). The appraisal time only runs from the receipt of the fee (TT 1-3
a), Bước 3), so a payment below the notified fee does not complete the payment step: the dossier keeps
waiting, with a message that says how much is missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from engine.onestop.vietnamese_text import money
from engine.runtime.errors import InvalidData

FEE_REFUSED = "Số tiền phí, lệ phí chưa đúng, xin xem các trường được đánh dấu"


def _amount(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool) or str(value).strip() == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def check_fee_step(submitted: Mapping[str, Any], known: Mapping[str, Any]) -> None:
    """Raise InvalidData naming the field when the step's amounts disagree with the dossier's."""
    problems: dict[str, str] = {}
    notified = _amount(submitted.get("fee_notified"))
    computed = _amount(known.get("fee_amount"))
    if notified is not None and computed is not None and notified != computed \
            and not str(submitted.get("fee_change_reason") or "").strip():
        problems["fee_change_reason"] = (f"Số tiền thông báo {money(notified)} khác mức phí tính theo quy định "
                                         f"{money(computed)}: xin ghi lý do thay đổi.")
    paid = _amount(submitted.get("fee_paid"))
    due = _amount(known.get("fee_notified"))
    if paid is not None and due is not None and paid < due:
        problems["fee_paid"] = (f"Số tiền đã nộp {money(paid)} thấp hơn số tiền đã thông báo {money(due)} "
                                f"(còn thiếu {money(due - paid)}): hồ sơ tiếp tục chờ nộp đủ phí, lệ phí.")
    if problems:
        raise InvalidData(FEE_REFUSED, fields=problems)
