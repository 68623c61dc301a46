"""RETRAIN_AFTER_CORRECTIONS and RETRAIN_HOUR: defaults, off switches, and errors that name the variable."""

from __future__ import annotations

import pytest

from bot.domain.errors import ConfigError
from bot.domain.settings import DEFAULT_RETRAIN_AFTER, DEFAULT_RETRAIN_HOUR, Settings


def test_defaults_and_off_switches() -> None:
    settings = Settings.from_env({})
    assert (settings.retrain_after_corrections, settings.retrain_hour) == (DEFAULT_RETRAIN_AFTER, 3)
    assert DEFAULT_RETRAIN_HOUR == 3
    off = Settings.from_env({"RETRAIN_AFTER_CORRECTIONS": "0", "RETRAIN_HOUR": "OFF"})
    assert (off.retrain_after_corrections, off.retrain_hour) == (0, None)
    set_ = Settings.from_env({"RETRAIN_AFTER_CORRECTIONS": "5", "RETRAIN_HOUR": "23"})
    assert (set_.retrain_after_corrections, set_.retrain_hour) == (5, 23)


@pytest.mark.parametrize(
    ("name", "raw"),
    [("RETRAIN_AFTER_CORRECTIONS", "-1"), ("RETRAIN_AFTER_CORRECTIONS", "lots"), ("RETRAIN_HOUR", "24")],
)
def test_invalid_values_name_the_variable(name: str, raw: str) -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_env({name: raw})
    assert str(info.value).startswith(f"{name}:") and repr(raw) in str(info.value)
