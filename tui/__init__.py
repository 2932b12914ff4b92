"""The Textual investigation workbench (arrives with the TUI issue)."""
