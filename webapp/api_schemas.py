"""The shapes of the public API (webapp.api): marshmallow schemas that both shape the answers and, through
apispec, make the OpenAPI document, so that the document cannot drift from what the API sends.

Requests are loaded with Vietnamese messages per field, keyed by path like the forms' (`documents.0.content`).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from engine.runtime.attachment import MAX_BYTES, MAX_FILES
from engine.runtime.bounded_number import within_bounds
from engine.runtime.forms import REQUIRED, UNKNOWN
from engine.runtime.message_events import MESSAGE_NAME

NOT_BASE64 = "Nội dung tệp phải được mã hoá base64"
NOT_TEXT = "Giá trị phải là chuỗi ký tự"
NOT_OBJECT = "Phải là một tập các trường (đối tượng JSON)"
NOT_LIST = "Phải là một danh sách"
NOT_INTEGER = "Giá trị phải là số nguyên"
TOO_LONG = "Quá dài"
NOT_INSTANT = "Cần thời điểm ISO 8601 có múi giờ, ví dụ 2026-03-02T09:00:00+07:00"
# base64 makes 3 bytes into 4 characters: refuse a longer text before decoding it.
MAX_BASE64 = (MAX_BYTES + 2) // 3 * 4


def plain(value: Any) -> Any:
    """Process data as plain JSON: money and numbers as numbers, dates as ISO text."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, Decimal):
        if not within_bounds(value):
            return str(value)  # stored before numbers were bounded: its digits would take seconds to write
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def flat_messages(messages: Any, prefix: str = "") -> dict[str, str]:
    """marshmallow's nested messages as one message per field path."""
    if isinstance(messages, list | tuple):
        first = messages[0] if messages else ""
        return flat_messages(first, prefix) if isinstance(first, dict) else {prefix: str(first)}
    if not isinstance(messages, dict):
        return {prefix: str(messages)}
    flat: dict[str, str] = {}
    for key, value in messages.items():
        flat.update(flat_messages(value, f"{prefix}.{key}" if prefix else str(key)))
    return flat


class ApiSchema(Schema):
    class Meta:
        unknown = RAISE

    error_messages = {"unknown": UNKNOWN, "type": NOT_OBJECT}


def _messages(**extra: str) -> dict[str, str]:
    return {"required": REQUIRED, "null": REQUIRED, **extra}


class Base64File(fields.Field):
    """File content as base64 text; loads to bytes."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bytes:
        if not isinstance(value, str):
            raise ValidationError(NOT_BASE64)
        if len(value) > MAX_BASE64:
            raise ValidationError("Tệp quá lớn (tối đa 20 MB)")
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationError(NOT_BASE64) from None


# -- answers ------------------------------------------------------------------------------------------------


class ErrorSchema(Schema):
    error = fields.String(required=True, metadata={"description": "The kind of error, one word"})
    message = fields.String(required=True, metadata={"description": "What went wrong, for a person (Vietnamese)"})
    field_errors = fields.Dict(keys=fields.String(), values=fields.String(), data_key="fields",
                               metadata={"description": "One message per wrong field, keyed by its path"})


class LabelSchema(Schema):
    vi = fields.String(required=True)
    en = fields.String(required=True)


class DurationSchema(Schema):
    amount = fields.Integer(required=True)
    unit = fields.String(required=True, validate=validate.OneOf(["working-days", "calendar-days"]))


class OptionSchema(Schema):
    value = fields.String(required=True)
    label = fields.Nested(LabelSchema, required=True)


class Bound(fields.Field):
    """A field's min or max: a number, a row count, or an ISO date."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        return plain(value)


class ColumnSchema(Schema):
    name = fields.String(required=True)
    type = fields.String(required=True, metadata={"description": "text, textarea, date, number, money, integer, "
                                                                 "select, multiselect, checkbox, email, phone, "
                                                                 "id_number or table"})
    label = fields.Nested(LabelSchema, required=True)
    required = fields.Boolean(required=True)
    options = fields.List(fields.Nested(OptionSchema))
    min = Bound(allow_none=True)
    max = Bound(allow_none=True)
    max_length = fields.Integer(allow_none=True)
    pattern = fields.String(allow_none=True)
    help = fields.Nested(LabelSchema, allow_none=True)


