"""The writer every inventory format shares: assets upserted with their locators, lineage and ACLs."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from mlspm.ingest.bulk import temp_table
from mlspm.ingest.context import LoadContext
from mlspm.store import Cursor

"""Whole-document inventories (a BOM, a JSON asset list) larger than this are refused, not half-read."""

RELATIONS = ("trained_on", "derived_from", "deployed_as", "stored_in", "depends_on")
"""Lineage relations an inventory may state (``src relation dst``)."""

SHA256_RE = re.compile(r"[0-9a-f]{64}")
_SCHEME_RE = re.compile(r"([a-z][a-z0-9+.\-]*)://([^/?#]*)(.*)", re.DOTALL)
_S3_ARN_RE = re.compile(r"arn:aws[a-z\-]*:s3:::([^/]+)(/.*)?", re.DOTALL)
# Host-only web URLs name a whole site, not a store: linking every request to that host to one asset
# would be wrong, so only non-web "bucket-only" URIs (s3://bucket, gs://bucket, ...) become prefixes.
_WEB_SCHEMES = frozenset({"http", "https"})

_ENVIRONMENTS = {
    "production": "prod",
    "prd": "prod",
    "live": "prod",
    "stage": "staging",
    "stg": "staging",
    "preprod": "staging",
    "pre-prod": "staging",
    "development": "dev",
    "develop": "dev",
}


@dataclass
class Permission:
    """A principal's privilege on the asset it is attached to."""

    principal: str
    privilege: str
    granted_by: str | None = None


@dataclass
class AssetRecord:
    """One inventory asset as a format read it; ``None`` means "this inventory does not say"."""

    asset_id: str
    kind: str
    name: str
    version: str | None = None
    uri: str | None = None
    owner: str | None = None
    environment: str | None = None
    classification: str | None = None
    format: str | None = None
    sha256: str | None = None
    public: bool | None = None
    encrypted: bool | None = None
    tags: dict[str, Any] = field(default_factory=dict)
    raw: str | None = None
    """The inventory record it came from, as JSON text."""
    locators: list[str] = field(default_factory=list)
    """More URIs/ARNs/sha256 that identify the asset (``uri`` and ``sha256`` are added automatically)."""
    lineage: list[tuple[str, str]] = field(default_factory=list)
    """``(relation, dst_asset_id)`` edges whose source is this asset."""
    permissions: list[Permission] = field(default_factory=list)

    def merge(self, later: AssetRecord) -> None:
        """Fold a later record of the same asset into this one: its non-null values win."""
        for name in (
            "kind",
            "name",
            "version",
            "uri",
            "owner",
            "environment",
            "classification",
            "format",
            "sha256",
            "public",
            "encrypted",
            "raw",
        ):
            value = getattr(later, name)
            if value is not None:
                setattr(self, name, value)
        self.tags.update(later.tags)
        self.locators.extend(later.locators)
        self.lineage.extend(later.lineage)
        self.permissions.extend(later.permissions)


