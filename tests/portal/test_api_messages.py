"""`POST /api/v1/messages`: outside systems (a payment platform, the document exchange) deliver messages to
the dossiers that wait for them, with a token of scope `messages:send`."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from engine.runtime.db import make_session_factory
from engine.runtime.deployment import deploy_files
from tests.messages.conftest import message_files
from tests.portal.test_api import bearer
from tests.webapp.conftest import sign_in

CODE = "000.00.19.H19-260302-0901"
FEE = {"fee_paid": 500000, "fee_paid_on": "2026-03-03"}


def registered(app: Flask) -> int:
    """A dossier of the test diagram that waits for the registry's acknowledgement."""
    platform = app.extensions["motcua"]
    with make_session_factory(platform.engine, write=True)() as session:
        deploy_files(session, message_files(), actor="test")
        session.commit()
    started = platform.dossiers.start("messages_demo", {}, "tiepnhan", code=CODE)
    platform.dossiers.complete(started.dossier_id, started.ready[0].id, {"ppc_ref": "UBND/17"}, "tiepnhan")
    return started.dossier_id


def test_a_message_is_delivered_kept_or_refused(app: Flask, token_for: Callable[..., str]) -> None:
    dossier_id = registered(app)
    client = app.test_client()
    desk = bearer(token_for("tiepnhan"))

    early = client.post("/api/v1/messages", headers=desk, json={
        "name": "ppc_answer", "correlation_key": "UBND/17", "payload": {"agrees": True}, "message_id": "lgsp-1"})
    assert early.status_code == 202, early.json
    assert (early.json["status"], early.json["dossier_code"], early.json["element"]) == ("kept", CODE, None)
    assert early.json["keep_until"].startswith("2026-04-01")

    ack = client.post("/api/v1/messages", headers=desk,
                      json={"name": "registry_ack", "correlation_key": CODE, "payload": {"registry_number": "QG-1"}})
    assert ack.status_code == 200, ack.json
    assert (ack.json["status"], ack.json["element"]) == ("delivered", "await_registry")
    # The kept answer was caught in the same command; the dossier now waits at the fee gateway.
    data = app.extensions["motcua"].dossiers.data(dossier_id)
    assert (data["registry_number"], data["ppc_answer"]) == ("QG-1", {"agrees": True})

    again = client.post("/api/v1/messages", headers=desk, json={
        "name": "ppc_answer", "correlation_key": "UBND/17", "payload": {"agrees": False}, "message_id": "lgsp-1"})
    assert (again.status_code, again.json["status"]) == (200, "duplicate")
    assert app.extensions["motcua"].dossiers.data(dossier_id)["ppc_answer"] == {"agrees": True}

    bad = client.post("/api/v1/messages", headers=desk, json={
        "name": "fee_confirmed", "correlation_key": CODE, "payload": {"fee_paid": -5}})
    assert bad.status_code == 422
    assert set(bad.json["fields"]) == {"payload.fee_paid", "payload.fee_paid_on"}

    paid = client.post("/api/v1/messages", headers=desk,
                       json={"name": "fee_confirmed", "correlation_key": CODE, "payload": FEE})
    assert paid.status_code == 200 and paid.json["next"] == [{"name": "Appraise", "role": "reception"}]

    nobody = client.post("/api/v1/messages", headers=desk,
                         json={"name": "fee_confirmed", "correlation_key": CODE, "payload": FEE})
    assert nobody.status_code == 404 and nobody.json["error"] == "not_found"
    assert "fee_confirmed" in nobody.json["message"] and CODE in nobody.json["message"]

    # The dossier's history tells the officers what came from outside, and when.
    sign_in(client, "tiepnhan")
    page = client.get(f"/dossiers/{dossier_id}").get_data(as_text=True)
    assert page.count("Nhận thông điệp") == 3 and "Thông điệp đến sớm, đang giữ" in page
    assert "“fee_confirmed” (000.00.19.H19-260302-0901)" in page and "Payment platform confirms the fee" in page


def test_messages_need_the_scope_and_a_well_formed_body(app: Flask, token_for: Callable[..., str]) -> None:
    registered(app)
    client = app.test_client()
    message = {"name": "registry_ack", "correlation_key": CODE}
    assert client.post("/api/v1/messages", json=message).status_code == 401
    assert client.post("/api/v1/messages", json=message, headers=bearer(token_for("chuyenvien"))).status_code == 403
    desk = bearer(token_for("tiepnhan"))
    malformed = client.post("/api/v1/messages", headers=desk,
                            json={"name": "registry ack", "correlation_key": "", "payload": [1], "extra": 1})
    assert malformed.status_code == 422
    assert set(malformed.json["fields"]) == {"name", "correlation_key", "payload", "extra"}
    hidden = client.post("/api/v1/messages", headers=desk, json={**message, "payload": {"note": "a\x00b"}})
    assert hidden.status_code == 422 and set(hidden.json["fields"]) == {"payload.note"}
    # Nothing above reached the dossier: it still takes the acknowledgement.
    assert client.post("/api/v1/messages", headers=desk, json=message).json["status"] == "delivered"
    liaison = bearer(token_for("lienthong"))
    assert client.post("/api/v1/messages", headers=liaison, json={
        "name": "ppc_answer", "correlation_key": "UBND/17"}).json["status"] == "delivered"


def test_the_openapi_document_describes_messages(app: Flask) -> None:
    operation = app.test_client().get("/api/v1/openapi.json").json["paths"]["/api/v1/messages"]["post"]
    assert set(operation["responses"]) >= {"200", "202", "401", "403", "404", "409", "422"}
    assert "messages:send" in operation["description"]
