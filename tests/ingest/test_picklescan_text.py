"""picklescan text output: the README sample, current and debug wordings, odd lines, other text left alone."""

from __future__ import annotations

from pathlib import Path

from mlspm.ingest import Status, ingest_paths
from mlspm.ingest.detect import detect
from mlspm.ingest.formats.picklescan_text import PicklescanText
from mlspm.ingest.source import take_sample

SAMPLE = "scanners/picklescan/readme_cli_output_huggingface.txt"
COLUMNS = "kind, target, member, rule_id, severity_raw, severity, module_operator, message, source_pos"


def test_readme_sample(real_samples: Path, ingest, query) -> None:
    [result] = ingest(real_samples / SAMPLE).files
    assert (result.status, result.format) == (Status.LOADED, "picklescan"), result.message
    assert (result.counts.loaded, result.counts.rejected) == (1, 0)
    assert result.message is None  # the summary's 1 infected file and 1 dangerous global match
    assert query(f"SELECT {COLUMNS} FROM scan_results") == [
        (
            "issue",
            "https://huggingface.co/ykilcher/totally-harmless-model/resolve/main/pytorch_model.bin",
            "archive/data.pkl",
            "picklescan:global",
            "global",
            "critical",
            "__builtin__.eval",
            "global import '__builtin__ eval' FOUND",
            1,
        )
    ]
    assert query("SELECT scanner, scanned_at FROM scan_results") == [("picklescan", None)]


def test_current_wording_debug_lines_errors_and_strange_lines(tmp_path: Path, ingest, query) -> None:
    lines = [
        "Scanning file /m/model.pt",
        "Scanning file archive/data.pkl in zip archive /m/model.pt",
        "Global imports in /m/model.pt:archive/data.pkl: {('posix', 'system')}",
        "/m/model.pt:archive/data.pkl: dangerous import 'posix system' FOUND",
        "Scanning file C:\\models\\odd: name.pkl",
        "C:\\models\\odd: name.pkl: suspicious import 'numpy.random _pickle' FOUND",
        "/m/strict.pkl: dangerous import 'mymod helper' FOUND (promoted by --strict)",
        "/m/weird.pkl: alarming import 'x y' FOUND",
        "ERROR: parsing pickle in /m/broken.pkl: unexpected EOF",
        "\x1b[31mrm -rf /\x1b[0m",
        "----------- SCAN SUMMARY -----------",
        "Scanned files: 4",
        "Infected files: 3",
        "Dangerous globals: 1",
    ]
    path = tmp_path / "scan.json"  # a misleading name: detection is by content
    path.write_text("\n".join(lines) + "\n")
    [result] = ingest(path).files
    assert (result.status, result.format) == (Status.LOADED, "picklescan"), result.message
    assert (result.counts.loaded, result.counts.rejected) == (8, 1)
    assert "unknown picklescan safety 'alarming' stored as medium" in (result.message or "")
    assert "the summary says 1 dangerous global(s) but 2 are listed" in (result.message or "")
    rows = query(
        "SELECT kind, target, member, severity_raw, severity, module_operator, source_pos FROM scan_results ORDER BY id"
    )
    assert rows == [
        ("scanned", "/m/model.pt", None, None, None, None, 1),
        ("scanned", "/m/model.pt", "archive/data.pkl", None, None, None, 2),
        ("issue", "/m/model.pt", "archive/data.pkl", "dangerous", "critical", "posix.system", 4),
        ("scanned", "C:\\models\\odd: name.pkl", None, None, None, None, 5),
        ("issue", "C:\\models\\odd: name.pkl", None, "suspicious", "low", "numpy.random._pickle", 6),
        ("issue", "/m/strict.pkl", None, "dangerous (promoted by --strict)", "high", "mymod.helper", 7),
        ("issue", "/m/weird.pkl", None, "alarming", "medium", "x.y", 8),
        ("error", "/m/broken.pkl", None, None, None, None, 9),
    ]
    assert query("SELECT message FROM scan_results WHERE kind = 'error'") == [("unexpected EOF",)]
    assert query("SELECT position, position_kind, reason, raw FROM rejects") == [
        (10, "line", "not a picklescan result, error or summary line", "\x1b[31mrm -rf /\x1b[0m")
    ]


def test_sniff_by_content_and_other_text_left_alone(real_samples: Path, tmp_path: Path) -> None:
    copy = tmp_path / "report.json"
    copy.write_text((real_samples / SAMPLE).read_text())
    detection = detect(take_sample(copy, copy.stat().st_size))
    assert detection.format is not None and detection.format.name == "picklescan"
    prose = tmp_path / "notes.txt"
    prose.write_text("We found a problem: the model import 'failed' FOUND nothing useful.\nDear diary.\n")
    assert PicklescanText().sniff(take_sample(prose, prose.stat().st_size)) == 0
    for other in ("s3_access_logs", "inference_access_logs", "scanners/modelscan"):
        for path in sorted((real_samples / other).glob("*")):
            assert PicklescanText().sniff(take_sample(path, path.stat().st_size)) == 0, path


def test_a_file_with_no_picklescan_line_is_one_reject(tmp_path: Path, store, config, query) -> None:
    forced = tmp_path / "other.txt"
    forced.write_text("hello\n")
    report = ingest_paths(store, [forced], config, force_format=PicklescanText())
    assert report.files[0].status == Status.FAILED
    assert query("SELECT position_kind, reason FROM rejects") == [
        ("file", "could not load: no picklescan result or summary line in the file")
    ]
