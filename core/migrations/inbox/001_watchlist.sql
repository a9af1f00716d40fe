-- inbox.db: network content a device receives. This first version holds plate watch-lists;
-- network profiles, alerts and places come in later migrations.

CREATE TABLE watchlists (
    list_id      TEXT PRIMARY KEY,
    publisher    TEXT NOT NULL,
    version      INTEGER NOT NULL,
    issued       TEXT NOT NULL,
    signer       TEXT NOT NULL,            -- ed25519:... that signed the installed version
    installed_at INTEGER NOT NULL
);

CREATE TABLE watch_entries (
    list_id     TEXT NOT NULL REFERENCES watchlists(list_id) ON DELETE CASCADE,
    idx         INTEGER NOT NULL,
    plate       TEXT NOT NULL,             -- normalised
    state       TEXT,
    description TEXT,
    last_seen   TEXT,
    PRIMARY KEY (list_id, idx)
);
