"""The exception hierarchy: every error the bot raises on purpose derives from SocialRouterError."""

from __future__ import annotations


class SocialRouterError(Exception):
    """Base class: a known failure with a message that is safe to show to a user."""


class ConfigError(SocialRouterError):
    """Missing or invalid configuration (environment variable or rules file)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class InvalidMention(SocialRouterError):
    """A mention that cannot be stored: empty text, wrong shape, missing id."""


class ClassifierUnavailable(SocialRouterError):
    """The LLM could not answer (outage, rate limit, timeout, malformed output)."""


class DeliveryError(SocialRouterError):
    """Slack refused a message for a reason that retrying will not fix."""
