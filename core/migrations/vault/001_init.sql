-- vault.db: the patroller's sighting log. Every entry is encrypted whole; the plaintext columns
-- hold only what ordering, chaining and retention need.

CREATE TABLE entries (
    seq          INTEGER PRIMARY KEY,   -- position in the hash chain (1, 2, 3, ...)
    recorded_day INTEGER NOT NULL,      -- days since 1970-01-01 when appended: retention, nothing finer
    sealed       BLOB NOT NULL,         -- ChaCha20-Poly1305(vault key, aad = table/seq/schema, entry JSON)
    prev_hash    BLOB NOT NULL,         -- 32 bytes: the previous entry's hash (zeros for the first)
    hash         BLOB NOT NULL,         -- 32 bytes: SHA-256 chain link over prev_hash, seq, entry bytes
    signature    BLOB NOT NULL          -- 64 bytes: Ed25519 by the device key over the hash
);

-- Named values: the key canary and the device signing key (both encrypted under the vault key),
-- and in clear the retention period and the chain anchor after a purge (a sequence number and a
-- hash, which say nothing about what was recorded).
CREATE TABLE meta (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
