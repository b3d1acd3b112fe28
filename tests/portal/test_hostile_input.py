"""Hostile input from anonymous applicants and integrations (issue 17): each one gets a 4xx naming what is
wrong, and while the server handles it another client's /health still answers within a second."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import select

from engine.runtime.db import make_session_factory
from engine.runtime.dossier import Dossier
from engine.runtime.work_item import WorkItem
from tests.live_server import served, while_healthy
from tests.portal.conftest import PDF, PROCESS, UPLOADED, applicant, licence_form, submission
from tests.portal.test_portal import form_inputs

SUBMIT = f"/portal/procedures/{PROCESS}/submit"


@pytest.fixture
def live_app(make_app: Callable[..., Flask]) -> Flask:
    # CSRF is tested elsewhere; here plain HTTP clients post as a browser would, many times.
    return make_app(WTF_CSRF_ENABLED=False, PORTAL_SUBMIT_LIMIT="1000 per hour")


def portal_post(base_url: str, form: dict[str, Any], extra: dict[str, str] | None = None) -> requests.Response:
    data = {**form_inputs(applicant()), **form_inputs(form, "form-"), **(extra or {})}
    files = {f"file-{item}": (f"{item}.pdf", PDF, "application/pdf") for item in UPLOADED}
    return requests.post(base_url + SUBMIT, data=data, files=files, allow_redirects=False, timeout=60)


def no_dossier(app: Flask) -> bool:
    with make_session_factory(app.extensions["motcua"].engine)() as session:
        return session.scalar(select(Dossier.id)) is None


@pytest.mark.parametrize(("column", "value", "message"), [
    ("year", "1e1000000", "Số quá lớn"),  # held the interpreter 58 s when converted with int(Decimal(text))
    ("year", "1e999999999", "Số quá lớn"),
    ("max_kv", "1e300000", "Số quá lớn"),
    ("max_kv", "NaN", "Giá trị phải là một số"),
    ("max_kv", "Infinity", "Giá trị phải là một số"),
    ("max_kv", "١٥٠", "Giá trị phải là một số"),  # Arabic-Indic digits, which Decimal() would read
    ("year", "2" * 5000, "Số quá lớn"),
])
def test_a_huge_number_in_the_portal_form_is_refused_on_its_text(live_app: Flask, column: str, value: str,
                                                                  message: str) -> None:
    form = licence_form()
    form["devices"][0][column] = value
    with served(live_app) as base_url:
        response = while_healthy(base_url, lambda: portal_post(base_url, form))
    assert response.status_code == 422
    page = response.text
    assert f'id="form-devices-0-{column}"' in page and message in page
    assert no_dossier(live_app)


def test_row_indices_in_input_names_that_are_not_small_ascii_numbers_are_ignored(live_app: Flask) -> None:
    form = licence_form()
    extra = {"form-devices-" + "9" * 5000 + "-name": "x", "form-devices-²-name": "y", "form-devices-٣-name": "z"}
    with served(live_app) as base_url:
        response = while_healthy(base_url, lambda: portal_post(base_url, form, extra))
    assert response.status_code == 302, response.text[:2000]
    assert response.headers["Location"].endswith("/portal/submitted")


def test_json_nested_a_hundred_thousand_levels_is_a_400(live_app: Flask, token_for) -> None:  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {token_for('congdvc')}", "Content-Type": "application/json"}
    body = "[" * 100_000 + "]" * 100_000
    with served(live_app) as base_url:
        response = while_healthy(base_url, lambda: requests.post(f"{base_url}/api/v1/dossiers", data=body,
                                                                 headers=headers, timeout=60))
        deep = json.dumps({**submission(), "form": {"devices": json.loads("[" * 50 + "]" * 50)}})
        fifty = requests.post(f"{base_url}/api/v1/dossiers", data=deep, headers=headers, timeout=60)
    assert response.status_code == 400 and response.json()["error"] == "bad_request"
    assert fifty.status_code == 400
    assert no_dossier(live_app)


def test_an_api_number_beyond_its_bounds_is_a_422_naming_the_field(live_app: Flask, token_for) -> None:  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {token_for('congdvc')}", "Content-Type": "application/json"}
    form = licence_form()
    form["devices"][0]["max_kv"] = "1e999999999"
    form["devices"][1]["year"] = 10 ** 4000
    body = json.dumps(submission(form=form)).replace('"max_ma": "500"', '"max_ma": 1e999999', 1)
    with served(live_app) as base_url:
        response = while_healthy(base_url, lambda: requests.post(f"{base_url}/api/v1/dossiers", data=body,
                                                                 headers=headers, timeout=60))
    assert response.status_code == 422, response.text
    fields = response.json()["fields"]
    assert fields["form.devices.0.max_kv"].startswith("Số quá lớn")
    assert fields["form.devices.1.year"].startswith("Số quá lớn")
    assert fields["form.devices.0.max_ma"] == "Giá trị phải là một số"  # 1e999999 is an infinite float
    assert no_dossier(live_app)


@pytest.mark.parametrize("cursor", [
    "-_" + "9" * 5000, "-_99999999999999999999", "2026-03-02T09:00:00_1", "x" * 10_000, "-_٣", "_", "-_-1",
])
def test_a_malformed_inbox_cursor_is_refused_not_a_server_error(live_app: Flask, token_for, cursor: str) -> None:  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {token_for('tiepnhan', 'work_items:read')}"}
    with served(live_app) as base_url:
        api = while_healthy(base_url, lambda: requests.get(f"{base_url}/api/v1/work-items", params={"after": cursor},
                                                           headers=headers, timeout=60))
        officer = requests.Session()
        login = officer.post(f"{base_url}/login", data={"username": "tiepnhan", "password": "motcua2026"},
                             allow_redirects=False, timeout=30)
        assert login.status_code == 302
        inbox = officer.get(f"{base_url}/inbox", params={"after": cursor}, timeout=60)
    assert api.status_code == 422 and "after" in api.json()["fields"]
    assert inbox.status_code == 200  # the first page: a cursor the server did not write means nothing


def test_a_huge_number_stored_before_the_bounds_is_shown_as_written(live_app: Flask, token_for) -> None:  # type: ignore[no-untyped-def]
    """A dossier whose data holds 1e300000 (accepted before numbers were bounded): every GET of its work item
    took 3 s and ended in a 500. Now the number is shown in scientific notation, at once."""
    headers = {"Authorization": f"Bearer {token_for('congdvc')}"}
    client = live_app.test_client()
    created = client.post("/api/v1/dossiers", json=submission(), headers=headers)
    assert created.status_code == 201, created.get_data(as_text=True)
    engine = live_app.extensions["motcua"].engine
    with make_session_factory(engine, write=True)() as session:
        dossier = session.scalar(select(Dossier))
        assert '"150"' in dossier.state
        dossier.state = dossier.state.replace('"150"', '"1E+300000"')
        session.commit()
        item_id = session.scalar(select(WorkItem.id).where(WorkItem.dossier_id == dossier.id,
                                                           WorkItem.status == "open"))
    reader = {"Authorization": f"Bearer {token_for('tiepnhan', 'work_items:read')}"}
    with served(live_app) as base_url:
        response = while_healthy(base_url, lambda: requests.get(f"{base_url}/api/v1/work-items/{item_id}",
                                                                headers=reader, timeout=60))
        desk = requests.Session()
        assert desk.post(f"{base_url}/login", data={"username": "tiepnhan", "password": "motcua2026"},
                         allow_redirects=False, timeout=30).status_code == 302
        pages = [while_healthy(base_url, lambda path=path: desk.get(base_url + path, timeout=60))
                 for path in (f"/tasks/{item_id}", f"/dossiers/{dossier.id}")]
    assert response.status_code == 200, response.text[:500]
    assert response.json()["data"]["devices"][0]["max_kv"] == "1E+300000"
    for page in pages:
        # The pages read like a file (labels, words); whatever they show of the number, never its digits.
        assert page.status_code == 200 and "0" * 1000 not in page.text and len(page.text) < 1_000_000


def test_a_guesser_at_the_same_address_does_not_lock_an_applicant_out_of_their_dossier(
        make_app: Callable[..., Flask]) -> None:
    from tests.portal.test_portal import submitted, track

    app = make_app(TRACKING_LIMIT="2 per minute")
    code, secret = submitted(app.test_client())
    guesser = app.test_client()  # behind the same NAT: the same address
    other_code = code[:-4] + "0042"
    assert [track(guesser, other_code, "AAAA-BBBB-CCCC").status_code for _ in range(3)] == [404, 404, 429]
    applicant = app.test_client()
    assert track(applicant, code, secret).status_code == 302


EDGE_NUMBERS = (
    "1e1000000", "-1e999999999", "1E+300000", "1e-999999999", "NaN", "-nan", "sNaN", "Infinity", "-inf", "∞",
    "١٢", "１２", "²", "٣.٥", "1_000", "0x10", "1" * 5000, "9" * 19, "1e18", "0." + "0" * 40 + "1", "1,5", "1.2.3",
    "+-1", "--1", "1e", "e5", ".", "-0", "0e99999", "\u202e12", "12\x00",
)


def numeric_inputs(form: dict[str, Any], value: str) -> dict[str, Any]:
    """The licence form with every integer, number and money input set to `value`, and their input names."""
    from tests.portal.helpers import APPLICATION_FORM

    numeric = {"integer", "number", "money"}
    changed = json.loads(json.dumps(form))
    for field in APPLICATION_FORM.fields:
        if field.type in numeric:
            changed[field.name] = value
        for column in field.columns:
            if column.type in numeric:
                for row in changed.get(field.name, []):
                    row[column.name] = value
    return changed


@pytest.mark.parametrize("channel", ["portal", "desk"])
def test_fuzzing_the_numbers_of_the_portal_and_desk_forms_gives_no_server_error(live_app: Flask,
                                                                               channel: str) -> None:
    statuses: dict[str, int] = {}
    with served(live_app) as base_url:
        client = requests.Session()
        path = SUBMIT
        extra: dict[str, str] = {}
        if channel == "desk":
            login = client.post(f"{base_url}/login", data={"username": "tiepnhan", "password": "motcua2026"},
                                allow_redirects=False, timeout=30)
            assert login.status_code == 302
            path, extra = f"/reception/new/{PROCESS}", {"channel": "desk", "applicant_address": "02 Đồng Khởi"}

        def fuzz() -> None:
            files = {f"file-{item}": (f"{item}.pdf", PDF, "application/pdf") for item in UPLOADED}
            for value in EDGE_NUMBERS:
                data = {**form_inputs(applicant()), **form_inputs(numeric_inputs(licence_form(), value), "form-"),
                        **extra}
                response = client.post(base_url + path, data=data, files=files, allow_redirects=False, timeout=60)
                statuses[value] = response.status_code

        while_healthy(base_url, fuzz, timeout=300)
    assert not [v for v, status in statuses.items() if status >= 500], statuses
    assert all(status == 422 for status in statuses.values()), statuses  # none of them is a valid year
    assert no_dossier(live_app)
