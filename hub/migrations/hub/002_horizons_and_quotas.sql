-- 002: how long an alert is served, and what report storage holds.

-- Until when an alert is served (Unix seconds): its own `expires`, or for an update or cancel the
-- latest `expires` (or `serve_until`) of the alerts it refers to that the hub has, so a retraction
-- outlives what it retracts. Existing rows start at their own expiry.
ALTER TABLE alerts ADD COLUMN serve_until INTEGER NOT NULL DEFAULT 0;
UPDATE alerts SET serve_until = expires;
CREATE INDEX alerts_serve_until ON alerts (serve_until);

-- Which alert ids an update or cancel refers to, so an original that arrives after its update
-- still extends the update's horizon.
CREATE TABLE alert_refs (
    seq    INTEGER NOT NULL REFERENCES alerts (seq) ON DELETE CASCADE,
    ref_id TEXT    NOT NULL,
    PRIMARY KEY (seq, ref_id)
) STRICT;

CREATE INDEX alert_refs_ref ON alert_refs (ref_id);

-- A report's sealed size, for the hub's overall storage quota.
ALTER TABLE reports ADD COLUMN size INTEGER NOT NULL DEFAULT 0;
UPDATE reports SET size = length(sealed);

-- Undelivered reports expire by arrival time.
CREATE INDEX reports_undelivered ON reports (received_at) WHERE delivered_at IS NULL;
