"""Whom a paper names for the one who acted: a person, never an account's technical name.

An officer signs with the full name of their account. An integration acting through an API token (actor
"api:<token name>") acts as the token's user, who answers for it. A dossier filed on the portal was received by
no officer: its papers name the portal, as the seed names it ("Cổng Dịch vụ công trực tuyến tỉnh Đồng Nai",
step 2 of every procedure). Anyone else (the timer, a message from another system) names nobody: the line is
left for a signature by hand.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.access.api_token import ApiToken
from engine.access.user import User, find_user

API_PREFIX = "api:"
PORTAL_ACTOR = "portal"


def signatory(session: Session, actor: str, portal_name: str) -> str:
    """The name printed for `actor` on a paper ("" when no person or system can be named)."""
    user = find_user(session, actor)
    if user is not None:
        return user.full_name
    if actor.startswith(API_PREFIX):
        # Token names are free text: the name stands for a person only when one user holds tokens of it.
        names = set(session.scalars(select(User.full_name).join(ApiToken, ApiToken.user_id == User.id)
                                    .where(ApiToken.name == actor.removeprefix(API_PREFIX))))
        return names.pop() if len(names) == 1 else ""
    return portal_name if actor == PORTAL_ACTOR else ""
