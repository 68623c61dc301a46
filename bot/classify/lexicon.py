"""Deterministic multilingual keyword lexicons: topic tags and urgency cues for the local classifier.

Stems are matched at word starts, so "refund" also catches "refunded" and "rembours" catches
"remboursement". Each topic lists English, German, French, Polish, Russian, Norwegian and Spanish
stems; a tag is an English word whatever the mention's language, so digests can group by it.
"""

from __future__ import annotations

import re

# Order matters only for ties: topics with more hits come first, then this order.
# fmt: off
TOPIC_STEMS: dict[str, tuple[str, ...]] = {
    "crash": (
        "crash", "freez", "stürzt", "absturz", "abstürz", "friert", "plante", "fige", "bloque", "zawiesza",
        "crashuje", "вылета", "зависа", "krasj", "fryser", "se cierra", "bloquea",
    ),
    "bug": (
        "bug", "error", "fehler", "erreur", "broken", "kaputt", "cassé", "błąd", "ошибк", "баг", "feil",
        "falla", "glitch", "not working", "funktioniert nicht", "ne marche", "ne fonctionne",
    ),
    "outage": (
        "outage", "is down", "down for", "ausfall", "panne", "awaria", "не работает", "сбой", "nedetid",
        "caída", "caido", "no internet", "kein internet", "plus d'internet",
    ),
    "login": (
        "login", "log in", "log into", "logged out", "password", "passwort", "anmeld", "connexion",
        "connecter", "mot de passe", "hasło", "zaloguj", "логин", "парол", "войти", "pålogging", "passord",
        "logge inn", "contraseña", "iniciar sesión", "2fa", "locked", "gesperrt",
    ),
    "performance": (
        "slow", "lag=", "lagg", "battery", "langsam", "akku", "lent", "batterie", "wolno", "bateri",
        "медленн", "тормоз", "батаре", "treg", "lento", "stutter", "ruckel", "saccad",
    ),
    "ui": (
        "design", "dark mode", "layout", "ui=", "interface", "font", "menu", "dunkelmodus", "mode sombre",
        "schrift", "bedienung", "интерфейс", "тёмн", "темн", "mørk modus", "modo oscuro", "ciemny",
    ),
    "feature-request": (
        "feature", "please add", "would love", "would be nice", "suggestion", "wunsch", "vorschlag",
        "bitte ein", "suggestion", "idée", "serait bien", "ajouter", "propozycj", "dodajcie", "добавьте",
        "предлож", "legg til", "ønsker", "añadir", "sugerencia",
    ),
    "refund": (
        "refund", "money back", "rückerstatt", "erstattung", "geld zurück", "rembours", "zwrot", "возврат",
        "вернуть деньги", "refusjon", "pengene tilbake", "reembolso", "devolución",
    ),
    "billing": (
        "bill=", "bills=", "billed", "billing", "charged", "invoice", "fee=", "fees=", "debited",
        "rechnung", "abgebucht", "abbuch", "factur", "débité", "prélev", "faktur", "opłat", "obciąż",
        "счёт", "счет", "списал", "списан", "belastet", "trukket", "cobro", "cobrado", "factura",
    ),
    "cancellation": (
        "cancel", "kündig", "storn", "résili", "annul", "anulow", "rezygn", "отмен", "отказ", "avbestill",
        "kansell", "cancelar", "cancelación", "gestrichen", "ausgefallen",
    ),
    "delivery": (
        "deliver", "parcel", "package", "tracking", "courier", "shipping", "shipped", "liefer", "paket",
        "zugestellt", "livr", "colis", "dostaw", "paczk", "przesył", "доставк", "посылк", "курьер",
        "levering", "pakke", "entrega", "paquete", "envío", "where is my order",
    ),
    "luggage": (
        "luggage", "baggage", "suitcase", "bag=", "bags=", "koffer", "gepäck", "valise", "bagage", "bagaż",
        "walizk", "багаж", "чемодан", "koffert", "maleta", "equipaje",
    ),
    "delay": (
        "delay", "late=", "verspät", "retard", "opóźni", "задерж", "опозда", "forsink", "retraso",
    ),
    "customer-service": (
        "customer service", "on hold", "hotline", "support", "agent=", "kundenservice", "service client",
        "conseiller", "obsługa klienta", "поддержк", "kundeservice", "atención al cliente",
    ),
    "account": (
        "account", "konto", "compte", "аккаунт", "учётн", "учетн", "cuenta", "profil",
    ),
    "pricing": (
        "price", "pricing", "cost", "how much", "plan=", "plans=", "tier", "rates", "preis", "kostet",
        "tarif", "prix", "coûte", "combien", "cena", "ceny", "ile kosztuje", "цен", "стоимост",
        "сколько стоит", "pris", "koster", "precio", "cuánto cuesta", "cuesta",
    ),
    "discount": (
        "discount", "promo", "offer", "deal=", "deals=", "coupon", "sale=", "sales=", "rabatt", "angebot",
        "réduction", "remise", "soldes", "rabat", "zniżk", "promocj", "скидк", "акци", "tilbud",
        "descuento", "oferta",
    ),
    "demo": (
        "demo", "walkthrough", "démo", "демо", "demostración", "trial", "testphase", "essai",
    ),
    "bulk-order": (
        "bulk", "wholesale", "licenses", "licences", "lizenzen", "en gros", "hurt", "оптом", "опт=",
        "engros", "al por mayor", "mayorista", "quote", "devis", "wycen",
    ),
    "partnership": (
        "partner", "distribut", "reseller", "resell", "dealer", "franchis", "vertriebspartner", "händler",
        "revendeur", "dystrybut", "дистрибь", "партнер", "партнёр", "forhandler", "distribuidor", "socio",
    ),
    "salary": (
        "salary", "pay=", "paid=", "wage", "bonus", "raise=", "raises=", "gehalt", "lohn", "bezahlung",
        "salaire", "prime", "wynagrodz", "pensj", "зарплат", "оклад", "lønn", "salario", "sueldo",
    ),
    "management": (
        "management", "manager", "leadership", "micromanag", "führung", "vorgesetzt", "chef", "direction",
        "kierownik", "kierownictw", "руководств", "начальств", "ledelse", "leder", "jefe", "dirección",
        "gerencia",
    ),
    "work-life-balance": (
        "work-life", "work life", "overtime", "burnout", "burn-out", "hours", "überstunden", "heures sup",
        "vie perso", "nadgodzin", "переработк", "overtid", "horas extra", "shift", "schicht", "planning",
        "vacation", "urlaub", "congés",
    ),
    "culture": (
        "culture", "toxic", "colleagues", "coworkers", "team spirit", "kultur", "betriebsklima", "kollegen",
        "ambiance", "collègues", "atmosfer", "kultura", "коллектив", "атмосфер", "kultur", "kolleg",
        "ambiente", "compañeros",
    ),
    "hiring": (
        "hiring", "interview", "applied", "application", "recruit", "job offer", "offer letter",
        "we're hiring", "bewerb", "vorstellungsgespräch", "stelle", "entretien", "postul", "recrut",
        "rekrut", "rozmow", "собеседован", "ваканс", "intervju", "søknad", "entrevista", "vacante",
    ),
    "spam": (
        "click here", "claim", "you've won", "you have won", "free entry", "text win", "gewonnen",
        "jetzt klicken", "vous avez gagné", "cliquez", "wygrał", "вы выиграли", "du har vunnet",
        "has ganado", "pre-approved", "opt out", "reply stop",
    ),
}
# fmt: on

