-- The hub's whole state. It holds nothing it could read about a person: reports are sealed to the
-- dispatchers, alerts are already public to the network, and a push subscription is an opaque
-- endpoint, a public key and coarse region codes. No client address is stored anywhere.

-- Verified alert envelopes, in the order the hub accepted them. `seq` is the paging cursor;
-- AUTOINCREMENT keeps it from ever being reused after old alerts are deleted.
CREATE TABLE alerts (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    id             TEXT    NOT NULL UNIQUE,
    -- SHA-256 (hex) of the signed payload bytes: the same id with other contents is a conflict.
    payload_sha256 TEXT    NOT NULL,
    envelope       BLOB    NOT NULL,
    -- The alert's region codes, space-separated with a space on each side (' US-IL US-IL-CHI ');
    -- a single space when the alert names none and goes to everyone.
    regions        TEXT    NOT NULL,
    -- Unix seconds.
    expires        INTEGER NOT NULL,
    received_at    INTEGER NOT NULL
) STRICT;

CREATE INDEX alerts_expires ON alerts (expires);

-- Sealed sighting reports: ciphertext only, opened by dispatchers on their own machines.
CREATE TABLE reports (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT    NOT NULL UNIQUE,
    -- SHA-256 of the client's Idempotency-Key (the key itself is not kept).
    idempotency     BLOB    NOT NULL UNIQUE,
    body_sha256     BLOB    NOT NULL,
    sealed          BLOB    NOT NULL,
    received_at     INTEGER NOT NULL,
    -- When a dispatcher first fetched it; retention counts from here.
    delivered_at    INTEGER
) STRICT;

CREATE INDEX reports_delivered ON reports (delivered_at) WHERE delivered_at IS NOT NULL;

-- Where to push alerts: one row per endpoint.
CREATE TABLE push_subscriptions (
    endpoint   TEXT    PRIMARY KEY,
    provider   TEXT    NOT NULL CHECK (provider IN ('webpush', 'fcm', 'apns')),
    -- The device's X25519 push key, text form (x25519:...).
    push_key   TEXT    NOT NULL,
    -- Followed region codes, space-separated.
    regions    TEXT    NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
