"""Triage reports: HTML, Markdown, CSV, JSON, SARIF 2.1.0 and OCSF from the findings in the database."""

from mlspm.report.collect import collect
from mlspm.report.model import FrameworkInfo, ReportData, RuleInfo
from mlspm.report.writer import FORMATS, SUFFIX, render, write_atomic, write_report

__all__ = [
    "FORMATS",
    "SUFFIX",
    "FrameworkInfo",
    "ReportData",
    "RuleInfo",
    "collect",
    "render",
    "write_atomic",
    "write_report",
]
