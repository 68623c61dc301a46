"""Records in each listener API's documented shape, for the fake sources server and the tests."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

BASE_EPOCH = 1_750_000_000  # 2025-06-15T15:06:40Z; records are placed in seconds after it


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def reddit_post(
    pid: str, title: str, *, body: str = "", at: int = 0, author: str = "redditor", sub: str = "productivity"
) -> dict[str, Any]:
    """The `data` of a t3 child in a Reddit search Listing."""
    return {
        "id": pid,
        "name": f"t3_{pid}",
        "title": title,
        "selftext": body,
        "author": author,
        "subreddit": sub,
        "permalink": f"/r/{sub}/comments/{pid}/slug/",
        "created_utc": float(BASE_EPOCH + at),
        "is_self": True,
        "url": f"https://www.reddit.com/r/{sub}/comments/{pid}/slug/",
    }


def hn_hit(
    oid: int,
    *,
    title: str | None = None,
    comment: str | None = None,
    story_text: str | None = None,
    at: int = 0,
    author: str = "hacker",
    url: str | None = None,
) -> dict[str, Any]:
    """A hit from Algolia's HN search_by_date: a story (title) or a comment (comment_text)."""
    return {
        "objectID": str(oid),
        "created_at": iso(BASE_EPOCH + at),
        "created_at_i": BASE_EPOCH + at,
        "title": title,
        "story_title": None if title else "Some story",
        "url": url,
        "author": author,
        "story_text": story_text,
        "comment_text": comment,
        "_tags": ["story" if title else "comment", f"author_{author}", f"story_{oid}"],
    }


def bsky_post(
    rkey: str, text: str, *, at: int = 0, handle: str = "fan.bsky.social", langs: list[str] | None = None
) -> dict[str, Any]:
    """An app.bsky.feed.defs#postView as returned by searchPosts."""
    did = f"did:plc:{handle.split('.')[0]}"
    return {
        "uri": f"at://{did}/app.bsky.feed.post/{rkey}",
        "cid": f"bafy{rkey}",
        "author": {"did": did, "handle": handle, "displayName": handle.split(".")[0].title()},
        "record": {
            "$type": "app.bsky.feed.post",
            "text": text,
            "createdAt": iso(BASE_EPOCH + at),
            "langs": langs or ["en"],
        },
        "indexedAt": iso(BASE_EPOCH + at + 1),
        "likeCount": 0,
    }


def masto_status(
    sid: int, content_html: str, *, at: int = 0, acct: str = "fan@example.social", lang: str | None = "en"
) -> dict[str, Any]:
    """A Mastodon Status entity (the fields a tag timeline carries that the listener reads)."""
    return {
        "id": str(sid),
        "created_at": iso(BASE_EPOCH + at),
        "content": content_html,
        "spoiler_text": "",
        "language": lang,
        "url": f"https://example.social/@fan/{sid}",
        "uri": f"https://example.social/users/fan/statuses/{sid}",
        "account": {"id": "1", "username": acct.split("@")[0], "acct": acct, "display_name": "Fan"},
        "visibility": "public",
    }


def rss(entries: list[dict[str, str]], *, lang: str = "en") -> bytes:
    """An RSS 2.0 document; each entry has guid, title, description (HTML), and optionally link/date."""
    items = "".join(
        "<item>"
        f'<guid isPermaLink="false">{escape(e["guid"])}</guid><title>{escape(e["title"])}</title>'
        f"<link>{escape(e.get('link', 'https://example.com/' + e['guid']))}</link>"
        f"<description>{escape(e.get('description', ''))}</description>"
        f"<pubDate>{e.get('date', 'Sun, 15 Jun 2025 15:06:40 GMT')}</pubDate>"
        "</item>"
        for e in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Reviews</title>'
        f"<link>https://example.com/</link><description>d</description><language>{lang}</language>{items}"
        "</channel></rss>"
    ).encode()


def atom(entries: list[dict[str, str]]) -> bytes:
    body = "".join(
        f"<entry><id>{escape(e['guid'])}</id><title>{escape(e['title'])}</title>"
        f'<link href="https://example.com/{escape(e["guid"])}"/><updated>2025-06-15T15:06:40Z</updated>'
        f"<author><name>{escape(e.get('author', 'Reviewer'))}</name></author>"
        f'<content type="html">{escape(e.get("description", ""))}</content></entry>'
        for e in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">'
        f"<title>Blog</title><id>urn:blog</id><updated>2025-06-15T15:06:40Z</updated>{body}</feed>"
    ).encode()


def json_feed(entries: list[dict[str, str]]) -> bytes:
    items = [
        {
            "id": e["guid"],
            "url": f"https://example.com/{e['guid']}",
            "title": e["title"],
            "content_html": e.get("description", ""),
            "date_published": "2025-06-15T15:06:40Z",
            "authors": [{"name": e.get("author", "Writer")}],
        }
        for e in entries
    ]
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Notes",
        "language": "en",
        "items": items,
    }
    return json.dumps(document).encode()
