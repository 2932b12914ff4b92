"""The scan worker process: one long-lived ModelScan that scans one file per JSON-lines request.

Run by :mod:`mlspm.scan.client` as ``python -I worker.py --max-memory-mb N`` (isolated mode: no
PYTHONPATH, no script directory or user site on ``sys.path``). It imports only the standard library and
modelscan, so it starts fast and never depends on the rest of mlspm.

Protocol (one JSON object per line; stdout is reserved for it, anything else printed goes to stderr):

- worker → parent, once: ``{"ready": true, "modelscan_version", "scanners", "disabled", "rss_kb",
  "peak_kb", "warnings", "notes", "pid"}`` or ``{"ready": false, "error"}``;
- parent → worker: ``{"path": "/abs/file"}``; EOF on stdin ends the worker;
- worker → parent, per request: ``{"ok": true, "report": <ModelScan.scan() result>}``,
  ``{"ok": false, "over_memory": true}`` (an allocation failed under RLIMIT_AS) or
  ``{"ok": false, "error": "..."}``, each with ``"seconds"`` and ``"peak_kb"`` (peak resident set).

Nothing is ever deserialized: every enabled modelscan scanner must be on the audited list below (the
others are disabled before ModelScan is built), and pickle / numpy loaders are replaced with functions
that raise, so a future modelscan change that started loading files would fail loudly, not execute.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import resource
import sys
import time
from typing import Any

AUDITED_MODELSCAN = "0.8"

# Checked against modelscan 0.8.8's source: what each scanner does with the bytes of a file.
AUDITED_SCANNERS = {
    # pickletools.genops over the stream (tools/picklescanner.py): opcodes are listed, never executed.
    "modelscan.scanners.PickleUnsafeOpScan": "pickletools.genops only",
    # genops for the magic number, then genops over the (non-zip) legacy torch pickle.
    "modelscan.scanners.PyTorchUnsafeOpScan": "pickletools.genops only",
    # np.lib.format.read_magic + _read_array_header (ast.literal_eval of the header dict, no np.load,
    # no allow_pickle); an object-dtype payload goes to genops.
    "modelscan.scanners.NumpyUnsafeOpScan": "npy header via ast.literal_eval, payload via genops",
    # h5py attributes + json.loads of model_config (needs h5py; without it: a DEPENDENCY error row).
    "modelscan.scanners.H5LambdaDetectScan": "h5py attrs + json",
    # zipfile + json.load of config.json (modelscan requires tensorflow for it: DEPENDENCY error).
    "modelscan.scanners.KerasLambdaDetectScan": "zip + json",
    # protobuf ParseFromString of SavedModel / SavedMetadata (needs tensorflow: DEPENDENCY error).
    "modelscan.scanners.SavedModelLambdaDetectScan": "protobuf parse",
    "modelscan.scanners.SavedModelTensorflowOpScan": "protobuf parse",
}
AUDITED_MIDDLEWARES = {"modelscan.middlewares.FormatViaExtensionMiddleware"}  # looks at the suffix only


class OverMemory(BaseException):
    """An allocation failed under the address-space limit; BaseException so modelscan cannot swallow it."""


def _forbidden(*args: object, **kwargs: object) -> None:
    raise RuntimeError("mlspm scan worker: deserializing is forbidden (scanning must stay static)")


def forbid_deserialization() -> None:
    """Replace the loaders a scanner could reach for; the worker itself speaks JSON only."""
    import pickle

    for name in ("load", "loads", "Unpickler"):
        setattr(pickle, name, _forbidden)
    try:
        import _pickle

        for name in ("load", "loads", "Unpickler"):
            setattr(_pickle, name, _forbidden)
    except ImportError:
        pass
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.load = _forbidden


def numpy_compat() -> list[str]:
    """modelscan 0.8.8 calls numpy.lib.format._read_array_header/_check_version, which numpy 2 moved.

    Without them every real .npy file is an AttributeError (an error row, and the payload unscanned).
    The functions are numpy's own header parsers (ast.literal_eval, size-limited): nothing is loaded.
    """
    notes: list[str] = []
    try:
        import numpy.lib.format as fmt
    except ImportError:
        return notes
    try:
        import numpy.lib._format_impl as impl
    except ImportError:
        return notes
    for name in ("_read_array_header", "_check_version"):
        if not hasattr(fmt, name) and hasattr(impl, name):
            setattr(fmt, name, getattr(impl, name))
            notes.append(name)
    return notes


def audited_settings(defaults: dict[str, Any]) -> tuple[dict[str, Any], list[str], list[str]]:
    """A copy of modelscan's settings with every unaudited scanner or middleware disabled."""
    settings = copy.deepcopy(defaults)
    enabled: list[str] = []
    disabled: list[str] = []
    for path, options in settings["scanners"].items():
        if not options.get("enabled"):
            continue
        if path in AUDITED_SCANNERS:
            enabled.append(path)
        else:
            options["enabled"] = False
            disabled.append(f"{path}: not audited as static")
    middlewares = settings.get("middlewares") or {}
    for path in list(middlewares):
        if path not in AUDITED_MIDDLEWARES:
            del middlewares[path]
            disabled.append(f"{path}: middleware not audited")
    return settings, enabled, disabled


