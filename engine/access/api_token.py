"""API tokens for integrations (the provincial portal, a scanner at the desk, an officer's own tools).

An administrator creates a token for a user and hands it over once: only its SHA-256 is stored, so a copy
of the database opens nothing. A token acts as its user, with scopes: those chosen at creation, narrowed at
every use to what the user's roles allow then, so that a user who loses a role or is deactivated takes the
token's rights with them. Revoking is immediate and kept (the row stays, for the audit).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, bindparam, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.access.user import User, UserRole, find_user
from engine.legal_time.clock import clock
from engine.runtime import audit
from engine.runtime.db import Base, Prepared, connection

PREFIX = "mc_"

SCOPES: dict[str, str] = {
    "dossiers:submit": "submit dossiers on behalf of applicants",
    "dossiers:read": "read any dossier's status by its code, without the applicant's secret",
    "documents:read": "download the papers of the dossiers the user may see",
    "work_items:read": "list the open work items of the user's roles",
    "work_items:complete": "complete those work items",
    "messages:send": "deliver messages from outside systems (a fee confirmed, an answer by document exchange)",
}
_OFFICER = frozenset({"dossiers:read", "documents:read", "work_items:read", "work_items:complete"})
# What each role may do through the API. The applicant role is an integration filing for applicants: it
# submits, and reads a dossier only with its secret, like the applicant.
ROLE_SCOPES: dict[str, frozenset[str]] = {
    "applicant": frozenset({"dossiers:submit"}),
    # The desk records fees and the liaison officer outside answers: the systems that confirm those instead
    # (payment platform, document exchange) act as users of these roles.
    "reception": _OFFICER | {"dossiers:submit", "messages:send"},
    "liaison": _OFFICER | {"messages:send"},
    **{code: _OFFICER for code in ("specialist", "office_head", "leadership", "subdepartment", "st_unit")},
    "supervisor": frozenset({"dossiers:read", "documents:read"}),
}


class ApiToken(Base):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters, so that an administrator can tell tokens apart without holding them.
    hint: Mapped[str] = mapped_column(String(12))
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100))
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[str | None] = mapped_column(String(100))


@dataclass(frozen=True)
class TokenHolder:
    """Who a presented token acts as, and what it may do now."""

    token_id: int
    name: str
    username: str
    roles: frozenset[str]
    scopes: frozenset[str]


def scopes_for(roles: Iterable[str]) -> frozenset[str]:
    return frozenset().union(*(ROLE_SCOPES.get(r, frozenset()) for r in roles))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(
    session: Session, name: str, username: str, actor: str, scopes: Iterable[str] | None = None
) -> tuple[ApiToken, str]:
    """A new token and its one clear copy; ValueError when the user or a scope does not fit."""
    name = name.strip()
    if not name or len(name) > 100:
        raise ValueError("a token needs a name of 1 to 100 characters (who or what will use it)")
    user = find_user(session, username)
    if user is None or not user.active:
        raise ValueError(f"no active user {username!r}")
    allowed = scopes_for(user.roles)
    if not allowed:
        raise ValueError(f"the roles of {username!r} ({', '.join(sorted(user.roles))}) give no API scope")
    wanted = frozenset(scopes) if scopes else allowed
    unknown = sorted(wanted - set(SCOPES))
    if unknown:
        raise ValueError(f"unknown scope(s): {', '.join(unknown)} (one of {', '.join(SCOPES)})")
    refused = sorted(wanted - allowed)
    if refused:
        raise ValueError(f"the roles of {username!r} do not allow: {', '.join(refused)}")
    token = PREFIX + secrets.token_urlsafe(32)  # 32 random bytes
    row = ApiToken(name=name, user_id=user.id, token_hash=_digest(token), hint=token[:10], scopes=sorted(wanted),
                   created_at=clock.now(), created_by=actor)
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, command="token_create",
                 data={"token_id": row.id, "name": name, "user": username, "scopes": row.scopes})
    return row, token


def revoke_token(session: Session, token_id: int, actor: str) -> ApiToken:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise ValueError(f"no token {token_id}")
    if row.revoked_at is None:
        row.revoked_at, row.revoked_by = clock.now(), actor
        audit.record(session, actor=actor, command="token_revoke", data={"token_id": row.id, "name": row.name})
    return row


def list_tokens(session: Session) -> list[tuple[ApiToken, str]]:
    """Every token with its user's name, newest first."""
    rows = session.execute(select(ApiToken, User.username).join(User, User.id == ApiToken.user_id)
                           .order_by(ApiToken.id.desc()))
    return [(token, username) for token, username in rows]


# Every API call runs it: compiled once and run on the driver's cursor (SQLAlchemy's execution cost more
# than the lookup).
_HOLDER = Prepared(select(ApiToken.id, ApiToken.name, ApiToken.token_hash, ApiToken.scopes, User.username,
                          UserRole.role)
                   .join(User, User.id == ApiToken.user_id)
                   .outerjoin(UserRole, UserRole.user_id == User.id)
                   .where(ApiToken.token_hash == bindparam("digest"), ApiToken.revoked_at.is_(None),
                          User.active.is_(True)), ("digest",))


def authenticate(session: Session, presented: str) -> TokenHolder | None:
    """The holder of a presented token, or None when it is unknown, revoked, or its user inactive.

    One statement on the unique index of the digest (a SHA-256: the token is 32 random bytes, no password to
    stretch), joined to the user and its roles (a row per role)."""
    if not presented.startswith(PREFIX) or len(presented) > 200:
        return None
    digest = _digest(presented)
    rows = _HOLDER.rows(connection(session), {"digest": digest})
    # The lookup is by the digest of a random token, so its timing tells nothing; the comparison stays exact.
    if not rows or not hmac.compare_digest(rows[0]["token_hash"], digest):
        return None
    first = rows[0]
    roles = frozenset(r["role"] for r in rows if r["role"] is not None)
    return TokenHolder(first["id"], first["name"], first["username"], roles,
                       frozenset(first["scopes"]) & scopes_for(roles))
