"""Leases (one holder at a time, lapsing, released early) and published local models (bytes, hashes)."""

from __future__ import annotations

import zlib
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from bot.store.leases import claim_lease, release_lease
from bot.store.local_models import (
    KEEP,
    MODELS,
    NewModel,
    latest_model,
    model_bytes,
    models_count,
    publish_model,
)

NOW = datetime(2026, 11, 29, 12, 0)
TTL = timedelta(minutes=30)


def test_one_holder_at_a_time_until_it_releases_or_lapses(engine: Engine) -> None:
    assert claim_lease(engine, "job", "a", now=NOW, ttl=TTL)  # the first claim inserts the row
    assert not claim_lease(engine, "job", "b", now=NOW, ttl=TTL)
    assert claim_lease(engine, "job", "a", now=NOW + timedelta(minutes=1), ttl=TTL)  # a extends it
    assert claim_lease(engine, "other", "b", now=NOW, ttl=TTL)  # leases are independent
    release_lease(engine, "job", "b")  # not b's: changes nothing
    assert not claim_lease(engine, "job", "b", now=NOW + timedelta(minutes=2), ttl=TTL)
    release_lease(engine, "job", "a")
    assert claim_lease(engine, "job", "b", now=NOW + timedelta(minutes=2), ttl=TTL)
    # b dies holding it: the lease lapses at its expiry and someone else takes it
    assert not claim_lease(engine, "job", "c", now=NOW + timedelta(minutes=31), ttl=TTL)
    assert claim_lease(engine, "job", "c", now=NOW + timedelta(minutes=33), ttl=TTL)


def _model(version: str, seeds: str = "seeds-1", data: bytes = b"model bytes") -> NewModel:
    return NewModel(
        version, seeds, max_correction_id=7, corrections=3, trigger="count", seconds=4.2, data=data
    )


def test_the_newest_model_for_these_seeds_and_only_the_last_few_keep_their_bytes(engine: Engine) -> None:
    assert latest_model(engine, "seeds-1") is None and models_count(engine) == 0
    ids = [publish_model(engine, _model(f"v{i}", data=f"model {i}".encode() * 1000)) for i in range(KEEP + 2)]
    publish_model(engine, _model("other", seeds="seeds-2"))
    newest = latest_model(engine, "seeds-1")
    assert newest is not None and (newest.id, newest.version) == (ids[-1], f"v{KEEP + 1}")
    assert (newest.max_correction_id, newest.corrections, newest.trigger) == (7, 3, "count")
    assert model_bytes(engine, ids[-1]) == f"model {KEEP + 1}".encode() * 1000
    assert models_count(engine) == KEEP + 3  # the history stays
    with pytest.raises(ValueError, match="no stored bytes"):
        model_bytes(engine, ids[0])
    with engine.connect() as conn:
        stored = conn.execute(select(MODELS.c.payload).where(MODELS.c.id == ids[-1])).scalar_one()
    assert len(stored) < 1000  # compressed


def test_damaged_bytes_are_refused(engine: Engine) -> None:
    model_id = publish_model(engine, _model("v1"))
    with engine.begin() as conn:
        conn.execute(update(MODELS).values(payload=zlib.compress(b"something else")))
    with pytest.raises(ValueError, match="damaged"):
        model_bytes(engine, model_id)
