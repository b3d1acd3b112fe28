"""`motcua token`: an administrator creates, lists and revokes the API tokens of integrations."""

from __future__ import annotations

import sys

import click

from engine.runtime.db import make_engine, make_session_factory


@click.group("token")
def token_group() -> None:
    """API tokens (Authorization: Bearer …) for integrations."""


@token_group.command("create")
@click.argument("name")
@click.option("--user", "username", required=True, help="The user the token acts as (its roles give the scopes).")
@click.option("--scope", "scopes", multiple=True,
              help="Narrow the token to these scopes (repeatable); default: all its user's roles allow.")
@click.option("--actor", default="cli", show_default=True, help="Who creates it (recorded in the audit trail).")
def create(name: str, username: str, scopes: tuple[str, ...], actor: str) -> None:
    """Create a token; it is printed once and cannot be shown again."""
    from engine.cli.main import commands_on

    try:
        row, token = commands_on(make_engine()).create_token(name, username, actor, scopes)
    except ValueError as err:
        click.echo(f"not created: {err}", err=True)
        sys.exit(1)
    click.echo(f"token {row.id} for {username} ({', '.join(row.scopes)}):")
    click.echo(token)


@token_group.command("revoke")
@click.argument("token_id", type=int)
@click.option("--actor", default="cli", show_default=True, help="Who revokes it (recorded in the audit trail).")
def revoke(token_id: int, actor: str) -> None:
    """Revoke a token at once."""
    from engine.cli.main import commands_on

    try:
        row = commands_on(make_engine()).revoke_token(token_id, actor)
    except ValueError as err:
        click.echo(f"not revoked: {err}", err=True)
        sys.exit(1)
    click.echo(f"token {row.id} ({row.name}) revoked")


@token_group.command("list")
def list_() -> None:
    """The tokens, newest first (never the tokens themselves)."""
    from engine.access.api_token import list_tokens

    with make_session_factory(make_engine())() as session:
        for row, username in list_tokens(session):
            state = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "active"
            click.echo(f"{row.id}\t{row.hint}…\t{row.name}\t{username}\t{','.join(row.scopes)}\t{state}")
