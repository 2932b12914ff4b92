"""Ingest orchestration: each file detected, loaded in its own transaction, recorded in ingest_runs."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from mlspm import __version__
from mlspm.config import Config
from mlspm.errors import DatabaseLockedError, MlspmError, ReadOnlyError
from mlspm.ingest import linking
from mlspm.ingest.context import Counts, LoadContext, NeedsExactPass
from mlspm.ingest.detect import detect
from mlspm.ingest.formats.base import Format
from mlspm.ingest.source import UnreadableFile, file_sha256, iter_files, take_sample
from mlspm.store import Cursor, Store


class Status:
    LOADED = "loaded"
    ALREADY_LOADED = "already_loaded"
    UNREADABLE = "unreadable"
    UNRECOGNIZED = "unrecognized"
    FAILED = "failed"

    NOT_LOADED = (UNREADABLE, UNRECOGNIZED, FAILED)


@dataclass
class FileResult:
    """What happened to one file."""

    path: Path
    status: str
    format: str | None = None
    title: str | None = None
    run_id: int | None = None
    counts: Counts = field(default_factory=Counts)
    seconds: float = 0.0
    message: str | None = None
    warnings: list[str] = field(default_factory=list)
    size: int = 0


@dataclass
class IngestReport:
    batch_id: str
    files: list[FileResult] = field(default_factory=list)

    @property
    def failed(self) -> list[FileResult]:
        return [f for f in self.files if f.status in Status.NOT_LOADED]

    def total(self, attr: str) -> int:
        return sum(getattr(f.counts, attr) for f in self.files)


ProgressHook = Callable[[str, Path, FileResult | None], None]
"""Called with ("start", path, None) and ("done", path, result) around every file."""


def ingest_paths(
    store: Store,
    paths: Iterable[Path],
    config: Config,
    *,
    progress: ProgressHook | None = None,
    force_format: Format | None = None,
) -> IngestReport:
    """Load every file under ``paths``. A file that fails never stops the others."""
    report = IngestReport(batch_id=_new_batch_id())
    own = {store.path.resolve(), Path(f"{store.path.resolve()}.wal")}
    for path in iter_files(paths):
        if path.resolve() in own:
            continue  # never read the database (or its write-ahead log) as an input
        if progress:
            progress("start", path, None)
        result = ingest_file(store, path, config, report.batch_id, force_format=force_format)
        report.files.append(result)
        if progress:
            progress("done", path, result)
    return report


def ingest_file(
    store: Store, path: Path, config: Config, batch_id: str, *, force_format: Format | None = None
) -> FileResult:
    """Load one file as one transaction; its outcome is always recorded in ``ingest_runs``."""
    started = time.perf_counter()
    started_at = datetime.now(UTC)
    path = path.absolute()
    result = FileResult(path=path, status=Status.FAILED)
    sha: str | None = None
    try:
        if not path.exists():
            raise UnreadableFile("no such file")
        if not path.is_file():
            raise UnreadableFile("not a regular file")
        result.size = path.stat().st_size
        sha = file_sha256(path)
        previous = _already_loaded(store, sha)
        if previous is not None:
            result.status = Status.ALREADY_LOADED
            result.message = f"already loaded (same content as {previous})"
            result.format = _format_of_run(store, sha)
            _record(store, result, batch_id, sha, started_at)
            return result
        sample = take_sample(path, result.size)
        fmt = force_format
        if fmt is None:
            found = detect(sample)
            if found.format is None:
                result.status = Status.UNRECOGNIZED
                result.message = found.reason
                _record_unloaded(store, result, batch_id, sha, started_at)
                return result
            fmt = found.format
        result.format, result.title = fmt.name, fmt.title
        _load(store, fmt, path, sample, config, batch_id, sha, started_at, result)
    except UnreadableFile as exc:
        result.status = Status.UNREADABLE
        result.message = str(exc)
        _record_unloaded(store, result, batch_id, sha, started_at)
    except (DatabaseLockedError, ReadOnlyError):
        raise
    except MlspmError as exc:
        result.status = Status.FAILED
        result.message = f"could not load: {exc.message}"
        _record_unloaded(store, result, batch_id, sha, started_at)
    except Exception as exc:  # a loader bug or unexpected content: the file fails, the others go on
        result.status = Status.FAILED
        result.message = f"could not load: {type(exc).__name__}: {exc}"
        _record_unloaded(store, result, batch_id, sha, started_at)
    finally:
        result.seconds = time.perf_counter() - started
    return result


def _load(
    store: Store,
    fmt: Format,
    path: Path,
    sample: object,
    config: Config,
    batch_id: str,
    sha: str,
    started_at: datetime,
    result: FileResult,
) -> None:
    try:
        _load_once(store, fmt, path, sample, config, batch_id, sha, started_at, result, exact=False)
    except NeedsExactPass:
        _load_once(store, fmt, path, sample, config, batch_id, sha, started_at, result, exact=True)


def _load_once(
    store: Store,
    fmt: Format,
    path: Path,
    sample: object,
    config: Config,
    batch_id: str,
    sha: str,
    started_at: datetime,
    result: FileResult,
    *,
    exact: bool,
) -> None:
    with store.transaction() as cur:
        run_id = _next_run_id(cur)
        ctx = LoadContext(
            cur=cur, path=path, run_id=run_id, sample=sample,  # type: ignore[arg-type]
            config=config, format_name=fmt.name, target_table=fmt.target_table, exact=exact,
        )
        fmt.load(ctx)
        ctx.flush_rejects()
        linking.link_run(cur, ctx)
        result.run_id = run_id
        result.status = Status.LOADED
        result.counts = ctx.counts
        result.warnings = ctx.warnings
        result.message = "; ".join(ctx.warnings) or None
        _insert_run(cur, run_id, result, batch_id, sha, started_at, ctx.target_table)


def _record_unloaded(
    store: Store, result: FileResult, batch_id: str, sha: str | None, started_at: datetime
) -> None:
    """A file that could not be loaded at all: one ingest_runs row and one whole-file reject."""
    with store.transaction() as cur:
        run_id = _next_run_id(cur)
        result.run_id = run_id
        result.counts = Counts(rejected=1)
        _insert_run(cur, run_id, result, batch_id, sha, started_at, None)
        cur.execute(
            "INSERT INTO rejects VALUES (?, ?, NULL, 'file', ?, NULL, ?)",
            [run_id, str(result.path), result.message or result.status, result.size],
        )


def _record(store: Store, result: FileResult, batch_id: str, sha: str | None, started_at: datetime) -> None:
    with store.transaction() as cur:
        result.run_id = _next_run_id(cur)
        _insert_run(cur, result.run_id, result, batch_id, sha, started_at, None)


def _insert_run(
    cur: Cursor,
    run_id: int,
    result: FileResult,
    batch_id: str,
    sha: str | None,
    started_at: datetime,
    target_table: str | None,
) -> None:
    cur.execute(
        "INSERT INTO ingest_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now(), ?)",
        [
            run_id, batch_id, str(result.path), sha, result.size, result.format, result.status,
            target_table, result.counts.loaded, result.counts.duplicate, result.counts.rejected,
            result.message, started_at, __version__,
        ],
    )


def _next_run_id(cur: Cursor) -> int:
    rows = cur.execute("SELECT nextval('ingest_run_seq')").fetchall()
    return int(rows[0][0])


def _already_loaded(store: Store, sha: str) -> str | None:
    with store.cursor() as cur:
        row = cur.execute(
            "SELECT path FROM ingest_runs WHERE sha256 = ? AND status = 'loaded' ORDER BY run_id LIMIT 1",
            [sha],
        ).fetchone()
    return str(row[0]) if row else None


def _format_of_run(store: Store, sha: str) -> str | None:
    with store.cursor() as cur:
        row = cur.execute(
            "SELECT format FROM ingest_runs WHERE sha256 = ? AND status = 'loaded' LIMIT 1", [sha]
        ).fetchone()
    return str(row[0]) if row else None


def _new_batch_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:8]
