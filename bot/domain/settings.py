"""Runtime settings: one frozen object built from the environment once and passed down."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.domain.dburl import normalize_database_url
from bot.domain.errors import ConfigError

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_OPENAI_MODEL = "gpt-4o-mini"
DEFAULT_DATABASE_URL = "sqlite:///social_router.db"
# Chosen by seeds cross-validation (`bot.classify.oracle.seed_sweep`, shuffles 3 and 4): the cheapest
# threshold at which ≥ 97% of actionable mentions reach the right channel with a perfect LLM on both,
# with one standard error (0.3 points) to spare: 0.85 reached 0.973/0.971, 0.86 0.976/0.977. Confirmed on
# dev; see README.
DEFAULT_LOCAL_CONFIDENT = 0.86
MAX_LLM_BATCH = 20  # beyond this the answer risks the output-token limit and one bad answer costs more
DEFAULT_RETRAIN_AFTER = 20  # new corrections that make the worker retrain the local model (0: never)
DEFAULT_RETRAIN_HOUR = 3  # UTC hour of the nightly retraining, when there were new corrections
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


@dataclass(frozen=True)
class Settings:
    """Everything the process reads from its environment. Secrets are excluded from repr."""

    slack_bot_token: str | None = field(default=None, repr=False)
    slack_signing_secret: str | None = field(default=None, repr=False)
    slack_app_token: str | None = field(default=None, repr=False)
    slack_api_url: str = DEFAULT_SLACK_API_URL
    openai_api_key: str | None = field(default=None, repr=False)
    openai_base_url: str | None = None
    openai_model: str = DEFAULT_OPENAI_MODEL
    openai_timeout: float = 20.0
    llm_deadline: float = 25.0  # seconds for all LLM attempts of one mention, then the local fallback
    database_url: str = DEFAULT_DATABASE_URL
    routing_rules: Path = Path("routing_rules.yaml")
    ingest_token: str | None = field(default=None, repr=False)
    log_level: str = "INFO"
    model_path: Path = Path(".cache/local_model.joblib")
    local_confident: float = DEFAULT_LOCAL_CONFIDENT  # the local answer skips the LLM at or above this
    classify_workers: int = 4  # parallel classifications (LLM calls are slow, the local model is not)
    llm_concurrency: int = 16  # LLM calls in flight at once, shared by every classification thread
    llm_batch_size: int = 8  # mentions per LLM request (1 = one request per mention)
    slack_min_interval: float = 1.0  # seconds between two messages to one channel (Slack's ~1 msg/s)
    auto_migrate: bool = True  # apply pending schema migrations at start (else refuse to start)
    retrain_after_corrections: int = DEFAULT_RETRAIN_AFTER  # 0 disables the count trigger
    retrain_hour: int | None = DEFAULT_RETRAIN_HOUR  # None ("off") disables the nightly retraining
    # built-in listeners (`sources:` in the rules file): Bluesky search may need a login
    bluesky_handle: str | None = None
    bluesky_app_password: str | None = field(default=None, repr=False)

    @property
    def llm_enabled(self) -> bool:
        return bool(self.openai_api_key)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build settings from `env` (default: os.environ). Empty values count as unset."""
        source = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = source.get(name, "").strip()
            return value or None

        log_level = (get("LOG_LEVEL") or "INFO").upper()
        if log_level not in LOG_LEVELS:
            raise ConfigError([f"LOG_LEVEL: must be one of {', '.join(LOG_LEVELS)}, got {log_level!r}"])
        return cls(
            slack_bot_token=get("SLACK_BOT_TOKEN"),
            slack_signing_secret=get("SLACK_SIGNING_SECRET"),
            slack_app_token=_app_token(get("SLACK_APP_TOKEN")),
            slack_api_url=_with_trailing_slash(get("SLACK_API_URL") or DEFAULT_SLACK_API_URL),
            openai_api_key=get("OPENAI_API_KEY"),
            openai_base_url=get("OPENAI_BASE_URL"),
            openai_model=get("OPENAI_MODEL") or DEFAULT_OPENAI_MODEL,
            openai_timeout=_positive_float(get("OPENAI_TIMEOUT"), "OPENAI_TIMEOUT", 20.0),
            llm_deadline=_positive_float(get("LLM_DEADLINE"), "LLM_DEADLINE", 25.0),
            database_url=normalize_database_url(get("DATABASE_URL") or DEFAULT_DATABASE_URL),
            routing_rules=Path(get("ROUTING_RULES") or "routing_rules.yaml"),
            ingest_token=get("INGEST_TOKEN"),
            log_level=log_level,
            model_path=Path(get("LOCAL_MODEL_PATH") or ".cache/local_model.joblib"),
            local_confident=_fraction(
                get("CASCADE_LOCAL_CONFIDENCE"), "CASCADE_LOCAL_CONFIDENCE", DEFAULT_LOCAL_CONFIDENT
            ),
            classify_workers=int(_positive_float(get("CLASSIFY_WORKERS"), "CLASSIFY_WORKERS", 4)),
            llm_concurrency=max(1, int(_positive_float(get("LLM_CONCURRENCY"), "LLM_CONCURRENCY", 16))),
            llm_batch_size=_batch_size(get("LLM_BATCH_SIZE")),
            slack_min_interval=_positive_float(get("SLACK_MIN_INTERVAL"), "SLACK_MIN_INTERVAL", 1.0),
            auto_migrate=_flag(get("AUTO_MIGRATE"), "AUTO_MIGRATE", default=True),
            retrain_after_corrections=_count(
                get("RETRAIN_AFTER_CORRECTIONS"), "RETRAIN_AFTER_CORRECTIONS", DEFAULT_RETRAIN_AFTER
            ),
            retrain_hour=_hour(get("RETRAIN_HOUR"), "RETRAIN_HOUR", DEFAULT_RETRAIN_HOUR),
            bluesky_handle=get("BLUESKY_HANDLE"),
            bluesky_app_password=get("BLUESKY_APP_PASSWORD"),
        )

    @property
    def source_credentials(self) -> dict[str, str]:
        """What listeners may log in with, by environment variable name (only those that are set)."""
        pairs = {"BLUESKY_HANDLE": self.bluesky_handle, "BLUESKY_APP_PASSWORD": self.bluesky_app_password}
        return {name: value for name, value in pairs.items() if value}

    def require(self, *names: str) -> None:
        """Raise one ConfigError naming every required variable that is missing."""
        missing = [name for name in names if not getattr(self, name.lower())]
        if missing:
            raise ConfigError([f"{name} is required for this command but is not set" for name in missing])


