"""Channel lookups against the Slack Web API: '#name' resolution, membership, start-up joins and checks."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain.rules import RoutingRules
from bot.domain.yamlpos import Loc
from bot.slack.client import PAGE_SIZE, paginate

log = logging.getLogger(__name__)
NOT_FOUND = "not found, or private and the bot is not invited (/invite the app there)"


@dataclass(frozen=True)
class ChannelState:
    """What Slack says about one channel the rules file names; `error` when it could not be read."""

    id: str
    name: str = ""
    is_member: bool = False
    is_private: bool = False
    is_archived: bool = False
    error: str = ""

    @classmethod
    def of(cls, item: dict[str, Any]) -> ChannelState:
        return cls(
            id=str(item["id"]),
            name=str(item.get("name") or ""),
            is_member=bool(item.get("is_member")),
            is_private=bool(item.get("is_private")),
            is_archived=bool(item.get("is_archived")),
        )

    def label(self, value: str) -> str:
        """The rules-file value with its other spelling: 'C0HR (#team-hr)' or '#team-hr (C0HR)'."""
        other = self.id if value.startswith("#") else (f"#{self.name}" if self.name else "")
        return f"{value} ({other})" if other and other != value else value


def iter_channels(
    client: WebClient, page_size: int = PAGE_SIZE, *, exclude_archived: bool = True
) -> Iterator[dict[str, Any]]:
    """Every public channel, and every private one the bot is in, following cursors."""
    return paginate(
        client,
        "conversations.list",
        "channels",
        limit=page_size,
        types="public_channel,private_channel",
        exclude_archived=exclude_archived,
    )


def resolve_channel_names(client: WebClient, values: list[str], page_size: int = PAGE_SIZE) -> dict[str, str]:
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
    if rules.alerts is not None and rules.alerts.channel:
        channels[("alerts", "channel")] = rules.alerts.channel
    return channels


def channel_states(
    client: WebClient, values: list[str], page_size: int = PAGE_SIZE
) -> dict[str, ChannelState | None]:
    """The state of each value ('#name' or ID); None when Slack does not show the bot that channel.

    One paginated conversations.list (archived included, so they are named as such), then
    conversations.info only for IDs the list left out.
    """
    listed = {s.id: s for s in map(ChannelState.of, iter_channels(client, page_size, exclude_archived=False))}
    by_name = {s.name: s for s in listed.values()}
    states: dict[str, ChannelState | None] = {}
    for value in dict.fromkeys(values):
        if value.startswith("#"):
            states[value] = by_name.get(value[1:])
        else:
            states[value] = listed.get(value) or _channel_info(client, value)
    return states


def _channel_info(client: WebClient, channel_id: str) -> ChannelState | None:
    try:
        return ChannelState.of(client.conversations_info(channel=channel_id)["channel"])
    except SlackApiError as exc:
        error = str(exc.response.get("error") or "error")
        return None if error == "channel_not_found" else ChannelState(channel_id, error=error)


def problem_with(state: ChannelState | None) -> str | None:
    """Why the bot cannot read or post in this channel, in words an admin can act on; None when it can."""
    if state is None:
        return NOT_FOUND
    if state.error:
        return f"cannot be read ({state.error})"
    if state.is_archived:
        return "is archived: the bot cannot post there (unarchive it or change the rules file)"
    if state.is_member:
        return None
    if state.is_private:
        return "the bot is not a member: /invite the app to this private channel"
    return "the bot is not a member: `python -m bot serve` joins public channels at start-up, or /invite it"


def check_channels(client: WebClient, rules: RoutingRules) -> list[tuple[Loc, str]]:
    """Every rules-file channel the bot is not a member of or cannot post to, with its YAML location."""
    channels = rule_channels(rules)
    states = channel_states(client, list(channels.values()))
    problems = []
    for loc, value in channels.items():
        state = states[value]
        problem = problem_with(state)
        if problem:
            problems.append((loc, f"{state.label(value) if state else value}: {problem}"))
    return problems


def describe_loc(loc: Loc) -> str:
    """('digests', 0, 'recipients', 1) → 'digests[0].recipients[1]'."""
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")


@dataclass
class JoinReport:
    """What `join_channels` did: channels joined, and one line for each it could not fix itself."""

    joined: list[str]
    problems: list[str]


def join_channels(client: WebClient, rules: RoutingRules) -> JoinReport:
    """Join the public channels the rules file names that the bot is not in yet (channels:join).

    A bot cannot join a private channel by itself, so those — and missing or archived channels — get
    one warning line each saying what to do. Nothing here raises for a single channel.
    """
    values = list(dict.fromkeys(rule_channels(rules).values()))
    states = channel_states(client, values)
    report = JoinReport([], [])
    done: set[str] = set()
    for value in values:
        state = states[value]
        if state is not None and state.id in done:
            continue  # the same channel written twice ('#name' and ID)
        label = state.label(value) if state else value
        problem = problem_with(state)
        if state is None or problem is None or state.is_private or state.is_archived or state.error:
            if problem:
                _could_not(report, label, problem)
            continue
        done.add(state.id)
        try:
            client.conversations_join(channel=state.id)
        except SlackApiError as exc:
            error = exc.response.get("error") or "error"
            _could_not(report, label, f"could not join ({error}): /invite the app there")
            continue
        report.joined.append(label)
        log.info("joined channel %s", label)
    return report


def _could_not(report: JoinReport, label: str, problem: str) -> None:
    report.problems.append(f"{label}: {problem}")
    log.warning("channel %s: %s (`python -m bot check` names the rules-file line)", label, problem)
