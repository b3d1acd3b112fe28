"""Error pages: a short message in the officer's language, never a stack trace."""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


def _page(status: int, title: str, message: str):  # type: ignore[no-untyped-def]
    if request.path.startswith("/api/"):
        return {"error": title, "message": message}, status
    return render_template("errors/error.html", status=status, title=title, message=message), status


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(err: CSRFError):  # type: ignore[no-untyped-def]
        return _page(400, _("Biểu mẫu đã hết hạn"),
                     _("Biểu mẫu không còn hợp lệ (phiên làm việc đã hết hạn hoặc trang đã cũ). "
                       "Xin tải lại trang và thực hiện lại."))

    @app.errorhandler(403)
    def forbidden(err: HTTPException):  # type: ignore[no-untyped-def]
        return _page(403, _("Không có quyền truy cập"),
                     _("Tài khoản của bạn không có vai trò được phép mở trang này."))

    @app.errorhandler(404)
    def not_found(err: HTTPException):  # type: ignore[no-untyped-def]
        return _page(404, _("Không tìm thấy"), _("Trang hoặc hồ sơ này không có, hoặc không thuộc vai trò của bạn."))

    @app.errorhandler(413)
    def too_large(err: HTTPException):  # type: ignore[no-untyped-def]
        return _page(413, _("Tệp quá lớn"), _("Tổng dung lượng tải lên vượt quá giới hạn cho phép."))

    @app.errorhandler(429)
    def too_many(err: HTTPException):  # type: ignore[no-untyped-def]
        return _page(429, _("Quá nhiều lần thử"),
                     _("Bạn đã đăng nhập sai quá nhiều lần. Xin chờ một phút rồi thử lại."))

    @app.errorhandler(Exception)
    def unexpected(err: Exception):  # type: ignore[no-untyped-def]
        if isinstance(err, HTTPException):
            return _page(err.code or 500, err.name, err.description or "")
        log.exception("unexpected error on %s", request.path)
        return _page(500, _("Đã có lỗi"), _("Hệ thống gặp lỗi khi xử lý yêu cầu. Xin thử lại; nếu lỗi còn, "
                                           "hãy báo quản trị hệ thống."))
