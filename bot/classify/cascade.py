"""The cascade that decides cost: rules overrides → local model when confident → LLM → local fallback."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace

from bot.classify.limiter import LLMLimiter
from bot.classify.overrides import describe, first_match
from bot.domain.errors import ClassifierUnavailable
from bot.domain.result import Classifier, Few, Result
from bot.domain.rules import RoutingRules
from bot.domain.settings import DEFAULT_LOCAL_CONFIDENT

log = logging.getLogger(__name__)
FewShots = Callable[[str], tuple[Few, ...]]


def _no_few_shots(_text: str) -> tuple[Few, ...]:
    return ()


class Cascade:
    """Classify one mention as cheaply as the required confidence allows.

    The local model answers when it is at least `local_confident` sure (or when no LLM is
    configured); otherwise the LLM decides, and an LLM failure falls back to the local answer,
    marked as such: an outage never loses or stalls a mention.
    """

    def __init__(
        self,
        rules: RoutingRules,
        local: Classifier,
        llm: Classifier | None = None,
        *,
        few_shots: FewShots = _no_few_shots,
        local_confident: float = DEFAULT_LOCAL_CONFIDENT,
    ) -> None:
        self.rules = rules
        self.local = local
        self.llm = llm
        self.few_shots = few_shots
        self.local_confident = local_confident

    @property
    def llm_limiter(self) -> LLMLimiter | None:
        """The LLM's rate limiter, for this process's other LLM calls (`ask`): one 429 pause for all."""
        limiter = getattr(self.llm, "limiter", None)
        return limiter if isinstance(limiter, LLMLimiter) else None

    def classify(self, text: str, *, source: str = "", author: str = "") -> Result:
        local, decided = self.triage(text, source=source, author=author)
        return decided if decided is not None else self._ask_llm(text, local)

    def triage(self, text: str, *, source: str = "", author: str = "") -> tuple[Result, Result | None]:
        """The cheap steps: the local answer, and the final answer unless the LLM must decide (None)."""
        local = self.local.classify(text)
        override = self._override(text, source, author, local)
        if override is not None:
            return local, override
        if self.llm is None:
            return local, local
        if local.confidence >= self.local_confident:
            return local, replace(local, reason=f"{local.reason}; confident enough to skip the LLM")
        return local, None

    def warm_up(self) -> None:
        """Load (or, on first run, train) the local model now rather than on the first mention."""
        self.local.classify("warm-up")

    def _override(self, text: str, source: str, author: str, local: Result) -> Result | None:
        rule = first_match(self.rules.rules, text, source, author)
        if rule is None:
            return None
        index = self.rules.rules.index(rule)
        # sentiment, urgency, language and topics still come from the (cheap) local model
        return replace(
            local,
            department=rule.department,
            confidence=1.0,
            classifier="rules",
            model="",
            reason=describe(rule, index),
        )

    def _ask_llm(self, text: str, local: Result) -> Result:
        assert self.llm is not None
        try:
            return self.llm.classify(text, few_shots=self.few_shots(text))
        except ClassifierUnavailable as exc:
            log.warning("LLM unavailable, using the local answer: %s", exc)
            return local.as_("fallback", reason=f"LLM unavailable ({exc}); {local.reason}")
