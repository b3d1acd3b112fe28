"""Writing dates and money the way Vietnamese administrative papers do."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from engine.legal_time.business_calendar import ZONE

_DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
_GROUPS = ("", "nghìn", "triệu", "tỷ")


def local(value: datetime) -> datetime:
    return value.astimezone(ZONE)


def last_day(deadline: datetime) -> date:
    """The day a deadline ends on: deadlines are stored as 24:00 of their last day (00:00 of the next)."""
    return local(deadline - timedelta(microseconds=1)).date()


def long_date(value: date | datetime) -> str:
    """`ngày 24 tháng 11 năm 2026` (days and months below 10 with a leading zero, as Decree 30 asks)."""
    if isinstance(value, datetime):
        value = local(value).date()
    return f"ngày {value.day:02d} tháng {value.month:02d} năm {value.year}"


def long_datetime(value: datetime) -> str:
    moment = local(value)
    return f"{moment.hour:02d} giờ {moment.minute:02d} phút, {long_date(moment)}"


def short_date(value: date | datetime) -> str:
    if isinstance(value, datetime):
        value = local(value).date()
    return f"{value:%d/%m/%Y}"


def money(amount: Decimal | int) -> str:
    """17.000.000 đồng (dots group the thousands)."""
    return f"{int(amount):,}".replace(",", ".") + " đồng"


def _three_digits(number: int, full: bool) -> list[str]:
    hundreds, tens, ones = number // 100, number // 10 % 10, number % 10
    words: list[str] = []
    if full or hundreds:
        words += [_DIGITS[hundreds], "trăm"]
    if tens == 0:
        if ones and words:
            words.append("linh")
    elif tens == 1:
        words.append("mười")
    else:
        words += [_DIGITS[tens], "mươi"]
    if ones:
        if ones == 1 and tens >= 2:
            words.append("mốt")
        elif ones == 5 and tens >= 1:
            words.append("lăm")
        else:
            words.append(_DIGITS[ones])
    return words


def number_in_words(number: int) -> str:
    if number == 0:
        return "không"
    groups = []
    while number:
        groups.append(number % 1000)
        number //= 1000
    words: list[str] = []
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            if index % 3 == 0 and index and words and words[-1] != "tỷ":
                words.append("tỷ")  # a whole tỷ group of zeros still names the tỷ
            continue
        words += _three_digits(group, full=bool(words))
        unit = _GROUPS[index % 3] if index % 3 else ("tỷ" * (index // 3 > 0))
        if unit:
            words.append(unit)
    return " ".join(words)


def money_in_words(amount: Decimal | int) -> str:
    text = number_in_words(int(amount))
    return text[0].upper() + text[1:] + " đồng"
