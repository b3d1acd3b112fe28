"""Names and string literals in FEEL texts, before the grammar sees them. FEEL allows spaces and some
punctuation in names ("Monthly Salary", "Person's age"); the lexer cannot know where such a name ends,
so the names a file declares (and those a text declares itself) are swapped for placeholder tokens
before parsing, never inside string literals, whose escapes `unescape` reads."""

from __future__ import annotations

import re
from collections.abc import Collection

STRING_LITERAL = re.compile(r'"(?:[^"\\]|\\.)*"')
_PROTECTED = re.compile("\ue000(\\d+)\ue001")
_SIMPLE_NAME = re.compile(r"[^\W\d]\w*")
_DOTTED_WORDS = re.compile(r"\w\.[^\W\d]")
KEYWORDS = frozenset(
    {"true", "false", "null", "and", "or", "for", "in", "return", "if", "then", "else", "some", "every"}
    | {"satisfies", "between", "instance", "of", "function", "external"}
)
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "r": "\r", "t": "\t", "'": "'"}
# Names the built-ins and the temporal properties use that have spaces in them.
_SPACED_NAMES = (
    "years and months duration",
    "days and time duration",
    "date and time",
    "time offset",
    "start included",
    "end included",
    "start position",
    "grouping separator",
    "decimal separator",
)


def unescape(literal: str) -> str:
    body = literal[1:-1]
    if "\\" not in body:
        return body
    out, i = [], 0
    while i < len(body):
        char = body[i]
        if char == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", body[i + 2 : i + 6]):
                out.append(chr(int(body[i + 2 : i + 6], 16)))
                i += 6
                continue
            if nxt == "U" and re.fullmatch(r"[0-9a-fA-F]{6}", body[i + 2 : i + 8]):
                out.append(chr(int(body[i + 2 : i + 8], 16)))
                i += 8
                continue
            # Only FEEL's escapes are read; any other backslash stays, for regular expressions ("\\s").
            out.append(_ESCAPES.get(nxt, "\\" + nxt))
            i += 2
            continue
        out.append(char)
        i += 1
    text = "".join(out)
    if any("\ud800" <= c <= "\udfff" for c in text):
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


class NameTable:
    """The names of one DMN file that are not plain identifiers ("Monthly Salary"). FEEL allows spaces
    in names; the lexer cannot know where such a name ends, so known names are swapped for placeholder
    tokens before parsing (never inside string literals)."""

    def __init__(self, names: Collection[str] = ()) -> None:
        from .builtins import BUILTINS

        self.declared = frozenset(names)
        candidates = set(names) | set(BUILTINS) | set(_SPACED_NAMES)
        # A name made of dotted words ("Person.Gender") is read as a path, which finds the same value.
        special = {
            n
            for n in candidates
            if n and not _SIMPLE_NAME.fullmatch(n) and n not in KEYWORDS and not _DOTTED_WORDS.search(n)
        }
        self.names = sorted(special, key=len, reverse=True)
        # A name's words may be split by any whitespace, a line break included.
        self._pattern = (
            re.compile(
                r"(?<![\w\ue000])(?:"
                + "|".join(re.escape(n).replace(r"\ ", r"\s+") for n in self.names)
                + r")(?![\w\ue001])"
            )
            if self.names
            else None
        )
        self._index = {" ".join(name.split()): i for i, name in enumerate(self.names)}

    def protect(self, text: str) -> str:
        if self._pattern is None:
            return text
        pattern, index = self._pattern, self._index

        def swap(segment: str) -> str:
            return pattern.sub(lambda m: f"\ue000{index[' '.join(m.group(0).split())]}\ue001", segment)

        pieces, last = [], 0
        for literal in STRING_LITERAL.finditer(text):
            pieces.append(swap(text[last : literal.start()]))
            pieces.append(literal.group(0))
            last = literal.end()
        pieces.append(swap(text[last:]))
        return "".join(pieces)

    def restore(self, text: str) -> str:
        return _PROTECTED.sub(lambda m: self.names[int(m.group(1))], text)


_LOCAL_NAME = re.compile(r"(?:[{,(]|\bfor|\bsome|\bevery)\s*([^\W\d][^{}:,()\"\[\]]*?)\s*(?::|\bin\b)")


_PARAMETERS = re.compile(r"\bfunction\s*\(([^)]*)\)")
_STRING_KEY = re.compile(r'[{,]\s*"((?:[^"\\]|\\.)+)"\s*:')


def local_names(text: str) -> set[str]:
    """Names an expression declares itself: context keys, function parameters and loop variables."""
    found = set()
    for literal_free in STRING_LITERAL.split(text):
        for match in _LOCAL_NAME.finditer(literal_free):
            name = match.group(1).strip()
            if not any(word in KEYWORDS for word in name.split()):
                found.add(name)
        for match in _PARAMETERS.finditer(literal_free):
            found.update(p.split(":")[0].strip() for p in match.group(1).split(",") if p.strip())
    found.update(unescape(f'"{match.group(1)}"') for match in _STRING_KEY.finditer(text))
    return found
