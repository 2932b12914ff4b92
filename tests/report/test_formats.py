"""What each format promises: SARIF valid against the 2.1.0 schema, OCSF fields, safe HTML, Markdown and CSV."""

from __future__ import annotations

import csv
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from mlspm.cli.report_cmd import catalog
from mlspm.enums import Severity, TriageStatus
from mlspm.findings import FindingFilter
from mlspm.report import ReportData, collect, render
from mlspm.report.ocsf import CLASS_UID, type_uid
from mlspm.store import Store
from tests.report.conftest import FORMULA, GENERATED, HOSTILE_DATASET, PARTNER, SCANNED, SCRIPT, Estate

SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"
# what a URI (reference) may contain, RFC 3986
URI_CHARS = re.compile(r"^[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+$")


def _by_analyzer(data: ReportData, analyzer_id: str) -> list[Any]:
    return [rf for rf in data.findings if rf.finding.analyzer_id == analyzer_id]


# -- the collected data ------------------------------------------------------------------------------


def test_collect_sees_both_runs_triage_and_what_changed(report_data: ReportData, estate: Estate) -> None:
    c = report_data.changes
    assert c.latest is not None and c.previous is not None and c.latest.run_id == c.previous.run_id + 1
    assert sorted(r.title for r in c.new) == sorted(
        [
            "Burst of denied calls on models or their artifacts",
            "Inference volume far above the caller's own baseline",
        ]
    )
    assert [r.title for r in c.no_longer_firing] == ["Inventory asset has no owner"]
    assert [t.after for t in c.triage] == ["false_positive", "risk_accepted", "confirmed"]
    statuses = {rf.finding.fingerprint: rf.finding.status for rf in report_data.findings}
    assert statuses[estate.false_positive] == "false_positive"
    assert statuses[estate.risk_accepted] == "risk_accepted"
    assert statuses[estate.confirmed] == "confirmed"


def test_collect_gathers_evidence_lineage_activity_and_inputs(report_data: ReportData) -> None:
    (spike,) = _by_analyzer(report_data, "usage_inference_volume_spike")
    assert len(spike.events) == 10 and spike.finding.evidence_count == 300
    assert spike.activity is not None and spike.activity.bin == "hour"
    assert sum(n for _, n in spike.activity.counts) >= 300
    (scan,) = _by_analyzer(report_data, "supply_scan_unsafe_operator")
    assert [s.target for s in scan.scans] == [SCANNED]
    assert {(x.relation, x.other) for x in scan.upstream} >= {
        ("trained_on", "dataset:transactions"),
        ("stored_in", "bucket:ml-models"),
    }
    assert ("deployed_as", "endpoint:fraud") in {(x.relation, x.other) for x in scan.downstream}
    assert [len(i.sha256 or "") for i in report_data.inputs] == [64] * 5
    assert report_data.rejects[0].records == 1
    assert {r.analyzer_id for r in report_data.analyzer_runs} == set(report_data.rules)


def test_filters_narrow_the_report(estate: Estate) -> None:
    rules, frameworks = catalog()
    with Store(estate.db, create=False) as store, store.cursor() as cur:
        high = collect(
            cur,
            FindingFilter(min_severity=Severity.HIGH),
            rules,
            frameworks,
            database="db",
            generated_at=GENERATED,
        )
        confirmed = collect(
            cur,
            FindingFilter(statuses=[TriageStatus.CONFIRMED]),
            rules,
            frameworks,
            database="db",
            generated_at=GENERATED,
        )
    assert high.findings and {rf.finding.severity for rf in high.findings} <= {"high", "critical"}
    assert [rf.finding.fingerprint for rf in confirmed.findings] == [estate.confirmed]
    assert high.stamp.scope["min_severity"] == "high"


# -- SARIF ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sarif(report_data: ReportData) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(render(report_data, "sarif"))
    return doc


def test_sarif_is_valid_against_the_official_2_1_0_schema(sarif: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    errors = sorted(validator_class(schema).iter_errors(sarif), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])
    assert sarif["version"] == "2.1.0" and sarif["$schema"].endswith("sarif-schema-2.1.0.json")


