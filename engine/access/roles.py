"""The roles of the one-stop shop. Lanes in diagrams are roles: a lane is named by a role's code or label."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Role:
    code: str
    vi: str
    en: str
    acts_on_dossiers: bool = True


ROLES: tuple[Role, ...] = (
    Role("reception", "Bộ phận tiếp nhận và trả kết quả", "Reception desk"),
    Role("specialist", "Chuyên viên", "Specialist officer"),
    Role("office_head", "Trưởng phòng", "Office head"),
    Role("leadership", "Lãnh đạo Sở", "DOST leadership"),
    Role("subdepartment", "Chi cục Tiêu chuẩn Đo lường Chất lượng", "Sub-Department of SMQ"),
    Role("st_unit", "Đơn vị sự nghiệp KH&CN", "Public S&T unit"),
    Role("liaison", "Cán bộ liên thông", "Liaison officer"),
    Role("applicant", "Tổ chức, cá nhân", "Applicant"),
    Role("supervisor", "Giám sát", "Supervisor", acts_on_dossiers=False),
    Role("analyst", "Chuyên viên quy trình", "Process analyst", acts_on_dossiers=False),
    Role("admin", "Quản trị hệ thống", "Administrator", acts_on_dossiers=False),
)

BY_CODE = {r.code: r for r in ROLES}


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())


_BY_LABEL = {_norm(label): r for r in ROLES for label in (r.code, r.vi, r.en)}


def role_for_lane(lane: str | None) -> Role | None:
    """The role a lane stands for, matched on code, Vietnamese or English label (case and spaces ignored)."""
    if not lane:
        return None
    return _BY_LABEL.get(_norm(lane))
