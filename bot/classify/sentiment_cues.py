"""Sentiment structure the word lexicon cannot see: star ratings, emoticons, questions, requests.

"1/5", "two stars" and "★★★★★" say the verdict outright; ":)" and ":(" are polarity written in
punctuation, which the word tokenizer drops; a question or a request ("how do I…", "pouvez-vous…")
is usually neutral even when it names a problem. Each becomes a `zz…` token of the cue block,
and the sentiment head learns its weight from the seeds.
"""

from __future__ import annotations

import re

_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "une": 1, "un": 1, "deux": 2, "trois": 3,
    "quatre": 4, "cinq": 5, "ein": 1, "einen": 1, "zwei": 2, "drei": 3, "vier": 4, "fünf": 5,
    "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "en": 1, "to": 2, "tre": 3, "fire": 4,
    "fem": 5, "jedna": 1, "jedną": 1, "dwie": 2, "trzy": 3, "cztery": 4, "pięć": 5, "одна": 1,
    "одну": 1, "две": 2, "три": 3, "четыре": 4, "пять": 5,
}  # fmt: skip
_STAR_WORDS = r"(?:stars?|étoiles?|sterne?n?|estrellas?|stjerner?|gwiazd\w*|звезд\w*)"
_STARS = re.compile(r"(?<!\w)(\d|" + "|".join(_NUMBER_WORDS) + r")\s*" + _STAR_WORDS + r"(?!\w)")
_OUT_OF = re.compile(r"(?<![\w/.])(\d{1,2}(?:[.,]5)?)\s*(?:/|out of|sur|von|z|из|av|de)\s*(5|10)(?![\w/])")
_GLYPHS = re.compile(r"[⭐★]")
POSITIVE_EMOTICONS = (":)", ":-)", ":d", "=)", ";)", ";-)", "<3", "^^", ":p", "xd")
NEGATIVE_EMOTICONS = (":(", ":-(", ":'(", ">:(", ":@", "-_-", "d:")
_EMOTICON = re.compile(
    r"(?<![\w:/])("
    + "|".join(re.escape(e) for e in sorted(POSITIVE_EMOTICONS + NEGATIVE_EMOTICONS, key=len, reverse=True))
    + r")(?![\w/])"
)
REQUESTS = (
    "please", "pls", "could you", "can you", "can i", "how do", "how can", "is there", "is it possible",
    "pouvez-vous", "pourriez", "est-ce que", "comment", "svp", "s'il vous", "bitte", "können sie",
    "könnt ihr", "wie kann", "gibt es", "proszę", "czy", "jak ", "можно", "как ", "пожалуйста",
    "подскажите", "kan dere", "kan jeg", "hvordan", "por favor", "cómo", "puedo", "podrían", "hay ",
)  # fmt: skip
_REQUEST = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(r) for r in REQUESTS) + ")")


def rating(text: str) -> float | None:
    """The share of the scale a written rating gives (1/5 → 0.2, "five stars" → 1.0), if any."""
    if match := _OUT_OF.search(text):
        value, scale = float(match.group(1).replace(",", ".")), float(match.group(2))
        return min(value / scale, 1.0) if value <= scale else None
    if match := _STARS.search(text):
        word = match.group(1)
        return min((int(word) if word.isdigit() else _NUMBER_WORDS[word]) / 5.0, 1.0)
    glyphs = len(_GLYPHS.findall(text))
    return min(glyphs / 5.0, 1.0) if glyphs else None


def structure_tokens(text: str) -> list[str]:
    """`zz…` marks for lower-cased `text`: rating polarity, emoticons, a question, a request."""
    tokens: list[str] = []
    share = rating(text)
    if share is not None:
        tokens.append("zzratepos" if share >= 0.7 else "zzrateneg" if share <= 0.4 else "zzratemid")
    for match in _EMOTICON.finditer(text):
        tokens.append("zzsmile" if match.group(1) in POSITIVE_EMOTICONS else "zzfrown")
    if "?" in text:
        tokens.append("zzquestion")
    if _REQUEST.search(text):
        tokens.append("zzrequest")
    return tokens
