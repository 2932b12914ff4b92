"""modelscan reports (0.5-era, current, stdout captures, malformed) and ``mlspm scan`` with its caps."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mlspm.config import Config
from mlspm.ingest import Status
from mlspm.ingest.formats.modelscan_report import ModelscanReport, parse_report
from mlspm.ingest.source import take_sample
from mlspm.scan import client as scan_client
from mlspm.scan import worker as scan_worker
from tests.scan.hostile import (
    BENIGN_LIST,
    OS_SYSTEM,
    TRUNCATED,
    global_reduce,
    npy,
    opcode_heavy,
    torch_zip,
)

MODELSCAN = "scanners/modelscan"
COLUMNS = "kind, target, member, rule_id, severity_raw, severity, module_operator, message, source_pos"


def _rows(query, run_id: int | None = None) -> list[tuple[object, ...]]:
    where = "WHERE run_id = ?" if run_id is not None else ""
    return query(
        f"SELECT {COLUMNS} FROM scan_results {where} ORDER BY run_id, source_pos",
        [run_id] if run_id is not None else [],
    )


def _local(ts: str) -> datetime:
    """How a naive modelscan timestamp is stored: read in this machine's zone, kept in UTC."""
    return datetime.fromisoformat(ts).astimezone(UTC)


def _modelscan_report(path: Path) -> dict[str, object]:
    """What modelscan 0.8 writes with ``-r json``: ModelScan().scan() minus the skipped block unless asked."""
    from modelscan.modelscan import ModelScan

    return ModelScan().scan(str(path))


# -- 0.5-era reports (real samples) ---------------------------------------------------------------

# Counted by hand from the four files: (issues, scanned files) and each issue's severity/operator.
REAL = {
    "notebook_keras_fashion_mnist_v0.5-era.json": [
        (
            "issue",
            "/Users/mehrinkiani/Documents/modelscan/notebooks/KerasModels/unsafe_model.h5",
            None,
            "modelscan:H5LambdaDetectScan:Keras.Lambda",
            "MEDIUM",
            "medium",
            "Keras.Lambda",
            "Use of unsafe operator 'Lambda' from module 'Keras'",
            1,
        ),
        (
            "scanned",
            "/Users/mehrinkiani/Documents/modelscan/notebooks/KerasModels/unsafe_model.h5",
            None,
            None,
            None,
            None,
            None,
            None,
            2,
        ),
    ],
    "notebook_pytorch_sentiment_analysis_v0.5-era.json": [
        (
            "issue",
            "/Users/mehrinkiani/Documents/modelscan/notebooks/PyTorchModels/unsafe_model.pt",
            "unsafe_model/data.pkl",
            "modelscan:PickleUnsafeOpScan:posix.system",
            "CRITICAL",
            "critical",
            "posix.system",
            "Use of unsafe operator 'system' from module 'posix'",
            1,
        ),
        (
            "scanned",
            "/Users/mehrinkiani/Documents/modelscan/notebooks/PyTorchModels/unsafe_model.pt",
            "unsafe_model/data.pkl",
            None,
            None,
            None,
            None,
            None,
            2,
        ),
    ],
    "notebook_tensorflow_fashion_mnist_v0.5-era.json": [
        (
            "issue",
            "/Users/mehrinkiani/Documents/modelscan/notebooks/TensorFlowModels/unsafe_model/saved_model.pb",
            None,
            "modelscan:SavedModelTensorflowOpScan:Tensorflow.ReadFile",
            "HIGH",
            "high",
            "Tensorflow.ReadFile",
            "Use of unsafe operator 'ReadFile' from module 'Tensorflow'",
            1,
        ),
        (
            "issue",
            "/Users/mehrinkiani/Documents/modelscan/notebooks/TensorFlowModels/unsafe_model/saved_model.pb",
            None,
            "modelscan:SavedModelTensorflowOpScan:Tensorflow.WriteFile",
            "HIGH",
            "high",
            "Tensorflow.WriteFile",
            "Use of unsafe operator 'WriteFile' from module 'Tensorflow'",
            2,
        ),
        (
            "scanned",
            "/Users/mehrinkiani/Documents/modelscan/notebooks/TensorFlowModels/unsafe_model/fingerprint.pb",
            None,
            None,
            None,
            None,
            None,
            None,
            3,
        ),
        (
            "scanned",
            "/Users/mehrinkiani/Documents/modelscan/notebooks/TensorFlowModels/unsafe_model/keras_metadata.pb",
            None,
            None,
            None,
            None,
            None,
            None,
            4,
        ),
        (
            "scanned",
            "/Users/mehrinkiani/Documents/modelscan/notebooks/TensorFlowModels/unsafe_model/saved_model.pb",
            None,
            None,
            None,
            None,
            None,
            None,
            5,
        ),
    ],
    "notebook_xgboost_diabetes_classification_v0.5-era.json": [
        (
            "issue",
            "/Users/mehrinkiani/Documents/modelscan/notebooks/XGBoostModels/unsafe_model.pkl",
            None,
            "modelscan:PickleUnsafeOpScan:posix.system",
            "CRITICAL",
            "critical",
            "posix.system",
            "Use of unsafe operator 'system' from module 'posix'",
            1,
        ),
        (
            "scanned",
            "/Users/mehrinkiani/Documents/modelscan/notebooks/XGBoostModels/unsafe_model.pkl",
            None,
            None,
            None,
            None,
            None,
            None,
            2,
        ),
    ],
}


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_05_era_report_loads(real_samples: Path, ingest, query, name: str) -> None:
    path = real_samples / MODELSCAN / name
    report = ingest(path)
    [result] = report.files
    assert result.status == Status.LOADED, result.message
    assert result.format == "modelscan"
    assert result.counts.loaded == len(REAL[name]) and result.counts.rejected == 0
    assert _rows(query) == REAL[name]
    doc = json.loads(path.read_text())
    (run_id,) = query("SELECT run_id FROM ingest_runs")[0]
    meta = query("SELECT DISTINCT scanner, scanner_version, scanned_at FROM scan_results")
    assert meta == [("modelscan", "0.5.0", _local(doc["timestamp"]))]
    ids = [r[0] for r in query("SELECT id FROM scan_results ORDER BY source_pos")]
    assert ids == [(run_id << 32) + n for n in range(1, len(REAL[name]) + 1)]
    raw = query("SELECT raw FROM scan_results WHERE kind = 'issue' ORDER BY source_pos")
    first_issue = next(iter(doc["issues_by_severity"].values()))[0]
    assert json.loads(raw[0][0]) == first_issue


