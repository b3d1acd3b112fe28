"""Vietnamese first, English available: the UI strings are written in Vietnamese and translated to
English in translations/en. The choice is kept in the session and switched from the header."""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, current_app, session
from flask_babel import Babel

TRANSLATIONS = Path(__file__).parent / "translations"


def current_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    # Officers of a Vietnamese agency: Vietnamese unless they chose otherwise, whatever the browser says.
    return languages[0]


def compile_catalogues(root: Path = TRANSLATIONS) -> list[Path]:
    """Compile every messages.po whose .mo is missing or older (install and test setup call this)."""
    compiled = []
    for po in sorted(root.glob("*/LC_MESSAGES/messages.po")):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as source:
            catalogue = read_po(source, locale=po.parent.parent.name)
        with mo.open("wb") as target:
            write_mo(target, catalogue)
        compiled.append(mo)
    return compiled


def init_app(app: Flask) -> None:
    compile_catalogues()
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    Babel(app, locale_selector=current_locale)
