"""The command line as a user meets it: help, ingest of a mixed folder, stats, JSON output, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mlspm.ingest.runner import FILE_MEMORY_LIMIT, GROUP_MEMORY_LIMIT
from mlspm.store.database import INGEST_MEMORY_LIMIT


def mlspm(
    *args: str, db: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "mlspm", *(["--db", str(db)] if db else []), *args]
    return subprocess.run(cmd, capture_output=True, text=True, check=False, env={**os.environ, **(env or {})})


def test_help_explains_the_tool_and_the_database_location():
    done = mlspm("--help")
    assert done.returncode == 0
    for words in ("ML security posture", "mlspm ingest", "mlspm scan", "mlspm stats", "MLSPM_DB", "--db"):
        assert words in done.stdout
    ingest_help = mlspm("ingest", "--help").stdout
    assert "content" in ingest_help and "rejects" in ingest_help and "Exits 1" in ingest_help
    # the memory caps it states are the ones the loader uses
    for cap in (FILE_MEMORY_LIMIT, GROUP_MEMORY_LIMIT, "MLSPM_MEMORY_LIMIT", INGEST_MEMORY_LIMIT):
        assert cap in ingest_help


def test_ingest_a_mixed_folder_then_stats(tmp_path, real_samples):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for rel in (
        "s3_access_logs/awsdocs_LogFormat_example_5records.log",
        "cloudtrail/aws_docs/sagemaker_devguide_01_CreateEndpoint.json",
        "inventory/cyclonedx_mlbom/Model-Card-With-Dataset_bom.cdx1.7.json",
    ):
        (inbox / Path(rel).name).write_bytes((real_samples / rel).read_bytes())
    (inbox / "notes.txt").write_text("not a log\n")
    db = tmp_path / "x.duckdb"
    done = mlspm("ingest", str(inbox), db=db)
    assert done.returncode == 1, done.stderr  # notes.txt could not be read as anything
    assert "Traceback" not in done.stdout + done.stderr
    for words in ("s3_access", "cloudtrail", "cyclonedx", "unrecognized", "3 loaded", "1 not loaded"):
        assert words in done.stdout, words
    assert "notes.txt: not a supported format" in done.stderr

    stats = json.loads(mlspm("stats", "--json", db=db).stdout)
    assert stats["tables"]["access_events"] == 6
    assert stats["assets_by_kind"] == {"dataset": 2, "model": 1}
    assert stats["files_by_status"]["unrecognized"] == 1
    text = mlspm("stats", db=db).stdout
    assert "access_events" in text and "rejects by reason" in text


def test_ingest_json_summary_and_env_database(tmp_path):
    sample = tmp_path / "ev.jsonl"
    sample.write_text('{"ts": "2026-01-01T00:00:00Z", "principal": "p", "action": "x"}\n')
    db = tmp_path / "env.duckdb"
    done = mlspm("ingest", "--json", str(sample), env={"MLSPM_DB": str(db)})
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["database"] == str(db)
    assert summary["files"][0]["status"] == "loaded" and summary["files"][0]["rows"] == 1
    again = json.loads(mlspm("ingest", "--json", str(sample), env={"MLSPM_DB": str(db)}).stdout)
    assert again["files"][0]["status"] == "already_loaded"


def test_stats_on_a_missing_database_says_what_to_do(tmp_path):
    done = mlspm("stats", db=tmp_path / "none.duckdb")
    assert done.returncode == 1
    assert "no mlspm database" in done.stderr and "mlspm ingest" in done.stderr


@pytest.mark.parametrize("args", [("ingest",), ("ingest", "--format", "nope", "x"), ("frobnicate",)])
def test_usage_errors_are_short_and_clear(tmp_path, args):
    done = mlspm(*args, db=tmp_path / "u.duckdb")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr


def test_untrusted_text_in_messages_cannot_drive_the_terminal(tmp_path):
    evil = tmp_path / "evil\x1b[2Jname.txt"
    evil.write_text("\x1b]0;pwned\x07 [bold red]x[/] not a log\n")
    done = mlspm("ingest", str(tmp_path), db=tmp_path / "e.duckdb")
    assert "\x1b" not in done.stdout + done.stderr
    assert "\\x1b" in done.stdout + done.stderr


def test_a_folder_of_many_files_is_summarised_per_format(tmp_path):
    """Delivered logs come as thousands of small files: one row per format and status, notes capped."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for n in range(45):
        (inbox / f"part-{n:03d}.jsonl").write_text(
            f'{{"ts": "2026-01-01T00:{n:02d}:00Z", "principal": "p{n}", "action": "GetObject"}}\n'
        )
    for n in range(43):
        (inbox / f"junk-{n:03d}.txt").write_text(f"not a log {n}\n")
    db = tmp_path / "x.duckdb"
    done = mlspm("ingest", str(inbox), db=db)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert any("generic_events" in line and "loaded" in line and "45" in line for line in lines), done.stdout
    assert any("unrecognized" in line and "43" in line for line in lines), done.stdout
    assert "part-000.jsonl" not in done.stdout  # no row per file
    assert "88 files: 45 loaded, 0 already loaded, 43 not loaded" in done.stdout
    # The 43 files not loaded: 40 named, then a count of the rest and where to find them.
    assert done.stderr.count("not a supported format") == 40
    assert "… and 3 more files with a note" in done.stderr

    again = mlspm("ingest", "--files", str(inbox), db=tmp_path / "y.duckdb")
    assert "part-000.jsonl" in again.stdout and "junk-042.txt" in again.stdout
    assert again.stderr.count("not a supported format") == 43