def test_all_real_samples_in_one_ingest(real_samples: Path, ingest, query) -> None:
    report = ingest(real_samples / MODELSCAN)
    assert [f.status for f in report.files] == [Status.LOADED] * 4
    assert query("SELECT kind, count(*) FROM scan_results GROUP BY 1 ORDER BY 1") == [
        ("issue", 5),
        ("scanned", 6),
    ]
    assert query(
        "SELECT severity, count(*) FROM scan_results WHERE kind = 'issue' GROUP BY 1 ORDER BY 1"
    ) == [("critical", 2), ("high", 2), ("medium", 1)]
    assert query("SELECT count(DISTINCT id) FROM scan_results") == [(11,)]


# -- current schema, stdout capture, malformed ----------------------------------------------------


def _current_report(models: Path, out: Path) -> dict[str, object]:
    (models / "broken.pkl").write_bytes(TRUNCATED)
    doc = _modelscan_report(models)
    out.write_text(json.dumps(doc))
    return doc


def test_current_schema_report(models: Path, tmp_path: Path, ingest, query) -> None:
    doc = _current_report(models, tmp_path / "report.json")
    assert doc["summary"]["modelscan_version"].startswith("0.8")
    report = ingest(tmp_path / "report.json")
    assert report.files[0].status == Status.LOADED, report.files[0].message
    root = str(models)
    rows = _rows(query)
    issues = [r for r in rows if r[0] == "issue"]
    assert sorted(r[1:8] for r in issues) == [
        (
            f"{root}/evil.pkl",
            None,
            "modelscan:PickleUnsafeOpScan:posix.system",
            "CRITICAL",
            "critical",
            "posix.system",
            "Use of unsafe operator 'system' from module 'posix'",
        ),
        (
            f"{root}/model.pt",
            "archive/data.pkl",
            "modelscan:PickleUnsafeOpScan:builtins.eval",
            "CRITICAL",
            "critical",
            "builtins.eval",
            "Use of unsafe operator 'eval' from module 'builtins'",
        ),
    ]
    errors = [r for r in rows if r[0] == "error"]
    assert [(r[1], r[3]) for r in errors] == [(f"{root}/broken.pkl", "modelscan:error:PICKLE_GENOPS")]
    assert errors[0][7].startswith("Parsing error")
    skipped = {(r[1], r[2]): r[3] for r in rows if r[0] == "skipped"}
    assert skipped[(f"{root}/notes.txt", None)] == "modelscan:skipped:SCAN_NOT_SUPPORTED"
    assert skipped[(f"{root}/model.pt", "archive/version")] == "modelscan:skipped:SCAN_NOT_SUPPORTED"
    scanned = sorted((r[1], r[2]) for r in rows if r[0] == "scanned")
    assert scanned == [
        (f"{root}/benign.pkl", None),
        (f"{root}/evil.pkl", None),
        (f"{root}/model.pt", "archive/data.pkl"),
    ]
    # Records are numbered in file order: issues, errors, skipped, scanned.
    assert [r[0] for r in rows] == sorted(
        (r[0] for r in rows), key=["issue", "error", "skipped", "scanned"].index
    )
    assert [r[8] for r in rows] == list(range(1, len(rows) + 1))
    again = ingest(tmp_path / "report.json")
    assert again.files[0].status == Status.ALREADY_LOADED
    assert query("SELECT count(*) FROM scan_results") == [(len(rows),)]


