"""fickling safety reports: the real sample, objects back to back, garbage between them, broken files."""

from __future__ import annotations

import json
from pathlib import Path

from mlspm.ingest import Status
from mlspm.ingest.detect import detect
from mlspm.ingest.formats.fickling_report import FicklingReport
from mlspm.ingest.source import take_sample

SAMPLE = "scanners/fickling/readme_unsafe_file_error_info.json"
COLUMNS = "kind, target, member, rule_id, severity_raw, severity, module_operator, message, source_pos"
SAFE = {
    "severity": "LIKELY_SAFE",
    "analysis": "Warning: Fickling failed to detect any overtly unsafe code,but the pickle file may still be unsafe.",
    "detailed_results": {},
}
UNSAFE = {
    "severity": "LIKELY_UNSAFE",
    "analysis": "`torch._utils._rebuild_tensor_v2(...)` imports a Python module that is not a part of the "
    "standard library; this can execute arbitrary code and is inherently unsafe",
    "detailed_results": {"AnalysisResult": {"NonStandardImports": "torch._utils._rebuild_tensor_v2(...)"}},
}


def test_real_sample(real_samples: Path, ingest, query) -> None:
    path = real_samples / SAMPLE
    [result] = ingest(path).files
    assert (result.status, result.format) == (Status.LOADED, "fickling"), result.message
    assert (result.counts.loaded, result.counts.rejected) == (3, 0)  # 1 scanned + 2 analyses
    assert "do not name the file they analysed" in (result.message or "")
    target = str(path.resolve())
    rows = query(f"SELECT {COLUMNS} FROM scan_results ORDER BY id")
    line = (
        "Call to `eval(b'[5, 6, 7, 8]')` is almost certainly evidence of a malicious pickle file. Variable "
        "`_var0` is assigned value `eval(b'[5, 6, 7, 8]')` but unused afterward; this is suspicious and "
        "indicative of a malicious pickle file"
    )
    assert rows == [
        ("scanned", target, None, None, None, None, None, None, 1),
        (
            "issue",
            target,
            None,
            "fickling:OvertlyBadEval",
            "OVERTLY_MALICIOUS",
            "critical",
            "eval(b'[5, 6, 7, 8]')",
            line,
            1,
        ),
        (
            "issue",
            target,
            None,
            "fickling:UnusedVariables",
            "OVERTLY_MALICIOUS",
            "critical",
            "_var0 = eval(b'[5, 6, 7, 8]')",
            line,
            1,
        ),
    ]
    assert query("SELECT DISTINCT scanner FROM scan_results") == [("fickling",)]


def test_objects_back_to_back_with_garbage_between(tmp_path: Path, ingest, query) -> None:
    # What fickling's append mode writes for three stacked pickles, with a stray line in between.
    text = json.dumps(SAFE, indent=4) + json.dumps(UNSAFE, indent=4) + "\noops, not JSON\n"
    text += json.dumps({"severity": "SEVERE", "analysis": "?", "detailed_results": {}}, indent=4)
    text += json.dumps({"something": "else"})
    path = tmp_path / "results.log"
    path.write_text(text)
    [result] = ingest(path).files
    assert result.status == Status.LOADED, result.message
    assert (result.counts.loaded, result.counts.rejected) == (5, 2)
    assert "unknown fickling severity 'SEVERE' stored as medium" in (result.message or "")
    target = str(path.resolve())
    assert query(
        "SELECT kind, target, member, rule_id, severity, source_pos FROM scan_results ORDER BY id"
    ) == [
        ("scanned", target, "pickle 1", None, None, 1),
        ("scanned", target, "pickle 2", None, None, 2),
        ("issue", target, "pickle 2", "fickling:NonStandardImports", "high", 2),
        ("scanned", target, "pickle 3", None, None, 3),
        ("issue", target, "pickle 3", "fickling:SEVERE", "medium", 3),
    ]
    rejects = query("SELECT position, position_kind, reason, raw FROM rejects ORDER BY position_kind")
    line = text[: text.index("oops")].count("\n") + 1
    assert rejects[0][:2] == (line, "line") and rejects[0][3] == "oops, not JSON\n"
    assert rejects[0][2].startswith(f"not a fickling result object at line {line} column 1: invalid JSON")
    last = text[: text.rindex("{")].count("\n") + 1  # the stray object starts on the last object's line
    assert rejects[1][1:] == (
        "record",
        f"JSON value 4 (line {last}) is not a fickling result (no severity and analysis)",
        '{"something": "else"}',
    )


def test_truncated_last_object_and_nothing_usable(tmp_path: Path, ingest, query) -> None:
    cut = tmp_path / "cut.json"
    cut.write_text(json.dumps(UNSAFE, indent=4) + json.dumps(SAFE, indent=4)[:40])
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(UNSAFE, indent=4)[:-3])
    results = {f.path.name: f for f in ingest(cut, broken).files}
    assert (results["cut.json"].status, results["cut.json"].counts.loaded) == (Status.LOADED, 2)
    assert results["cut.json"].counts.rejected == 1
    assert results["broken.json"].status == Status.FAILED
    assert results["broken.json"].format == "fickling"
    assert "no fickling result object in the file (not a fickling result object at line 1 column 1" in (
        results["broken.json"].message or ""
    )


def test_detected_by_content(real_samples: Path, tmp_path: Path) -> None:
    copy = tmp_path / "model.pkl.txt"
    copy.write_text((real_samples / SAMPLE).read_text())
    detection = detect(take_sample(copy, copy.stat().st_size))
    assert detection.format is not None and detection.format.name == "fickling"
    for other in ("scanners/modelaudit", "scanners/modelscan", "scanners/pip_audit", "scanners/trivy"):
        for path in sorted((real_samples / other).glob("*")):
            assert FicklingReport().sniff(take_sample(path, path.stat().st_size)) == 0, path
