"""The dossier reads like a paper file: each value under the label of its form field, in form order, grouped
by the step that entered it, in words (choices, money, dates, yes/no), tables as tables, no internal key."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from html import unescape

from engine.onestop.dossier_file import entries, value_words
from engine.runtime.forms import load_form
from tests.webapp.helpers import complete, open_item, register

FORM = load_form({
    "id": "sample", "title": {"vi": "Mẫu", "en": "Sample"},
    "fields": [
        {"name": "fee", "type": "money", "label": {"vi": "Phí", "en": "Fee"}},
        {"name": "on", "type": "date", "label": {"vi": "Ngày", "en": "Date"}},
        {"name": "ok", "type": "checkbox", "label": {"vi": "Đồng ý", "en": "Agreed"}},
        {"name": "kind", "type": "select", "label": {"vi": "Loại", "en": "Kind"},
         "options": [{"value": "ct", "label": {"vi": "Chụp cắt lớp", "en": "CT scanner"}}]},
        {"name": "power", "type": "number", "label": {"vi": "Công suất", "en": "Power"}},
        {"name": "rows", "type": "table", "label": {"vi": "Thiết bị", "en": "Devices"},
         "columns": [{"name": "kv", "type": "integer", "label": {"vi": "Điện áp", "en": "Voltage"}}]},
    ],
}, name="sample.json")


def text_of(page: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_values_read_as_words_in_each_language() -> None:
    fee, when, ok, kind, power, _rows = FORM.fields
    assert value_words(fee, Decimal("1000000")) == "1.000.000 đ"
    assert value_words(when, date(2026, 3, 2)) == "02/03/2026"
    assert value_words(ok, True) == "Có" and value_words(ok, False, "en") == "No"
    assert value_words(kind, "ct") == "Chụp cắt lớp" and value_words(kind, "ct", "en") == "CT scanner"
    assert value_words(power, Decimal("1234.5")) == "1.234,5"
    shown = entries(FORM.fields, {"rows": [{"kv": 12000}], "fee": Decimal(5), "_engine": 1, "unknown": "x"})
    assert [e.label["vi"] for e in shown] == ["Phí", "Thiết bị"]  # form order; keys of no field left out
    assert shown[1].table.rows == [["12.000"]] and shown[1].table.columns == [{"vi": "Điện áp", "en": "Voltage"}]


def test_dossier_page_shows_labels_and_words_grouped_by_step(app, client_for) -> None:
    dossier_id = register(client_for("tiepnhan"), devices=5)
    specialist = client_for("chuyenvien")
    complete(specialist, open_item(app, dossier_id, "check").id,
             {"decision": "supplement", "missing_items": ["safety_report", "establishment"],
              "supplement_note": "Thiếu báo cáo"})
    page = specialist.get(f"/dossiers/{dossier_id}").get_data(as_text=True)
    text = text_of(page[page.index('id="data"'):])
    for key in ("received_documents", "applicant_name", "missing_items", "devices", "supplement"):
        assert key not in text, key
    assert "Tên tổ chức, cá nhân Bệnh viện Đa khoa Đồng Nai" in text
    assert "Nhận kết quả Bộ phận tiếp nhận và trả kết quả" in text
    assert "Giấy tờ đã nhận Đơn đề nghị" in text
    # the devices as a table: five rows with the purpose in words
    table = page[page.index("Thiết bị X-quang"):]
    table = table[:table.index("</table>")]
    assert table.count("<tr>") == 6 and table.count("Chẩn đoán thông thường") == 5 and "SN-0005" in table
    # the check's section holds its own values, after the reception's
    assert text.index("Tiếp nhận hồ sơ") < text.index("Kiểm tra hồ sơ")
    check = text[text.index("Kiểm tra hồ sơ"):]
    assert "Kết quả kiểm tra Yêu cầu bổ sung" in check
    assert "Giấy tờ cần bổ sung Giấy chứng nhận đăng ký doanh nghiệp, Báo cáo đánh giá an toàn" in check


def test_task_page_shows_the_file_so_far_and_english_words(app, client_for) -> None:
    dossier_id = register(client_for("tiepnhan"))
    specialist = client_for("chuyenvien")
    complete(specialist, open_item(app, dossier_id, "check").id, {"decision": "accept"})
    item = open_item(app, dossier_id, "appraise")
    text = text_of(specialist.get(f"/tasks/{item.id}").get_data(as_text=True))
    assert "Kết quả kiểm tra Đầy đủ, hợp lệ — thông báo phí" in text
    specialist.get("/language/en")
    text = text_of(specialist.get(f"/tasks/{item.id}").get_data(as_text=True))
    assert "Outcome Complete — fee notice" in text and "Head of the organisation" in text
