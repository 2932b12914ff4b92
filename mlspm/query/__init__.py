"""The query service the TUI (and reports) read through: typed requests in, plain rows out, no SQL outside."""

from mlspm.query.service import QueryService

__all__ = ["QueryService"]
