"""The registry of results: what the procedures issued, so that later dossiers refer to it and update it.

- radiation worker certificates (procedure 1);
- licences for radiation work with medical X-ray (2), with their devices and validity, changed by renewal (3),
  amendment (4), supplement (5) and re-issue (6);
- X-ray declaration confirmations (7);
- received quantity-mark declarations (10), with their reception count ("lần tiếp nhận"), raised by every
  adjustment (11).

`record_result(session, dossier, data, entry)` is called by the platform when a dossier completes with
`outcome == "issue"`; `data` is the dossier's process data, `entry` the kind of entry its procedure makes,
as its procedure.json says (`result.registry`, one of RECORDERS, checked at deploy). The keys read:

| procedure | keys |
|---|---|
| all | `outcome`, `result_number` (1-7, from the register book; 10-11: `declaration_number`), `result_issued_on` |
| 1 | `full_name`, `birth_date`, `id_number`, `job` |
| 2 | `applicant_name`, `contact_address`, `result_valid_until`, `devices` (rows of the device declaration) |
| 3 | `licence_number`, `result_valid_until` (the new expiry) |
| 4 | `licence_number`, `new_applicant_name`, `new_address`, `removed_devices` (rows with `tube_serial`) |
| 5 | `licence_number`, `devices` (the new devices) |
| 6 | `licence_number` |

Every change of a licence (3-6) issues a new paper with its own number: the licence is then known by that
number, the one before stays in `previous_number`, and every paper's number stays on its event, so that any
number ever printed finds the licence and tells whether it is still the one in force.
| 7 | `applicant_name`, `acquired_on`, `name`, `model`, `purpose`, `tube_serial` |
| 10, 11 | `declaration_number`, `facility_name`, `goods_group`, `goods`, `reception_count`, `received_stamp_on` |

A dossier that refers to a result the registry does not hold (a licence issued before the platform) gets
the entry created from the dossier's own data, so the registry fills in as the old results come back.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from engine.legal_time.clock import clock
from engine.runtime.db import Base
from engine.runtime.dossier import DossierRef


class WorkerCertificate(Base):
    """Chứng chỉ nhân viên bức xạ (procedure 1)."""

    __tablename__ = "registry_worker_certificate"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(50), unique=True)
    holder_name: Mapped[str] = mapped_column(String(200))
    birth_date: Mapped[date | None]
    id_number: Mapped[str] = mapped_column(String(20), index=True)
    job: Mapped[str] = mapped_column(String(100))
    issued_on: Mapped[date]
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossier.id"))
    recorded_at: Mapped[datetime]


class Licence(Base):
    """Giấy phép tiến hành công việc bức xạ - sử dụng thiết bị X-quang chẩn đoán trong y tế (2-6)."""

    __tablename__ = "registry_licence"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(50), unique=True)
    holder_name: Mapped[str] = mapped_column(String(300))
    address: Mapped[str] = mapped_column(String(500), default="")
    issued_on: Mapped[date]
    valid_until: Mapped[date | None]
    # The number it replaced (re-issue), so that both numbers find the licence.
    previous_number: Mapped[str | None] = mapped_column(String(50))
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossier.id"))
    updated_at: Mapped[datetime]

    devices: Mapped[list[LicenceDevice]] = relationship(
        back_populates="licence", cascade="all, delete-orphan", order_by="LicenceDevice.id"
    )
    events: Mapped[list[LicenceEvent]] = relationship(
        back_populates="licence", cascade="all, delete-orphan", order_by="LicenceEvent.id"
    )

    @property
    def active_devices(self) -> list[LicenceDevice]:
        return [d for d in self.devices if d.removed_on is None]


class LicenceDevice(Base):
    __tablename__ = "registry_licence_device"

    id: Mapped[int] = mapped_column(primary_key=True)
    licence_id: Mapped[int] = mapped_column(ForeignKey("registry_licence.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    model: Mapped[str] = mapped_column(String(100))
    purpose: Mapped[str] = mapped_column(String(30))
    mobility: Mapped[str] = mapped_column(String(10), default="fixed")
    location: Mapped[str] = mapped_column(String(300), default="")
    tube_serial: Mapped[str] = mapped_column(String(100))
    console_serial: Mapped[str] = mapped_column(String(100), default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    added_on: Mapped[date]
    removed_on: Mapped[date | None]
    removal_reason: Mapped[str | None] = mapped_column(String(30))

    licence: Mapped[Licence] = relationship(back_populates="devices")


class LicenceEvent(Base):
    """One change of a licence, by the dossier that made it: issue, renewal, amendment, supplement, re-issue."""

    __tablename__ = "registry_licence_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    licence_id: Mapped[int] = mapped_column(ForeignKey("registry_licence.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossier.id"))
    on: Mapped[date]
    note: Mapped[str] = mapped_column(Text, default="")
    # The number of the paper this change issued.
    number: Mapped[str | None] = mapped_column(String(50), index=True)

    licence: Mapped[Licence] = relationship(back_populates="events")


class DeclarationConfirmation(Base):
    """Giấy xác nhận khai báo thiết bị X-quang chẩn đoán trong y tế (procedure 7)."""

    __tablename__ = "registry_declaration_confirmation"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(50), unique=True)
    holder_name: Mapped[str] = mapped_column(String(300))
    device_name: Mapped[str] = mapped_column(String(200))
    model: Mapped[str] = mapped_column(String(100))
    purpose: Mapped[str] = mapped_column(String(30))
    tube_serial: Mapped[str] = mapped_column(String(100), index=True)
    acquired_on: Mapped[date]
    issued_on: Mapped[date]
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossier.id"))
    recorded_at: Mapped[datetime]


class QuantityMarkDeclaration(Base):
    """Bản công bố sử dụng dấu định lượng đã được Chi cục tiếp nhận (procedures 10, 11)."""

    __tablename__ = "registry_quantity_mark_declaration"
    __table_args__ = (UniqueConstraint("facility_name", "declaration_number", name="uq_quantity_mark_declaration"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    declaration_number: Mapped[str] = mapped_column(String(50))
    facility_name: Mapped[str] = mapped_column(String(300))
    goods_group: Mapped[str] = mapped_column(String(1))
    goods: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Lần tiếp nhận: 1 for the first reception, one more for every adjustment (Mẫu, TT 21/2014/TT-BKHCN).
    reception_count: Mapped[int] = mapped_column(default=1)
    received_on: Mapped[date]
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossier.id"))
    updated_at: Mapped[datetime]


class RegistryError(ValueError):
    """The dossier's data contradicts the registry (e.g. a reception count that skips a number)."""


