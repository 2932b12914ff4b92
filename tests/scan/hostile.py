"""Model files written opcode by opcode at test time: never pickled from real objects, never loaded."""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path


def global_reduce(module: str, name: str, arg: str) -> bytes:
    """Protocol-2 opcodes: GLOBAL module name, BINUNICODE arg, TUPLE1, REDUCE, STOP."""
    data = arg.encode()
    return (
        b"\x80\x02c"
        + module.encode()
        + b"\n"
        + name.encode()
        + b"\n"
        + b"X"
        + struct.pack("<I", len(data))
        + data
        + b"\x85R."
    )


OS_SYSTEM = global_reduce("posix", "system", "echo pwned")
BUILTINS_EVAL = global_reduce("builtins", "eval", "1+1")
# A harmless global (collections.OrderedDict) called with no arguments: EMPTY_TUPLE, REDUCE.
BENIGN = b"\x80\x02ccollections\nOrderedDict\n)R."
BENIGN_LIST = b"\x80\x04]\x94(K\x01K\x02e."
TRUNCATED = b"\x80\x02cposix\nsys"


def opcode_heavy(pairs: int) -> bytes:
    """``pairs`` MARK/POP opcode pairs: harmless, but modelscan lists every opcode (seconds, ~200 B each)."""
    return b"\x80\x02" + b"(0" * pairs + b"N."


def torch_zip(path: Path, pickle_bytes: bytes, folder: str = "archive") -> Path:
    """A torch.save-style zip: <folder>/data.pkl plus the usual small members."""
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(f"{folder}/data.pkl", pickle_bytes)
        zf.writestr(f"{folder}/version", "3\n")
        zf.writestr(f"{folder}/data/0", b"\x00" * 16)
    return path


def npy(payload: bytes, descr: str = "|O") -> bytes:
    """A .npy v1.0 file: magic, header dict (padded to 64 bytes), then the raw payload."""
    header = "{'descr': " + repr(descr) + ", 'fortran_order': False, 'shape': (1,), }"
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1") + payload
