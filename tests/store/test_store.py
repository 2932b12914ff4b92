"""The store: migrations, UTC, configuration precedence, and clear errors for locked or foreign files."""

from __future__ import annotations

import subprocess
import sys

import pytest

from mlspm.config import DB_ENV_VAR, Config, default_db_path
from mlspm.errors import ConfigError, DatabaseLockedError, StoreError
from mlspm.store import Store
from mlspm.store.database import size_bytes
from mlspm.store.migrate import available


def test_migrations_are_recorded_once(tmp_path):
    db = tmp_path / "m.duckdb"
    with Store(db) as store, store.cursor() as cur:
        versions = cur.execute("SELECT version FROM schema_migrations ORDER BY 1").fetchall()
    assert [v for (v,) in versions] == [m.version for m in available()]
    with Store(db) as store, store.cursor() as cur:  # opening again applies nothing twice
        assert cur.execute("SELECT count(*) FROM schema_migrations").fetchall() == [(len(available()),)]
        tables = {t for (t,) in cur.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert {
        "access_events",
        "assets",
        "lineage",
        "permissions",
        "scan_results",
        "ingest_runs",
        "rejects",
        "asset_locators",
    } <= tables


def test_timestamps_are_utc_whatever_the_machine_zone(tmp_path, monkeypatch):
    monkeypatch.setenv("TZ", "America/Los_Angeles")
    with Store(tmp_path / "t.duckdb") as store, store.cursor() as cur:
        row = cur.execute("SELECT strftime(TIMESTAMPTZ '2026-01-01 10:00:00+02', '%H:%M')").fetchall()
    assert row == [("08:00",)]


def test_db_path_precedence(tmp_path):
    env = {DB_ENV_VAR: str(tmp_path / "env.duckdb"), "HOME": str(tmp_path)}
    assert Config.from_env(tmp_path / "flag.duckdb", env=env).db_path == tmp_path / "flag.duckdb"
    assert Config.from_env(None, env=env).db_path == tmp_path / "env.duckdb"
    assert (
        Config.from_env(None, env={"XDG_DATA_HOME": str(tmp_path)}).db_path
        == tmp_path / "mlspm" / "mlspm.duckdb"
    )
    assert default_db_path({"HOME": "/h"}).name == "mlspm.duckdb"
    with pytest.raises(ConfigError):
        Config.from_env("  ", env={})


def test_a_missing_database_is_a_clear_error_for_readers(tmp_path):
    with pytest.raises(StoreError, match="no mlspm database") as info:
        Store(tmp_path / "nothing.duckdb", create=False)
    assert "mlspm ingest" in info.value.hint


def test_a_file_that_is_not_a_database_is_refused_not_overwritten(tmp_path):
    other = tmp_path / "notes.duckdb"
    other.write_text("my notes" * 1000)
    with pytest.raises(StoreError, match="not an mlspm"):
        Store(other)
    assert other.read_text().startswith("my notes")


def test_a_second_writer_gets_a_clear_message(tmp_path):
    db = tmp_path / "locked.duckdb"
    with Store(db):
        code = (
            "import sys\nfrom pathlib import Path\nfrom mlspm.store import Store\nfrom mlspm.errors import "
            "DatabaseLockedError\ntry:\n    Store(Path(sys.argv[1]))\nexcept DatabaseLockedError as e:\n"
            "    print(e.message); print(e.hint)\n"
        )
        out = subprocess.run(
            [sys.executable, "-c", code, str(db)], capture_output=True, text=True, check=True
        )
    assert "is in use by process" in out.stdout
    assert "only one mlspm can write" in out.stdout


def test_cli_reports_the_lock_without_a_traceback(tmp_path):
    db = tmp_path / "locked.duckdb"
    sample = tmp_path / "ev.jsonl"
    sample.write_text('{"ts": "2026-01-01T00:00:00Z", "principal": "p", "action": "x"}\n')
    with Store(db):
        done = subprocess.run(
            [sys.executable, "-m", "mlspm", "--db", str(db), "ingest", str(sample)],
            capture_output=True,
            text=True,
            check=False,
        )
    assert done.returncode == 1
    assert "error: the database" in done.stderr and "hint:" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_error_classes():
    assert issubclass(DatabaseLockedError, StoreError)
    err = StoreError("m", hint="h")
    assert (str(err), err.hint) == ("m", "h")


def test_a_migrated_database_opens_read_only_and_refuses_writes(tmp_path):
    db = tmp_path / "m.duckdb"
    with Store(db) as store, store.cursor() as cur:
        cur.execute("INSERT INTO rejects VALUES (1, 'f', 1, 'line', 'r', 'x', 1)")
    with Store(db, read_only=True) as store:
        with store.cursor() as cur:
            assert cur.execute("SELECT count(*) FROM rejects").fetchall() == [(1,)]
        with pytest.raises(StoreError, match="read-only"), store.cursor() as cur:
            cur.execute("DELETE FROM rejects")


def _setting(store: Store, name: str) -> str:
    with store.cursor() as cur:
        return str(cur.execute("SELECT current_setting(?)", [name]).fetchall()[0][0])


def test_threads_are_set_for_a_block_and_restored_even_on_error(tmp_path):
    with Store(tmp_path / "t.duckdb") as store:

        def threads() -> int:
            return int(_setting(store, "threads"))

        before = threads()
        with store.threads(1):
            assert threads() == 1
        assert threads() == before
        with pytest.raises(RuntimeError), store.threads(1):
            raise RuntimeError("a load failed")
        assert threads() == before


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1GB", 10**9),
        ("128MB", 128 * 10**6),
        ("953.6 MiB", int(953.6 * 2**20)),
        ("4 gib", 4 * 2**30),
        ("512", 512),
        ("lots", None),
        ("", None),
    ],
)
def test_size_bytes_reads_duckdb_sizes(text, expected):
    assert size_bytes(text) == expected


def test_memory_cap_lowers_for_a_block_and_restores_the_bound_value_exactly(tmp_path):
    with Store(tmp_path / "m.duckdb") as store:

        def limit() -> str:
            return _setting(store, "memory_limit")

        default = limit()
        with store.memory_cap("100MB"):
            assert limit() == "95.3 MiB"  # DuckDB reports it rounded, in MiB
        assert limit() == default  # never bound: DuckDB's default comes back
        store.bound_memory("1GB")
        bound = limit()
        for _ in range(20):  # written back as set, so repeated restores do not drift
            with store.memory_cap("100MB"):
                pass
        assert limit() == bound
        with pytest.raises(RuntimeError), store.memory_cap("100MB"):
            raise RuntimeError("a load failed")
        assert limit() == bound
        with store.memory_cap("8GB"):  # above the current cap: left alone
            assert limit() == bound
