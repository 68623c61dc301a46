"""Fixtures for listener tests: the fake APIs on port 0 and a client whose waits are recorded, not slept."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from bot.intake.sources import SourceConfig, SourceHttp
from tests.fakes.sources_server import FakeSources


@dataclass
class FakeTime:
    """A clock that only moves when the client sleeps; `waits` lists every sleep asked for."""

    now: float = 1000.0
    waits: list[float] = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


@pytest.fixture
def fake() -> Iterator[FakeSources]:
    with FakeSources() as server:
        yield server


@pytest.fixture
def time_() -> FakeTime:
    return FakeTime()


@pytest.fixture
def http(time_: FakeTime) -> Iterator[SourceHttp]:
    # Pacing off: each test then sees only the waits it is about (test_http covers pacing).
    client = SourceHttp(timeout=5.0, sleep=time_.sleep, clock=time_.clock, pacing=False)
    yield client
    client.close()


def source(**fields: object) -> SourceConfig:
    return SourceConfig.model_validate({"name": "test", "every": "5m", **fields})
