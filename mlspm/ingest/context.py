"""What a format loader gets for one file: its transaction's cursor, the run, and the reject sink."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from mlspm.config import Config
from mlspm.ingest.source import SAMPLE_BYTES, Sample, iter_lines, read_all_text
from mlspm.store import Cursor

_REJECT_BATCH = 5000


class NeedsExactPass(Exception):
    """Raised by a loader's fast path: roll back and load the file again with ``ctx.exact`` set."""


@contextmanager
def exact_pass_on_refusal() -> Iterator[None]:
    """Around a fast path's DuckDB statement: DuckDB refusing the input means "load it exactly".
    Running out of memory is not the input's fault: it goes up as it is, and the runner loads the
    file again under a larger cap rather than down the slower exact pass."""
    try:
        yield
    except duckdb.OutOfMemoryException:
        raise
    except duckdb.Error as exc:
        raise NeedsExactPass from exc


@dataclass
class Counts:
    loaded: int = 0
    duplicate: int = 0
    rejected: int = 0


@dataclass
class LoadContext:
    """Per-file state handed to a format's ``load``; everything it writes is one transaction."""

    cur: Cursor
    path: Path
    run_id: int
    sample: Sample
    config: Config
    format_name: str
    counts: Counts = field(default_factory=Counts)
    warnings: list[str] = field(default_factory=list)
    target_table: str | None = None
    exact: bool = False
    """Set on the second attempt after a fast path gave up: read record by record, exact positions."""
    relink_all: bool = False
    """Set by inventory loaders: asset locators changed, so every unlinked row is looked up again."""
    _rejects: list[tuple[Any, ...]] = field(default_factory=list, repr=False)

    def whole_text(self, limit: int | None = None) -> str:
        """The file's whole content as text (UnreadableFile past ``limit`` bytes, default the
        configured document limit). A file that fitted in the detection sample is not read again:
        delivered logs are thousands of small files, each otherwise opened and decompressed twice."""
        limit = limit or self.config.max_document_bytes
        if self.sample.complete and limit >= SAMPLE_BYTES:
            return self.sample.text
        return read_all_text(self.path, limit)

    def lines(self, clean: Callable[[str], str] | None = None) -> Iterator[tuple[int, str]]:
        """The file's non-blank lines as (line number, text), invalid UTF-8 replaced, each passed
        through ``clean`` (e.g. redaction: every stored copy is then clean). A line over the record
        limit is rejected here, with its head."""
        limit = self.config.max_record_bytes
        for line in iter_lines(self.path, limit):
            if line.data is None:
                head = line.head.decode("utf-8", "replace")
                reason = f"line is {line.size:,} bytes, over the {limit:,}-byte limit"
                self.reject(line.number, "line", reason, clean(head) if clean else head, line.size)
                continue
            if not line.data.strip():
                continue
            text = line.data.decode("utf-8", "replace")
            yield line.number, clean(text) if clean else text

    def reject(
        self, position: int | None, kind: str, reason: str, raw: str | bytes | None, size: int | None = None
    ) -> None:
        """Record one input record that could not be normalized (kept with its raw text)."""
        text, full = self.clip(raw)
        self._rejects.append(
            (self.run_id, str(self.path), position, kind, reason, text, size if size is not None else full)
        )
        self.counts.rejected += 1
        if len(self._rejects) >= _REJECT_BATCH:
            self.flush_rejects()

    def clip(self, raw: str | bytes | None) -> tuple[str | None, int | None]:
        """The raw text cut to the configured size, and the full size in bytes."""
        if raw is None:
            return None, None
        data = raw.encode("utf-8", "replace") if isinstance(raw, str) else raw
        limit = self.config.reject_raw_bytes
        text = data[:limit].decode("utf-8", "replace")
        return text, len(data)

    def flush_rejects(self) -> None:
        if self._rejects:
            self.cur.executemany("INSERT INTO rejects VALUES (?, ?, ?, ?, ?, ?, ?)", self._rejects)
            self._rejects.clear()

    def warn(self, message: str) -> None:
        self.warnings.append(message)
