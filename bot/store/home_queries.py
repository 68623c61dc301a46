"""What the App Home asks the database beyond the rollups: the size of the triage queue."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Engine


def triage_queue_size(engine: Engine, triage_channel: str) -> int:
    """Mentions whose card went to `triage_channel` and that nobody has handled yet."""
    with engine.connect() as conn:
        count = conn.execute(
            text(
                "SELECT COUNT(DISTINCT d.mention_id) FROM delivery d JOIN mention m ON m.id = d.mention_id "
                "WHERE d.channel = :channel AND d.kind = 'card' AND m.state = 'new'"
            ),
            {"channel": triage_channel},
        ).scalar_one()
    return int(count)
