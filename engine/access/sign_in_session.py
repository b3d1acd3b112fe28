"""Sign-in sessions kept on the server, so that signing out, a new password or a deactivated account ends
them: the signed cookie alone stayed valid for its whole lifetime (10 hours), even copied elsewhere.

The cookie carries a random token; the database keeps only its SHA-256, so that a copy of the table does
not let anyone sign in.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import ForeignKey, Select, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.legal_time.clock import clock
from engine.runtime.db import Base


class SignInSession(Base):
    __tablename__ = "sign_in_session"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(session: Session, user_id: int) -> str:
    """A new session of the user; returns the token the cookie carries."""
    token = secrets.token_urlsafe(32)
    session.add(SignInSession(token_hash=_hash(token), user_id=user_id, created_at=clock.now()))
    return token


def holder(token: str | None) -> Select[tuple[int]] | None:
    """The query of the user whose live session `token` is; None for what cannot be a token."""
    if not isinstance(token, str) or not token or len(token) > 100:
        return None
    return select(SignInSession.user_id).where(SignInSession.token_hash == _hash(token))


def close_session(session: Session, token: str | None) -> None:
    if isinstance(token, str) and token:
        session.execute(delete(SignInSession).where(SignInSession.token_hash == _hash(token)))


def close_all_sessions(session: Session, user_id: int) -> int:
    """End every session of a user (password changed, account deactivated); how many there were."""
    return session.execute(delete(SignInSession).where(SignInSession.user_id == user_id)).rowcount