class FieldSchema(ColumnSchema):
    columns = fields.List(fields.Nested(ColumnSchema), metadata={"description": "The columns of a table field"})


class FormSchema(Schema):
    id = fields.String(required=True)
    title = fields.Nested(LabelSchema, required=True)
    description = fields.Nested(LabelSchema, allow_none=True)
    fields_ = fields.List(fields.Nested(FieldSchema), required=True, data_key="fields")


class PaperSchema(Schema):
    key = fields.String(required=True, metadata={"description": "The `item` of an uploaded document"})
    label = fields.Nested(LabelSchema, required=True)
    required = fields.Boolean(required=True)
    condition = fields.Nested(LabelSchema, allow_none=True, metadata={"description": "When a conditional paper "
                                                                                     "is needed"})
    online_form = fields.String(allow_none=True, metadata={"description": "Filled in as the application form "
                                                                          "online instead of uploaded"})


class ProcedureSchema(Schema):
    id = fields.String(required=True)
    number = fields.Integer(allow_none=True)
    name = fields.Nested(LabelSchema, required=True)
    authority = fields.Nested(LabelSchema, allow_none=True)
    total = fields.Nested(DurationSchema, allow_none=True, metadata={"description": "The legal deadline"})
    total_excludes = fields.Nested(LabelSchema, allow_none=True)
    fee = fields.Nested(LabelSchema, allow_none=True)
    result = fields.Nested(LabelSchema, allow_none=True)
    papers = fields.List(fields.Nested(PaperSchema), required=True)
    form = fields.Nested(FormSchema, allow_none=True, metadata={"description": "The application form (Mẫu)"})


class ProcedureListSchema(Schema):
    applicant_form = fields.Nested(FormSchema, required=True,
                                   metadata={"description": "The `applicant` block of a submission"})
    procedures = fields.List(fields.Nested(ProcedureSchema), required=True)


class DocumentRefSchema(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True)
    title = fields.String(required=True)
    number = fields.String(required=True)
    issued_at = fields.DateTime(required=True)
    result = fields.Boolean(required=True, metadata={"description": "The result of the procedure"})
    url = fields.String(required=True)


class OpenedItemSchema(Schema):
    id = fields.Integer(required=True, metadata={"description": "The work item, for /work-items/{id}"})
    task = fields.String(required=True, metadata={"description": "The step's BPMN id"})
    name = fields.String(required=True)
    role = fields.String(required=True)


class DossierWorkItemSchema(OpenedItemSchema):
    status = fields.String(required=True, validate=validate.OneOf(["open", "completed", "cancelled"]))
    assignee = fields.String(allow_none=True)
    created_at = fields.DateTime(required=True)
    due_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)


class DossierWorkItemsSchema(Schema):
    dossier_code = fields.String(required=True)
    items = fields.List(fields.Nested(DossierWorkItemSchema), required=True)


class SubmittedSchema(Schema):
    code = fields.String(required=True, metadata={"description": "The dossier code (Circular 01/2018/TT-VPCP)"})
    secret = fields.String(required=True, metadata={"description": "The tracking secret; shown only here and in "
                                                                   "the applicant's e-mail"})
    status = fields.String(required=True)
    received_at = fields.DateTime(required=True)
    appointment_on = fields.Date(allow_none=True, metadata={"description": "The day the result is promised"})
    receipt_number = fields.String(required=True, metadata={
        "description": "The number of the receipt and appointment slip, given at once (it is printed on the slip)"})
    receipt = fields.Nested(DocumentRefSchema, required=True, allow_none=True, metadata={
        "description": "The receipt and appointment slip; null while it is being made, right after this answer "
                       "(within seconds): then among the dossier's documents (GET /dossiers/{code}) and mailed"})
    mail_sent = fields.Boolean(required=True, metadata={
        "description": "Whether the receipt's mail (with the secret) has gone out already; when false it waits "
                       "in the outbox and is retried until the mail server takes it"})
    work_items = fields.List(fields.Nested(OpenedItemSchema), required=True, metadata={
        "description": "The work items the submission opened (the desk's first steps)"})


