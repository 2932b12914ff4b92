"""Shared fixtures: a fresh store per test, the real third-party samples, and an ingest helper."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mlspm.config import Config
from mlspm.ingest import IngestReport, ingest_paths
from mlspm.store import Store

REPO = Path(__file__).resolve().parent.parent
REAL_SAMPLES = (REPO / ".." / "shared" / "real_samples").resolve()


@pytest.fixture
def real_samples() -> Path:
    if not REAL_SAMPLES.is_dir():
        pytest.skip(f"real samples not found at {REAL_SAMPLES}")
    return REAL_SAMPLES


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return Config(db_path=tmp_path / "mlspm.duckdb")


@pytest.fixture
def store(config: Config) -> Iterator[Store]:
    with Store(config.db_path) as s:
        yield s


Ingest = Callable[..., IngestReport]


@pytest.fixture
def ingest(store: Store, config: Config) -> Ingest:
    """ingest(path, ...) -> IngestReport, into the test's store."""

    def run(*paths: Path | str, cfg: Config | None = None) -> IngestReport:
        return ingest_paths(store, [Path(p) for p in paths], cfg or config)

    return run


@pytest.fixture
def query(store: Store) -> Callable[..., list[tuple[object, ...]]]:
    """query(sql, params) -> all rows, from the test's store."""

    def run(sql: str, params: list[object] | None = None) -> list[tuple[object, ...]]:
        with store.cursor() as cur:
            return cur.execute(sql, params or []).fetchall()

    return run
