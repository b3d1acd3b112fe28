"""The motcua web app: an application factory with one blueprint per kind of user."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask
from sqlalchemy.engine import Engine

from engine.db import make_engine
from engine.dossier_service import DossierService


@dataclass
class Platform:
    """What the web handlers reach the engine through."""

    engine: Engine
    dossiers: DossierService


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.from_mapping(DATABASE_URL=None)
    if config:
        app.config.update(config)
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["motcua"] = Platform(engine=engine, dossiers=DossierService(engine))

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
