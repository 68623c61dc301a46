"""Listener items through the whole app: store → classify → route → outbox → FakeSlack, over real HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from bot.app.reload import derive_config
from bot.app.runtime import Runtime, start_source_poller
from bot.domain.rules import RoutingRules, load_rules
from bot.intake.sources import SourceHttp
from bot.intake.sources.runner import SourcePoller
from tests.conftest import RULES_YAML
from tests.fakes.source_records import hn_hit, reddit_post
from tests.fakes.sources_server import FakeSources
from tests.harness import Pipeline, pipeline, wait_for

SHARED = "https://blog.example/lumo-teams"


def rules_with_sources(tmp_path: Path, fake: FakeSources, *names: str) -> RoutingRules:
    # names unlike their types, so a card showing "type · name" is told apart from one showing the type
    reddit, hn = fake.url("reddit"), fake.url("hn")
    entries = {
        "reddit": f'  - {{name: reddit-brand, type: reddit, query: lumo, base_url: "{reddit}"}}',
        "hn": f'  - {{name: hn_lumo, type: hackernews, query: lumo, every: 10m, base_url: "{hn}"}}',
    }
    path = tmp_path / "with_sources.yaml"
    path.write_text(RULES_YAML + "sources:\n" + "\n".join(entries[n] for n in names) + "\n", encoding="utf-8")
    return load_rules(path)


def link_post(pid: str, title: str, url: str) -> dict[str, Any]:
    return {**reddit_post(pid, title, at=5), "is_self": False, "url": url, "url_overridden_by_dest": url}


def poll(p: Pipeline) -> list[int]:
    listener = SourcePoller(p.services.engine, SourceHttp(pacing=False), lambda: p.services.rules.sources)
    try:
        return [o.new for o in listener.run_once()]
    finally:
        listener.close()


def test_the_same_link_on_reddit_and_hn_is_one_card_and_a_thread_reply(
    engine: Engine, tmp_path: Path, fake: FakeSources
) -> None:
    fake.reddit = [link_post("a1", "Please send me a quote for Lumo for 40 seats", SHARED)]
    fake.hn = [
        hn_hit(7, title="We need a quote for lumo, any experience?", at=9, url=SHARED + "/?utm_source=hn")
    ]
    rules = rules_with_sources(tmp_path, fake, "reddit", "hn")
    with pipeline(engine, rules) as p:
        assert sorted(poll(p)) == [1, 1]
        p.drain()
        cards = p.cards("C0SALES")
        assert [bool(c.thread_ts) for c in cards] == [False, True]
        assert poll(p) == []  # not due again: nothing re-posted
        first, second = p.mentions()  # the two sources are polled side by side: either may be first
        assert {first.source_id, second.source_id} == {"reddit:t3_a1", "hn:7"}
        assert cards[0].mention_id == first.id and second.duplicate_of == first.id
        assert second.url in cards[1].raw
        # each mention keeps the `sources:` name it was polled for; the card and the reply show it
        labels = {"reddit-brand": "reddit · reddit-brand", "hn_lumo": "hackernews · hn_lumo"}
        assert {first.source_name, second.source_name} == set(labels)
        assert labels[first.source_name or ""] in cards[0].raw
        assert f"Seen again from @{second.author} on {labels[second.source_name or '']}" in cards[1].raw


def test_a_hostile_post_ends_as_an_inert_card(engine: Engine, tmp_path: Path, fake: FakeSources) -> None:
    fake.reddit = [reddit_post("h1", "<!channel> <@U0BOSS> lumo refund now", body="R&D <script>x</script>")]
    rules = rules_with_sources(tmp_path, fake, "reddit")
    with pipeline(engine, rules) as p:
        assert poll(p) == [1]
        p.drain()
        (card,) = [c for c in p.cards() if c.mention_id]
        assert "<!channel>" not in card.raw and "<@U0BOSS>" not in card.raw and "<script>" not in card.raw
        assert "&lt;!channel&gt; &lt;@U0BOSS&gt; lumo refund now" in card.section_texts[0]
        assert "&amp;amp;" not in card.raw


def test_the_worker_thread_polls_and_follows_a_reload(
    engine: Engine, tmp_path: Path, fake: FakeSources
) -> None:
    fake.reddit = [reddit_post("r1", "lumo crashes on start", at=1)]
    fake.hn = [hn_hit(3, title="lumo crashes on my phone too", at=2)]
    with pipeline(engine, rules_with_sources(tmp_path, fake, "reddit")) as p:
        runtime = Runtime()
        start_source_poller(p.services, runtime, tick=0.05)
        try:
            wait_for(lambda: [m.source_id for m in p.mentions()] == ["reddit:t3_r1"])
            p.services.config.swap(
                derive_config(p.services, rules_with_sources(tmp_path, fake, "reddit", "hn"))
            )
            wait_for(lambda: [m.source_id for m in p.mentions()] == ["reddit:t3_r1", "hn:3"])
        finally:
            runtime.shutdown()
        p.drain()
        assert p.services.work_ready.is_set() or p.pending_mentions() == 0
        assert len([c for c in p.cards() if not c.thread_ts]) >= 1
