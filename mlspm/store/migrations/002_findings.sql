-- 002: findings, their evidence, analysis runs, and triage with its append-only history.

CREATE SEQUENCE analysis_run_seq START 1;

-- One `mlspm analyze`.
CREATE TABLE analysis_runs (
    run_id          BIGINT PRIMARY KEY,
    started_at      TIMESTAMPTZ NOT NULL,
    finished_at     TIMESTAMPTZ,
    data_until      TIMESTAMPTZ,               -- latest event time the run saw ("now" for baselines)
    analyzers_run   INTEGER NOT NULL DEFAULT 0,
    analyzers_failed INTEGER NOT NULL DEFAULT 0,
    findings_new    INTEGER NOT NULL DEFAULT 0,
    findings_active INTEGER NOT NULL DEFAULT 0,
    findings_inactive INTEGER NOT NULL DEFAULT 0,
    mlspm_version   VARCHAR NOT NULL,
    config          VARCHAR                    -- the thresholds used (JSON)
);

-- One analyzer within a run: how it went.
CREATE TABLE analyzer_runs (
    run_id          BIGINT NOT NULL,
    analyzer_id     VARCHAR NOT NULL,
    status          VARCHAR NOT NULL,          -- ok | error | disabled
    error           VARCHAR,
    seconds         DOUBLE,
    fired           INTEGER,
    parameters      VARCHAR                    -- JSON
);

CREATE TABLE findings (
    fingerprint     VARCHAR PRIMARY KEY,       -- stable: analyzer id + the keys the finding is about
    analyzer_id     VARCHAR NOT NULL,
    title           VARCHAR NOT NULL,
    category        VARCHAR NOT NULL,          -- supply_chain | access_control | model_theft | data_poisoning | compliance
    severity        VARCHAR NOT NULL,          -- info | low | medium | high | critical
    principal       VARCHAR,
    asset_id        VARCHAR,
    resource        VARCHAR,
    first_seen      TIMESTAMPTZ,               -- earliest evidence
    last_seen       TIMESTAMPTZ,               -- latest evidence
    active          BOOLEAN NOT NULL,          -- fired in the latest run of its analyzer
    summary         VARCHAR NOT NULL,          -- one plain sentence with the numbers
    details         VARCHAR,                   -- JSON: the figures behind the sentence
    evidence_count  BIGINT NOT NULL DEFAULT 0,
    frameworks      VARCHAR[],
    suppressed_by   VARCHAR,                   -- the suppression rule that matched (never deleted)
    first_run_id    BIGINT NOT NULL,
    last_run_id     BIGINT NOT NULL,
    first_detected_at TIMESTAMPTZ NOT NULL,
    last_detected_at  TIMESTAMPTZ NOT NULL
);

-- The exact rows that made a finding fire.
CREATE TABLE finding_evidence (
    fingerprint     VARCHAR NOT NULL,
    kind            VARCHAR NOT NULL,          -- event | scan
    id              BIGINT NOT NULL
);

-- The current triage decision per finding; a finding with no row is open.
CREATE TABLE triage (
    fingerprint     VARCHAR PRIMARY KEY,
    status          VARCHAR NOT NULL,          -- open | investigating | confirmed | false_positive | risk_accepted | resolved
    assignee        VARCHAR,
    note            VARCHAR,
    expires_at      TIMESTAMPTZ,               -- risk_accepted only: reopens itself after this
    updated_at      TIMESTAMPTZ NOT NULL,
    updated_by      VARCHAR NOT NULL
);

-- Every triage change, never updated or deleted.
CREATE TABLE triage_history (
    fingerprint     VARCHAR NOT NULL,
    changed_at      TIMESTAMPTZ NOT NULL,
    actor           VARCHAR NOT NULL,
    from_status     VARCHAR NOT NULL,
    to_status       VARCHAR NOT NULL,
    assignee        VARCHAR,
    note            VARCHAR,
    expires_at      TIMESTAMPTZ
);
