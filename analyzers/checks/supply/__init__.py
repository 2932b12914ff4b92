"""supply analyzers."""
