"""File names as kept and shown: no direction overrides or invisible characters, the extension kept when a
long name is cut (issue 17)."""

from __future__ import annotations

import pytest

from engine.runtime.attachment import MAX_FILENAME, Upload, check_uploads, safe_filename
from engine.runtime.errors import InvalidData

PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.mark.parametrize(("given", "kept"), [
    ("hoa-don\u202efdp.exe", "hoa-donfdp.exe"),  # shown as "hoa-donexe.pdf" with the override
    ("ban\u2066sao\u2069\u200b.pdf", "bansao.pdf"),
    ("C:\\Users\\an\\Đơn đề nghị.pdf", "Đơn đề nghị.pdf"),
    ("../../etc/passwd", "passwd"),
    ("\u202e", "tep"),
])
def test_names_lose_direction_overrides_and_invisible_characters(given: str, kept: str) -> None:
    assert safe_filename(given) == kept


def test_a_long_name_is_cut_in_its_stem_and_keeps_its_extension() -> None:
    kept = safe_filename("Báo cáo đánh giá an toàn " * 20 + ".pdf")
    assert len(kept) <= MAX_FILENAME and kept.endswith(".pdf") and kept.startswith("Báo cáo")


def test_the_type_is_judged_on_the_name_as_it_will_be_shown() -> None:
    with pytest.raises(InvalidData) as refused:
        check_uploads([Upload("file-a", "a", "hoa-don\u202efdp.exe", PDF)])
    assert "file-a" in refused.value.fields
