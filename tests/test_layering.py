"""Layering rules checked at run time (import-linter checks them statically in `make check`)."""

from __future__ import annotations

import json
import subprocess
import sys

CORE = [
    "mlspm",
    "mlspm.config",
    "mlspm.store",
    "mlspm.ingest",
    "mlspm.ingest.formats",
    "mlspm.cli",
    "mlspm.store.stats",
    "mlspm.text",
]


def _loaded_after(code: str) -> set[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    return set(json.loads(out))


def test_headless_core_never_loads_the_ui_or_the_analyzers():
    loaded = _loaded_after("\n".join(f"import {m}" for m in CORE))
    assert not {m for m in loaded if m.split(".")[0] in ("textual", "tui", "analyzers")}


def test_starting_the_cli_stays_light():
    # `mlspm --help` must not pay for pandas, pyarrow or modelscan
    loaded = _loaded_after("import mlspm.cli")
    heavy = {m.split(".")[0] for m in loaded} & {"pandas", "pyarrow", "modelscan", "textual", "numpy"}
    assert not heavy


def test_no_code_deserializes_models():
    import pathlib

    root = pathlib.Path(__file__).resolve().parent.parent
    offenders = []
    for path in [*root.glob("mlspm/**/*.py"), *root.glob("analyzers/**/*.py"), *root.glob("tui/**/*.py")]:
        text = path.read_text()
        for call in (
            "pickle.load(",
            "pickle.loads(",
            "torch.load(",
            "joblib.load(",
            "dill.load",
            "np.load(",
            "numpy.load(",
            "read_pickle(",
            "cloudpickle.load",
        ):
            if call in text:
                offenders.append(f"{path.relative_to(root)}: {call}")
    assert not offenders