class RemainingSchema(Schema):
    amount = fields.Integer(required=True)
    unit = fields.String(required=True)


class ClockSchema(Schema):
    state = fields.String(required=True, validate=validate.OneOf(
        ["running", "paused", "due_soon", "overdue", "finished_on_time", "finished_late"]))
    phase = fields.String(allow_none=True)
    phase_due_on = fields.Date(allow_none=True, metadata={"description": "The last day of the running phase"})
    total_due_on = fields.Date(allow_none=True, metadata={"description": "The last day of the whole procedure"})
    remaining = fields.Nested(RemainingSchema, allow_none=True)
    paused_since = fields.DateTime(allow_none=True)
    pause_reason = fields.String(allow_none=True)


class CountedFromSchema(Schema):
    event = fields.String(required=True, metadata={"description": "received, fee-paid, supplement-received, …"})
    on = fields.Date(required=True, metadata={"description": "The day of the event the law counts from"})


class TotalClockSchema(Schema):
    duration = fields.Nested(RemainingSchema, required=True)
    started_at = fields.DateTime(allow_none=True)
    due_on = fields.Date(allow_none=True, metadata={"description": "None while the clock is stopped"})
    counted_from = fields.Nested(CountedFromSchema, allow_none=True)


class PhaseClockSchema(Schema):
    name = fields.String(required=True)
    duration = fields.Nested(RemainingSchema, required=True)
    started_at = fields.DateTime(required=True)
    due_on = fields.Date(required=True)
    finished_at = fields.DateTime(allow_none=True)
    counted_from = fields.Nested(CountedFromSchema, allow_none=True)


class PauseSchema(Schema):
    reason = fields.String(required=True)
    phase = fields.String(allow_none=True)
    paused_at = fields.DateTime(required=True)
    resumed_at = fields.DateTime(allow_none=True)
    resumed_from = fields.Nested(CountedFromSchema, allow_none=True)


class EffectiveDateSchema(Schema):
    id = fields.Integer(required=True)
    event = fields.String(required=True)
    on = fields.Date(required=True)
    step = fields.String(required=True, metadata={"description": "The step that recorded it (empty: the receipt)"})
    recorded_at = fields.DateTime(required=True, metadata={"description": "When it was entered (audit data)"})


class CorrectionSchema(Schema):
    event = fields.String(required=True)
    old = fields.String(required=True)
    new = fields.String(required=True)
    reason = fields.String(required=True)
    by = fields.String(required=True)
    at = fields.String(required=True)


class ClocksSchema(Schema):
    total = fields.Nested(TotalClockSchema, allow_none=True)
    phases = fields.List(fields.Nested(PhaseClockSchema), required=True)
    others = fields.List(fields.Nested(PhaseClockSchema), required=True, metadata={
        "description": "Deadlines of their own beside the phases, e.g. the appointment decision (TT 8 d))"})
    pauses = fields.List(fields.Nested(PauseSchema), required=True)
    effective_dates = fields.List(fields.Nested(EffectiveDateSchema), required=True)
    corrections = fields.List(fields.Nested(CorrectionSchema), required=True)


class StepSchema(Schema):
    name = fields.String(required=True)
    role = fields.String(required=True)
    done_at = fields.DateTime(allow_none=True)


class AwaitedSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(["supplement", "fee"]))
    name = fields.String(required=True)
    since = fields.DateTime(allow_none=True)
    asked = fields.List(fields.String(), required=True)
    fee = fields.Integer(allow_none=True)


