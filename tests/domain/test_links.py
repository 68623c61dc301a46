"""Outside links as dedupe keys: one page, one normal form; no link, no key."""

from __future__ import annotations

import pytest

from bot.domain.links import link_hash, normalise_link


@pytest.mark.parametrize(
    "url",
    [
        "https://blog.example/lumo-teams",
        "http://www.Blog.Example/lumo-teams/",
        "https://blog.example:443/lumo-teams?utm_source=hn&utm_medium=social#comments",
        "https://blog.example/lumo-teams?fbclid=abc",
    ],
)
def test_copies_of_one_link_share_a_key(url: str) -> None:
    assert link_hash(url) == link_hash("https://blog.example/lumo-teams")


def test_different_pages_and_meaningful_queries_differ() -> None:
    assert link_hash("https://blog.example/a") != link_hash("https://blog.example/b")
    assert normalise_link("https://x.example/p?id=2&b=1") == "https://x.example/p?b=1&id=2"
    assert link_hash("https://x.example/p?id=1") != link_hash("https://x.example/p?id=2")


@pytest.mark.parametrize("url", ["", "not a url", "mailto:a@b.example", "file:///etc/passwd", "https://"])
def test_no_web_link_no_key(url: str) -> None:
    assert link_hash(url) == ""
