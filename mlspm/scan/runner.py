"""``mlspm scan`` orchestration: walk the paths, scan each file in the worker, store it all as one ingest run.

Every file's outcome is turned into a modelscan report (the worker's own, or a one-entry report for a
file over a cap, unreadable, or not a regular file) and stored through the modelscan report format's
:func:`~mlspm.ingest.formats.modelscan_report.parse_report` and ``write_records``: a scan and an
imported report give the same rows. The sha256 of every file is stored with its rows, so results link
to inventory assets by hash.

A scan is an observation at a point in time: scanning the same files again adds a new run (new
``ingest_runs`` row, new ``scan_results`` rows with their own ``scanned_at``) and never replaces an
earlier one. The current state of a file is its latest run; history stays queryable. (Importing the
same report *file* twice still adds nothing: that is the same observation.)
"""

from __future__ import annotations

import os
import stat
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mlspm import __version__
from mlspm.config import Config
from mlspm.enums import ScanResultKind
from mlspm.ingest import linking
from mlspm.ingest.context import LoadContext
from mlspm.ingest.formats.modelscan_report import (
    SEVERITY_MAP,
    ModelscanReport,
    ScanRecord,
    parse_report,
    write_records,
)
from mlspm.ingest.runner import Status
from mlspm.ingest.source import Sample
from mlspm.scan.client import Reply, ScanWorker
from mlspm.store import Store


class FileStatus:
    SCANNED = "scanned"
    """modelscan looked at the file (or at least one archive member in it)."""
    SKIPPED = "skipped"
    """Not scanned: unsupported format, over a cap, unreadable, or not a regular file."""
    ERROR = "error"
    """modelscan tried and failed (parse error, missing dependency, crash)."""


@dataclass
class FileOutcome:
    """What happened to one file found under the scanned paths."""

    path: Path
    status: str
    sha256: str | None = None
    size: int = 0
    seconds: float = 0.0
    issues: int = 0
    reason: str | None = None


@dataclass
class ScanRun:
    batch_id: str
    paths: list[Path]
    run_id: int | None = None
    missing: list[Path] = field(default_factory=list)
    files: list[FileOutcome] = field(default_factory=list)
    records: list[ScanRecord] = field(default_factory=list)
    scanner_version: str | None = None
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    worker_starts: int = 0

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    def rows(self, kind: str) -> list[ScanRecord]:
        return [r for r in self.records if r.kind == kind and not r.reject]

    def issues_by_severity(self) -> dict[str, int]:
        counts = Counter(r.severity for r in self.rows(ScanResultKind.ISSUE))
        return {sev: counts.get(sev, 0) for sev in ("critical", "high", "medium", "low", "info")}

    @property
    def nothing_scanned(self) -> bool:
        return self.count(FileStatus.SCANNED) == 0


ProgressHook = Callable[[str, Path | None, int], None]
"""Called with ("found", None, number of entries) once, then ("start"/"done", path, index) per entry."""


@dataclass(frozen=True)
class _Found:
    path: Path
    problem: str | None = None
    """Why it is not scanned (not a regular file); None for a file to scan."""


def find_files(paths: Iterable[Path]) -> tuple[list[_Found], list[Path]]:
    """Every entry under ``paths`` (sorted, hidden ones included) and the paths that do not exist.

    Unlike ingest, hidden files are scanned: a model folder's ``.something.pkl`` is as dangerous as any.
    Symbolic links to directories are not followed (no loops) but are listed as not scanned.
    """
    found: list[_Found] = []
    missing: list[Path] = []
    for given in paths:
        path = given.absolute()
        if not os.path.lexists(path):
            missing.append(path)
        elif path.is_dir():
            for root, dirs, files in os.walk(path, followlinks=False):
                dirs.sort()
                for name in list(dirs):
                    if (Path(root) / name).is_symlink():
                        found.append(
                            _Found(Path(root) / name, "a symbolic link to a directory (not followed)")
                        )
                for name in sorted(files):
                    found.append(_classify(Path(root) / name))
        else:
            found.append(_classify(path))
    return found, missing


# A file this big that is mostly holes on disk is no model: reading (and hashing) its apparent size
# would take minutes per terabyte an attacker can create in an instant with `truncate`.
_SPARSE_MIN_BYTES = 1 << 30
_SPARSE_MAX_ALLOCATED = 0.1


