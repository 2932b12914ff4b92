"""Ingest orchestration: each file detected by content and loaded atomically, its outcome recorded.

A file is never partly loaded. Most files are one transaction each; small files of a format that
arrives as many small objects (CloudTrail deliveries, S3 access-log objects) are committed in
groups, all or none, because per-transaction overhead would otherwise dominate. If anything goes
wrong inside a group, the group is rolled back and its files are loaded again one by one, so one
bad file never costs the others.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from mlspm import __version__
from mlspm.config import Config
from mlspm.errors import DatabaseLockedError, MlspmError, OutOfMemoryError, ReadOnlyError, StoreError
from mlspm.ingest import linking
from mlspm.ingest.bulk import RowBuffer
from mlspm.ingest.context import Counts, LoadContext, NeedsExactPass
from mlspm.ingest.detect import detect
from mlspm.ingest.formats.base import Format
from mlspm.ingest.source import Sample, UnreadableFile, file_sha256, iter_files, take_sample
from mlspm.store import Cursor, Store

GROUP_MAX_FILES = 128
GROUP_MAX_BYTES = 8 * 1024 * 1024
"""Content size (estimated for gzip) of one group: bounds the memory a group's transaction needs."""
GROUP_FILE_MAX_BYTES = 4 * 1024 * 1024
"""Only files up to this content size join a group; bigger ones are worth a transaction of their own."""
FILE_MEMORY_LIMIT = "384MB"
"""DuckDB's memory cap while one file loads; past it DuckDB spills to its temporary file. A file
that needs more (DuckDB out of memory) is loaded again under the whole load cap (MLSPM_MEMORY_LIMIT,
1 GB by default). Against 1 GB, 384 MB costs a 1M-event JSON-lines log no time (256 MB cost it
15%) and holds a 5 GB log's load to 555 MB instead of 1.2 GB."""
GROUP_MEMORY_LIMIT = "128MB"
"""DuckDB's memory cap while a group of small files loads. Its working set is a few tens of MB, so
the cap mostly applies to table rows committed but not yet checkpointed: DuckDB holds those
uncompressed in RAM (149 MB after 100k CloudTrail records, mostly their raw JSON) and under the cap
moves them to its temporary file instead. A group that fails loads again file by file."""
_GZIP_RATIO = 10  # JSON logs compress about tenfold
HASH_AHEAD_BYTES = 32 * 1024 * 1024
"""A new file at least this big is hashed on a second core while it loads (DuckDB reads one JSON
file on about one core): its sha256 then costs no time. Whether it was loaded before (under another
name) is known only at the end, when the load is rolled back. A path loaded before with the same
size is hashed first, so re-ingesting a directory skips its old files without reading them twice."""


class _AlreadyLoaded(Exception):
    """A file hashed during its load turned out to be loaded before: its transaction is undone."""


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
    sha256: str | None = None
    head: str | None = None
    """For a file that is text but matched no format: its first characters, kept with the reject."""
    internal_error: bool = False
    """The loader itself failed (a bug), as opposed to content it refused with a reason."""
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))


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
"""Called with ("start", path, None) when a file is read and ("done", path, result) when settled."""


@dataclass
class _Pending:
    """A file read, hashed and recognised, waiting to be loaded."""

    result: FileResult
    fmt: Format
    sample: Sample
    clock: float
    digest: Future[str] | None = None
    """The file's sha256 while it is still being computed (see HASH_AHEAD_BYTES)."""
    prepared_s: float = 0.0
    """Seconds spent hashing, sampling and detecting it (a grouped file's own share of the work)."""


