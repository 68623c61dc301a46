"""Storage: engine, tables, migrations and every SQL statement (the only package that talks SQL)."""

import logging

# Alembic narrates every plugin (at import) and step at INFO; `bot.store.migrate` logs the one line that
# matters ("schema upgraded: a → b"). Set here, before anything in this package imports alembic.
logging.getLogger("alembic").setLevel(logging.WARNING)
