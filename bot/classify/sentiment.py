"""The sentiment decision: which label a mention gets from the sentiment head's probabilities."""

from __future__ import annotations

from typing import Any

import numpy as np


def sentiment_label(classes: Any, probs: np.ndarray, floor: float) -> tuple[str, float]:
    """The most probable label, except that an unsure "negative" (below `floor`) gives way to the
    runner-up: a team is pinged on a confident complaint, not on praise that mentions a bug."""
    order = np.argsort(-probs)
    best = order[0]
    if str(classes[best]) == "negative" and probs[best] < floor:
        best = order[1]
    return str(classes[best]), float(probs[best])
