"""Domain errors carry their HTTP status and a message code.

The code names a text in the message files (`web/messages/*.yaml`), so the web pages show it in
the reader's language; `detail` is a plain English sentence for logs and API clients.
"""

from __future__ import annotations


class DomainError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, detail: str, *, code: str | None = None, **params: object):
        super().__init__(detail)
        self.detail = detail
        self.params = params
        if code is not None:
            self.code = code


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class InvitationUnknown(NotFound):
    code = "invitation_unknown"


class InvitationUsed(DomainError):
    status_code = 409
    code = "invitation_used"


class RoundNotOpen(DomainError):
    status_code = 403
    code = "round_not_open"


class RoundClosed(DomainError):
    status_code = 410
    code = "round_closed"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class InvalidInput(DomainError):
    status_code = 422
    code = "invalid_input"


class QuestionnaireChanged(DomainError):
    """A published questionnaire file was edited in place: its meaning would silently change."""

    status_code = 500
    code = "questionnaire_changed"


class LoginRequired(DomainError):
    status_code = 401
    code = "login_required"


class TwoFactorRequired(DomainError):
    """A role that must use two-factor sign-in has not enrolled yet: the web sends it there."""

    status_code = 403
    code = "two_factor_required"


class CsrfFailed(DomainError):
    """A form posted without the token of the page it came from: refused, nothing stored."""

    status_code = 403
    code = "csrf_failed"


class Unauthorized(DomainError):
    """No token, an unknown one or a revoked one."""

    status_code = 401
    code = "unauthorized"


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"


class PayloadTooLarge(DomainError):
    status_code = 413
    code = "payload_too_large"


class UnsupportedMediaType(DomainError):
    status_code = 415
    code = "unsupported_media_type"
