"""What changed between two versions: diagram elements by id, other files by their text.

Elements are compared by what the platform and a reader care about, not by their XML: type, name,
attributes, lane (the role), documentation, condition, script, event and timer, loop, and the
`spiffworkflow` extensions (properties such as `legal-phase`, the called decision, pre/post scripts).
Moving a shape is not a change of the procedure, so the diagram interchange part (BPMNDI) is left out.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from lxml import etree

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
# Children folded into their element's facts, never elements of their own.
FOLDED = {"documentation", "extensionElements", "conditionExpression", "script", "incoming", "outgoing", "flowNodeRef",
          "multiInstanceLoopCharacteristics", "standardLoopCharacteristics", "text"}
MAX_TEXT_DIFF_LINES = 400
_XML = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)

Kind = Literal["added", "removed", "changed"]


@dataclass(frozen=True)
class ElementChange:
    element_id: str
    kind: Kind
    type: str
    name: str
    # (aspect, before, after) for a changed element; aspects as in `element_facts`.
    changes: tuple[tuple[str, str | None, str | None], ...] = ()


@dataclass(frozen=True)
class FileChange:
    path: str
    kind: Kind
    elements: tuple[ElementChange, ...] = ()
    text_diff: tuple[str, ...] = ()  # unified diff lines (no file headers), for files that are not diagrams
    lines_left_out: int = 0

    @property
    def layout_only(self) -> bool:
        """A diagram whose text changed but none of its elements: shapes were moved."""
        return self.kind == "changed" and self.path.endswith(".bpmn") and not self.elements


@dataclass
class VersionDiff:
    files: list[FileChange] = field(default_factory=list)

    def for_file(self, path: str) -> FileChange | None:
        return next((f for f in self.files if f.path == path), None)


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _text(node: etree._Element | None) -> str:
    return " ".join("".join(node.itertext()).split()) if node is not None else ""


def _attribute_name(node: etree._Element, key: str) -> str:
    if not key.startswith("{"):
        return key
    qname = etree.QName(key)
    prefix = next((p for p, uri in (node.nsmap or {}).items() if uri == qname.namespace and p), None)
    return f"{prefix}:{qname.localname}" if prefix else qname.localname


def _lanes(tree: etree._Element) -> dict[str, str]:
    """Flow node id → the name of the innermost lane listing it."""
    found = {}
    for lane in tree.iter(f"{{{BPMN_NS}}}lane"):
        for ref in lane.iterfind(f"{{{BPMN_NS}}}flowNodeRef"):
            found[_text(ref)] = lane.get("name") or lane.get("id", "")
    return found


def _extension_facts(node: etree._Element, facts: dict[str, str]) -> None:
    for ext in node.iterfind(f"{{{BPMN_NS}}}extensionElements"):
        for child in ext:
            local = _local(child.tag)
            if not local:
                continue
            if etree.QName(child).namespace == SPIFF_NS and local == "properties":
                for prop in child:
                    if _local(prop.tag) == "property" and prop.get("name"):
                        facts[f"property:{prop.get('name')}"] = prop.get("value", "")
            elif etree.QName(child).namespace == SPIFF_NS and local == "calledDecisionId":
                facts["decision"] = _text(child)
            elif etree.QName(child).namespace == SPIFF_NS and local in ("preScript", "postScript"):
                facts["pre-script" if local == "preScript" else "post-script"] = (child.text or "").strip()
            else:  # another tool's extension: kept whole, so that a change to it still shows
                facts[f"extension:{_attribute_name(child, child.tag)}"] = etree.tostring(
                    child, encoding="unicode", with_tail=False).strip()


def element_facts(node: etree._Element, lanes: Mapping[str, str]) -> dict[str, str]:
    """What a reader compares of one element, by aspect."""
    facts = {"type": _local(node.tag)}
    for key, value in sorted(node.attrib.items()):
        if key not in ("id", XSI_TYPE):
            facts["name" if key == "name" else f"@{_attribute_name(node, key)}"] = value
    if node.get("id") in lanes:
        facts["lane"] = lanes[node.get("id")]
    documentation = " ".join(_text(d) for d in node.iterfind(f"{{{BPMN_NS}}}documentation"))
    if documentation:
        facts["documentation"] = documentation
    for tag, aspect in (("conditionExpression", "condition"), ("script", "script")):
        child = node.find(f"{{{BPMN_NS}}}{tag}")
        if child is not None:
            facts[aspect] = (child.text or "").strip()
    events = [c for c in node if _local(c.tag).endswith("EventDefinition")]
    if events:
        facts["event"] = ", ".join(_local(c.tag) for c in events)
        for event in events:
            for timer in event:
                if _local(timer.tag) in ("timeDate", "timeDuration", "timeCycle"):
                    facts["timer"] = f"{_local(timer.tag)}: {_text(timer)}"
            for key, value in event.attrib.items():
                if key != "id":
                    facts[f"event@{_attribute_name(event, key)}"] = value
    for loop in node:
        if _local(loop.tag) in ("multiInstanceLoopCharacteristics", "standardLoopCharacteristics"):
            parts = [_local(loop.tag), *(f"{k}={v}" for k, v in sorted(loop.attrib.items()) if k != "id")]
            parts += [f"{_local(c.tag)}={_text(c)}" for c in loop if _local(c.tag)]
            facts["loop"] = " ".join(parts)
    _extension_facts(node, facts)
    return facts


def _elements(text: str) -> dict[str, tuple[etree._Element, dict[str, str]]]:
    tree = etree.fromstring(text.encode("utf-8"), _XML)
    lanes = _lanes(tree)
    found = {}
    for node in tree.iter():
        local = _local(node.tag)
        if (not local or etree.QName(node).namespace != BPMN_NS or not node.get("id") or node is tree
                or local in FOLDED or local.endswith("EventDefinition")):
            continue
        found[node.get("id")] = (node, element_facts(node, lanes))
    return found


def _label(facts: Mapping[str, str], element_id: str) -> str:
    return facts.get("name") or element_id


def diff_diagrams(before: str, after: str) -> list[ElementChange]:
    """Elements added, removed and changed, in the order they appear in the documents."""
    old, new = _elements(before), _elements(after)
    changes = []
    for element_id, (_, facts) in new.items():
        if element_id not in old:
            changes.append(ElementChange(element_id, "added", facts["type"], _label(facts, element_id)))
            continue
        previous = old[element_id][1]
        differences = tuple((aspect, previous.get(aspect), facts.get(aspect))
                            for aspect in sorted(set(previous) | set(facts), key=_aspect_order)
                            if previous.get(aspect) != facts.get(aspect))
        if differences:
            changes.append(ElementChange(element_id, "changed", facts["type"], _label(facts, element_id), differences))
    changes += [ElementChange(element_id, "removed", facts["type"], _label(facts, element_id))
                for element_id, (_, facts) in old.items() if element_id not in new]
    return changes


def _aspect_order(aspect: str) -> tuple[int, str]:
    order = ("type", "name", "lane", "property:", "decision", "timer", "event", "condition", "script")
    return next((i for i, p in enumerate(order) if aspect.startswith(p)), len(order)), aspect


def diff_files(before: Mapping[str, str], after: Mapping[str, str]) -> VersionDiff:
    """The changes from one set of files (a version) to another (a later version, or a draft)."""
    diff = VersionDiff()
    for path in sorted(set(before) | set(after)):
        old, new = before.get(path), after.get(path)
        if old == new:
            continue
        if old is None or new is None:
            kind: Kind = "added" if old is None else "removed"
            elements: list[ElementChange] = []
            if path.endswith(".bpmn"):
                try:
                    elements = diff_diagrams(old or _EMPTY, new or _EMPTY)
                except etree.XMLSyntaxError:
                    elements = []
            diff.files.append(FileChange(path, kind, tuple(elements)))
            continue
        if path.endswith(".bpmn"):
            try:
                diff.files.append(FileChange(path, "changed", tuple(diff_diagrams(old, new))))
                continue
            except etree.XMLSyntaxError:
                pass  # a broken draft: its text is still compared below
        lines = list(difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=2))[2:]
        diff.files.append(FileChange(path, "changed", text_diff=tuple(lines[:MAX_TEXT_DIFF_LINES]),
                                     lines_left_out=max(0, len(lines) - MAX_TEXT_DIFF_LINES)))
    return diff


_EMPTY = f'<definitions xmlns="{BPMN_NS}"/>'
