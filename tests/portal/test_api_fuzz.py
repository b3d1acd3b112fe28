"""Schemathesis against the OpenAPI document: requests generated for every operation of /api/v1, valid
ones and invalid ones, never end in a server error and always get an answer the document describes
(status code, content type, body schema, headers); invalid ones are refused.

A dossier is submitted first, so that small generated ids and the first documents exist and the real
paths run, not only the 404s. Every check runs but `positive_data_acceptance`: a schema-valid submission
may still be refused, because what a dossier must contain depends on its procedure's form, which a static
document cannot say. The operations are driven through schemathesis's Python API inside one test (its
pytest plugin does not run on this pytest), with Hypothesis generating the cases from the document."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import positive_data_acceptance
from schemathesis.core.parameters import ParameterLocation

from tests.portal.conftest import PROCESS, submission

EXAMPLES = 40


def exercise(operation, mode: GenerationMode, headers: dict[str, str], **fixed: Any) -> list[int]:  # type: ignore[no-untyped-def]
    """Run Hypothesis's cases of one operation (some path parameters `fixed`); the status code of each."""
    seen: list[int] = []

    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=fixed or None))
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def run(case) -> None:  # type: ignore[no-untyped-def]
        # The real token, unless the headers are the case's invalid part (no Authorization, or a broken one):
        # those go as generated and must be refused, where the token put back made a valid request of them.
        header = case.meta.components.get(ParameterLocation.HEADER)
        token = headers if header is None or header.mode == GenerationMode.POSITIVE else {}
        seen.append(case.call_and_validate(headers=token, excluded_checks=[positive_data_acceptance]).status_code)

    run()
    return seen


def test_no_server_error_and_answers_as_documented(make_app: Callable[..., Flask], token_for) -> None:  # type: ignore[no-untyped-def]
    # Limits out of the way: the refusals under test are the document's, not a count running out.
    app = make_app(API_SUBMIT_LIMIT="100000 per minute", TRACKING_LIMIT="100000 per minute",
                   TRACKING_ADDRESS_LIMIT="100000 per minute")
    headers = {"Authorization": f"Bearer {token_for('tiepnhan')}"}
    seeded = app.test_client().post("/api/v1/dossiers", json=submission(), headers=headers)
    assert seeded.status_code == 201, seeded.json
    # The seeded dossier's receipt by its id: a generated id would land on it only by chance.
    status = app.test_client().get(f"/api/v1/dossiers/{seeded.json['code']}", headers=headers).json
    [receipt] = [d for d in status["documents"] if d["kind"] == "receipt"]
    known = {"code": seeded.json["code"], "process_id": PROCESS, "document_id": receipt["id"]}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.label for op in operations} >= {
        "GET /api/v1/procedures", "GET /api/v1/procedures/{process_id}", "POST /api/v1/dossiers",
        "GET /api/v1/dossiers/{code}", "GET /api/v1/dossiers/{code}/documents/{document_id}",
        "GET /api/v1/work-items", "GET /api/v1/work-items/{item_id}", "POST /api/v1/work-items/{item_id}/complete",
    }
    statuses: dict[str, list[int]] = {}
    for operation in operations:
        raw = operation.definition.raw
        # An operation without parameters or body has no invalid request to make.
        modes = list(GenerationMode) if raw.get("parameters") or raw.get("requestBody") else [GenerationMode.POSITIVE]
        for mode in modes:
            statuses.setdefault(operation.label, []).extend(exercise(operation, mode, headers))
        # And on the seeded dossier and a real procedure, for the answers that are not refusals.
        fixed = {k: v for k, v in known.items() if "{" + k + "}" in operation.path}
        if fixed:
            statuses[operation.label] += exercise(operation, GenerationMode.POSITIVE, headers, **fixed)
    print(f"{sum(map(len, statuses.values()))} requests:",
          {label: {code: codes.count(code) for code in sorted(set(codes))} for label, codes in statuses.items()})
    assert all(code < 500 for codes in statuses.values() for code in codes)
    # The real paths ran, not only refusals.
    for label in ("GET /api/v1/procedures", "GET /api/v1/procedures/{process_id}", "GET /api/v1/dossiers/{code}",
                  "GET /api/v1/dossiers/{code}/documents/{document_id}", "GET /api/v1/work-items/{item_id}"):
        assert 200 in statuses[label], label
    assert 422 in statuses["POST /api/v1/dossiers"]