class ProcedureRefSchema(Schema):
    id = fields.String(required=True)
    name = fields.Nested(LabelSchema, required=True)


class ComingSchema(Schema):
    kind = fields.String(required=True)
    title = fields.String(required=True)
    number = fields.String(required=True)


class DossierStatusSchema(Schema):
    code = fields.String(required=True)
    procedure = fields.Nested(ProcedureRefSchema, required=True)
    status = fields.String(required=True, validate=validate.OneOf(["running", "completed", "cancelled"]))
    channel = fields.String(required=True, metadata={"description": "desk, post or online"})
    received_at = fields.DateTime(required=True)
    finished_at = fields.DateTime(allow_none=True)
    appointment_on = fields.Date(allow_none=True, metadata={"description": "The day the result is promised; "
                                                                           "none while the clock is stopped"})
    clock = fields.Nested(ClockSchema, allow_none=True)
    clocks = fields.Nested(ClocksSchema, allow_none=True, metadata={
        "description": "Each legal clock with its start, due day, pauses and the effective dates it counted from"})
    steps_done = fields.List(fields.Nested(StepSchema), required=True)
    under_way = fields.List(fields.Nested(StepSchema), required=True)
    awaiting_applicant = fields.List(fields.Nested(AwaitedSchema), required=True)
    documents = fields.List(fields.Nested(DocumentRefSchema), required=True)
    documents_coming = fields.List(fields.Nested(ComingSchema), required=True, metadata={
        "description": "Papers numbered and being made (within seconds of the command that issued them): they "
                       "join `documents` then"})


class WorkItemSchema(Schema):
    id = fields.Integer(required=True)
    dossier_code = fields.String(allow_none=True)
    procedure = fields.String(required=True)
    applicant = fields.String(required=True)
    name = fields.String(required=True)
    role = fields.String(required=True)
    assignee = fields.String(allow_none=True)
    created_at = fields.DateTime(required=True)
    due_at = fields.DateTime(allow_none=True)
    clock_state = fields.String(required=True, validate=validate.OneOf(["on_track", "due_soon", "overdue", "paused"]))


class WorkItemPageSchema(Schema):
    items = fields.List(fields.Nested(WorkItemSchema), required=True)
    next = fields.String(allow_none=True, metadata={"description": "Pass as `after` for the next page"})


class WorkItemDetailSchema(Schema):
    id = fields.Integer(required=True)
    dossier_code = fields.String(allow_none=True)
    procedure = fields.String(required=True)
    task = fields.String(required=True)
    name = fields.String(required=True)
    role = fields.String(required=True)
    assignee = fields.String(allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf(["open", "completed", "cancelled"]))
    ready = fields.Boolean(required=True, metadata={"description": "Whether it can be completed now"})
    version = fields.Integer(required=True, metadata={"description": "The dossier's version, for `complete`"})
    form = fields.Nested(FormSchema, allow_none=True)
    data = fields.Dict(keys=fields.String(), required=True, metadata={"description": "The task's data so far"})


class NextStepSchema(Schema):
    name = fields.String(required=True)
    role = fields.String(required=True)


class CompletedSchema(Schema):
    dossier_code = fields.String(allow_none=True)
    status = fields.String(required=True)
    version = fields.Integer(required=True)
    next = fields.List(fields.Nested(NextStepSchema), required=True)
    documents = fields.List(fields.Nested(DocumentRefSchema), required=True)


class DeliverySchema(Schema):
    status = fields.String(required=True, metadata={"description": "delivered, kept (it came early: it waits for "
                                                                   "its catcher until keep_until) or duplicate"})
    message_id = fields.String(required=True)
    dossier_code = fields.String(allow_none=True)
    element = fields.String(allow_none=True, metadata={"description": "The diagram element that caught it"})
    keep_until = fields.DateTime(allow_none=True)
    next = fields.List(fields.Nested(NextStepSchema), required=True)


# -- requests -----------------------------------------------------------------------------------------------


