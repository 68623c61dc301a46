"""Sentiment cue tokens: a small multilingual praise/complaint lexicon the model sees as extra words.

Seeds cannot contain every way to say "love it" in seven languages; marking lexicon hits as
`zzpos`/`zzneg` tokens lets the logistic regression learn one weight per polarity that carries to
words no seed used. A negator up to three words before a cue, in the same clause ("not great",
"isn't really working", "pas vraiment top"), flips it. Structure the lexicon cannot see is marked too
(`bot.classify.sentiment_cues`): the clause after "but"/"mais" weighs more, star ratings, emoticons,
questions and requests.
"""

from __future__ import annotations

import re

from bot.classify.sentiment_cues import structure_tokens

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
    # general review and tweet vocabulary (products, places, films, travel), every seed language
    "enjoy", "lovely", "gorgeous", "stunning", "outstanding", "terrific", "fabulous", "incredible",
    "pleased", "satisf", "worth it", "worth every", "must have", "must-have", "top notch", "top-notch",
    "high quality", "good quality", "great quality", "comfortable", "sturdy", "durable", "like a charm",
    "exceeded", "masterpiece", "gem=", "charming", "delicious", "tasty", "elegant", "excellent value",
    "ravi", "ravie", "satisfait", "superbe", "chef-d'œuvre", "chef d'oeuvre", "émouvant", "captivant",
    "passionnant", "bluffant", "conforme", "de qualité", "recommand", "coup de cœur", "coup de coeur",
    "réussi", "vaut le coup", "incontournable", "merveill", "sublime", "délicieu", "impeccable",
    "idéal", "robuste", "confortable", "fluide", "facile", "begeistert", "wunderbar", "empfehlens",
    "perfekt", "ausgezeichnet", "lecker", "encant", "estupend", "increíble", "fantástic", "recomendable",
    "buen=", "bueno=", "buena=", "rewelac", "wspaniał", "znakomit", "fajn", "kjempebra", "nydelig",
    "herlig", "supert", "замечательн", "великолепн", "хорош", "советую", "восторг", "понравил",
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
    # general review and tweet vocabulary (products, places, films, travel), every seed language
    "boring", "bored", "dull", "mediocre", "poorly", "cheaply made", "flimsy", "defective", "faulty",
    "junk", "garbage", "trash", "crap", "rubbish", "pathetic", "sucks", "sucked", "not worth",
    "overpriced", "overrated", "returned it", "sent it back", "stopped working", "fell apart",
    "ripoff", "rip-off", "rip off", "nightmare", "disaster", "avoid this", "stay away", "unreliable",
    "incompetent", "upset", "angry", "furious", "unhappy", "dissatisf", "unsatisf", "insatisf",
    "misleading", "lousy", "regret",
    "wasted", "disgusting", "dirty", "unusable", "unbearable", "ennuy", "médiocre", "déception",
    "navet", "à éviter", "évitez", "fuyez", "cassé", "défectueu", "ne vaut pas", "pas terrible",
    "lamentable", "pitoyable", "catastroph", "insupportable", "inadmissible", "scandaleu", "honte",
    "mécontent", "furieu", "énervé", "agacé", "déplorable", "minable", "bâclé", "raté", "en panne",
    "hors de prix", "trop cher", "langweilig", "mangelhaft", "miserabel", "unbrauchbar", "schrott",
    "ärgerlich", "furchtbar", "schrecklich", "aburrid", "malísim", "basura", "desastr", "defectuos",
    "nudn", "rozczarow", "kiepsk", "okropn", "badziew", "bubel", "kjedelig", "skuff", "forferdelig",
    "håpløs", "søppel", "скучн", "разочарова", "отстой", "фигн", "ерунд",
    "😡", "🤬", "😤", "👎", "😠", "💩", "🙄",
    "bad=", "poor=", "worse", "mauvais", "nul=", "zły", "złe", "słab", "плох", "malo=", "mala=",
)
NEGATORS = (
    "not", "no", "never", "isn't", "wasn't", "don't", "didn't", "pas", "jamais", "nicht", "kein",
    "nie", "не", "ikke", "nunca", "without", "hardly", "barely", "nothing", "sans", "rien", "aucun",
    "aucune", "ohne", "keine", "nichts", "bez", "nic", "без", "ни", "ничего", "uten", "sin", "nada",
    "ni", "nor", "neither",
)
# fmt: on


