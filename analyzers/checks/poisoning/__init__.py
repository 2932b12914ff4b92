"""poisoning analyzers."""
