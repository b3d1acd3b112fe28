"""Forms of user tasks: JSON definitions, checked once, turned into marshmallow schemas.

A form lives in `bpmn/<process_id>/forms/<name>.json` (forms several procedures share in
`bpmn/shared/forms/`). A definition that cannot work is reported as `Problem`s naming the file and the
field, the way the analyst will fix it. Submitted data is cleaned (dates become `datetime.date`, money and
numbers `Decimal`, tables lists of dicts) or refused with one Vietnamese message per field, keyed by its
path (`devices.2.serial`: row indices count from 0, like the lists they come from).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import marshmallow
from lxml import etree
from marshmallow import fields as mf

from engine.runtime import bounded_json
from engine.runtime.bounded_number import NOT_A_NUMBER, NumberOutOfBounds, parse_number
from engine.runtime.errors import InvalidData
from engine.runtime.problems import Problem, ValidationFailed

FIELD_TYPES = frozenset({
    "text", "textarea", "date", "number", "money", "integer", "select", "multiselect", "checkbox", "email",
    "phone", "id_number", "table",
})
FIELD_KEYS = frozenset({
    "name", "label", "type", "required", "options", "columns", "min", "max", "max_length", "pattern", "help",
    "filled_by",
})
# Values the platform fills in itself, never the person typing: `signer` = the signed-in user's full name.
FILLED_BY = frozenset({"signer"})
FORM_KEYS = frozenset({"id", "title", "fields", "description"})
# Same rule as the engine's task data (engine.runtime.dossier_service): a form field becomes a process variable.
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*\Z")

REQUIRED = "Trường này là bắt buộc"
UNKNOWN = "Trường này không có trong biểu mẫu"
BAD_DATE = "Ngày không hợp lệ"
BAD_NUMBER = "Giá trị phải là một số"
BAD_INTEGER = "Giá trị phải là số nguyên"
BAD_MONEY = "Số tiền không hợp lệ (số đồng, không có phần lẻ)"
BAD_TEXT = "Giá trị phải là chuỗi ký tự"
BAD_CHOICE = "Giá trị không nằm trong danh sách lựa chọn"
BAD_CHOICES = "Phải là danh sách các lựa chọn, không trùng nhau"
BAD_CHECKBOX = "Giá trị phải là có hoặc không"
MUST_CHECK = "Phải đánh dấu mục này"
BAD_EMAIL = "Địa chỉ e-mail không hợp lệ"
BAD_PHONE = "Số điện thoại không hợp lệ"
BAD_ID_DIGITS = "Số CMND/CCCD phải gồm 9 hoặc 12 chữ số"
BAD_ID = "Số CMND/CCCD/Hộ chiếu không hợp lệ (CMND 9 chữ số, CCCD 12 chữ số, hộ chiếu 1 chữ cái và 7 chữ số)"
BAD_PATTERN = "Giá trị không đúng định dạng"
BAD_TABLE = "Phải là danh sách các dòng"
BAD_ROW = "Mỗi dòng phải là một tập các trường"
FORM_REFUSED = "Dữ liệu biểu mẫu chưa hợp lệ, xin kiểm tra các trường được đánh dấu"

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ID_DIGITS = re.compile(r"^\d+$")
_ID = re.compile(r"^(\d{9}|\d{12}|[A-Z]\d{7})$")
_PHONE_SEPARATORS = re.compile(r"[\s.\-()]")
# Vietnamese numbers: 0 + 9 or 10 digits (mobile 10, provincial landline 11), or +84 instead of the 0.
_PHONE = re.compile(r"^(?:\+84|0)\d{9,10}$")
_VN_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_TRUE = {"true", "on", "1", "yes", "co", "có"}
_FALSE = {"false", "off", "0", "no", "khong", "không", ""}


@dataclass(frozen=True)
class Option:
    value: str
    label: dict[str, str]


@dataclass(frozen=True)
class FieldDefinition:
    name: str
    label: dict[str, str]
    type: str
    required: bool = False
    options: tuple[Option, ...] = ()
    columns: tuple[FieldDefinition, ...] = ()
    min: Any = None
    max: Any = None
    max_length: int | None = None
    pattern: str | None = None
    help: dict[str, str] | None = None
    filled_by: str | None = None

    @property
    def option_values(self) -> tuple[str, ...]:
        return tuple(o.value for o in self.options)


@dataclass
class FormDefinition:
    id: str
    title: dict[str, str]
    fields: tuple[FieldDefinition, ...]
    source: str = ""
    description: dict[str, str] | None = None
    _schema: marshmallow.Schema | None = field(default=None, repr=False, compare=False)

    def field(self, name: str) -> FieldDefinition:
        return next(f for f in self.fields if f.name == name)

    def schema(self) -> marshmallow.Schema:
        if self._schema is None:
            self._schema = _schema_for(self.fields, self.id)()
        return self._schema

    def validate(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """Cleaned data, or InvalidData with one Vietnamese message per field path."""
        if not isinstance(data, Mapping):
            raise InvalidData(FORM_REFUSED, fields={"": BAD_ROW})
        try:
            return self.schema().load(_drop_blank(data))
        except marshmallow.ValidationError as err:
            raise InvalidData(FORM_REFUSED, fields=_flatten(err.messages)) from None


# -- reading definitions ------------------------------------------------------------------------------


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[Problem] = []

    def problem(self, where: str, message: str) -> None:
        self.problems.append(Problem(self.source, where, message))

    def labels(self, value: Any, where: str, what: str, required: bool = True) -> dict[str, str] | None:
        if value is None and not required:
            return None
        if not isinstance(value, dict) or not all(isinstance(value.get(k), str) and value[k].strip()
                                                  for k in ("vi", "en")):
            self.problem(where, f"{what} must give a Vietnamese and an English text ('vi' and 'en')")
            return None
        return {"vi": value["vi"], "en": value["en"]}

    def form(self, raw: Any) -> FormDefinition | None:
        if not isinstance(raw, dict):
            self.problem("", "a form definition is a JSON object with id, title and fields")
            return None
        for key in sorted(set(raw) - FORM_KEYS):
            self.problem("", f"unknown key '{key}' (a form has {', '.join(sorted(FORM_KEYS))})")
        form_id = raw.get("id")
        if not isinstance(form_id, str) or not NAME.match(form_id):
            self.problem("", "the form needs an id made of letters, digits and _ (starting with a letter)")
        elif self.source.endswith(".json") and Path(self.source).stem != form_id:
            self.problem("", f"the form id '{form_id}' differs from its file name '{Path(self.source).name}'")
        title = self.labels(raw.get("title"), "", "the title")
        description = self.labels(raw.get("description"), "", "the description", required=False)
        fields_ = self.fields(raw.get("fields"), "", allow_table=True)
        if self.problems:
            return None
        return FormDefinition(id=form_id, title=title or {}, fields=fields_, source=self.source,
                              description=description)

    def fields(self, raw: Any, prefix: str, *, allow_table: bool) -> tuple[FieldDefinition, ...]:
        if not isinstance(raw, list) or not raw:
            self.problem(prefix, "'fields' must be a non-empty list" if not prefix
                         else "a table needs a non-empty list of 'columns'")
            return ()
        result, seen = [], set()
        for number, item in enumerate(raw, start=1):
            name = item.get("name") if isinstance(item, dict) else None
            where = f"{prefix}.{name}" if prefix and isinstance(name, str) else (
                name if isinstance(name, str) else f"{prefix or 'fields'}[{number}]")
            if isinstance(name, str) and name in seen:
                self.problem(where, f"the field name '{name}' is used twice")
            seen.add(name)
            definition = self.field(item, where, allow_table=allow_table)
            if definition is not None:
                result.append(definition)
        return tuple(result)

    def field(self, raw: Any, where: str, *, allow_table: bool) -> FieldDefinition | None:
        if not isinstance(raw, dict):
            self.problem(where, "a field is a JSON object with name, label and type")
            return None
        before = len(self.problems)
        for key in sorted(set(raw) - FIELD_KEYS):
            self.problem(where, f"unknown key '{key}' in the field")
        name, kind = raw.get("name"), raw.get("type")
        if not isinstance(name, str) or not NAME.match(name):
            self.problem(where, "the field name must be letters, digits and _, starting with a letter")
        label = self.labels(raw.get("label"), where, "the label")
        help_ = self.labels(raw.get("help"), where, "the help text", required=False)
        required = raw.get("required", False)
        if not isinstance(required, bool):
            self.problem(where, "'required' must be true or false")
        if kind not in FIELD_TYPES:
            self.problem(where, f"unknown type '{kind}' (one of {', '.join(sorted(FIELD_TYPES))})")
            return None
        options = self.options(raw.get("options"), where, kind)
        columns: tuple[FieldDefinition, ...] = ()
        if kind == "table":
            if not allow_table:
                self.problem(where, "a table cannot hold another table")
            else:
                columns = self.fields(raw.get("columns"), where, allow_table=False)
        elif "columns" in raw:
            self.problem(where, "'columns' is only for a table field")
        low, high = self.bounds(raw, where, kind)
        max_length = raw.get("max_length")
        if max_length is not None and (kind not in ("text", "textarea") or not isinstance(max_length, int)
                                       or isinstance(max_length, bool) or max_length < 1):
            self.problem(where, "'max_length' is a positive whole number, for text fields only")
        pattern = raw.get("pattern")
        if pattern is not None:
            if kind not in ("text", "textarea") or not isinstance(pattern, str):
                self.problem(where, "'pattern' is a regular expression, for text fields only")
            else:
                try:
                    re.compile(pattern)
                except re.error as err:
                    self.problem(where, f"'pattern' is not a valid regular expression: {err}")
        filled_by = raw.get("filled_by")
        if filled_by is not None and (filled_by not in FILLED_BY or kind != "text"):
            self.problem(where, f"'filled_by' is one of {', '.join(sorted(FILLED_BY))}, for text fields only")
        if len(self.problems) > before:
            return None
        return FieldDefinition(
            name=name, label=label or {}, type=kind, required=required, options=options, columns=columns,
            min=low, max=high, max_length=max_length, pattern=pattern, help=help_, filled_by=filled_by,
        )

    def options(self, raw: Any, where: str, kind: str) -> tuple[Option, ...]:
        if kind not in ("select", "multiselect"):
            if raw is not None:
                self.problem(where, "'options' is only for select and multiselect fields")
            return ()
        if not isinstance(raw, list) or not raw:
            self.problem(where, f"a {kind} field needs a non-empty list of options")
            return ()
        result, seen = [], set()
        for number, item in enumerate(raw, start=1):
            value = item.get("value") if isinstance(item, dict) else None
            if not isinstance(value, str) or not value:
                self.problem(where, f"option {number} needs a text 'value'")
                continue
            if value in seen:
                self.problem(where, f"option value '{value}' is listed twice")
            seen.add(value)
            label = self.labels(item.get("label"), where, f"the label of option '{value}'")
            if label:
                result.append(Option(value, label))
        return tuple(result)

    def bounds(self, raw: dict[str, Any], where: str, kind: str) -> tuple[Any, Any]:
        values = []
        for key in ("min", "max"):
            value = raw.get(key)
            if value is None:
                values.append(None)
            elif kind in ("number", "money", "integer", "table") and isinstance(value, int | float) \
                    and not isinstance(value, bool):
                values.append(Decimal(str(value)) if kind in ("number", "money") else value)
            elif kind == "date" and isinstance(value, str) and _parse_date(value) is not None:
                values.append(_parse_date(value))
            else:
                self.problem(where, f"'{key}' is a number (a row count for tables, an ISO date for dates),"
                                    f" and not for {kind} fields")
                values.append(None)
        low, high = values
        if low is not None and high is not None and low > high:
            self.problem(where, "'min' is greater than 'max'")
        return low, high


def load_form(source: str | Path | Mapping[str, Any], *, name: str = "") -> FormDefinition:
    """A form from a JSON file (path) or an already parsed mapping; ValidationFailed lists every problem."""
    label = name
    if isinstance(source, Mapping):
        raw: Any = dict(source)
        label = label or "<form>"
    else:
        path = Path(source)
        label = label or path.as_posix()
        try:
            raw = bounded_json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ValidationFailed([Problem(label, "", "no such form file")]) from None
        except ValueError as err:  # not UTF-8, not JSON, or nested too deeply
            raise ValidationFailed([Problem(label, "", f"the file is not valid JSON: {err}")]) from None
    reader = _Reader(label)
    form = reader.form(raw)
    if form is None:
        raise ValidationFailed(reader.problems)
    return form


def find_form(bpmn_root: Path, process_id: str, name: str) -> Path | None:
    """The file of form `name` for a task of `process_id`: its own folder first, then the shared forms."""
    for folder in (process_id, "shared"):
        path = bpmn_root / folder / "forms" / f"{name}.json"
        if path.is_file():
            return path
    return None


def validate_forms_folder(bpmn_root: Path) -> list[Problem]:
    """Every form below `bpmn_root` loads, and every `form` property of a diagram names an existing form."""
    problems: list[Problem] = []
    prefix = bpmn_root.name
    for path in sorted(bpmn_root.rglob("forms/*.json")):
        try:
            load_form(path, name=f"{prefix}/{path.relative_to(bpmn_root).as_posix()}")
        except ValidationFailed as err:
            problems.extend(err.problems)
    ns = {"spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core"}
    for diagram in sorted(bpmn_root.rglob("*.bpmn")):
        folder = diagram.relative_to(bpmn_root).parts[0]
        try:
            tree = etree.parse(str(diagram), etree.XMLParser(resolve_entities=False, no_network=True))
        except etree.XMLSyntaxError:
            continue  # engine.runtime.validation reports the broken XML itself
        for prop in tree.iterfind(".//spiffworkflow:property[@name='form']", ns):
            form_name = prop.get("value", "")
            if find_form(bpmn_root, folder, form_name) is None:
                owner = prop.getparent()
                while owner is not None and not owner.get("id"):
                    owner = owner.getparent()
                problems.append(Problem(
                    f"{prefix}/{diagram.relative_to(bpmn_root).as_posix()}",
                    owner.get("id", "") if owner is not None else "",
                    f"form '{form_name}' not found in {prefix}/{folder}/forms/ nor {prefix}/shared/forms/",
                ))
    return sorted(set(problems))


# -- marshmallow fields -------------------------------------------------------------------------------


def _parse_date(value: str) -> date | None:
    """ISO (2026-03-02) or the Vietnamese way of writing it (02/03/2026)."""
    match = _VN_DATE.match(value.strip())
    try:
        if match:
            day, month, year = (int(g) for g in match.groups())
            return date(year, month, day)
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


class _Field(mf.Field):
    def __init__(self, definition: FieldDefinition, **kwargs: Any) -> None:
        messages = {"required": REQUIRED, "null": REQUIRED}
        super().__init__(required=definition.required, error_messages=messages, **kwargs)
        self.definition = definition

    def fail(self, message: str) -> marshmallow.ValidationError:
        return marshmallow.ValidationError(message)

    def bounded(self, value: Any, low_message: str, high_message: str) -> Any:
        low, high = self.definition.min, self.definition.max
        if low is not None and value < low:
            raise self.fail(low_message.format(low))
        if high is not None and value > high:
            raise self.fail(high_message.format(high))
        return value


class _Text(_Field):
    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str):
            raise self.fail(BAD_TEXT)
        value = value.strip()
        d = self.definition
        if d.max_length is not None and len(value) > d.max_length:
            raise self.fail(f"Tối đa {d.max_length} ký tự")
        if d.pattern is not None and not re.fullmatch(d.pattern, value):
            raise self.fail(BAD_PATTERN)
        return value


class _Date(_Field):
    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> date:
        if isinstance(value, datetime):
            raise self.fail(BAD_DATE)
        parsed = value if isinstance(value, date) else _parse_date(value) if isinstance(value, str) else None
        if parsed is None:
            raise self.fail(BAD_DATE)
        return self.bounded(parsed, "Ngày không được trước {:%d/%m/%Y}", "Ngày không được sau {:%d/%m/%Y}")


def _decimal(value: Any, message: str) -> Decimal:
    """The bounded number (engine.runtime.bounded_number), or the field's message: too large says so."""
    if isinstance(value, str):
        value = value.replace(",", ".")
    try:
        return parse_number(value)
    except NumberOutOfBounds as err:
        raise marshmallow.ValidationError(message if str(err) == NOT_A_NUMBER else str(err)) from None


