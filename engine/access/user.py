"""People who sign in, with their roles and unit, and how an administrator looks after them (create, edit,
deactivate, reset a password): every change is audited. Passwords are hashed with Argon2id.

Refusals are `InvalidData` whose `fields` name the field and a reason code (`taken`, `short`, …): the web
app and the command line turn the codes into their own words."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from engine.access.roles import BY_CODE
from engine.access.sign_in_session import close_all_sessions, holder
from engine.legal_time.clock import clock
from engine.runtime import audit
from engine.runtime.db import Base
from engine.runtime.errors import InvalidData

_hasher = PasswordHasher()


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    # The position printed under a signature (Decree 30/2020: "PHÓ GIÁM ĐỐC" signs "KT. GIÁM ĐỐC").
    title: Mapped[str] = mapped_column(String(200), default="", server_default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    unit: Mapped[str] = mapped_column(String(200), default="", server_default="")
    created_at: Mapped[datetime]
    role_rows: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def roles(self) -> set[str]:
        return {r.role for r in self.role_rows}

    def check_password(self, password: str) -> bool:
        try:
            return _hasher.verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


class UserRole(Base):
    __tablename__ = "user_role"

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(100), primary_key=True, index=True)


def signed_in(session: Session, token: str | None, user_id: int) -> tuple[str, str, frozenset[str]] | None:
    """Username, full name and roles of `user_id` when the account is active and `token` is a live session of
    theirs, else None: one statement, as every page asks it (the session, the user and the roles were three)."""
    query = holder(token)
    if query is None:
        return None
    rows = session.execute(
        select(User.username, User.full_name, UserRole.role)
        .outerjoin(UserRole, UserRole.user_id == User.id)
        .where(User.id == user_id, User.id == query.scalar_subquery(), User.active.is_(True))).all()
    if not rows:
        return None
    return rows[0].username, rows[0].full_name, frozenset(r.role for r in rows if r.role is not None)


USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,49}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 8
# People who sign in act in these roles; applicants have no account.
ASSIGNABLE_ROLES = tuple(code for code in BY_CODE if code != "applicant")


def _check(full_name: str, email: str, roles: Iterable[str], unit: str) -> dict[str, str]:
    problems = {}
    if not full_name.strip() or len(full_name) > 200:
        problems["full_name"] = "required"
    if email and (len(email) > 200 or not EMAIL.match(email)):
        problems["email"] = "invalid"
    roles = list(roles)
    if not roles:
        problems["roles"] = "required"
    elif any(r not in ASSIGNABLE_ROLES for r in roles):
        problems["roles"] = "unknown"
    if len(unit) > 200:
        problems["unit"] = "long"
    return problems


def create_user(
    session: Session, username: str, password: str, full_name: str, roles: list[str], email: str = "",
    unit: str = "", actor: str | None = None,
) -> User:
    """A new active user; with an `actor`, checked field by field and audited (the seeding of demo users
    passes none)."""
    if actor is not None:
        problems = _check(full_name, email, roles, unit)
        if not USERNAME.match(username):
            problems["username"] = "invalid"
        elif find_user(session, username) is not None:
            problems["username"] = "taken"
        if len(password) < MIN_PASSWORD:
            problems["password"] = "short"
        if problems:
            raise InvalidData("the user was not created", fields=problems)
    unknown = [r for r in roles if r not in BY_CODE]
    if unknown:
        raise ValueError(f"unknown role(s): {', '.join(unknown)}")
    user = User(
        username=username,
        full_name=full_name.strip(),
        email=email.strip(),
        unit=unit.strip(),
        password_hash=_hasher.hash(password),
        created_at=clock.now(),
        role_rows=[UserRole(role=r) for r in dict.fromkeys(roles)],
    )
    session.add(user)
    if actor is not None:
        session.flush()
        audit.record(session, actor=actor, command="user_create",
                     data={"username": username, "roles": sorted(set(roles)), "unit": user.unit})
    return user


def set_password(session: Session, user: User, password: str) -> None:
    """A new password ends every session of the user: whoever had the old one is signed out."""
    user.password_hash = _hasher.hash(password)
    close_all_sessions(session, user.id)


def _activate(session: Session, user: User, active: bool) -> None:
    """Deactivating an account ends its sessions at once (and it can no longer sign in)."""
    user.active = active
    if not active:
        close_all_sessions(session, user.id)


def _existing(session: Session, username: str) -> User:
    user = find_user(session, username)
    if user is None:
        raise InvalidData("no such user", fields={"username": "unknown"})
    return user


def edit_user(
    session: Session, username: str, actor: str, *, full_name: str, email: str, roles: list[str], unit: str
) -> User:
    """New name, e-mail, roles and unit; the audit keeps what changed."""
    user = _existing(session, username)
    problems = _check(full_name, email, roles, unit)
    if problems:
        raise InvalidData("the user was not changed", fields=problems)
    before = {"full_name": user.full_name, "email": user.email, "roles": sorted(user.roles), "unit": user.unit}
    after = {"full_name": full_name.strip(), "email": email.strip(), "roles": sorted(set(roles)),
             "unit": unit.strip()}
    changed = {k: {"from": before[k], "to": after[k]} for k in after if before[k] != after[k]}
    if not changed:
        return user
    user.full_name, user.email, user.unit = after["full_name"], after["email"], after["unit"]
    if before["roles"] != after["roles"]:
        user.role_rows[:] = [r for r in user.role_rows if r.role in after["roles"]]
        session.flush()  # the removed roles go before the new ones arrive (same primary keys possible)
        user.role_rows.extend(UserRole(role=r) for r in after["roles"] if r not in before["roles"])
    audit.record(session, actor=actor, command="user_edit", data={"username": username, "changes": changed})
    return user


def set_active(session: Session, username: str, active: bool, actor: str) -> User:
    """Deactivated users can no longer sign in and their open sessions end at once; nothing of theirs is
    deleted, so the audit trail still names them."""
    user = _existing(session, username)
    if username == actor and not active:
        raise InvalidData("you cannot deactivate yourself", fields={"username": "self"})
    if user.active != active:
        _activate(session, user, active)
        audit.record(session, actor=actor, command="user_activate" if active else "user_deactivate",
                     data={"username": username})
    return user


def reset_password(session: Session, username: str, password: str, actor: str) -> User:
    user = _existing(session, username)
    if len(password) < MIN_PASSWORD:
        raise InvalidData("password too short", fields={"password": "short"})
    set_password(session, user, password)
    audit.record(session, actor=actor, command="user_password_reset", data={"username": username})
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def officers_with_role(session: Session, role: str) -> list[User]:
    """The active people who hold `role`, by name: whom a step of that role can be handed to."""
    return list(session.scalars(select(User).join(UserRole).where(UserRole.role == role, User.active)
                                .order_by(User.full_name)))


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


DEMO_PASSWORD = "motcua2026"

DEMO_USERS: tuple[tuple[str, str, list[str]], ...] = (
    ("tiepnhan", "Nguyễn Thị Tiếp Nhận", ["reception"]),
    ("chuyenvien", "Trần Văn Chuyên", ["specialist"]),
    ("truongphong", "Lê Thị Trưởng", ["office_head"]),
    ("lanhdao", "Phạm Văn Lãnh Đạo", ["leadership"]),
    ("chicuc", "Hoàng Thị Chi Cục", ["subdepartment"]),
    ("donvi", "Võ Văn Đơn Vị", ["st_unit"]),
    ("lienthong", "Đặng Thị Liên Thông", ["liaison"]),
    ("giamsat", "Bùi Văn Giám Sát", ["supervisor"]),
    ("phantich", "Đỗ Thị Phân Tích", ["analyst"]),
    ("quantri", "Ngô Văn Quản Trị", ["admin"]),
)
# The positions of the demo users who sign papers.
DEMO_TITLES = {"lanhdao": "Phó Giám đốc", "truongphong": "Trưởng phòng"}


# A colleague for every officer of the demo, so that handovers and absences can be tried.
DEMO_COLLEAGUES: tuple[tuple[str, str, list[str]], ...] = (
    ("tiepnhan2", "Mai Thị Tiếp Nhận Hai", ["reception"]),
    ("chuyenvien2", "Lý Thị Chuyên Hai", ["specialist"]),
    ("truongphong2", "Đinh Văn Trưởng Hai", ["office_head"]),
    ("lanhdao2", "Trịnh Thị Lãnh Đạo Hai", ["leadership"]),
    ("chicuc2", "Quách Văn Chi Cục Hai", ["subdepartment"]),
    ("donvi2", "Tạ Thị Đơn Vị Hai", ["st_unit"]),
    ("lienthong2", "Châu Văn Liên Thông Hai", ["liaison"]),
    ("giamsat2", "Lưu Thị Giám Sát Hai", ["supervisor"]),
)


def seed_demo_users(session: Session) -> int:
    """Creates the demo users (and their colleagues) that are missing; returns how many were created."""
    created = 0
    for username, full_name, roles in (*DEMO_USERS, *DEMO_COLLEAGUES):
        if find_user(session, username) is None:
            user = create_user(session, username, DEMO_PASSWORD, full_name, roles, email=f"{username}@motcua.local")
            user.title = DEMO_TITLES.get(username, "")
            created += 1
    return created
