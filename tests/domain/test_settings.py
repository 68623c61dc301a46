"""Tests for bot.domain.settings: defaults, empty values, validation messages, secrets kept out of repr."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.domain.errors import ConfigError
from bot.domain.settings import DEFAULT_DATABASE_URL, DEFAULT_OPENAI_MODEL, DEFAULT_SLACK_API_URL, Settings

SECRETS = {
    "SLACK_BOT_TOKEN": "xoxb-secret-bot-token",
    "SLACK_SIGNING_SECRET": "signing-secret-value",
    "SLACK_APP_TOKEN": "xapp-secret-app-token",
    "OPENAI_API_KEY": "sk-secret-openai-key",
    "INGEST_TOKEN": "ingest-secret-token",
}


def test_defaults_from_an_empty_environment() -> None:
    settings = Settings.from_env({})
    assert settings.slack_api_url == DEFAULT_SLACK_API_URL == "https://slack.com/api/"
    assert settings.database_url == DEFAULT_DATABASE_URL == "sqlite:///social_router.db"
    assert settings.openai_model == DEFAULT_OPENAI_MODEL
    assert settings.routing_rules == Path("routing_rules.yaml")
    assert settings.log_level == "INFO"
    assert settings.openai_timeout == 20.0
    assert settings.slack_bot_token is None
    assert settings.ingest_token is None
    assert settings.llm_enabled is False


def test_values_are_read_and_normalised() -> None:
    env = {
        "SLACK_API_URL": "http://127.0.0.1:8888/api",
        "DATABASE_URL": "postgresql://u@db/social",
        "ROUTING_RULES": "/etc/rules.yaml",
        "LOG_LEVEL": "debug",
        "OPENAI_TIMEOUT": "7.5",
        "LLM_DEADLINE": "12",
        "OPENAI_BASE_URL": "http://localhost:11434/v1",
        "OPENAI_MODEL": "llama3.2",
        "LOCAL_MODEL_PATH": "/var/lib/sr/model.joblib",
    }
    settings = Settings.from_env(env)
    assert settings.slack_api_url == "http://127.0.0.1:8888/api/"  # trailing slash added for the SDK
    assert settings.database_url == "postgresql+psycopg://u@db/social"  # the one driver installed
    assert settings.routing_rules == Path("/etc/rules.yaml")
    assert settings.log_level == "DEBUG"
    assert settings.openai_timeout == 7.5
    assert settings.llm_deadline == 12.0
    assert settings.openai_base_url == "http://localhost:11434/v1"
    assert settings.openai_model == "llama3.2"
    assert settings.model_path == Path("/var/lib/sr/model.joblib")


def test_api_key_enables_the_llm_and_an_empty_one_disables_it() -> None:
    assert Settings.from_env({"OPENAI_API_KEY": "sk-x"}).llm_enabled is True
    for empty in ("", "   "):
        settings = Settings.from_env({"OPENAI_API_KEY": empty})
        assert settings.openai_api_key is None
        assert settings.llm_enabled is False


def test_invalid_log_level_names_the_variable() -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_env({"LOG_LEVEL": "chatty"})
    assert "LOG_LEVEL" in str(info.value)
    assert "CHATTY" in str(info.value)


@pytest.mark.parametrize("raw", ["soon", "0", "-3"])
def test_invalid_timeout_names_the_variable(raw: str) -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_env({"OPENAI_TIMEOUT": raw})
    assert str(info.value).startswith("OPENAI_TIMEOUT:")
    assert repr(raw) in str(info.value)


def test_repr_and_str_never_show_secrets() -> None:
    settings = Settings.from_env(SECRETS)
    assert settings.slack_bot_token == SECRETS["SLACK_BOT_TOKEN"]  # stored, just not shown
    for shown in (repr(settings), str(settings)):
        for secret in SECRETS.values():
            assert secret not in shown
    assert "slack_api_url='https://slack.com/api/'" in repr(settings)


def test_require_names_every_missing_variable() -> None:
    settings = Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-1"})
    with pytest.raises(ConfigError) as info:
        settings.require("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN")
    assert info.value.problems == [
        "SLACK_SIGNING_SECRET is required for this command but is not set",
        "SLACK_APP_TOKEN is required for this command but is not set",
    ]
    assert "xoxb-1" not in str(info.value)


def test_require_passes_when_everything_is_set() -> None:
    Settings.from_env(SECRETS).require("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "INGEST_TOKEN")


def test_settings_are_frozen() -> None:
    settings = Settings.from_env({})
    with pytest.raises(AttributeError):
        settings.log_level = "DEBUG"  # type: ignore[misc]


DOCUMENTED = [
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "SLACK_API_URL",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_MODEL",
    "DATABASE_URL",
    "ROUTING_RULES",
    "INGEST_TOKEN",
    "LOG_LEVEL",
    "OPENAI_TIMEOUT",
    "LLM_DEADLINE",
    "LOCAL_MODEL_PATH",
    "RETRAIN_AFTER_CORRECTIONS",
    "RETRAIN_HOUR",
]


def test_env_example_documents_every_variable_with_valid_examples() -> None:
    example = Path(__file__).resolve().parents[2] / ".env.example"
    values: dict[str, str] = {}
    for line in example.read_text(encoding="utf-8").splitlines():
        match = re.fullmatch(r"#? ?([A-Z][A-Z0-9_]+)=(\S*)", line)
        if match:
            values.setdefault(match.group(1), match.group(2))
    assert [name for name in DOCUMENTED if name not in values] == []
    settings = Settings.from_env(values)  # every example value, uncommented, is valid
    assert settings.llm_enabled is True
    assert settings.slack_bot_token is not None and settings.slack_bot_token.startswith("xoxb-")
    assert settings.database_url == "sqlite:///social_router.db"


def test_llm_concurrency_and_batch_size() -> None:
    assert (Settings.from_env({}).llm_concurrency, Settings.from_env({}).llm_batch_size) == (16, 8)
    settings = Settings.from_env({"LLM_CONCURRENCY": "32", "LLM_BATCH_SIZE": "1"})
    assert (settings.llm_concurrency, settings.llm_batch_size) == (32, 1)
    for bad in ("0", "21", "many"):
        with pytest.raises(ConfigError, match="LLM_BATCH_SIZE"):
            Settings.from_env({"LLM_BATCH_SIZE": bad})
