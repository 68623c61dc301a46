"""The /insights answers: argument parsing, SQL queries over stored mentions, and Block Kit rendering.

Queries and composition are pure functions of (engine, arguments, now) so they run from tests, the CLI
and the Slack handler alike; `render` turns their results into ephemeral Block Kit.
"""
