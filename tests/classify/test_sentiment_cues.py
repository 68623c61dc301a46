"""Sentiment cues: negation scope, contrast, ratings, emoticons, questions (hand-written, not seeds)."""

from __future__ import annotations

import pytest

from bot.classify.cues import after_contrast, clause_tail, cue_marks, cue_tokens, negated
from bot.classify.sentiment_cues import complaint_tokens, rating, structure_tokens


@pytest.mark.parametrize(
    ("text", "marks"),
    [
        ("great app", ["zzpos"]),
        ("not great", ["zzneg"]),
        ("isn't really that great", ["zzneg"]),  # three words reach back to the negator
        ("ce n'est pas génial", ["zzneg"]),
        ("das ist nicht gut", ["zzneg"]),
        ("not bad at all", ["zznotneg"]),  # a negated complaint is milder than praise
        ("pas de problème", ["zznotneg"]),
        ("no, it is great", ["zzpos"]),  # a comma ends the negator's clause
        ("never thought it would be this good", ["zzpos"]),  # too far back: four words
    ],
)
def test_negation_flips_cues_within_its_scope(text: str, marks: list[str]) -> None:
    assert cue_marks(text) == marks


def test_negation_window_stops_at_clause_breaks_and_contrasts() -> None:
    assert negated("it is not ")
    assert not negated("not sure. it is ")
    assert not negated("not cheap but it is ")
    assert clause_tail("fine, but really ") == " really "


def test_the_clause_after_but_counts_twice() -> None:
    assert after_contrast("great idea but it crashes") == " it crashes"
    assert after_contrast("great idea") == ""
    tokens = cue_tokens("Great idea but the app crashes all the time")
    assert "zzlateneg" in tokens and tokens[-1] == "zzmoreneg"  # one pos, one neg: the verdict is late
    assert cue_tokens("Quelques bugs mais je l'adore")[-1] == "zzmorepos"


@pytest.mark.parametrize(
    ("text", "share"),
    [
        ("1/5 do not buy", 0.2),
        ("solid 9/10", 0.9),
        ("five stars from me", 1.0),
        ("2 étoiles seulement", 0.4),
        ("★★★★★", 1.0),
        ("see https://example.com/a/5/10", None),  # numbers inside a link are not a rating
        ("I have 3 kids", None),
    ],
)
def test_written_ratings(text: str, share: float | None) -> None:
    assert rating(text) == (pytest.approx(share) if share is not None else None)


def test_structure_marks_emoticons_questions_and_requests() -> None:
    assert structure_tokens("works now :)") == ["zzsmile"]
    assert structure_tokens("https://t.co/abc") == []  # "://" is not a face
    assert structure_tokens("it broke :(") == ["zzfrown"]
    assert structure_tokens("how do i export my data?") == ["zzquestion", "zzrequest"]
    assert cue_tokens("1/5, never again")[-1] == "zzmoreneg"
    assert cue_tokens("How do I reset it?")[-1] == "zznone"  # no polarity said: nothing to lean on


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("3 weeks and still no refund", ["zzstillno", "zzwaited"]),
        ("day 5 of waiting for a reply", ["zzwaited"]),
        ("on hold for 40 minutes", ["zzwaited"]),
        ("ça fait 10 jours que j'attends, toujours rien", ["zzstillno", "zzwaited"]),
        ("три недели жду возврат, до сих пор ничего", ["zzstillno", "zzwaited"]),
        ("third time i'm writing about this", ["zzagain"]),
        ("c'est la troisième fois que je vous écris", ["zzagain"]),
        ("i was told it would be fixed by friday", ["zzpromised"]),
        ("on m'avait promis un rappel", ["zzpromised"]),
        ("cancelling my subscription today", ["zzleaving"]),
        ("je passe chez la concurrence", ["zzleaving"]),
        ("great, another update that breaks login", ["zzsarcasm"]),
        ("génial, encore une mise à jour qui plante", ["zzsarcasm"]),
    ],
)
def test_complaints_without_a_negative_word(text: str, tokens: list[str]) -> None:
    assert complaint_tokens(text) == tokens


@pytest.mark.parametrize(
    "text",
    [
        "delivered in 3 days, well packed",  # a duration alone is not a wait
        "how do i cancel my subscription before the trial ends?",  # asking is not leaving
        "great app, love it",  # praise with no "another"/"again" after it
        "third order from them, always quick",
        "is it still possible to change my address?",
    ],
)
def test_ordinary_texts_carry_no_complaint_mark(text: str) -> None:
    assert complaint_tokens(text) == []


def test_complaint_marks_reach_the_cue_block() -> None:
    assert "zzwaited" in structure_tokens("2 weeks and still nothing")
    assert "zzleaving" in cue_tokens("Switching to another bank next month")