# Cues that something is on fire: outage, money lost, safety, legal threat, going viral.
# fmt: off
HIGH_URGENCY_STEMS: tuple[str, ...] = (
    "outage", "is down", "down for", "urgent", "asap", "right now", "immediately", "data loss", "lost all",
    "unauthori", "fraud", "scam", "stolen", "hacked", "charged twice", "charged three", "double charged",
    "lawyer", "legal action", "sue ", "lawsuit", "consumer protection", "safety", "unsafe", "dangerous",
    "injur", "medication", "stranded", "going viral", "everyone is sharing", "security issue", "dringend",
    "sofort", "anwalt", "datenverlust", "doppelt abgebucht", "verbraucherzentrale", "betrug", "urgent",
    "tout de suite", "avocat", "débité deux fois", "association de consommateurs", "fraude", "pilne",
    "natychmiast", "prawnik", "oszust", "срочно", "немедленно", "юрист", "адвокат", "мошенн", "haster",
    "umiddelbart", "advokat", "svindel", "urgente", "inmediatamente", "abogado", "denuncia",
)
# fmt: on

_BOUNDARY = r"(?<!\w)"


def _alternative(stem: str) -> str:
    # A trailing "=" marks a whole word: "fee=" must not match "feedback".
    return re.escape(stem[:-1]) + r"(?!\w)" if stem.endswith("=") else re.escape(stem)


def _compile(stems: tuple[str, ...]) -> re.Pattern[str]:
    ordered = sorted(set(stems), key=len, reverse=True)  # longest first so phrases win
    return re.compile(_BOUNDARY + "(?:" + "|".join(_alternative(s) for s in ordered) + ")", re.IGNORECASE)


_TOPIC_PATTERNS = {tag: _compile(stems) for tag, stems in TOPIC_STEMS.items()}
_HIGH_PATTERN = _compile(HIGH_URGENCY_STEMS)
_SHOUTING = re.compile(r"\b[A-Z]{4,}\b.*\b[A-Z]{4,}\b|!!!")


def topics_for(text: str, limit: int = 3) -> tuple[str, ...]:
    """Up to `limit` English tags whose stems occur in `text`, most hits first (stable order)."""
    counts = [(len(p.findall(text)), i, tag) for i, (tag, p) in enumerate(_TOPIC_PATTERNS.items())]
    ranked = sorted((c for c in counts if c[0] > 0), key=lambda c: (-c[0], c[1]))
    return tuple(tag for _, _, tag in ranked[:limit])


def urgency_for(text: str, department: str, sentiment: str) -> str:
    """high on an urgency cue (or shouting while negative); low for noise and praise; else normal."""
    if department != "none" and _HIGH_PATTERN.search(text):
        return "high"
    if department != "none" and sentiment == "negative" and _SHOUTING.search(text):
        return "high"
    if department == "none" or sentiment == "positive":
        return "low"
    return "normal"
