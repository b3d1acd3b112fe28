"""The studio's commands through the web app: save with problems, conflicts, refusals, deploy, import, diff."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

from flask.testing import FlaskClient

from tests.studio.conftest import LICENCE, LICENCE_FILE, MIWG
from tests.webapp.conftest import csrf_token, sign_in

BASE = f"/studio/procedures/{LICENCE}"
UNSAFE = Path(__file__).parent / "data" / "unsafe_script.bpmn"


def page_data(page: str) -> dict:
    """What an editor page hands to its script."""
    match = re.search(r'<script type="application/json" id="studio-data">(.*?)</script>', page, re.S)
    assert match, "no studio data on the page"
    return json.loads(match.group(1))


def licence(client: FlaskClient) -> str:
    return page_data(client.get(f"{BASE}/diagram").get_data(as_text=True))["text"]


def save(client: FlaskClient, text: str, version: int | None, path: str = LICENCE_FILE):  # type: ignore[no-untyped-def]
    return client.post(f"{BASE}/draft", json={"files": {path: text}, "version": version},
                       headers={"X-CSRFToken": csrf_token(client, "/studio/")})


def deploy(client: FlaskClient, version: int):  # type: ignore[no-untyped-def]
    return client.post(f"{BASE}/deploy", data={"version": version, "csrf_token": csrf_token(client, BASE)})


def test_a_broken_phase_is_saved_with_its_problem_in_vietnamese(analyst: FlaskClient) -> None:
    text = licence(analyst).replace("appraisal:25:working-days", "appraisal:x:working-days")
    answer = save(analyst, text, None)
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["version"] == 1 and len(body["problems"]) == 1
    problem = body["problems"][0]
    assert problem["element_id"] == "appraisal" and problem["file"] == LICENCE_FILE
    assert problem["message"] == ("Giai đoạn pháp lý (legal-phase) không hợp lệ: “appraisal:x:working-days”: "
                                  "số ngày “x” không phải số nguyên")
    assert "not a whole number of days" in problem["detail"]
    page = analyst.get(BASE).get_data(as_text=True)
    assert "số ngày “x” không phải số nguyên" in page and 'id="deploy" disabled' in page


def test_a_save_over_a_newer_draft_is_a_conflict_naming_who_saved(app, analyst: FlaskClient) -> None:  # type: ignore[no-untyped-def]
    text = licence(analyst)
    assert save(analyst, text.replace(":25:", ":20:"), None).status_code == 200
    admin = app.test_client()
    sign_in(admin, "quantri")
    assert save(admin, text.replace(":25:", ":22:"), 1).status_code == 200
    answer = save(analyst, text.replace(":25:", ":21:"), 1)
    assert answer.status_code == 409
    assert answer.get_json()["conflict"]["by"] == "quantri" and answer.get_json()["conflict"]["version"] == 2


def test_an_unsafe_script_is_refused_at_save_and_at_deploy(analyst: FlaskClient) -> None:
    unsafe = licence(analyst).replace('outcome == "issue"', "__import__('os').system('id')", 1)
    answer = save(analyst, unsafe, None)
    assert answer.status_code == 422
    refused = answer.get_json()["refused"]
    assert refused[0]["refused"] and "tên bắt đầu bằng '_'" in refused[0]["message"]
    page = analyst.get(BASE).get_data(as_text=True)
    assert "Không có bản nháp." in page and 'id="deploy"' not in page  # nothing was stored
    answer = deploy(analyst, 1)
    assert answer.status_code == 302
    assert "Không còn bản nháp để triển khai" in analyst.get(BASE).get_data(as_text=True)


def test_deploying_the_fixed_draft_makes_version_2_and_the_diff_shows_the_change(analyst: FlaskClient) -> None:
    text = licence(analyst)
    save(analyst, text.replace("appraisal:25:working-days", "appraisal:x:working-days"), None)
    refused = deploy(analyst, 1)
    assert refused.status_code == 422 and "số ngày “x” không phải số nguyên" in refused.get_data(as_text=True)
    assert save(analyst, text.replace("appraisal:25:working-days", "appraisal:20:working-days"), 1).status_code == 200
    answer = deploy(analyst, 2)
    assert answer.status_code == 302
    page = analyst.get(BASE).get_data(as_text=True)
    assert f"{LICENCE} v2" in page and 'data-version="2"' in page
    diff = analyst.get(f"{BASE}/diff?from=1&to=2").get_data(as_text=True)
    assert 'data-element="appraisal" data-kind="changed"' in diff
    assert "appraisal:25:working-days" in diff and "appraisal:20:working-days" in diff


def test_import_opens_the_diagram_with_what_the_engine_cannot_execute(analyst: FlaskClient) -> None:
    source = (MIWG / "B.2.0.bpmn").read_bytes()
    answer = analyst.post("/studio/import", data={"diagram": (io.BytesIO(source), "B.2.0.bpmn"),
                                                  "csrf_token": csrf_token(analyst, "/studio/import")},
                          content_type="multipart/form-data")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "Nhập từ B.2.0.bpmn — chưa lưu" in page
    data = page_data(page)
    assert data["path"] == "bpmn/b_2_0/b_2_0.bpmn" and data["unsaved"] and data["draft_version"] is None
    messages = {p["message"] for p in data["problems"]}
    assert "Sự kiện liên kết (link): hệ thống không thực thi được cấu trúc này" in messages
    assert all(p["file"] == data["path"] for p in data["problems"])
    assert analyst.get("/studio/procedures/b_2_0").status_code == 404  # nothing stored until saved


def test_import_of_an_unsafe_diagram_shows_it_refused(analyst: FlaskClient) -> None:
    answer = analyst.post("/studio/import", data={"diagram": (io.BytesIO(UNSAFE.read_bytes()), "unsafe.bpmn"),
                                                  "key": "unsafe_demo",
                                                  "csrf_token": csrf_token(analyst, "/studio/import")},
                          content_type="multipart/form-data")
    assert answer.status_code == 200
    problems = page_data(answer.get_data(as_text=True))["problems"]
    assert [(p["element_id"], p["refused"]) for p in problems] == [("steal", True)]
    refused = analyst.post("/studio/procedures/unsafe_demo/draft", json={
        "files": {"bpmn/unsafe_demo/unsafe_demo.bpmn": UNSAFE.read_text()}, "version": None,
        "main_file": "bpmn/unsafe_demo/unsafe_demo.bpmn"}, headers={"X-CSRFToken": csrf_token(analyst, "/studio/")})
    assert refused.status_code == 422


def test_a_non_bpmn_upload_is_refused(analyst: FlaskClient) -> None:
    answer = analyst.post("/studio/import", data={"diagram": (io.BytesIO(b"hello"), "notes.txt"),
                                                  "csrf_token": csrf_token(analyst, "/studio/import")},
                          content_type="multipart/form-data")
    assert answer.status_code == 400 and "Tệp không phải sơ đồ BPMN 2.0." in answer.get_data(as_text=True)


def test_the_form_preview_uses_the_officers_renderer(analyst: FlaskClient) -> None:
    form = json.dumps({"id": "x", "title": {"vi": "Phiếu", "en": "Sheet"}, "fields": [
        {"name": "so_thiet_bi", "label": {"vi": "Số thiết bị", "en": "Devices"}, "type": "integer", "required": True}]})
    answer = analyst.post("/studio/forms/preview", json={"path": "bpmn/p/forms/x.json", "text": form},
                          headers={"X-CSRFToken": csrf_token(analyst, "/studio/")})
    html = answer.get_json()["html"]
    assert 'name="preview-so_thiet_bi"' in html and "Số thiết bị" in html and 'class="req"' in html
    broken = analyst.post("/studio/forms/preview",
                          json={"path": "bpmn/p/forms/x.json", "text": form.replace('"integer"', '"colour"')},
                          headers={"X-CSRFToken": csrf_token(analyst, "/studio/")})
    assert broken.get_json()["html"] == "" and "colour" in broken.get_json()["problems"][0]["message"]


def test_english_shows_the_engines_own_words(analyst: FlaskClient) -> None:
    analyst.get("/language/en")
    text = licence(analyst).replace("appraisal:25:working-days", "appraisal:x:working-days")
    problem = save(analyst, text, None).get_json()["problems"][0]
    assert problem["message"].startswith("property legal-phase: phase 'appraisal:x:working-days'")
    assert "Process library" in analyst.get("/studio/").get_data(as_text=True)


def test_the_procedure_sheet_is_edited_in_the_draft_and_checked_against_the_diagram(analyst: FlaskClient) -> None:
    sheet_path = f"bpmn/{LICENCE}/procedure.json"
    assert "sheet-link" in analyst.get(BASE).get_data(as_text=True)
    data = page_data(analyst.get(f"{BASE}/sheet").get_data(as_text=True))
    assert data["path"] == sheet_path
    sheet = json.loads(data["text"])
    sheet["total"]["amount"] = 25  # TT 2 d) says 30 working days: the diagram's legal-total disagrees now
    answer = save(analyst, json.dumps(sheet, ensure_ascii=False, indent=2), None, path=sheet_path)
    assert answer.status_code == 200 and answer.get_json()["problems"] == []
    [warning] = answer.get_json()["warnings"]  # a warning: a new legal text may change the figures
    assert warning["file"] == LICENCE_FILE and warning["element_id"] == "start"
    assert warning["message"] == ("Tổng thời hạn 30 ngày làm việc khác tổng thời hạn trong procedure.json "
                                  "(25 ngày làm việc)")
    page = analyst.get(BASE).get_data(as_text=True)
    draft = page[page.index('id="draft"'):]
    assert sheet_path in draft and "law-warnings" in draft and "khác tổng thời hạn" in draft
    assert 'id="deploy" disabled' not in page
    diagram = page_data(analyst.get(f"{BASE}/diagram").get_data(as_text=True))
    assert [w["element_id"] for w in diagram["warnings"]] == ["start"]
    broken = save(analyst, "{ not json", 1, path=sheet_path).get_json()["problems"]
    assert [p["file"] for p in broken] == [sheet_path] and "not valid JSON" in broken[0]["message"]
