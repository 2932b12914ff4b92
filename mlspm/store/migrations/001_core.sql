-- 001: the core tables — ingest bookkeeping, rejects, access events, inventory and scan results.

CREATE SEQUENCE ingest_run_seq START 1;

-- One row per file per load attempt; also the record of files that could not be read at all.
CREATE TABLE ingest_runs (
    run_id          BIGINT PRIMARY KEY,
    batch_id        VARCHAR NOT NULL,          -- one `mlspm ingest` / `mlspm scan` invocation
    path            VARCHAR NOT NULL,          -- absolute path of the file
    sha256          VARCHAR,                   -- of the bytes on disk (NULL when the file could not be read)
    size_bytes      BIGINT,
    format          VARCHAR,                   -- detected format id
    status          VARCHAR NOT NULL,          -- loaded | already_loaded | unreadable | unrecognized | failed
    target_table    VARCHAR,
    rows_loaded     BIGINT NOT NULL DEFAULT 0,
    rows_duplicate  BIGINT NOT NULL DEFAULT 0, -- records already present (same event key)
    rows_rejected   BIGINT NOT NULL DEFAULT 0,
    message         VARCHAR,
    started_at      TIMESTAMPTZ NOT NULL,
    finished_at     TIMESTAMPTZ,
    mlspm_version   VARCHAR NOT NULL
);

-- Every input record that could not be normalized, with where it was and why.
CREATE TABLE rejects (
    run_id          BIGINT NOT NULL,
    path            VARCHAR NOT NULL,
    position        BIGINT,                    -- 1-based line or record number; NULL for a whole-file reject
    position_kind   VARCHAR NOT NULL,          -- line | record | file
    reason          VARCHAR NOT NULL,
    raw             VARCHAR,                   -- the raw text (cut to Config.reject_raw_bytes)
    raw_bytes       BIGINT                     -- size of the full raw text
);

CREATE TABLE access_events (
    id              BIGINT NOT NULL,           -- row identity used as finding evidence
    event_id        VARCHAR NOT NULL,          -- the source's own id (eventID, request id) or a content hash
    ts              TIMESTAMPTZ NOT NULL,      -- when the request happened, UTC
    principal       VARCHAR,                   -- most stable identity string (ARN, email, canonical id, 'anonymous')
    principal_type  VARCHAR,                   -- IAMUser, AssumedRole, Root, AWSService, anonymous, ...
    principal_role  VARCHAR,                   -- for assumed roles: the role (session issuer) ARN
    account_id      VARCHAR,
    region          VARCHAR,
    source_ip       VARCHAR,                   -- kept as text: not always an address ('AWS Internal', a service host)
    user_agent      VARCHAR,
    service         VARCHAR,                   -- s3, sagemaker, bedrock, ...
    action          VARCHAR NOT NULL,          -- the source's action name (GetObject, REST.GET.OBJECT, InvokeModel)
    action_class    VARCHAR NOT NULL,          -- read | write | delete | invoke | list | permission_change | admin | other
    resource        VARCHAR,                   -- canonical resource id: s3://bucket/key, ARN, model id
    asset_id        VARCHAR,                   -- the inventory asset the resource belongs to, when known
    outcome         VARCHAR NOT NULL,          -- success | failure | unknown
    status_code     VARCHAR,                   -- HTTP status or provider error code
    error_message   VARCHAR,
    bytes_out       BIGINT,
    bytes_in        BIGINT,
    object_size     BIGINT,
    duration_ms     DOUBLE,
    auth_type       VARCHAR,                   -- e.g. S3 QueryString (presigned URL) / AuthHeader
    source_format   VARCHAR NOT NULL,
    run_id          BIGINT NOT NULL,
    source_pos      BIGINT,                    -- line or record number in the source file
    raw             VARCHAR USING COMPRESSION zstd  -- the original record (JSON text, or the log line)
);

CREATE TABLE assets (
    asset_id        VARCHAR PRIMARY KEY,       -- '<kind>:<name>[@<version>]' unless the inventory names it
    kind            VARCHAR NOT NULL,
    name            VARCHAR NOT NULL,
    version         VARCHAR,
    uri             VARCHAR,
    owner           VARCHAR,
    environment     VARCHAR,                   -- prod | staging | dev | ...
    classification  VARCHAR,
    format          VARCHAR,
    sha256          VARCHAR,
    public          BOOLEAN,
    encrypted       BOOLEAN,
    source          VARCHAR NOT NULL,          -- the format it came from, or 'discovered'
    tags            VARCHAR,                   -- JSON object
    raw             VARCHAR,                   -- the inventory record it came from (JSON)
    run_id          BIGINT,
    updated_at      TIMESTAMPTZ NOT NULL
);

-- Every string that identifies an asset in logs or scans: its URIs, ARNs, sha256.
CREATE TABLE asset_locators (
    asset_id        VARCHAR NOT NULL,
    locator         VARCHAR NOT NULL,          -- normalized (lower-cased ARN, s3:// prefix, sha256 hex)
    kind            VARCHAR NOT NULL,          -- exact | prefix | sha256
    run_id          BIGINT
);

CREATE TABLE lineage (
    src_asset       VARCHAR NOT NULL,
    relation        VARCHAR NOT NULL,          -- trained_on | derived_from | deployed_as | stored_in | depends_on
    dst_asset       VARCHAR NOT NULL,
    source          VARCHAR,
    run_id          BIGINT
);

CREATE TABLE permissions (
    principal       VARCHAR NOT NULL,
    asset_id        VARCHAR NOT NULL,
    privilege       VARCHAR NOT NULL,          -- read | write | admin | ...
    granted_by      VARCHAR,
    source          VARCHAR,
    run_id          BIGINT
);

CREATE TABLE scan_results (
    id              BIGINT NOT NULL,
    run_id          BIGINT NOT NULL,
    scanner         VARCHAR NOT NULL,
    scanner_version VARCHAR,
    scanned_at      TIMESTAMPTZ,
    target          VARCHAR NOT NULL,          -- the file scanned (absolute when known)
    member          VARCHAR,                   -- archive member inside the target
    sha256          VARCHAR,
    asset_id        VARCHAR,
    kind            VARCHAR NOT NULL,          -- issue | error | skipped | scanned
    rule_id         VARCHAR,
    severity_raw    VARCHAR,
    severity        VARCHAR,                   -- info | low | medium | high | critical
    message         VARCHAR,
    module_operator VARCHAR,                   -- e.g. posix.system
    source_pos      BIGINT,
    raw             VARCHAR
);
