"""Realistic noise for calibration: what real posts do to text that the clean seeds never show.

Calibrating on clean held-out seeds still flatters the model; real mentions have typos, dropped
words, SHOUTING or no capitals at all, emoji, links, @handles and truncation. Each copy gets one
or two of these, drawn from a seeded generator so training stays deterministic.
"""

from __future__ import annotations

import random
from collections.abc import Callable

# Emoji of no polarity: real posts add emoji that agree with what they say, so a random "😡" on
# praise would teach the sentiment head (and its negative floor) a contradiction no one writes.
_EMOJI = ("🤔", "😂", "👀", "📱", "🤷", "😅", "💬", "📦", "✈️", "☕")
_URLS = ("https://t.co/x7Qa9", "http://bit.ly/3kd8", "https://example.com/p/123")
_HANDLES = ("@user", "@support", "@brand_help", "@jo_smith")
_KEYBOARD = "qwertyuiopasdfghjklzxcvbnm"


def _typos(text: str, rng: random.Random) -> str:
    chars = list(text)
    for _ in range(max(1, len(chars) // 25)):
        i = rng.randrange(len(chars))
        action = rng.randrange(3)
        if action == 0 and chars[i].isalpha():
            chars[i] = rng.choice(_KEYBOARD)
        elif action == 1:
            del chars[i]
            if not chars:
                return text
        else:
            chars.insert(i, chars[i])
    return "".join(chars)


def _drop_words(text: str, rng: random.Random) -> str:
    words = text.split()
    kept = [w for w in words if rng.random() > 0.2]
    return " ".join(kept or words[:1])


def _casing(text: str, rng: random.Random) -> str:
    return text.upper() if rng.random() < 0.4 else text.lower()


def _emoji(text: str, rng: random.Random) -> str:
    return f"{text} {rng.choice(_EMOJI) * rng.randint(1, 3)}"


def _url(text: str, rng: random.Random) -> str:
    return f"{text} {rng.choice(_URLS)}"


def _handle(text: str, rng: random.Random) -> str:
    return f"{rng.choice(_HANDLES)} {text}"


def _truncate(text: str, rng: random.Random) -> str:
    words = text.split()
    if len(words) < 4:
        return text
    return " ".join(words[: rng.randint(max(2, len(words) // 2), len(words) - 1)])


NOISES: tuple[Callable[[str, random.Random], str], ...] = (
    _typos,
    _drop_words,
    _casing,
    _emoji,
    _url,
    _handle,
    _truncate,
)


def noisy_copy(text: str, rng: random.Random) -> str:
    """The text with one or two realistic kinds of noise applied."""
    for noise in rng.sample(NOISES, rng.randint(1, 2)):
        text = noise(text, rng)
    return text


def noisy_copies(texts: list[str], seed: int = 0) -> list[str]:
    """One noisy copy per text, reproducible for a given `seed`."""
    rng = random.Random(seed)
    return [noisy_copy(text, rng) for text in texts]
