"""The SQL console is read-only: no writes, ATTACH, COPY TO, INSTALL/LOAD or file reads; a time limit."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlspm.query import QueryService
from mlspm.query.readonly import SqlRefused
from mlspm.store import Store


@pytest.fixture
def service(tmp_path: Path):
    secret = tmp_path / "secret.csv"
    secret.write_text("token\nhunter2\n")
    with Store(tmp_path / "db.duckdb") as store:
        with store.cursor() as cur:
            cur.execute("CREATE SEQUENCE probe_seq")
        svc = QueryService(store)
        svc.lock_down()  # as the workbench does before it starts
        yield svc, secret


ATTEMPTS = [
    "INSERT INTO rejects VALUES (1, 'f', 1, 'line', 'r', 'x', 1)",
    "UPDATE findings SET severity = 'info'",
    "DELETE FROM triage",
    "DROP TABLE access_events",
    "CREATE TABLE x AS SELECT 1",
    "ALTER TABLE assets ADD COLUMN y INT",
    "ATTACH '{tmp}/other.duckdb' AS other",
    "COPY access_events TO '{tmp}/out.csv'",
    "EXPORT DATABASE '{tmp}/dump'",
    "INSTALL httpfs",
    "LOAD httpfs",
    "SET enable_external_access = true",
    "PRAGMA enable_profiling",
    "CALL pragma_version()",
    "SELECT 1; DROP TABLE access_events",
    "EXPLAIN ANALYZE DELETE FROM triage",
    "SELECT * FROM read_csv('{secret}')",
    "SELECT * FROM '{secret}'",
    "SELECT content FROM read_text('{secret}')",
    "SELECT * FROM glob('{tmp}/*')",
    "SELECT nextval('probe_seq')",
    "SELECT * FROM read_parquet('https://example.com/x.parquet')",
]


@pytest.mark.parametrize("statement", ATTEMPTS)
def test_refused(service, statement):
    svc, secret = service
    sql = statement.format(tmp=secret.parent, secret=secret)
    with pytest.raises(SqlRefused):
        svc.sql(sql)
    # nothing happened: the tables are intact, no file appeared
    assert svc.sql("SELECT count(*) FROM access_events").rows == [(0,)]
    assert sorted(p.name for p in secret.parent.iterdir() if not p.name.startswith("db.duckdb")) == [
        "secret.csv"
    ]


def test_reads_work_and_errors_say_why(service):
    svc, _ = service
    result = svc.sql("SELECT 1 AS one, 'x' AS two")
    assert result.columns == ("one", "two") and result.rows == [(1, "x")]
    with pytest.raises(SqlRefused, match=r"(?i)no_such_table|does not exist"):
        svc.sql("SELECT * FROM no_such_table")


def test_a_runaway_query_is_stopped(service):
    svc, _ = service
    with pytest.raises(SqlRefused, match="stopped after"):
        svc.sql("SELECT count(*) FROM range(100000000) a, range(100000000) b", seconds=0.5)
    assert svc.sql("SELECT 42").rows == [(42,)]  # the connection is usable afterwards
