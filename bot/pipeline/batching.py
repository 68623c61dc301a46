"""Classifying a claimed set of mentions: the cheap cascade steps one by one, then the LLM in batches.

Mentions that need the LLM are grouped `LLM_BATCH_SIZE` at a time into one request each; the groups
run concurrently on the worker's pool, bounded by the shared `LLMLimiter`. A mention the batch answer
left out (or answered invalidly) is asked about alone, through the ordinary cascade; an LLM outage
falls back to the local answer, as a single call would.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from itertools import chain, zip_longest
from typing import Any

from bot.classify.cascade import Cascade
from bot.context import Services
from bot.domain.errors import ClassifierUnavailable
from bot.domain.result import Few, Result
from bot.store.models import Mention

log = logging.getLogger(__name__)
Answer = Result | Exception
AnyMapper = Callable[..., Iterator[Any]]


def classify_mentions(
    services: Services, mentions: Sequence[Mention], mapper: AnyMapper, single: Callable[[Mention], Answer]
) -> list[Answer]:
    """One answer per mention, in order; an Exception leaves its mention pending (it is retried)."""
    cascade = services.cascade  # read once: a rules reload mid-batch must not mix two configurations
    size = services.settings.llm_batch_size
    if cascade.llm is None or size <= 1 or len(mentions) <= 1:
        return list(mapper(single, mentions))
    answers: list[Answer | None] = []
    local: dict[int, Result] = {}
    for index, mention in enumerate(mentions):
        try:
            local[index], decided = cascade.triage(mention.text, source=mention.source, author=mention.author)
            answers.append(decided)
        except Exception as exc:  # one bad mention must not sink its batch
            log.exception("classifying mention %s failed; it stays pending and is retried", mention.id)
            answers.append(exc)
    asks = [i for i, answer in enumerate(answers) if answer is None]
    chunks = [asks[k : k + size] for k in range(0, len(asks), size)]

    def ask(chunk: list[int]) -> list[Answer]:
        return _ask_chunk(cascade, [mentions[i] for i in chunk], [local[i] for i in chunk], single)

    for chunk, results in zip(chunks, mapper(ask, chunks), strict=True):
        for index, result in zip(chunk, results, strict=True):
            answers[index] = result
    return [a if a is not None else RuntimeError("unanswered") for a in answers]


def _ask_chunk(
    cascade: Cascade, mentions: list[Mention], local: list[Result], single: Callable[[Mention], Answer]
) -> list[Answer]:
    from bot.classify.llm import LLMClassifier
    from bot.classify.llm_batch import classify_batch

    if len(mentions) == 1 or not isinstance(cascade.llm, LLMClassifier):
        return [single(m) for m in mentions]
    texts = [m.text for m in mentions]
    try:
        got = classify_batch(cascade.llm, texts, _shared_few_shots(cascade, texts))
    except ClassifierUnavailable as exc:  # unreachable after retries: asking each alone would not help
        log.warning("LLM unavailable for a batch of %d, using the local answers: %s", len(texts), exc)
        return [r.as_("fallback", reason=f"LLM unavailable ({exc}); {r.reason}") for r in local]
    if len(got) < len(texts):
        log.info("batch answer covered %d of %d mentions; asking about the rest alone", len(got), len(texts))
    return [got[k] if k in got else single(m) for k, m in enumerate(mentions)]


def _shared_few_shots(cascade: Cascade, texts: list[str]) -> tuple[Few, ...]:
    """Each mention's best corrections, interleaved so every mention's first pick comes first."""
    per_text = [cascade.few_shots(text) for text in texts]
    merged = chain.from_iterable(zip_longest(*per_text))
    return tuple(dict.fromkeys(f for f in merged if f is not None))
