"""Human corrections: recording them, and turning them into few-shot examples and training data.

A correction is a person saying "this mention belongs to X" (a reassignment, or "not relevant" → none).
The latest correction of a mention wins. Few-shot selection scores the most recent corrections by
word overlap with the text being classified: the candidate set is bounded (`RECENT`), so the cost per
classification stays constant however many corrections accumulate.
"""

from __future__ import annotations

import logging
import re

from bot.domain.clock import utcnow
from bot.domain.result import Few
from bot.domain.rules import LABELS
from bot.domain.text import truncate
from bot.store.corrections import add_correction, latest_corrections
from bot.store.engine import Engine, Session
from bot.store.models import Correction, Mention

log = logging.getLogger(__name__)
RECENT = 500  # candidate corrections considered for few-shot examples
_WORDS = re.compile(r"\w{3,}", re.UNICODE)  # ignore 1–2 letter words: they match everything


def record_correction(
    session: Session, mention: Mention, to_department: str, user_id: str
) -> Correction | None:
    """Store that `user_id` moved `mention` to `to_department`; None when that is already its department.

    The caller owns the unit of work and updates the mention itself; this only adds the record.
    """
    if to_department not in LABELS:
        raise ValueError(f"unknown department {to_department!r}")
    if mention.id is None or mention.department == to_department:
        return None
    return add_correction(
        session,
        mention_id=mention.id,
        from_department=mention.department or "none",
        to_department=to_department,
        user_id=user_id,
        created_at=utcnow(),
    )


def correction_examples(engine: Engine, limit: int | None = None) -> list[tuple[str, str]]:
    """(text, department) for every corrected mention, newest first: training data for `bot train`."""
    return [(body, label) for body, label in latest_corrections(engine, limit) if label in LABELS]


def few_shots_for(engine: Engine, text: str, *, limit: int = 6, max_chars: int = 300) -> tuple[Few, ...]:
    """The corrections most relevant to `text` (shared words, then recency), at most `limit` of them.

    Each example is cut to `max_chars`, so the prompt stays bounded whatever people corrected.
    """
    if limit <= 0:
        return ()
    candidates = correction_examples(engine, limit=RECENT)
    if not candidates:
        return ()
    wanted = set(_WORDS.findall(text.casefold()))
    scored = [
        (len(wanted & set(_WORDS.findall(body.casefold()))), -rank, body, label)
        for rank, (body, label) in enumerate(candidates)  # rank 0 is the newest
    ]
    scored.sort(reverse=True)
    chosen: list[Few] = []
    seen: set[str] = set()
    for _score, _rank, body, label in scored:
        key = body.casefold().strip()
        if key in seen:  # retweets corrected twice would waste a slot
            continue
        seen.add(key)
        chosen.append(Few(text=truncate(body, max_chars), department=label))
        if len(chosen) == limit:
            break
    return tuple(chosen)


def few_shot_provider(engine: Engine, *, limit: int = 6, max_chars: int = 300) -> FewShotProvider:
    """A `Cascade(few_shots=…)` callable bound to this database."""
    return FewShotProvider(engine, limit, max_chars)


class FewShotProvider:
    """Callable text → few-shot examples; a database error never blocks classification."""

    def __init__(self, engine: Engine, limit: int, max_chars: int) -> None:
        self.engine, self.limit, self.max_chars = engine, limit, max_chars

    def __call__(self, text: str) -> tuple[Few, ...]:
        try:
            return few_shots_for(self.engine, text, limit=self.limit, max_chars=self.max_chars)
        except Exception:  # the prompt is still valid without examples
            log.warning("could not load few-shot examples", exc_info=True)
            return ()
