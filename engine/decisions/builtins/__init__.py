"""FEEL's built-in functions (DMN 1.5 §10.3.4), one module per group of the specification. Importing
the package declares them all in `BUILTINS` (name -> function value)."""

from __future__ import annotations

from . import contexts, conversion, dates, lists, numbers, ranges, strings
from .conversion import feel_string
from .registry import BUILTINS, Builtin

__all__ = [
    "BUILTINS",
    "Builtin",
    "contexts",
    "conversion",
    "dates",
    "feel_string",
    "lists",
    "numbers",
    "ranges",
    "strings",
]
