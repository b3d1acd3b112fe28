"""The Vietnamese dictionary of the diagram and table editors (webapp/static/diagram-vi.js) against the bundles
that `make assets` copies: every text the bundles hand to translate() by name has a Vietnamese entry, and
every entry is a text of the bundles (a library upgrade that renames or adds a text fails here)."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DICTIONARY = ROOT / "webapp" / "static" / "diagram-vi.js"
DIST = ROOT / "webapp" / "static" / "dist"
BUNDLES = [DIST / "bpmn-js" / "bpmn-modeler.production.min.js", DIST / "dmn-js" / "dmn-modeler.production.min.js"]
# Keys the libraries put together before translating them (bpmn-js AlignElementsMenuProvider, ReplaceOptions).
COMPOSED = {f"Align elements {side}" for side in ("left", "center", "right", "top", "middle", "bottom")} | {
    "Empty pool/participant (removes content)"}
ENTRY = re.compile(r"^ {4}'((?:[^'\\]|\\.)*)':", re.M)
# A call through the injected service or a component's copy of it: translate("…") or _translate("…").
CALL = re.compile(r'[.\s_(,]translate\("((?:[^"\\]|\\.)*)"')


def bundle_texts() -> list[str]:
    missing = [str(b) for b in BUNDLES if not b.exists()]
    assert not missing, f"not copied: {missing}; run `make assets`"
    return [b.read_text(encoding="utf-8") for b in BUNDLES]


def keys() -> set[str]:
    return {key.replace("\\'", "'") for key in ENTRY.findall(DICTIONARY.read_text(encoding="utf-8"))}


def test_every_text_the_bundles_translate_by_name_has_a_vietnamese_entry() -> None:
    called = {json.loads(f'"{text}"') for bundle in bundle_texts() for text in CALL.findall(bundle)}
    assert len(called) > 100  # the decision table's components alone call it that often
    assert not called - keys()


def test_every_entry_is_a_text_of_the_bundles() -> None:
    texts = bundle_texts()
    unused = {key for key in keys() - COMPOSED
              if not any(json.dumps(key, ensure_ascii=False) in text or f"'{key}'" in text for text in texts)}
    assert len(keys()) > 300 and not unused
