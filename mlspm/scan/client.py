"""The parent side of the scan worker: start it, feed it one file at a time, enforce the time and memory caps.

One worker process holds one ModelScan for the whole scan (a process costs ~170 ms to start, a file
~0.2 ms to scan in it). The worker scans one file per request, in order; the parent keeps the *next*
request already queued in the worker's stdin (so the worker never idles for a pipe round trip), and a
file's time starts when the worker starts on it, i.e. when the previous reply arrives. While waiting,
the parent hashes the files in 1 MiB steps and between steps checks the deadline and the worker's
resident set (``/proc/<pid>/statm``). A file over a cap gets the worker killed (SIGKILL) and recorded;
the requests queued behind it are sent again to a fresh worker.
"""

from __future__ import annotations

import hashlib
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from mlspm.errors import ConfigError, ScanError

WORKER_SCRIPT = Path(__file__).with_name("worker.py")
STARTUP_SECONDS = 60.0
POLL_SECONDS = 0.01
QUEUE_DEPTH = 2
"""Requests in the worker at once: the file being scanned and the next one, already in its stdin."""
_HASH_STEP = 1024 * 1024
_READ_CHUNK = 1 << 20
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


@dataclass
class Reply:
    """What became of one file: ``outcome`` is report | time | memory | error | crash | unreadable."""

    outcome: str
    report: dict[str, Any] | None = None
    sha256: str | None = None
    seconds: float = 0.0
    detail: str | None = None


@dataclass
class _Pending:
    """A file sent to the worker whose reply has not been read yet, and its hash in progress."""

    path: Path
    handle: IO[bytes]
    digest: Any = field(default_factory=hashlib.sha256)
    hashed: bool = False
    started: float | None = None
    """When the worker started on it (None while another file is ahead of it in the worker)."""

    def hash_step(self, size: int) -> None:
        """Hash the next ``size`` bytes; a read error leaves no digest at all."""
        try:
            chunk = self.handle.read(size)
        except OSError:
            self.digest, chunk = None, b""
        if self.digest is not None:
            self.digest.update(chunk)
        self.hashed = not chunk


@dataclass
class WorkerInfo:
    modelscan_version: str
    scanners: list[str] = field(default_factory=list)
    disabled: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """What the worker adjusted (e.g. numpy 2 compatibility aliases): not worth a user warning."""
    rss_kb: int | None = None
    peak_kb: int = 0
    """The idle worker's peak resident set: only a file that raises the peak past the cap is over it."""


def _pending(queue: deque[tuple[Path, _Pending | Reply]]) -> list[_Pending]:
    return [item for _, item in queue if isinstance(item, _Pending)]


def format_seconds(seconds: float) -> str:
    return f"{seconds:g}"


