"""A cheap urgency guess at intake, so that under a backlog urgent-looking mentions are classified first.

It runs on the acknowledgement path, before any model: one precompiled regular expression per level
over the (already bounded) text, microseconds per mention. It only orders the backlog; the urgency a
card shows still comes from the classifier. Words are English and French, the languages we ship.
"""

from __future__ import annotations

import re

URGENT, PROBLEM, ROUTINE = 2, 1, 0

# needs action within hours: outages, security, money taken, legal threats, people blocked
_URGENT = re.compile(
    r"\b(outage|down ?time|is down|are down|went down|hacked|breach|leak(ed)?|security|fraud|scam|"
    r"charged (me )?twice|double[- ]charged|lawsuit|lawyer|legal action|sue|urgent(ly)?|asap|emergency|"
    r"can'?t (log ?in|login|access|sign ?in)|cannot (log ?in|login|access|sign ?in)|locked out|"
    r"panne|piratage|piraté|arnaque|avocat|plainte|bloqué)\b",
    re.IGNORECASE,
)
# something is wrong for someone, but not obviously on fire
_PROBLEM = re.compile(
    r"\b(broken|crash(es|ed|ing)?|error|bug|fail(s|ed|ing)?|not working|doesn'?t work|refund|"
    r"worst|terrible|awful|useless|angry|furious|cancel(led|ing)?|never again|"
    r"remboursement|ne marche pas|ne fonctionne pas|nul|horrible)\b",
    re.IGNORECASE,
)


def intake_priority(text: str) -> int:
    """2 urgent-looking, 1 a problem, 0 anything else; the claim order of the classification backlog."""
    if _URGENT.search(text):
        return URGENT
    if _PROBLEM.search(text):
        return PROBLEM
    return ROUTINE
