"""mlspm: the core package — store, ingest, scan, export and the command line (no UI code here)."""

__version__ = "0.1.0"
