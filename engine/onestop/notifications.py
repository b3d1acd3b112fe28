"""E-mail to the applicant at the steps the law says they are told of: receipt, supplement request, fee
notice, result (and refusal or apology, which are results of a kind). Plain SMTP through `smtplib`.

Configured by environment: MOTCUA_SMTP_HOST (no host: nothing is sent), MOTCUA_SMTP_PORT (25),
MOTCUA_SMTP_SENDER, MOTCUA_SMTP_USER and MOTCUA_SMTP_PASSWORD (optional), MOTCUA_SMTP_STARTTLS (1 to
upgrade the connection). A failed send never undoes the officer's work: the caller records it and goes on.
"""

from __future__ import annotations

import logging
import os
import smtplib
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

log = logging.getLogger(__name__)

SUBJECTS = {
    "receipt": "Tiếp nhận hồ sơ {code}",
    "supplement_request": "Yêu cầu bổ sung, hoàn thiện hồ sơ {code}",
    "fee_notice": "Thông báo nộp phí, lệ phí hồ sơ {code}",
    "refusal": "Thông báo từ chối giải quyết hồ sơ {code}",
    "apology": "Thư xin lỗi và hẹn lại ngày trả kết quả hồ sơ {code}",
    "result": "Kết quả giải quyết hồ sơ {code}",
}
OPENINGS = {
    "receipt": "Sở đã tiếp nhận hồ sơ {procedure} của Quý tổ chức, cá nhân. Giấy tiếp nhận hồ sơ và hẹn trả "
               "kết quả được gửi kèm thư này.",
    "supplement_request": "Hồ sơ {procedure} chưa đầy đủ, hợp lệ. Đề nghị bổ sung, hoàn thiện theo phiếu "
                          "yêu cầu gửi kèm. Thời gian bổ sung không tính vào thời hạn giải quyết.",
    "fee_notice": "Hồ sơ {procedure} đã đầy đủ, hợp lệ. Đề nghị nộp phí, lệ phí theo thông báo gửi kèm.",
    "refusal": "Sở từ chối giải quyết hồ sơ {procedure}; lý do được nêu trong phiếu gửi kèm.",
    "apology": "Sở chưa trả kết quả hồ sơ {procedure} đúng hẹn; thư xin lỗi và ngày hẹn mới được gửi kèm.",
    "result": "Hồ sơ {procedure} đã được giải quyết. Kết quả được gửi kèm thư này; bản chính được trả theo "
              "hình thức Quý tổ chức, cá nhân đã đăng ký.",
}


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 25
    sender: str = "motcua@localhost"
    sender_name: str = "Sở Khoa học và Công nghệ tỉnh Đồng Nai"
    username: str = ""
    password: str = ""
    starttls: bool = False
    timeout: float = 10.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> SmtpSettings | None:
        host = environ.get("MOTCUA_SMTP_HOST", "").strip()
        if not host:
            return None
        return cls(
            host=host,
            port=int(environ.get("MOTCUA_SMTP_PORT", "25")),
            sender=environ.get("MOTCUA_SMTP_SENDER", "motcua@localhost"),
            username=environ.get("MOTCUA_SMTP_USER", ""),
            password=environ.get("MOTCUA_SMTP_PASSWORD", ""),
            starttls=environ.get("MOTCUA_SMTP_STARTTLS", "") == "1",
        )


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mime: str = "application/pdf"


@dataclass(frozen=True)
class Sent:
    """What became of a notification: the Message-ID when sent, else why not."""

    to: str
    subject: str
    message_id: str | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.message_id is not None


def notice_kind(document_kind: str, is_result: bool) -> str | None:
    if is_result:
        return "result"
    return document_kind if document_kind in SUBJECTS else None


def compose(settings: SmtpSettings, to: str, kind: str, *, code: str, procedure: str, applicant: str,
            attachments: list[Attachment], message_id: str | None = None, extra: str = "") -> EmailMessage:
    """The applicant's mail of `kind`; `extra` replaces the tracking line (e.g. the secret of an online
    dossier), `message_id` makes a mail sent again recognisable as the same one."""
    message = EmailMessage()
    message["From"] = formataddr((settings.sender_name, settings.sender))
    message["To"] = to
    message["Subject"] = SUBJECTS[kind].format(code=code)
    message["Message-ID"] = message_id or make_msgid(domain=mail_domain(settings))
    message.set_content(
        f"Kính gửi {applicant},\n\n"
        + OPENINGS[kind].format(procedure=procedure)
        + f"\n\nMã hồ sơ: {code}\n"
        + (extra or "Tra cứu tình trạng hồ sơ trên Cổng dịch vụ công của tỉnh bằng mã hồ sơ này.\n")
        + "\nTrân trọng,\n" + settings.sender_name + "\n\n"
        "(Thư được gửi tự động, xin không trả lời thư này.)\n"
    )
    for item in attachments:
        maintype, _, subtype = item.mime.partition("/")
        message.add_attachment(item.content, maintype=maintype, subtype=subtype, filename=item.filename)
    return message


def mail_domain(settings: SmtpSettings) -> str:
    return settings.sender.rsplit("@", 1)[-1] or "localhost"


def send(settings: SmtpSettings | None, message: EmailMessage) -> Sent:
    to, subject = str(message["To"]), str(message["Subject"])
    if settings is None:
        return Sent(to, subject, None, "no SMTP server configured (MOTCUA_SMTP_HOST)")
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
            if settings.starttls:
                smtp.starttls()
            if settings.username:
                smtp.login(settings.username, settings.password)
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as err:
        log.warning("e-mail to %s not sent: %s", to, err)
        return Sent(to, subject, None, f"{type(err).__name__}: {err}")
    return Sent(to, subject, str(message["Message-ID"]))
