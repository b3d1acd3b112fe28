"""People who sign in, with their roles. Passwords are hashed with Argon2id."""

from __future__ import annotations

from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from engine.access.roles import BY_CODE
from engine.access.sign_in_session import close_all_sessions
from engine.legal_time.clock import clock
from engine.runtime.db import Base

_hasher = PasswordHasher()


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
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


def create_user(
    session: Session, username: str, password: str, full_name: str, roles: list[str], email: str = ""
) -> User:
    unknown = [r for r in roles if r not in BY_CODE]
    if unknown:
        raise ValueError(f"unknown role(s): {', '.join(unknown)}")
    user = User(
        username=username,
        full_name=full_name,
        email=email,
        password_hash=_hasher.hash(password),
        created_at=clock.now(),
        role_rows=[UserRole(role=r) for r in roles],
    )
    session.add(user)
    return user


def set_password(session: Session, user: User, password: str) -> None:
    """A new password ends every session of the user: whoever had the old one is signed out."""
    user.password_hash = _hasher.hash(password)
    close_all_sessions(session, user.id)


def set_active(session: Session, user: User, active: bool) -> None:
    """Deactivating an account ends its sessions at once (and it can no longer sign in)."""
    user.active = active
    if not active:
        close_all_sessions(session, user.id)


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


def seed_demo_users(session: Session) -> int:
    """Creates the demo users that are missing; returns how many were created."""
    created = 0
    for username, full_name, roles in DEMO_USERS:
        if find_user(session, username) is None:
            create_user(session, username, DEMO_PASSWORD, full_name, roles, email=f"{username}@motcua.local")
            created += 1
    return created
