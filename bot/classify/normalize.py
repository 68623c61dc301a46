"""Text hygiene before the local model: Unicode look-alike folding and the degenerate-input test.

Spammers and bored users write "frее" with a Cyrillic "е"; NFKC folds full-width and stylised
letters, and a small confusables table maps Cyrillic/Greek look-alikes to Latin — but only inside
tokens that mix scripts, so genuine Russian (all-Cyrillic words) is left alone.
"""

from __future__ import annotations

import re
import unicodedata

# Cyrillic and Greek letters that render like Latin ones (a subset of Unicode's confusables.txt).
_CONFUSABLES = str.maketrans(
    {
        "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
        "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "ԛ": "q",
        "ԝ": "w", "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P",
        "С": "C", "Т": "T", "У": "Y", "Х": "X", "І": "I", "Ј": "J", "Ѕ": "S",
        "α": "a", "ο": "o", "ρ": "p", "ν": "v", "τ": "t", "ι": "i", "κ": "k", "υ": "u", "χ": "x",
        "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N",
        "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
    }
)  # fmt: skip
_WORD = re.compile(r"\w+")
_LATIN = re.compile(r"[a-zA-Z\u00c0-\u024f]")
_OTHER = re.compile(r"[\u0370-\u03ff\u0400-\u04ff\u0500-\u052f]")  # Greek, Cyrillic
_URL = re.compile(r"https?://\S+|www\.\S+|\b[\w-]+\.(?:com|net|org|info|ly|io|co|me)\b/?\S*")
_HANDLE = re.compile(r"[@#]\w+")
_LETTERS = re.compile(r"[^\W\d_]{2,}")
_NO_SPACE_SCRIPT = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\u0e00-\u0e7f]")
MIN_WORDS = 3  # fewer real words than this and the text says too little to route with confidence


def fold_confusables(text: str) -> str:
    """NFKC, then Latin letters for Cyrillic/Greek look-alikes inside mixed-script tokens."""
    text = unicodedata.normalize("NFKC", text)
    if not _OTHER.search(text):
        return text
    return _WORD.sub(_fold_token, text)


def _fold_token(match: re.Match[str]) -> str:
    token = match.group(0)
    if _LATIN.search(token) and _OTHER.search(token):
        return token.translate(_CONFUSABLES)
    return token


def content_words(text: str) -> int:
    """Words of two or more letters left once links, @handles, #tags, emoji, digits are gone.

    Scripts written without spaces (CJK, Thai) count one word per two characters.
    """
    cleaned = _HANDLE.sub(" ", _URL.sub(" ", text))
    words = _LETTERS.findall(cleaned)
    count = 0
    for word in words:
        count += max(1, len(_NO_SPACE_SCRIPT.findall(word)) // 2) if _NO_SPACE_SCRIPT.search(word) else 1
    return count


def is_degenerate(text: str) -> bool:
    """Empty, emoji/URL/punctuation/number-only, or one or two words: not enough to be sure of."""
    return content_words(text) < MIN_WORDS
