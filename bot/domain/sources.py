"""The `sources:` entries of the rules file: their schema, per-type requirements and list validation.

Two ways in, same checks: embed `SourceList` in the rules model (pydantic then reports
`sources.<i>.<key>` paths that the rules loader turns into key and line), or call
`validate_sources(raw)` for `(index, key, message)` problems.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.domain.match import MatchSyntaxError, parse_match

SourceType = Literal["reddit", "hackernews", "bluesky", "mastodon", "feed"]
Problem = tuple[int, str, str]  # (index in the list, key inside the entry or "", message)

_EVERY = re.compile(r"^(\d+)\s*([smhd])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_SUBREDDIT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_]{1,20}$")
_HASHTAG = re.compile(r"^\w{1,100}$")

# Model-level messages start with the key they are about, so list validation can name it.
# Where each type listens when `base_url` is not given (mastodon has no sensible default instance).
DEFAULT_BASE_URLS: dict[str, str] = {
    "reddit": "https://www.reddit.com",
    "hackernews": "https://hn.algolia.com",
    "bluesky": "https://public.api.bsky.app",
}
_NEEDS_QUERY = ("reddit", "hackernews", "bluesky")
_ONLY_FOR: dict[str, tuple[str, ...]] = {
    "subreddits": ("reddit",),
    "hashtag": ("mastodon",),
    "url": ("feed",),
    "base_url": ("reddit", "hackernews", "bluesky", "mastodon"),
}


def parse_every(text: str) -> timedelta:
    """'5m', '1h', '1d' (or '90s') → timedelta; the model then insists on at least one minute."""
    found = _EVERY.match(text.strip().lower())
    if not found or int(found.group(1)) == 0:
        raise ValueError(f"expected an interval like 5m, 1h or 1d, got {text!r}")
    return timedelta(seconds=int(found.group(1)) * _UNIT_SECONDS[found.group(2)])


def _check_url(value: str, schemes: tuple[str, ...]) -> str:
    parts = urlsplit(value)
    if parts.scheme not in schemes or (parts.scheme != "file" and not parts.netloc):
        allowed = " or ".join(f"{scheme}://" for scheme in schemes)
        raise ValueError(f"expected a URL starting with {allowed}, got {value!r}")
    if parts.scheme == "file" and not parts.path:
        raise ValueError(f"a file:// URL needs a path, got {value!r}")
    return value


def _check_query(value: str | None) -> str | None:
    if value is not None:
        try:
            parse_match(value)
        except MatchSyntaxError as exc:
            raise ValueError(str(exc)) from None
    return value


class SourceConfig(BaseModel):
    """A listener: what to ask which service, how often, and which posts to keep."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
    type: SourceType
    query: str | None = None
    subreddits: list[str] = Field(default_factory=list)
    hashtag: str | None = None
    base_url: str | None = None
    url: str | None = None
    every: str = "10m"
    match: str | None = None
    max_pages: int = Field(default=5, ge=1, le=50)

    _queries = field_validator("query", "match")(classmethod(lambda _cls, v: _check_query(v)))

    @field_validator("every")
    @classmethod
    def _every(cls, value: str) -> str:
        if parse_every(value) < timedelta(minutes=1):
            raise ValueError(f"every must be at least 1m (polling faster is impolite), got {value!r}")
        return value

    @field_validator("subreddits")
    @classmethod
    def _subreddits(cls, values: list[str]) -> list[str]:
        cleaned = [v.removeprefix("r/").removeprefix("/r/") for v in values]
        for value in cleaned:
            if not _SUBREDDIT.match(value):
                raise ValueError(f"not a subreddit name: {value!r} (letters, digits, _; 2-21 long)")
        return cleaned

    @field_validator("hashtag")
    @classmethod
    def _hashtag(cls, value: str | None) -> str | None:
        if value is not None and not _HASHTAG.match(value.removeprefix("#")):
            raise ValueError(f"not a hashtag: {value!r} (letters, digits and _ only)")
        return value.removeprefix("#") if value is not None else None

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        return _check_url(value, ("http", "https")).rstrip("/") if value is not None else None

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return _check_url(value, ("http", "https", "file")) if value is not None else None

    @model_validator(mode="after")
    def _per_type(self) -> SourceConfig:
        for key, types in _ONLY_FOR.items():
            if getattr(self, key) and self.type not in types:
                raise ValueError(f"{key} is not used by type {self.type} (only by {', '.join(types)})")
        if self.type in _NEEDS_QUERY and not self.query:
            raise ValueError(f"query is required for type {self.type} (what to search for)")
        if self.type == "mastodon" and not self.hashtag:
            raise ValueError("hashtag is required for type mastodon")
        if self.type == "mastodon" and not self.base_url:
            raise ValueError("base_url is required for type mastodon (e.g. https://mastodon.social)")
        if self.type == "feed" and not self.url:
            raise ValueError("url is required for type feed (http(s):// or file://)")
        return self

    @property
    def interval(self) -> timedelta:
        return parse_every(self.every)

    @property
    def api_root(self) -> str:
        """The service root to talk to: `base_url`, else the type's public default."""
        return self.base_url or DEFAULT_BASE_URLS.get(self.type, "")

    @property
    def filter_query(self) -> str | None:
        """What a post must match to be kept: `match` when given, else the search `query` itself."""
        return self.match or self.query


def _unique_names(sources: list[SourceConfig]) -> list[SourceConfig]:
    names = [s.name for s in sources]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"source names must be unique: {', '.join(duplicates)}")
    return sources


# For `sources: SourceList = Field(default_factory=list)` inside the rules model.
SourceList = Annotated[list[SourceConfig], AfterValidator(_unique_names)]


def validate_sources(raw: Any) -> tuple[list[SourceConfig], list[Problem]]:
    """Validate the raw `sources:` value: every valid entry, and every problem as (index, key, message)."""
    if raw is None:
        return [], []
    if not isinstance(raw, list):
        return [], [(-1, "", "sources must be a list of entries")]
    sources: list[SourceConfig] = []
    problems: list[Problem] = []
    first_index: dict[str, int] = {}
    for index, entry in enumerate(raw):
        if not isinstance(entry, dict):
            problems.append((index, "", "expected a mapping with name, type and every"))
            continue
        try:
            source = SourceConfig.model_validate(entry)
        except ValidationError as exc:
            problems.extend(_problem(index, error) for error in exc.errors())
            continue
        if source.name in first_index:
            earlier = first_index[source.name]
            problems.append((index, "name", f"duplicate source name {source.name!r} (also entry {earlier})"))
            continue
        first_index[source.name] = index
        sources.append(source)
    return sources, problems


def _problem(index: int, error: Any) -> Problem:
    message = str(error["msg"]).removeprefix("Value error, ")
    key = ".".join(str(part) for part in error["loc"])
    if not key:  # a cross-field rule: its message starts with the key it is about
        first = message.split(" ", 1)[0]
        key = first if first in SourceConfig.model_fields else ""
    return index, key, message