def test_stdout_capture_with_settings_line(models: Path, tmp_path: Path, ingest, query) -> None:
    doc = _current_report(models, tmp_path / "report.json")
    capture = tmp_path / "modelscan-stdout.log"
    capture.write_text(
        f"No settings file detected at {tmp_path}/modelscan-settings.toml. Using defaults. \n\n"
        + json.dumps(doc)
        + "\n"
    )
    detected = tmp_path / "detected.out"
    detected.write_text(
        f"Detected settings file. Using {tmp_path}/modelscan-settings.toml. \n\n{json.dumps(doc)}\n"
    )
    assert ModelscanReport().sniff(take_sample(capture, capture.stat().st_size)) == 100
    report = ingest(capture, detected, tmp_path / "report.json")
    assert [f.status for f in report.files] == [Status.LOADED] * 3
    runs = [f.run_id for f in report.files]
    assert _rows(query, runs[0]) == _rows(query, runs[2]) == _rows(query, runs[1])
    assert len(_rows(query, runs[0])) > 5


def test_malformed_report_is_rejected_with_position(models: Path, tmp_path: Path, ingest, query) -> None:
    text = json.dumps(_current_report(models, tmp_path / "good.json"), indent=1)
    bad = tmp_path / "bad.json"
    bad.write_text(text[: text.rindex("}")])  # the closing brace is missing
    report = ingest(bad)
    [result] = report.files
    assert result.status == Status.FAILED
    assert result.format == "modelscan"
    assert "invalid JSON at line" in (result.message or "")
    [(kind, reason)] = query("SELECT position_kind, reason FROM rejects")
    assert kind == "file" and "invalid JSON at line" in reason and "column" in reason
    assert query("SELECT count(*) FROM scan_results") == [(0,)]


