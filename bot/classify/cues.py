"""Sentiment cue tokens: a small multilingual praise/complaint lexicon the model sees as extra words.

Seeds cannot contain every way to say "love it" in seven languages; marking lexicon hits as
`zzpos`/`zzneg` tokens lets the logistic regression learn one weight per polarity that carries to
words no seed used. A negator just before a cue ("not great", "pas terrible") flips it.
"""

from __future__ import annotations

import re

# fmt: off
POSITIVE = (
    "love", "loving", "great", "excellent", "awesome", "amazing", "perfect", "fantastic", "wonderful",
    "brilliant", "best", "thank", "thanks", "thx", "ty=", "helpful", "happy", "glad", "nice", "good",
    "superb", "recommend", "easy to use", "works great", "works well", "kudos", "shoutout", "impressed",
    "appreciate", "lifesaver", "five stars", "5 stars", "well done", "smooth", "friendly", "enjoy",
    "cool", "fave", "favorite", "favourite", "beautiful", "useful", "solid", "flawless", "delighted",
    "super", "top=", "genial", "génial", "merci", "parfait", "excellent", "formidable", "bravo",
    "magnifique", "adore", "j'adore", "pratique", "efficace", "agréable", "utile", "très bien",
    "danke", "toll", "prima", "klasse", "großartig", "grossartig", "hervorragend", "empfehle", "zufrieden",
    "liebe", "gut=", "spitze", "dziękuj", "dzieki", "dzięki", "świetn", "swietn", "super", "polecam",
    "genialn", "doskonał", "zadowolon", "kocham", "спасибо", "отличн", "супер", "класс", "рекоменд",
    "лучш", "удобн", "доволен", "довольн", "люблю", "прекрасн", "молодц", "spasibo", "otlichn", "klass",
    "takk", "flott", "fantastisk", "anbefal", "fornøyd", "elsker", "bra=", "strålende", "gracias",
    "genial", "excelente", "encanta", "recomiendo", "perfecto", "maravill", "buenísim", "contento",
    "like it", "i like", "like the", "fun=", "congrat", "exciting", "well deserved", "yummy", "solved",
    "resolved", "fixed now", "works fine", "works perfectly", "reliable", "accurate", "motivat",
    "j'aime", "aime bien", "sympa", "nickel", "résolu", "clair", "précis", "bon=", "bonne", "complète",
    "fiable", "content", "gefällt", "gelöst", "zuverlässig", "spaß", "me gusta", "arreglado",
    "podoba", "rozwiązan", "działa idealnie", "нравится", "решили", "идеальн", "liker", "løst",
    "👍", "❤", "😍", "🙏", "🥰", "😊", "👏", "💯", "🔥", "🎉", "😁", "💪",
)
NEGATIVE = (
    "hate", "worst", "terrible", "awful", "horrible", "useless", "broken", "crash", "bug", "scam",
    "disappoint", "annoying", "frustrat", "ridiculous", "unacceptable", "rude", "waste", "refund",
    "never again", "please fix", "fix it", "doesn't work", "does not work", "not working",
    "can't", "cannot", "won't",
    "error", "fail", "slow", "lost", "delayed", "cancelled", "canceled", "stuck",
    "nul=", "nulle", "horrible", "déçu", "décevant", "arnaque", "plante", "impossible",
    "ne marche", "ne fonctionne", "problème", "inutilisable", "scheiß", "schlecht", "enttäusch",
    "katastrophe", "funktioniert nicht", "abzocke", "absturz", "stürzt", "fehler", "beschissen",
    "nie działa", "beznadziej", "tragedi", "tragiczn", "fatalnie", "oszust", "błąd", "zawiesza",
    "ужасн", "отвратит", "не работает", "кошмар", "развод", "глюч", "ошибк", "вылета", "uzhasn",
    "ne rabotaet", "elendig", "dårlig", "fungerer ikke", "svindel", "skuffet", "krasj", "feil",
    "pésim", "pesim", "horrible", "no funciona", "estafa", "decepcion", "fatal", "error",
    "on hold", "still waiting", "still no", "still haven't", "shame on", "used to", "was a good",
    "prefer the old", "took away", "removed", "no longer", "anymore", "sick of", "thanks for nothing",
    "en attente", "honteux", "supprimé", "plus le", "warteschleife", "entfernt", "war mal",
    "en espera", "antes era", "żenada", "kiedyś", "раньше был", "на линии", "убрали", "før oppdatering",
    "😡", "🤬", "😤", "👎", "😠", "💩", "🙄",
)
NEGATORS = (
    "not", "no", "never", "isn't", "wasn't", "don't", "didn't", "pas", "jamais", "nicht", "kein",
    "nie", "не", "ikke", "nunca",
)
# fmt: on


def _pattern(stems: tuple[str, ...]) -> re.Pattern[str]:
    ordered = sorted(set(stems), key=len, reverse=True)
    parts = [re.escape(s[:-1]) + r"(?!\w)" if s.endswith("=") else re.escape(s) for s in ordered]
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + ")")


_POSITIVE = _pattern(POSITIVE)
_NEGATIVE = _pattern(NEGATIVE)
_NEGATED = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(n) for n in NEGATORS) + r")\s+(?:\w+\s+)?$")


def with_cues(text: str) -> str:
    """`text` (already lower-cased) followed by one `zzpos`/`zzneg` token per lexicon hit."""
    marks = cue_marks(text)
    return text + " " + " ".join(marks) if marks else text


def cue_tokens(text: str) -> list[str]:
    """The analyzer of the cue block: polarity hits plus which polarity dominates."""
    marks = cue_marks(text.lower())
    if not marks:
        return ["zznone"]
    positive, negative = marks.count("zzpos"), marks.count("zzneg")
    balance = "zzmorepos" if positive > negative else "zzmoreneg" if negative > positive else "zzmixed"
    return [*marks, balance]


def cue_marks(text: str) -> list[str]:
    """One `zzpos`/`zzneg` per lexicon hit in lower-cased `text` (a negated cue counts reversed)."""
    marks: list[str] = []
    for pattern, (plain, flipped) in ((_POSITIVE, ("zzpos", "zzneg")), (_NEGATIVE, ("zzneg", "zzpos"))):
        for match in pattern.finditer(text):
            negated = _NEGATED.search(text[max(0, match.start() - 30) : match.start()])
            marks.append(flipped if negated else plain)
    return marks
