"""Hostile diagrams in the studio (issue 17): the schema check is thread-safe, and an upload too large or
with too many elements is refused before it is parsed, while other requests go on."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests
from flask import Flask

from engine.studio.studio_workspace import Workspace
from tests.live_server import served, while_healthy
from tests.studio.conftest import LICENCE, LICENCE_FILE, licence_text

CHECK = f"/studio/procedures/{LICENCE}/check"


def signed_in(base_url: str) -> requests.Session:
    client = requests.Session()
    response = client.post(f"{base_url}/login", data={"username": "phantich", "password": "motcua2026"},
                           allow_redirects=False, timeout=30)
    assert response.status_code == 302
    return client


def test_eighty_parallel_checks_of_invalid_diagrams_each_get_their_own_error(app: Flask,
                                                                              workspace: Workspace) -> None:
    app.config["WTF_CSRF_ENABLED"] = False  # plain HTTP clients; CSRF is tested in test_studio_access
    text = licence_text(workspace)
    start = text.index("<bpmn:startEvent ") + len("<bpmn:startEvent ")

    def check(number: int) -> tuple[int, int, str]:
        invalid = text[:start] + f'bogus{number}="x" ' + text[start:]
        # Plain requests with the cookie: a requests.Session is not meant to be shared between threads.
        response = requests.post(base_url + CHECK, json={"files": {LICENCE_FILE: invalid}}, cookies=cookies,
                                 allow_redirects=False, timeout=120)
        return number, response.status_code, response.text

    with served(app) as base_url:
        cookies = signed_in(base_url).cookies.get_dict()
        with ThreadPoolExecutor(max_workers=80) as pool:
            results = list(pool.map(check, range(80)))
    assert [status for _, status, _ in results] == [200] * 80, [s for _, s, _ in results]
    for number, _, body in results:
        assert f"bogus{number}" in body, body[:500]
        others = [n for n in range(80) if n != number and f"'bogus{n}'" in body]
        assert others == [], f"check {number} got the errors of {others}"


def test_a_diagram_of_a_million_elements_is_refused_before_it_is_parsed(app: Flask, workspace: Workspace) -> None:
    app.config["WTF_CSRF_ENABLED"] = False
    text = licence_text(workspace)
    end = text.index("</bpmn:definitions>")
    huge = text[:end] + "<x/>" * 1_000_000 + text[end:]  # 4 MB
    with served(app) as base_url:
        client = signed_in(base_url)
        response = while_healthy(base_url, lambda: client.post(base_url + CHECK, json={"files": {LICENCE_FILE: huge}},
                                                                timeout=60))
    assert response.status_code == 200
    messages = [p["message"] for p in response.json()["problems"]]
    assert any("the limit is 2,000,000" in m for m in messages), messages
