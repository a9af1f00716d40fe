-- inbox.db version 4: an alert is identified by (network, id), so another network's dispatcher
-- cannot take an id first; what an update or cancel replaces outlives the update or cancel
-- itself (a tombstone), so a retracted alert never comes back as active; and an alert whose
-- signatures no longer meet its network's policy after a profile update is marked withdrawn.

CREATE TABLE alerts_v4 (
    network_id     TEXT NOT NULL,
    id             TEXT NOT NULL,
    msg_type       TEXT NOT NULL,      -- alert | update | cancel
    sent           INTEGER NOT NULL,   -- unix seconds
    expires        INTEGER NOT NULL,   -- unix seconds
    payload_sha256 TEXT NOT NULL,      -- same (network, id) + same payload = duplicate; different = conflict
    sealed         BLOB NOT NULL,      -- ChaCha20-Poly1305(inbox key, aad = table/id/schema, envelope)
    sealed_payload BLOB NOT NULL,      -- the payload alone, likewise encrypted: what queries read
    received_at    INTEGER NOT NULL,
    read           INTEGER NOT NULL DEFAULT 0,
    withdrawn      INTEGER NOT NULL DEFAULT 0,  -- 1: a profile update revoked the keys it needed
    PRIMARY KEY (network_id, id)
);
INSERT INTO alerts_v4 (network_id, id, msg_type, sent, expires, payload_sha256, sealed,
                       sealed_payload, received_at, read)
    SELECT network_id, id, msg_type, sent, expires, payload_sha256, sealed, sealed_payload,
           received_at, read
    FROM alerts;

-- What each update or cancel replaces, within its network. No foreign key: a row stays after the
-- update or cancel is purged, until keep_until (its sent time plus the longest lifetime an alert
-- may have, and a day for clocks), so an original that arrives late is still hidden.
CREATE TABLE alert_refs_v4 (
    network_id TEXT NOT NULL,
    alert_id   TEXT NOT NULL,       -- the update or cancel
    ref_id     TEXT NOT NULL,       -- what it replaces
    msg_type   TEXT NOT NULL,       -- update | cancel: the type of alert_id
    keep_until INTEGER NOT NULL,    -- unix seconds
    PRIMARY KEY (network_id, alert_id, ref_id)
);
INSERT INTO alert_refs_v4 (network_id, alert_id, ref_id, msg_type, keep_until)
    SELECT r.network_id, r.alert_id, r.ref_id, a.msg_type, a.sent + 31 * 86400
    FROM alert_refs r JOIN alerts a ON a.id = r.alert_id;

DROP TABLE alert_refs;
DROP TABLE alerts;
ALTER TABLE alerts_v4 RENAME TO alerts;
ALTER TABLE alert_refs_v4 RENAME TO alert_refs;
CREATE INDEX alerts_expires ON alerts(expires);
CREATE INDEX alerts_sent ON alerts(sent);
CREATE INDEX alert_refs_ref ON alert_refs(network_id, ref_id);
