"""`motcua calendar ...` against a real database (SQLite and PostgreSQL), and without one."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import text
from sqlalchemy.engine import Engine

from engine.cli.calendar_cli import calendar_group
from engine.legal_time.business_calendar import seed_file_overrides


@pytest.fixture
def database_url(db: Engine) -> str:
    """A URL the CLI can open on its own that reaches the test's database (and schema, on PostgreSQL)."""
    url = db.url
    if db.dialect.name == "postgresql":
        with db.connect() as conn:
            schema = conn.scalar(text("select current_schema()"))
        url = url.update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def run(database_url: str, *args: str) -> Result:
    return CliRunner().invoke(calendar_group, list(args), env={"DATABASE_URL": database_url})


def test_seed_then_ask(database_url: str) -> None:
    result = run(database_url, "seed")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"calendar overrides seeded: {len(seed_file_overrides())}\n"
    # Received Fri 13/2/2026, 5 wd over Tết (14-22/2 off) → 23..27 → due Fri 27/2/2026.
    assert run(database_url, "add", "2026-02-13", "5", "working-days").stdout == "2026-02-27\n"
    # Mon 9/2/2026 + 10 cd = Thu 19/2 (Tết) → Mon 23/2.
    assert run(database_url, "add", "2026-02-09", "10", "calendar-days").stdout == "2026-02-23\n"
    assert run(database_url, "is-working", "2026-01-10").stdout == "yes\n"  # swapped Saturday
    assert run(database_url, "is-working", "2026-01-02").stdout == "no\n"  # swapped Friday
    assert run(database_url, "is-working", "2026-01-05").stdout == "yes\n"


def test_list_a_year(database_url: str) -> None:
    run(database_url, "seed")
    lines = run(database_url, "list", "2026").stdout.splitlines()
    assert len(lines) == 16  # 14 weekdays off, 2 Saturdays worked
    assert lines[0] == "2026-01-01 Thu day_off     Tết Dương lịch"
    assert lines[1].startswith("2026-01-02 Fri day_off     Nghỉ hoán đổi dịp Tết Dương lịch 2026")
    assert lines[2].startswith("2026-01-10 Sat working_day Làm bù cho ngày nghỉ thứ Sáu 02/01/2026")
    assert any(line.startswith("2026-08-22 Sat working_day ") for line in lines)
    assert lines == sorted(lines)


def test_an_administrator_adds_and_removes_an_override(database_url: str) -> None:
    # Received Wed 3/2/2027, 3 wd from the rules: 11, 12, 15 → Mon 15/2/2027.
    assert run(database_url, "add", "2027-02-03", "3", "working-days").stdout == "2027-02-15\n"
    added = run(database_url, "override-add", "2027-02-11", "day_off", "Nghỉ Tết 2027", "--by", "admin")
    assert added.exit_code == 0, added.output
    # Thu 11/2 off → 12 (1), 15 (2), 16 (3) → Tue 16/2/2027.
    assert run(database_url, "add", "2027-02-03", "3", "working-days").stdout == "2027-02-16\n"
    again = run(database_url, "override-add", "2027-02-11", "working_day", "khác")
    assert again.exit_code == 1 and "already has an override" in again.stderr
    assert run(database_url, "override-remove", "2027-02-11").exit_code == 0
    assert run(database_url, "add", "2027-02-03", "3", "working-days").stdout == "2027-02-15\n"
    missing = run(database_url, "override-remove", "2027-02-11")
    assert missing.exit_code == 1 and "there is no override on 2027-02-11" in missing.stderr


def test_bad_arguments_are_refused(database_url: str) -> None:
    assert run(database_url, "add", "2026-02-13", "5", "weeks").exit_code == 2
    assert run(database_url, "add", "13/02/2026", "5", "working-days").exit_code == 2
    assert run(database_url, "override-add", "2027-02-11", "holiday", "x").exit_code == 2


def test_without_the_table_the_seed_file_answers(tmp_path: Path) -> None:
    empty = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    result = run(empty, "is-working", "2026-01-02")
    assert result.exit_code == 0
    assert result.stdout == "no\n"
    assert "no calendar_override table" in result.stderr
    refused = run(empty, "override-add", "2027-02-11", "day_off", "x")
    assert refused.exit_code == 1 and "run `motcua init` first" in refused.stderr
