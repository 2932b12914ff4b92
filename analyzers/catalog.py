"""The analyzer pack and framework crosswalks as plain data for the report writers (CLI and TUI)."""

from __future__ import annotations

from analyzers.registry import analyzers, frameworks
from mlspm.report import FrameworkInfo, RuleInfo


def report_catalog() -> tuple[dict[str, RuleInfo], dict[str, FrameworkInfo]]:
    """Every analyzer's metadata and every framework's controls, keyed by id."""
    rules = {
        a.meta.id: RuleInfo(
            id=a.meta.id,
            title=a.meta.title,
            category=a.meta.category,
            severity=a.meta.severity.value,
            description=a.meta.description,
            risk=a.meta.risk,
            remediation=a.meta.remediation,
            references=tuple(a.meta.references),
            frameworks=tuple(a.meta.frameworks),
            version=a.meta.version,
            parameters=a.meta.defaults(),
        )
        for a in analyzers()
    }
    controls = {
        fw.id: FrameworkInfo(fw.id, fw.name, fw.version, {c.id: c.title for c in fw.controls})
        for fw in frameworks().values()
    }
    return rules, controls
