"""Form definitions: cleaning submitted data, one Vietnamese message per field, and malformed definitions."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from procedure_driver import BPMN

from engine.runtime.errors import InvalidData
from engine.runtime.forms import load_form, validate_forms_folder
from engine.runtime.problems import ValidationFailed

LICENCE_FORM = BPMN / "radiation_licence_issue" / "forms" / "licence_application.json"


def form(*fields: dict[str, object]) -> dict[str, object]:
    return {"id": "sample", "title": {"vi": "Mẫu thử", "en": "Sample"}, "fields": list(fields)}


def field(name: str, kind: str, **extra: object) -> dict[str, object]:
    return {"name": name, "label": {"vi": name, "en": name}, "type": kind, **extra}


def errors(definition: dict[str, object], data: dict[str, object]) -> dict[str, str]:
    with pytest.raises(InvalidData) as err:
        load_form(definition).validate(data)
    return err.value.fields


def test_clean_data_has_python_types() -> None:
    sample = form(field("on", "date"), field("fee", "money"), field("kv", "number"), field("year", "integer"),
                  field("ok", "checkbox"), field("rows", "table", columns=[field("serial", "text", required=True)]),
                  field("id", "id_number"), field("phone", "phone"))
    cleaned = load_form(sample).validate({"on": "02/03/2026", "fee": "17.000.000", "kv": "150", "year": "2024",
                                          "rows": [{"serial": " CT-01 "}], "id": "b1234567", "phone": "0251 3883 660"})
    assert cleaned == {"on": date(2026, 3, 2), "fee": Decimal("17000000"), "kv": Decimal("150"), "year": 2024,
                       "ok": False, "rows": [{"serial": "CT-01"}], "id": "B1234567", "phone": "02513883660"}


def test_one_vietnamese_message_per_field_with_row_paths() -> None:
    definition = json.loads(LICENCE_FORM.read_text(encoding="utf-8"))
    good_device = {"name": "Máy CT", "model": "Revolution", "maker": "GE, Hoa Kỳ", "year": 2024, "max_kv": 140,
                   "max_ma": 500, "purpose": "ct", "mobility": "fixed", "tube_model": "T", "tube_serial": "T1",
                   "console_model": "C", "console_serial": "C1", "tube_maker": "GE", "tube_year": 2024,
                   "console_maker": "GE", "console_year": 2024}
    fields = errors(definition, {
        "submission_channel": "fax",
        "contact_address": "",
        "email": "bv@",
        "head_id_number": "12345",
        "head_id_issued_on": "31/02/2026",
        "works": [{"name": "Sử dụng thiết bị X-quang", "place": "Khoa CĐHA"}],
        "devices": [good_device, good_device, {**good_device, "tube_serial": "", "year": "năm ngoái"}],
        "spare": "x",
    })
    assert fields == {
        "submission_channel": "Giá trị không nằm trong danh sách lựa chọn",
        "applicant_name": "Trường này là bắt buộc",
        "contact_address": "Trường này là bắt buộc",
        "phone": "Trường này là bắt buộc",
        "email": "Địa chỉ e-mail không hợp lệ",
        "head_id_number": "Số CMND/CCCD phải gồm 9 hoặc 12 chữ số",
        "head_id_issued_on": "Ngày không hợp lệ",
        "head_id_issued_by": "Trường này là bắt buộc",
        "devices.2.tube_serial": "Trường này là bắt buộc",
        "devices.2.year": "Giá trị phải là số nguyên",
        "spare": "Trường này không có trong biểu mẫu",
    }


@pytest.mark.parametrize(("value", "ok"), [
    ("075185004321", True), ("272345678", True), ("C1234567", True), ("07518500432", False), ("AB123456", False),
])
def test_id_numbers(value: str, ok: bool) -> None:
    sample = form(field("id", "id_number", required=True))
    if ok:
        assert load_form(sample).validate({"id": value})["id"] == value
    else:
        assert set(errors(sample, {"id": value})) == {"id"}


def test_bounds_tables_and_required_checkbox() -> None:
    sample = form(field("copies", "integer", min=2, max=2), field("pledge", "checkbox", required=True),
                  field("goods", "table", required=True, min=1, columns=[field("name", "text", required=True)]),
                  field("fee", "money", min=0), field("kinds", "multiselect", options=[
                      {"value": "a", "label": {"vi": "A", "en": "A"}}]))
    assert errors(sample, {"copies": 3, "pledge": False, "goods": [], "fee": "-5", "kinds": ["a", "b"]}) == {
        "copies": "Giá trị không được lớn hơn 2",
        "pledge": "Phải đánh dấu mục này",
        "goods": "Trường này là bắt buộc",
        "fee": "Số tiền không hợp lệ (số đồng, không có phần lẻ)",
        "kinds": "Giá trị không nằm trong danh sách lựa chọn",
    }


def test_malformed_definition_names_file_and_field(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(form(
        field("ok", "text"),
        {"name": "kind", "label": {"vi": "Loại"}, "type": "select"},
        field("ok", "colour"),
        field("rows", "table", columns=[field("inner", "table", columns=[field("x", "text")])]),
        field("kv", "number", pattern="("),
    )), encoding="utf-8")
    with pytest.raises(ValidationFailed) as err:
        load_form(path, name="bpmn/x/forms/broken.json")
    found = {(p.file, p.element_id) for p in err.value.problems}
    assert found >= {("bpmn/x/forms/broken.json", "kind"), ("bpmn/x/forms/broken.json", "ok"),
                     ("bpmn/x/forms/broken.json", "rows.inner"), ("bpmn/x/forms/broken.json", "kv")}
    messages = " ".join(p.message for p in err.value.problems)
    for words in ("differs from its file name", "Vietnamese and an English", "options", "used twice",
                  "unknown type 'colour'", "cannot hold another table", "'pattern'"):
        assert words in messages


def test_every_form_of_the_procedures_loads_and_every_task_form_exists() -> None:
    assert validate_forms_folder(BPMN) == []


def test_a_task_naming_a_missing_form_is_reported(tmp_path: Path) -> None:
    folder = tmp_path / "bpmn" / "demo"
    folder.mkdir(parents=True)
    (folder / "demo.bpmn").write_text(
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d"><bpmn:process id="demo">'
        '<bpmn:userTask id="receive"><bpmn:extensionElements><spiffworkflow:properties>'
        '<spiffworkflow:property name="form" value="nowhere"/></spiffworkflow:properties></bpmn:extensionElements>'
        '</bpmn:userTask></bpmn:process></bpmn:definitions>', encoding="utf-8")
    problems = validate_forms_folder(tmp_path / "bpmn")
    assert [(p.file, p.element_id) for p in problems] == [("bpmn/demo/demo.bpmn", "receive")]
