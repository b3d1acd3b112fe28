from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).parent / "data"


def read(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def demo_files() -> dict[str, str]:
    """The core tests' procedure: its diagram and the form of its reception task."""
    return {"licence_demo.bpmn": read("licence_demo.bpmn"), "forms/reception.json": read("forms/reception.json")}
