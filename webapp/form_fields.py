"""Forms from their definitions (engine.runtime.forms): what the inputs are called, what they hold, and reading
them back from a posted form into the mapping `FormDefinition.validate` takes.

Input names: a field `x` is `<prefix>x`; a table cell is `<prefix>table-<row>-<column>` (rows from 0),
and a message for `devices.2.serial` lands on the input `devices-2-serial`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from engine.runtime.bounded_number import safe_text
from engine.runtime.definition import ProcessDefinition
from engine.runtime.deployment import form_cache
from engine.runtime.dossier import Dossier
from engine.runtime.forms import FormDefinition, find_form, load_form
from engine.runtime.problems import ValidationFailed
from engine.runtime.work_item import WorkItem
from webapp.views import platform

log = logging.getLogger(__name__)
MAX_ROWS = 200


def input_name(prefix: str, path: str) -> str:
    return prefix + path.replace(".", "-")


def as_text(value: Any) -> str:
    """A stored value as an input shows it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return safe_text(value)
    return str(value)


def _row_count(form: MultiDict, prefix: str, name: str) -> int:
    start = f"{prefix}{name}-"
    rows = [int(index) for index in (k[len(start):].split("-", 1)[0] for k in form if k.startswith(start))
            if _is_row_index(index)]
    return min(max(rows) + 1, MAX_ROWS) if rows else 0


def _is_row_index(text: str) -> bool:
    # "²".isdigit() is true but int("²") fails, and 5,000 digits are over int()'s limit: ASCII, a few digits.
    return text.isascii() and text.isdigit() and len(text) <= len(str(MAX_ROWS))


def read_posted(definition: FormDefinition, form: MultiDict, prefix: str = "") -> dict[str, Any]:
    """The raw values of the form's fields (strings, lists, row dicts), blank table rows left out."""
    values: dict[str, Any] = {}
    for field in definition.fields:
        name = prefix + field.name
        if field.type == "multiselect":
            values[field.name] = form.getlist(name)
        elif field.type == "checkbox":
            # An unticked box is not posted at all; the gateway must still read a "no".
            values[field.name] = "on" if form.get(name) else "false"
        elif field.type == "table":
            rows = []
            for index in range(_row_count(form, prefix, field.name)):
                row = {c.name: form.get(f"{name}-{index}-{c.name}", "") for c in field.columns}
                if any(str(v).strip() for v in row.values()):
                    rows.append(row)
            values[field.name] = rows
        else:
            values[field.name] = form.get(name, "")
    return values


def view_values(definition: FormDefinition, data: Mapping[str, Any]) -> dict[str, Any]:
    """Stored or posted values as the template shows them: text per input, lists for choices and rows."""
    shown: dict[str, Any] = {}
    for field in definition.fields:
        value = data.get(field.name)
        if field.type == "multiselect":
            shown[field.name] = [as_text(v) for v in value] if isinstance(value, list | tuple) else []
        elif field.type == "table":
            rows = value if isinstance(value, list | tuple) else []
            shown[field.name] = [{c.name: as_text(r.get(c.name)) for c in field.columns}
                                 for r in rows if isinstance(r, Mapping)]
        elif field.type == "checkbox":
            shown[field.name] = value is True or (isinstance(value, str) and value not in ("", "false"))
        else:
            shown[field.name] = as_text(value)
    return shown


def errors_by_input(fields: Mapping[str, str], prefix: str = "") -> dict[str, str]:
    return {input_name(prefix, path): message for path, message in fields.items()}



# Forms read from the diagrams folder, by file and modification time: each request used to parse the JSON.
_FORM_FILES: dict[tuple[Path, int], FormDefinition] = {}


def _load_form_file(path: Path) -> FormDefinition:
    key = (path, path.stat().st_mtime_ns)
    form = _FORM_FILES.get(key)
    if form is None:
        form = _FORM_FILES[key] = load_form(path)
    return form


def form_for(process_id: str, name: str | None) -> tuple[FormDefinition | None, str | None]:
    """The task's form definition, or the reason it cannot be shown."""
    if not name:
        return None, None
    path = find_form(platform().office.bpmn_root, process_id, name)
    if path is None:
        return None, _("Không tìm thấy biểu mẫu “%(name)s” của bước này; xin báo chuyên viên quy trình.", name=name)
    try:
        return _load_form_file(path), None
    except ValidationFailed as failed:
        log.error("form %s is broken: %s", path, failed)
        return None, _("Biểu mẫu “%(name)s” đang bị lỗi; xin báo chuyên viên quy trình.", name=name)


# The forms each deployed version carries ("process/task" keys), by its content hash: a version never changes,
# and its catalogue (every task of the diagram) is too big to read again at every look at a work item.
_DEPLOYED_FORMS: dict[str, tuple[str, ...]] = {}


def task_form(dossier: Dossier, item: WorkItem,
              content_hash: str | None = None) -> tuple[FormDefinition | None, str | None]:
    """The form of a work item as deployed with the dossier's version (the one the engine validates with; its
    `content_hash` when the caller read it already); the diagrams folder only when that version carries no
    forms."""
    if not item.form:
        return None, None
    with platform().read_session() as db:
        content_hash = content_hash or db.scalar(select(ProcessDefinition.content_hash)
                                                 .where(ProcessDefinition.id == dossier.definition_id))
        forms = _DEPLOYED_FORMS.get(content_hash)
        if forms is None:
            catalogue = db.scalar(select(ProcessDefinition.catalogue)
                                  .where(ProcessDefinition.id == dossier.definition_id))
            forms = _DEPLOYED_FORMS[content_hash] = tuple((catalogue or {}).get("forms", {}))
        key = next((k for k in forms if k.rsplit("/", 1)[-1] == item.task_spec), None)
        if key is not None:
            process, task = key.rsplit("/", 1)
            return form_cache.for_task(db, dossier.definition_id, content_hash, process, task), None
    return form_for(dossier.process_id, item.form)
