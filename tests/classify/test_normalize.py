"""Degenerate input gets low confidence by construction; Unicode look-alikes are folded."""

from __future__ import annotations

import pytest

from bot.classify.local import LocalClassifier
from bot.classify.normalize import content_words, fold_confusables, is_degenerate
from tests.harness import trained_model_path


@pytest.fixture(scope="module")
def model() -> LocalClassifier:
    return LocalClassifier.load(trained_model_path())


def test_mixed_script_tokens_are_folded_to_latin() -> None:
    # "frее" and "сlick" hide Cyrillic е and с among Latin letters
    assert fold_confusables("frее gift, сlick hеre") == "free gift, click here"
    assert fold_confusables("ｆｕｌｌ ｗｉｄｔｈ") == "full width"  # NFKC


def test_real_russian_and_greek_words_are_left_alone() -> None:
    text = "Приложение не работает, ошибка входа. Ευχαριστώ"
    assert fold_confusables(text) == text


@pytest.mark.parametrize(
    ("text", "words"),
    [("", 0), ("😀😀😀", 0), ("https://t.co/abc123", 0), ("?!", 0), ("123 456", 0),
     ("@user #sale 🙏", 0), ("refund", 1), ("where is my parcel", 4), ("我的订单在哪里", 3)],
)  # fmt: skip
def test_content_words_ignore_links_handles_emoji_and_digits(text: str, words: int) -> None:
    assert content_words(text) == words


@pytest.mark.parametrize(
    "text",
    ["", "   ", "😀😀😀", "👍", "https://t.co/x7Qa9Kd", "www.example.com/p/1", "?", "...", "123",
     "!!!???", "@user", "@user http://t.co/x 🙏", "refund", "hello there", "#fail #fail"],
)  # fmt: skip
def test_degenerate_input_is_never_answered_with_confidence(model: LocalClassifier, text: str) -> None:
    assert is_degenerate(text)
    result = model.classify(text)
    assert result.confidence < 0.6, result.reason  # the product's default min_confidence
    assert result.sentiment_confidence < 0.6


def test_look_alike_letters_do_not_change_the_answer(model: LocalClassifier) -> None:
    plain = "The app crashes every time I open the settings after the update"
    spoofed = plain.replace("a", "а").replace("e", "е").replace("o", "о")  # Cyrillic а, е, о
    assert spoofed != plain
    clean, folded = model.classify(plain), model.classify(spoofed)
    assert (folded.department, folded.confidence) == (clean.department, clean.confidence)


@pytest.mark.parametrize(
    ("text", "department"),
    [
        ("kogda vernete dengi za otmenennyy zakaz? zhdu uzhe mesyats", "support"),
        ("skolko stoit licenziya dlya komandy iz 20 chelovek?", "sales"),
        ("posle obnovleniya prilozhenie zavisaet i vyletaet", "product"),
    ],
)
def test_transliterated_russian_is_understood(model: LocalClassifier, text: str, department: str) -> None:
    assert model.classify(text).department == department
