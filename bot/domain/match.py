"""The `match:` query language: parse a filter once, then test each fetched post against it.

Syntax (case-insensitive, whole words with Unicode-aware boundaries):

    lumo                  the word "lumo" (not "lumos"; "#lumo" and "Lumo's" match)
    lumo app              both words, anywhere (AND is implicit)
    "lumo app"            the phrase: these words next to each other (any whitespace between)
    -job  -"job offer"    exclude posts containing the word / the phrase
    -(job OR hiring)      exclude a group
    lumo OR lumen         either side; OR binds looser than AND: `a b OR c` is `(a b) OR c`
    (lumo OR lumen) app   parentheses group
    lang:de  -lang:en     the post's language (primary subtag: lang:en matches en-GB); unknown never matches

`OR` is an operator only in capitals; a lowercase "or" is an ordinary word. A group made only of
exclusions is refused: it would let through nearly everything, which is never what a filter means.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

Predicate = Callable[[str, str | None], bool]  # (casefolded text, language) -> matches?

_TOKEN = re.compile(
    r'(?P<paren>[()])|(?P<neg>-)?(?:"(?P<phrase>[^"]*)(?P<close>"?)|(?P<word>[^\s()"-][^\s()"]*))'
)
_LANG = re.compile(r"^[a-z]{2,3}$")


class MatchSyntaxError(ValueError):
    """A malformed query; the message says what is wrong and where (1-based character position)."""


@dataclass(frozen=True)
class _Token:
    kind: str  # "(", ")", "OR", "term"
    position: int
    negated: bool = False
    text: str = ""
    phrase: bool = False


@dataclass(frozen=True)
class Matcher:
    """A parsed query. `matches(text, lang)` is pure and cheap: the regexes are compiled once."""

    query: str
    _predicate: Predicate

    def matches(self, text: str, lang: str | None = None) -> bool:
        return self._predicate(text.casefold(), (lang or "").casefold().split("-")[0] or None)


def parse_match(query: str) -> Matcher:
    """Parse `query`; raise MatchSyntaxError with a clear message when it is malformed."""
    tokens = _tokenize(query)
    if not tokens:
        raise MatchSyntaxError("the query is empty")
    parser = _Parser(tokens)
    predicate = parser.parse_or()
    if parser.index < len(tokens):
        token = tokens[parser.index]
        raise MatchSyntaxError(f"unexpected ')' at position {token.position}")
    return Matcher(query, predicate)


def _tokenize(query: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while True:
        while position < len(query) and query[position].isspace():
            position += 1
        if position == len(query):
            return tokens
        if query.startswith("-(", position):  # an excluded group
            tokens.append(_Token("(", position + 1, negated=True))
            position += 2
            continue
        found = _TOKEN.match(query, position)
        if found is None:  # only a '-' not followed by a word or a phrase gets here
            raise MatchSyntaxError(f"'-' must be followed by a word or a phrase (position {position + 1})")
        tokens.append(_token_of(found, position + 1))
        position = found.end()


def _token_of(found: re.Match[str], position: int) -> _Token:
    negated = found.group("neg") is not None
    if found.group("paren"):
        return _Token(found.group("paren"), position)
    if found.group("phrase") is not None:
        if not found.group("close"):
            raise MatchSyntaxError(f"unclosed quote at position {position + negated}")
        words = found.group("phrase").split()
        if not words:
            raise MatchSyntaxError(f"empty phrase at position {position + negated}")
        return _Token("term", position, negated, " ".join(words), phrase=True)
    word = found.group("word")
    if word == "OR" and not negated:
        return _Token("OR", position)
    return _Token("term", position, negated, word)


class _Parser:
    """Recursive descent over the tokens: or := and ('OR' and)*; and := unary+; unary := '-'? atom."""

    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.index = 0

    def _peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def parse_or(self) -> Predicate:
        alternatives = [self._parse_and()]
        while (token := self._peek()) is not None and token.kind == "OR":
            self.index += 1
            if self._peek() is None or self._peek().kind in ("OR", ")"):  # type: ignore[union-attr]
                raise MatchSyntaxError(f"'OR' at position {token.position} needs a term on its right")
            alternatives.append(self._parse_and())
        if len(alternatives) == 1:
            return alternatives[0]
        return lambda text, lang: any(p(text, lang) for p in alternatives)

    def _parse_and(self) -> Predicate:
        required: list[Predicate] = []
        excluded: list[Predicate] = []
        start = self._peek()
        while (token := self._peek()) is not None and token.kind not in ("OR", ")"):
            negated, predicate = self._parse_unary(token)
            (excluded if negated else required).append(predicate)
        if start is None or start.kind in ("OR", ")"):
            where = f"position {start.position}" if start else "the end"
            what = "'OR' needs a term on its left" if start and start.kind == "OR" else "a term is missing"
            raise MatchSyntaxError(f"{what} (at {where})")
        if not required:
            raise MatchSyntaxError(
                f"the group at position {start.position} only excludes; add a word or phrase to look for"
            )
        return lambda text, lang: (
            all(p(text, lang) for p in required) and not any(p(text, lang) for p in excluded)
        )

    def _parse_unary(self, token: _Token) -> tuple[bool, Predicate]:
        self.index += 1
        if token.kind == "(":
            if (inner := self._peek()) is not None and inner.kind == ")":
                raise MatchSyntaxError(f"empty parentheses at position {token.position}")
            predicate = self.parse_or()
            closing = self._peek()
            if closing is None or closing.kind != ")":
                raise MatchSyntaxError(f"'(' at position {token.position} is never closed")
            self.index += 1
            return token.negated, predicate
        return token.negated, _term(token)


def _term(token: _Token) -> Predicate:
    if not token.phrase and token.text.casefold().startswith("lang:"):
        code = token.text[5:].casefold()
        if not _LANG.match(code):
            raise MatchSyntaxError(
                f"lang: needs a 2- or 3-letter language code like lang:en (position {token.position})"
            )
        return lambda _text, lang: lang == code
    pattern = _term_pattern(token.text.casefold())
    return lambda text, _lang: pattern.search(text) is not None


def _term_pattern(term: str) -> re.Pattern[str]:
    """Whole-word match: a boundary is required only where the term itself starts/ends with a word char."""
    body = r"\s+".join(re.escape(part) for part in term.split())
    before = r"(?<!\w)" if re.match(r"\w", term) else ""
    after = r"(?!\w)" if re.search(r"\w$", term) else ""
    return re.compile(before + body + after)


def positive_terms(query: str) -> list[str]:
    """The words and phrases a query looks for (not its exclusions or lang:), for services without OR."""
    terms = [
        f'"{t.text}"' if t.phrase else t.text
        for t in _tokenize(query)
        if t.kind == "term" and not t.negated and not t.text.casefold().startswith("lang:")
    ]
    return list(dict.fromkeys(terms))
