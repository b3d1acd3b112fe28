"""A validation problem, named the way an analyst can act on it: file, element, plain words."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    element_id: str
    message: str

    def __str__(self) -> str:
        element = f" [{self.element_id}]" if self.element_id else ""
        return f"{self.file}{element}: {self.message}"


class ValidationFailed(Exception):
    """Raised when a set of files cannot be deployed; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
