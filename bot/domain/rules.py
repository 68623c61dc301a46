"""The routing rules file: its schema, validation with key and line, and small helpers over it."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.domain.errors import ConfigError
from bot.domain.sources import SourceConfig, SourceList
from bot.domain.yamlpos import line_of, load_with_lines

DEPARTMENTS: tuple[str, ...] = ("product", "support", "hr", "sales")
LABELS: tuple[str, ...] = (*DEPARTMENTS, "none")
Department = Literal["product", "support", "hr", "sales"]
Label = Literal["product", "support", "hr", "sales", "none"]
Urgency = Literal["low", "normal", "high"]
Sentiment = Literal["positive", "neutral", "negative"]

_CHANNEL = re.compile(r"^(#[a-z0-9_\-.]{1,80}|[CGD][A-Z0-9]{2,})$")
_DURATION = re.compile(r"^(\d+)\s*([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str) -> timedelta:
    """'30m', '24h', '7d', '2w' → timedelta."""
    match = _DURATION.match(text.strip().lower())
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"expected a duration like 30m, 24h, 7d or 2w, got {text!r}")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def _check_channel(value: str) -> str:
    if not _CHANNEL.match(value):
        raise ValueError(f"expected a channel ID (C0123ABC) or '#name', got {value!r}")
    return value


def _all_departments() -> list[Department]:
    return ["product", "support", "hr", "sales"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Escalation(_Strict):
    """Who to ping, and on which urgency or sentiment (either condition triggers)."""

    ping: list[str] = Field(min_length=1)
    urgency: Urgency | None = "high"
    sentiment: Sentiment | None = "negative"

    @field_validator("ping")
    @classmethod
    def _ping_targets(cls, values: list[str]) -> list[str]:
        for value in values:
            if not re.match(r"^(U|W|S)[A-Z0-9]{2,}$|^here$|^channel$", value):
                raise ValueError(
                    f"ping entries are user IDs (U…), user-group IDs (S…), 'here' or 'channel': {value!r}"
                )
        return values


class DepartmentConfig(_Strict):
    channel: str
    description: str = ""
    managers: list[str] = Field(default_factory=list)
    restricted: bool | None = None
    escalate: Escalation | None = None

    _channel = field_validator("channel")(classmethod(lambda _cls, v: _check_channel(v)))


class Watch(_Strict):
    channels: list[str] = Field(default_factory=list)

    @field_validator("channels")
    @classmethod
    def _channels(cls, values: list[str]) -> list[str]:
        return [_check_channel(v) for v in values]


class OverrideRule(_Strict):
    """A deterministic rule: any listed condition group must match; all given groups must match."""

    department: Label
    name: str = ""
    keywords: list[str] = Field(default_factory=list)
    regex: str | None = None
    source: list[str] = Field(default_factory=list)
    author: list[str] = Field(default_factory=list)

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"invalid regular expression: {exc}") from None
        return value

    @model_validator(mode="after")
    def _has_condition(self) -> OverrideRule:
        if not (self.keywords or self.regex or self.source or self.author):
            raise ValueError("a rule needs at least one of keywords, regex, source, author")
        return self


class Digest(_Strict):
    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")]
    recipients: list[str] = Field(min_length=1)
    cron: str
    departments: list[Department] = Field(default_factory=lambda: _all_departments())
    timezone: str = "UTC"
    period: str = "7d"

    @field_validator("period")
    @classmethod
    def _period(cls, value: str) -> str:
        parse_duration(value)
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {value!r} (use an IANA name like Europe/Oslo)") from None
        return value

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        from apscheduler.triggers.cron import CronTrigger

        try:
            CronTrigger.from_crontab(value)
        except ValueError as exc:
            raise ValueError(f"invalid cron expression {value!r}: {exc}") from None
        return value


class Alerts(_Strict):
    window: str = "1h"
    factor: float = Field(default=3.0, gt=1.0)
    min_count: int = Field(default=5, ge=1)
    cooldown: str = "6h"
    baseline_days: int = Field(default=7, ge=1, le=60)
    check_every: str = "5m"
    channel: str | None = None

    _durations = field_validator("window", "cooldown", "check_every")(
        classmethod(lambda _cls, v: (parse_duration(v), v)[1])
    )


class RoutingRules(_Strict):
    watch: Watch = Field(default_factory=Watch)
    departments: dict[Department, DepartmentConfig] = Field(min_length=1)
    triage_channel: str
    min_confidence: float = Field(default=0.6, ge=0.0, le=1.0)
    rules: list[OverrideRule] = Field(default_factory=list)
    digests: list[Digest] = Field(default_factory=list)
    alerts: Alerts | None = None
    sources: SourceList = Field(default_factory=list)  # built-in listeners (bot.intake.sources)

    _triage = field_validator("triage_channel")(classmethod(lambda _cls, v: _check_channel(v)))

    @field_validator("digests")
    @classmethod
    def _unique_digest_names(cls, digests: list[Digest]) -> list[Digest]:
        names = [d.name for d in digests]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"digest names must be unique: {', '.join(duplicates)}")
        return digests

    def is_restricted(self, department: str) -> bool:
        """HR is restricted unless the file says otherwise; other departments only when marked."""
        config = self.departments.get(department)  # type: ignore[call-overload]
        if config is None:
            return False
        return config.restricted if config.restricted is not None else department == "hr"

    def channel_for(self, department: str) -> str | None:
        config = self.departments.get(department)  # type: ignore[call-overload]
        return config.channel if config is not None else None


def load_rules(path: Path) -> RoutingRules:
    """Load and validate the rules file; raise ConfigError listing every problem with key and line."""
    data, lines = load_with_lines(path)
    if not isinstance(data, dict):
        raise ConfigError([f"{path}: expected a mapping with watch, departments and triage_channel"])
    try:
        return RoutingRules.model_validate(data)
    except ValidationError as exc:
        raise ConfigError([_describe(path, error, lines) for error in exc.errors()]) from None


def _entry_key(loc: tuple[Any, ...], message: str) -> tuple[Any, ...]:
    """A source entry's cross-field message starts with the key it is about: point at that key."""
    first = message.split(" ", 1)[0]
    if len(loc) == 2 and loc[0] == "sources" and first in SourceConfig.model_fields:
        return (*loc, first)
    return loc


def _describe(path: Path, error: Any, lines: dict[Any, int]) -> str:
    loc = _entry_key(tuple(error["loc"]), str(error["msg"]).removeprefix("Value error, "))
    key = ".".join(str(part) for part in loc).removesuffix(".[key]") or "(top level)"
    line = line_of(loc, lines)
    where = f"{path}:{line}" if line else str(path)
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{where}: {key}: {message}"
