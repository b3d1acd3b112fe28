"""`motcua message send`: deliver a message from an outside system by hand (an answer that came by mail to
the administrator, a payment confirmation replayed after an outage), exactly as the API would."""

from __future__ import annotations

import json
import sys

import click

from engine.runtime.db import make_engine


@click.group("message")
def message_group() -> None:
    """Messages from outside systems to the dossiers waiting for them."""


@message_group.command("send")
@click.argument("name")
@click.argument("correlation_key")
@click.option("--payload", default="{}", show_default=True, help="The message's fields, as a JSON object.")
@click.option("--id", "message_id", default=None, help="The sender's message id: sent again, it is taken once.")
@click.option("--sender", default="cli", show_default=True, help="Who sends it (recorded in the audit trail).")
def send(name: str, correlation_key: str, payload: str, message_id: str | None, sender: str) -> None:
    """Deliver NAME to the dossier whose code (or declared key) is CORRELATION_KEY.

    Exit 0 when delivered, kept for a catcher not ready yet, or already received; 1 when refused.
    """
    from engine.runtime.dossier_service import DossierService
    from engine.runtime.errors import CommandError, InvalidData
    from engine.runtime.messages import MessageService

    try:
        fields = json.loads(payload)
    except json.JSONDecodeError as err:
        click.echo(f"not sent: --payload is not JSON ({err.msg} at character {err.pos})", err=True)
        sys.exit(1)
    try:
        delivery = MessageService(DossierService(make_engine())).send(name, correlation_key, fields,
                                                                     f"cli:{sender}", message_id)
    except InvalidData as err:
        click.echo(f"not sent: {err}", err=True)
        for field, message in sorted(err.fields.items()):
            click.echo(f"  {field}: {message}", err=True)
        sys.exit(1)
    except CommandError as err:
        click.echo(f"not sent: {err}", err=True)
        sys.exit(1)
    where = f"dossier {delivery.dossier_code or delivery.dossier_id}"
    if delivery.status == "kept":
        click.echo(f"kept for {where} until {delivery.keep_until:%Y-%m-%d %H:%M} UTC (its catcher is not ready "
                   f"yet), id {delivery.message_id}")
    elif delivery.status == "duplicate":
        click.echo(f"already received (id {delivery.message_id}) by {where}")
    else:
        click.echo(f"delivered to {where} at {delivery.element_id}, id {delivery.message_id}")
