"""Hacker News listener against the fake Algolia search_by_date: keyset paging, resume, OR queries."""

from __future__ import annotations

from bot.intake.sources import SourceConfig, SourceHttp, poll_source
from bot.intake.sources.hackernews import algolia_query
from tests.fakes.source_records import BASE_EPOCH, hn_hit
from tests.fakes.sources_server import FakeSources
from tests.sources.conftest import source


def _config(fake: FakeSources, query: str = "lumo", **extra: object) -> SourceConfig:
    return source(type="hackernews", query=query, base_url=fake.url("hn"), **extra)


def test_stories_and_comments_become_items(fake: FakeSources, http: SourceHttp) -> None:
    fake.hn = [
        hn_hit(
            1,
            title="Show HN: Lumo",
            story_text="<p>We built <i>Lumo</i>.</p><p>Try it</p>",
            url="https://lumo.example",
        ),
        hn_hit(2, comment='Lumo&#x27;s sync <a href="x">broke</a> &lt;!channel&gt;', at=5, author="pg"),
    ]
    story, comment = poll_source(_config(fake), None, http).items
    assert story.source_id == "hn:1" and story.url == "https://news.ycombinator.com/item?id=1"
    assert story.text == "Show HN: Lumo\n\nWe built Lumo.\n\nTry it"
    assert story.link == "https://lumo.example"
    assert comment.text == "Lumo's sync broke <!channel>"  # entities decoded; escaping is the renderer's job
    assert comment.author == "pg" and comment.created_at.timestamp() == BASE_EPOCH + 5
    [call] = fake.calls("hn")
    assert call.path == "/hn/api/v1/search_by_date"
    assert call.params["tags"] == "(story,comment)" and "numericFilters" not in call.params


def test_keyset_paging_and_resume_ask_only_for_new(fake: FakeSources, http: SourceHttp) -> None:
    fake.hn = [hn_hit(i, title=f"lumo {i}", at=i * 10) for i in range(250)]
    start = {"newest": BASE_EPOCH - 10_000, "seen": {}}
    first = poll_source(_config(fake), start, http)
    assert len(first.items) == 250
    filters = [c.params["numericFilters"] for c in fake.calls("hn")]
    assert filters[1].endswith(f"created_at_i<={BASE_EPOCH + 1500}")  # the oldest time on page one
    fake.hn.append(hn_hit(999, title="lumo again", at=5000))
    second = poll_source(_config(fake), first.cursor, http)
    assert [i.source_id for i in second.items] == ["hn:999"]
    last = fake.calls("hn")[-1]
    assert last.params["numericFilters"] == f"created_at_i>={BASE_EPOCH + 2490 - 900}"


def test_late_indexed_post_inside_overlap_is_still_found(fake: FakeSources, http: SourceHttp) -> None:
    fake.hn = [hn_hit(1, title="lumo one", at=1000)]
    first = poll_source(_config(fake), None, http)
    fake.hn.append(hn_hit(2, title="lumo two", at=700))  # older than the newest seen, indexed late
    second = poll_source(_config(fake), first.cursor, http)
    assert [i.source_id for i in second.items] == ["hn:2"]
    assert poll_source(_config(fake), second.cursor, http).items == []


def test_deleted_between_pages(fake: FakeSources, http: SourceHttp) -> None:
    fake.hn = [hn_hit(i, title=f"lumo {i}", at=i * 10) for i in range(150)]
    fake.after("hn", 1, lambda: fake.hn.pop(140))  # a post on page one disappears
    result = poll_source(_config(fake), {"newest": BASE_EPOCH - 10_000, "seen": {}}, http)
    assert len(result.items) == 150 and result.error is None


def test_or_query_is_sent_as_optional_words_and_filtered_locally(fake: FakeSources, http: SourceHttp) -> None:
    fake.hn = [hn_hit(1, title="lumo rocks"), hn_hit(2, title="lumen job"), hn_hit(3, title="lumo job ad")]
    result = poll_source(_config(fake, query="(lumo OR lumen) -job"), None, http)
    assert [i.source_id for i in result.items] == ["hn:1"]
    assert result.fetched == 3 and sorted(result.skipped) == ["hn:2", "hn:3"]
    assert algolia_query('lumo "lumo app" -job') == {
        "query": 'lumo "lumo app" -job',
        "advancedSyntax": "true",
    }
    assert algolia_query('lumo OR "lumo app"') == {
        "query": 'lumo "lumo app"',
        "optionalWords": 'lumo,"lumo app"',
    }


def test_malformed_and_failures(fake: FakeSources, http: SourceHttp) -> None:
    fake.queue("hn", body={"message": "no hits here"})
    assert "no hits list" in (poll_source(_config(fake), None, http).error or "")
    fake.queue("hn", body={"hits": [{"objectID": "1"}]})
    assert "lacks created_at_i" in (poll_source(_config(fake), None, http).error or "")
    fake.queue("hn", status=400, body={"message": "invalid numericFilters", "status": 400})
    error = poll_source(_config(fake), None, http).error or ""
    assert "HTTP 400" in error and "invalid numericFilters" in error