def test_records_that_cannot_be_used_and_unknown_severity(tmp_path: Path, ingest, query) -> None:
    doc = {
        "summary": {
            "modelscan_version": "0.8.8",
            "absolute_path": "/m",
            "input_path": "/m",
            "timestamp": "2025-01-02T03:04:05.000006",
            "total_issues": 3,
        },
        "issues": [
            {
                "description": "d",
                "operator": "system",
                "module": "os",
                "scanner": "x.PickleUnsafeOpScan",
                "severity": "SEVERE",
                "source": "a.pkl",
            },
            {"description": "no source", "operator": "eval", "module": "builtins", "severity": "HIGH"},
            {
                "description": "odd",
                "operator": "open",
                "module": "builtins",
                "severity": "low",
                "scanner": "x.PickleUnsafeOpScan",
                "source": "b.pkl",
            },
        ],
        "errors": [{"category": "MODEL_SCAN", "description": "Error importing scanner x"}],
    }
    path = tmp_path / "looks-like-notes.txt"  # detection is by content, not by name
    path.write_text(json.dumps(doc))
    [result] = ingest(path).files
    assert result.status == Status.LOADED and result.counts.loaded == 3 and result.counts.rejected == 1
    assert "unknown modelscan severity 'SEVERE'" in (result.message or "")
    assert query("SELECT position, position_kind, reason FROM rejects") == [
        (2, "record", "issue has no source (the file it was found in)")
    ]
    assert query(
        "SELECT target, severity_raw, severity FROM scan_results WHERE kind = 'issue' ORDER BY 1"
    ) == [("/m/a.pkl", "SEVERE", "medium"), ("/m/b.pkl", "low", "low")]
    assert query("SELECT target, rule_id, message FROM scan_results WHERE kind = 'error'") == [
        ("/m", "modelscan:error:MODEL_SCAN", "Error importing scanner x")
    ]


