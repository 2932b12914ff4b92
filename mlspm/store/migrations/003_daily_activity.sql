-- 003: events per day and source, kept up to date by ingest, so the overview never scans all events.

CREATE TABLE daily_activity (
    day             DATE NOT NULL,
    source_format   VARCHAR NOT NULL,
    events          BIGINT NOT NULL,
    PRIMARY KEY (day, source_format)
);

INSERT INTO daily_activity
SELECT ts::DATE, source_format, count(*) FROM access_events GROUP BY ALL;