def text_value(value: Any) -> str | None:
    """A scalar from a parsed inventory document as trimmed text (numbers too); None when empty or absent."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def default_asset_id(kind: str, name: str, version: str | None) -> str:
    """``<kind>:<name>[@<version>]`` — the id of an asset whose inventory does not name one."""
    return f"{kind}:{name}@{version}" if version else f"{kind}:{name}"


def normalize_environment(value: str | None) -> str | None:
    """Lower-cased, with common spellings folded onto prod / staging / dev."""
    if value is None or not value.strip():
        return None
    env = value.strip().lower()
    return _ENVIRONMENTS.get(env, env)


def normalize_sha256(value: str | None) -> str | None:
    """Lower-case 64-hex digest (an ``sha256:`` prefix is dropped), or None when it is not one."""
    if value is None:
        return None
    text = value.strip().lower().removeprefix("sha256:")
    return text if SHA256_RE.fullmatch(text) else None


def locators_for(value: str) -> list[tuple[str, str]]:
    """The ``(locator, kind)`` pairs a URI, ARN or sha256 stands for, normalized lower-case.

    ``kind`` is ``sha256`` for a digest, ``prefix`` for a URI ending in ``/`` (or ``/*``) and for a
    bucket-only URI such as ``s3://bucket`` (stored as ``s3://bucket/``), ``exact`` otherwise. An S3 ARN
    also yields its ``s3://`` form, because S3 logs name objects that way.
    """
    text = value.strip()
    if not text:
        return []
    digest = normalize_sha256(text)
    if digest is not None:
        return [(digest, "sha256")]
    low = text.lower()
    if low.startswith("arn:"):
        found = [(low, "exact")]
        s3 = _S3_ARN_RE.fullmatch(low)
        if s3:
            found.extend(locators_for(f"s3://{s3.group(1)}{s3.group(2) or ''}"))
        return found
    uri = _SCHEME_RE.fullmatch(low)
    if uri is None:
        return [(low, "exact")]  # a plain id (model name, endpoint name): only an exact match
    scheme, authority, rest = uri.groups()
    if not authority:
        return [(low, "exact")]
    if rest.endswith("/*"):
        rest = rest[:-1]
    if rest in ("", "/") and scheme not in _WEB_SCHEMES:
        return [(f"{scheme}://{authority}/", "prefix")]
    if rest.endswith("/"):
        return [(f"{scheme}://{authority}{rest}", "prefix")]
    return [(low, "exact")]


# Each write is one set-based statement over an Arrow batch registered as a view (values never enter
# the SQL text); executemany with a NOT EXISTS per row took minutes for 10,000 assets.
_ASSET_COLUMNS = (
    "asset_id",
    "kind",
    "name",
    "version",
    "uri",
    "owner",
    "environment",
    "classification",
    "format",
    "sha256",
    "public",
    "encrypted",
    "source",
    "tags",
    "raw",
    "run_id",
)
_ASSET_TYPES = [
    *((name, "VARCHAR") for name in _ASSET_COLUMNS[:10]),
    ("public", "BOOLEAN"),
    ("encrypted", "BOOLEAN"),
    *((name, "VARCHAR") for name in _ASSET_COLUMNS[12:15]),
    ("run_id", "BIGINT"),
]

_UPSERT = f"""
INSERT INTO assets ({", ".join(_ASSET_COLUMNS)}, updated_at)
SELECT {", ".join(_ASSET_COLUMNS)}, now() FROM _mlspm_assets
ON CONFLICT (asset_id) DO UPDATE SET
    kind = excluded.kind,
    name = excluded.name,
    version = coalesce(excluded.version, assets.version),
    uri = coalesce(excluded.uri, assets.uri),
    owner = coalesce(excluded.owner, assets.owner),
    environment = coalesce(excluded.environment, assets.environment),
    classification = coalesce(excluded.classification, assets.classification),
    format = coalesce(excluded.format, assets.format),
    sha256 = coalesce(excluded.sha256, assets.sha256),
    public = coalesce(excluded.public, assets.public),
    encrypted = coalesce(excluded.encrypted, assets.encrypted),
    source = excluded.source,
    tags = CASE WHEN excluded.tags IS NULL THEN assets.tags
                WHEN assets.tags IS NULL THEN excluded.tags
                ELSE json_merge_patch(assets.tags, excluded.tags)::VARCHAR END,
    raw = coalesce(excluded.raw, assets.raw),
    run_id = excluded.run_id,
    updated_at = now()
"""  # noqa: S608

_ADD_LOCATORS = """
INSERT INTO asset_locators (asset_id, locator, kind, run_id)
SELECT b.asset_id, b.locator, b.kind, ? FROM _mlspm_locators b
WHERE NOT EXISTS (SELECT 1 FROM asset_locators l
                  WHERE l.asset_id = b.asset_id AND l.locator = b.locator AND l.kind = b.kind)
"""

_ADD_EDGES = """
INSERT INTO lineage (src_asset, relation, dst_asset, source, run_id)
SELECT b.src_asset, b.relation, b.dst_asset, ?, ? FROM _mlspm_edges b
WHERE NOT EXISTS (SELECT 1 FROM lineage l
                  WHERE l.src_asset = b.src_asset AND l.relation = b.relation AND l.dst_asset = b.dst_asset)
"""

_ADD_PERMISSIONS = """
INSERT INTO permissions (principal, asset_id, privilege, granted_by, source, run_id)
SELECT b.principal, b.asset_id, b.privilege, b.granted_by, ?, ? FROM _mlspm_grants b
WHERE NOT EXISTS (SELECT 1 FROM permissions p
                  WHERE p.principal = b.principal AND p.asset_id = b.asset_id AND p.privilege = b.privilege)
"""


def _tags_json(tags: dict[str, Any]) -> str | None:
    # Compact, like DuckDB's own JSON output, so merged and fresh tags read the same.
    return json.dumps(tags, ensure_ascii=False, separators=(",", ":"), default=str) if tags else None


def merge_records(records: Iterable[AssetRecord]) -> list[AssetRecord]:
    """One record per asset_id, in first-seen order; later records' non-null values win."""
    merged: dict[str, AssetRecord] = {}
    for record in records:
        known = merged.get(record.asset_id)
        if known is None:
            merged[record.asset_id] = record
        else:
            known.merge(record)
    return list(merged.values())


def write_assets(ctx: LoadContext, records: Iterable[AssetRecord]) -> int:
    """Upsert ``records`` with their locators, lineage and permissions; returns the assets written.

    A later inventory's non-null values win and nulls never erase known values; tags are merged key by
    key. Locators, edges and permissions are only ever added, never duplicated.
    """
    assets = merge_records(records)
    if not assets:
        return 0
    run, source = ctx.run_id, ctx.format_name
    rows: list[tuple[Any, ...]] = []
    locators: dict[tuple[str, str, str], None] = {}  # a dict keeps first-seen order, unlike a set
    edges: dict[tuple[str, str, str], None] = {}
    grants: dict[tuple[str, str, str], str | None] = {}
    for a in assets:
        sha = normalize_sha256(a.sha256)
        rows.append(
            (
                a.asset_id,
                a.kind,
                a.name,
                a.version,
                a.uri,
                a.owner,
                normalize_environment(a.environment),
                a.classification,
                a.format,
                sha,
                a.public,
                a.encrypted,
                source,
                _tags_json(a.tags),
                a.raw,
                run,
            )
        )
        for value in (a.uri, sha, *a.locators):
            if value:
                for locator, kind in locators_for(value):
                    locators.setdefault((a.asset_id, locator, kind))
        for relation, dst in a.lineage:
            if relation not in RELATIONS:  # a loader bug, not bad input: the loader maps input to these
                raise ValueError(f"unknown lineage relation {relation!r} (known: {', '.join(RELATIONS)})")
            if dst and dst != a.asset_id:
                edges.setdefault((a.asset_id, relation, dst))
        for p in a.permissions:
            if p.principal:
                grants.setdefault((p.principal, a.asset_id, p.privilege), p.granted_by)
    cur = ctx.cur
    _run(cur, _UPSERT, [], "_mlspm_assets", _ASSET_TYPES, rows)
    if locators:
        _run(
            cur, _ADD_LOCATORS, [run], "_mlspm_locators", _strings(("asset_id", "locator", "kind")), locators
        )
    if edges:
        _run(
            cur,
            _ADD_EDGES,
            [source, run],
            "_mlspm_edges",
            _strings(("src_asset", "relation", "dst_asset")),
            edges,
        )
    if grants:
        grant_rows = [(*key, granted_by) for key, granted_by in grants.items()]
        _run(
            cur,
            _ADD_PERMISSIONS,
            [source, run],
            "_mlspm_grants",
            _strings(("principal", "asset_id", "privilege", "granted_by")),
            grant_rows,
        )
    ctx.counts.loaded += len(assets)
    # New locators can name resources that earlier access events and scan results already mention.
    ctx.relink_all = True
    return len(assets)


def _strings(names: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(n, "VARCHAR") for n in names]


def _run(
    cur: Cursor,
    sql: str,
    params: list[Any],
    view: str,
    columns: list[tuple[str, str]],
    rows: Iterable[tuple[Any, ...]],
) -> None:
    """Run ``sql`` with ``rows`` visible as the temp table ``view`` (a fixed name from this module)."""
    temp_table(cur, view, columns, rows)
    cur.execute(sql, params).fetchall()
    cur.execute(f"DROP TABLE {view}")