def test_sniff_leaves_other_json_alone(tmp_path: Path) -> None:
    other = tmp_path / "bom.json"
    other.write_text(json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": []}))
    assert ModelscanReport().sniff(take_sample(other, other.stat().st_size)) == 0
    text = tmp_path / "log.txt"
    text.write_text("No settings file detected at x. Using defaults.\nnot json\n")
    assert ModelscanReport().sniff(take_sample(text, text.stat().st_size)) == 0


def test_member_split_uses_the_scanned_file_name() -> None:
    doc = {
        "summary": {
            "modelscan_version": "0.8.8",
            "absolute_path": "/data/a:b",
            "scanned": {"scanned_files": ["odd:name.pkl", "m.pt:archive/data.pkl"]},
        },
        "issues": [],
        "errors": [],
    }
    parsed = parse_report(doc, target_hint="/data/a:b/odd:name.pkl")
    assert [(r.target, r.member) for r in parsed.records] == [
        ("/data/a:b/odd:name.pkl", None),
        ("/data/a:b/m.pt", "archive/data.pkl"),
    ]


# -- mlspm scan -----------------------------------------------------------------------------------


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_scan_directory(models: Path, run_cli, query) -> None:
    result = run_cli("scan", models)
    assert result.exit_code == 0, result.output
    root = str(models)
    rows = query(
        "SELECT kind, target, member, rule_id, severity, module_operator, sha256 FROM scan_results "
        "ORDER BY source_pos"
    )
    issues = sorted(r for r in rows if r[0] == "issue")
    assert issues == [
        (
            "issue",
            f"{root}/evil.pkl",
            None,
            "modelscan:PickleUnsafeOpScan:posix.system",
            "critical",
            "posix.system",
            _sha(models / "evil.pkl"),
        ),
        (
            "issue",
            f"{root}/model.pt",
            "archive/data.pkl",
            "modelscan:PickleUnsafeOpScan:builtins.eval",
            "critical",
            "builtins.eval",
            _sha(models / "model.pt"),
        ),
    ]
    scanned = sorted((r[1], r[2]) for r in rows if r[0] == "scanned")
    assert scanned == [
        (f"{root}/benign.pkl", None),
        (f"{root}/evil.pkl", None),
        (f"{root}/model.pt", "archive/data.pkl"),
    ]
    skipped = sorted((r[1], r[2], r[3]) for r in rows if r[0] == "skipped")
    assert skipped == [
        (f"{root}/model.pt", "archive/data/0", "modelscan:skipped:SCAN_NOT_SUPPORTED"),
        (f"{root}/model.pt", "archive/version", "modelscan:skipped:SCAN_NOT_SUPPORTED"),
        (f"{root}/notes.txt", None, "modelscan:skipped:SCAN_NOT_SUPPORTED"),
    ]
    assert all(r[6] == _sha(Path(r[1])) for r in rows)
    runs = query("SELECT run_id, path, format, status, target_table, rows_loaded, sha256 FROM ingest_runs")
    assert runs == [(runs[0][0], root, "modelscan", "loaded", "scan_results", len(rows), None)]
    assert query("SELECT count(DISTINCT id), min(source_pos), max(source_pos) FROM scan_results") == [
        (len(rows), 1, len(rows))
    ]
    assert "posix.system" in result.output and "files scanned" in result.output


def test_scan_json_output(models: Path, run_cli) -> None:
    result = run_cli("scan", models, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["summary"]["files"] == 4
    assert data["summary"]["scanned"] == 3
    assert data["summary"]["skipped"] == 1
    assert data["summary"]["issues_by_severity"]["critical"] == 2
    by_name = {Path(f["path"]).name: f for f in data["files"]}
    assert by_name["notes.txt"]["status"] == "skipped"
    assert by_name["evil.pkl"]["sha256"] == _sha(models / "evil.pkl")


def test_scan_equals_imported_report(models: Path, tmp_path: Path, run_cli, ingest, query) -> None:
    evil = models / "evil.pkl"
    report = tmp_path / "evil.json"
    report.write_text(json.dumps(_modelscan_report(evil)))
    assert run_cli("scan", evil).exit_code == 0
    ingest(report)
    scan_run, import_run = (r[0] for r in query("SELECT run_id FROM ingest_runs ORDER BY run_id"))
    assert _rows(query, scan_run) == _rows(query, import_run)
    assert query("SELECT DISTINCT sha256 FROM scan_results WHERE run_id = ?", [import_run]) == [(None,)]


def test_rescan_adds_a_new_run_with_the_same_rows(models: Path, run_cli, query) -> None:
    assert run_cli("scan", models).exit_code == 0
    assert run_cli("scan", models).exit_code == 0
    first, second = (r[0] for r in query("SELECT run_id FROM ingest_runs ORDER BY run_id"))
    columns = (
        "kind, target, member, rule_id, severity_raw, severity, module_operator, message, source_pos, sha256"
    )
    rows = [
        query(f"SELECT {columns} FROM scan_results WHERE run_id = ? ORDER BY source_pos", [r])
        for r in (first, second)
    ]
    assert rows[0] == rows[1] and rows[0]
    assert query("SELECT count(DISTINCT id) FROM scan_results") == [(2 * len(rows[0]),)]


def test_scan_links_results_to_inventory_assets_by_sha256(models: Path, run_cli, store, query) -> None:
    sha = _sha(models / "evil.pkl")
    with store.transaction() as cur:
        cur.execute(
            "INSERT INTO assets (asset_id, kind, name, source, updated_at) "
            "VALUES ('model:fraud', 'model', 'fraud', 'test', now())"
        )
        cur.execute("INSERT INTO asset_locators VALUES ('model:fraud', ?, 'sha256', NULL)", [sha])
    assert run_cli("scan", models).exit_code == 0
    assert query(
        "SELECT DISTINCT kind, asset_id FROM scan_results WHERE target LIKE '%evil.pkl' ORDER BY 1"
    ) == [("issue", "model:fraud"), ("scanned", "model:fraud")]
    assert query("SELECT count(*) FROM scan_results WHERE asset_id IS NULL AND target LIKE '%evil.pkl'") == [
        (0,)
    ]


def test_time_cap_skips_the_file_and_the_scan_goes_on(models: Path, run_cli, query) -> None:
    (models / "heavy.pkl").write_bytes(opcode_heavy(1_000_000))  # ~3 s of genops here
    result = run_cli("scan", models, "--max-seconds", "0.5")
    assert result.exit_code == 0, result.output
    assert query(
        "SELECT kind, rule_id, message, sha256 FROM scan_results WHERE target LIKE '%heavy.pkl'"
    ) == [("skipped", "modelscan:skipped:TIME_LIMIT", "took longer than 0.5 s", _sha(models / "heavy.pkl"))]
    scanned = query("SELECT DISTINCT target FROM scan_results WHERE kind = 'scanned' ORDER BY 1")
    assert [Path(t).name for (t,) in scanned] == ["benign.pkl", "evil.pkl", "model.pt"]
    assert "took longer than 0.5 s" in result.output


def test_memory_cap_skips_the_file_and_the_scan_goes_on(models: Path, run_cli, query) -> None:
    (models / "heavy.pkl").write_bytes(opcode_heavy(1_000_000))  # ~200 MB of opcode tuples
    (models / "later.pkl").write_bytes(OS_SYSTEM)
    with scan_client.ScanWorker(60, 4096) as probe:  # the cap leaves ~50 MB above the idle worker
        info = probe.start()
    cap = (info.rss_kb or 30_000) // 1024 + 50
    result = run_cli("scan", models, "--max-memory-mb", cap)
    assert result.exit_code == 0, result.output
    assert query("SELECT kind, rule_id, message FROM scan_results WHERE target LIKE '%heavy.pkl'") == [
        ("skipped", "modelscan:skipped:MEMORY_LIMIT", f"used more than {cap} MB")
    ]
    issues = query("SELECT target FROM scan_results WHERE kind = 'issue' ORDER BY 1")
    assert [Path(t).name for (t,) in issues] == ["evil.pkl", "later.pkl", "model.pt"]


def test_a_memory_cap_below_the_idle_worker_is_a_usage_error(models: Path, run_cli) -> None:
    result = run_cli("scan", models, "--max-memory-mb", "5")
    assert result.exit_code == 2
    assert "below what the idle scanner already uses" in result.output


def test_exit_codes(models: Path, tmp_path: Path, run_cli, query) -> None:
    only_text = tmp_path / "docs"
    only_text.mkdir()
    (only_text / "readme.txt").write_text("hi")
    result = run_cli("scan", only_text)
    assert result.exit_code == 1 and "nothing could be scanned" in result.output
    result = run_cli("scan", models, tmp_path / "missing")
    assert result.exit_code == 1 and "does not exist" in result.output
    assert query("SELECT position_kind, reason FROM rejects WHERE path LIKE '%missing'") == [
        ("file", "no such file or directory")
    ]
    assert query("SELECT count(*) FROM scan_results WHERE kind = 'issue' AND target LIKE '%evil.pkl'") == [
        (1,)
    ]
    assert "Exit codes" in run_cli("scan", "--help").output


def test_object_npy_payload_is_scanned(tmp_path: Path, run_cli, query) -> None:
    # modelscan 0.8.8 alone fails on every .npy with numpy 2; the worker restores the header parser.
    (tmp_path / "obj.npy").write_bytes(npy(OS_SYSTEM))
    (tmp_path / "floats.npy").write_bytes(npy(b"\x00" * 8, "<f8"))
    assert run_cli("scan", tmp_path / "obj.npy", tmp_path / "floats.npy").exit_code == 0
    assert query("SELECT kind, rule_id FROM scan_results ORDER BY target, source_pos") == [
        ("scanned", None),
        ("issue", "modelscan:NumpyUnsafeOpScan:posix.system"),
        ("scanned", None),
    ]


def test_hostile_names_and_odd_entries(tmp_path: Path, run_cli, query) -> None:
    root = tmp_path / "m"
    root.mkdir()
    hostile = root / "[bold red]x[blink] \x1b[31mred.pkl"
    hostile.write_bytes(OS_SYSTEM)
    (root / "odd:name.pkl").write_bytes(BENIGN_LIST)
    (root / ".hidden.pkl").write_bytes(global_reduce("subprocess", "Popen", "id"))
    os.mkfifo(root / "pipe.pkl")
    (root / "linked").symlink_to(tmp_path, target_is_directory=True)
    torch_zip(root / "weights.bin", OS_SYSTEM, folder="w")
    result = run_cli("scan", root)
    assert result.exit_code == 0, result.output
    assert "[bold red]x[blink]" in result.output and "\x1b" not in result.output
    rows = query(
        "SELECT kind, target, member, rule_id, message FROM scan_results ORDER BY target, source_pos"
    )
    by_target: dict[str, list[tuple[object, ...]]] = {}
    for kind, target, member, rule, message in rows:
        by_target.setdefault(Path(target).name, []).append((kind, member, rule, message))
    assert by_target["odd:name.pkl"] == [("scanned", None, None, None)]
    assert (
        "issue",
        None,
        "modelscan:PickleUnsafeOpScan:subprocess.Popen",
        "Use of unsafe operator 'Popen' from module 'subprocess'",
    ) in by_target[".hidden.pkl"]
    assert by_target["pipe.pkl"] == [
        ("skipped", None, "modelscan:skipped:NOT_A_FILE", "a FIFO, not a regular file")
    ]
    assert by_target["linked"] == [
        ("skipped", None, "modelscan:skipped:NOT_A_FILE", "a symbolic link to a directory (not followed)")
    ]
    assert by_target[hostile.name][0][2] == "modelscan:PickleUnsafeOpScan:posix.system"
    # A zip whose suffix is a legacy-pickle one (.bin): the members are scanned by their own names.
    assert (
        "issue",
        "w/data.pkl",
        "modelscan:PickleUnsafeOpScan:posix.system",
        "Use of unsafe operator 'system' from module 'posix'",
    ) in by_target["weights.bin"]


FAKE_WORKER = """
import json, os, sys
out = sys.stdout
out.write(json.dumps({"ready": True, "modelscan_version": "0.8.8", "rss_kb": 1000, "peak_kb": 1000}) + "\\n")
out.flush()
for line in sys.stdin:
    path = json.loads(line)["path"]
    if os.path.basename(path).startswith("crash"):
        os.kill(os.getpid(), 9)
    parent, name = os.path.split(path)
    report = {"summary": {"modelscan_version": "0.8.8", "absolute_path": parent, "input_path": path,
              "scanned": {"total_scanned": 1, "scanned_files": [name]}}, "issues": [], "errors": []}
    out.write(json.dumps({"ok": True, "report": report, "seconds": 0.001, "peak_kb": 1000}) + "\\n")
    out.flush()
"""


def test_a_crashing_worker_is_an_error_row_and_the_scan_goes_on(
    tmp_path: Path, run_cli, query, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "fake_worker.py"
    fake.write_text(FAKE_WORKER)
    monkeypatch.setattr(scan_client, "WORKER_SCRIPT", fake)
    root = tmp_path / "m"
    root.mkdir()
    for name in ("a.pkl", "crash.pkl", "z.pkl"):
        (root / name).write_bytes(BENIGN_LIST)
    assert run_cli("scan", root).exit_code == 0
    assert query("SELECT kind, rule_id, message FROM scan_results ORDER BY target") == [
        ("scanned", None, None),
        (
            "error",
            "modelscan:error:SCANNER_CRASHED",
            "the scanner process died while scanning this file (killed by SIGKILL)",
        ),
        ("scanned", None, None),
    ]


# -- the worker's static-only guarantees ----------------------------------------------------------


def test_worker_disables_unaudited_scanners() -> None:
    from modelscan.settings import DEFAULT_SETTINGS

    settings = copy.deepcopy(DEFAULT_SETTINGS)
    settings["scanners"]["somewhere.LoadsTheModelScan"] = {"enabled": True, "supported_extensions": [".pkl"]}
    checked, enabled, disabled = scan_worker.audited_settings(settings)
    assert checked["scanners"]["somewhere.LoadsTheModelScan"]["enabled"] is False
    assert disabled == ["somewhere.LoadsTheModelScan: not audited as static"]
    assert set(enabled) == set(scan_worker.AUDITED_SCANNERS)
    assert settings["scanners"]["somewhere.LoadsTheModelScan"]["enabled"] is True  # the input is untouched


def test_worker_replaces_deserializers() -> None:
    code = (
        "import sys, pickle, numpy; sys.path.insert(0, sys.argv[1]); import worker; "
        "worker.forbid_deserialization(); "
        "print(pickle.loads is worker._forbidden, pickle.Unpickler is worker._forbidden, "
        "numpy.load is worker._forbidden)"
    )
    done = subprocess.run(
        [sys.executable, "-I", "-c", code, str(Path(scan_worker.__file__).parent)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.split() == ["True", "True", "True"]


def test_config_defaults_are_used(models: Path, store, config: Config) -> None:
    from mlspm.scan.runner import scan_paths

    run = scan_paths(
        store, [models / "evil.pkl"], config.with_(scan_max_seconds=30.0, scan_max_memory_mb=512)
    )
    assert [f.status for f in run.files] == ["scanned"]
    assert run.worker_starts == 1
