"""The one mlspm error hierarchy: every failure a user can see carries a message and a hint."""

from __future__ import annotations


class MlspmError(Exception):
    """An error a user can act on: `message` says what went wrong, `hint` what to do about it."""

    exit_code = 1

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class ConfigError(MlspmError):
    """A setting, option or config file is invalid."""

    exit_code = 2


class StoreError(MlspmError):
    """The DuckDB database could not be opened, migrated or queried."""


class DatabaseLockedError(StoreError):
    """Another process holds the database open for writing."""


class ReadOnlyError(StoreError):
    """A write was attempted through a read-only connection."""


class OutOfMemoryError(StoreError):
    """DuckDB needed more memory than its cap allows (and could not spill the rest to disk)."""


class FormatError(MlspmError):
    """An input file's format could not be recognised or is not supported."""


class ScanError(MlspmError):
    """The model scanner could not run."""
