"""Numbered SQL migrations (``migrations/NNN_name.sql``) applied in order, recorded in schema_migrations."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

import duckdb

_NAME = re.compile(r"^(?P<version>\d{3})_(?P<name>[a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def available() -> list[Migration]:
    """Every migration shipped with mlspm, in version order."""
    found: list[Migration] = []
    for entry in resources.files("mlspm.store.migrations").iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match["version"]), match["name"], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    return found


def applied(con: duckdb.DuckDBPyConnection) -> set[int]:
    """The versions already applied (reads only, so a read-only open can ask too)."""
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = 'schema_migrations'"
    ).fetchall()[0][0]
    if not exists:
        return set()
    return {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}


def pending(con: duckdb.DuckDBPyConnection) -> list[Migration]:
    done = applied(con)
    return [m for m in available() if m.version not in done]


def migrate(con: duckdb.DuckDBPyConnection) -> list[Migration]:
    """Apply every pending migration, each in its own transaction; returns those applied."""
    todo = pending(con)
    if todo:
        con.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
        )
    for migration in todo:
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(migration.sql)
            con.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, now())", [migration.version, migration.name]
            )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return todo