class _Number(_Field):
    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Decimal:
        number = _decimal(value, BAD_NUMBER)
        return self.bounded(number, "Giá trị không được nhỏ hơn {}", "Giá trị không được lớn hơn {}")


class _Money(_Field):
    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Decimal:
        # VND has no subunit, so "17.000.000" can only be the Vietnamese grouping of seventeen million.
        if isinstance(value, str):
            value = re.sub(r"[\s.,]|đồng|đ|VND", "", value.strip(), flags=re.IGNORECASE)
        amount = _decimal(value, BAD_MONEY)
        if amount < 0 or amount != amount.to_integral_value():
            raise self.fail(BAD_MONEY)
        return self.bounded(amount.quantize(Decimal(1)), "Số tiền không được nhỏ hơn {:,} đồng",
                            "Số tiền không được lớn hơn {:,} đồng")


class _Integer(_Field):
    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int:
        number = _decimal(value, BAD_INTEGER)
        if number != number.to_integral_value():
            raise self.fail(BAD_INTEGER)
        return self.bounded(int(number), "Giá trị không được nhỏ hơn {}", "Giá trị không được lớn hơn {}")


class _Select(_Field):
    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str) or value not in self.definition.option_values:
            raise self.fail(BAD_CHOICE)
        return value


class _MultiSelect(_Field):
    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> list[str]:
        if not isinstance(value, list | tuple) or len(set(map(str, value))) != len(value):
            raise self.fail(BAD_CHOICES)
        if any(v not in self.definition.option_values for v in value):
            raise self.fail(BAD_CHOICE)
        if self.definition.required and not value:
            raise self.fail(REQUIRED)
        return list(value)


