"""DATABASE_URL as people write it, checked and turned into the SQLAlchemy URL the engine needs.

Heroku, Render, Fly and `psql` write `postgres://…`, which SQLAlchemy 2 no longer accepts, and a bare
`postgresql://` would pick psycopg2, which is not installed: both become `postgresql+psycopg://`.
Everything wrong with the URL becomes one ConfigError naming DATABASE_URL, with the password hidden.
"""

from __future__ import annotations

import re

from bot.domain.errors import ConfigError

_POSTGRES_PREFIX = re.compile(r"^(postgres|postgresql)(\+psycopg2)?://", re.IGNORECASE)
_KNOWN_DRIVERS = ("sqlite", "postgresql+psycopg")
_EXAMPLE = "e.g. postgresql://user:password@host:5432/dbname or sqlite:///social_router.db"


def normalize_database_url(raw: str) -> str:
    """The SQLAlchemy URL for `raw`; ConfigError when it cannot name a database this app can open."""
    # Imported here: SQLAlchemy costs a quarter of a second, and `python -m bot --help` or `check`
    # reads Settings without ever opening a database.
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    url = _POSTGRES_PREFIX.sub("postgresql+psycopg://", raw.strip(), count=1)
    try:
        parsed = make_url(url)
        port = parsed.port  # parsed lazily: a non-numeric port raises here
    except (ArgumentError, ValueError):
        raise ConfigError([f"DATABASE_URL is not a database URL ({_shown(raw)}): use {_EXAMPLE}"]) from None
    if parsed.drivername not in _KNOWN_DRIVERS:
        raise ConfigError(
            [f"DATABASE_URL: unsupported database {parsed.drivername!r} ({_shown(raw)}): use {_EXAMPLE}"]
        )
    if port is not None and not 0 < port < 65536:
        raise ConfigError([f"DATABASE_URL: port {port} is out of range 1-65535 ({_shown(raw)})"])
    return url


def shown_url(url: str) -> str:
    """The URL with its password masked, for messages and logs."""
    return _shown(url)


def _shown(raw: str) -> str:
    # Mask "user:password@" by hand: make_url may be the very thing that failed to parse it.
    return re.sub(r"(//[^:/@]*:)[^@/]*@", r"\1***@", raw.strip())
