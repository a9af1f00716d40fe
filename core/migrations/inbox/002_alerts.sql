-- inbox.db version 2: network profiles, alerts, places, followed regions, the device's push key.

-- Signed profiles are public documents (every member of a network has them).
CREATE TABLE networks (
    network_id   TEXT PRIMARY KEY,
    version      INTEGER NOT NULL,
    profile      TEXT NOT NULL,        -- the verified payload, JSON
    envelope     BLOB NOT NULL,        -- the signed bytes as received
    confirmed    INTEGER NOT NULL,     -- 1 once the user compared the fingerprint out of band
    installed_at INTEGER NOT NULL
);

-- Alert bodies are encrypted under the inbox key; the plaintext columns are what ordering,
-- expiry and duplicate detection need.
CREATE TABLE alerts (
    id             TEXT PRIMARY KEY,
    network_id     TEXT NOT NULL,
    msg_type       TEXT NOT NULL,      -- alert | update | cancel
    sent           INTEGER NOT NULL,   -- unix seconds
    expires        INTEGER NOT NULL,   -- unix seconds
    payload_sha256 TEXT NOT NULL,      -- same id + same payload = duplicate; different = conflict
    sealed         BLOB NOT NULL,      -- ChaCha20-Poly1305(inbox key, aad = table/id/schema, envelope)
    sealed_payload BLOB NOT NULL,      -- the payload alone, likewise encrypted: what queries read
    received_at    INTEGER NOT NULL,
    read           INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX alerts_expires ON alerts(expires);
CREATE INDEX alerts_sent ON alerts(sent);

-- What each update or cancel replaces. Kept even when the referenced alert has not arrived yet,
-- so an alert that arrives after its update or cancel is hidden at once.
CREATE TABLE alert_refs (
    alert_id   TEXT NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
    network_id TEXT NOT NULL,
    ref_id     TEXT NOT NULL,
    PRIMARY KEY (alert_id, ref_id)
);
CREATE INDEX alert_refs_ref ON alert_refs(network_id, ref_id);

-- Saved places never leave the device and are stored encrypted, one row each.
CREATE TABLE places (
    id     TEXT PRIMARY KEY,
    sealed BLOB NOT NULL
);

-- Coarse region codes: the only location a hub may learn.
CREATE TABLE followed_regions (
    code TEXT PRIMARY KEY
);

CREATE TABLE inbox_meta (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