class ScanWorker:
    """A long-lived modelscan worker process with per-file caps (use as a context manager)."""

    def __init__(self, max_seconds: float, max_memory_mb: int) -> None:
        if max_seconds <= 0:
            raise ConfigError(
                f"the time cap must be positive, not {max_seconds:g} s", hint="pass --max-seconds N"
            )
        if max_memory_mb <= 0:
            raise ConfigError(
                f"the memory cap must be positive, not {max_memory_mb} MB", hint="pass --max-memory-mb N"
            )
        self.max_seconds = max_seconds
        self.max_memory_mb = max_memory_mb
        self._cap_bytes = max_memory_mb * 1024 * 1024
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None
        self._buf = bytearray()
        self._searched = 0  # how much of _buf is known to hold no newline
        self._next_rss_check = 0.0
        self.info: WorkerInfo | None = None
        self.starts = 0

    def __enter__(self) -> ScanWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> WorkerInfo:
        """Start the worker (unless one is running) and wait for its ready message."""
        if self._proc is not None and self._proc.poll() is None:
            assert self.info is not None
            return self.info
        self._kill()  # one that died while idle: reap it
        self._discard()
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the worker)
        self._proc = subprocess.Popen(
            [sys.executable, "-I", str(WORKER_SCRIPT), "--max-memory-mb", str(self.max_memory_mb)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            close_fds=True,
            # Its own session: Ctrl-C reaches the parent only, which then kills the worker.
            start_new_session=True,
        )
        self.starts += 1
        message = self._read_message(time.monotonic() + STARTUP_SECONDS)
        if message is None or not message.get("ready"):
            why = (message or {}).get("error") or self._death_note() or "no ready message"
            self._kill()
            raise ScanError(
                f"the modelscan worker could not start: {why}",
                hint="check that modelscan is installed in this Python (pip install modelscan)",
            )
        info = WorkerInfo(
            modelscan_version=str(message.get("modelscan_version")),
            scanners=list(message.get("scanners") or []),
            disabled=list(message.get("disabled") or []),
            warnings=list(message.get("warnings") or []),
            notes=list(message.get("notes") or []),
            rss_kb=message.get("rss_kb"),
            peak_kb=int(message.get("peak_kb") or 0),
        )
        if info.rss_kb is not None and info.rss_kb * 1024 >= self._cap_bytes:
            self._kill()
            raise ConfigError(
                f"a memory cap of {self.max_memory_mb} MB is below what the idle scanner already uses "
                f"({info.rss_kb // 1024 + 1} MB)",
                hint=f"pass --max-memory-mb {max(64, 2 * (info.rss_kb // 1024 + 1))} or more",
            )
        self.info = info
        return info

    def close(self) -> None:
        # The worker holds nothing worth a clean exit; killing it saves its interpreter teardown (~0.1 s).
        self._kill()
        self._discard()

    # -- files -------------------------------------------------------------------------------------

    def scan(self, path: Path) -> Reply:
        """Scan one regular file; never raises for the file's content (only when no worker can start)."""
        return next(self.scan_many([path]))[1]

    def scan_many(self, paths: Iterable[Path]) -> Iterator[tuple[Path, Reply]]:
        """Scan files in order, yielding each file's reply; never raises for a file's content."""
        queue: deque[tuple[Path, _Pending | Reply]] = deque()
        source = iter(paths)
        more = True
        try:
            while True:
                # Top up: the file being scanned plus the next one waiting in the worker's stdin.
                while more and sum(isinstance(item, _Pending) for _, item in queue) < QUEUE_DEPTH:
                    path = next(source, None)
                    if path is None:
                        more = False
                    else:
                        queue.append((path, self._submit(path, idle=not _pending(queue))))
                if not queue:
                    return
                path, item = queue.popleft()
                reply = item if isinstance(item, Reply) else self._finish(item, _pending(queue))
                yield path, reply
        finally:
            left = _pending(queue)
            for item in left:
                item.handle.close()
            if left:
                self._kill()  # abandoned with requests queued: their replies must not reach the next caller

    def _submit(self, path: Path, *, idle: bool) -> _Pending | Reply:
        try:
            # Opened first, so an unreadable file never reaches the worker; _finish closes it.
            handle = open(path, "rb")  # noqa: SIM115
        except OSError as exc:
            return Reply("unreadable", detail=f"cannot read the file: {exc.strerror or exc}")
        pending = _Pending(path, handle)
        try:
            self._send(pending, now=idle)
        except BaseException:
            handle.close()
            raise
        return pending

    def _send(self, pending: _Pending, *, now: bool) -> None:
        # With requests in flight, a worker that died must not be replaced here: _finish reports the
        # death against the file it was scanning and re-sends the ones behind it.
        if now or self._proc is None:
            self.start()
        proc = self._proc
        assert proc is not None and proc.stdin is not None
        pending.started = time.monotonic() if now else None
        try:
            proc.stdin.write(json.dumps({"path": str(pending.path)}).encode() + b"\n")
            proc.stdin.flush()
        except OSError:
            pass  # the worker died; _finish reports it

    def _finish(self, head: _Pending, behind: list[_Pending]) -> Reply:
        """Wait for ``head``'s reply, hashing files in steps and checking the caps between steps."""
        if head.started is None:
            head.started = time.monotonic()
        deadline = head.started + self.max_seconds
        reply: Reply | None = None
        with head.handle:
            while reply is None:
                unhashed = next((p for p in (head, *behind) if not p.hashed), None)
                if unhashed is not None:
                    unhashed.hash_step(_HASH_STEP)
                wait = 0.0 if unhashed is not None else min(POLL_SECONDS, deadline - time.monotonic())
                message, state = self._poll(wait)
                if message is not None:
                    reply = self._reply(message)
                elif state == "dead":
                    note = self._death_note()
                    self._kill()
                    reply = Reply(
                        "crash", detail=f"the scanner process died while scanning this file ({note})"
                    )
                elif state == "rss":
                    self._kill()
                    reply = Reply("memory", detail=self._memory_reason())
                elif time.monotonic() >= deadline:
                    self._kill()
                    reply = Reply("time", detail=self._time_reason())
            if self._proc is None:
                # The worker was killed with requests queued behind this file: a new one gets them.
                for i, pending in enumerate(behind):
                    self._send(pending, now=i == 0)
            elif behind:
                behind[0].started = time.monotonic()  # the worker moved on to the next file just now
            while not head.hashed:
                head.hash_step(_HASH_STEP * 8)
        reply.sha256 = head.digest.hexdigest() if head.digest is not None else None
        if not reply.seconds:
            reply.seconds = time.monotonic() - head.started
        return reply

    def _reply(self, message: dict[str, Any]) -> Reply:
        seconds = float(message.get("seconds") or 0.0)
        peak = int(message.get("peak_kb") or 0) * 1024
        baseline = (self.info.peak_kb * 1024) if self.info else 0
        if message.get("over_memory") or (peak > self._cap_bytes and peak > baseline):
            # The peak resident set is the process's: it only grows, so the worker starts afresh.
            self._kill()
            return Reply("memory", seconds=seconds, detail=self._memory_reason())
        if seconds > self.max_seconds:
            # Finished, but late (the parent was busy hashing): over the cap all the same.
            return Reply("time", seconds=seconds, detail=self._time_reason())
        if message.get("ok"):
            return Reply("report", report=message.get("report"), seconds=seconds)
        return Reply("error", seconds=seconds, detail=str(message.get("error") or "unknown error"))

    def _time_reason(self) -> str:
        return f"took longer than {format_seconds(self.max_seconds)} s"

    def _memory_reason(self) -> str:
        return f"used more than {self.max_memory_mb} MB"

    # -- pipe and process plumbing -----------------------------------------------------------------

    def _poll(self, timeout: float) -> tuple[dict[str, Any] | None, str]:
        """One message if a whole line is there (waiting up to ``timeout``), else the worker's state."""
        message = self._take_line()
        if message is not None:
            return message, "ok"
        proc = self._proc
        assert proc is not None and proc.stdout is not None
        fd = proc.stdout.fileno()
        ready, _, _ = select.select([fd], [], [], max(0.0, timeout))
        if ready:
            data = os.read(fd, _READ_CHUNK)
            if not data:
                return None, "dead"
            self._buf += data
            message = self._take_line()
            if message is not None:
                return message, "ok"
        now = time.monotonic()
        if now >= self._next_rss_check:  # reading /proc costs ~30 µs: at most once per poll interval
            self._next_rss_check = now + POLL_SECONDS
            if self._rss_bytes() > self._cap_bytes:
                return None, "rss"
        return None, "ok"

    def _take_line(self) -> dict[str, Any] | None:
        # A big report arrives in many chunks: search only the new bytes for the end of the line.
        end = self._buf.find(b"\n", self._searched)
        if end < 0:
            self._searched = len(self._buf)
            return None
        line = bytes(self._buf[:end])
        del self._buf[: end + 1]
        self._searched = 0
        try:
            value = json.loads(line)
        except ValueError:
            return {"ok": False, "error": "the scanner process sent an unreadable reply"}
        return value if isinstance(value, dict) else {"ok": False, "error": "unexpected reply"}

    def _read_message(self, deadline: float) -> dict[str, Any] | None:
        while True:
            message, state = self._poll(min(0.1, max(0.0, deadline - time.monotonic())))
            if message is not None:
                return message
            if state == "dead" or time.monotonic() >= deadline:
                return None

    def _rss_bytes(self) -> int:
        proc = self._proc
        if proc is None:
            return 0
        try:
            with open(f"/proc/{proc.pid}/statm", "rb") as fh:
                return int(fh.read().split()[1]) * _PAGE
        except (OSError, ValueError, IndexError):
            return 0  # no /proc (macOS): the reported peak and RLIMIT_AS still apply

    def _death_note(self) -> str:
        proc = self._proc
        if proc is None:
            return "not running"
        try:
            code = proc.wait(timeout=1)
        except subprocess.TimeoutExpired:
            return "no reply"
        if code < 0:
            try:
                note = f"killed by {signal.Signals(-code).name}"
            except ValueError:
                note = f"killed by signal {-code}"
        else:
            note = f"exit code {code}"
        tail = self._stderr_tail()
        return f"{note}: {tail}" if tail else note

    def _stderr_tail(self) -> str:
        if self._stderr is None:
            return ""
        try:
            self._stderr.seek(0, os.SEEK_END)
            size = self._stderr.tell()
            self._stderr.seek(max(0, size - 2000))
            text = self._stderr.read().decode("utf-8", "replace").strip()
        except OSError:
            return ""
        return text.splitlines()[-1][:300] if text else ""

    def _kill(self) -> None:
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            try:
                proc.kill()
            except OSError:
                pass
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass
        self._proc = None
        self._buf = bytearray()
        self._searched = 0

    def _discard(self) -> None:
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