class _Checkbox(_Field):
    def __init__(self, definition: FieldDefinition, **kwargs: Any) -> None:
        # An unticked box is not sent by a browser: absent means False, so conditions can rely on it.
        if not definition.required:
            kwargs["load_default"] = False
        super().__init__(definition, **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bool:
        if isinstance(value, str):
            lowered = value.strip().casefold()
            value = True if lowered in _TRUE else False if lowered in _FALSE else value
        if not isinstance(value, bool):
            raise self.fail(BAD_CHECKBOX)
        # A required checkbox is a commitment the applicant must tick (e.g. "Tôi cam đoan ...").
        if self.definition.required and not value:
            raise self.fail(MUST_CHECK)
        return value


class _Email(_Field):
    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str) or not _EMAIL.match(value.strip()):
            raise self.fail(BAD_EMAIL)
        return value.strip()


class _Phone(_Field):
    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str):
            raise self.fail(BAD_PHONE)
        compact = _PHONE_SEPARATORS.sub("", value)
        if not _PHONE.match(compact):
            raise self.fail(BAD_PHONE)
        return compact


class _IdNumber(_Field):
    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        if isinstance(value, int) and not isinstance(value, bool):
            raise self.fail(BAD_ID)  # an integer has lost the leading zeros of a CCCD
        if not isinstance(value, str):
            raise self.fail(BAD_ID)
        compact = value.replace(" ", "").upper()
        if _ID.match(compact):
            return compact
        raise self.fail(BAD_ID_DIGITS if _ID_DIGITS.match(compact) else BAD_ID)


