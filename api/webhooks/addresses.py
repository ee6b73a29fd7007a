"""Which URLs a webhook may point at: HTTPS on a public address, so the server cannot be made to
call into its own network (SSRF). Loopback is allowed only with `webhook_allow_loopback`
(tests, development). Checked at registration and again before every delivery, since a name
may resolve elsewhere later."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from api.platform.errors import InvalidInput

URL_MAX = 500


def _refused(detail: str, code: str) -> InvalidInput:
    return InvalidInput(detail, code=code, field="url")


def _addresses(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(info[4][0].split("%")[0])
                for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]
    except (socket.gaierror, UnicodeError, ValueError) as exc:
        raise _refused(f"The host {host!r} cannot be found.", "webhook_host_unknown") from exc


def checked_url(url: str, *, allow_loopback: bool) -> str:
    """The URL, stripped, or InvalidInput (422) saying why it may not be used."""
    url = (url or "").strip()
    if not url or len(url) > URL_MAX:
        raise _refused(f"Give the receiver's URL (at most {URL_MAX} characters).",
                       "webhook_url_missing")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise _refused("That is not a valid URL.", "webhook_url_invalid") from exc
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise _refused("The URL must start with https://.", "webhook_url_https")
    if parts.username or parts.password:
        raise _refused("Put no user name or password in the URL.", "webhook_url_invalid")
    port = port or (443 if parts.scheme == "https" else 80)
    found = _addresses(parts.hostname, port)
    loopback = bool(found) and all(address.is_loopback for address in found)
    if loopback and allow_loopback:
        return url
    if parts.scheme != "https":
        raise _refused("The URL must start with https://.", "webhook_url_https")
    for address in found:
        mapped = getattr(address, "ipv4_mapped", None) or address
        if not mapped.is_global or mapped.is_multicast:
            raise _refused(f"{parts.hostname} is a private, local or reserved address "
                           f"({address}); a webhook must be reachable on the internet.",
                           "webhook_url_private")
    return url
