"""supply_scan_format_unsupported: model files every scanner skipped or failed on; any real scan clears it."""

from __future__ import annotations

from mlspm.ingest.linking import relink_all
from tests.analyzers.conftest import T0, days

ID = "supply_scan_format_unsupported"
SHA = "12" * 32
MODEL = "model:ranker@2.0.0"


def _skip(estate, target, scanner, rule, message, run_id, kind="skipped", **kw):
    return estate.scan(target, kind, scanner=scanner, rule_id=rule, message=message, run_id=run_id, **kw)


def test_fires_for_a_model_file_no_scanner_could_scan(estate):
    estate.asset(MODEL, "model", "ranker", locators=(SHA,), version="2.0.0", environment="prod")
    skipped = _skip(
        estate,
        "/models/ranker/model.onnx",
        "modelscan",
        "modelscan:skipped:SCAN_NOT_SUPPORTED",
        "Model Scan did not scan file",
        3,
    )
    failed = _skip(
        estate,
        "/models/ranker/model.onnx",
        "modelaudit",
        "modelaudit:error",
        "Error scanning file: truncated protobuf",
        4,
        kind="error",
        sha256=SHA,
    )
    estate.flush()
    with estate.store.cursor() as cur:
        relink_all(cur)
    (f,) = estate.run(ID)
    assert f.key == f"sha256:{SHA}" and f.asset_id == MODEL and f.severity is None  # metadata's medium
    assert f.resource == "/models/ranker/model.onnx" and sorted(f.scan_ids) == sorted([skipped, failed])
    assert f.summary.startswith("No scanner could scan /models/ranker/model.onnx (sha256 121212121212…)")
    assert (
        "modelaudit failed on it (modelaudit:error: Error scanning file: truncated protobuf); "
        "modelscan skipped it (modelscan:skipped:SCAN_NOT_SUPPORTED: Model Scan did not scan file)"
    ) in f.summary
    assert "the artifact of model ranker 2.0.0 (prod)" in f.summary
    assert f.details["skipped_by"] == ["modelscan"] and f.details["failed_on"] == ["modelaudit"]


def test_quiet_for_non_model_files_code_free_formats_and_files_scanned_later(estate):
    # configs, tokenizers and safetensors skipped by modelscan are not reported by default
    for name in ("tokenizer.json", "config.yaml", "model.safetensors"):
        _skip(estate, f"/m/{name}", "modelscan", "modelscan:skipped:SCAN_NOT_SUPPORTED", None, 3)
    # skipped by modelscan, scanned by ModelAudit later (same bytes): scanned
    _skip(estate, "/m/a.gguf", "modelscan", "modelscan:skipped:SCAN_NOT_SUPPORTED", None, 3, scanned_at=T0)
    estate.scan(
        "a.gguf", "scanned", scanner="modelaudit", run_id=5, scanned_at=T0 + days(1), sha256="34" * 32
    )
    estate.scan("/m/a.gguf", "skipped", scanner="modelscan", run_id=6, sha256="34" * 32)
    # an archive member skipped while another member was scanned
    estate.scan("/m/b.pt", "skipped", member="archive/version", run_id=3)
    estate.scan("/m/b.pt", "scanned", member="archive/data.pkl", run_id=3)
    # a file flagged by one scanner and skipped by another was scanned
    estate.scan("/m/c.pkl", "skipped", scanner="modelscan", run_id=3)
    estate.scan("/m/c.pkl", "issue", scanner="picklescan", severity="critical", run_id=4)
    assert estate.run(ID) == []
    assert [f.resource for f in estate.run(ID, model_extensions=[".safetensors"])] == ["/m/model.safetensors"]
