"""SPDX 3.0.1 JSON-LD with the AI and Dataset profiles: the spdx-examples documents and broken ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlspm.ingest.formats.spdx3 import Spdx3, element_type
from mlspm.ingest.source import take_sample

SPDX = "inventory/spdx3_ai_dataset"
OWID = "dataset:Our World in Data CO2 and Greenhouse Gas Emissions dataset"
SENTIMENT = "model:Sentiment Demo: A Simple AI Application and its AI BOM Example"

# Checked by hand against each document: the AI/dataset packages, the trainedOn edges (files resolved
# to the package containing them), and the relationships between non-assets that give no lineage.
REAL = {
    "ai_example01_simplehtr-example.spdx3.json": {
        # the software_Package "word-model"/"line-model" (purpose model) are the same models as the
        # ai_AIPackages of that name: they join them instead of becoming unversioned duplicates
        "assets": {
            ("model:word-model@0.0", "model"),
            ("model:line-model@0.0", "model"),
            ("dataset:IAMdataset", "dataset"),
        },
        "lineage": {
            ("model:word-model@0.0", "trained_on", "dataset:IAMdataset"),
            ("model:line-model@0.0", "trained_on", "dataset:IAMdataset"),
        },
        "warning": "2 relationship(s) between elements that are not ML assets gave no lineage (dependsOn: 2)",
    },
    "ai_example02_sbom.spdx3.json": {
        # trainedOn goes from the file model.bin to train.txt/valid.txt: the packages holding them
        "assets": {(SENTIMENT, "model"), ("dataset:Data after preprocessing", "dataset")},
        "lineage": {(SENTIMENT, "trained_on", "dataset:Data after preprocessing")},
        "warning": "5 relationship(s) between elements that are not ML assets gave no lineage",
    },
    "dataset_example01.spdx3.json": {
        "assets": {(OWID, "dataset")},
        "lineage": set(),
        "warning": "1 relationship(s) between elements that are not ML assets gave no lineage (describes: 1)",
    },
}


def test_every_real_document_is_covered(real_samples):
    assert {p.name for p in (real_samples / SPDX).iterdir()} == set(REAL)


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_spdx3_documents_load(name, real_samples, ingest, query):
    expected = REAL[name]
    result = ingest(real_samples / SPDX / name).files[0]
    assert (result.status, result.format) == ("loaded", "spdx3"), result.message
    assert (result.counts.loaded, result.counts.rejected) == (len(expected["assets"]), 0)
    assert set(query("SELECT asset_id, kind FROM assets")) == expected["assets"]
    assert set(query("SELECT src_asset, relation, dst_asset FROM lineage")) == expected["lineage"]
    assert query("SELECT count(*) FROM assets WHERE raw IS NULL OR NOT json_valid(raw)") == [(0,)]
    assert len(result.warnings) == 1 and result.warnings[0].startswith(expected["warning"])


def test_dataset_fields(real_samples, ingest, query):
    ingest(real_samples / SPDX / "dataset_example01.spdx3.json")
    row = query("SELECT version, uri, sha256, classification, tags FROM assets")[0]
    assert row[:4] == (
        "2024-04-15",
        "https://github.com/owid/co2-data/",
        "434d75c84cf86456c16193dbc53beef31eb63f3387425882ddb2ef6acb9d472c",
        "clear",  # dataset_confidentialityLevel
    )
    tags = json.loads(str(row[4]))
    assert tags["supplier"] == "Our World in Data"  # suppliedBy resolved to the Organization's name
    assert tags["licenses_declared"] == ["CC-BY-4.0"]
    assert tags["files"] == ["data.csv", "codebook.csv"]
    assert tags["has_sensitive_personal_information"] == "no"
    assert tags["created"] == "2024-05-31T00:00:00Z"
    assert set(query("SELECT locator, kind FROM asset_locators")) == {
        ("434d75c84cf86456c16193dbc53beef31eb63f3387425882ddb2ef6acb9d472c", "sha256"),
        ("https://github.com/owid/co2-data/", "prefix"),
    }


def test_ai_package_fields_and_the_joined_plain_package(real_samples, ingest, query):
    ingest(real_samples / SPDX / "ai_example01_simplehtr-example.spdx3.json")
    # both download locations name the model: the AI package's and the plain package's
    assert set(query("SELECT locator FROM asset_locators WHERE asset_id = 'model:word-model@0.0'")) == {
        ("https://www.dropbox.com/s/mya8hw6jyzqm0a3/word-model.zip?dl=1",),
        ("https://www.dropbox.com/s/7xwkcilho10rthn/word-model.zip?dl=1",),
    }
    tags = json.loads(str(query("SELECT tags FROM assets WHERE asset_id = 'model:word-model@0.0'")[0][0]))
    assert tags["tested_on"] == ["dataset:IAMdataset"]  # testedOn is no lineage relation: a tag
    assert tags["licenses_declared"] == ["MIT"]
    assert tags["safety_risk_assessment"] == "low"
    assert tags["supplier"] == "Harald Scheidl"
    assert "/model/word-model/checkpoint" in tags["files"]


def _doc(graph: list[object]) -> str:
    return json.dumps(
        {"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld", "@graph": graph}, indent=1
    )


def test_bad_elements_are_rejected_and_the_rest_loads(tmp_path, ingest, query):
    path = tmp_path / "bom.json"
    path.write_text(
        _doc(
            [
                "not an element",
                {
                    "type": "ai_AIPackage",
                    "spdxId": "urn:m1",
                    "name": "fraud",
                    "software_packageVersion": "3",
                    "verifiedUsing": [{"type": "Hash", "algorithm": "sha256", "hashValue": "AB" * 32}],
                    "software_downloadLocation": "s3://models/fraud/3/",
                },
                {"type": "ai_AIPackage", "spdxId": "urn:m2"},
                {"type": "dataset_DatasetPackage", "spdxId": "urn:d1", "name": "tx"},
                {"type": "Relationship", "relationshipType": "trainedOn", "from": "urn:m1", "to": ["urn:d1"]},
                {
                    "type": "Relationship",
                    "relationshipType": "ancestorOf",
                    "from": "urn:d1",
                    "to": ["urn:m1"],
                },
            ]
        )
    )
    result = ingest(path).files[0]
    assert (result.status, result.counts.loaded, result.counts.rejected) == ("loaded", 2, 2)
    assert query("SELECT position, reason FROM rejects ORDER BY 1") == [
        (1, "@graph element #1 is a JSON str, not an object"),
        (3, "an ai_AIPackage without a name"),
    ]
    assert set(query("SELECT src_asset, relation, dst_asset FROM lineage")) == {
        ("model:fraud@3", "trained_on", "dataset:tx"),
        ("model:fraud@3", "derived_from", "dataset:tx"),
    }
    assert query("SELECT sha256, uri FROM assets WHERE kind = 'model'") == [
        ("ab" * 32, "s3://models/fraud/3/")
    ]


def test_an_spdx3_document_without_ml_elements_is_one_reject(tmp_path, ingest, query):
    path = tmp_path / "sbom.json"
    path.write_text(_doc([{"type": "software_Package", "spdxId": "urn:p", "name": "requests"}]))
    result = ingest(path).files[0]
    assert (result.status, result.format, result.counts.loaded) == ("loaded", "spdx3", 0)
    assert query("SELECT position, position_kind, reason FROM rejects") == [
        (
            None,
            "file",
            "an SPDX 3 document without AI packages or datasets (ai_AIPackage, dataset_DatasetPackage): "
            "nothing for the ML inventory (elements: software_Package: 1)",
        )
    ]


def test_truncated_document_fails_with_the_line(tmp_path, real_samples, ingest, query):
    text = (real_samples / SPDX / "dataset_example01.spdx3.json").read_text()
    path = tmp_path / "cut.json"
    path.write_text(text[: len(text) // 2])
    result = ingest(path).files[0]
    assert (result.status, result.format) == ("failed", "spdx3")
    reason = str(query("SELECT reason FROM rejects")[0][0])
    assert "not valid JSON" in reason and "line" in reason


def test_detected_by_content_not_name(tmp_path, real_samples, ingest):
    path = tmp_path / "inventory.csv"
    path.write_bytes((real_samples / SPDX / "ai_example02_sbom.spdx3.json").read_bytes())
    assert ingest(path).files[0].format == "spdx3"


def test_sniff_leaves_other_json_alone(tmp_path: Path):
    fmt = Spdx3()
    cases = {
        "cyclonedx": {"bomFormat": "CycloneDX", "specVersion": "1.6", "components": []},
        "spdx2": {"spdxVersion": "SPDX-2.3", "packages": [{"name": "ai_AIPackage"}]},
        "other json-ld": {"@context": "https://schema.org", "@graph": [{"type": "ai_AIPackage"}]},
    }
    for name, doc in cases.items():
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(doc))
        assert fmt.sniff(take_sample(path, path.stat().st_size)) == 0, name


def test_full_iri_types_are_understood():
    assert element_type({"@type": "https://spdx.org/rdf/3.0.1/terms/AI/AIPackage"}) == "ai_AIPackage"
    assert element_type({"type": "https://spdx.org/rdf/3.0.1/terms/Core/Relationship"}) == "Relationship"
