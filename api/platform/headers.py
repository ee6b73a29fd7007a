"""Security headers on every response the app sends: pages, downloads, the API, static files and
error pages alike.

A pure ASGI middleware, so nothing can answer around it (exception handlers, mounted static
files, the 413 of the body limit all pass through it). The pages load no inline script or style
and no third-party asset, so the policy is strict: a page that needs an exception names it here.
"""

from __future__ import annotations

from collections.abc import Iterable

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
# Swagger UI's page (FastAPI's get_swagger_ui_html) starts itself with an inline <script> and,
# until its assets are served by the app, loads them from jsDelivr and its logo from FastAPI's
# site. Only the documentation pages get this; they show no user data.
# TODO: drop the CDN hosts once the docs are served offline (issue 12, "offline API docs").
DOCS_CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net",
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net",
    "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly",
    "font-src 'self' https://fonts.gstatic.com",
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

    def __init__(self, app: ASGIApp, *, docs_paths: Iterable[str] = (),
                 https_behind_proxy: bool = False) -> None:
        self.app = app
        self.docs_paths = tuple(docs_paths)
        self.https_behind_proxy = https_behind_proxy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        csp = DOCS_CSP if path in self.docs_paths or path.startswith(
            tuple(p + "/" for p in self.docs_paths)) else CSP
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