class UploadSchema(ApiSchema):
    item = fields.String(load_default="", validate=validate.Length(max=100, error=TOO_LONG),
                         error_messages=_messages(invalid=NOT_TEXT),
                         metadata={"description": "The paper's key (`papers[].key`); empty for another paper"})
    filename = fields.String(required=True, validate=validate.Length(min=1, max=255, error=TOO_LONG),
                             error_messages=_messages(invalid=NOT_TEXT))
    content = Base64File(required=True, error_messages=_messages(), metadata={"type": "string", "format": "byte"})


class SubmissionSchema(ApiSchema):
    procedure = fields.String(required=True, validate=validate.Length(max=200, error=TOO_LONG),
                              error_messages=_messages(invalid=NOT_TEXT))
    applicant = fields.Dict(keys=fields.String(), required=True, error_messages=_messages(invalid=NOT_OBJECT),
                            metadata={"description": "The fields of `applicant_form`"})
    form = fields.Dict(keys=fields.String(), load_default=dict, error_messages=_messages(invalid=NOT_OBJECT),
                       metadata={"description": "The fields of the procedure's application form"})
    documents = fields.List(fields.Nested(UploadSchema), load_default=list,
                            validate=validate.Length(max=MAX_FILES, error=f"Tối đa {MAX_FILES} tệp"),
                            error_messages=_messages(invalid=NOT_LIST))
    received_at = fields.AwareDateTime(
        load_default=None, allow_none=True, error_messages={"invalid": NOT_INSTANT, "invalid_awareness": NOT_INSTANT},
        metadata={"description": "When the dossier was received, for a dossier handed over by another system "
                                 "(not in the future); the legal deadlines count from its day. Default: now"})


class CompletionSchema(ApiSchema):
    data = fields.Dict(keys=fields.String(), load_default=dict, error_messages=_messages(invalid=NOT_OBJECT),
                       metadata={"description": "The fields of the task's form"})
    version = fields.Integer(strict=True, load_default=None, allow_none=True,
                             error_messages=_messages(invalid=NOT_INTEGER),
                             metadata={"description": "The dossier version the caller saw (a conflict if it "
                                                      "changed since)"})


class MessageSchema(ApiSchema):
    name = fields.String(required=True,
                         validate=validate.Regexp(MESSAGE_NAME, error="Tên thông điệp gồm 1 đến 200 chữ, số, '_', "
                                                                      "'.', ':' hoặc '-'"),
                         error_messages=_messages(invalid=NOT_TEXT),
                         metadata={"description": "The name of the bpmn:message the diagram waits for"})
    correlation_key = fields.String(required=True, validate=validate.Length(min=1, max=200, error="Từ 1 đến 200 ký tự"),
                                    error_messages=_messages(invalid=NOT_TEXT),
                                    metadata={"description": "The dossier code, or the key the diagram declares "
                                                             "(property message-key)"})
    payload = fields.Dict(keys=fields.String(), load_default=dict, error_messages=_messages(invalid=NOT_OBJECT),
                          metadata={"description": "The message's fields (checked by the catcher's form, if any)"})
    message_id = fields.String(load_default=None, validate=validate.Length(min=1, max=100, error="Từ 1 đến 100 ký tự"),
                               error_messages=_messages(invalid=NOT_TEXT),
                               metadata={"description": "The sender's id: a message sent again with it is taken "
                                                        "once"})


class WorkItemQuerySchema(ApiSchema):
    procedure = fields.String(validate=validate.Regexp(r"^[A-Za-z][A-Za-z0-9_.-]{0,199}$",
                                                       error="Mã thủ tục không hợp lệ"))
    state = fields.String(validate=validate.OneOf(["on_track", "due_soon", "overdue", "paused"]))
    mine = fields.Boolean(metadata={"description": "Only the items the token's user has claimed"})
    after = fields.String(validate=validate.Regexp(r"^[0-9A-Za-z:+.\-_]{1,100}$", error="Không phải giá trị `next`"),
                          metadata={"description": "`next` of the page before"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=100))
