"""Feed listener: RSS 2.0 and Atom (parsed by feedparser) and JSON Feed, over HTTP(S) or file://.

A feed repeats its latest entries on every fetch, so the cursor keeps the guids it has returned, plus
the ETag and Last-Modified for a conditional GET: an unchanged feed costs one 304 and no parsing.
A file:// feed uses its modification time and size the same way.
"""

from __future__ import annotations

import calendar
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import feedparser

from bot.domain.sources import SourceConfig
from bot.intake.sources.http import MAX_BODY_BYTES, SourceError, SourceHttp
from bot.intake.sources.items import Fetched, Item, from_iso, html_to_text, join_text

MAX_GUIDS = 1000  # more than any feed shows at once, so an entry is never returned twice


def fetch(config: SourceConfig, cursor: dict[str, Any], http: SourceHttp) -> Fetched:
    url = config.url or ""
    if url.startswith("file://"):
        body, validators = _read_file(url, cursor)
    else:
        body, validators = _download(url, cursor, http)
    if body is None:  # not modified since the last poll
        return [], cursor
    entries = parse_feed(body, config.name)
    seen = [str(g) for g in cursor.get("seen", [])]
    known = set(seen)
    items = [item for guid, item in entries if guid not in known]
    current = [guid for guid, _ in entries]
    kept = current + [guid for guid in seen if guid not in set(current)]
    return items, {**validators, "seen": kept[:MAX_GUIDS]}


def _download(url: str, cursor: dict[str, Any], http: SourceHttp) -> tuple[bytes | None, dict[str, str]]:
    headers = {}
    if cursor.get("etag"):
        headers["If-None-Match"] = str(cursor["etag"])
    if cursor.get("last_modified"):
        headers["If-Modified-Since"] = str(cursor["last_modified"])
    response = http.request("GET", url, headers=headers, pace=1.0)
    if response.status_code == 304:
        return None, {}
    pairs = (("etag", response.headers.get("etag")), ("last_modified", response.headers.get("last-modified")))
    validators = {key: value for key, value in pairs if value}
    return response.content, validators


def _read_file(url: str, cursor: dict[str, Any]) -> tuple[bytes | None, dict[str, str]]:
    path = Path(unquote(urlsplit(url).path))
    try:
        stat = path.stat()
        if stat.st_size > MAX_BODY_BYTES:
            raise SourceError(f"feed file {path} is larger than {MAX_BODY_BYTES} bytes")
        stamp = f"{stat.st_mtime_ns}:{stat.st_size}"
        if cursor.get("file_stamp") == stamp:
            return None, {}
        return path.read_bytes(), {"file_stamp": stamp}
    except OSError as exc:
        raise SourceError(f"cannot read feed file {path}: {exc.strerror}") from None


def parse_feed(body: bytes, name: str) -> list[tuple[str, Item]]:
    """(guid, item) per entry, in feed order; SourceError when the body is no feed at all."""
    if body.lstrip()[:1] == b"{":
        return _json_feed(body, name)
    parsed = feedparser.parse(body)
    if parsed.bozo and not parsed.entries:
        raise SourceError(f"malformed feed: {parsed.get('bozo_exception', 'not RSS or Atom')}")
    if not parsed.version and not parsed.entries:
        raise SourceError("malformed feed: not RSS, Atom or JSON Feed")
    feed_lang = parsed.feed.get("language")
    return [_rss_entry(entry, name, feed_lang) for entry in parsed.entries]


def _rss_entry(entry: Any, name: str, feed_lang: str | None) -> tuple[str, Item]:
    link = entry.get("link")
    body = entry.get("content", [{}])[0].get("value") or entry.get("summary") or ""
    guid = str(entry.get("id") or link or _digest(str(entry.get("title")), body))
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")
    created = datetime.fromtimestamp(calendar.timegm(stamp), tz=UTC) if stamp else datetime.now(UTC)
    lang = entry.get("title_detail", {}).get("language") or feed_lang
    return guid, Item(
        source_id=f"feed:{name}:{guid}",
        source="feed",
        text=join_text(_title(entry), html_to_text(str(body))),
        author=str(entry.get("author") or ""),
        url=str(link or ""),
        created_at=created,
        lang=str(lang) if lang else None,
        link=str(link) if link else None,
    )


def _title(entry: Any) -> str:
    """A title is plain text unless the feed marks it as HTML (Atom's type="html")."""
    title = str(entry.get("title") or "")
    return html_to_text(title) if "html" in entry.get("title_detail", {}).get("type", "") else title


def _json_feed(body: bytes, name: str) -> list[tuple[str, Item]]:
    try:
        document = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise SourceError("malformed feed: invalid JSON") from None
    if not isinstance(document, dict) or not str(document.get("version", "")).startswith(
        "https://jsonfeed.org/"
    ):
        raise SourceError("malformed feed: JSON without a jsonfeed.org version")
    entries = document.get("items")
    if not isinstance(entries, list):
        raise SourceError("malformed feed: JSON Feed without items")
    usable = [entry for entry in entries if isinstance(entry, dict) and entry.get("id")]
    return [_json_entry(entry, name, document) for entry in usable]


def _json_entry(entry: dict[str, Any], name: str, document: dict[str, Any]) -> tuple[str, Item]:
    guid = str(entry["id"])
    markup = entry.get("content_html") or entry.get("summary") or ""
    body = entry.get("content_text") or html_to_text(str(markup))
    # JSON Feed 1.1 has `authors` (a list); 1.0 had a single `author`.
    single = entry.get("author") or document.get("author") or {}
    authors = entry.get("authors") or document.get("authors") or [single]
    stamp = entry.get("date_published") or entry.get("date_modified")
    lang = entry.get("language") or document.get("language")
    return guid, Item(
        source_id=f"feed:{name}:{guid}",
        source="feed",
        text=join_text(str(entry.get("title") or ""), str(body)),
        author=str(authors[0].get("name") or "") if authors and isinstance(authors[0], dict) else "",
        url=str(entry.get("url") or ""),
        created_at=from_iso(stamp) if stamp else datetime.now(UTC),
        lang=str(lang) if lang else None,
        link=str(entry.get("external_url") or entry.get("url") or "") or None,
    )


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:16]
