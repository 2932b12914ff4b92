"""Input files: walking directories, opening (gzip transparently), hashing, and taking a head sample."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import IO, Any, cast

GZIP_MAGIC = b"\x1f\x8b"
SAMPLE_BYTES = 256 * 1024
_CHUNK = 1024 * 1024


class UnreadableFile(Exception):
    """The file's bytes cannot be read as text at all (truncated gzip, binary data, wrong encoding)."""


def iter_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Yield every regular file under ``paths`` in a stable order.

    Directories are walked recursively; hidden entries (``.name``) inside them are skipped, but a
    file named explicitly is always yielded. Symlinked directories are not followed (no loops).
    """
    for path in paths:
        if path.is_dir():
            for root, dirs, files in os.walk(path, followlinks=False):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if not name.startswith("."):
                        yield Path(root) / name
        else:
            yield path


def is_gzip(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == GZIP_MAGIC


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK * 8):
            digest.update(chunk)
    return digest.hexdigest()


def open_binary(path: Path) -> IO[bytes]:
    """Open ``path`` for reading its content: gzip is decompressed transparently (detected by magic)."""
    if is_gzip(path):
        return cast(IO[bytes], gzip.open(path, "rb"))
    return open(path, "rb")


def read_all_text(path: Path, limit: int) -> str:
    """The whole decompressed content as text; raises UnreadableFile past ``limit`` bytes or on bad bytes."""
    # Read in chunks: read(limit + 1) would allocate the whole limit (1 GiB) up front for every file.
    data = bytearray()
    with open_binary(path) as fh:
        try:
            while len(data) <= limit and (chunk := fh.read(min(_CHUNK * 4, limit + 1 - len(data)))):
                data += chunk
        except (EOFError, OSError, zlib.error) as exc:
            raise UnreadableFile(describe_read_error(exc)) from exc
    if len(data) > limit:
        raise UnreadableFile(f"the document is larger than {limit // (1024 * 1024)} MiB")
    return decode_text(data, final=True)


def describe_read_error(exc: BaseException) -> str:
    if isinstance(exc, EOFError):
        return "the gzip stream is truncated (the file ends before the compressed data does)"
    if isinstance(exc, gzip.BadGzipFile | zlib.error):
        return f"the gzip data is corrupt ({exc})"
    return f"read error: {exc}"


def decode_text(data: bytes | bytearray, *, final: bool) -> str:
    """Decode UTF-8 (a BOM is dropped); raises UnreadableFile for binary data or other encodings.

    A text file with a few stray bytes (a NUL or a Latin-1 character an attacker put in a logged
    header) is still text: its bad bytes become U+FFFD and the line-level parsers judge each record.
    Rejecting the whole file for one byte would let whoever writes one log field hide a whole log.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnreadableFile(
            "the file is UTF-16 text; mlspm reads UTF-8 (convert it: iconv -f UTF-16 -t UTF-8)"
        )
    nuls = data.count(0)
    if nuls and (b"\x00" in data[:_TEXT_HEAD] or nuls > len(data) * _MAX_BAD_SHARE):
        raise UnreadableFile("the file is binary (it contains NUL bytes), not a log, inventory or report")
    try:
        return data.decode("utf-8-sig") if final else _decode_prefix(data)
    except UnicodeDecodeError as exc:
        text = data.decode("utf-8-sig", "replace")
        if exc.start < _TEXT_HEAD or text.count("\ufffd") > len(data) * _MAX_BAD_SHARE:
            raise UnreadableFile(
                f"the file is not UTF-8 text (bad byte 0x{data[exc.start]:02x} at offset {exc.start})"
            ) from exc
        return text if final else text.rstrip("\ufffd")


# Text starts as text (a binary format's magic and header come first); past that, at most this
# share of bad bytes is taken for damage in a text file rather than a binary file.
_TEXT_HEAD = 64
_MAX_BAD_SHARE = 0.001


def _decode_prefix(data: bytes | bytearray) -> str:
    # A sample may end in the middle of a multi-byte character: drop at most 3 trailing bytes.
    for cut in range(4):
        try:
            return data[: len(data) - cut].decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            if exc.start < len(data) - 4:
                raise
    return data.decode("utf-8-sig")


@dataclass
class Sample:
    """The first bytes of a file's (decompressed) content, for detecting its format by content."""

    path: Path
    text: str
    complete: bool
    """True when ``text`` is the whole file."""
    gzip: bool
    size: int
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @cached_property
    def stripped(self) -> str:
        return self.text.lstrip()

    @cached_property
    def lines(self) -> list[str]:
        """Complete, non-blank lines of the sample (the last partial line dropped unless complete)."""
        lines = self.text.splitlines()
        if not self.complete and lines and not self.text.endswith("\n"):
            lines = lines[:-1]
        return [line for line in lines if line.strip()]

    @cached_property
    def document(self) -> Any:
        """The whole file parsed as one JSON value, when the sample is the whole file; else None."""
        if not self.complete:
            return None
        try:
            return json.loads(self.text)
        except ValueError:
            return None

    @cached_property
    def first_records(self) -> list[dict[str, Any]]:
        """The sample's first lines parsed as JSON objects (JSON lines); stops at the first non-object."""
        records: list[dict[str, Any]] = []
        for line in self.lines[:50]:
            try:
                value = json.loads(line)
            except ValueError:
                break
            if not isinstance(value, dict):
                break
            records.append(value)
        return records

    def looks_like_json_lines(self) -> bool:
        return self.stripped.startswith("{") and len(self.first_records) >= min(len(self.lines), 1)


def take_sample(path: Path, size: int) -> Sample:
    """Read the head of ``path`` for format detection; raises UnreadableFile when it is not text."""
    gz = is_gzip(path)
    try:
        with open_binary(path) as fh:
            data = fh.read(SAMPLE_BYTES + 1)
    except (EOFError, OSError, zlib.error) as exc:
        raise UnreadableFile(describe_read_error(exc)) from exc
    complete = len(data) <= SAMPLE_BYTES
    data = data[:SAMPLE_BYTES]
    if not data.strip():
        raise UnreadableFile("the file is empty" if not data else "the file holds only whitespace")
    text = decode_text(data, final=complete)
    return Sample(path=path, text=text, complete=complete, gzip=gz, size=size)


@dataclass(frozen=True)
class Line:
    """One line of a text file: ``data`` is None when the line is longer than the limit (then cut)."""

    number: int
    data: bytes | None
    size: int
    head: bytes
    """The first bytes of the line (all of it unless it was over the limit)."""


def iter_lines(path: Path, max_bytes: int) -> Iterator[Line]:
    """Every line of the decompressed file, numbered from 1, newline removed, memory bounded by max_bytes."""
    with open_binary(path) as stream:
        number = 0
        try:
            while True:
                chunk = stream.readline(max_bytes + 1)
                if not chunk:
                    return
                number += 1
                if len(chunk) <= max_bytes or chunk.endswith(b"\n"):
                    data = chunk.rstrip(b"\r\n")
                    yield Line(number, data, len(data), data)
                    continue
                head, size = chunk[:4096], len(chunk)
                while chunk and not chunk.endswith(b"\n"):
                    chunk = stream.readline(_CHUNK)
                    size += len(chunk)
                size -= 1 if chunk.endswith(b"\n") else 0
                yield Line(number, None, size, head)
        except (EOFError, OSError, zlib.error) as exc:
            raise UnreadableFile(describe_read_error(exc)) from exc
