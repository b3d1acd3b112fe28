"""A validation problem, named the way an analyst can act on it: file, element, plain words."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    element_id: str
    message: str

    def __str__(self) -> str:
        # One problem, one line: messages from the XML may carry line breaks.
        element = f" [{' '.join(self.element_id.split())}]" if self.element_id else ""
        return f"{self.file}{element}: {' '.join(self.message.split())}"


class ValidationFailed(Exception):
    """Raised when a set of files cannot be deployed; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
