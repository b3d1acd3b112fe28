"""Money a step records: the notified fee against the computed one, the payment against the notice.

Circular 287/2016/TT-BTC fixes the fees (dmn/radiation_fees.dmn computes them into `fee_amount`); the fee
notice is prefilled with that amount, and an officer who notifies another one must say why (the reason is
kept with the step in the audit trail). The appraisal time only runs from the receipt of the fee (TT 1-3
a), Bước 3), so a payment below the notified fee does not complete the payment step: the dossier keeps
waiting, with a message that says how much is missing.

Every notice and payment is also kept in the fee ledger (`fee_entry`), from which the supervisor reads the
fees notified and collected per procedure and month.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import ForeignKey, Index, Numeric, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.legal_time.clock import clock
from engine.onestop.vietnamese_text import local, money
from engine.runtime.db import Base
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


@dataclass(frozen=True)
class FeeCheckedForm:
    """A form whose data is also held to the dossier's fee notice: a payment the payment platform confirms
    by message is checked as the desk's step is (check_fee_step), so an underpayment keeps the dossier waiting
    whichever way the money came. `known` gives the dossier's data when the form is used."""

    form: Any
    known: Callable[[], Mapping[str, Any]]

    def validate(self, data: Mapping[str, Any]) -> dict[str, Any]:
        valid = self.form.validate(data)
        check_fee_step(valid, self.known())
        return valid


NOTIFIED, PAID = "notified", "paid"


class FeeEntry(Base):
    """One fee notice or one payment of a dossier, as the step recorded it."""

    __tablename__ = "fee_entry"
    __table_args__ = (Index("ix_fee_entry_on", "on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), index=True)
    process_id: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10))  # notified | paid
    amount: Mapped[Decimal] = mapped_column(Numeric(15, 0))
    computed: Mapped[Decimal | None] = mapped_column(Numeric(15, 0))  # the fee the decision computed
    on: Mapped[date]  # the notice's date, or the day the money was paid
    receipt_number: Mapped[str] = mapped_column(String(50), default="")
    method: Mapped[str] = mapped_column(String(20), default="")
    reason: Mapped[str] = mapped_column(Text, default="")  # why a notice differs from the computed fee
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime]


def record_fee_step(session: Session, dossier_id: int, process_id: str, submitted: Mapping[str, Any],
                    known: Mapping[str, Any], actor: str) -> None:
    """Enter the step's notice or payment in the ledger, in the step's transaction."""
    today = local(clock.now()).date()
    notified, paid = _amount(submitted.get("fee_notified")), _amount(submitted.get("fee_paid"))
    common = {"dossier_id": dossier_id, "process_id": process_id, "recorded_by": actor, "recorded_at": clock.now()}
    if notified is not None:
        session.add(FeeEntry(kind=NOTIFIED, amount=notified, computed=_amount(known.get("fee_amount")),
                             on=submitted.get("fee_notice_date") or today,
                             reason=str(submitted.get("fee_change_reason") or ""), **common))
    if paid is not None:
        session.add(FeeEntry(kind=PAID, amount=paid, on=submitted.get("fee_paid_on") or today,
                             receipt_number=str(submitted.get("fee_receipt_number") or ""),
                             method=str(submitted.get("fee_payment_method") or ""), **common))


@dataclass
class FeeRow:
    process_id: str
    name: str
    month: str  # YYYY-MM
    notices: int = 0
    notified: Decimal = Decimal(0)
    payments: int = 0
    collected: Decimal = Decimal(0)


def fee_report(session: Session, start: date, end: date, names: Mapping[str, str]) -> list[FeeRow]:
    """Fees notified and collected per procedure and month, by the dates of the notices and payments."""
    rows: dict[tuple[str, str], FeeRow] = {}
    entries = session.scalars(select(FeeEntry).where(FeeEntry.on >= start, FeeEntry.on <= end))
    for entry in entries:
        key = (entry.process_id, f"{entry.on:%Y-%m}")
        row = rows.setdefault(key, FeeRow(entry.process_id, names.get(entry.process_id, entry.process_id), key[1]))
        if entry.kind == NOTIFIED:
            row.notices += 1
            row.notified += entry.amount
        else:
            row.payments += 1
            row.collected += entry.amount
    return sorted(rows.values(), key=lambda r: (r.month, r.name))


FEE_COLUMNS = (("month", "Tháng", "Month"), ("name", "Thủ tục", "Procedure"),
               ("notices", "Số thông báo", "Notices"), ("notified", "Số tiền thông báo (đồng)", "Notified (VND)"),
               ("payments", "Số lần nộp", "Payments"), ("collected", "Số tiền đã thu (đồng)", "Collected (VND)"))


def _fee_table(rows: list[FeeRow], english: bool) -> list[list[Any]]:
    table: list[list[Any]] = [[en if english else vi for _attr, vi, en in FEE_COLUMNS]]
    table.extend([getattr(row, attr) if not isinstance(getattr(row, attr), Decimal) else int(getattr(row, attr))
                  for attr, _vi, _en in FEE_COLUMNS] for row in rows)
    table.append(["Total" if english else "Tổng cộng", "", sum(r.notices for r in rows),
                  int(sum((r.notified for r in rows), Decimal(0))), sum(r.payments for r in rows),
                  int(sum((r.collected for r in rows), Decimal(0)))])
    return table


def fees_csv(rows: list[FeeRow], english: bool = False) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel shows the Vietnamese letters."""
    out = io.StringIO()
    csv.writer(out).writerows(_fee_table(rows, english))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def fees_xlsx(rows: list[FeeRow], english: bool = False) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "Phi le phi"
    for line in _fee_table(rows, english):
        sheet.append(line)
    for cell in (*sheet[1], *sheet[sheet.max_row]):
        cell.font = Font(bold=True)
    sheet.column_dimensions["B"].width = 60
    for column in "CDEF":
        sheet.column_dimensions[column].width = 18
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
