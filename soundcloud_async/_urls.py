"""Where secrets may travel: plain ``http`` only to loopback, unless the caller opts in.

Every URL that a token, a client secret, an authorization code or a PKCE verifier is
sent to (the API's ``base_url``, the OAuth ``token_url``, the ``authorize_url`` the
user logs in at and the ``redirect_uri`` the code comes back to) is checked once, when
the object that will send to it is built. ``https`` passes; plain ``http`` passes only
for a loopback host (``localhost``, ``127.0.0.0/8``, ``::1``: a local fake server or a
development callback), or when the caller passes ``allow_insecure_http=True`` by name.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from soundcloud_async._errors import InvalidArgument, redact_url

__all__ = ["check_secure_url", "is_loopback"]


def is_loopback(host: str | None) -> bool:
    """Whether ``host`` names this machine: ``localhost`` or a loopback IP address."""
    if not host:
        return False
    name = host.strip("[]").rstrip(".").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_secure_url(url: str, *, name: str, allow_insecure_http: bool) -> None:
    """Refuse a plain-``http`` URL to a host that is not loopback, unless allowed.

    Args:
        url: where secrets will be sent.
        name: the argument's name, for the message (``"base_url"``, ``"token_url"``).
        allow_insecure_http: the caller's explicit opt-in.

    Raises:
        InvalidArgument: ``url`` is ``http://`` to another machine and the caller did
            not opt in.
    """
    if allow_insecure_http:
        return
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return  # not a URL at all: the caller's own check reports it
    if parts.scheme.lower() == "http" and not is_loopback(host):
        raise InvalidArgument(
            f"{name} {redact_url(url)!r} is plain http to a host that is not loopback: "
            "tokens and secrets would travel in clear. Use https, or pass "
            "allow_insecure_http=True if you really mean it"
        )
