"""access analyzers."""
