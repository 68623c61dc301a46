"""Tests for bot.domain.routing: department channel, triage below min_confidence, 'none', escalation pings."""

from __future__ import annotations

from typing import Any

import pytest

from bot.domain.result import Result
from bot.domain.routing import Route, decide_route, ping_markup
from bot.domain.rules import RoutingRules


def make_rules(**support: Any) -> RoutingRules:
    """Only product and support configured; `support` adds keys to the support department."""
    return RoutingRules.model_validate(
        {
            "departments": {
                "product": {"channel": "C0PRODUCT"},
                "support": {"channel": "C0SUPPORT", **support},
            },
            "triage_channel": "C0TRIAGE",
            "min_confidence": 0.6,
        }
    )


def test_confident_mention_goes_to_its_department(rules: RoutingRules) -> None:
    route = decide_route(Result("product", 0.91), rules)
    assert route == Route("product", "C0PRODUCT", triage=False, ping=(), reason="routed by classification")


@pytest.mark.parametrize("department", ["product", "support", "hr", "sales"])
def test_every_department_reaches_its_own_channel(rules: RoutingRules, department: str) -> None:
    route = decide_route(Result(department, 0.75, sentiment="positive"), rules)
    assert route.channel == f"C0{department.upper()}"
    assert route.triage is False


@pytest.mark.parametrize("department", ["product", "support", "sales", "none"])
def test_below_min_confidence_goes_to_triage_whatever_the_label(rules: RoutingRules, department: str) -> None:
    route = decide_route(Result(department, 0.59, urgency="high", sentiment="negative"), rules)
    assert route.channel == "C0TRIAGE"
    assert route.triage is True
    assert route.department == department  # the model's guess is kept for the human
    assert route.ping == ()  # triage never pings: a human decides first
    assert route.reason == "confidence 0.59 below min_confidence 0.60"


def test_a_restricted_department_below_min_confidence_stays_in_its_own_channel_marked_unsure(
    rules: RoutingRules,
) -> None:
    route = decide_route(Result("hr", 0.41, urgency="high", sentiment="negative"), rules)
    assert (route.channel, route.triage, route.department, route.ping) == ("C0HR", True, "hr", ())
    assert route.reason.startswith("confidence 0.41 below min_confidence 0.60; restricted")


def test_confidence_exactly_at_the_threshold_is_routed(rules: RoutingRules) -> None:
    assert decide_route(Result("sales", 0.6), rules).channel == "C0SALES"


def test_none_is_stored_not_posted(rules: RoutingRules) -> None:
    route = decide_route(Result("none", 0.97), rules)
    assert route.channel is None
    assert route.triage is False
    assert route.department == "none"
    assert "not posted" in route.reason


def test_department_without_a_channel_goes_to_triage() -> None:
    route = decide_route(Result("hr", 0.99), make_rules())
    assert (route.channel, route.triage, route.department) == ("C0TRIAGE", True, "hr")
    assert route.reason == "no channel configured for hr"


def test_high_urgency_pings_the_escalation_targets(rules: RoutingRules) -> None:
    route = decide_route(Result("support", 0.7, urgency="high", sentiment="neutral"), rules)
    assert route.channel == "C0SUPPORT"
    assert route.ping == ("S0ONCALL",)


def test_strongly_negative_pings_and_mildly_negative_does_not(rules: RoutingRules) -> None:
    strong = decide_route(Result("support", 0.85, sentiment="negative"), rules)
    mild = decide_route(Result("support", 0.7, sentiment="negative"), rules)
    assert strong.ping == ("S0ONCALL",)
    assert mild.ping == ()


def test_calm_mention_does_not_ping(rules: RoutingRules) -> None:
    route = decide_route(Result("support", 0.95, urgency="normal", sentiment="positive"), rules)
    assert route.ping == ()


def test_department_without_escalation_never_pings(rules: RoutingRules) -> None:
    route = decide_route(Result("product", 0.99, urgency="high", sentiment="negative"), rules)
    assert route.channel == "C0PRODUCT"
    assert route.ping == ()


def test_escalation_conditions_can_be_tuned() -> None:
    on_normal = make_rules(escalate={"ping": ["U0LEAD", "here"], "urgency": "normal", "sentiment": None})
    assert decide_route(Result("support", 0.7, urgency="normal"), on_normal).ping == ("U0LEAD", "here")
    assert decide_route(Result("support", 0.7, urgency="low"), on_normal).ping == ()
    assert decide_route(Result("support", 0.9, urgency="low", sentiment="negative"), on_normal).ping == ()


def test_ping_markup_renders_each_kind_of_target() -> None:
    targets = ("here", "channel", "S0ONCALL", "U0BOSS", "W0ENTERPRISE")
    assert ping_markup(targets) == "<!here> <!channel> <!subteam^S0ONCALL> <@U0BOSS> <@W0ENTERPRISE>"
    assert ping_markup(()) == ""


@pytest.mark.parametrize(
    ("sentiment_confidence", "pinged"),
    [(0.95, True), (0.75, True), (0.74, False), (0.5, False)],
)
def test_sentiment_escalation_needs_a_confident_negative(
    rules: RoutingRules, sentiment_confidence: float, pinged: bool
) -> None:
    result = Result("support", 0.9, sentiment="negative", sentiment_confidence=sentiment_confidence)
    route = decide_route(result, rules)
    assert route.channel == "C0SUPPORT"
    assert route.ping == (("S0ONCALL",) if pinged else ())


def test_an_unsure_negative_still_escalates_on_high_urgency(rules: RoutingRules) -> None:
    result = Result("support", 0.9, sentiment="negative", sentiment_confidence=0.4, urgency="high")
    assert decide_route(result, rules).ping == ("S0ONCALL",)


def test_praise_from_the_local_model_does_not_page_anyone(rules: RoutingRules) -> None:
    from bot.classify.local import LocalClassifier
    from tests.harness import trained_model_path

    model = LocalClassifier.load(trained_model_path())
    result = model.classify("Great support today, your agent solved my refund in 5 minutes. Thank you!")
    assert result.sentiment != "negative"
    assert decide_route(result, rules).ping == ()