def record_result(session: Session, dossier: DossierRef, data: dict[str, Any], entry: str) -> Base | None:
    """Record what a completed dossier issued as an `entry` (RECORDERS); returns it, or None when the dossier
    issued nothing or its procedure keeps no entry."""
    if data.get("outcome") != "issue":
        return None
    recorder = RECORDERS.get(entry)
    if recorder is None:
        return None
    entry = recorder(session, dossier, data)
    session.flush()
    return entry


def find_licence(session: Session, number: str) -> Licence | None:
    """A licence by its number, or by the number of any paper that issued or changed it."""
    changed = select(LicenceEvent.licence_id).where(LicenceEvent.number == number)
    return session.scalar(select(Licence).where((Licence.number == number) | (Licence.previous_number == number)
                                                | Licence.id.in_(changed)).limit(1))


def find_quantity_mark_declaration(
    session: Session, facility_name: str, declaration_number: str
) -> QuantityMarkDeclaration | None:
    return session.scalar(select(QuantityMarkDeclaration).where(
        QuantityMarkDeclaration.facility_name == facility_name,
        QuantityMarkDeclaration.declaration_number == declaration_number,
    ))


# -- one recorder per kind of entry ---------------------------------------------------------------------


def _certificate(session: Session, dossier: DossierRef, data: dict[str, Any]) -> WorkerCertificate:
    entry = WorkerCertificate(
        number=data["result_number"], holder_name=data["full_name"], birth_date=data.get("birth_date"),
        id_number=data["id_number"], job=data.get("job", "safety_officer"), issued_on=data["result_issued_on"],
        dossier_id=dossier.id, recorded_at=clock.now(),
    )
    session.add(entry)
    return entry


