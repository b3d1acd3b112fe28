"""Issue 12 through the API: a dossier handed over by another system keeps the day it was received, the
status lists every legal clock with the effective dates it counted from, and the event date of a step is a
field of its work item like any other. The platform clock stands on Monday 2/3/2026, 09:00 (conftest)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from tests.portal.conftest import submission
from tests.portal.test_api import bearer


def test_a_handed_over_dossier_counts_from_the_day_it_was_received(app: Flask, token_for: Callable[..., str]) -> None:
    client = app.test_client()
    portal = bearer(token_for("congdvc"))
    sent = client.post("/api/v1/dossiers", json=submission(received_at="2026-02-27T15:00:00+07:00"), headers=portal)
    assert sent.status_code == 201, sent.json
    # TT 2 d): 30 working days from Friday 27/2: March 2–31 is 22, April 1–3 and 6–10 add 8 → Fri 10/4
    # (from the hand-over on Monday 2/3 it would be Mon 13/4).
    assert sent.json["appointment_on"] == "2026-04-10"
    assert sent.json["received_at"].startswith("2026-02-27T08:00:00")

    desk = bearer(token_for("tiepnhan"))
    item = client.get("/api/v1/work-items", headers=desk).json["items"][0]
    detail = client.get(f"/api/v1/work-items/{item['id']}", headers=desk).json
    names = {f["name"] for f in detail["form"]["fields"]}
    assert "received_on" in names and detail["data"]["received_on"] == "2026-02-27"  # the receipt's own field
    data = {k: v for k, v in detail["data"].items() if k in names}
    future = client.post(f"/api/v1/work-items/{item['id']}/complete",
                         json={"data": {**data, "received_on": "2026-03-03"}}, headers=desk)
    assert future.status_code == 422 and future.json["fields"] == {
        "received_on": "Ngày này chưa đến; xin ghi ngày sự kiện đã xảy ra"}
    done = client.post(f"/api/v1/work-items/{item['id']}/complete", json={"data": data}, headers=desk)
    assert done.status_code == 200, done.json

    status = client.get(f"/api/v1/dossiers/{sent.json['code']}", headers=bearer(token_for("giamsat"))).json
    clocks = status["clocks"]
    received = {"event": "received", "on": "2026-02-27"}
    assert clocks["total"] == {"duration": {"amount": 30, "unit": "working-days"}, "due_on": "2026-04-10",
                               "started_at": clocks["total"]["started_at"], "counted_from": received}
    # The check, 5 working days from 27/2: 2, 3, 4, 5, 6 March.
    assert [(p["name"], p["due_on"], p["counted_from"]) for p in clocks["phases"]] == [
        ("check", "2026-03-06", received)]
    assert clocks["pauses"] == [] and clocks["corrections"] == [] and clocks["others"] == []
    assert [(d["event"], d["on"]) for d in clocks["effective_dates"]] == [("received", "2026-02-27")]
    assert clocks["effective_dates"][0]["recorded_at"].startswith("2026-03-02")


def test_a_received_date_in_the_future_or_without_zone_is_refused(app: Flask, token_for: Callable[..., str]) -> None:
    client = app.test_client()
    portal = bearer(token_for("congdvc"))
    future = client.post("/api/v1/dossiers", json=submission(received_at="2026-03-02T10:00:00+07:00"),
                         headers=portal)
    assert future.status_code == 422 and future.json["fields"] == {
        "received_at": "Ngày này chưa đến; xin ghi ngày sự kiện đã xảy ra"}
    naive = client.post("/api/v1/dossiers", json=submission(received_at="2026-02-27T10:00:00"), headers=portal)
    assert naive.status_code == 422 and "múi giờ" in naive.json["fields"]["received_at"]
    old = client.post("/api/v1/dossiers", json=submission(received_at="1999-02-27T10:00:00+07:00"), headers=portal)
    assert old.status_code == 422 and "2020" in old.json["fields"]["received_at"]


def test_every_procedure_with_a_deadline_promises_a_day_and_only_fees_take_fee_time(app: Flask) -> None:
    by_id = {p["id"]: p for p in app.test_client().get("/api/v1/procedures").json["procedures"]}
    # TT 10 d), 11 d): 3 working days to check and 5 to resolve once complete: 8 from receipt.
    for quantity in ("quantity_mark_declaration", "quantity_mark_adjustment"):
        assert by_id[quantity]["total"] == {"amount": 8, "unit": "working-days"}
    # Procedures without a fee (TT 4–6 h): "Phí, lệ phí: Không") say nothing about the time to pay one.
    for no_fee in ("radiation_licence_amendment", "radiation_licence_supplement", "radiation_licence_reissue"):
        assert "tài chính" not in by_id[no_fee]["total_excludes"]["vi"]
    assert "nghĩa vụ tài chính" in by_id["radiation_licence_issue"]["total_excludes"]["vi"]
