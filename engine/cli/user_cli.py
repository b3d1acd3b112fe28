"""`motcua user`: an administrator adds, changes, deactivates users and resets passwords from the shell.
Every change is audited with the `--actor` (default: cli), as in the browser."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click

from engine.runtime.db import make_engine, make_session_factory
from engine.runtime.errors import InvalidData

# The engine's reason codes (engine.access.user), in words.
REASONS = {
    "invalid": "not valid", "taken": "already taken", "unknown": "unknown", "self": "you cannot deactivate yourself",
    "required": "required", "short": "too short (at least 8 characters)", "long": "too long",
}


def _run(change: Callable[[Any], Any], done: str) -> None:
    with make_session_factory(make_engine(), write=True)() as session:
        try:
            change(session)
        except InvalidData as err:
            for field, code in err.fields.items():
                click.echo(f"{field}: {REASONS.get(code, code)}", err=True)
            sys.exit(1)
        session.commit()
    click.echo(done)


def _password(value: str | None) -> str:
    return value if value is not None else click.prompt("password", hide_input=True, confirmation_prompt=True)


@click.group("user")
def user_group() -> None:
    """People who sign in: create, edit, deactivate, reset-password, list."""


@user_group.command("create")
@click.argument("username")
@click.option("--name", "full_name", required=True, help="Full name.")
@click.option("--role", "roles", multiple=True, required=True, help="Role code (repeatable), e.g. specialist.")
@click.option("--email", default="")
@click.option("--unit", default="", help="The office or unit the person works in.")
@click.option("--password", default=None, help="Asked for when not given.")
@click.option("--actor", default="cli", show_default=True, help="Who makes the change (audit trail).")
def create(username: str, full_name: str, roles: tuple[str, ...], email: str, unit: str, password: str | None,
           actor: str) -> None:
    """Add an active user."""
    from engine.access.user import create_user

    secret = _password(password)
    _run(lambda s: create_user(s, username, secret, full_name, list(roles), email=email, unit=unit, actor=actor),
         f"user {username} created")


@user_group.command("edit")
@click.argument("username")
@click.option("--name", "full_name", default=None)
@click.option("--role", "roles", multiple=True, help="The new set of roles (repeatable); unchanged when omitted.")
@click.option("--email", default=None)
@click.option("--unit", default=None)
@click.option("--actor", default="cli", show_default=True)
def edit(username: str, full_name: str | None, roles: tuple[str, ...], email: str | None, unit: str | None,
         actor: str) -> None:
    """Change a user's name, e-mail, roles or unit."""
    from engine.access.user import edit_user, find_user

    def change(session: Any) -> None:
        user = find_user(session, username)
        if user is None:
            raise InvalidData("no such user", fields={"username": "unknown"})
        edit_user(session, username, actor, full_name=user.full_name if full_name is None else full_name,
                  email=user.email if email is None else email, roles=list(roles) or sorted(user.roles),
                  unit=user.unit if unit is None else unit)

    _run(change, f"user {username} saved")


@user_group.command("deactivate")
@click.argument("username")
@click.option("--actor", default="cli", show_default=True)
def deactivate(username: str, actor: str) -> None:
    """Refuse the user's sign-in from now on (nothing of theirs is deleted)."""
    from engine.access.user import set_active

    _run(lambda s: set_active(s, username, False, actor), f"user {username} deactivated")


@user_group.command("activate")
@click.argument("username")
@click.option("--actor", default="cli", show_default=True)
def activate(username: str, actor: str) -> None:
    """Let a deactivated user sign in again."""
    from engine.access.user import set_active

    _run(lambda s: set_active(s, username, True, actor), f"user {username} activated")


@user_group.command("reset-password")
@click.argument("username")
@click.option("--password", default=None, help="Asked for when not given.")
@click.option("--actor", default="cli", show_default=True)
def reset(username: str, password: str | None, actor: str) -> None:
    """Give the user a new password."""
    from engine.access.user import reset_password

    secret = _password(password)
    _run(lambda s: reset_password(s, username, secret, actor), f"password of {username} reset")


@user_group.command("list")
def list_() -> None:
    """Every user: name, roles, unit, active or not."""
    from engine.access.user import list_users

    with make_session_factory(make_engine())() as session:
        for user in list_users(session):
            state = "active" if user.active else "deactivated"
            click.echo(f"{user.username}\t{user.full_name}\t{','.join(sorted(user.roles))}\t{user.unit}\t{state}")
