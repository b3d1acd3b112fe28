"""Attachments: the papers of a dossier's checklist (thành phần hồ sơ), scanned or uploaded.

The row (with the content's hash) is saved in the same transaction as the audit event that records it;
the content lives in the file store (engine.runtime.file_store), written before that transaction commits.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.legal_time.clock import clock
from engine.runtime import audit
from engine.runtime.db import Base
from engine.runtime.errors import InvalidData
from engine.runtime.file_store import file_store

MAX_BYTES = 20 * 1024 * 1024
MAX_FILES = 30
# What an office scans or receives: extension → (MIME type, the bytes such a file starts with).
ALLOWED: dict[str, tuple[str, tuple[bytes, ...]]] = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    "doc": ("application/msword", (b"\xd0\xcf\x11\xe0",)),
    "xls": ("application/vnd.ms-excel", (b"\xd0\xcf\x11\xe0",)),
}
TOO_BIG = "Tệp quá lớn (tối đa 20 MB)"
BAD_TYPE = "Chỉ nhận tệp PDF, JPG, PNG, DOC, DOCX, XLS, XLSX"
NOT_WHAT_IT_SAYS = "Nội dung tệp không đúng với phần mở rộng của tên tệp"
EMPTY = "Tệp rỗng"
TOO_MANY = f"Tối đa {MAX_FILES} tệp mỗi lần"


class Attachment(Base):
    __tablename__ = "attachment"
    __table_args__ = (Index("ix_attachment_dossier", "dossier_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"))
    # The checklist item it stands for (procedure.json's document key), or "" when not said.
    item: Mapped[str] = mapped_column(String(100), default="")
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime]
    uploaded_by: Mapped[str] = mapped_column(String(100))

    @property
    def content(self) -> bytes:
        return file_store().get(self.sha256)


@dataclass(frozen=True)
class Upload:
    """A file as received from a form, before it is checked."""

    field: str  # where it came from, for the error message
    item: str
    filename: str
    content: bytes


MAX_FILENAME = 200


def safe_filename(name: str) -> str:
    """The last path part, kept readable in Vietnamese, without control or format characters: a right-to-left
    override makes "hoa-don\u202efdp.exe" read as "hoa-donexe.pdf". A long name is cut in its stem, so that
    its extension (what the file is) stays."""
    name = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(c for c in name if unicodedata.category(c) not in ("Cc", "Cf") and c not in '"<>:|?*')
    name = name.strip(" .")
    if len(name) > MAX_FILENAME:
        stem, dot, extension = name.rpartition(".")
        if dot and stem and 0 < len(extension) <= 10:
            name = stem[:MAX_FILENAME - len(extension) - 1].rstrip(" .") + "." + extension
        else:
            name = name[:MAX_FILENAME]
    return name or "tep"


def check_uploads(uploads: list[Upload]) -> list[tuple[Upload, str]]:
    """Each upload with its MIME type, or InvalidData naming every refused file by its field."""
    errors: dict[str, str] = {}
    if len(uploads) > MAX_FILES:
        raise InvalidData(TOO_MANY, fields={"files": TOO_MANY})
    checked = []
    for upload in uploads:
        filename = safe_filename(upload.filename)  # the name as it will be kept and shown
        extension = filename.rsplit(".", 1)[-1].casefold() if "." in filename else ""
        if extension not in ALLOWED:
            errors[upload.field] = BAD_TYPE
        elif not upload.content:
            errors[upload.field] = EMPTY
        elif len(upload.content) > MAX_BYTES:
            errors[upload.field] = TOO_BIG
        elif not upload.content.startswith(ALLOWED[extension][1]):
            errors[upload.field] = NOT_WHAT_IT_SAYS
        else:
            checked.append((upload, ALLOWED[extension][0]))
    if errors:
        raise InvalidData("Có tệp đính kèm không hợp lệ", fields=errors)
    return checked


def add_attachments(session: Session, dossier_id: int, uploads: list[Upload], actor: str) -> list[Attachment]:
    """Store checked uploads with one audit event; the caller commits."""
    now = clock.now()
    rows = []
    for upload, content_type in check_uploads(uploads):
        row = Attachment(
            dossier_id=dossier_id, item=upload.item, filename=safe_filename(upload.filename),
            content_type=content_type, size=len(upload.content),
            sha256=file_store().put(upload.content),
            uploaded_at=now, uploaded_by=actor,
        )
        session.add(row)
        rows.append(row)
    if rows:
        session.flush()
        audit.record(session, actor=actor, command="attach", dossier_id=dossier_id,
                     data={"files": [{"id": r.id, "item": r.item, "filename": r.filename, "size": r.size}
                                     for r in rows]})
    return rows


def attachments_of(session: Session, dossier_id: int) -> list[Attachment]:
    """The dossier's attachments, oldest first, without their content."""
    return list(session.scalars(select(Attachment).where(Attachment.dossier_id == dossier_id)
                                .order_by(Attachment.id)))


def attachment(session: Session, dossier_id: int, attachment_id: int) -> Attachment | None:
    row = session.get(Attachment, attachment_id)
    return row if row is not None and row.dossier_id == dossier_id else None
