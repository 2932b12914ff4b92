"""The crosswalks in analyzers/frameworks/: they load, ids are unique and well formed, every tag resolves."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from analyzers.registry import FRAMEWORKS, analyzers, frameworks

FILES = sorted(FRAMEWORKS.glob("*.json"))
EXPECTED = {"OWASP-ML", "OWASP-LLM", "ATLAS", "NIST-AI-RMF", "ISO-42001", "EU-AI-ACT"}

# Ids look like the framework writes them: a typo ("AML.T024.002", "MEASURE2.4") fails here, not in a report.
ID_SHAPES = {
    "OWASP-ML": r"ML(0[1-9]|10)",
    "OWASP-LLM": r"LLM(0[1-9]|10)",
    "ATLAS": r"AML\.T\d{4}(\.\d{3})?",
    "NIST-AI-RMF": r"(GOVERN|MAP|MEASURE|MANAGE) \d+\.\d+",
    "ISO-42001": r"A\.\d+\.\d+(\.\d+)?",
    "EU-AI-ACT": r"Art\.\d+(\(\d+\))*(\([a-z]\))?",
}

# The official lists (OWASP ML Security Top 10 2023, OWASP Top 10 for LLM Applications 2025).
OWASP_ML = {
    "ML01": "Input Manipulation Attack",
    "ML02": "Data Poisoning Attack",
    "ML03": "Model Inversion Attack",
    "ML04": "Membership Inference Attack",
    "ML05": "Model Theft",
    "ML06": "AI Supply Chain Attacks",
    "ML07": "Transfer Learning Attack",
    "ML08": "Model Skewing",
    "ML09": "Output Integrity Attack",
    "ML10": "Model Poisoning",
}
OWASP_LLM = {
    "LLM01": "Prompt Injection",
    "LLM02": "Sensitive Information Disclosure",
    "LLM03": "Supply Chain",
    "LLM04": "Data and Model Poisoning",
    "LLM05": "Improper Output Handling",
    "LLM06": "Excessive Agency",
    "LLM07": "System Prompt Leakage",
    "LLM08": "Vector and Embedding Weaknesses",
    "LLM09": "Misinformation",
    "LLM10": "Unbounded Consumption",
}

# Controls analyzers were written against: removing or renaming one breaks them (migrate, never delete).
PINNED = {
    "ATLAS": {
        "AML.T0007",
        "AML.T0010",
        "AML.T0010.001",
        "AML.T0010.002",
        "AML.T0010.003",
        "AML.T0011",
        "AML.T0011.000",
        "AML.T0012",
        "AML.T0013",
        "AML.T0014",
        "AML.T0018",
        "AML.T0018.000",
        "AML.T0019",
        "AML.T0020",
        "AML.T0024",
        "AML.T0024.002",
        "AML.T0025",
        "AML.T0029",
        "AML.T0034",
        "AML.T0035",
        "AML.T0036",
        "AML.T0040",
        "AML.T0044",
        "AML.T0055",
    },
    "NIST-AI-RMF": {
        "GOVERN 1.6",
        "GOVERN 6.1",
        "MAP 4.1",
        "MEASURE 2.4",
        "MEASURE 2.7",
        "MANAGE 3.1",
        "MANAGE 3.2",
        "MANAGE 4.1",
    },
    "ISO-42001": {
        "A.3.2",
        "A.4.2",
        "A.4.3",
        "A.4.4",
        "A.6.2.6",
        "A.6.2.8",
        "A.7.2",
        "A.7.3",
        "A.7.4",
        "A.7.5",
        "A.10.2",
        "A.10.3",
    },
    "EU-AI-ACT": {"Art.9", "Art.10", "Art.12", "Art.15(1)", "Art.15(5)"},
}


def _raw(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_the_six_frameworks_are_shipped():
    assert set(frameworks()) == EXPECTED
    assert len(FILES) == len(EXPECTED)  # one file per framework, no stray file shadowing another id


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_file_loads_with_the_expected_shape(path):
    data = _raw(path)
    for key in ("id", "name", "version", "url", "controls"):
        assert data.get(key), f"{path.name} lacks {key}"
    assert data["url"].startswith("https://")
    for control in data["controls"]:
        assert set(control) <= {"id", "title", "description", "url"}, control
        assert control["id"].strip() == control["id"] and control["id"]
        assert control["title"].strip() == control["title"] and control["title"]
        assert control.get("url", "https://").startswith("https://")
    fw = frameworks()[data["id"]]
    assert [c.id for c in fw.controls] == [c["id"] for c in data["controls"]]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_control_ids_are_unique_and_well_formed(path):
    data = _raw(path)
    ids = [c["id"] for c in data["controls"]]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    shape = re.compile(ID_SHAPES[data["id"]])
    assert [i for i in ids if not shape.fullmatch(i)] == []


def test_every_analyzer_tag_names_a_control():
    known = {f"{fw.id}:{c.id}" for fw in frameworks().values() for c in fw.controls}
    dangling = {(a.meta.id, tag) for a in analyzers() for tag in a.meta.frameworks if tag not in known}
    assert dangling == set()


def test_owasp_ml_has_exactly_the_official_ten():
    controls = frameworks()["OWASP-ML"].controls
    assert {c.id: c.title for c in controls} == OWASP_ML
    assert len(controls) == 10


def test_owasp_llm_has_exactly_the_official_2025_ten():
    fw = frameworks()["OWASP-LLM"]
    assert fw.version == "2025"
    assert {c.id: c.title for c in fw.controls} == OWASP_LLM
    assert len(fw.controls) == 10


@pytest.mark.parametrize("framework_id", sorted(PINNED))
def test_controls_already_referenced_are_kept(framework_id):
    ids = {c.id for c in frameworks()[framework_id].controls}
    assert PINNED[framework_id] - ids == set()


def test_atlas_uses_the_current_ai_names():
    titles = {c.id: c.title for c in frameworks()["ATLAS"].controls}
    assert titles["AML.T0024.002"].endswith("Extract AI Model")
    assert titles["AML.T0018"] == "Manipulate AI Model"
    assert not [t for t in titles.values() if re.search(r"\bML\b", t)], "pre-2025 'ML' names remain"