def test_sarif_rules_results_levels_and_fingerprints(sarif: dict[str, Any], report_data: ReportData) -> None:
    (run,) = sarif["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "mlspm" and driver["version"] == report_data.stamp.mlspm_version
    rules = driver["rules"]
    assert len(rules) == len(report_data.rules)
    for rule in rules:
        assert rule["help"]["text"] and "Remediation" in rule["help"]["markdown"]
        assert float(rule["properties"]["security-severity"]) >= 0
    results = run["results"]
    assert len(results) == len(report_data.findings)
    levels = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
    for result, rf in zip(results, report_data.findings, strict=True):
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"] == rf.finding.analyzer_id
        assert result["partialFingerprints"] == {"mlspmFingerprint/v1": rf.finding.fingerprint}
        assert result["level"] == levels[rf.finding.severity]
        assert result["message"]["text"] == rf.finding.summary
    inputs = run["artifacts"]
    assert all(len(a["hashes"]["sha-256"]) == 64 for a in inputs) and len(inputs) == 5


def test_sarif_locations_point_at_the_model_file_or_the_resource(sarif: dict[str, Any]) -> None:
    results = sarif["runs"][0]["results"]
    by_rule = {}
    for r in results:
        by_rule.setdefault(r["ruleId"], []).append(r)
    scan = by_rule["supply_scan_unsafe_operator"][0]["locations"][0]
    assert scan["physicalLocation"]["artifactLocation"]["uri"] == "file://" + SCANNED
    spike = by_rule["usage_inference_volume_spike"][0]["locations"][0]
    assert spike["logicalLocations"][0] == {
        "fullyQualifiedName": "arn:aws:sagemaker:us-east-1:111122223333:endpoint/fraud",
        "kind": "resource",
    }
    public = by_rule["access_asset_public"][0]["locations"][0]
    assert public["physicalLocation"]["artifactLocation"]["uri"] == "s3://open-models/"
    uris = [
        loc["physicalLocation"]["artifactLocation"]["uri"]
        for r in results
        for loc in r.get("locations", [])
        if "physicalLocation" in loc
    ] + [a["location"]["uri"] for a in sarif["runs"][0]["artifacts"]]
    assert uris and all(URI_CHARS.match(u) for u in uris), uris


def test_sarif_suppressions_carry_the_triage_decision(sarif: dict[str, Any], estate: Estate) -> None:
    results = {r["partialFingerprints"]["mlspmFingerprint/v1"]: r for r in sarif["runs"][0]["results"]}
    (fp,) = results[estate.false_positive]["suppressions"]
    assert fp["kind"] == "external" and fp["status"] == "accepted"
    assert fp["justification"] == "open-models is the public demo bucket | by design"
    (ra,) = results[estate.risk_accepted]["suppressions"]
    assert ra["justification"].startswith("risk accepted until 2026-06-30: quarantined")
    assert ra["properties"]["expiresAt"] == "2026-06-30T00:00:00Z"
    assert "suppressions" not in results[estate.confirmed]
    assert results[estate.confirmed]["properties"]["triageStatus"] == "confirmed"
    assert results[estate.confirmed]["properties"]["assignee"] == "ir-team"
    by_config = [r for r in results.values() if r["ruleId"] == "access_store_unencrypted"]
    assert by_config[0]["suppressions"][0]["justification"].startswith(
        "suppressed by configuration: public demo"
    )
    states = {r["ruleId"]: r["baselineState"] for r in results.values()}
    assert states["usage_inference_volume_spike"] == "new"
    assert states["inventory_asset_no_owner"] == "absent"
    assert states["access_asset_public"] == "unchanged"


# -- OCSF ----------------------------------------------------------------------------------------------


def test_ocsf_lines_are_detection_findings_with_the_required_fields(report_data: ReportData) -> None:
    lines = render(report_data, "ocsf").splitlines()
    assert len(lines) == len(report_data.findings)
    for line, rf in zip(lines, report_data.findings, strict=True):
        event = json.loads(line)
        assert event["class_uid"] == CLASS_UID == 2004
        assert event["category_uid"] == 2
        assert event["activity_id"] == 1
        assert event["type_uid"] == type_uid(2004, 1) == 200401
        assert event["severity_id"] in (1, 2, 3, 4, 5) and event["severity"]
        assert event["status_id"] in (1, 2, 3, 4) and event["status"]
        assert isinstance(event["time"], int) and event["time"] > 1_700_000_000_000
        assert event["metadata"]["version"] == "1.3.0"
        assert event["metadata"]["product"]["name"] == "mlspm" and event["metadata"]["product"]["version"]
        info = event["finding_info"]
        assert info["uid"] == rf.finding.fingerprint and info["title"] == rf.finding.title
        assert info["analytic"]["uid"] == rf.finding.analyzer_id and info["analytic"]["type_id"] == 1


def test_ocsf_status_follows_triage_and_atlas_tags_become_attacks(
    report_data: ReportData, estate: Estate
) -> None:
    events = {e["finding_info"]["uid"]: e for e in map(json.loads, render(report_data, "ocsf").splitlines())}
    assert events[estate.false_positive]["status_id"] == 3
    assert events[estate.risk_accepted]["status_id"] == 3
    assert events[estate.confirmed]["status_id"] == 2 and events[estate.confirmed]["status"] == "In Progress"
    suppressed = [
        e for e in events.values() if e["finding_info"]["analytic"]["uid"] == "access_store_unencrypted"
    ]
    assert suppressed[0]["status_id"] == 3
    opened = [e for e in events.values() if e["finding_info"]["analytic"]["uid"] == "usage_denied_burst"]
    assert opened[0]["status_id"] == 1 and opened[0]["severity_id"] == 3
    spike = events[estate.confirmed]
    attacks = spike["finding_info"]["attacks"]
    assert attacks and all(a["technique"]["uid"].startswith("AML.T") for a in attacks)
    assert spike["evidences"][0]["actor"]["user"]["name"] == PARTNER
    assert spike["evidences"][0]["src_endpoint"]["ip"] == "203.0.113.66"


# -- HTML ----------------------------------------------------------------------------------------------


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attrs: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attrs.extend(attrs)


@pytest.fixture(scope="module")
def page(report_data: ReportData) -> str:
    return render(report_data, "html")


def test_html_shows_hostile_text_as_text_never_as_markup(page: str) -> None:
    assert SCRIPT not in page
    assert ESCAPED_SCRIPT in page
    assert re.search(r"<\s*script", page, re.IGNORECASE) is None
    assert "\x1b" not in page and "\\x1b[2J" in page  # the escape sequence is shown, not sent
    assert "[bold]x[/]" in page  # Rich markup is plain text in a browser
    parser = _Tags()
    parser.feed(page)
    assert not parser.tags & {
        "script",
        "iframe",
        "object",
        "embed",
        "img",
        "link",
        "base",
        "form",
        "meta-refresh",
    }
    for name, _value in parser.attrs:
        assert not name.startswith("on"), f"event handler attribute {name}"


def test_html_loads_nothing_from_the_network_and_forbids_scripts(page: str) -> None:
    assert (
        re.search(r"""\b(src|href)\s*=\s*["']?\s*(https?:|//|data:|javascript:)""", page, re.IGNORECASE)
        is None
    )
    assert "@import" not in page and "url(" not in page
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    hrefs = re.findall(r'href="([^"]*)"', page)
    assert hrefs and all(h.startswith("#") for h in hrefs)


def test_html_has_the_sections_a_reader_needs(page: str, estate: Estate) -> None:
    for text in (
        "Executive summary",
        "Severity by triage status",
        "Posture per framework",
        "What changed since the previous analysis",
        "New findings (2)",
        "No longer firing (1)",
        "Triage changes (3)",
        "Appendix A — Inputs",
        "Appendix B — Rejected records",
        "Appendix C — Analyzers and thresholds",
        "Evidence — first 10 of 300 rows",
        "partner key scraping the fraud model; key revoked",
        "trained on",
        "deployed as",
        "Why it matters",
        "What to do",
        f'id="f-{estate.confirmed}"',
        "stale_days = 120 (default 90)",
    ):
        assert text in page, text
    assert page.count('<svg class="chart spark"') >= 1
    assert 'aria-label="Findings by severity"' in page


# -- Markdown ------------------------------------------------------------------------------------------


def _cells(row: str) -> int:
    """Unescaped pipes in a table row."""
    return len(re.findall(r"(?<!\\)\|", row))


def test_markdown_tables_survive_pipes_and_markup_in_values(report_data: ReportData) -> None:
    text = render(report_data, "md")
    assert "\\|col" in text and "|col" not in text.replace("\\|col", "")
    assert SCRIPT not in text and "\\<script\\>" in text
    assert "\x1b" not in text
    table: list[str] = []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            table.append(line)
            continue
        if table:
            widths = {_cells(row) for row in table}
            assert len(widths) == 1, table
            table = []


def test_markdown_escapes_every_special_character() -> None:
    from mlspm.report.markdown import md

    assert md("a|b`c*d_e[f]g<h>i#j&k~l\\m") == "a\\|b\\`c\\*d\\_e\\[f\\]g\\<h\\>i\\#j\\&k\\~l\\\\m"
    assert md("two\nlines") == "two\\\\nlines"


# -- CSV and JSON --------------------------------------------------------------------------------------


def test_csv_neutralizes_formulas_and_carries_triage(report_data: ReportData, estate: Estate) -> None:
    text = render(report_data, "csv")
    assert "\x1b" not in text and "\\x1b[2J" in text  # a terminal escape is shown, not sent
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == len(report_data.findings)
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@")), value
    burst = next(r for r in rows if r["analyzer_id"] == "usage_denied_burst")
    assert burst["principal"] == "'" + FORMULA
    assert burst["summary"].startswith("'=HYPERLINK")
    confirmed = next(r for r in rows if r["fingerprint"] == estate.confirmed)
    assert confirmed["status"] == "confirmed" and confirmed["assignee"] == "ir-team"
    assert confirmed["triaged_by"] == "dana" and confirmed["triaged_at"] == "2026-03-17T07:00:00Z"
    accepted = next(r for r in rows if r["fingerprint"] == estate.risk_accepted)
    assert accepted["expires_at"] == "2026-06-30T00:00:00Z"
    assert all(r["report_mlspm_version"] and len(r["report_inputs_digest"]) == 64 for r in rows)


def test_json_is_stamped_and_lists_findings_with_triage(report_data: ReportData, estate: Estate) -> None:
    text = render(report_data, "json")
    assert text.isascii() and "\x1b" not in text
    doc = json.loads(text)
    stamp = doc["report"]
    assert stamp["tool"] == "mlspm" and stamp["generated_at"] == "2026-03-18T09:30:00Z"
    assert stamp["database"] == str(estate.db)
    assert [len(i["sha256"]) for i in stamp["inputs"]] == [64] * 5
    assert doc["summary"]["by_severity"]["critical"] == 1
    findings = {f["fingerprint"]: f for f in doc["findings"]}
    assert findings[estate.false_positive]["note"] == "open-models is the public demo bucket | by design"
    assert [h["to"] for h in findings[estate.risk_accepted]["triage_history"]] == ["risk_accepted"]
    hostile = [f for f in doc["findings"] if f["asset_id"] == f"dataset:{HOSTILE_DATASET}"]
    assert hostile and not hostile[0]["active"]


def test_an_empty_report_renders_in_every_format(estate: Estate) -> None:
    rules, frameworks = catalog()
    with Store(estate.db, create=False) as store, store.cursor() as cur:
        data = collect(
            cur,
            FindingFilter(statuses=[TriageStatus.RESOLVED]),
            rules,
            frameworks,
            database="db",
            generated_at=GENERATED,
        )
    assert data.findings == []
    assert "No finding matches the scope of this report." in render(data, "html")
    assert "No finding matches the scope of this report." in render(data, "md")
    assert render(data, "csv").count("\n") == 1
    assert json.loads(render(data, "json"))["findings"] == []
    assert json.loads(render(data, "sarif"))["runs"][0]["results"] == []
    assert render(data, "ocsf") == ""
