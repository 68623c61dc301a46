"""The demo's sender: renders outbox messages readably to a terminal instead of posting them to Slack."""

from __future__ import annotations

import html
import itertools
import json
import re
import threading
from collections.abc import Mapping
from typing import Any, TextIO

from bot.delivery.base import SentMessage

_BOLD_LABEL = re.compile(r"\*([A-Z][\w ]{0,30}:?)\*")  # "*Author*" field labels read better plain
_LINKS = re.compile(r"<(https?://[^|>]+)(?:\|([^>]*))?>")


class TerminalSender:
    """Renders messages readably to a text stream for `python -m bot demo` (no Slack needed)."""

    def __init__(
        self, stream: TextIO, *, channel_names: Mapping[str, str] | None = None, color: bool = False
    ) -> None:
        self._stream = stream
        self._names = dict(channel_names or {})  # channel id -> name
        self._color = color
        self._ts = itertools.count(1)
        self._lock = threading.Lock()
        self.received: dict[str, list[dict[str, Any]]] = {}  # channel label -> payloads, in order

    def label(self, channel: str) -> str:
        name = self._names.get(channel)
        if name:
            return name if name.startswith("#") else f"#{name}"
        return channel

    def send(
        self,
        channel: str,
        payload: dict[str, Any],
        *,
        thread_ts: str | None = None,
        metadata: dict[str, Any] | None = None,  # noqa: ARG002 (the Sender protocol; nothing to tag here)
    ) -> SentMessage:
        with self._lock:
            ts = f"1700000000.{next(self._ts):06d}"
            label = self.label(channel)
            self.received.setdefault(label, []).append(payload)
            title = f"── {label} " + ("(thread reply) " if thread_ts else "")
            self._write(title.ljust(72, "─"), payload, indent="    " if thread_ts else "  ")
        return SentMessage(channel=channel, ts=ts)

    def open_dm(self, user: str) -> str:
        return user  # the terminal has no IM channels

    def upload(self, channel: str, content: bytes, details: dict[str, Any]) -> SentMessage:
        with self._lock:
            note = {"text": f"[chart {details.get('filename', '')}: {len(content)} bytes]"}
            self._write(f"── {self.label(channel)} (file) ".ljust(72, "─"), note, indent="  ")
        return SentMessage(channel=channel, ts="")

    def find_posted(
        self,
        channel: str,  # noqa: ARG002 (the Sender protocol)
        *,
        oldest: float,  # noqa: ARG002
        thread_ts: str | None,  # noqa: ARG002
        event_type: str,  # noqa: ARG002
    ) -> dict[int, str]:
        return {}  # a terminal write cannot time out half-way: nothing is ever uncertain

    def update(self, channel: str, ts: str, payload: dict[str, Any]) -> None:
        with self._lock:
            self._write(f"── {self.label(channel)} (card {ts} updated) ".ljust(72, "─"), payload, indent="  ")

    def _write(self, title: str, payload: dict[str, Any], *, indent: str) -> None:
        bold, dim, reset = ("\033[1m", "\033[2m", "\033[0m") if self._color else ("", "", "")
        lines = render_text(payload)
        self._stream.write(f"{bold}{title}{reset}\n")
        for line in lines:
            self._stream.write(
                f"{indent}{dim if line.startswith('·') else ''}{line}{reset if line else ''}\n"
            )
        self._stream.write("\n")
        self._stream.flush()


def render_text(payload: dict[str, Any]) -> list[str]:
    """Block Kit payload → readable plain lines (buttons as [Acknowledge], selects as [Reassign ▾])."""
    blocks = payload.get("blocks") or []
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    if not blocks:
        return _unescape(str(payload.get("text", ""))).splitlines()
    lines: list[str] = []
    for block in blocks:
        lines.extend(_block_lines(block))
    return lines


def _block_lines(block: dict[str, Any]) -> list[str]:
    kind = block.get("type")
    if kind == "header":
        return [_unescape(block["text"]["text"]).upper()]
    if kind == "section":
        lines = _unescape((block.get("text") or {}).get("text", "")).splitlines()
        fields = [_unescape(f["text"]).replace("\n", " ") for f in block.get("fields", [])]
        return lines + ([" | ".join(fields)] if fields else [])
    if kind == "context":
        return ["· " + "  ".join(_unescape(e.get("text", "")) for e in block.get("elements", []))]
    if kind == "actions":
        return [" ".join(_control(e) for e in block.get("elements", []))]
    if kind == "divider":
        return [""]
    return []


def _control(element: dict[str, Any]) -> str:
    if element.get("type") == "button":
        return f"[{element['text']['text']}]"
    return f"[{(element.get('placeholder') or {}).get('text', 'Select')} ▾]"


def _unescape(text: str) -> str:
    # Slack mrkdwn escapes only &, < and >; links render as "label (url)" in a terminal.
    text = _LINKS.sub(lambda m: f"{m.group(2)} ({m.group(1)})" if m.group(2) else m.group(1), text)
    text = _BOLD_LABEL.sub(r"\1", text)
    return html.unescape(text).replace("\u200b", "")