def _pattern(stems: tuple[str, ...]) -> re.Pattern[str]:
    ordered = sorted(set(stems), key=len, reverse=True)
    parts = [re.escape(s[:-1]) + r"(?!\w)" if s.endswith("=") else re.escape(s) for s in ordered]
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + ")")


_POSITIVE = _pattern(POSITIVE)
_NEGATIVE = _pattern(NEGATIVE)
# "but" and its kin: in "great idea but it crashes" the clause after the marker is the verdict
CONTRASTS = (
    "but", "however", "though", "although", "yet", "mais", "cependant", "pourtant", "aber", "jedoch",
    "doch", "ale", "jednak", "но", "однако", "men", "pero", "sin embargo",
)  # fmt: skip
_CONTRAST = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(c) for c in CONTRASTS) + r")(?!\w)")
_CLAUSE_BREAK = re.compile(r"[,.;:!?()\n]|" + _CONTRAST.pattern)
_NEGATOR_WORDS = frozenset(NEGATORS)
_WORDS = re.compile(r"[\w'’]+")
NEGATION_SCOPE = 3  # words before a cue that a negator reaches ("not really that great")


def negated(before: str) -> bool:
    """Whether the text just before a cue negates it: a negator among its last words, same clause."""
    clause = clause_tail(before[-60:])
    words = _WORDS.findall(clause)[-NEGATION_SCOPE:]
    return any(w in _NEGATOR_WORDS or w.endswith(("n't", "n’t")) for w in words)


def with_cues(text: str) -> str:
    """`text` (already lower-cased) followed by one `zzpos`/`zzneg` token per lexicon hit."""
    marks = cue_marks(text)
    return text + " " + " ".join(marks) if marks else text


def clause_tail(text: str) -> str:
    """What follows the last clause break (punctuation or a contrast word) in `text`."""
    breaks = list(_CLAUSE_BREAK.finditer(text))
    return text[breaks[-1].end() :] if breaks else text


def after_contrast(text: str) -> str:
    """The text after the last contrast word ("but", "mais"…), or "" when there is none."""
    found = list(_CONTRAST.finditer(text))
    return text[found[-1].end() :] if found else ""


def cue_tokens(text: str) -> list[str]:
    """The analyzer of the cue block: polarity hits, hits again after a "but" (`zzlatepos`…),
    structure marks (ratings, emoticons, questions), and which polarity dominates overall."""
    lower = text.lower()
    marks = cue_marks(lower)
    late = cue_marks(after_contrast(lower))
    structure = structure_tokens(lower)
    tokens = [*marks, *(f"zzlate{mark[2:]}" for mark in late), *structure]
    score = (
        marks.count("zzpos") + late.count("zzpos") - marks.count("zzneg") - late.count("zzneg")
        + 2 * (structure.count("zzratepos") - structure.count("zzrateneg"))
        + structure.count("zzsmile") - structure.count("zzfrown")
    )  # fmt: skip
    if not marks and not score:
        return [*tokens, "zznone"]
    balance = "zzmorepos" if score > 0 else "zzmoreneg" if score < 0 else "zzmixed"
    return [*tokens, balance]


def cue_marks(text: str) -> list[str]:
    """One mark per lexicon hit in lower-cased `text`: `zzpos`, `zzneg`, or for a negated cue
    `zzneg` ("not great") or `zznotneg` ("not bad", "pas de problème": milder than praise, so it
    gets its own weight rather than counting as `zzpos`)."""
    marks: list[str] = []
    for pattern, (plain, flipped) in ((_POSITIVE, ("zzpos", "zzneg")), (_NEGATIVE, ("zzneg", "zznotneg"))):
        for match in pattern.finditer(text):
            marks.append(flipped if negated(text[: match.start()]) else plain)
    return marks
