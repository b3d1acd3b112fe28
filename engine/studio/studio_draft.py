"""Drafts of the analysts' studio: edited files kept beside the deployed ones until they are deployed.

One draft per subject (the procedure or shared part being edited, or a diagram being imported), shared by
the analysts. A save names the draft version it started from; a save over someone else's newer one is
refused with who saved and when (optimistic locking, as for dossiers): the refused text is still in the
analyst's editor and the other's is in the database, so nothing is lost. Each edited file remembers the
deployed text it started from; a deployment made meanwhile that changed the same file refuses this
draft's deployment instead of silently undoing the other one.

A draft may be invalid (that is what drafts are for), with one exception: a text the safe evaluator
forbids (an import, a name starting with '_', …) is refused at save, so none is ever stored or run.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping
from dataclasses import asdict
from datetime import datetime
from typing import Any

from lxml import etree
from sqlalchemy import JSON, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.orm.exc import StaleDataError

from engine.expressions.checker import find_problems
from engine.expressions.parsing import parse_python
from engine.legal_time.clock import clock
from engine.runtime.db import Base
from engine.runtime.deployment import Deployed, deploy_files
from engine.runtime.errors import Conflict, InvalidData, NotFound
from engine.runtime.problems import Problem, ValidationFailed
from engine.runtime.validation import EXPRESSION_XPATHS, NS, parse_bundle, size_problem
from engine.studio.studio_workspace import Workspace, digest

MAX_FILE_CHARS = 5_000_000
MAX_FILES = 100
EDITABLE_SUFFIXES = (".bpmn", ".dmn", ".json")
_SEGMENT = re.compile(r"^[A-Za-z0-9_.\-]+$")
_XML = etree.XMLParser(resolve_entities=False, no_network=True)


class StudioDraft(Base):
    __tablename__ = "studio_draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The process id of the procedure or shared part being edited, or the name given to an imported diagram.
    subject: Mapped[str] = mapped_column(String(200), unique=True)
    main_file: Mapped[str] = mapped_column(String(500))
    # The edited files, whole, by path in the workspace (a file edited back to its deployed text leaves).
    files: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # The hash of the deployed text each edited file started from (None: a new file).
    base: Mapped[dict[str, str | None]] = mapped_column(JSON, default=dict)
    base_version: Mapped[int | None]
    # The problems found at the last save (Problem fields), shown in the library without re-checking.
    problems: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class DraftConflict(Conflict):
    """Someone saved, deployed or discarded the draft meanwhile; says who and when where it can."""

    def __init__(self, message: str, *, by: str | None = None, at: datetime | None = None,
                 version: int | None = None, files: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.by, self.at, self.version, self.files = by, at, version, files


def find_draft(session: Session, subject: str) -> StudioDraft | None:
    return session.scalar(select(StudioDraft).where(StudioDraft.subject == subject))


def list_drafts(session: Session) -> dict[str, StudioDraft]:
    return {d.subject: d for d in session.scalars(select(StudioDraft))}


def check_paths(files: Mapping[str, Any]) -> None:
    """Paths are plain relative paths of diagrams, tables and forms; texts are bounded."""
    if len(files) > MAX_FILES:
        raise InvalidData(f"at most {MAX_FILES} files at once")
    for path, text in files.items():
        segments = path.split("/") if isinstance(path, str) else []
        if not segments or not all(_SEGMENT.match(s) and s not in (".", "..") for s in segments) \
                or not path.endswith(EDITABLE_SUFFIXES):
            raise InvalidData(f"'{path}' is not a path of a diagram, table or form")
        if not isinstance(text, str) or len(text) > MAX_FILE_CHARS:
            raise InvalidData(f"'{path}' must be a text of at most {MAX_FILE_CHARS:,} characters")


def _owner_id(node: etree._Element) -> str:
    node = node.getparent()
    while node is not None:
        if node.get("id") and not str(node.tag).endswith("EventDefinition"):
            return node.get("id")
        node = node.getparent()
    return ""


def _forbidden(text: str, mode: str) -> list[str]:
    """The constructs the safe evaluator forbids in a text (not its syntax errors: a draft may have those).

    A statement such as `import os` given as a condition is a syntax error as an expression, so the text
    is also read as a script before it is called harmless."""
    source = textwrap.dedent(text)
    for attempt in (mode, "exec"):
        try:
            tree = parse_python(source.strip() if attempt == "eval" else source, mode=attempt)
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            continue
        return [f"line {line}: {message}" for line, message in find_problems(tree, attempt)]
    return []


def forbidden_texts(files: Mapping[str, str]) -> list[Problem]:
    """Every expression, script and timer of the diagrams among `files` that uses a forbidden construct, and
    every diagram too large to be read for them."""
    problems = []
    for path, text in sorted(files.items()):
        if not path.endswith(".bpmn"):
            continue
        # Over the bounds, the file is refused unparsed: parsing it would hold the server a second per
        # million elements, and a text this size is never checked, so it is never stored either.
        too_big = size_problem(path, text)
        if too_big is not None:
            problems.append(too_big)
            continue
        try:
            tree = etree.fromstring(text.encode("utf-8"), _XML)
        except etree.XMLSyntaxError:
            continue
        for xpath, mode, what in EXPRESSION_XPATHS:
            for node in tree.xpath(xpath, namespaces=NS):
                problems += [Problem(path, _owner_id(node), f"{what}: {m}") for m in _forbidden(node.text or "", mode)]
        for node in tree.xpath(".//spiffworkflow:property[@name='starts-dossier-when']", namespaces=NS):
            problems += [Problem(path, _owner_id(node), f"property starts-dossier-when: {m}")
                         for m in _forbidden(node.get("value", ""), "eval")]
    return problems


def check_files(workspace: Workspace, files: Mapping[str, str]) -> list[Problem]:
    """The problems of the workspace with `files` laid over it: the check `motcua validate` makes."""
    return parse_bundle({**workspace.files, **files}).problems


def save_draft(
    session: Session, workspace: Workspace, subject: str, changes: Mapping[str, str], actor: str, *,
    expected_version: int | None, main_file: str,
) -> StudioDraft:
    """Store `changes` in the subject's draft and check the result; `expected_version` is the draft version
    the editor loaded (None: it believed there was no draft). The caller commits."""
    check_paths(changes)
    forbidden = forbidden_texts(changes)
    if forbidden:
        raise ValidationFailed(forbidden)
    draft = find_draft(session, subject)
    now = clock.now()
    if draft is None:
        if expected_version is not None:
            raise DraftConflict("the draft was deployed or discarded meanwhile")
        latest = workspace.latest.get(subject)
        draft = StudioDraft(subject=subject, main_file=main_file, files={}, base={},
                            base_version=latest.version if latest else None, created_by=actor, created_at=now)
        session.add(draft)
    elif draft.version != expected_version:
        raise DraftConflict("someone else saved the draft meanwhile", by=draft.updated_by, at=draft.updated_at,
                            version=draft.version)
    files, base = dict(draft.files or {}), dict(draft.base or {})
    for path, text in changes.items():
        deployed = workspace.files.get(path)
        base.setdefault(path, digest(deployed) if deployed is not None else None)
        if text == deployed:
            files.pop(path, None)
            base.pop(path, None)
        else:
            files[path] = text
    draft.files, draft.base = files, base
    draft.problems = [asdict(p) for p in check_files(workspace, files)]
    draft.updated_by, draft.updated_at = actor, now
    try:
        session.flush()
    except (IntegrityError, StaleDataError) as err:
        raise DraftConflict("someone else saved the draft meanwhile") from err
    return draft


def _expected(session: Session, subject: str, expected_version: int) -> StudioDraft:
    draft = find_draft(session, subject)
    if draft is None:
        raise NotFound("there is no draft to deploy or discard: it was deployed or discarded meanwhile")
    if draft.version != expected_version:
        raise DraftConflict("someone else saved the draft meanwhile", by=draft.updated_by, at=draft.updated_at,
                            version=draft.version)
    return draft


def discard_draft(session: Session, subject: str, expected_version: int) -> None:
    session.delete(_expected(session, subject, expected_version))
    session.flush()


def stale_files(workspace: Workspace, draft: StudioDraft) -> list[str]:
    """Edited files whose deployed text changed since the draft started from it."""
    return sorted(p for p, h in (draft.base or {}).items()
                  if (digest(workspace.files[p]) if p in workspace.files else None) != h)


def deploy_draft(
    session: Session, workspace: Workspace, subject: str, actor: str, *, expected_version: int
) -> list[Deployed]:
    """Validate the workspace with the draft over it and deploy a new version of every process it changes.

    Running dossiers keep the version they started on. Raises ValidationFailed (nothing stored),
    DraftConflict, or InvalidData when the draft changes nothing. The caller commits."""
    draft = _expected(session, subject, expected_version)
    stale = stale_files(workspace, draft)
    if stale:
        raise DraftConflict("a deployment made since the draft began changed the same files", files=tuple(stale))
    if not draft.files:
        raise InvalidData("the draft changes nothing")
    forbidden = forbidden_texts(draft.files)
    if forbidden:
        raise ValidationFailed(forbidden)
    deployed = deploy_files(session, {**workspace.files, **draft.files}, actor)
    session.delete(draft)
    session.flush()
    return [d for d in deployed if d.created]