class _Table(_Field):
    def __init__(self, definition: FieldDefinition, **kwargs: Any) -> None:
        super().__init__(definition, **kwargs)
        self.row_schema = _schema_for(definition.columns, definition.name)()

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> list[dict[str, Any]]:
        if not isinstance(value, list | tuple):
            raise self.fail(BAD_TABLE)
        d = self.definition
        if d.required and not value:
            raise self.fail(REQUIRED)
        if d.min is not None and len(value) < d.min:
            raise self.fail(f"Cần ít nhất {d.min} dòng")
        if d.max is not None and len(value) > d.max:
            raise self.fail(f"Tối đa {d.max} dòng")
        rows, errors = [], {}
        for index, row in enumerate(value):
            if not isinstance(row, Mapping):
                errors[index] = BAD_ROW
                continue
            try:
                rows.append(self.row_schema.load(_drop_blank(row)))
            except marshmallow.ValidationError as err:
                errors[index] = err.messages
        if errors:
            raise marshmallow.ValidationError(errors)
        return rows


_FIELD_CLASSES: dict[str, type[_Field]] = {
    "text": _Text, "textarea": _Text, "date": _Date, "number": _Number, "money": _Money, "integer": _Integer,
    "select": _Select, "multiselect": _MultiSelect, "checkbox": _Checkbox, "email": _Email, "phone": _Phone,
    "id_number": _IdNumber, "table": _Table,
}


def _schema_for(definitions: tuple[FieldDefinition, ...], name: str) -> type[marshmallow.Schema]:
    attrs: dict[str, Any] = {d.name: _FIELD_CLASSES[d.type](d) for d in definitions}
    attrs["Meta"] = type("Meta", (), {"unknown": marshmallow.RAISE})
    attrs["error_messages"] = {"unknown": UNKNOWN, "type": BAD_ROW}
    return type(f"{name}_schema", (marshmallow.Schema,), attrs)


def _drop_blank(data: Mapping[str, Any]) -> dict[str, Any]:
    """An empty input box means 'not given': required fields then say so, optional ones are left out."""
    return {k: v for k, v in data.items() if v is not None and not (isinstance(v, str) and not v.strip())}


def _flatten(messages: Any, prefix: str = "") -> dict[str, str]:
    """marshmallow's nested messages → {"devices.2.serial": "first message"}: one message per field."""
    if isinstance(messages, list | tuple):
        first = messages[0] if messages else ""
        return _flatten(first, prefix) if isinstance(first, dict) else {prefix: str(first)}
    if isinstance(messages, str):
        return {prefix: messages}
    flat: dict[str, str] = {}
    for key, value in messages.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        flat.update(_flatten(value, path))
    return flat
