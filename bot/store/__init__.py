"""Storage: engine, tables, migrations and every SQL statement (the only package that talks SQL)."""
