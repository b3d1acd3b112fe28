"""Errors a command can end with. Each carries a message in plain words for the person who acted."""

from __future__ import annotations


class CommandError(Exception):
    """Base of every refusal a command gives; the transaction is rolled back, nothing is lost."""


class NotFound(CommandError):
    pass


class Conflict(CommandError):
    """Someone else changed the dossier first (optimistic version check)."""


class TaskNotReady(CommandError):
    """The task was completed, cancelled (e.g. by a timer) or never existed in this dossier."""


class InvalidData(CommandError):
    def __init__(self, message: str, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.fields = fields or {}


class ProcessError(CommandError):
    """The diagram failed while running (a script or decision error); names the element."""

    def __init__(self, message: str, element_id: str = ""):
        super().__init__(message)
        self.element_id = element_id
