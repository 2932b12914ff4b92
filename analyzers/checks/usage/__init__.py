"""usage analyzers."""
