"""The offline classifier: TF-IDF + logistic regression trained in seconds on the bundled seed examples.

It needs no network, so it is the default without an API key and the fallback when the LLM is down.
Department, sentiment and language each get a logistic regression over one shared feature space;
urgency and topics come from the deterministic lexicon in `bot.classify.lexicon`.
"""

from __future__ import annotations

import io
import logging
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import joblib
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion

from bot.classify.calibration import DEGENERATE_CAP, cap_confidence, fit_head
from bot.classify.calibrator import Calibrator
from bot.classify.features import LinearScorer, build_vectorizer, hide_cues, one_line_summary, softmax
from bot.classify.lexicon import topics_for, urgency_for
from bot.classify.model_file import file_identity, write_atomically
from bot.classify.normalize import fold_confusables, is_degenerate
from bot.classify.sentiment import sentiment_label
from bot.classify.training import (
    DEPARTMENT_C,
    FORMAT,
    OTHER_C,
    VERSION,
    logistic,
    remember_calibration,
    seed_calibration,
    seed_examples,
    seed_hash,
    sentiment_head,
    trained_version,
)
from bot.domain.result import Few, Result
from bot.domain.rules import LABELS

log = logging.getLogger(__name__)

CORRECTION_WEIGHT = 2.0  # a human correction is real traffic: it counts more than a written seed
MIN_LANGUAGE_PROB = 0.3


class LocalClassifier:
    """Department, sentiment and language models over one shared TF-IDF feature space."""

    def __init__(
        self,
        vectorizer: FeatureUnion,
        department: LogisticRegression,
        sentiment: LogisticRegression,
        language: LogisticRegression,
        meta: dict[str, Any],
    ) -> None:
        self._vectorizer = vectorizer
        self._department = department
        self._sentiment = sentiment
        self._language = language
        self.meta = meta
        # a model retrained on corrections names itself after them, so answers say which model gave them
        self.version = str(meta.get("model_version") or VERSION)
        self._scorer = LinearScorer(vectorizer, (department, sentiment, language))
        n_dept, n_sent = len(department.classes_), len(sentiment.classes_)
        self._slices = (slice(0, n_dept), slice(n_dept, n_dept + n_sent), slice(n_dept + n_sent, None))
        self._calibrator = Calibrator.from_meta(meta)
        self._sentiment_temperature = float(meta.get("sentiment_temperature", 1.0))
        self._negative_floor = float(meta.get("negative_floor", 0.0))  # a language with no seeds
        self._negative_floors = {str(k): float(v) for k, v in meta.get("negative_floors", {}).items()}

    @classmethod
    def train(cls, extra: Iterable[tuple[str, str]] = ()) -> LocalClassifier:
        """Fit on the seeds plus `extra` (text, department) pairs such as human corrections."""
        seeds = seed_examples()
        corrections = [(text, dept) for text, dept in extra if text.strip() and dept in LABELS]
        texts = [row["text"] for row in seeds] + [text for text, _ in corrections]
        vectorizer = build_vectorizer()
        features = vectorizer.fit_transform(texts)
        seed_part = features[: len(seeds)]
        weights = np.array([1.0] * len(seeds) + [CORRECTION_WEIGHT] * len(corrections))
        departments = [row["department"] for row in seeds] + [dept for _, dept in corrections]
        department = logistic(DEPARTMENT_C).fit(
            hide_cues(features, vectorizer), departments, sample_weight=weights
        )
        sentiments = [row["sentiment"] for row in seeds]
        sentiment = fit_head(
            sentiment_head(sentiments), seed_part, vectorizer, texts[: len(seeds)], np.arange(len(seeds))
        )
        # corrections carry no sentiment label, and are few: both calibrations come from the seeds
        calibration = seed_calibration()
        language = logistic(OTHER_C).fit(seed_part, [row["lang"] for row in seeds])
        meta: dict[str, Any] = {
            "seed_hash": seed_hash(),
            "version": VERSION,
            "seeds": len(seeds),
            "extra": len(corrections),
            **calibration,
        }
        if corrections:
            meta["model_version"] = trained_version(meta["seed_hash"], corrections)
        return cls(vectorizer, department, sentiment, language, meta)

    def to_bytes(self) -> bytes:
        """The saved file's content (what `save` writes and the database shares between replicas)."""
        state = {
            "format": FORMAT,
            "meta": self.meta,
            "models": (self._vectorizer, self._department, self._sentiment, self._language),
        }
        buffer = io.BytesIO()
        joblib.dump(state, buffer)
        return buffer.getvalue()

    def save(self, path: Path) -> None:
        write_atomically(path, self.to_bytes())

    @classmethod
    def load(cls, path: Path) -> LocalClassifier:
        """Load a model written by `save` (a trusted local cache: joblib unpickles it)."""
        state = joblib.load(path)
        if not isinstance(state, dict) or state.get("format") != FORMAT:
            raise ValueError(f"{path}: not a local model of format {FORMAT}")
        vectorizer, department, sentiment, language = state["models"]
        meta = dict(state["meta"])
        remember_calibration(meta)  # a worker that loaded its model retrains without recalibrating
        return cls(vectorizer, department, sentiment, language, meta)

    def classify(self, text: str, *, few_shots: tuple[Few, ...] = ()) -> Result:  # noqa: ARG002 (protocol)
        """Classify one mention. `few_shots` are for the LLM; this model learns them via `train`."""
        return self.classify_many([text])[0]

    def classify_many(self, texts: Sequence[str]) -> list[Result]:
        """Classify a batch with one vectorisation and one matrix product."""
        if not texts:
            return []
        folded = [fold_confusables(text) for text in texts]
        logits = (
            self._scorer.logits_many(folded) if len(texts) > 1 else self._scorer.logits_one(folded[0])[None]
        )
        return [self._result(text, logits[i]) for i, text in enumerate(folded)]

    def _result(self, text: str, logits: np.ndarray) -> Result:
        dept = self._calibrator.probabilities(logits[self._slices[0]])
        sent = softmax(logits[self._slices[1]], self._sentiment_temperature)
        if is_degenerate(text):  # too little text to be sure of anything: a human or the LLM decides
            dept, sent = cap_confidence(dept, DEGENERATE_CAP), cap_confidence(sent, DEGENERATE_CAP)
        lang = softmax(logits[self._slices[2]])
        scores = {str(label): float(p) for label, p in zip(self._department.classes_, dept, strict=True)}
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
        department, confidence = ranked[0]
        language = (
            str(self._language.classes_[int(np.argmax(lang))]) if lang.max() >= MIN_LANGUAGE_PROB else "und"
        )
        floor = self._negative_floors.get(language, self._negative_floor)
        sentiment, sentiment_confidence = sentiment_label(self._sentiment.classes_, sent, floor)
        reason = f"local model: {department} {confidence:.2f}"
        if len(ranked) > 1:
            reason += f" (runner-up {ranked[1][0]} {ranked[1][1]:.2f})"
        return Result(
            department=department,
            confidence=round(confidence, 4),
            sentiment=sentiment,
            sentiment_confidence=round(sentiment_confidence, 4),
            urgency=urgency_for(text, department, sentiment),
            language=language,
            summary=one_line_summary(text),
            topics=topics_for(text),
            classifier="local",
            model=self.version,
            reason=reason,
            scores=scores,
        )


