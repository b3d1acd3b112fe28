"""What goes wrong in an expression or script, in words an analyst can act on."""

from __future__ import annotations


class ExpressionError(Exception):
    """An expression or script could not be evaluated. `message` is plain words; `line` is 1-based."""

    def __init__(self, message: str, line: int | None = None):
        self.message = message
        self.line = line
        super().__init__(self._text())

    def _text(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message

    def at_line(self, line: int) -> None:
        """Attach the line of the statement that failed, unless a more precise one is known."""
        if self.line is None:
            self.line = line
            self.args = (self._text(),)


class UnsafeExpression(ExpressionError):
    """The text uses a construct the platform forbids (import, dunder access, lambda, while…)."""


class ExpressionTimeout(ExpressionError):
    """The evaluation ran past its step or wall-clock budget and was stopped."""
