"""Sentiment structure the word lexicon cannot see: star ratings, emoticons, questions, requests.

"1/5", "two stars" and "★★★★★" say the verdict outright; ":)" and ":(" are polarity written in
punctuation, which the word tokenizer drops; a question or a request ("how do I…", "pouvez-vous…")
is usually neutral even when it names a problem. Each becomes a `zz…` token of the cue block,
and the sentiment head learns its weight from the seeds.

Complaints often carry no negative word at all; `complaint_tokens` marks their usual shapes: time
spent waiting ("3 weeks and still…", "day 5 of waiting"), "still no"/"toujours pas", writing again
("third time I'm writing"), a broken promise ("I was told…"), leaving ("cancelling my subscription",
"switching to…") and praise followed by "another"/"again" ("great, another update that…").
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


_STILL = (
    "still no", "still not", "still nothing", "still haven't", "still hasn't", "still waiting",
    "still broken", "toujours pas", "toujours rien", "toujours aucun", "toujours en attente",
    "encore rien", "toujours le même", "immer noch nicht", "immer noch kein", "noch immer nicht",
    "noch immer kein", "todavía no", "todavía sin", "sigue sin", "aún no", "nadal nie", "nadal brak",
    "wciąż nie", "wciąż brak", "до сих пор не", "до сих пор нет", "до сих пор ничего", "всё ещё не",
    "все еще не", "fortsatt ingen", "fortsatt ikke", "ennå ikke",
)  # fmt: skip
_UNITS = (
    r"(?:minutes?|hours?|days?|weeks?|months?|heures?|jours?|semaines?|mois|minuten|stunden?|tagen?|"
    r"wochen?|monaten?|minutos?|horas?|días?|dias?|semanas?|meses|godzin\w*|dni|tygodni\w*|miesięc\w*|"
    r"минут\w*|час\w*|дн\w*|недел\w*|месяц\w*|minutter|timer|dager|uker|måneder)"
)
_WAITED = re.compile(
    r"(?<!\w)(?:\d+|" + "|".join(_NUMBER_WORDS) + r"|two|three|several|plusieurs|mehrere|varias|kilka|"
    r"несколько)\s+" + _UNITS + r"(?!\w).{0,40}?(?:still|waiting|toujours|attends|attente|warte|noch|"
    r"todavía|espera|nadal|wciąż|czekam|до сих пор|жду|fortsatt|venter|nothing|rien|nichts|nada|nic|ничего)"
    r"|(?:day|jour|tag|día|dzień|день|dag)\s+\d+\s+(?:of|d'|de)?\s*(?:waiting|attente|warten|espera)"
    r"|(?:on hold|en attente|in der warteschleife|en espera)\s+(?:for\s+)?\d+"
)
_REPEAT = re.compile(
    r"(?<!\w)(?:second|third|fourth|fifth|\d+(?:st|nd|rd|th)|umpteenth|deuxième|troisième|quatrième|énième|"
    r"zweite[ns]?|dritte[ns]?|vierte[ns]?|segunda|tercera|cuarta|drugi|trzeci|czwarty|второй|третий|"
    r"четвертый|четвёртый|andre|tredje|fjerde)\s+(?:time|fois|mal|vez|raz|раз|gang)(?!\w)"
)
_PROMISE = (
    "was told", "were told", "i was promised", "you promised", "they promised", "promised me",
    "said it would", "said they would", "said someone would", "on m'avait dit", "on m'avait promis",
    "on m'a dit", "on m'a promis", "vous m'aviez", "versprochen", "hieß es", "me dijeron",
    "me prometieron", "prometieron", "obiecali", "obiecano", "mówili, że", "обещали", "мне сказали",
    "ble lovet", "lovet meg",
)  # fmt: skip
_CHURN = (
    "cancelling my", "canceling my", "i'm cancelling", "i'm canceling", "cancelled my", "canceled my",
    "unsubscribed", "switching to", "moving to another", "deleted the app", "deleting the app",
    "uninstalled", "uninstalling", "never ordering", "never buying", "je résilie", "j'ai résilié",
    "je passe chez", "je vais passer chez", "désinstallé", "désinstalle", "plus jamais", "ich kündige",
    "gekündigt", "wechsle zu", "deinstalliert", "nie wieder", "cancelo", "he cancelado", "me cambio a",
    "me paso a", "desinstalé", "nunca más", "rezygnuję", "przechodzę do", "odinstalowałem",
    "odinstalowałam", "nigdy więcej", "отменяю", "отписываюсь", "перехожу", "удалил", "удалила",
    "больше никогда", "sier opp", "bytter til", "avinstaller", "aldri mer",
)  # fmt: skip
_SARCASM = re.compile(
    r"(?:^|[.!?]\s*)(?:oh\s+)?(?:great|wonderful|perfect|nice|brilliant|awesome|fantastic|thanks|génial|super|"
    r"parfait|bravo|merci|toll|prima|klasse|danke|genial|perfecto|gracias|świetnie|super|dzięki|отлично|"
    r"супер|спасибо|flott|takk)\W+(?:\w+\W+){0,3}?(?:another|again|once more|yet another|encore|"
    r"de nouveau|wieder|schon wieder|otra|otro|otra vez|de nuevo|znowu|kolejn\w*|опять|снова|очередн\w*|"
    r"igjen|enda en)(?!\w)"
)


def _any(phrases: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(p) for p in phrases) + r")(?!\w)")


_STILL_NO, _PROMISED, _LEAVING = _any(_STILL), _any(_PROMISE), _any(_CHURN)
COMPLAINT_CUES = True  # off only in `benchmarks/sentiment_cv.py`, to measure what they add


def complaint_tokens(text: str) -> list[str]:
    """`zz…` marks for complaints without a negative word, in lower-cased `text`."""
    if not COMPLAINT_CUES:
        return []
    found = (
        ("zzstillno", _STILL_NO), ("zzwaited", _WAITED), ("zzagain", _REPEAT), ("zzpromised", _PROMISED),
        ("zzleaving", _LEAVING), ("zzsarcasm", _SARCASM),
    )  # fmt: skip
    return [token for token, pattern in found if pattern.search(text)]


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
    return tokens + complaint_tokens(text)
