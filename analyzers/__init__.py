"""Analyzers: rules that turn stored data into findings (the engine arrives with the analyzer issue)."""
