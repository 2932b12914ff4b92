"""Translation of DuckDB exceptions into mlspm errors that tell the user what to do."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from mlspm.errors import DatabaseLockedError, OutOfMemoryError, ReadOnlyError, StoreError

_LOCK_PID = re.compile(r"Conflicting lock is held in (?P<prog>.*?) \(PID (?P<pid>\d+)\)")


def translate(error: duckdb.Error, db_path: Path | str) -> StoreError:
    """Map a DuckDB exception to the mlspm error a user can act on (never raises)."""
    text = str(error)
    if "Could not set lock" in text:
        match = _LOCK_PID.search(text)
        who = f"process {match['pid']} ({Path(match['prog']).name})" if match else "another process"
        return DatabaseLockedError(
            f"the database {db_path} is in use by {who}",
            hint="only one mlspm can write to a database at a time: close the other mlspm "
            "(or wait for its load to finish), or use another file with --db",
        )
    if "not a valid DuckDB database" in text:
        return StoreError(
            f"{db_path} exists but is not an mlspm (DuckDB) database",
            hint="check --db / MLSPM_DB; mlspm never overwrites a file it does not recognise",
        )
    if "Cannot open file" in text or "No such file or directory" in text:
        return StoreError(f"cannot open the database {db_path}: {_first_line(text)}", hint="check the path")
    if "Permission denied" in text:
        return StoreError(
            f"no permission to open {db_path}", hint="check the file's permissions, or use --db"
        )
    if "read-only" in text.lower() or "read only" in text.lower():
        return ReadOnlyError(
            f"the database {db_path} is open read-only: {_first_line(text)}",
            hint="this command only reads; writes need a database no other mlspm is writing to",
        )
    if "newer" in text and "storage" in text.lower():
        return StoreError(
            f"{db_path} was written by a newer DuckDB: {_first_line(text)}",
            hint="upgrade mlspm (and its duckdb) to open it",
        )
    if isinstance(error, duckdb.OutOfMemoryException):
        return OutOfMemoryError(
            f"DuckDB ran out of memory: {_first_line(text)}",
            hint="loads are capped at MLSPM_MEMORY_LIMIT (e.g. 4GB raises it); otherwise free memory "
            "or work on fewer files at once",
        )
    return StoreError(
        f"database error: {_first_line(text)}",
        hint="this is probably a bug in mlspm — please report it with the command you ran",
    )


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text