def _flag(raw: str | None, name: str, *, default: bool) -> bool:
    if raw is None:
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigError([f"{name}: expected true or false, got {raw!r}"])


def _app_token(raw: str | None) -> str | None:
    if raw is not None and not raw.startswith("xapp-"):
        # A bot token (xoxb-) pasted here is the usual mistake; Socket Mode needs an app-level token.
        raise ConfigError(
            [
                f"SLACK_APP_TOKEN must be an app-level token starting with xapp- (got {raw[:5]!r}…): create "
                "one under Basic Information → App-Level Tokens with the connections:write scope"
            ]
        )
    return raw


def _with_trailing_slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def _positive_float(raw: str | None, name: str, default: float) -> float:
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError([f"{name}: expected a number of seconds, got {raw!r}"]) from None
    if value <= 0:
        raise ConfigError([f"{name}: must be positive, got {raw!r}"])
    return value


def _batch_size(raw: str | None) -> int:
    value = int(_positive_float(raw, "LLM_BATCH_SIZE", 8))
    if not 1 <= value <= MAX_LLM_BATCH:
        raise ConfigError([f"LLM_BATCH_SIZE: must be between 1 and {MAX_LLM_BATCH}, got {raw!r}"])
    return value


def _count(raw: str | None, name: str, default: int) -> int:
    if raw is None:
        return default
    if not raw.isdigit():
        raise ConfigError([f"{name}: expected a whole number ≥ 0 (0 turns it off), got {raw!r}"])
    return int(raw)


def _hour(raw: str | None, name: str, default: int) -> int | None:
    if raw is None:
        return default
    if raw.lower() == "off":
        return None
    if not raw.isdigit() or int(raw) > 23:
        raise ConfigError([f"{name}: expected an hour 0-23 (UTC) or off, got {raw!r}"])
    return int(raw)


def _fraction(raw: str | None, name: str, default: float) -> float:
    value = _positive_float(raw, name, default)
    if value > 1:
        raise ConfigError([f"{name}: must be between 0 and 1, got {raw!r}"])
    return value