def _classify(path: Path) -> _Found:
    try:
        info = path.stat()  # follows a symlink: a link to a regular file is scanned
    except FileNotFoundError:
        return _Found(path, "a broken symbolic link")
    except OSError as exc:
        return _Found(path, f"cannot read it: {exc.strerror or exc}")
    mode = info.st_mode
    if stat.S_ISREG(mode):
        allocated = getattr(info, "st_blocks", None)
        if (
            allocated is not None
            and info.st_size >= _SPARSE_MIN_BYTES
            and allocated * 512 < _SPARSE_MAX_ALLOCATED * info.st_size
        ):
            return _Found(
                path,
                f"a sparse file: {info.st_size / 2**30:.1f} GiB apparent but "
                f"{allocated * 512 / 2**20:.0f} MiB on disk — not read, not hashed",
            )
        return _Found(path)
    kind = (
        "a FIFO"
        if stat.S_ISFIFO(mode)
        else "a device"
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
        else ("a socket" if stat.S_ISSOCK(mode) else "not a regular file")
    )
    return _Found(path, f"{kind}, not a regular file")


def scan_paths(
    store: Store,
    paths: Iterable[Path],
    config: Config,
    *,
    max_seconds: float | None = None,
    max_memory_mb: int | None = None,
    progress: ProgressHook | None = None,
) -> ScanRun:
    """Scan every file under ``paths`` and store the results as one run; a bad file never stops the rest."""
    clock = time.perf_counter()
    started_at = datetime.now(UTC)
    paths = [Path(p) for p in paths]
    run = ScanRun(batch_id=_batch_id(), paths=[p.absolute() for p in paths])
    found, run.missing = find_files(paths)
    if progress:
        progress("found", None, len(found))
    worker = ScanWorker(
        max_seconds if max_seconds is not None else config.scan_max_seconds,
        max_memory_mb if max_memory_mb is not None else config.scan_max_memory_mb,
    )
    with worker:
        if any(f.problem is None for f in found):
            info = worker.start()
            run.scanner_version = info.modelscan_version
            run.warnings += info.warnings + [f"disabled {d}" for d in info.disabled]
        unknown: Counter[str] = Counter()
        replies = worker.scan_many(f.path for f in found if f.problem is None)
        for index, entry in enumerate(found):
            if progress:
                progress("start", entry.path, index)
            if entry.problem is None:
                path, reply = next(replies)
                assert path == entry.path
                outcome = _file_outcome(run, path, reply, unknown)
            else:
                doc = _report(str(entry.path), run.scanner_version, skipped=("NOT_A_FILE", entry.problem))
                outcome = _collect(run, entry.path, doc, None, 0, 0.0, unknown)
            run.files.append(outcome)
            if progress:
                progress("done", entry.path, index)
        run.worker_starts = worker.starts
    run.warnings += [
        f"{n} issue(s) with unknown modelscan severity {s!r} stored as medium"
        for s, n in sorted(unknown.items())
    ]
    _store(store, run, config, started_at)
    run.seconds = time.perf_counter() - clock
    return run


def _file_outcome(run: ScanRun, path: Path, reply: Reply, unknown: Counter[str]) -> FileOutcome:
    try:
        size = path.stat().st_size
    except OSError:
        size = 0
    doc = _reply_report(reply, str(path), run.scanner_version)
    return _collect(run, path, doc, reply.sha256, size, reply.seconds, unknown)


def _reply_report(reply: Reply, target: str, version: str | None) -> dict[str, Any]:
    if reply.outcome == "report" and isinstance(reply.report, dict):
        return reply.report
    if reply.outcome == "time":
        return _report(target, version, skipped=("TIME_LIMIT", reply.detail or "over the time cap"))
    if reply.outcome == "memory":
        return _report(target, version, skipped=("MEMORY_LIMIT", reply.detail or "over the memory cap"))
    if reply.outcome == "unreadable":
        return _report(target, version, skipped=("UNREADABLE", reply.detail or "cannot read the file"))
    if reply.outcome == "crash":
        return _report(target, version, error=("SCANNER_CRASHED", reply.detail or "the scanner process died"))
    return _report(target, version, error=("SCAN_FAILED", reply.detail or "modelscan failed"))