def guard_scanners(paths: list[str]) -> None:
    """Make MemoryError inside a scanner escape modelscan's ``except Exception`` as OverMemory."""
    import importlib

    for path in paths:
        module_name, class_name = path.rsplit(".", 1)
        cls = getattr(importlib.import_module(module_name), class_name)
        if getattr(cls, "_mlspm_guarded", False):
            continue
        original = cls.scan

        def scan(self: Any, model: Any, _original: Any = original) -> Any:
            try:
                return _original(self, model)
            except MemoryError as exc:
                raise OverMemory from exc

        cls.scan = scan
        cls._mlspm_guarded = True


def _status_kb(field: str) -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def peak_kb(cap_kb: int = 0) -> int:
    """The peak resident set (KiB) of this process since start (or since :func:`reset_peak`).

    ``ru_maxrss`` is cheap (a syscall) but on Linux it is inherited across fork+exec, so it can carry
    the parent's larger peak; only when it exceeds ``cap_kb`` is the exact VmHWM read from /proc
    (~80 µs, too slow to pay for every small file).
    """
    rough = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rough = rough // 1024 if sys.platform == "darwin" else rough  # bytes on macOS, KiB elsewhere
    if cap_kb and rough <= cap_kb:
        return rough
    exact = _status_kb("VmHWM")
    return exact if exact is not None else rough


def reset_peak() -> None:
    """Forget the import-time peak (Linux: writing 5 to clear_refs resets VmHWM to the current RSS)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
    except OSError:
        pass


def limit_memory(max_memory_mb: int) -> None:
    """Backstop: the address space may grow by the cap beyond what the idle worker maps.

    The parent enforces the resident-set cap itself (polling and the reported peak); this limit only
    stops a single huge allocation from taking the machine down before the parent can react.
    """
    vm_kb = _status_kb("VmSize")
    if vm_kb is None or max_memory_mb <= 0:
        return
    limit = vm_kb * 1024 + max_memory_mb * 1024 * 1024
    try:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ValueError, OSError):
        pass


def main(argv: list[str]) -> int:
    max_memory_mb = 0
    if len(argv) >= 2 and argv[0] == "--max-memory-mb":
        max_memory_mb = int(argv[1])
    # The protocol owns the real stdout; fd 1 (and print) now go to stderr so nothing can corrupt it.
    proto = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    def send(message: dict[str, Any]) -> None:
        try:
            line = json.dumps(message)
        except MemoryError:
            line = json.dumps({"ok": False, "over_memory": True})
        proto.write(line + "\n")
        proto.flush()

    try:
        logger = logging.getLogger("modelscan")
        logger.addHandler(logging.NullHandler())
        logger.propagate = False  # its error logs repeat what the report says
        from modelscan._version import __version__ as version
        from modelscan.modelscan import ModelScan
        from modelscan.settings import DEFAULT_SETTINGS

        warnings: list[str] = []
        notes: list[str] = []
        if not version.startswith(AUDITED_MODELSCAN + "."):
            warnings.append(f"modelscan {version} was not audited (mlspm checked {AUDITED_MODELSCAN}.x)")
        shimmed = numpy_compat()
        if shimmed:
            notes.append("numpy 2: gave numpy.lib.format back " + ", ".join(shimmed) + " for modelscan")
        settings, enabled, disabled = audited_settings(DEFAULT_SETTINGS)
        scanner = ModelScan(settings=settings)
        guard_scanners(enabled)
        forbid_deserialization()
    except Exception as exc:
        send({"ready": False, "error": f"{type(exc).__name__}: {exc}"})
        return 1
    limit_memory(max_memory_mb)
    reset_peak()
    send(
        {
            "ready": True,
            "modelscan_version": version,
            "scanners": enabled,
            "disabled": disabled,
            "rss_kb": _status_kb("VmRSS"),
            "peak_kb": peak_kb(),
            "warnings": warnings,
            "notes": notes,
            "pid": os.getpid(),
        }
    )
    stdin = sys.stdin.buffer
    while True:
        line = stdin.readline()
        if not line:
            return 0
        started = time.perf_counter()
        over_memory = False
        try:
            request = json.loads(line)
            reply: dict[str, Any] = {"ok": True, "report": scanner.scan(request["path"])}
        except (MemoryError, OverMemory):
            reply, over_memory = {"ok": False, "over_memory": True}, True
        except Exception as exc:
            reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        reply["seconds"] = time.perf_counter() - started
        reply["peak_kb"] = peak_kb(max_memory_mb * 1024)
        send(reply)
        if over_memory:
            return 3  # the heap may be in any state: the parent starts a fresh worker


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