def load_or_train(path: Path) -> LocalClassifier:
    """Load the cached model when it matches the current seeds, else train and cache it.

    Two processes starting together may both train; each writes its own temp file and renames
    it into place, so the survivor is always a whole, valid model.
    """
    expected = seed_hash()
    if path.exists():
        try:
            model = LocalClassifier.load(path)
            if model.meta.get("seed_hash") == expected:
                return model
            log.info("local model at %s was built from other seeds; retraining", path)
        except Exception as exc:  # a corrupt or foreign cache is rebuilt, never fatal
            log.warning("cannot load local model at %s (%s); retraining", path, exc)
    started = time.perf_counter()
    model = LocalClassifier.train()
    model.save(path)
    log.info("trained local model on %d seeds in %.1fs", model.meta["seeds"], time.perf_counter() - started)
    return model


class ReloadingLocalClassifier:
    """The running app's local classifier: picks up a model re-saved by `python -m bot train` or by
    automatic retraining (bot.classify.retrain), checking the file at most every `check_every` s."""

    def __init__(self, path: Path, check_every: float = 5.0) -> None:
        self._path = path
        self._check_every = check_every
        self._lock = threading.Lock()
        self._model: LocalClassifier | None = None  # loaded (or trained) on first use
        self._mtime: tuple[int, int] | None = None
        self._checked = time.monotonic()

    @property
    def path(self) -> Path:
        return self._path

    @property
    def version(self) -> str:
        return self.model.version

    @property
    def loaded_version(self) -> str | None:
        """The version in memory, without loading (or training) one: None before the first use."""
        model = self._model
        return model.version if model is not None else None

    @property
    def model(self) -> LocalClassifier:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = load_or_train(self._path)
                    self._mtime = file_identity(self._path)
            return self._model
        self._maybe_reload()
        return self._model

    def classify(self, text: str, *, few_shots: tuple[Few, ...] = ()) -> Result:
        return self.model.classify(text, few_shots=few_shots)

    def classify_many(self, texts: Sequence[str]) -> list[Result]:
        return self.model.classify_many(texts)

    def refresh(self) -> None:
        """Check the file now (the retrainer calls this after replacing it, from its own thread)."""
        with self._lock:
            self._reload_if_changed(time.monotonic())

    def _maybe_reload(self) -> None:
        now = time.monotonic()
        if now - self._checked < self._check_every:
            return
        # another thread is loading: classify with the current model rather than wait for it
        if not self._lock.acquire(blocking=False):
            return
        try:
            self._reload_if_changed(now)
        finally:
            self._lock.release()

    def _reload_if_changed(self, now: float) -> None:
        self._checked = now
        mtime = file_identity(self._path)
        if mtime is None or mtime == self._mtime:
            return
        try:
            self._model = LocalClassifier.load(self._path)
            self._mtime = mtime
            log.info("reloaded local model %s from %s", self._model.version, self._path)
        except Exception as exc:  # keep serving the old model rather than failing mentions
            log.warning("cannot reload local model from %s: %s", self._path, exc)
