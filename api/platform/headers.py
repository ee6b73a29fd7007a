"""Security headers on every response the app sends: pages, downloads, the API, static files and
error pages alike.

A pure ASGI middleware, so nothing can answer around it (exception handlers, mounted static
files, the 413 of the body limit all pass through it). The pages load no inline script or style
and no third-party asset, so the policy is strict: a page that needs an exception names it here.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
# ReDoc (web/api_docs.py, assets served by the app) renders with styled-components, which insert
# <style> elements, and parses the schema in a blob: worker. Only its page gets this; it shows
# no user data. Swagger UI at /api/v1/docs renders under the strict policy.
REDOC_CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in (
    "accelerometer", "autoplay", "camera", "display-capture", "geolocation", "gyroscope",
    "magnetometer", "microphone", "midi", "payment", "publickey-credentials-get", "usb",
    "screen-wake-lock", "xr-spatial-tracking", "browsing-topics"))
HSTS = "max-age=31536000; includeSubDomains"

COMMON = {
    "x-content-type-options": "nosniff",
    # a survey URL holds its token: never send it to another site, not even its origin
    "referrer-policy": "same-origin",
    "permissions-policy": PERMISSIONS_POLICY,
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
}


class SecurityHeaders:
    """Adds the headers to every HTTP response; a header a route set itself (a stricter
    Referrer-Policy on a link page) is kept."""

    def __init__(self, app: ASGIApp, *, policies: Mapping[str, str] | None = None,
                 https_behind_proxy: bool = False) -> None:
        self.app = app
        self.https_behind_proxy = https_behind_proxy
        # the encoded headers of each policy, with and without HSTS, made once rather than for
        # every response: path → its own CSP (the exceptions, named), else the strict one
        self._default = _encoded(CSP)
        self._policies = {path: _encoded(csp) for path, csp in (policies or {}).items()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # HSTS only means something over TLS: the request came over https, or the site's base
        # URL says a TLS proxy in front of it serves it over https (browsers ignore HSTS on http)
        hsts = scope.get("scheme") == "https" or self.https_behind_proxy
        wanted = self._policies.get(scope.get("path", ""), self._default)[hsts]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(pair for pair in wanted if pair[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _encoded(csp: str) -> tuple[tuple[tuple[bytes, bytes], ...], tuple[tuple[bytes, bytes], ...]]:
    """The headers to add under a policy as raw ASGI pairs: (without HSTS, with HSTS)."""
    plain = tuple((name.encode(), value.encode())
                  for name, value in {**COMMON, "content-security-policy": csp}.items())
    return plain, (*plain, (b"strict-transport-security", HSTS.encode()))
