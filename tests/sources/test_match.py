"""The match language: words, phrases, exclusions, OR, groups, lang:, Unicode boundaries, bad queries."""

from __future__ import annotations

import pytest

from bot.domain.match import MatchSyntaxError, parse_match, positive_terms

CASES = [
    # (query, text, lang, expected)
    ("lumo", "I love Lumo!", None, True),
    ("lumo", "LUMO rocks", None, True),
    ("lumo", "lumos maxima", None, False),
    ("lumo", "#lumo is trending", None, True),
    ("lumo", "Lumo's new update", None, True),
    ("lumo", "prelumo", None, False),
    ("lumo", "lumo_app", None, False),  # _ is a word character
    ("lumo app", "the app called lumo", None, True),
    ("lumo app", "lumo only", None, False),
    ('"lumo app"', "get the Lumo   App today", None, True),
    ('"lumo app"', "app lumo", None, False),
    ('"lumo app"', "lumo apps", None, False),
    ("lumo -job", "lumo is great", None, True),
    ("lumo -job", "lumo job opening", None, False),
    ("lumo -job", "lumo jobs page", None, True),  # whole words only
    ('lumo -"job offer"', "lumo job board", None, True),
    ('lumo -"job offer"', "lumo job offer inside", None, False),
    ("lumo OR lumen", "lumen is bright", None, True),
    ("lumo OR lumen", "neither", None, False),
    ("lumo app OR lumen", "lumen", None, True),  # AND binds tighter: (lumo app) OR lumen
    ("lumo app OR lumen", "lumo", None, False),
    ("(lumo OR lumen) app", "lumen app", None, True),
    ("(lumo OR lumen) app", "lumen", None, False),
    ("(lumo OR lumen) -job", "lumo job", None, False),
    ("lumo or lumen", "lumo lumen or", None, True),  # lowercase or is a word
    ("lumo or lumen", "lumo lumen", None, False),
    ("lumo lang:de", "lumo ist toll", "de", True),
    ("lumo lang:de", "lumo ist toll", "de-AT", True),
    ("lumo lang:de", "lumo is great", "en", False),
    ("lumo lang:de", "lumo unknown", None, False),
    ("lumo -lang:en", "lumo", "fr", True),
    ("lumo -lang:en", "lumo", "EN-gb", False),
    ("straße", "STRASSE gesperrt", None, True),  # casefold
    ("café", "Café crème", None, True),
    ("ünïcode", "ÜNÏCODE!", None, True),
    ("東京", "東京", None, True),
    ("c++", "I write c++ daily", None, True),
    ("c++", "c+++", None, True),  # no boundary after a non-word character
    ("@lumoapp", "ping @lumoapp please", None, True),
    ("lumo.app", "visit lumo.app now", None, True),
    ("lumo.app", "visit lumoxapp now", None, False),  # the dot is literal, not a regex
    ("e-bike", "my e-bike broke", None, True),
    ("lumo", "<!channel> lumo", None, True),
    ("(((lumo)))", "lumo", None, True),
    ("lumo -(job OR hiring)", "lumo hiring", None, False),
    ("lumo -(job OR hiring)", "lumo hire", None, True),
]


@pytest.mark.parametrize(("query", "text", "lang", "expected"), CASES)
def test_matches(query: str, text: str, lang: str | None, expected: bool) -> None:
    assert parse_match(query).matches(text, lang) is expected


BAD = [
    ("", "the query is empty"),
    ("   ", "the query is empty"),
    ("-", "'-' must be followed by a word or a phrase (position 1)"),
    ("lumo - job", "'-' must be followed by a word or a phrase (position 6)"),
    ("--job lumo", "'-' must be followed by a word or a phrase (position 1)"),
    ("lumo OR", "'OR' at position 6 needs a term on its right"),
    ("OR lumo", "'OR' needs a term on its left (at position 1)"),
    ("lumo OR OR lumen", "'OR' at position 6 needs a term on its right"),
    ("(lumo", "'(' at position 1 is never closed"),
    ("lumo)", "unexpected ')' at position 5"),
    ("()", "empty parentheses at position 1"),
    ('"lumo app', "unclosed quote at position 1"),
    ('lumo -"job', "unclosed quote at position 7"),
    ('""', "empty phrase at position 1"),
    ("-job", "the group at position 1 only excludes"),
    ("lumo OR -job", "the group at position 9 only excludes"),
    ("lang:", "lang: needs a 2- or 3-letter language code"),
    ("lumo lang:english", "lang: needs a 2- or 3-letter language code like lang:en (position 6)"),
    ("lumo lang:e1", "lang: needs a 2- or 3-letter language code"),
]


@pytest.mark.parametrize(("query", "message"), BAD)
def test_malformed_queries_say_what_and_where(query: str, message: str) -> None:
    with pytest.raises(MatchSyntaxError) as raised:
        parse_match(query)
    assert message in str(raised.value)


def test_lang_alone_is_a_valid_filter() -> None:
    assert parse_match("lang:ja").matches("anything", "ja")


def test_positive_terms_for_services_without_or() -> None:
    assert positive_terms('lumo OR "lumo app" -job lang:en lumo') == ["lumo", '"lumo app"']


def test_parse_once_evaluate_many() -> None:
    matcher = parse_match("lumo -job")
    texts = ["lumo", "lumo job", "nothing"] * 100
    assert sum(matcher.matches(t) for t in texts) == 100
