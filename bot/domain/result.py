"""The classification result every classifier returns, and the protocol they share."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Protocol

from bot.domain.rules import LABELS


@dataclass(frozen=True)
class Few:
    """A labelled example shown to the LLM (from human corrections)."""

    text: str
    department: str


@dataclass(frozen=True)
class Result:
    """What a classifier decided about one mention."""

    department: str  # product | support | hr | sales | none
    confidence: float  # 0–1, probability of the chosen department
    sentiment: str = "neutral"  # positive | neutral | negative
    # probability of that sentiment; 1.0 when the classifier gives none (the LLM may give its own)
    sentiment_confidence: float = 1.0
    urgency: str = "normal"  # low | normal | high
    language: str = "und"  # ISO 639-1, "und" when unknown
    summary: str = ""  # one English line
    topics: tuple[str, ...] = ()  # ≤ 3 short tags
    classifier: str = "local"  # rules | local | llm | fallback | cache
    model: str = ""
    reason: str = ""  # why: rule name, model margin, LLM note, fallback cause
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: float = 0.0
    scores: dict[str, float] = field(default_factory=dict, compare=False)  # per-label probability

    def __post_init__(self) -> None:
        if self.department not in LABELS:
            raise ValueError(f"unknown department {self.department!r}")

    def as_(self, classifier: str, reason: str | None = None) -> Result:
        """The same answer attributed to another classifier (e.g. 'fallback', 'cache')."""
        return replace(self, classifier=classifier, reason=self.reason if reason is None else reason)


class Classifier(Protocol):
    """Anything that can classify a mention's plain text."""

    def classify(self, text: str, *, few_shots: tuple[Few, ...] = ()) -> Result: ...
