"""Vietnamese first, English available: every string the web app shows has its English translation."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

WEBAPP = Path(__file__).resolve().parents[2] / "webapp"
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2")]


def test_every_message_of_the_web_app_is_translated_to_english() -> None:
    with (WEBAPP / "translations" / "en" / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalogue = read_po(source, locale="en")
    found = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(str(WEBAPP), METHODS):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.setdefault(msgid, f"{filename}:{lineno}")
    assert len(found) > 500  # the extraction itself worked
    untranslated = {msgid: where for msgid, where in found.items()
                    if msgid not in catalogue or not catalogue[msgid].string}
    assert not untranslated, f"no English for: {untranslated}"