def _report(
    target: str,
    version: str | None,
    *,
    skipped: tuple[str, str] | None = None,
    error: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """A one-entry report in modelscan's current schema, for a file modelscan itself did not report on."""
    parent, name = os.path.split(target)

    def entry(pair: tuple[str, str]) -> dict[str, str]:
        return {"category": pair[0], "description": pair[1], "source": name}

    return {
        "summary": {
            "input_path": target,
            "absolute_path": parent,
            "modelscan_version": version,
            "timestamp": datetime.now().isoformat(),  # naive local time, as modelscan writes it
            "scanned": {"total_scanned": 0},
            "skipped": {
                "total_skipped": int(skipped is not None),
                "skipped_files": [entry(skipped)] if skipped else [],
            },
        },
        "issues": [],
        "errors": [entry(error)] if error else [],
    }


def _collect(
    run: ScanRun,
    path: Path,
    doc: dict[str, Any],
    sha: str | None,
    size: int,
    seconds: float,
    unknown: Counter[str],
) -> FileOutcome:
    target = str(path)
    try:
        parsed = parse_report(doc, target_hint=target)
    except ValueError as exc:
        parsed = parse_report(
            _report(target, run.scanner_version, error=("SCAN_FAILED", str(exc))), target_hint=target
        )
    for record in parsed.records:
        record.sha256 = sha if record.target == target else None
        if (
            record.kind == ScanResultKind.ISSUE
            and not record.reject
            and ((record.severity_raw or "").strip().upper() not in SEVERITY_MAP)
        ):
            unknown[record.severity_raw or "(none)"] += 1
    run.records += parsed.records
    kinds = Counter(r.kind for r in parsed.records if not r.reject)
    if kinds[ScanResultKind.SCANNED]:
        status, reason = FileStatus.SCANNED, None
    elif kinds[ScanResultKind.ERROR]:
        status = FileStatus.ERROR
        reason = next(r.message for r in parsed.records if r.kind == ScanResultKind.ERROR)
    else:
        status = FileStatus.SKIPPED
        reason = next((r.message for r in parsed.records if r.kind == ScanResultKind.SKIPPED), None)
    return FileOutcome(path, status, sha, size, seconds, kinds[ScanResultKind.ISSUE], reason)


def _store(store: Store, run: ScanRun, config: Config, started_at: datetime) -> None:
    """One transaction: the rows, the missing paths as rejects, asset links, and the ingest_runs row."""
    label = "; ".join(str(p) for p in run.paths)
    with store.transaction() as cur:
        (run_id,) = cur.execute("SELECT nextval('ingest_run_seq')").fetchall()[0]
        ctx = LoadContext(
            cur=cur,
            path=Path(label),
            run_id=int(run_id),
            sample=Sample(Path(label), "", True, False, 0),
            config=config,
            format_name=ModelscanReport.name,
            target_table=ModelscanReport.target_table,
        )
        write_records(ctx, run.records)
        ctx.flush_rejects()
        for path in run.missing:
            cur.execute(
                "INSERT INTO rejects (run_id, path, position, position_kind, reason) "
                "VALUES (?, ?, NULL, 'file', 'no such file or directory')",
                [run_id, str(path)],
            )
            ctx.counts.rejected += 1
        linking.link_runs(cur, [ctx])
        # The same row an ingested file gets (columns named: robust to the runner's own changes).
        # No sha256: a scan reads many files, and each file's hash is on its own rows.
        cur.execute(
            "INSERT INTO ingest_runs (run_id, batch_id, path, sha256, size_bytes, format, status, "
            "target_table, rows_loaded, rows_duplicate, rows_rejected, message, started_at, finished_at, "
            "mlspm_version) "
            "VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, now(), ?)",
            [
                run_id,
                run.batch_id,
                label,
                sum(f.size for f in run.files),
                ModelscanReport.name,
                Status.LOADED,
                ModelscanReport.target_table,
                ctx.counts.loaded,
                ctx.counts.duplicate,
                ctx.counts.rejected,
                "; ".join(run.warnings) or None,
                started_at,
                __version__,
            ],
        )
    run.run_id = int(run_id)


def _batch_id() -> str:
    """Same shape as ingest's batch ids: UTC time and a random suffix."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:8]
