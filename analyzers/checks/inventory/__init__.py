"""inventory analyzers."""