def _device(row: dict[str, Any], on: date) -> LicenceDevice:
    core = {"name", "model", "purpose", "mobility", "location", "tube_serial", "console_serial"}
    return LicenceDevice(
        name=row["name"], model=row["model"], purpose=row["purpose"], mobility=row.get("mobility", "fixed"),
        location=row.get("location", ""), tube_serial=row["tube_serial"], console_serial=row.get("console_serial", ""),
        details={k: _jsonable(v) for k, v in row.items() if k not in core}, added_on=on,
    )


def _jsonable(value: Any) -> Any:
    """Rows keep dates as ISO text and money as exact text in the JSON column."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _event(
    licence: Licence, kind: str, dossier: DossierRef, on: date, note: str = "", number: str | None = None,
) -> None:
    licence.events.append(LicenceEvent(kind=kind, dossier_id=dossier.id, on=on, note=note, number=number))
    licence.dossier_id = dossier.id
    licence.updated_at = clock.now()


def _licence_issue(session: Session, dossier: DossierRef, data: dict[str, Any]) -> Licence:
    on = data["result_issued_on"]
    licence = Licence(
        number=data["result_number"], holder_name=data["applicant_name"], address=data.get("contact_address", ""),
        issued_on=on, valid_until=data.get("result_valid_until"), dossier_id=dossier.id, updated_at=clock.now(),
        devices=[_device(row, on) for row in data.get("devices", [])],
    )
    session.add(licence)
    _event(licence, "issue", dossier, on, number=data["result_number"])
    return licence


def _referred_licence(session: Session, data: dict[str, Any]) -> Licence:
    """The licence a dossier of procedures 3-6 refers to; created from the dossier if issued before the
    platform existed."""
    licence = find_licence(session, data["licence_number"])
    if licence is None:
        licence = Licence(
            number=data["licence_number"], holder_name=data["applicant_name"],
            address=data.get("contact_address", ""), issued_on=data["licence_issued_on"],
            valid_until=data.get("licence_valid_until"), updated_at=clock.now(),
        )
        session.add(licence)
    return licence


def _renumber(licence: Licence, data: dict[str, Any]) -> str | None:
    """The licence takes the number of the paper this dossier issued; the one before is kept."""
    new_number = data.get("result_number")
    if new_number and new_number != licence.number:
        licence.previous_number, licence.number = licence.number, new_number
    return new_number


def _licence_renewal(session: Session, dossier: DossierRef, data: dict[str, Any]) -> Licence:
    licence = _referred_licence(session, data)
    if not licence.devices:
        licence.devices = [_device(row, licence.issued_on) for row in data.get("devices", [])]
    before = licence.valid_until
    licence.valid_until = data["result_valid_until"]
    _event(licence, "renewal", dossier, data["result_issued_on"], f"{before} → {licence.valid_until}",
           _renumber(licence, data))
    return licence


def _licence_amendment(session: Session, dossier: DossierRef, data: dict[str, Any]) -> Licence:
    licence = _referred_licence(session, data)
    on = data["result_issued_on"]
    if data.get("new_applicant_name"):
        licence.holder_name = data["new_applicant_name"]
    if data.get("new_address"):
        licence.address = data["new_address"]
    removed = {r["tube_serial"]: r["reason"] for r in data.get("removed_devices", [])}
    for device in licence.active_devices:
        if device.tube_serial in removed:
            device.removed_on = on
            device.removal_reason = removed[device.tube_serial]
    _event(licence, "amendment", dossier, on, "; ".join(c["content"] for c in data.get("changes", [])),
           _renumber(licence, data))
    return licence


def _licence_supplement(session: Session, dossier: DossierRef, data: dict[str, Any]) -> Licence:
    licence = _referred_licence(session, data)
    on = data["result_issued_on"]
    licence.devices.extend(_device(row, on) for row in data.get("devices", []))
    _event(licence, "supplement", dossier, on, f"{len(data.get('devices', []))} thiết bị bổ sung",
           _renumber(licence, data))
    return licence


def _licence_reissue(session: Session, dossier: DossierRef, data: dict[str, Any]) -> Licence:
    licence = _referred_licence(session, data)
    _event(licence, "reissue", dossier, data["result_issued_on"], data.get("reissue_reason", ""),
           _renumber(licence, data))
    return licence


def _declaration(session: Session, dossier: DossierRef, data: dict[str, Any]) -> DeclarationConfirmation:
    entry = DeclarationConfirmation(
        number=data["result_number"], holder_name=data["applicant_name"], device_name=data["name"],
        model=data["model"], purpose=data["purpose"], tube_serial=data["tube_serial"],
        acquired_on=data["acquired_on"], issued_on=data["result_issued_on"], dossier_id=dossier.id,
        recorded_at=clock.now(),
    )
    session.add(entry)
    return entry


def _quantity_mark(session: Session, dossier: DossierRef, data: dict[str, Any]) -> QuantityMarkDeclaration:
    entry = find_quantity_mark_declaration(session, data["facility_name"], data["declaration_number"])
    count = int(data["reception_count"])
    if entry is None:
        entry = QuantityMarkDeclaration(
            declaration_number=data["declaration_number"], facility_name=data["facility_name"],
            reception_count=count, received_on=data["received_stamp_on"],
        )
        session.add(entry)
    elif count != entry.reception_count + 1:
        raise RegistryError(
            f"lần tiếp nhận {count} không liền sau lần {entry.reception_count} đã ghi của bản công bố "
            f"số {entry.declaration_number}"
        )
    entry.reception_count = count
    entry.received_on = data["received_stamp_on"]
    entry.goods_group = data["goods_group"]
    entry.goods = [{k: _jsonable(v) for k, v in row.items()} for row in data.get("goods", [])]
    entry.dossier_id = dossier.id
    entry.updated_at = clock.now()
    return entry


# The kinds of entry a procedure's sheet may name as `result.registry`.
RECORDERS: dict[str, Callable[[Session, DossierRef, dict[str, Any]], Base]] = {
    "worker_certificate": _certificate,
    "licence_issue": _licence_issue,
    "licence_renewal": _licence_renewal,
    "licence_amendment": _licence_amendment,
    "licence_supplement": _licence_supplement,
    "licence_reissue": _licence_reissue,
    "declaration": _declaration,
    "quantity_mark": _quantity_mark,
}


# -- what a result paper prints ---------------------------------------------------------------------

_VIEW_COLUMNS = {
    WorkerCertificate: ("number", "holder_name", "birth_date", "id_number", "job", "issued_on"),
    Licence: ("number", "previous_number", "holder_name", "address", "issued_on", "valid_until"),
    DeclarationConfirmation: ("number", "holder_name", "device_name", "model", "purpose", "tube_serial",
                              "acquired_on", "issued_on"),
    QuantityMarkDeclaration: ("declaration_number", "facility_name", "goods_group", "goods", "reception_count",
                              "received_on"),
}
_DEVICE_COLUMNS = ("name", "model", "purpose", "mobility", "location", "tube_serial", "console_serial", "added_on")


def entry_view(entry: Base) -> dict[str, Any]:
    """A registry entry as plain values (what a paper or the verification page shows)."""
    view = {column: getattr(entry, column) for column in _VIEW_COLUMNS[type(entry)]}
    if isinstance(entry, Licence):
        view["devices"] = [{column: getattr(d, column) for column in _DEVICE_COLUMNS} | dict(d.details or {})
                           for d in entry.active_devices]
    return view


def preview_result(session: Session, dossier: DossierRef, data: dict[str, Any], entry: str) -> dict[str, Any] | None:
    """The registry entry as it will stand once this dossier's result is recorded, without recording it.

    The procedure's recorder runs inside a savepoint that is rolled back: the result paper, printed before
    the dossier completes, lists exactly what the registry will then hold (an amended licence in the new
    name with the devices still in force, a supplemented one with the old devices and the new).
    `entry` is the procedure's `result.registry`. None when the data does not yet say enough to record a
    result.
    """
    recorder = RECORDERS.get(entry)
    if recorder is None:
        return None
    savepoint = session.begin_nested()
    try:
        entry = recorder(session, dossier, dict(data))
        session.flush()
        return entry_view(entry)
    except (KeyError, TypeError, RegistryError):
        return None
    finally:
        savepoint.rollback()
