"""The properties a diagram's element carries (`spiffworkflow:properties`, bpmn/README.md): how every part of
the engine reads them off a SpiffWorkflow task spec."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def properties_of(task_spec: Any) -> Mapping[str, str]:
    """The element's properties by name; empty for an element without any (or a spec without extensions)."""
    return (getattr(task_spec, "extensions", None) or {}).get("properties", {})
