"""manifest.yaml asks for exactly the bot scopes the code uses: no more (admins refuse long lists),
no fewer (a missing scope is a `missing_scope` error in production, not in tests).

The code is grepped for every Slack Web API method it calls (`client.chat_postMessage(`, or a method
name passed as a string to a pager); each method's scope comes from Slack's method reference.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
FAMILIES = "auth|apps|chat|conversations|users|usergroups|views|files|reactions|pins|team|bots|reminders|dnd"
# a call `client.x_y(`, a method passed on `partial(client.x_y, …)`, or a name given to a pager as a string
METHOD = re.compile(rf"""[."']((?:{FAMILIES})_[A-Za-z0-9_]+)[("',]""")
# …or a method name in Slack's own spelling, as a string (the pager takes "conversations.members")
STRING_METHOD = re.compile(rf"""["']((?:{FAMILIES})\.[A-Za-z0-9_]+)["']""")
NOT_METHODS = {"team_id"}  # payload field names that look like methods
# Web API method (slack_sdk spelling) → bot scopes it needs (api.slack.com/methods/<method>).
SCOPES: dict[str, set[str]] = {
    "auth_test": set(),
    "apps_connections_open": set(),  # app-level token (connections:write), not a bot scope
    "chat_postMessage": {"chat:write"},
    "chat_update": {"chat:write"},
    "conversations_list": {"channels:read", "groups:read"},  # public and private channels
    "conversations_info": {"channels:read", "groups:read"},
    "conversations_members": {"channels:read", "groups:read"},
    "conversations_join": {"channels:join"},
    "conversations_open": {"im:write"},
    "users_info": {"users:read"},
    "views_publish": set(),
    "files_upload_v2": {"files:write"},
    "files_getUploadURLExternal": {"files:write"},
    "files_completeUploadExternal": {"files:write"},
    # the outbox's search for a post whose outcome was unknown: channels, private channels, and DMs
    "conversations_history": {"channels:history", "groups:history", "im:history"},
    "conversations_replies": {"channels:history", "groups:history", "im:history"},
}
# Events and the slash command need scopes too, though no method is called for them.
EVENT_SCOPES = {
    "app_mention": {"app_mentions:read"},
    "message.channels": {"channels:history"},
    "message.groups": {"groups:history"},
    "app_home_opened": set(),
}


def methods_called() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted([*(REPO / "bot").rglob("*.py"), *(REPO / "handlers").rglob("*.py")]):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.lstrip().startswith("#"):
                continue
            dotted = {name.replace(".", "_") for name in STRING_METHOD.findall(line)}
            for method in (set(METHOD.findall(line)) | dotted) - NOT_METHODS:
                found.setdefault(method, []).append(f"{path.relative_to(REPO)}:{number}")
    return found


def test_every_method_called_is_known() -> None:
    unknown = {m: where for m, where in methods_called().items() if m not in SCOPES}
    assert not unknown, f"add these Web API methods and their scopes to SCOPES: {unknown}"


def test_manifest_scopes_are_exactly_those_used() -> None:
    manifest = yaml.safe_load((REPO / "manifest.yaml").read_text(encoding="utf-8"))
    asked = set(manifest["oauth_config"]["scopes"]["bot"])
    used = set().union(*(SCOPES[m] for m in methods_called() if m in SCOPES))
    for event in manifest["settings"]["event_subscriptions"]["bot_events"]:
        used |= EVENT_SCOPES[event]
    if manifest["features"].get("slash_commands"):
        used.add("commands")
    assert asked == used, f"unused: {sorted(asked - used)}, missing: {sorted(used - asked)}"


def test_the_grep_finds_calls_in_every_form() -> None:
    found = methods_called()
    assert {"chat_postMessage", "users_info", "conversations_members", "auth_test"} <= set(found)
    assert "usergroups_list" not in found  # nothing reads user groups: usergroups:read is not asked
