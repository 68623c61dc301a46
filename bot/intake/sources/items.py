"""What a listener produces (an Item), HTML-to-text, timestamps, and the seen-window cursor for searches."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

from bot.intake.sources.http import SourceError

# Search indexes (Algolia, Reddit, Bluesky) show some posts minutes after their own timestamp, so each
# poll looks back this far below the newest post it has seen and skips the ids it already returned.
OVERLAP_SECONDS = 15 * 60
_MAX_SEEN = 2000
_BOGUS_DECLARATION = re.compile(r"<!(?!--|\[|doctype)", re.IGNORECASE)
_BLOCK_TAGS = {"p", "br", "div", "li", "ul", "ol", "blockquote", "pre", "h1", "h2", "h3", "h4", "tr"}


@dataclass(frozen=True)
class Item:
    """One public post, already plain text. Escaping for Slack happens later, at render time."""

    source_id: str  # reddit:t3_abc, hn:123, bluesky:<at-uri>, mastodon:<host>:<id>, feed:<name>:<guid>
    source: str  # the source type
    text: str
    author: str
    url: str
    created_at: datetime  # the post's own time, UTC
    lang: str | None = None
    link: str | None = None  # the outside page the post shares, if any (groups one link across sources)

    def as_mention(self) -> dict[str, Any]:
        """The same shape `POST /ingest` accepts, so listener items take the ordinary store path."""
        return {
            "id": self.source_id,
            "text": self.text,
            "source": self.source,
            "author": self.author,
            "url": self.url,
            "created_at": self.created_at.isoformat(),
            "lang": self.lang,
        }


Fetched = tuple[list[Item], dict[str, Any]]  # what a fetcher returns: new items and the next cursor


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:  # noqa: ARG002
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    """Plain text of an HTML fragment: tags dropped, entities decoded, whitespace tidied.

    HTMLParser would swallow `<!channel>` as a bogus comment; such text is hostile data, not markup,
    so it is kept (escaped for the parser, decoded back) — it must reach the card, escaped there.
    """
    extractor = _TextExtractor()
    extractor.feed(_BOGUS_DECLARATION.sub("&lt;!", markup))
    extractor.close()
    return tidy("".join(extractor.parts))


def tidy(text: str) -> str:
    """Collapse runs of spaces, keep at most one blank line, strip the ends."""
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.replace("\r", "").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def join_text(title: str | None, body: str | None) -> str:
    """Title and body as one text; either may be missing."""
    return "\n\n".join(part for part in (tidy(title or ""), tidy(body or "")) if part)


def from_epoch(value: Any) -> datetime:
    try:
        return datetime.fromtimestamp(float(value), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        raise SourceError(f"malformed response: bad timestamp {value!r}") from None


def from_iso(value: Any) -> datetime:
    """ISO 8601 (with Z or an offset) → aware UTC datetime; a naive one is taken as UTC."""
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise SourceError(f"malformed response: bad timestamp {value!r}") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def require(record: Any, *keys: str) -> dict[str, Any]:
    """The record as a dict that has `keys`; a SourceError naming what is missing otherwise."""
    if not isinstance(record, dict):
        raise SourceError(f"malformed response: expected an object, got {type(record).__name__}")
    missing = [key for key in keys if record.get(key) in (None, "")]
    if missing:
        raise SourceError(f"malformed response: a record lacks {', '.join(missing)}")
    return record


@dataclass
class SeenWindow:
    """The cursor of a search source: the newest post time seen, and the ids seen just below it."""

    newest: float | None = None
    seen: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_cursor(cls, cursor: dict[str, Any]) -> SeenWindow:
        newest = cursor.get("newest")
        seen = cursor.get("seen") or {}
        return cls(float(newest) if newest is not None else None, {str(k): float(v) for k, v in seen.items()})

    @property
    def floor(self) -> float | None:
        """Posts older than this are assumed already seen (or too late to matter)."""
        return None if self.newest is None else self.newest - OVERLAP_SECONDS

    def is_new(self, item_id: str, created: float) -> bool:
        return item_id not in self.seen and (self.floor is None or created >= self.floor)

    def add(self, item_id: str, created: float) -> None:
        self.seen[item_id] = created
        self.newest = created if self.newest is None else max(self.newest, created)

    def to_cursor(self) -> dict[str, Any]:
        floor = self.floor
        kept = sorted(
            ((k, v) for k, v in self.seen.items() if floor is None or v >= floor), key=lambda kv: -kv[1]
        )
        return {"newest": self.newest, "seen": dict(kept[:_MAX_SEEN])}
