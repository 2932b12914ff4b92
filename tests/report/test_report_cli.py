"""``mlspm report`` as a user runs it: files written atomically, stdout, clear errors with exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner, Result

from mlspm.cli import cli
from mlspm.report import write_atomic


def run(db: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, ["--db", str(db), "report", *args], env=env, catch_exceptions=False)


def test_report_writes_a_sarif_file_and_says_so(writable_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.sarif"
    done = run(writable_db, "--format", "sarif", "-o", str(out))
    assert done.exit_code == 0, done.output
    assert f"wrote SARIF report with 9 findings to {out}" in done.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["version"] == "2.1.0" and len(doc["runs"][0]["results"]) == 9
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp file left


def test_report_to_stdout_with_filters_and_a_fixed_time(writable_db: Path) -> None:
    done = run(
        writable_db,
        "--format",
        "md",
        "--min-severity",
        "high",
        "--status",
        "confirmed",
        "--status",
        "open",
        env={"SOURCE_DATE_EPOCH": "1773826200"},
    )
    assert done.exit_code == 0, done.output
    assert done.output.startswith("# ML security posture")
    assert "2026-03-18 09:30:00 UTC" in done.output
    assert "severity high and above; triage status confirmed, open" in done.output
    assert "Inventory asset has no owner" not in done.output


def test_include_inactive_and_since(writable_db: Path) -> None:
    everything = json.loads(run(writable_db, "--format", "json", "--include-inactive").output)
    recent = json.loads(run(writable_db, "--format", "json", "--since", "2026-03-16").output)
    assert len(everything["findings"]) == 10
    assert recent["findings"] and all(f["last_seen"] >= "2026-03-16" for f in recent["findings"])


def test_bad_options_exit_2_with_a_message_and_no_traceback(writable_db: Path, tmp_path: Path) -> None:
    for args, words in (
        (("--min-severity", "severe"), "unknown severity 'severe'"),
        (("--status", "closed"), "unknown status 'closed'"),
        (("--since", "last tuesday"), "is not a date"),
        (("--format", "pdf"), "'pdf' is not one of"),
        (("-o", str(tmp_path / "missing" / "r.html")), "does not exist"),
    ):
        done = CliRunner().invoke(cli, ["--db", str(writable_db), "report", *args])
        assert done.exit_code == 2, (args, done.output)
        assert words in done.output, (args, done.output)
        assert "Traceback" not in done.output


def test_a_missing_database_is_a_clear_error(tmp_path: Path) -> None:
    done = CliRunner().invoke(cli, ["--db", str(tmp_path / "none.duckdb"), "report"])
    assert done.exit_code == 1 and "there is no mlspm database" in done.output
    assert not (tmp_path / "none.duckdb").exists()


def test_the_installed_command_writes_html(writable_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    cmd = [
        sys.executable,
        "-m",
        "mlspm",
        "--db",
        str(writable_db),
        "report",
        "--format",
        "html",
        "-o",
        str(out),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_write_atomic_replaces_a_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "r.json"
    target.write_text("old", encoding="utf-8")
    write_atomic(target, "new")
    assert target.read_text(encoding="utf-8") == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]
