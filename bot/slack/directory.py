"""Channel lookups against the Slack Web API: '#name' resolution and start-up checks (cursor-paginated)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain.rules import RoutingRules
from bot.domain.yamlpos import Loc

NOT_FOUND = "not found (or the bot cannot see it)"


def iter_channels(client: WebClient, page_size: int = 200) -> Iterator[dict[str, Any]]:
    """Every public and private channel the bot can see, following cursors."""
    cursor = None
    while True:
        page = client.conversations_list(
            types="public_channel,private_channel", exclude_archived=True, limit=page_size, cursor=cursor
        )
        yield from page.get("channels") or []
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return


def resolve_channel_names(client: WebClient, values: list[str], page_size: int = 200) -> dict[str, str]:
    """Map each '#name' in `values` to its channel ID; IDs map to themselves; unknown names are left out."""
    mapping = {v: v for v in values if not v.startswith("#")}
    wanted = {v.lstrip("#"): v for v in values if v.startswith("#")}
    if wanted:
        for channel in iter_channels(client, page_size):
            if channel.get("name") in wanted:
                mapping[wanted[channel["name"]]] = channel["id"]
    return mapping


def rule_channels(rules: RoutingRules) -> dict[Loc, str]:
    """Every channel named in the rules file, keyed by its YAML location (for errors with a line)."""
    channels: dict[Loc, str] = {("watch", "channels", i): c for i, c in enumerate(rules.watch.channels)}
    for name, department in rules.departments.items():
        channels[("departments", name, "channel")] = department.channel
    channels[("triage_channel",)] = rules.triage_channel
    for i, digest in enumerate(rules.digests):
        for j, recipient in enumerate(digest.recipients):
            if recipient.startswith(("#", "C", "G")):  # users (U…) get a DM instead
                channels[("digests", i, "recipients", j)] = recipient
    return channels


def check_channels(client: WebClient, rules: RoutingRules) -> list[tuple[Loc, str]]:
    """Problems with the rules file's channels: missing, or the bot cannot read or post there."""
    channels = rule_channels(rules)
    resolved = resolve_channel_names(client, list(channels.values()))
    problems = []
    for loc, value in channels.items():
        channel_id = resolved.get(value)
        problem = (
            "not found (or the bot cannot see it)"
            if channel_id is None
            else _membership_problem(client, channel_id)
        )
        if problem:
            problems.append((loc, f"{value}: {problem}"))
    return problems


def describe_loc(loc: Loc) -> str:
    """('digests', 0, 'recipients', 1) → 'digests[0].recipients[1]'."""
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")


def _membership_problem(client: WebClient, channel_id: str) -> str | None:
    try:
        info = client.conversations_info(channel=channel_id)["channel"]
    except SlackApiError as exc:
        error = exc.response.get("error", "error")
        return NOT_FOUND if error == "channel_not_found" else f"cannot be read ({error})"
    if info.get("is_archived"):
        return "is archived"
    if info.get("is_member"):
        return None
    if info.get("is_private"):
        return "the bot is not a member: /invite the app to this private channel"
    return None  # public: the bot joins by itself on first post (channels:join)