class _Ingest:
    def __init__(self, store: Store, config: Config, progress: ProgressHook | None, force: Format | None):
        self.store = store
        self.config = config
        self.progress = progress
        self.force = force
        self.report = IngestReport(batch_id=_new_batch_id())
        self.group: list[_Pending] = []
        self.group_bytes = 0
        self.unloaded: list[FileResult] = []
        self.seen, self.known_files = _loaded_before(store)
        self._hasher: ThreadPoolExecutor | None = None

    def run(self, paths: Iterable[Path]) -> IngestReport:
        try:
            return self._run(paths)
        finally:
            if self._hasher is not None:
                self._hasher.shutdown(wait=True, cancel_futures=True)

    def _run(self, paths: Iterable[Path]) -> IngestReport:
        db = self.store.path.resolve()
        own = {db, Path(f"{db}.wal")}
        spill = Path(f"{db}.tmp")  # DuckDB's temporary directory: loads spill there past their cap
        for path in iter_files(paths):
            resolved = path.resolve()
            if resolved in own or spill in resolved.parents:
                continue  # never read the database, its write-ahead log or its spill files as input
            if self.progress:
                self.progress("start", path, None)
            pending = self._prepare(path)
            if pending is None:
                continue
            if self._groupable(pending):
                size = _content_size(pending)
                if self.group and (
                    self.group[0].fmt.name != pending.fmt.name
                    or len(self.group) >= GROUP_MAX_FILES
                    or self.group_bytes + size > GROUP_MAX_BYTES
                ):
                    self._flush_group()
                self.group.append(pending)
                self.group_bytes += size
            else:
                self._flush_group()
                self._load_one(pending)
        self._flush_group()
        self._record_unloaded()
        self._checkpoint()
        return self.report

    def _checkpoint(self) -> None:
        """Write the loaded rows into the database file now, under the group cap.

        Under the lean caps DuckDB moved them to its temporary file; the checkpoint it runs at close
        would read them back under the whole load cap (50 MB more peak memory for 100k CloudTrail
        records). With nothing loaded it has nothing to do. Best-effort: the rows are committed either
        way, and a checkpoint refused now (another transaction open in this process) happens later.
        """
        try:
            with self.store.memory_cap(GROUP_MEMORY_LIMIT), self.store.cursor() as cur:
                cur.execute("CHECKPOINT")
        except StoreError:
            pass

    # -- reading and recognising -------------------------------------------------------------
    def _prepare(self, path: Path) -> _Pending | None:
        clock = time.perf_counter()
        result = FileResult(path=path.absolute(), status=Status.FAILED)
        try:
            if not path.exists():
                raise UnreadableFile("no such file")
            if not path.is_file():
                raise UnreadableFile("not a regular file")
            result.size = path.stat().st_size
            digest: Future[str] | None = None
            sha = ""
            if result.size >= HASH_AHEAD_BYTES and (str(result.path), result.size) not in self.known_files:
                if self._hasher is None:
                    self._hasher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mlspm-hash")
                digest = self._hasher.submit(file_sha256, path)
            else:
                result.sha256 = sha = file_sha256(path)
                if sha in self.seen:
                    result.status = Status.ALREADY_LOADED
                    result.message = f"already loaded (same content as {self.seen[sha]})"
                    self._settle(result, clock, reject=False)
                    return None
            sample = take_sample(path, result.size)
            fmt = self.force
            if fmt is None:
                found = detect(sample)
                if found.format is None:
                    result.status = Status.UNRECOGNIZED
                    result.message = found.reason
                    result.head = sample.text[: self.config.reject_raw_bytes]
                    self._settle(result, clock, reject=True)
                    return None
                fmt = found.format
        except UnreadableFile as exc:
            result.status = Status.UNREADABLE
            result.message = str(exc)
            self._settle(result, clock, reject=True)
            return None
        except OSError as exc:
            result.status = Status.UNREADABLE
            result.message = f"cannot read: {exc.strerror or exc}"
            self._settle(result, clock, reject=True)
            return None
        result.format, result.title = fmt.name, fmt.title
        if digest is None:
            self.seen[sha] = str(result.path)
        return _Pending(result, fmt, sample, clock, digest, time.perf_counter() - clock)

    def _check_digest(self, pending: _Pending) -> None:
        """For a file hashed during its load: raise _AlreadyLoaded (undoing the load) if known."""
        if pending.digest is None:
            return
        result = pending.result
        try:
            result.sha256 = sha = pending.digest.result()
        except OSError as exc:
            raise UnreadableFile(f"cannot read: {exc.strerror or exc}") from exc
        if sha in self.seen:
            raise _AlreadyLoaded(self.seen[sha])

    def _groupable(self, pending: _Pending) -> bool:
        check = getattr(pending.fmt, "groupable", None)
        return bool(
            check is not None
            and pending.digest is None
            and _content_size(pending) <= GROUP_FILE_MAX_BYTES
            and check(pending.sample)
        )

    # -- loading -------------------------------------------------------------------------------
    def _flush_group(self) -> None:
        group, self.group, self.group_bytes = self.group, [], 0
        if not group:
            return
        if len(group) == 1:
            self._load_one(group[0])
            return
        fmt = group[0].fmt
        started = time.perf_counter()
        try:
            # One DuckDB thread: a group is too small to split across threads, and the second
            # thread's buffers cost 40 MB of peak memory for no time saved (100k CloudTrail records).
            with (
                self.store.threads(1),
                self.store.memory_cap(GROUP_MEMORY_LIMIT),
                self.store.transaction() as cur,
            ):
                run_ids = _next_run_ids(cur, len(group))
                ctxs = [
                    self._context(cur, p, run_id, exact=False)
                    for p, run_id in zip(group, run_ids, strict=True)
                ]
                fmt.load_group(ctxs)  # type: ignore[attr-defined]
                for ctx in ctxs:
                    ctx.flush_rejects()
                linking.link_runs(cur, ctxs)
                for p, ctx in zip(group, ctxs, strict=True):
                    self._loaded(p, ctx)
                _insert_runs(cur, [p.result for p in group], self.report.batch_id)
        except (DatabaseLockedError, ReadOnlyError):
            raise
        except Exception:
            for p in group:
                p.result.counts = Counts()
                self._load_one(p)
            return
        # Each file's time is its own preparation plus an equal share of the group's load, so the
        # per-file seconds add up to the wall time instead of counting the group's once per file.
        share = (time.perf_counter() - started) / len(group)
        for p in group:
            self._done(p.result, p.clock, seconds=p.prepared_s + share)

    def _load_one(self, pending: _Pending) -> None:
        result = pending.result
        try:
            try:
                self._capped_transaction(pending, exact=False)
            except NeedsExactPass:
                self._capped_transaction(pending, exact=True)
        except (DatabaseLockedError, ReadOnlyError):
            raise
        except _AlreadyLoaded as exc:
            result.status = Status.ALREADY_LOADED
            result.message = f"already loaded (same content as {exc})"
            result.counts = Counts()
            self._settle(result, pending.clock, reject=False)
            return
        except OutOfMemoryError as exc:  # even under the whole cap: what to change is the point
            self._failed(pending, f"{exc.message} — {exc.hint}")
            return
        except MlspmError as exc:
            self._failed(pending, exc.message)
            return
        except (ValueError, UnreadableFile) as exc:  # content the loader cannot read (damage past the head)
            self._failed(pending, str(exc))
            return
        except Exception as exc:  # a loader bug or content we did not foresee: this file fails alone
            pending.result.internal_error = True
            self._failed(
                pending,
                f"internal error ({type(exc).__name__}: {exc}) — a bug in mlspm; the file was not loaded, "
                "please report it",
            )
            return
        self._done(result, pending.clock)

    def _capped_transaction(self, pending: _Pending, *, exact: bool) -> None:
        """The file's transaction under FILE_MEMORY_LIMIT; once more under the whole cap if short."""
        try:
            with self.store.memory_cap(FILE_MEMORY_LIMIT):
                self._transaction(pending, exact=exact)
        except OutOfMemoryError:
            self._transaction(pending, exact=exact)

    def _transaction(self, pending: _Pending, *, exact: bool) -> None:
        pending.result.counts = Counts()
        with self.store.transaction() as cur:
            ctx = self._context(cur, pending, _next_run_ids(cur, 1)[0], exact=exact)
            pending.fmt.load(ctx)
            ctx.flush_rejects()
            linking.link_runs(cur, [ctx])
            self._check_digest(pending)
            self._loaded(pending, ctx)
            _insert_runs(cur, [pending.result], self.report.batch_id)
        if pending.digest is not None:  # known only now that it is committed: a retry is not a repeat
            self.seen[pending.result.sha256 or ""] = str(pending.result.path)

    def _context(self, cur: Cursor, pending: _Pending, run_id: int, *, exact: bool) -> LoadContext:
        result = pending.result
        result.run_id = run_id
        return LoadContext(
            cur=cur,
            path=result.path,
            run_id=result.run_id,
            sample=pending.sample,
            config=self.config,
            format_name=pending.fmt.name,
            target_table=pending.fmt.target_table,
            exact=exact,
        )

    @staticmethod
    def _loaded(pending: _Pending, ctx: LoadContext) -> None:
        result = pending.result
        result.status = Status.LOADED
        result.counts = ctx.counts
        result.warnings = ctx.warnings
        result.message = "; ".join(ctx.warnings) or None
        result.target_table = ctx.target_table  # type: ignore[attr-defined]

    def _failed(self, pending: _Pending, message: str) -> None:
        result = pending.result
        result.status = Status.FAILED
        result.message = f"could not load: {message}"
        self.seen.pop(result.sha256 or "", None)
        self._settle(result, pending.clock, reject=True)

    # -- recording -----------------------------------------------------------------------------
    def _settle(self, result: FileResult, clock: float, *, reject: bool) -> None:
        """A file that loaded nothing: recorded (with one whole-file reject for a failure) in bulk."""
        if reject:
            result.counts = Counts(rejected=1)
        self.unloaded.append(result)
        if len(self.unloaded) >= 500:
            self._record_unloaded()
        self._done(result, clock)

    def _record_unloaded(self) -> None:
        results, self.unloaded = self.unloaded, []
        if not results:
            return
        with self.store.transaction() as cur:
            for result, run_id in zip(results, _next_run_ids(cur, len(results)), strict=True):
                result.run_id = run_id
            rejects = RowBuffer(
                cur, "rejects", ("run_id", "path", "position_kind", "reason", "raw", "raw_bytes")
            )
            for r in results:
                if r.counts.rejected:
                    rejects.append((r.run_id, str(r.path), "file", r.message or r.status, r.head, r.size))
            rejects.flush()
            _insert_runs(cur, results, self.report.batch_id)

    def _done(self, result: FileResult, clock: float, *, seconds: float | None = None) -> None:
        result.seconds = time.perf_counter() - clock if seconds is None else seconds
        self.report.files.append(result)
        if self.progress:
            self.progress("done", result.path, result)


