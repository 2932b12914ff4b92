"""Hugging Face model and dataset cards: the huggingface_hub card fixtures and hand-made cards."""

from __future__ import annotations

import json

import pytest

from mlspm.ingest.formats.hf_card import HuggingFaceCard
from mlspm.ingest.source import take_sample

CARDS = "inventory/huggingface_model_cards"
COOL = {("model:my-cool-model", "model"), ("dataset:beans", "dataset")}
TRAINED_ON_BEANS = {("model:my-cool-model", "trained_on", "dataset:beans")}

# Checked by hand against each fixture: (status, assets, lineage, reject reason).
REAL = {
    "sample_simple.md": ("loaded", COOL, TRAINED_ON_BEANS, None),  # named by its "# my-cool-model" heading
    "sample_simple_model_index.md": ("loaded", COOL, TRAINED_ON_BEANS, None),  # named by model-index
    # the model-index result without a dataset is dropped (as the Hub does), the card still loads
    "sample_invalid_model_index.md": ("loaded", COOL, TRAINED_ON_BEANS, None),
    "sample_datasetcard_simple.md": ("loaded", {("dataset:Sample Segmentation", "dataset")}, set(), None),
    "sample_windows_line_breaks.md": (
        "loaded",
        {("model:Hello old Windows line breaks", "model")},
        set(),
        None,
    ),
    "sample_invalid_card_data.md": (
        "loaded",
        set(),
        set(),
        "the card's metadata is a YAML list, not a mapping",
    ),
    "sample_template.md": (
        "loaded",
        set(),
        set(),
        "the card's metadata is not usable: invalid YAML at line 2",
    ),
    "sample_datasetcard_template.md": (
        "loaded",
        set(),
        set(),
        "the card's metadata holds no Hugging Face card field",
    ),
    # no front matter at all: nothing says it is a card, so it is not claimed (rejected as unrecognized)
    "sample_no_metadata.md": ("unrecognized", set(), set(), "not a supported format"),
}


def test_every_real_card_is_covered(real_samples):
    assert {p.name for p in (real_samples / CARDS).iterdir()} == set(REAL)


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_cards(name, real_samples, ingest, query):
    status, assets, lineage, reason = REAL[name]
    result = ingest(real_samples / CARDS / name).files[0]
    assert result.status == status, result.message
    assert set(query("SELECT asset_id, kind FROM assets")) == assets
    assert set(query("SELECT src_asset, relation, dst_asset FROM lineage")) == lineage
    rejects = query("SELECT reason FROM rejects")
    if reason is None:
        assert rejects == []
        assert result.format == "hf_card"
        assert query("SELECT count(*) FROM assets WHERE raw IS NULL OR NOT json_valid(raw)") == [(0,)]
    else:
        assert len(rejects) == 1 and str(rejects[0][0]).startswith(reason)


def test_card_fields(real_samples, ingest, query):
    ingest(real_samples / CARDS / "sample_simple_model_index.md")
    row = query("SELECT uri, tags FROM assets WHERE asset_id = 'model:my-cool-model'")[0]
    assert row[0] == "https://huggingface.co/my-cool-model"
    tags = json.loads(str(row[1]))
    assert tags["license"] == "mit" and tags["library_name"] == "timm"
    assert tags["evaluation"] == [
        {"task": "image-classification", "dataset": "beans", "metrics": {"accuracy": 0.9}},
        {"task": "image-classification", "dataset": "beans", "metrics": {"f1": 0.66}},
    ]
    assert query("SELECT uri FROM assets WHERE asset_id = 'dataset:beans'") == [
        ("https://huggingface.co/datasets/beans",)
    ]


def test_crlf_card(real_samples, ingest, query):
    ingest(real_samples / CARDS / "sample_windows_line_breaks.md")
    tags = json.loads(str(query("SELECT tags FROM assets")[0][0]))
    assert (tags["license"], tags["language"]) == ("mit", "eo")


CARD = """---
license: llama2
base_model: meta-llama/Llama-2-7b-hf
datasets:
- tatsu-lab/alpaca
library_name: peft
pipeline_tag: text-generation
---

# Model Card for acme/llama-2-7b-support

Fine-tuned for support tickets.
"""


def test_hub_ids_give_locators_and_lineage(tmp_path, ingest, query):
    card = tmp_path / "acme" / "llama-2-7b-support" / "notes.txt"  # any name: the content says card
    card.parent.mkdir(parents=True)
    card.write_text(CARD)
    result = ingest(card).files[0]
    assert (result.format, result.counts.loaded) == ("hf_card", 3)
    assert set(query("SELECT src_asset, relation, dst_asset FROM lineage")) == {
        ("model:acme/llama-2-7b-support", "derived_from", "model:meta-llama/Llama-2-7b-hf"),
        ("model:acme/llama-2-7b-support", "trained_on", "dataset:tatsu-lab/alpaca"),
    }
    # the repo URL and every file under it (downloads name .../resolve/main/<file>)
    assert set(
        query("SELECT locator, kind FROM asset_locators WHERE asset_id = 'model:meta-llama/Llama-2-7b-hf'")
    ) == {
        ("https://huggingface.co/meta-llama/llama-2-7b-hf", "exact"),
        ("https://huggingface.co/meta-llama/llama-2-7b-hf/", "prefix"),
        ("hf://meta-llama/llama-2-7b-hf", "exact"),
        ("hf://meta-llama/llama-2-7b-hf/", "prefix"),
    }


def test_a_named_dataset_already_inventoried_keeps_its_own_record(tmp_path, ingest, query):
    (tmp_path / "assets.csv").write_text("kind,name,owner\ndataset,tatsu-lab/alpaca,data-team\n")
    ingest(tmp_path / "assets.csv")
    (tmp_path / "README.md").write_text(CARD)
    ingest(tmp_path / "README.md")
    assert query("SELECT owner, source FROM assets WHERE asset_id = 'dataset:tatsu-lab/alpaca'") == [
        ("data-team", "generic_assets")
    ]
    assert ("model:acme/llama-2-7b-support", "trained_on", "dataset:tatsu-lab/alpaca") in query(
        "SELECT src_asset, relation, dst_asset FROM lineage"
    )


def test_broken_metadata_is_rejected_with_the_line(tmp_path, ingest, query):
    card = tmp_path / "README.md"
    card.write_text("---\nlicense: mit\ntags: [a, b\n---\n\n# broken\n")
    result = ingest(card).files[0]
    assert (result.status, result.format, result.counts.rejected) == ("loaded", "hf_card", 1)
    row = query("SELECT position, position_kind, reason, raw FROM rejects")[0]
    assert row[:2] == (1, "record")
    assert str(row[2]).startswith(
        "the card's metadata is not usable: invalid YAML at line 3, column 12"
    )  # the file's own line
    assert row[3] == "license: mit\ntags: [a, b"


def test_sniff(tmp_path):
    fmt = HuggingFaceCard()
    cases = {
        "blog post": ("---\nlayout: post\ntitle: Hello\n---\nSome text\n", 0),
        "yaml stream": ("---\na: 1\n---\nb: 2\n", 0),
        "picklescan": ("----------- SCAN SUMMARY -----------\nScanned files: 1\n", 0),
        "markdown": ("# A README\n\ntext\n", 0),
        "template": ("---\n{{card_data}}\n---\n\n# {{ model_name }}\n", 10),
        "card": ("---\nlicense: mit\nlibrary_name: timm\n---\n", 100),
    }
    for name, (text, expected) in cases.items():
        path = tmp_path / "x.md"
        path.write_text(text)
        assert fmt.sniff(take_sample(path, path.stat().st_size)) == expected, name
