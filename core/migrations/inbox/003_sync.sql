-- inbox.db version 3: what sync needs to remember.

-- Sighting reports sealed to the network's dispatchers, waiting to reach the hub. The sealed
-- bytes are unreadable here; a row goes once the hub has acknowledged it.
CREATE TABLE outbox (
    id              TEXT PRIMARY KEY,     -- the idempotency key
    network_id      TEXT NOT NULL,
    sealed          BLOB NOT NULL,
    created_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT                  -- a fixed code, never a message from the network
);

-- ETags of documents and cursors of alert pulls, per hub.
CREATE TABLE sync_state (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
