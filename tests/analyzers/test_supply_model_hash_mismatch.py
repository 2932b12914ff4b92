"""supply_model_hash_mismatch: a scanned file placed by location whose hash is not the recorded one fires."""

from __future__ import annotations

from mlspm.ingest.linking import relink_all
from tests.analyzers.conftest import T0, days

ID = "supply_model_hash_mismatch"
RECORDED = "81" * 32
ACTUAL = "2e" * 32
OLDER = "44" * 32
MODEL = "model:forecast@1.0.0"
FILE = "/tmp/estate/models/models-bucket/forecast/1.0.0/model.pkl"


def _inventory(estate, **kw):
    estate.asset(
        MODEL,
        "model",
        "forecast",
        version="1.0.0",
        sha256=RECORDED,
        environment="dev",
        locators=(
            "s3://models-bucket/forecast/1.0.0/model.pkl",
            "s3://models-bucket/forecast/1.0.0/",
            RECORDED,
        ),
        **kw,
    )


def _link(estate):
    estate.flush()
    with estate.store.cursor() as cur:
        relink_all(cur)


def test_fires_when_the_file_at_the_assets_location_has_another_hash(estate):
    _inventory(estate)
    ids = [estate.scan(FILE, "scanned", sha256=ACTUAL, run_id=5, scanned_at=T0)]
    _link(estate)
    (f,) = estate.run(ID)
    assert f.asset_id == MODEL and f.scan_ids == ids and f.severity is None  # the default: high
    assert f.resource == "s3://models-bucket/forecast/1.0.0/model.pkl"
    assert f"has sha256 {ACTUAL[:12]}… but the inventory records {RECORDED[:12]}…" in f.summary
    assert "no inventory asset records that hash" in f.summary
    assert f.details["scanned_paths"] == [FILE]


def test_quiet_when_the_hash_matches(estate):
    _inventory(estate)
    estate.scan(FILE, "scanned", sha256=RECORDED, run_id=5, scanned_at=T0)
    _link(estate)
    assert estate.run(ID) == []


def test_the_latest_scan_wins_a_restored_file_stops_firing(estate):
    _inventory(estate)
    estate.scan(FILE, "scanned", sha256=ACTUAL, run_id=5, scanned_at=T0)
    estate.scan(FILE, "scanned", sha256=RECORDED, run_id=6, scanned_at=T0 + days(1))
    _link(estate)
    assert estate.run(ID) == []


def test_a_swapped_in_older_version_is_named_and_scanner_flags_are_mentioned(estate):
    _inventory(estate)
    estate.asset(
        "model:forecast@0.9.0", "model", "forecast", version="0.9.0", sha256=OLDER, locators=(OLDER,)
    )
    ids = [
        estate.scan(FILE, "issue", sha256=OLDER, run_id=5, scanned_at=T0, module_operator="posix.system"),
        estate.scan(FILE, "scanned", sha256=OLDER, run_id=5, scanned_at=T0),
    ]
    _link(estate)
    (f,) = estate.run(ID)
    assert f.asset_id == MODEL and sorted(f.scan_ids) == sorted(ids)
    assert "the one recorded for model:forecast@0.9.0" in f.summary and "flagged posix.system" in f.summary


def test_key_alone_needs_a_folder_and_multi_file_assets_need_a_hash_per_file(estate):
    estate.asset("model:root", "model", "root", sha256=RECORDED, locators=("s3://b/model.pkl", RECORDED))
    estate.asset(
        "model:multi",
        "model",
        "multi",
        sha256=OLDER,
        locators=("s3://b2/m/model.safetensors", "s3://b2/m/config.json", OLDER),
    )
    estate.scan(
        "/elsewhere/model.pkl", "scanned", sha256=ACTUAL, run_id=5, scanned_at=T0
    )  # key without folder
    estate.scan("/data/b2/m/config.json", "skipped", sha256=ACTUAL, run_id=5, scanned_at=T0)
    _link(estate)
    assert estate.run(ID) == []
    estate.scan("/data/b/model.pkl", "scanned", sha256=ACTUAL, run_id=6, scanned_at=T0)  # bucket/key: placed
    (f,) = estate.run(ID)
    assert f.asset_id == "model:root"
