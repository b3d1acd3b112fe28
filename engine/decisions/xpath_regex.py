"""XPath regular expressions (what FEEL's `matches`, `replace` and `split` take, DMN 1.5 §10.3.4.3)
translated into Python's `re` syntax.

The two dialects differ where it matters: XPath's `.` never matches a line end, `$` is the very end,
character classes may subtract (`[A-Z-[OI]]`), the `x` flag drops whitespace itself, a back-reference
must name a group already seen, and Python-only syntax (`(?P...)`, `\\A`, `\\b`...) is an error.
A pattern that breaks these rules raises `ValueError`.

Patterns run on the `regex` package rather than `re` for one reason: a time limit. A pattern an analyst
writes may backtrack for ever on some text a citizen types (`(a|aa)+$`); every search, replace and split
stops after `TIME_LIMIT` seconds with `TimeoutError`, which FEEL turns into null with a note.
"""

from __future__ import annotations

import re

import regex

TIME_LIMIT = 0.25  # seconds for one search, replacement or split

_FLAGS = {"s": regex.S, "m": regex.M, "i": regex.I, "x": 0, "q": 0}
# Single-character escapes XPath allows, with their meaning in Python.
_ESCAPES = set("nrt\\|.?*+(){}-[]^$")
_CLASS_ESCAPES = {"d": r"\d", "D": r"\D", "s": r"\s", "S": r"\S", "w": r"\w", "W": r"\W"}
_BLOCKS = {"IsBasicLatin": "\\x00-\\x7f", "IsLatin-1Supplement": "\\x80-\\xff"}
_CATEGORIES = {"L": r"^\W\d_", "N": r"\d", "Nd": r"\d"}


def compile_xpath(pattern: str, flags: str | None = None) -> regex.Pattern[str]:
    """The compiled pattern; call its methods with `timeout=TIME_LIMIT`."""
    flags = flags or ""
    options = 0
    for flag in flags:
        if flag not in _FLAGS:
            raise ValueError(f"unknown regular expression flag {flag!r}")
        options |= _FLAGS[flag]
    if "q" in flags:
        return regex.compile(regex.escape(pattern), options & regex.I)
    if "x" in flags:
        pattern = _drop_whitespace(pattern)
    try:
        return regex.compile(_Translator(pattern, "s" in flags, "m" in flags).translate(), options)
    except regex.error as exc:
        raise ValueError(f"not a regular expression: {exc}") from None


def _drop_whitespace(pattern: str) -> str:
    out, depth = [], 0
    for index, char in enumerate(pattern):
        escaped = index > 0 and pattern[index - 1] == "\\"
        if char == "[" and not escaped:
            depth += 1
        elif char == "]" and not escaped and depth:
            depth -= 1
        if char in " \t\r\n" and not depth:
            continue
        out.append(char)
    return "".join(out)


class _Translator:
    def __init__(self, pattern: str, dot_all: bool, multi_line: bool) -> None:
        self.pattern = pattern
        self.at = 0
        self.dot_all = dot_all
        self.multi_line = multi_line
        self.groups = 0
        self.closed = 0

    def translate(self) -> str:
        out = []
        text = self.pattern
        while self.at < len(text):
            char = text[self.at]
            if char == "\\":
                out.append(self.escape(in_class=False))
                continue
            if char == "[":
                out.append(self.char_class())
                continue
            if char == "(":
                if text.startswith("(?:", self.at):
                    out.append("(?:")
                    self.at += 3
                    continue
                if text.startswith("(?", self.at):
                    raise ValueError("(? constructs other than (?: are not XPath")
                self.groups += 1
            elif char == ")":
                self.closed += 1
            elif char == "." and not self.dot_all:
                out.append("[^\\n\\r]")
                self.at += 1
                continue
            elif char == "$" and not self.multi_line:
                out.append("\\Z")
                self.at += 1
                continue
            elif char == "{" and not re.match(r"\{\d+(,\d*)?\}", text[self.at :]):
                raise ValueError("a quantifier must read {n}, {n,} or {n,m}")
            out.append(char)
            self.at += 1
        return "".join(out)

    def escape(self, in_class: bool) -> str:
        text = self.pattern
        if self.at + 1 >= len(text):
            raise ValueError("the pattern ends with a backslash")
        char = text[self.at + 1]
        self.at += 2
        if char.isdigit():
            if in_class or char == "0":
                raise ValueError("a back-reference is not allowed here")
            number = char
            while self.at < len(text) and text[self.at].isdigit() and int(number + text[self.at]) <= self.closed:
                number += text[self.at]
                self.at += 1
            if int(number) > self.closed:
                raise ValueError(f"back-reference \\{number} to a group not yet closed")
            return f"(?:\\{number})"
        if char in "pP":
            match = re.match(r"\{([\w\-]+)\}", text[self.at :])
            if match is None:
                raise ValueError("\\p needs a {name}")
            self.at += match.end()
            name = match.group(1)
            inside = _BLOCKS.get(name) or _CATEGORIES.get(name)
            if inside is None:
                raise ValueError(f"unsupported character category \\{char}{{{name}}}")
            negate = (char == "P") != inside.startswith("^")
            body = inside.lstrip("^")
            return f"[{'^' if negate else ''}{body}]" if not in_class or not negate else f"[^{body}]"
        if char in _CLASS_ESCAPES:
            return _CLASS_ESCAPES[char]
        if char in _ESCAPES:
            return "\\" + char
        raise ValueError(f"\\{char} is not an XPath escape")

    def char_class(self) -> str:
        """A character class from `[` to its `]`, subtraction `-[...]` included."""
        text = self.pattern
        self.at += 1
        negate = text.startswith("^", self.at)
        if negate:
            self.at += 1
        parts: list[str] = []
        subtract = None
        while True:
            if self.at >= len(text):
                raise ValueError("a character class is not closed")
            char = text[self.at]
            if char == "]" and parts:
                self.at += 1
                break
            if char == "-" and text.startswith("-[", self.at):
                self.at += 1
                subtract = self.char_class()
                if not text.startswith("]", self.at):
                    raise ValueError("a class subtraction must end the class")
                self.at += 1
                break
            if char == "\\":
                escaped = self.escape(in_class=True)
                parts.append(escaped[1:-1] if escaped.startswith("[") and not escaped.startswith("[^") else escaped)
                continue
            if char == "[":
                raise ValueError("'[' inside a character class must be escaped")
            parts.append("\\" + char if char in "[]\\^" else char)
            self.at += 1
        base = f"[{'^' if negate else ''}{''.join(parts)}]"
        if subtract is None:
            return base
        return f"(?:(?!{subtract}){base})"


def python_replacement(replacement: str) -> str:
    """An XPath replacement text (`$1` for a group, `\\$` and `\\\\` for the characters) in `re.sub` form."""
    out, index = [], 0
    while index < len(replacement):
        char = replacement[index]
        if char == "\\":
            following = replacement[index + 1 : index + 2]
            if following not in ("\\", "$"):
                raise ValueError("in a replacement, a backslash must precede $ or \\")
            out.append("\\\\" if following == "\\" else "$")
            index += 2
            continue
        if char == "$":
            number = re.match(r"\d+", replacement[index + 1 :])
            if number is None:
                raise ValueError("in a replacement, $ must precede a group number")
            out.append(f"\\g<{number.group()}>")
            index += 1 + number.end()
            continue
        out.append(char)
        index += 1
    return "".join(out)
