"""Outside links as dedupe keys: one normal form for the same page shared on Reddit, HN, Bluesky, …"""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Query parameters that only say who shared a link or from where, never which page it is.
_TRACKING_PREFIXES = ("utm_", "mc_", "pk_")
_TRACKING = {"fbclid", "gclid", "dclid", "msclkid", "igshid", "ref", "ref_src", "ref_url", "si", "s"}


def normalise_link(url: str) -> str:
    """Lower-case scheme and host, no 'www.', no default port, fragment or tracking parameters,
    sorted query, no trailing slash; http and https count as one. '' when `url` is no web link."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return ""
    host = parts.hostname.lower().removeprefix("www.")
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    query = sorted(
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key.lower() not in _TRACKING and not key.lower().startswith(_TRACKING_PREFIXES)
    )
    path = parts.path.rstrip("/")
    return urlunsplit(("https", host, path, urlencode(query), ""))


def link_hash(url: str) -> str:
    """sha256 of the normal form; '' when there is no usable link (so '' never groups anything)."""
    normal = normalise_link(url)
    return hashlib.sha256(normal.encode("utf-8")).hexdigest() if normal else ""
