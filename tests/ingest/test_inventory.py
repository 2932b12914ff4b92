"""Inventories: CycloneDX ML-BOMs (real samples and malformed ones) and the generic asset list (CSV/JSON)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlspm.ingest.assets import locators_for
from mlspm.ingest.formats.cyclonedx import CycloneDX, blank_trailing_commas
from mlspm.ingest.formats.generic_assets import GenericAssets
from mlspm.ingest.formats.generic_events import GenericEvents
from mlspm.ingest.source import take_sample

MLBOM = "inventory/cyclonedx_mlbom"
FIXTURES = "inventory/cyclonedx_spec_testfixtures"
TRAILING_COMMA = "trailing comma(s)"

STABLE_DIFFUSION = {
    "assets": {("model:stable-diffusion@1.4", "model"), ("dataset:Training Data", "dataset")},
    "lineage": {("model:stable-diffusion@1.4", "trained_on", "dataset:Training Data")},
    "warning": None,
}

# Checked by hand against each file (see the report): asset ids and kinds, lineage edges, the warning.
REAL_BOMS = {
    f"{MLBOM}/Dataset_bom.json": {
        "assets": {("dataset:wikipedia", "dataset")},
        "lineage": set(),
        # two trailing commas: after metadata.timestamp and after data[0].contents.url
        "warning": "2 trailing comma(s)",
    },
    f"{MLBOM}/Model-Card-With-Dataset_bom.cdx1.7.json": {
        "assets": {
            ("model:support-ticket-classifier@1.0.0", "model"),
            ("dataset:support-ticket-training-data", "dataset"),
            ("dataset:support-ticket-evaluation-data", "dataset"),
        },
        "lineage": {
            ("model:support-ticket-classifier@1.0.0", "trained_on", "dataset:support-ticket-training-data"),
            ("model:support-ticket-classifier@1.0.0", "trained_on", "dataset:support-ticket-evaluation-data"),
            # dependencies[]: the model depends on both datasets; the application is not an asset
            ("model:support-ticket-classifier@1.0.0", "depends_on", "dataset:support-ticket-training-data"),
            ("model:support-ticket-classifier@1.0.0", "depends_on", "dataset:support-ticket-evaluation-data"),
        },
        "warning": None,
    },
    f"{MLBOM}/Model_FoundationModels_bom.json": {
        "assets": {("model:gpt-4o", "model")},
        "lineage": set(),
        "warning": None,
    },
    f"{MLBOM}/Model_OpenSource_bom.json": {
        "assets": {
            ("model:bert-base-cased@cd5ef92a9fb2f889e972770a36d4ed042daf221e", "model"),
            ("dataset:legacy-datasets/wikipedia", "dataset"),
            ("dataset:bookcorpus/bookcorpus", "dataset"),
        },
        "lineage": {
            (
                "model:bert-base-cased@cd5ef92a9fb2f889e972770a36d4ed042daf221e",
                "trained_on",
                "dataset:legacy-datasets/wikipedia",
            ),
            (
                "model:bert-base-cased@cd5ef92a9fb2f889e972770a36d4ed042daf221e",
                "trained_on",
                "dataset:bookcorpus/bookcorpus",
            ),
        },
        "warning": "1 trailing comma(s)",
    },
    f"{FIXTURES}/valid-component-data-1.6.json": {
        "assets": {("dataset:my-configs", "dataset")},
        "lineage": set(),
        "warning": None,
    },
    f"{FIXTURES}/valid-machine-learning-1.5.json": STABLE_DIFFUSION,
    f"{FIXTURES}/valid-machine-learning-1.6.json": STABLE_DIFFUSION,
    f"{FIXTURES}/valid-machine-learning-1.7.json": STABLE_DIFFUSION,
    f"{FIXTURES}/valid-machine-learning-considerations-env-1.6.json": {
        "assets": {("model:Llama-2-7b", "model")},
        "lineage": set(),
        "warning": None,
    },
}


def test_every_real_bom_is_covered(real_samples):
    found = {
        str(p.relative_to(real_samples)) for d in (MLBOM, FIXTURES) for p in (real_samples / d).glob("*.json")
    }
    assert found == set(REAL_BOMS)


@pytest.mark.parametrize("rel", sorted(REAL_BOMS))
def test_real_cyclonedx_boms_load(rel, real_samples, ingest, query):
    expected = REAL_BOMS[rel]
    report = ingest(real_samples / rel)
    result = report.files[0]
    assert (result.status, result.format) == ("loaded", "cyclonedx"), result.message
    assert result.counts.loaded == len(expected["assets"])
    assert result.counts.rejected == 0
    assert set(query("SELECT asset_id, kind FROM assets")) == expected["assets"]
    assert set(query("SELECT src_asset, relation, dst_asset FROM lineage")) == expected["lineage"]
    assert query("SELECT count(*) FROM lineage") == [(len(expected["lineage"]),)]
    assert query("SELECT DISTINCT source FROM assets") == [("cyclonedx",)]
    assert query("SELECT count(*) FROM assets WHERE raw IS NULL OR json_valid(raw) = false") == [(0,)]
    if expected["warning"] is None:
        assert result.warnings == []
    else:
        assert len(result.warnings) == 1
        assert expected["warning"] in result.warnings[0]


def test_bom_fields_columns_and_locators(real_samples, ingest, query):
    ingest(real_samples / MLBOM / "Model-Card-With-Dataset_bom.cdx1.7.json")
    rows = query("SELECT asset_id, version, uri, classification, format FROM assets ORDER BY asset_id")
    assert rows == [
        (
            "dataset:support-ticket-evaluation-data",
            "2026.04",
            "https://example.com/datasets/support-tickets/eval.jsonl",
            "internal",
            None,
        ),
        (
            "dataset:support-ticket-training-data",
            "2026.04",
            "https://example.com/datasets/support-tickets/train.jsonl",
            "internal",
            None,
        ),
        ("model:support-ticket-classifier@1.0.0", "1.0.0", None, None, "text/plain -> application/json"),
    ]
    raw = query("SELECT raw FROM assets WHERE kind = 'model'")[0][0]
    assert json.loads(str(raw))["bom-ref"] == "component-support-ticket-classifier"
    assert query("SELECT locator, kind FROM asset_locators ORDER BY 1") == [
        ("https://example.com/datasets/support-tickets/eval.jsonl", "exact"),
        ("https://example.com/datasets/support-tickets/train.jsonl", "exact"),
    ]


def test_bom_dataset_properties_and_hf_model(real_samples, ingest, query):
    ingest(
        real_samples / MLBOM / "Dataset_bom.json",
        real_samples / FIXTURES / "valid-machine-learning-considerations-env-1.6.json",
    )
    assert query(
        "SELECT format, json_extract_string(tags, '$.supplier') FROM assets "
        "WHERE asset_id = 'dataset:wikipedia'"
    ) == [("parquet", "Wikimedia")]
    # the distribution reference is the uri; the locator is lower-cased for case-insensitive joins
    assert query(
        "SELECT a.uri, l.locator FROM assets a JOIN asset_locators l USING (asset_id) "
        "WHERE asset_id = 'model:Llama-2-7b'"
    ) == [("https://huggingface.co/meta-llama/Llama-2-7b", "https://huggingface.co/meta-llama/llama-2-7b")]


def _bom(components: list[object], dependencies: list[object] | None = None) -> str:
    bom: dict[str, object] = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "components": components,
    }
    if dependencies is not None:
        bom["dependencies"] = dependencies
    return json.dumps(bom, indent=2)


def test_bom_missing_a_brace_is_rejected_whole_with_the_line(tmp_path, ingest, query):
    text = _bom([{"type": "machine-learning-model", "name": "m", "version": "1"}])
    lines = text.splitlines()
    # drop the closing brace of the component object
    broken_at = max(i for i, line in enumerate(lines) if line.strip() == "}" and line.startswith("    "))
    del lines[broken_at]
    path = tmp_path / "bom.json"
    path.write_text("\n".join(lines) + "\n")
    result = ingest(path).files[0]
    assert result.status == "failed"
    rejects = query("SELECT position, position_kind, reason FROM rejects")
    assert len(rejects) == 1
    assert rejects[0][:2] == (None, "file")
    assert "not valid JSON" in str(rejects[0][2])
    assert f"line {broken_at + 1}" in str(rejects[0][2])
    assert query("SELECT count(*) FROM assets") == [(0,)]


def test_trailing_comma_and_missing_brace_reports_the_brace(tmp_path, ingest, query):
    path = tmp_path / "bom.json"
    path.write_text(
        '{"bomFormat": "CycloneDX",\n "specVersion": "1.6",\n "components": [\n'
        '  {"type": "data", "name": "d",}\n'
    )
    result = ingest(path).files[0]
    assert result.status == "failed"
    # the comma is blanked, not removed, so the position is the file's own: the end of line 4
    assert "line 5" in str(query("SELECT reason FROM rejects")[0][0])


def test_nameless_ml_component_is_rejected_and_the_others_load(tmp_path, ingest, query):
    path = tmp_path / "bom.json"
    path.write_text(
        _bom(
            [
                {"type": "library", "name": "torch", "version": "2.3.0"},
                {
                    "type": "machine-learning-model",
                    "bom-ref": "m",
                    "name": "fraud",
                    "version": "3",
                    "externalReferences": [
                        {"type": "website", "url": "https://example.com/fraud"},
                        {"type": "distribution", "url": "s3://models/fraud/3/"},
                    ],
                    "hashes": [{"alg": "SHA-256", "content": "AB" * 32}],
                    "properties": [
                        {"name": "mlspm:owner", "value": "risk-team"},
                        {"name": "internal:Environment", "value": "Production"},
                        {"name": "format", "value": "pickle"},
                    ],
                    "modelCard": {"modelParameters": {"datasets": [{"ref": "tx"}, {"ref": "nowhere"}]}},
                },
                {"type": "machine-learning-model", "version": "9"},
                {
                    "type": "data",
                    "bom-ref": "tx",
                    "name": "transactions",
                    "data": [
                        {
                            "type": "dataset",
                            "classification": "confidential",
                            "governance": {"owners": [{"organization": {"name": "payments"}}]},
                        }
                    ],
                    "components": [
                        {"type": "data", "name": "transactions-eu"},
                        {"type": "application", "name": "a"},
                    ],
                },
            ],
            dependencies=[{"ref": "m", "dependsOn": ["tx", "torch-ref"]}],
        )
    )
    result = ingest(path).files[0]
    assert result.status == "loaded"
    assert (result.counts.loaded, result.counts.rejected) == (3, 1)
    assert query("SELECT position, position_kind, reason FROM rejects") == [
        (3, "record", "a machine-learning-model component without a name")
    ]
    assert query(
        "SELECT asset_id, uri, owner, environment, classification, format, sha256 FROM assets ORDER BY 1"
    ) == [
        ("dataset:transactions", None, "payments", None, "confidential", None, None),
        ("dataset:transactions-eu", None, None, None, None, None, None),
        ("model:fraud@3", "s3://models/fraud/3/", "risk-team", "prod", None, "pickle", "ab" * 32),
    ]
    assert query("SELECT relation, dst_asset FROM lineage ORDER BY 1") == [
        ("depends_on", "dataset:transactions"),
        ("trained_on", "dataset:transactions"),
    ]
    assert query("SELECT locator, kind FROM asset_locators WHERE asset_id = 'model:fraud@3' ORDER BY 1") == [
        ("ab" * 32, "sha256"),
        ("https://example.com/fraud", "exact"),
        ("s3://models/fraud/3/", "prefix"),
    ]
    joined = " | ".join(result.warnings)
    assert "'nowhere'" in joined
    assert "2 component(s) that are not ML assets were not loaded (application: 1, library: 1)" in joined


def test_blank_trailing_commas_leaves_strings_alone():
    text, count = blank_trailing_commas('{"a": ",}", "b": [1, 2, ], "c": "x\\",]",}')
    assert count == 2
    assert json.loads(text) == {"a": ",}", "b": [1, 2], "c": 'x",]'}
    assert len(text) == len('{"a": ",}", "b": [1, 2, ], "c": "x\\",]",}')


def test_sniffing_by_content(tmp_path):
    bom = tmp_path / "inventory.csv"  # the name says CSV; the content says CycloneDX
    bom.write_text(_bom([]))
    sample = take_sample(bom, bom.stat().st_size)
    assert CycloneDX().sniff(sample) == 100
    assert GenericAssets().sniff(sample) == 0
    events = tmp_path / "events.jsonl"
    events.write_text(json.dumps({"ts": "2026-01-01T00:00:00Z", "action": "x", "kind": "model", "name": "n"}))
    sample = take_sample(events, events.stat().st_size)
    assert GenericAssets().sniff(sample) == 0
    assert GenericEvents().sniff(sample) > 0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("s3://Bucket", [("s3://bucket/", "prefix")]),
        ("s3://bucket/data/", [("s3://bucket/data/", "prefix")]),
        ("s3://bucket/data/*", [("s3://bucket/data/", "prefix")]),
        ("s3://bucket/data/x.pkl", [("s3://bucket/data/x.pkl", "exact")]),
        ("https://huggingface.co", [("https://huggingface.co", "exact")]),
        ("arn:aws:sagemaker:us-east-1:1:model/M", [("arn:aws:sagemaker:us-east-1:1:model/m", "exact")]),
        ("arn:aws:s3:::bkt/train/*", [("arn:aws:s3:::bkt/train/*", "exact"), ("s3://bkt/train/", "prefix")]),
        ("sha256:" + "AB" * 32, [("ab" * 32, "sha256")]),
        ("fraud-model", [("fraud-model", "exact")]),
    ],
)
def test_locator_rules(value, expected):
    assert locators_for(value) == expected


# --- the generic asset list ------------------------------------------------------------------------------

CSV_TEXT = (
    "asset_id,kind,name,version,uri,owner,environment,public,encrypted,locators,allowed_writers,"
    "allowed_readers,trained_on,tags,colour\n"
    "ds-train,dataset,train,,s3://ml-data/train/,data-team,prod,no,yes,arn:aws:s3:::ml-data/train/*,"
    "arn:aws:iam::1:role/etl;arn:aws:iam::1:role/ingest,arn:aws:iam::1:role/train,,team=fraud;pii=yes,red\n"
    ",model,fraud,7,s3://ml-models/fraud/7/model.pkl,,Production,false,true,,,"
    "arn:aws:iam::1:role/serve,ds-train;ds-extra,,blue\n"
    ",endpoint,fraud-ep,,arn:aws:sagemaker:us-east-1:1:endpoint/fraud-ep,,,maybe,,,,,,,green\n"
    ",gizmo,thing,,,,,,,,,,,,\n"
    ",dataset,,,,,,,,,,,,,\n"
    ",model,hashy,,,,,,,,,,,,\n"
)


def _csv(tmp_path: Path, text: str = CSV_TEXT, name: str = "assets.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_generic_csv_loads_assets_permissions_and_lineage(tmp_path, ingest, query):
    result = ingest(_csv(tmp_path)).files[0]
    assert (result.status, result.format) == ("loaded", "generic_assets")
    assert (result.counts.loaded, result.counts.rejected) == (3, 3)
    assert any("colour" in w for w in result.warnings)
    assert query(
        "SELECT asset_id, kind, name, version, uri, owner, environment, public, encrypted, tags "
        "FROM assets ORDER BY asset_id"
    ) == [
        (
            "ds-train",
            "dataset",
            "train",
            None,
            "s3://ml-data/train/",
            "data-team",
            "prod",
            False,
            True,
            '{"team":"fraud","pii":"yes"}',
        ),
        (
            "model:fraud@7",
            "model",
            "fraud",
            "7",
            "s3://ml-models/fraud/7/model.pkl",
            None,
            "prod",
            False,
            True,
            None,
        ),
        ("model:hashy", "model", "hashy", None, None, None, None, None, None, None),
    ]
    assert query("SELECT principal, asset_id, privilege, source FROM permissions ORDER BY 1, 2") == [
        ("arn:aws:iam::1:role/etl", "ds-train", "write", "generic_assets"),
        ("arn:aws:iam::1:role/ingest", "ds-train", "write", "generic_assets"),
        ("arn:aws:iam::1:role/serve", "model:fraud@7", "read", "generic_assets"),
        ("arn:aws:iam::1:role/train", "ds-train", "read", "generic_assets"),
    ]
    assert query("SELECT src_asset, relation, dst_asset FROM lineage ORDER BY 3") == [
        ("model:fraud@7", "trained_on", "ds-extra"),
        ("model:fraud@7", "trained_on", "ds-train"),
    ]
    assert query("SELECT locator, kind FROM asset_locators WHERE asset_id = 'ds-train' ORDER BY 1") == [
        ("arn:aws:s3:::ml-data/train/*", "exact"),
        ("s3://ml-data/train/", "prefix"),
    ]
    rejects = query("SELECT position, position_kind, reason FROM rejects ORDER BY position")
    assert [r[:2] for r in rejects] == [(4, "line"), (5, "line"), (6, "line")]
    assert "public" in rejects[0][2] and '"maybe"' in rejects[0][2]
    assert "gizmo" in rejects[1][2]
    assert rejects[2][2] == "missing name"
    raw = query("SELECT raw FROM assets WHERE asset_id = 'ds-train'")[0][0]
    assert json.loads(str(raw))["colour"] == "red"


def test_generic_csv_bad_sha256_is_rejected_with_its_line(tmp_path, ingest, query):
    path = _csv(tmp_path, "kind,name,sha256\nmodel,a," + "0" * 64 + "\nmodel,b,abc123\nmodel,c,\n")
    result = ingest(path).files[0]
    assert (result.counts.loaded, result.counts.rejected) == (2, 1)
    assert query("SELECT position, reason, raw FROM rejects") == [
        (3, 'sha256 "abc123" is not 64 hex characters', "model,b,abc123")
    ]
    assert query("SELECT locator, kind FROM asset_locators") == [("0" * 64, "sha256")]


@pytest.mark.parametrize("layout", ["array", "wrapped", "jsonl", "wrapped-one-line"])
def test_generic_json_variants(layout, tmp_path, ingest, query):
    items = [
        {"kind": "bucket", "name": "ml-data", "uri": "s3://ml-data", "public": True, "encrypted": "0"},
        {
            "kind": "dataset",
            "name": "train",
            "version": 2,
            "stored_in": ["bucket:ml-data"],
            "allowed_writers": ["alice", "bob"],
            "tags": {"pii": True},
            "locators": "gs://x/train/;s3://y/t/",
        },
        {"kind": "model", "name": "m", "encrypted": "sometimes"},
        {"kind": "dataset", "name": "train", "version": 2, "owner": "carol"},
    ]
    if layout == "array":
        text = json.dumps(items, indent=2)
    elif layout == "wrapped":
        text = json.dumps({"assets": items}, indent=2)
    elif layout == "wrapped-one-line":
        text = json.dumps({"assets": items})
    else:
        text = "\n".join(json.dumps(i) for i in items) + "\n"
    path = tmp_path / "inv.json"
    path.write_text(text)
    result = ingest(path).files[0]
    assert (result.status, result.format) == ("loaded", "generic_assets"), result.message
    assert (result.counts.loaded, result.counts.rejected) == (2, 1)
    assert query("SELECT asset_id, version, owner, public, encrypted, tags FROM assets ORDER BY 1") == [
        ("bucket:ml-data", None, None, True, False, None),
        ("dataset:train@2", "2", "carol", None, None, '{"pii":true}'),
    ]
    assert query("SELECT src_asset, relation, dst_asset FROM lineage") == [
        ("dataset:train@2", "stored_in", "bucket:ml-data")
    ]
    assert query(
        "SELECT count(*) FROM permissions WHERE asset_id = 'dataset:train@2' AND privilege = 'write'"
    ) == [(2,)]
    assert query("SELECT locator, kind FROM asset_locators ORDER BY 1") == [
        ("gs://x/train/", "prefix"),
        ("s3://ml-data/", "prefix"),
        ("s3://y/t/", "prefix"),
    ]
    position, kind, reason = query("SELECT position, position_kind, reason FROM rejects")[0]
    assert (position, kind) == (3, "line" if layout == "jsonl" else "record")
    assert "encrypted" in str(reason)


def test_generic_jsonl_bad_lines_are_rejected_with_line_numbers(tmp_path, ingest, query):
    path = tmp_path / "inv.jsonl"
    path.write_text(
        json.dumps({"kind": "model", "name": "a"})
        + "\n\n{broken\n[1]\n"
        + json.dumps({"kind": "model"})
        + "\n"
        + json.dumps({"kind": "model", "name": "b"})
        + "\n"
    )
    result = ingest(path).files[0]
    assert (result.counts.loaded, result.counts.rejected) == (2, 3)
    rejects = query("SELECT position, reason FROM rejects ORDER BY 1")
    assert [r[0] for r in rejects] == [3, 4, 5]
    assert "invalid JSON" in str(rejects[0][1])
    assert "not an object" in str(rejects[1][1])
    assert rejects[2][1] == "missing name"


def test_generic_broken_json_array_is_a_whole_file_reject(tmp_path, ingest, query):
    path = tmp_path / "inv.json"
    path.write_text('[\n  {"kind": "model", "name": "a"},\n  {"kind": "model", "name": "b"\n]\n')
    result = ingest(path).files[0]
    assert result.status == "failed"
    assert "line 4" in str(query("SELECT reason FROM rejects WHERE position_kind = 'file'")[0][0])


def test_reingest_of_the_same_inventory_adds_nothing(tmp_path, ingest, query):
    path = _csv(tmp_path)
    ingest(path)
    tables = ("assets", "asset_locators", "lineage", "permissions")
    before = [query(f"SELECT count(*) FROM {t}") for t in tables]
    assert ingest(path).files[0].status == "already_loaded"
    # the same content under another name is loaded again, and still adds no rows
    copy = _csv(tmp_path, name="copy.csv")
    assert ingest(copy).files[0].status == "already_loaded"
    changed = _csv(tmp_path, CSV_TEXT + "\n", name="changed.csv")
    assert ingest(changed).files[0].status == "loaded"
    assert [query(f"SELECT count(*) FROM {t}") for t in tables] == before


def test_a_second_inventory_updates_the_asset_and_nulls_keep_known_values(tmp_path, ingest, query):
    ingest(
        _csv(
            tmp_path,
            "asset_id,kind,name,owner,uri,classification,tags\n"
            "ds,dataset,train,alice,s3://b/train/,confidential,a=1;b=2\n",
            name="one.csv",
        )
    )
    path = tmp_path / "two.jsonl"
    path.write_text(
        json.dumps({"asset_id": "ds", "kind": "dataset", "name": "train", "owner": "bob", "tags": {"b": "3"}})
        + "\n"
    )
    result = ingest(path).files[0]
    assert result.counts.loaded == 1
    assert query("SELECT asset_id, owner, uri, classification, tags, source FROM assets") == [
        ("ds", "bob", "s3://b/train/", "confidential", '{"a":"1","b":"3"}', "generic_assets")
    ]


@pytest.mark.parametrize("inventory_first", [True, False])
def test_events_under_an_asset_prefix_get_its_asset_id(inventory_first, tmp_path, ingest, query):
    inventory = _csv(
        tmp_path, "kind,name,uri\ndataset,train,s3://ml-data/train/\nbucket,ml-data,s3://ml-data\n"
    )
    events = tmp_path / "events.jsonl"
    events.write_text(
        "\n".join(
            json.dumps(
                {
                    "event_id": f"e{i}",
                    "ts": "2026-01-01T00:00:00Z",
                    "principal": "alice",
                    "action": "GetObject",
                    "resource": res,
                }
            )
            for i, res in enumerate(
                ["s3://ml-data/train/part-0.parquet", "s3://ML-DATA/other/x", "s3://elsewhere/train/y"]
            )
        )
        + "\n"
    )
    for path in (inventory, events) if inventory_first else (events, inventory):
        assert ingest(path).files[0].status == "loaded"
    assert query("SELECT event_id, asset_id FROM access_events ORDER BY event_id") == [
        ("e0", "dataset:train"),
        ("e1", "bucket:ml-data"),
        ("e2", None),
    ]
