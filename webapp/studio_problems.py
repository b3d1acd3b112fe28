"""Validation problems as the studio shows them: in the analyst's language, with the engine's own words kept.

The engine says what is wrong in English (engine.runtime.validation, engine.runtime.forms, the decision engine and
SpiffWorkflow). The common messages are given here in Vietnamese; any other keeps a Vietnamese heading
naming what it concerns, with the English detail beside it, so no problem is ever hidden or reworded
into something the engine did not say.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from engine.runtime.problems import Problem
from webapp.views import locale

Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]

# What kind of text an expression problem is about (engine.runtime.validation.EXPRESSION_XPATHS).
EXPRESSION_KINDS = {
    "condition": "Điều kiện rẽ nhánh", "script": "Kịch bản (script)", "pre-script": "Kịch bản trước (pre-script)",
    "post-script": "Kịch bản sau (post-script)", "timer": "Biểu thức hẹn giờ", "loop cardinality": "Số lần lặp",
    "completion condition": "Điều kiện hoàn thành", "property starts-dossier-when": "Điều kiện mở hồ sơ liên thông",
}

# The evaluator's refusals (engine.expressions.checker) and Python's syntax errors.
_EXPRESSION_DETAILS: list[Rule] = [
    (re.compile(r"^syntax error: (.*)$"), lambda m: f"lỗi cú pháp ({m[1]})"),
    (re.compile(r"^'import' is not allowed$"), lambda m: "không được dùng 'import'"),
    (re.compile(r"^'from … import' is not allowed$"), lambda m: "không được dùng 'from … import'"),
    (re.compile(r"^calling '(.+)\(\)' is not allowed$"), lambda m: f"không được gọi hàm {m[1]}()"),
    (re.compile(r"^the (name|attribute|keyword argument) '(.+)' is not allowed: names starting with '_' are reserved$"),
     lambda m: f"không được dùng tên “{m[2]}”: tên bắt đầu bằng '_' là tên dành riêng"),
    (re.compile(r"^'while' loops are not allowed.*$"),
     lambda m: "không được dùng vòng lặp 'while': dùng 'for' trên một danh sách"),
    (re.compile(r"^defining (functions|classes) .* is not allowed$"), lambda m: "không được định nghĩa hàm hay lớp"),
    (re.compile(r"^'(\w+)' is not allowed$"), lambda m: f"không được dùng '{m[1]}'"),
    (re.compile(r"^expected an expression, not a statement$"), lambda m: "cần một biểu thức, không phải một câu lệnh"),
    (re.compile(r"^'\.(\w+)\(\)' changes data: .*$"),
     lambda m: f"'.{m[1]}()' thay đổi dữ liệu: chỉ kịch bản mới được thay đổi dữ liệu, biểu thức thì không"),
]

# legal-phase and legal-total values (engine.legal_time.legal_clock, engine.legal_time.business_calendar.Duration).
_DURATION_DETAILS: list[Rule] = [
    (re.compile(r"^phase '(.*)' has (\d+) part\(s\), not 3.*$"),
     lambda m: f"“{m[1]}” có {m[2]} phần; cần đúng 3 phần tên:số ngày:đơn vị, ví dụ check:5:working-days"),
    (re.compile(r"^phase '(.*)' has no name.*$"), lambda m: f"giai đoạn “{m[1]}” chưa có tên"),
    (re.compile(r"^phase '(.*)' lasts 0 days.*$"), lambda m: f"giai đoạn “{m[1]}” dài 0 ngày; cần ít nhất 1 ngày"),
    (re.compile(r"^'(.*)' is not a duration.*$"),
     lambda m: f"“{m[1]}” không phải thời hạn; viết số:đơn vị, ví dụ 30:working-days"),
    (re.compile(r"^(?:phase )?'(.*)': the amount '(.*)' is not a whole number of days$"),
     lambda m: f"“{m[1]}”: số ngày “{m[2]}” không phải số nguyên"),
    (re.compile(r"^(?:phase )?'(.*)': the unit '(.*)' is unknown.*$"),
     lambda m: f"“{m[1]}”: đơn vị “{m[2]}” không hợp lệ; dùng working-days (ngày làm việc) hoặc calendar-days (ngày)"),
]

UNSUPPORTED_VI = {
    "complex gateways": "Cổng phức hợp (complex gateway)",
    "compensation events": "Sự kiện bù trừ (compensation)",
    "link events": "Sự kiện liên kết (link)",
    "global tasks": "Công việc toàn cục (global task)",
    "choreographies": "Biểu đồ vũ đạo (choreography)",
}


def _detail(text: str, rules: list[Rule]) -> str | None:
    for pattern, render in rules:
        match = pattern.match(text)
        if match:
            return render(match)
    return None


def _expression(match: re.Match[str]) -> str:
    kind = EXPRESSION_KINDS[match[1]]
    detail = _detail(match[3], _EXPRESSION_DETAILS) or match[3]
    return f"{kind}, dòng {match[2]}: {detail}"


def _duration(label: str) -> Callable[[re.Match[str]], str]:
    return lambda m: f"{label} không hợp lệ: {_detail(m[1], _DURATION_DETAILS) or m[1]}"


_UNITS = {"working-days": "ngày làm việc", "calendar-days": "ngày"}

_RULES: list[Rule] = [
    (re.compile(rf"^({'|'.join(re.escape(k) for k in EXPRESSION_KINDS)}): line (\d+): (.*)$", re.S), _expression),
    (re.compile(r"^property legal-phase: (.*)$", re.S), _duration("Giai đoạn pháp lý (legal-phase)")),
    (re.compile(r"^property legal-total: (.*)$", re.S), _duration("Tổng thời hạn (legal-total)")),
    (re.compile(r"^user task '(.*)' is in no lane, so no role would receive it$"),
     lambda m: f"Công việc “{m[1]}” không nằm trong làn nào, nên không vai trò nào nhận được"),
    (re.compile(r"^lane '(.*)' of task '(.*)' is not a known role$"),
     lambda m: f"Làn “{m[1]}” của công việc “{m[2]}” không phải là vai trò đã biết"),
    (re.compile(r"^form '(.*)' is neither in the diagram's forms/ folder nor in shared/forms/$"),
     lambda m: f"Không tìm thấy biểu mẫu “{m[1]}” trong thư mục forms/ của sơ đồ hay trong shared/forms/"),
    (re.compile(r"^property starts-dossier: no executable process '(.*)' in the deployed files$"),
     lambda m: f"Hồ sơ liên thông (starts-dossier): không có quy trình “{m[1]}” đã triển khai"),
    (re.compile(r"^property clock: '(.*)' is not understood.*$"),
     lambda m: f"Thuộc tính clock “{m[1]}” không hợp lệ; giá trị duy nhất là pause (dừng đồng hồ pháp lý)"),
    (re.compile(rf"^({'|'.join(UNSUPPORTED_VI)}) are not executable by the engine$"),
     lambda m: f"{UNSUPPORTED_VI[m[1]]}: hệ thống không thực thi được cấu trúc này"),
    (re.compile(r"^the process is marked not executable \(isExecutable=false\).*$"),
     lambda m: "Quy trình được đánh dấu là không thực thi (isExecutable=false): hiển thị được nhưng hệ thống sẽ "
               "không chạy; đánh dấu “Thực thi được” trong bảng thuộc tính nếu cần chạy"),
    (re.compile(r"^the file is not well-formed XML \(line (.*?)\): (.*)$", re.S),
     lambda m: f"Tệp không phải XML hợp lệ (dòng {m[1]}): {m[2]}"),
    (re.compile(r"^the file is not a BPMN 2\.0 diagram.*$"),
     lambda m: "Tệp không phải sơ đồ BPMN 2.0 (thiếu bpmn:definitions)"),
    (re.compile(r"^the form is not valid JSON: (.*)$", re.S), lambda m: f"Biểu mẫu không phải JSON hợp lệ: {m[1]}"),
    (re.compile(r"^timer has no date, duration or cycle expression.*$"),
     lambda m: "Sự kiện hẹn giờ chưa có biểu thức ngày, khoảng thời gian hay chu kỳ"),
    (re.compile(r"^A Service Task must have an operator.*$", re.S),
     lambda m: "Công việc dịch vụ (service task) chưa có phần thực hiện: hệ thống không thực thi được"),
    (re.compile(r"^Data Store with name (.*) has no implementation.*$", re.S),
     lambda m: f"Kho dữ liệu “{' '.join(m[1].split())}” không có phần cài đặt: hệ thống không thực thi được"),
    (re.compile(r"^A multiinstance task must specify a cardinality or a loop input data reference.*$", re.S),
     lambda m: "Công việc lặp nhiều lần phải có số lần lặp hoặc danh sách dữ liệu đầu vào"),
    (re.compile(r"^Exactly one start event is required in a SubWorkflow Task.*$", re.S),
     lambda m: "Quy trình con phải có đúng một sự kiện bắt đầu"),
    (re.compile(r"^Cannot resolve (\S+) (.*)$", re.S), lambda m: f"Không xác định được tham chiếu {m[2]} của {m[1]}"),
    # engine.studio.legal_checks: the law's figures against the diagram.
    (re.compile(r"^legal-total (\d+) ([\w-]+) is not the sum of the phases \((.*)\)$"),
     lambda m: f"Tổng thời hạn {m[1]} {_UNITS.get(m[2], m[2])} không bằng tổng các giai đoạn ({m[3]})"),
    (re.compile(r"^phase '(.*)' is not among the phases of procedure.json \((.*)\)$"),
     lambda m: f"Giai đoạn “{m[1]}” không có trong procedure.json (các giai đoạn: {m[2]})"),
    (re.compile(r"^phase '(.*)' lasts (\d+) ([\w-]+) here but (.*) (.*) in procedure.json$"),
     lambda m: f"Giai đoạn “{m[1]}” ở đây dài {m[2]} {_UNITS.get(m[3], m[3])} nhưng procedure.json ghi "
               f"{m[4]} {_UNITS.get(m[5], m[5])}"),
    (re.compile(r"^legal-total (\d+) ([\w-]+) differs from procedure.json's total (\d+) ([\w-]+)$"),
     lambda m: f"Tổng thời hạn {m[1]} {_UNITS.get(m[2], m[2])} khác tổng thời hạn trong procedure.json "
               f"({m[3]} {_UNITS.get(m[4], m[4])})"),
    (re.compile(r"^business rule task '(.*)' names no decision.*$"),
     lambda m: f"Công việc quy tắc nghiệp vụ “{m[1]}” chưa chọn bảng quyết định (calledDecisionId)"),
    (re.compile(r"^business rule task '(.*)' calls decision '(.*)', which no loaded DMN file defines.*$", re.S),
     lambda m: f"Công việc quy tắc nghiệp vụ “{m[1]}” gọi bảng quyết định “{m[2]}”, nhưng không tệp DMN nào "
               "có bảng này"),
]


def _heading(problem: Problem) -> str:
    if problem.file.endswith(".dmn"):
        return "Bảng quyết định"
    if problem.file.endswith(".json"):
        return "Biểu mẫu" if "/forms/" in problem.file else "Tệp thông tin thủ tục"
    return "Sơ đồ"


def vietnamese(problem: Problem) -> tuple[str, bool]:
    """The problem in Vietnamese, and whether that is a full translation (else the English follows it)."""
    message = problem.message.strip()
    for pattern, render in _RULES:
        match = pattern.match(message)
        if match:
            return render(match), True
    return f"{_heading(problem)}: {' '.join(message.split())}", False


def shown(problems: Iterable[Problem], *, refused: Iterable[Problem] = ()) -> list[dict[str, Any]]:
    """Problems as the studio's pages and scripts take them: the message in the UI language and the detail."""
    refused_set = set(refused)
    result = []
    for problem in problems:
        text, translated = vietnamese(problem)
        english = " ".join(problem.message.split())
        result.append({
            "file": problem.file, "element_id": problem.element_id,
            "message": english if locale() == "en" else text,
            "detail": english if locale() != "en" and translated else "",
            "refused": problem in refused_set,
        })
    return result
