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
        self.policies = dict(policies or {})  # path → its own CSP (the exceptions, named)
        self.https_behind_proxy = https_behind_proxy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        csp = self.policies.get(path, CSP)
        # HSTS only means something over TLS: the request came over https, or the site's base
        # URL says a TLS proxy in front of it serves it over https (browsers ignore HSTS on http)
        hsts = scope.get("scheme") == "https" or self.https_behind_proxy

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                wanted = {**COMMON, "content-security-policy": csp}
                if hsts:
                    wanted["strict-transport-security"] = HSTS
                headers.extend((name.encode(), value.encode()) for name, value in wanted.items()
                               if name.encode() not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