def _content_size(pending: _Pending) -> int:
    return pending.result.size * (_GZIP_RATIO if pending.sample.gzip else 1)


def ingest_paths(
    store: Store,
    paths: Iterable[Path],
    config: Config,
    *,
    progress: ProgressHook | None = None,
    force_format: Format | None = None,
) -> IngestReport:
    """Load every file under ``paths``. A file that fails never stops the others."""
    store.bound_memory()
    return _Ingest(store, config, progress, force_format).run(paths)


_RUN_COLUMNS = (
    "run_id", "batch_id", "path", "sha256", "size_bytes", "format", "status", "target_table",
    "rows_loaded", "rows_duplicate", "rows_rejected", "message", "started_at", "finished_at",
    "mlspm_version",
)  # fmt: skip


def _insert_runs(cur: Cursor, results: Sequence[FileResult], batch_id: str) -> None:
    """One ingest_runs row per file, appended in bulk (an INSERT per file cost 1.2 ms each)."""
    finished = datetime.now(UTC)
    rows = RowBuffer(cur, "ingest_runs", _RUN_COLUMNS)
    for r in results:
        rows.append(
            (
                r.run_id,
                batch_id,
                str(r.path),
                r.sha256,
                r.size,
                r.format,
                r.status,
                getattr(r, "target_table", None),
                r.counts.loaded,
                r.counts.duplicate,
                r.counts.rejected,
                r.message,
                r.started_at,
                finished,
                __version__,
            )
        )
    rows.flush()


def _next_run_ids(cur: Cursor, count: int) -> list[int]:
    """``count`` new run ids, ascending (file order: earlier runs win de-duplication)."""
    rows = cur.execute("SELECT nextval('ingest_run_seq') FROM range(?)", [count]).fetchall()
    return sorted(int(row[0]) for row in rows)


def _loaded_before(store: Store) -> tuple[dict[str, str], set[tuple[str, int]]]:
    """Of the files loaded before: each content's sha256 with the first path it came from, and every
    (path, size) — one read of ingest_runs."""
    with store.cursor() as cur:
        rows = cur.execute(
            "SELECT sha256, path, size_bytes FROM ingest_runs WHERE status = 'loaded' ORDER BY run_id"
        ).fetchall()
    hashes: dict[str, str] = {}
    files: set[tuple[str, int]] = set()
    for sha, path, size in rows:
        if sha is not None:
            hashes.setdefault(str(sha), str(path))
        if size is not None:
            files.add((str(path), int(size)))
    return hashes, files


def _new_batch_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:8]
