"""The law kept in the diagrams: a procedure's legal phases must add up to the total its start event carries
(bpmn/README.md: procedures 1–7, the text's total is the sum of its phases), and the diagram must say what
its procedure.json says about phases and total. Reported as problems on the elements, before deploy."""

from __future__ import annotations

import json
import posixpath
from collections.abc import Mapping

from lxml import etree

from engine.legal_time.business_calendar import Duration
from engine.legal_time.legal_clock import PhaseSpec, parse_phase_property
from engine.runtime.problems import Problem

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
PROPERTY = ".//{http://spiffworkflow.org/bpmn/schema/1.0/core}property"
_SAFE = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def _words(duration: Duration) -> str:
    return f"{duration.amount} {duration.unit.value}"


def _sheet_duration(raw: object) -> Duration | None:
    if isinstance(raw, Mapping) and "amount" in raw:
        try:
            return Duration.from_parts(str(raw["amount"]), str(raw.get("unit", "working-days")))
        except ValueError:
            return None
    return None


def legal_problems(files: Mapping[str, str]) -> list[Problem]:
    """Every diagram in `files` that declares legal phases, checked against its total and procedure sheet.
    Malformed values are left to the validator (engine.runtime.validation), which reports them already."""
    problems: list[Problem] = []
    for path, text in sorted(files.items()):
        if not path.endswith(".bpmn"):
            continue
        try:
            root = etree.fromstring(text.encode("utf-8"), _SAFE)
        except etree.XMLSyntaxError:
            continue
        sheet_path = posixpath.join(posixpath.dirname(path), "procedure.json")
        try:
            sheet = json.loads(files[sheet_path]) if sheet_path in files else {}
        except json.JSONDecodeError:
            sheet = {}  # the validator reports it
        for process in root.iter(f"{BPMN}process"):
            problems += _process_problems(path, process, sheet if isinstance(sheet, dict) else {})
    return problems


def _process_problems(path: str, process: etree._Element, sheet: Mapping) -> list[Problem]:
    phases: dict[str, tuple[str, PhaseSpec]] = {}  # a phase on two alternative paths counts once
    total: tuple[str, Duration] | None = None
    malformed = False
    for prop in process.iterfind(PROPERTY):
        element = prop.getparent().getparent().getparent()
        element_id = element.get("id", "") if element is not None else ""
        try:
            if prop.get("name") == "legal-phase":
                spec = parse_phase_property(prop.get("value", ""))
                phases.setdefault(spec.name, (element_id, spec))
            elif prop.get("name") == "legal-total":
                total = (element_id, Duration.parse(prop.get("value", "")))
        except ValueError:
            malformed = True  # the validator names it; no sum is meaningful until it is fixed
    problems = []
    if total is not None and phases and not malformed:
        where, declared = total
        units = {spec.duration.unit for _, spec in phases.values()}
        added = sum(spec.duration.amount for _, spec in phases.values())
        if units != {declared.unit} or added != declared.amount:
            parts = " + ".join(f"{name} {_words(spec.duration)}" for name, (_, spec) in phases.items())
            problems.append(Problem(path, where, f"legal-total {_words(declared)} is not the sum of the phases "
                                                 f"({parts})"))
    written = {p["name"]: p for p in sheet.get("phases") or [] if isinstance(p, Mapping) and "name" in p}
    if sheet.get("process_id") not in (None, process.get("id")):
        return problems
    for name, (where, spec) in phases.items():
        entry = written.get(name)
        if written and entry is None:
            problems.append(Problem(path, where, f"phase '{name}' is not among the phases of procedure.json "
                                                 f"({', '.join(written)})"))
        elif entry is not None and _sheet_duration(entry) != spec.duration:
            problems.append(Problem(path, where, f"phase '{name}' lasts {_words(spec.duration)} here but "
                                                 f"{entry.get('amount')} {entry.get('unit')} in procedure.json"))
    sheet_total = _sheet_duration(sheet.get("total"))
    if total is not None and sheet_total is not None and sheet_total != total[1]:
        problems.append(Problem(path, total[0], f"legal-total {_words(total[1])} differs from procedure.json's "
                                                f"total {_words(sheet_total)}"))
    return problems
