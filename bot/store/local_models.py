"""Retrained local models in the database: publish one, find the newest, fetch its bytes.

Replicas on different machines do not share LOCAL_MODEL_PATH, so the model one replica trained is
stored here (the saved file, zlib-compressed, with the SHA-256 of the original) and every other process
installs it. Only the newest `KEEP` rows keep their bytes; older rows stay as a training history.
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Engine

from bot.domain.clock import utcnow
from bot.store.models import LocalModel

MODELS = LocalModel.__table__  # type: ignore[attr-defined]
KEEP = 3  # rows that keep their bytes: enough for a replica that is one or two models behind
_INFO = (
    MODELS.c.id,
    MODELS.c.version,
    MODELS.c.seed_hash,
    MODELS.c.max_correction_id,
    MODELS.c.corrections,
    MODELS.c.trigger,
    MODELS.c.seconds,
    MODELS.c.created_at,
)


@dataclass(frozen=True)
class StoredModel:
    """One published model, without its bytes."""

    id: int
    version: str
    seed_hash: str
    max_correction_id: int
    corrections: int
    trigger: str
    seconds: float
    created_at: datetime


@dataclass(frozen=True)
class NewModel:
    """What a training produced, ready to publish."""

    version: str
    seed_hash: str
    max_correction_id: int
    corrections: int
    trigger: str
    seconds: float
    data: bytes  # the saved model file, as written to LOCAL_MODEL_PATH


def publish_model(engine: Engine, model: NewModel) -> int:
    """Store `model` as the newest one and drop the bytes of rows older than the newest KEEP."""
    values = {
        "version": model.version,
        "seed_hash": model.seed_hash,
        "max_correction_id": model.max_correction_id,
        "corrections": model.corrections,
        "trigger": model.trigger,
        "seconds": round(model.seconds, 3),
        "sha256": hashlib.sha256(model.data).hexdigest(),
        "payload": zlib.compress(model.data, 6),
        "created_at": utcnow(),
    }
    with engine.begin() as conn:
        model_id = int(conn.execute(insert(MODELS).values(**values).returning(MODELS.c.id)).scalar_one())
        kept = select(MODELS.c.id).order_by(MODELS.c.id.desc()).limit(KEEP).scalar_subquery()
        conn.execute(
            update(MODELS).where(MODELS.c.payload.is_not(None), MODELS.c.id.not_in(kept)).values(payload=None)
        )
    return model_id


def latest_model(engine: Engine, seed_hash: str) -> StoredModel | None:
    """The newest model built from these seeds (a model from other seeds is never installed)."""
    query = (
        select(*_INFO)
        .where(MODELS.c.seed_hash == seed_hash, MODELS.c.payload.is_not(None))
        .order_by(MODELS.c.id.desc())
        .limit(1)
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    return StoredModel(**row._mapping) if row is not None else None


def models_count(engine: Engine) -> int:
    """How many models were ever published (from any seeds)."""
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(MODELS)).scalar_one())


def model_bytes(engine: Engine, model_id: int) -> bytes:
    """The saved model file of row `model_id`; ValueError if it is gone or does not match its hash."""
    with engine.connect() as conn:
        row = conn.execute(select(MODELS.c.payload, MODELS.c.sha256).where(MODELS.c.id == model_id)).first()
    if row is None or row.payload is None:
        raise ValueError(f"local model {model_id} has no stored bytes")
    data = zlib.decompress(row.payload)
    if hashlib.sha256(data).hexdigest() != row.sha256:
        raise ValueError(f"local model {model_id} is damaged (hash mismatch)")
    return data
