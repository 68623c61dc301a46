"""Bluesky listener: `app.bsky.feed.searchPosts` (sort=latest, `since`, opaque `cursor` paging).

The public AppView may refuse search without a login; with BLUESKY_HANDLE and BLUESKY_APP_PASSWORD in
the client's credentials the listener opens a session (`com.atproto.server.createSession`) on the
account's PDS, which proxies the search. The session is kept in memory for the process: createSession
is rate limited far below how often a source polls, and tokens do not belong in the database.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.domain.sources import SourceConfig
from bot.intake.sources.http import SourceError, SourceHttp
from bot.intake.sources.items import Fetched, Item, SeenWindow, from_iso, require

PACE = 0.1  # 3,000 requests per 5 minutes per IP
PAGE_SIZE = 100
DEFAULT_PDS = "https://bsky.social"
SEARCH = "/xrpc/app.bsky.feed.searchPosts"
CREATE_SESSION = "/xrpc/com.atproto.server.createSession"


def fetch(config: SourceConfig, cursor: dict[str, Any], http: SourceHttp) -> Fetched:
    try:
        return _fetch(config, cursor, http)
    except SourceError as exc:
        expired = exc.status == 401 or (exc.status == 400 and "ExpiredToken" in str(exc))
        if not expired or _credentials(http) is None:
            raise
        http.state.pop(_session_key(config, http), None)  # an expired token: log in again, once
        return _fetch(config, cursor, http)


def _fetch(config: SourceConfig, cursor: dict[str, Any], http: SourceHttp) -> Fetched:
    window = SeenWindow.from_cursor(cursor)
    root, headers = _endpoint(config, http)
    params: dict[str, Any] = {"q": config.query, "sort": "latest", "limit": PAGE_SIZE}
    if window.floor is not None:
        params["since"] = datetime.fromtimestamp(window.floor, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    found: dict[str, Item] = {}
    for _ in range(config.max_pages):
        try:
            body = http.get_json(root + SEARCH, params=params, headers=headers, pace=PACE)
        except SourceError as exc:
            raise _explain(exc, http) from None
        posts, next_cursor = _page(body)
        for post in posts:
            item = _item(post)
            if item.source_id not in found and window.is_new(item.source_id, item.created_at.timestamp()):
                found[item.source_id] = item
        if not posts or not next_cursor:
            break
        params["cursor"] = next_cursor
    for key, item in found.items():
        window.add(key, item.created_at.timestamp())
    return list(found.values()), window.to_cursor()


def _credentials(http: SourceHttp) -> tuple[str, str] | None:
    handle = http.credentials.get("BLUESKY_HANDLE")
    password = http.credentials.get("BLUESKY_APP_PASSWORD")
    return (handle, password) if handle and password else None


def _session_key(config: SourceConfig, http: SourceHttp) -> str:
    return f"bluesky-session:{config.base_url or DEFAULT_PDS}:{http.credentials.get('BLUESKY_HANDLE')}"


def _endpoint(config: SourceConfig, http: SourceHttp) -> tuple[str, dict[str, str]]:
    """Where to search and with which headers: anonymously on the AppView, or on the PDS with a token."""
    credentials = _credentials(http)
    if credentials is None:
        return config.api_root, {}
    root = config.base_url or DEFAULT_PDS
    key = _session_key(config, http)
    if key not in http.state:
        body = {"identifier": credentials[0], "password": credentials[1]}
        session = require(http.get_json(root + CREATE_SESSION, method="POST", json_body=body), "accessJwt")
        http.state[key] = str(session["accessJwt"])
    return root, {"Authorization": f"Bearer {http.state[key]}"}


def _explain(exc: SourceError, http: SourceHttp) -> SourceError:
    if exc.status in (401, 403) and _credentials(http) is None:
        return SourceError(
            f"{exc}; Bluesky search needs a login here: set BLUESKY_HANDLE and BLUESKY_APP_PASSWORD",
            status=exc.status,
        )
    return exc


def _page(body: Any) -> tuple[list[Any], str | None]:
    if not isinstance(body, dict) or not isinstance(body.get("posts"), list):
        raise SourceError("malformed response from Bluesky search: no posts list")
    next_cursor = body.get("cursor")
    return list(body["posts"]), str(next_cursor) if next_cursor else None


def _item(post: Any) -> Item:
    post = require(post, "uri", "record", "author")
    record = require(post["record"], "createdAt")
    author = require(post["author"], "did")
    uri = str(post["uri"])
    rkey = uri.rsplit("/", 1)[-1]
    profile = author.get("handle") or author["did"]
    langs = record.get("langs")
    return Item(
        source_id=f"bluesky:{uri}",
        source="bluesky",
        text=str(record.get("text") or "").strip(),
        author=str(profile),
        url=f"https://bsky.app/profile/{profile}/post/{rkey}",
        created_at=from_iso(record["createdAt"]),
        lang=str(langs[0]) if isinstance(langs, list) and langs else None,
        link=_external_link(post),
    )


def _external_link(post: dict[str, Any]) -> str | None:
    embed = post.get("embed")
    if isinstance(embed, dict) and isinstance(embed.get("external"), dict):
        uri = embed["external"].get("uri")
        return str(uri) if uri else None
    return None
