-- Keys the user confirmed by fingerprint as owners of one pack id: such a key may replace that
-- pack (for the bundled pack, the only way besides the bundled publisher's own key). Trust here is
-- by key and pack id, never by the publisher name a pack declares.

CREATE TABLE pack_owners (
    pack_id    TEXT NOT NULL,
    public_key TEXT NOT NULL,             -- ed25519:...
    added_at   INTEGER NOT NULL,          -- unix seconds
    PRIMARY KEY (pack_id, public_key)
);
