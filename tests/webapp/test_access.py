"""Who may open what: every blueprint's pages for every role, with the test client.

Expected answers: 200 for a page of one's role, 403 for a page of another role, 404 for a dossier or work
item that is not one's role's (its existence is not revealed), a redirect to sign-in when anonymous."""

from __future__ import annotations

import pytest

from engine.access.user import DEMO_USERS
from tests.webapp.conftest import post, sign_in
from tests.webapp.helpers import open_item, register

ROLE_OF = {username: roles[0] for username, _, roles in DEMO_USERS}
ACTING = {"reception", "specialist", "office_head", "leadership", "subdepartment", "st_unit", "liaison"}

EVERYONE = set(ROLE_OF.values())
# path → (roles that get 200, roles that may use that part of the app at all). A signed-in user outside
# the second set gets 403; inside it but outside the first, 404 (the object is not theirs to see).
PAGES: dict[str, tuple[set[str], set[str]]] = {
    "/reception/": ({"reception"}, {"reception"}),
    "/reception/new/licence_web": ({"reception"}, {"reception"}),
    # Issue 15: supervisors see every role's open work in the inbox, to hand it over in bulk.
    "/inbox": (ACTING | {"supervisor"}, ACTING | {"supervisor"}),
    "/absences": (ACTING | {"supervisor", "admin"}, ACTING | {"supervisor", "admin"}),
    "/admin/users": ({"admin"}, {"admin"}),
    # Issues 7 and 8: the monitor is for supervisors and the studio for analysts, administrators reach both.
    "/supervisor/": ({"supervisor", "admin"}, {"supervisor", "admin"}),
    "/studio/": ({"analyst", "admin"}, {"analyst", "admin"}),
    "/admin/": ({"admin"}, {"admin"}),
    "/portal/": (EVERYONE, EVERYONE),
    "/api/me": (EVERYONE, EVERYONE),
    # The dossier has had only a reception and a specialist step: other lanes do not see it.
    "/dossiers/{dossier}": ({"reception", "specialist", "supervisor"}, ACTING | {"supervisor"}),
    "/dossiers/{dossier}/documents/{receipt}": ({"reception", "specialist", "supervisor"}, ACTING | {"supervisor"}),
    "/tasks/{check}": ({"specialist"}, ACTING),
}


@pytest.fixture
def world(app, client_for):  # type: ignore[no-untyped-def]
    dossier_id = register(client_for("tiepnhan"))
    from engine.onestop.documents import Document
    from engine.runtime.db import make_session_factory

    with make_session_factory(app.extensions["motcua"].engine)() as session:
        receipt = session.query(Document.id).filter_by(dossier_id=dossier_id).scalar()
    return {"dossier": dossier_id, "receipt": receipt, "check": open_item(app, dossier_id, "check").id}


@pytest.mark.parametrize("username", sorted(ROLE_OF))
def test_each_role_gets_its_pages_and_no_other(app, world, username: str) -> None:
    client = app.test_client()
    sign_in(client, username)
    role = ROLE_OF[username]
    answers = {}
    for template, (allowed, area) in PAGES.items():
        path = template.format(**world)
        expected = 200 if role in allowed else 404 if role in area else 403
        answers[path] = (client.get(path).status_code, expected)
    wrong = {p: a for p, a in answers.items() if a[0] != a[1]}
    assert not wrong, f"{username} ({role}): path → (got, expected) {wrong}"


def test_anonymous_is_sent_to_sign_in_everywhere_but_the_portal(app, world) -> None:
    client = app.test_client()
    for template in PAGES:
        path = template.format(**world)
        response = client.get(path)
        if path == "/portal/":
            assert response.status_code == 200
        elif path == "/api/me":
            assert response.status_code == 401 and response.json["error"] == "unauthorised"
        else:
            assert response.status_code == 302 and "/login?next=" in response.headers["Location"], path


def test_a_role_cannot_act_on_another_roles_work_item(app, world, client_for) -> None:
    office_head = client_for("truongphong")
    assert post(office_head, f"/inbox/items/{world['check']}/claim").status_code == 404
    response = post(office_head, f"/tasks/{world['check']}", {"version": "1", "decision": "accept"})
    assert response.status_code == 404
    assert open_item(app, world["dossier"], "check").assignee is None  # nothing happened


def test_a_document_of_another_dossier_is_not_served_through_this_one(app, world, client_for) -> None:
    other = register(client_for("tiepnhan"), name="Phòng khám Nha khoa Sài Gòn")
    specialist = client_for("chuyenvien")
    assert specialist.get(f"/dossiers/{other}/documents/{world['receipt']}").status_code == 404
    ok = specialist.get(f"/dossiers/{world['dossier']}/documents/{world['receipt']}")
    assert ok.status_code == 200 and ok.data.startswith(b"%PDF")
