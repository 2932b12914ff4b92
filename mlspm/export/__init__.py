"""Export: report writers (CSV/JSON now; HTML, Markdown, SARIF, OCSF arrive with the report issue)."""
