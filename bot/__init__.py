"""Social Router: routes social-media mentions to the Slack channel of the team that owns them."""

__version__ = "0.1.0"
