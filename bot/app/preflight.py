"""Start-up failures a new team hits, turned into one ConfigError line naming the variable and the fix.

`python -m bot` prints a ConfigError as one line and exits 2, so whatever fails while the process
starts (Slack refusing the token, Slack or the database unreachable, the port taken) is caught here,
where we still know which setting was involved, instead of surfacing as a traceback.
"""

from __future__ import annotations

import errno
import logging
import socket
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.domain.dburl import shown_url
from bot.domain.errors import ConfigError
from bot.store.engine import DBAPIError

T = TypeVar("T")
# auth.test errors that mean "this token is wrong", as opposed to Slack having a bad moment
_BAD_TOKEN = frozenset(
    {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired", "no_permission"}
)

_PROBE_LOG = logging.getLogger("bot.app.preflight.probe")
_PROBE_LOG.propagate = False
_PROBE_LOG.addHandler(logging.NullHandler())


def slack_identity(client: WebClient, api_url: str) -> dict[str, Any]:
    """auth.test: who the bot is. A refused token or an unreachable Slack becomes a ConfigError."""
    try:
        return dict(_probe(client).auth_test().data)  # type: ignore[arg-type]
    except SlackApiError as exc:
        error = str(exc.response.get("error") or exc.response.status_code)
        if error in _BAD_TOKEN:
            raise ConfigError(
                [
                    f"SLACK_BOT_TOKEN was refused by Slack ({error}): copy the Bot User OAuth Token "
                    "(xoxb-…) from your app's OAuth & Permissions page, reinstalling the app if needed"
                ]
            ) from None
        raise ConfigError([f"SLACK_BOT_TOKEN could not be checked: auth.test answered {error}"]) from None
    except (URLError, OSError, SlackClientError) as exc:
        raise ConfigError(
            [
                f"Slack is unreachable at {api_url} ({_reason(exc)}): check the network or proxy, "
                "and SLACK_API_URL if you set it"
            ]
        ) from None


def with_database(url: str, action: Callable[[], T]) -> T:
    """Run the first database statement; a server that cannot be reached is a DATABASE_URL problem."""
    try:
        return action()
    except DBAPIError as exc:
        if not exc.connection_invalidated and exc.orig is not None and _is_connect_error(exc):
            detail = str(exc.orig).strip()
            first = detail.splitlines()[0] if detail else type(exc.orig).__name__
            raise ConfigError(
                [
                    f"DATABASE_URL: cannot connect to {shown_url(url)} ({first}): is the server up, and the "
                    "host, port, user and password right?"
                ]
            ) from None
        raise


def bind(create: Callable[[], T], host: str, port: int) -> T:
    """Open the listening socket; a port in use or not allowed becomes a ConfigError about --port."""
    try:
        return create()
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise ConfigError(
                [
                    f"--port {port}: {host}:{port} is already in use (another `python -m bot serve`?): "
                    "stop that process or pass another --port"
                ]
            ) from None
        if exc.errno in (errno.EACCES, errno.EADDRNOTAVAIL):
            problem = f"--port {port} / --host {host}: cannot listen there ({exc.strerror})"
            raise ConfigError([problem]) from None
        raise


def check_app_token(client: WebClient, app_token: str) -> None:
    """Socket Mode: ask apps.connections.open once before any worker starts, so a refused
    SLACK_APP_TOKEN stops start-up in one line instead of in Bolt's reconnect loop."""
    try:
        _probe(client).apps_connections_open(app_token=app_token)
    except SlackApiError as exc:
        error = str(exc.response.get("error") or exc.response.status_code)
        raise ConfigError(
            [
                f"SLACK_APP_TOKEN was refused by Slack ({error}): create an app-level token with the "
                "connections:write scope under Basic Information → App-Level Tokens, and enable Socket Mode"
            ]
        ) from None
    except (URLError, OSError, SlackClientError) as exc:
        raise ConfigError([f"Slack is unreachable ({_reason(exc)}): check the network or proxy"]) from None


def _probe(client: WebClient) -> WebClient:
    """A copy of `client` for start-up checks. The check reports its failure in one line; the SDK's
    own ERROR log lines about the same failure would only repeat it."""
    return WebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=client.timeout,
        retry_handlers=client.retry_handlers,
        logger=_PROBE_LOG,
    )


def _is_connect_error(exc: DBAPIError) -> bool:
    # psycopg: OperationalError "connection failed"/"could not connect"; sqlite: "unable to open".
    text = str(exc.orig).lower()
    return type(exc.orig).__name__ == "OperationalError" and any(
        hint in text for hint in ("connect", "unable to open", "connection", "resolve", "timeout")
    )


def _reason(exc: BaseException) -> str:
    inner: BaseException | str = exc.reason if isinstance(exc, URLError) else exc
    if isinstance(inner, socket.gaierror):
        return "host name not found"
    if isinstance(inner, ConnectionRefusedError):
        return "connection refused"
    if isinstance(inner, TimeoutError | socket.timeout):
        return "timed out"
    return str(inner).strip() or type(inner).__name__
