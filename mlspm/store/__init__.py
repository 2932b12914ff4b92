"""The DuckDB store: schema migrations, connections and error translation."""

from mlspm.store.database import Cursor, Store

__all__ = ["Cursor", "Store"]
